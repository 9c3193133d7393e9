// Connected inboxes wired into the store and the policy (issue #17 phase B): a real Dovecot
// (test/helpers/dovecot.ts), a real SQLite store, the daemon's InboxService. Found bounces
// become one-to-one records of the account; a restart records nothing twice; a wrong
// password is the inbox's status, with its back-off.
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthOf } from '../../src/domain/index.js';
import { redactConfig } from '../../src/config/load.js';
import { credentialKeys, InboxService, registerInbox } from '../../src/inbox/service.js';
import { buildPipeline, type Built } from '../../src/pipeline/build.js';
import type { Config } from '../../src/config/schema.js';
import { dovecotMissing, startDovecot, type Dovecot, type DovecotUser } from '../helpers/dovecot.js';
import { inCI, testConfig } from '../helpers/env.js';
import { dateOf, inboxFixture, INBOX_FILES, SENT_FILES } from '../helpers/inbox-fixtures.js';

const missing = dovecotMissing();
if (missing && !inCI) console.warn(`SKIPPED: inbox service tests: ${missing}`);
if (missing && inCI) throw new Error(`CI must run the inbox service tests: ${missing}`);

const USERS: DovecotUser[] = ['alice', 'bob', 'carol'].map((name) => ({ name, password: `pw-${name}-${randomBytes(6).toString('hex')}` }));
const KEY = randomBytes(32).toString('hex');
const SEED = [
  ...SENT_FILES.map((f) => ({ folder: 'Sent', raw: inboxFixture(f), date: dateOf(inboxFixture(f)) })),
  ...INBOX_FILES.map((f) => ({ folder: 'INBOX', raw: inboxFixture(f), date: dateOf(inboxFixture(f)) })),
];
const EXPECTED = [
  ['bob@customer.test', 'o2o:quote-q3.7f2a@sales.test'],
  ['dave@secure-corp.test', 'o2o:followup.91c3@sales.test'],
  ['erin@exchange-corp.test', 'o2o:intro.44d1@sales.test'],
  ['frank@partner.test', 'o2o:intro.44d1@sales.test'],
];

let logText = '';
const log = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => ((logText += c), cb()) }));

describe.skipIf(Boolean(missing))('connected inboxes in the daemon (store, intake, policy) on a real Dovecot', () => {
  let dovecot: Dovecot;
  let config: Config;
  let built: Built;
  let inboxId: string;

  beforeAll(async () => {
    dovecot = await startDovecot({ users: USERS });
    await dovecot.append(USERS[0]!, SEED);
    config = testConfig({ inboxes: { credentialKey: KEY } });
    built = await buildPipeline(config);
    await built.store.accounts.insert({ id: 'acme', name: null, tier: 'starter', profile: 'default', contactEmail: null }, Date.now());
  }, 60_000);

  afterAll(async () => {
    await built?.store.close();
    await dovecot?.stop();
    for (const u of USERS) expect(logText).not.toContain(u.password);
  });

  const service = (b: Built) => new InboxService({ store: b.store, rules: b.rules, log, config: config.inboxes, watcher: { backoff: { credentialsRetryMs: 600_000 } } });

  it('registers: refused without an account, cleartext to a non-loopback host, without a key; stored encrypted', async () => {
    const keys = credentialKeys(config.inboxes);
    const input = { accountId: 'acme', host: '127.0.0.1', port: dovecot.port, tls: 'none' as const, user: 'alice', secret: { kind: 'password' as const, password: USERS[0]!.password } };
    expect(await registerInbox(built.store, [], input, Date.now())).toMatchObject({ ok: false, code: 'no_credential_key' });
    expect(await registerInbox(built.store, keys, { ...input, accountId: 'ghost' }, Date.now())).toMatchObject({ ok: false, code: 'unknown_account' });
    expect(await registerInbox(built.store, keys, { ...input, host: 'imap.example.com' }, Date.now())).toMatchObject({ ok: false, code: 'plaintext_not_allowed' });
    expect(await registerInbox(built.store, keys, { ...input, port: 70000 }, Date.now())).toMatchObject({ ok: false, code: 'invalid_inbox' });
    const r = await registerInbox(built.store, keys, input, Date.now());
    if (!r.ok) throw new Error(r.message);
    inboxId = r.inbox.id;
    const blob = (await built.store.inboxes.credentials(inboxId))!;
    expect(blob).toMatch(/^v1\./);
    expect(blob).not.toContain(USERS[0]!.password);
    expect(JSON.stringify(r.inbox)).not.toContain(USERS[0]!.password);
  });

  it('a sync records exactly the bounces as one-to-one records of the account, never marketing ones', async () => {
    const svc = service(built);
    const out = await svc.syncNow(inboxId);
    expect(out?.ok).toBe(true);
    const records = await built.store.bounces.list({ accountId: 'acme' });
    expect(records.map((b) => [b.recipient, b.messageId]).sort()).toEqual(EXPECTED);
    expect(records.every((b) => b.verified && b.type === 'hard' && b.reason === 'userunknown')).toBe(true);
    // each is a stored message of source imap, settled as processed
    for (const b of records) expect(await built.store.messages.get(b.messageRow)).toMatchObject({ source: 'imap', state: 'processed', rcptTo: ['alice'] });
    const rows = await built.store.inboxes.bounces(inboxId);
    expect(rows.map((r) => r.method).sort()).toEqual(['dsn_message_id', 'dsn_message_id', 'gateway_notice', 'reply_reference']);
    // the one-to-one channel's month holds them; the marketing month and the suppressions nothing
    const months = new Set(records.map((b) => monthOf(rows.find((r) => r.bounceId === b.id)!.receivedAt)));
    let o2o = 0;
    for (const m of months) {
      o2o += (await built.store.counters.month('acme', m, 'one_to_one')).hardBounces;
      expect((await built.store.counters.month('acme', m, 'marketing')).hardBounces).toBe(0);
    }
    expect(o2o).toBe(4);
    expect(await built.store.suppressions.counts()).toEqual({ account: 0, global: 0 });
    expect((await built.store.failures.list('acme')).map((f) => f.channel)).toEqual(['one_to_one', 'one_to_one', 'one_to_one', 'one_to_one']);
    // the stored status
    const rec = (await built.store.inboxes.get(inboxId))!;
    expect(rec.status).toMatchObject({ state: 'ok', errorCode: null, failures: 0 });
    expect(rec.status.counters).toMatchObject({ scanned: 8, sentIndexed: 5, bounces: { dsn_message_id: 2, reply_reference: 1, gateway_notice: 1 } });
    expect(svc.isDue(rec, Date.now())).toBe(false);
    expect(svc.isDue(rec, Date.now() + config.inboxes.pollIntervalSeconds * 1000 + 1)).toBe(true);
  });

  it('after a restart (the store reopened) and a UIDVALIDITY change, nothing is recorded twice', async () => {
    await built.store.close();
    built = await buildPipeline(config);
    let svc = service(built);
    expect((await svc.syncNow(inboxId))?.ok).toBe(true);
    // resumed after the last UID: nothing read again
    expect((await built.store.inboxes.get(inboxId))!.status.counters).toMatchObject({ scanned: 0, sentIndexed: 0 });
    dovecot.doveadm('mailbox', 'update', '-u', 'alice', '--uid-validity', '4242', 'INBOX');
    svc = service(built);
    expect((await svc.syncNow(inboxId))?.ok).toBe(true);
    expect((await built.store.inboxes.get(inboxId))!.status.counters).toMatchObject({ scanned: 8, duplicates: 4 });
    expect((await built.store.bounces.list({ accountId: 'acme' })).length).toBe(4);
    expect((await built.store.messages.list({})).filter((m) => m.source === 'imap').length).toBe(4);
  });

  it('bounded: at most maxMessagesPerSync UIDs per sync, the rest at the next one', async () => {
    const r = await registerInbox(built.store, credentialKeys(config.inboxes), { accountId: 'acme', host: '127.0.0.1', port: dovecot.port, tls: 'none', user: 'alice', secret: { kind: 'password', password: USERS[0]!.password } }, Date.now());
    if (!r.ok) throw new Error(r.message);
    const svc = new InboxService({ store: built.store, rules: built.rules, log, config: { ...config.inboxes, maxMessagesPerSync: 3 }, watcher: { batchSize: 2 } });
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect((await svc.syncNow(r.inbox.id))?.ok).toBe(true);
      const c = (await built.store.inboxes.get(r.inbox.id))!.status.counters as { scanned: number; pendingUids: number };
      seen.push(c.pendingUids);
    }
    expect(seen).toEqual([5, 2, 0]);
    // the same bounces, found through another inbox of the same account: records of their own, once
    expect((await built.store.inboxes.bounces(r.inbox.id)).length).toBe(4);
  });

  it('moveTo: the found bounces are recorded (durably), then moved; nothing else moves', async () => {
    await dovecot.append(USERS[2]!, SEED);
    const r = await registerInbox(built.store, credentialKeys(config.inboxes), { accountId: 'acme', host: '127.0.0.1', port: dovecot.port, tls: 'none', user: 'carol', secret: { kind: 'password', password: USERS[2]!.password }, moveTo: 'Bounces' }, Date.now());
    if (!r.ok) throw new Error(r.message);
    expect((await service(built).syncNow(r.inbox.id))?.ok).toBe(true);
    expect((await built.store.inboxes.bounces(r.inbox.id)).length).toBe(4);
    expect((await built.store.inboxes.get(r.inbox.id))!.status.counters).toMatchObject({ moved: 4 });
    const c = await dovecot.connect(USERS[2]!);
    try {
      expect((await c.mailboxOpen('Bounces', { readOnly: true })).exists).toBe(4);
      expect((await c.mailboxOpen('INBOX', { readOnly: true })).exists).toBe(INBOX_FILES.length - 4);
    } finally {
      await c.logout();
    }
  });

  it('a wrong password: the inbox shows auth_failed with its back-off, the service goes on, nothing crashes', async () => {
    const r = await registerInbox(built.store, credentialKeys(config.inboxes), { accountId: 'acme', host: '127.0.0.1', port: dovecot.port, tls: 'none', user: 'bob', secret: { kind: 'password', password: 'not-the-password' } }, Date.now());
    if (!r.ok) throw new Error(r.message);
    const svc = service(built);
    const t0 = Date.now();
    const out = await svc.syncNow(r.inbox.id);
    expect(out?.ok).toBe(false);
    const rec = (await built.store.inboxes.get(r.inbox.id))!;
    expect(rec.status).toMatchObject({ state: 'error', errorCode: 'auth_failed', failures: 1 });
    expect(rec.status.nextAttemptAt! - t0).toBeGreaterThanOrEqual(600_000);
    expect(svc.isDue(rec, Date.now())).toBe(false);
    // the scheduled run starts only what is due: the good inbox when its interval passes, never the bad one before its back-off
    const later = Date.now() + config.inboxes.pollIntervalSeconds * 1000 + 1;
    const due = (await built.store.inboxes.list()).filter((i) => svc.isDue(i, later)).map((i) => i.user);
    expect(due).toEqual(['alice', 'alice', 'carol']);
    expect(logText).toContain('"evt":"INBOX_AUTH_FAILED"');
  });

  it('stop() cuts a sync in progress at once (a server that never greets), and leaves its status as it was', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((sock) => void sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as { port: number }).port;
      const r = await registerInbox(built.store, credentialKeys(config.inboxes), { accountId: 'acme', host: '127.0.0.1', port, tls: 'none', user: 'x', secret: { kind: 'password', password: 'y' } }, Date.now());
      if (!r.ok) throw new Error(r.message);
      const svc = service(built);
      expect(await svc.kick(Date.now())).toBeGreaterThanOrEqual(1);
      // connected, waiting for a greeting that never comes (imapflow waits 16 s for it)
      for (let i = 0; i < 100 && sockets.length === 0; i++) await new Promise((res) => setTimeout(res, 50));
      expect(sockets.length).toBe(1);
      const t0 = Date.now();
      await svc.stop();
      expect(Date.now() - t0).toBeLessThan(3000);
      expect((await built.store.inboxes.get(r.inbox.id))!.status.state).toBe('new');
      // stopped: it starts nothing more
      expect(await svc.kick(Date.now())).toBe(0);
    } finally {
      for (const sck of sockets) sck.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('a credential key that is not 32 bytes is a configuration error', () => {
    expect(() => testConfig({ inboxes: { credentialKey: 'abc' } })).toThrow(/inboxes\.credentialKey/);
    expect(() => testConfig({ inboxes: { credentialKey: KEY, previousCredentialKeys: ['zz'] } })).toThrow(/previousCredentialKeys/);
    // and the keys are secrets: `config print` and the daemon's start-up line show none
    const old = randomBytes(32).toString('base64');
    const shown = JSON.stringify(redactConfig(testConfig({ inboxes: { credentialKey: KEY, previousCredentialKeys: [old] } })).inboxes);
    expect(shown).not.toContain(KEY);
    expect(shown).not.toContain(old);
    expect(redactConfig(testConfig({ inboxes: { credentialKey: KEY, previousCredentialKeys: [old] } })).inboxes).toMatchObject({ credentialKey: '[redacted]', previousCredentialKeys: ['[redacted]'] });
  });
});

// The inbox watcher against a real Dovecot (test/helpers/dovecot.ts) seeded over IMAP APPEND
// with real-shaped mail: Alice's Sent folder and what came back to her INBOX.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptSecret, decryptSecret } from '../../src/inbox/credentials.js';
import { MemoryInboxState } from '../../src/inbox/memory-state.js';
import type { FoundBounce, InboxAccount, InboxSecret, InboxStatus } from '../../src/inbox/types.js';
import { InboxWatcher, type WatcherOptions } from '../../src/inbox/watcher.js';
import { dovecotMissing, startDovecot, type Dovecot, type DovecotUser } from '../helpers/dovecot.js';
import { dateOf, inboxFixture, INBOX_FILES, SENT_FILES } from '../helpers/inbox-fixtures.js';
import { freePort } from '../helpers/net.js';
import { inCI } from '../helpers/env.js';
import { waitFor } from '../helpers/wait.js';

const missing = dovecotMissing();
if (missing && !inCI) console.warn(`SKIPPED: inbox watcher tests: ${missing}`);
if (missing && inCI) throw new Error(`CI must run the inbox watcher tests: ${missing}`);

const USERS = ['alice', 'mover', 'flaky', 'idler', 'bob', 'nosent', 'tokenuser'].map((name) => ({ name, password: `pw-${name}-${randomBytes(6).toString('hex')}` }));
const user = (name: string): DovecotUser => USERS.find((u) => u.name === name)!;
const GOOD_TOKEN = `tok-good-${randomBytes(8).toString('hex')}`;
const EXPIRED_TOKEN = `tok-expired-${randomBytes(8).toString('hex')}`;
const KEY = randomBytes(32);

// Every log line of every watcher, at debug: no password or token may appear in any of them.
let logText = '';
const log = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => ((logText += c), cb()) }));

let dovecot: Dovecot;
let introspection: Server;
let introspected: string[] = [];

/** Alice's mailbox: the Sent fixtures in Sent, the inbox fixtures in INBOX, each at its Date. */
const SEED = [
  ...SENT_FILES.map((f) => ({ folder: 'Sent', raw: inboxFixture(f), date: dateOf(inboxFixture(f)) })),
  ...INBOX_FILES.map((f) => ({ folder: 'INBOX', raw: inboxFixture(f), date: dateOf(inboxFixture(f)) })),
];

describe.skipIf(Boolean(missing))('inbox watcher on a real Dovecot', () => {
  beforeAll(async () => {
    // Dovecot's oauth2 passdb POSTs `token=...` here (RFC 7662 introspection); we answer for
    // one test user: active for the good token, inactive for the "expired" one.
    introspection = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const token = new URLSearchParams(body).get('token') ?? '';
        introspected.push(token);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(token === GOOD_TOKEN ? { active: true, username: 'tokenuser' } : { active: false }));
      });
    });
    await new Promise<void>((r) => introspection.listen(0, '127.0.0.1', r));
    const port = (introspection.address() as { port: number }).port;
    dovecot = await startDovecot({ users: USERS, oauth2IntrospectionUrl: `http://127.0.0.1:${port}/introspect` });
    await dovecot.append(user('alice'), SEED);
  });

  afterAll(async () => {
    await dovecot?.stop();
    await new Promise((r) => introspection?.close(r));
    // the log was written: nothing secret is in it
    expect(logText.length).toBeGreaterThan(0);
    for (const u of USERS) expect(logText).not.toContain(u.password);
    expect(logText).not.toContain(GOOD_TOKEN);
    expect(logText).not.toContain(EXPIRED_TOKEN);
  });

  function account(name: string, extra: Partial<InboxAccount> = {}): InboxAccount {
    return { id: `inbox-${name}`, host: '127.0.0.1', port: dovecot.port, tls: 'none', user: name, ...extra };
  }

  /** A watcher whose secret is stored encrypted and decrypted at each connection, as phase B will. */
  function watcher(name: string, o: { account?: Partial<InboxAccount>; secret?: InboxSecret; state?: MemoryInboxState; opts?: Partial<WatcherOptions> } = {}) {
    const acct = account(name, o.account);
    const blob = encryptSecret(o.secret ?? { kind: 'password', password: user(name)?.password ?? 'none' }, KEY, acct.id);
    const state = o.state ?? new MemoryInboxState();
    const found: FoundBounce[] = [];
    const w = new InboxWatcher({
      account: acct,
      secret: () => decryptSecret(blob, KEY, acct.id),
      state,
      sink: async (b, raw) => {
        expect(raw.length).toBeGreaterThan(0);
        found.push(b);
      },
      log,
      ...o.opts,
    });
    return { w, state, found };
  }

  async function inboxFlags(u: DovecotUser, folder = 'INBOX'): Promise<Map<string, string[]>> {
    const c = await dovecot.connect(u);
    try {
      await c.mailboxOpen(folder, { readOnly: true });
      const out = new Map<string, string[]>();
      for (const m of await c.fetchAll('1:*', { envelope: true, flags: true })) out.set(m.envelope!.messageId!, [...m.flags!].sort());
      return out;
    } finally {
      await c.logout();
    }
  }

  const brief = (found: FoundBounce[]) =>
    found
      .map((f) => ({ method: f.method, sent: f.sentMessageId, recipient: f.recipient, reason: f.verdict.reason, type: f.verdict.type, bounce: f.bounceMessageId, folder: f.folder }))
      .sort((a, b) => a.recipient.localeCompare(b.recipient));

  const ALICE_BOUNCES = [
    { method: 'dsn_message_id', sent: 'quote-q3.7f2a@sales.test', recipient: 'bob@customer.test', reason: 'userunknown', type: 'hard', bounce: '20261116090005.03EF221699B@mta.test', folder: 'INBOX' },
    { method: 'gateway_notice', sent: 'followup.91c3@sales.test', recipient: 'dave@secure-corp.test', reason: 'userunknown', type: 'hard', bounce: 'gw-1b7e33@gw.secure-corp.test', folder: 'INBOX' },
    { method: 'dsn_message_id', sent: 'intro.44d1@sales.test', recipient: 'erin@exchange-corp.test', reason: 'userunknown', type: 'hard', bounce: '5f0f4c6e-8a2b-4d9e-9a51-0c2f3b7d1e11@AM0PR01MB1234.eurprd01.prod.exchangelabs.com', folder: 'INBOX' },
    { method: 'reply_reference', sent: 'intro.44d1@sales.test', recipient: 'frank@partner.test', reason: 'userunknown', type: 'hard', bounce: 'ndr-20261116110009.2291@mx.partner.test', folder: 'INBOX' },
  ];

  // One state through the next three tests: first sync, restart, UIDVALIDITY change.
  const aliceState = new MemoryInboxState();

  it('finds exactly the bounces, each with its method; auto-reply and ordinary mail stay untouched', async () => {
    const before = await inboxFlags(user('alice'));
    const { w, found } = watcher('alice', { state: aliceState });
    const r = await w.syncOnce();
    expect(r.ok).toBe(true);
    expect(brief(found)).toEqual(ALICE_BOUNCES);
    const s = w.status();
    expect(s.sentFolder).toBe('Sent');
    expect(s.counters).toMatchObject({ scanned: 8, sentIndexed: 5, duplicates: 0, moved: 0, errors: 0 });
    expect(s.counters.bounces).toEqual({ dsn_message_id: 2, reply_reference: 1, gateway_notice: 1 });
    expect(s.counters.skipped).toMatchObject({ auto_reply: 1, not_a_bounce: 2, outside_window: 1, unmatched: 0 });
    // nothing moved, deleted or flagged: every message still in INBOX with the flags it had (no \Seen)
    expect(await inboxFlags(user('alice'))).toEqual(before);
    expect(before.size).toBe(INBOX_FILES.length);
  });

  it('a restart (new watcher, same state) resumes after the last UID: nothing is read again', async () => {
    const { w, found } = watcher('alice', { state: aliceState });
    expect((await w.syncOnce()).ok).toBe(true);
    expect(found).toEqual([]);
    expect(w.status().counters).toMatchObject({ scanned: 0, sentIndexed: 0, duplicates: 0 });
    // one new message: that one only is read
    await dovecot.append(user('alice'), [{ folder: 'INBOX', raw: Buffer.from('From: x@vendor.test\r\nTo: alice@sales.test\r\nSubject: hello\r\nMessage-ID: <n1@vendor.test>\r\n\r\nhi\r\n') }]);
    const again = watcher('alice', { state: aliceState });
    expect((await again.w.syncOnce()).ok).toBe(true);
    expect(again.w.status().counters.scanned).toBe(1);
    expect(again.found).toEqual([]);
  });

  it('a changed UIDVALIDITY: the folders are read again, and no bounce is handed over twice', async () => {
    dovecot.doveadm('mailbox', 'update', '-u', 'alice', '--uid-validity', '4242', 'INBOX');
    dovecot.doveadm('mailbox', 'update', '-u', 'alice', '--uid-validity', '4343', 'Sent');
    // small batches and chunks: several checkpoints, and fetches that run ahead of the parsing
    const { w, found } = watcher('alice', { state: aliceState, opts: { batchSize: 3, chunkBytes: 3000 } });
    expect((await w.syncOnce()).ok).toBe(true);
    expect(found).toEqual([]);
    expect(w.status().counters).toMatchObject({ scanned: 9, sentIndexed: 5, duplicates: 4 });
    expect(await aliceState.checkpoint('inbox-alice', 'INBOX')).toMatchObject({ uidValidity: 4242 });
    expect(aliceState.sentCount('inbox-alice')).toBe(5);
  });

  it('moveTo: found bounces are moved to that folder (created), nothing else moves, nothing is deleted', async () => {
    await dovecot.append(user('mover'), SEED);
    const { w, found } = watcher('mover', { account: { moveTo: 'Bounces' }, opts: { batchSize: 2, chunkBytes: 1 } });
    expect((await w.syncOnce()).ok).toBe(true);
    expect(found.length).toBe(4);
    expect(w.status().counters.moved).toBe(4);
    const inbox = await inboxFlags(user('mover'));
    const moved = await inboxFlags(user('mover'), 'Bounces');
    expect([...moved.keys()].sort()).toEqual(['<20261116090005.03EF221699B@mta.test>', '<5f0f4c6e-8a2b-4d9e-9a51-0c2f3b7d1e11@AM0PR01MB1234.eurprd01.prod.exchangelabs.com>', '<gw-1b7e33@gw.secure-corp.test>', '<ndr-20261116110009.2291@mx.partner.test>']);
    expect(inbox.size + moved.size).toBe(INBOX_FILES.length);
    expect(inbox.has('<auto-7731@vacation.test>')).toBe(true);
    // moved, not read: still unseen
    for (const flags of moved.values()) expect(flags).not.toContain('\\Seen');
  });

  it('a sink that fails: sink_failed, the checkpoint stays, the next sync hands the bounce over again (once)', async () => {
    await dovecot.append(user('flaky'), SEED);
    const state = new MemoryInboxState();
    let calls = 0;
    const taken: string[] = [];
    const acct = account('flaky');
    const w = new InboxWatcher({
      account: acct,
      secret: () => ({ kind: 'password', password: user('flaky').password }),
      state,
      sink: async (b) => {
        if (++calls === 2) throw new Error('database is locked');
        taken.push(b.recipient);
      },
      log,
    });
    const first = await w.syncOnce();
    expect(!first.ok && first.error).toMatchObject({ code: 'sink_failed', message: expect.stringContaining('database is locked') });
    expect(taken.length).toBe(1);
    expect(await state.checkpoint(acct.id, 'INBOX')).toBeNull(); // the batch was not finished
    const second = await w.syncOnce();
    expect(second.ok).toBe(true);
    // the one taken before the failure is not handed over again; the others are, once each
    expect(taken.sort()).toEqual(['bob@customer.test', 'dave@secure-corp.test', 'erin@exchange-corp.test', 'frank@partner.test']);
    expect(w.status().counters.duplicates).toBe(1);
  });

  it('a wrong password: auth_failed in the status, retried slowly, never a crash loop', async () => {
    const { w } = watcher('alice', { secret: { kind: 'password', password: 'wrong' }, opts: { backoff: { credentialsRetryMs: 300 } } });
    w.start();
    try {
      const s = await waitFor('auth_failed', 10_000, () => (w.status().error?.code === 'auth_failed' ? w.status() : undefined), 50);
      expect(s.state).toBe('error');
      expect(s.error!.message).toMatch(/AUTHENTICATIONFAILED|authentication failed/i);
      expect(s.nextRetryAt).toBeGreaterThan(Date.now() - 1000);
      // it keeps trying, at the slow pace: a few attempts in ~1.5 s, not hundreds
      await new Promise((r) => setTimeout(r, 1500));
      const later = w.status();
      expect(later.failures).toBeGreaterThan(s.failures);
      expect(later.failures).toBeLessThan(12);
    } finally {
      await w.stop();
    }
    expect(w.status().state).toBe('stopped');
  });

  it('an unreachable server: unreachable, with a growing back-off; a key that cannot open the credentials: credentials_unreadable', async () => {
    const port = await freePort(); // nothing listens there
    const delays: number[] = [];
    const errorTimes: number[] = [];
    const onStatus = (st: InboxStatus) => {
      if (st.nextRetryAt && st.error && delays.length < st.failures) {
        delays.push(st.nextRetryAt - st.error.at);
        errorTimes.push(st.error.at);
      }
    };
    // jitter fixed at its middle: delay = 3/4 of min(cap, base * 2^(n-1))
    const { w } = watcher('alice', { account: { port }, opts: { backoff: { baseMs: 50, maxMs: 400 }, random: () => 0.5, onStatus } });
    w.start();
    try {
      const s = await waitFor('5 failures', 10_000, () => (w.status().failures >= 5 && delays.length >= 5 ? w.status() : undefined), 20);
      expect(s.error!.code).toBe('unreachable');
      const expected = [38, 75, 150, 300, 300];
      delays.slice(0, 5).forEach((d, i) => expect(Math.abs(d - expected[i])).toBeLessThanOrEqual(5));
      // and it really waited: the 5th failure came at least 38 + 75 + 150 + 300 ms after the 1st
      expect(errorTimes[4] - errorTimes[0]).toBeGreaterThanOrEqual(560);
    } finally {
      await w.stop();
    }
    const acct = account('alice');
    const blob = encryptSecret({ kind: 'password', password: user('alice').password }, randomBytes(32), acct.id);
    const bad = new InboxWatcher({ account: acct, secret: () => decryptSecret(blob, KEY, acct.id), state: new MemoryInboxState(), sink: async () => {}, log });
    const r = await bad.syncOnce();
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('credentials_unreadable');
  });

  it('IDLE: a DSN arriving while the watcher idles is found within seconds', async () => {
    await dovecot.append(user('idler'), SEED.filter((s) => s.folder === 'Sent'));
    // no polling to fall back on: only IDLE can bring the new message in time
    const { w, found } = watcher('idler', { opts: { pollIntervalMs: 600_000, idleRenewMs: 600_000, backoff: { baseMs: 100 } } });
    w.start();
    try {
      await waitFor('idle', 10_000, () => (w.status().state === 'idle' ? true : undefined), 20);
      expect(w.status().mode).toBe('idle');
      const t0 = Date.now();
      await dovecot.append(user('idler'), [
        { folder: 'Sent', raw: inboxFixture('sent-idle.eml'), date: dateOf(inboxFixture('sent-idle.eml')) },
        { folder: 'INBOX', raw: inboxFixture('dsn-idle.eml'), date: dateOf(inboxFixture('dsn-idle.eml')) },
      ]);
      await waitFor('the bounce', 5000, () => (found.length ? true : undefined), 20);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(brief(found)).toEqual([
        { method: 'dsn_message_id', sent: 'pricing.5e07@sales.test', recipient: 'henry@customer.test', reason: 'userunknown', type: 'hard', bounce: '20261117080004.7C1D22169A0@mta.test', folder: 'INBOX' },
      ]);
      await waitFor('idle again', 5000, () => (w.status().state === 'idle' ? true : undefined), 20);
      // and it stays idle: no sync without new mail
      const syncs = w.status().counters.syncs;
      await new Promise((r) => setTimeout(r, 1000));
      expect(w.status().counters.syncs).toBe(syncs);
      expect(w.status().state).toBe('idle');

      // the server drops the session (an admin's kick, a restart): reconnect, idle again, still deliver
      dovecot.doveadm('kick', 'idler');
      await waitFor('the drop noticed', 5000, () => (w.status().counters.errors >= 1 ? true : undefined), 20);
      await waitFor('idle after reconnecting', 10_000, () => (w.status().state === 'idle' && !w.status().error ? true : undefined), 20);
      const again = inboxFixture('dsn-postfix.eml');
      await dovecot.append(user('idler'), [
        { folder: 'Sent', raw: inboxFixture('sent-quote.eml'), date: dateOf(inboxFixture('sent-quote.eml')) },
        { folder: 'INBOX', raw: again, date: dateOf(again) },
      ]);
      await waitFor('the second bounce', 5000, () => (found.length === 2 ? true : undefined), 20);
      expect(found[1]).toMatchObject({ method: 'dsn_message_id', recipient: 'bob@customer.test' });
    } finally {
      await w.stop();
    }
  });

  it('a server without IDLE is polled; a Sent folder without \\Sent is found by its name', async () => {
    // bob's client keeps sent mail in "Sent Items", which the server does not mark \Sent
    await dovecot.append(user('bob'), [{ folder: 'Sent Items', raw: inboxFixture('sent-idle.eml'), date: dateOf(inboxFixture('sent-idle.eml')) }]);
    const { w, found } = watcher('bob', { account: { host: dovecot.noIdleHost }, opts: { pollIntervalMs: 200 } });
    w.start();
    try {
      await waitFor('polling', 10_000, () => (w.status().state === 'polling' ? true : undefined), 20);
      expect(w.status().mode).toBe('poll');
      expect(w.status().sentFolder).toBe('Sent Items');
      await dovecot.append(user('bob'), [{ folder: 'INBOX', raw: inboxFixture('dsn-idle.eml'), date: dateOf(inboxFixture('dsn-idle.eml')) }]);
      await waitFor('the bounce', 5000, () => (found.length ? true : undefined), 20);
      expect(found.map((f) => [f.method, f.recipient])).toEqual([['dsn_message_id', 'henry@customer.test']]);
    } finally {
      await w.stop();
    }
  });

  it('no Sent folder: said once in the log and the status; bounces of unknown messages are unmatched, not guessed', async () => {
    await dovecot.append(user('nosent'), [{ folder: 'INBOX', raw: inboxFixture('dsn-postfix.eml'), date: dateOf(inboxFixture('dsn-postfix.eml')) }]);
    const before = logText.split('INBOX_SENT_FOLDER_MISSING').length;
    const { w, found } = watcher('nosent');
    expect((await w.syncOnce()).ok).toBe(true);
    expect((await w.syncOnce()).ok).toBe(true);
    expect(w.status().sentFolder).toBeNull();
    expect(found).toEqual([]);
    expect(w.status().counters.skipped.unmatched).toBe(1);
    expect(logText.split('INBOX_SENT_FOLDER_MISSING').length - before).toBe(1);
  });

  it('XOAUTH2 against Dovecot\'s oauth2 passdb: a valid token logs in; an expired one is token_rejected', async () => {
    await dovecot.append(user('tokenuser'), [
      { folder: 'Sent', raw: inboxFixture('sent-quote.eml'), date: dateOf(inboxFixture('sent-quote.eml')) },
      { folder: 'INBOX', raw: inboxFixture('dsn-postfix.eml'), date: dateOf(inboxFixture('dsn-postfix.eml')) },
    ]);
    introspected = [];
    const good = watcher('tokenuser', { secret: { kind: 'xoauth2', accessToken: GOOD_TOKEN } });
    const r = await good.w.syncOnce();
    expect(r.ok).toBe(true);
    expect(introspected).toContain(GOOD_TOKEN); // the server really asked the token validator
    expect(good.found.map((f) => [f.method, f.recipient])).toEqual([['dsn_message_id', 'bob@customer.test']]);
    const expired = watcher('tokenuser', { secret: { kind: 'xoauth2', accessToken: EXPIRED_TOKEN } });
    const bad = await expired.w.syncOnce();
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.code).toBe('token_rejected');
    expect(introspected).toContain(EXPIRED_TOKEN);
  });

  it('TLS: implicit TLS and STARTTLS with the server\'s certificate trusted; an untrusted certificate is tls_failed', async () => {
    const implicit = watcher('alice', { account: { port: dovecot.tlsPort, tls: 'implicit', ca: dovecot.cert } });
    expect((await implicit.w.syncOnce()).ok).toBe(true);
    const starttls = watcher('alice', { account: { tls: 'starttls', ca: dovecot.cert } });
    expect((await starttls.w.syncOnce()).ok).toBe(true);
    const untrusted = watcher('alice', { account: { port: dovecot.tlsPort, tls: 'implicit' } });
    const r = await untrusted.w.syncOnce();
    expect(!r.ok && r.error.code).toBe('tls_failed');
  });

  it('cleartext is refused for a host off loopback at registration', () => {
    expect(() => watcher('alice', { account: { host: 'imap.example.com' } })).toThrow(/loopback/);
  });
});

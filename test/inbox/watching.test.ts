// The daemon's inbox service watching (issue #17 round 4): on a real Dovecot and a real SQLite
// store, with no scheduled sync to fall back on (pollIntervalSeconds far away), a bounce
// delivered while the service runs is recorded within seconds through IDLE; a server without
// IDLE is polled on the held connection; at most inboxes.maxConnections IMAP connections are
// open at any time (each inbox reached through its own counting TCP relay on loopback), the
// inboxes beyond it synced in turn; a wrong password is the inbox's status and /readyz's note
// and gives its connection back; two nodes on one store: one watches, the other takes over
// once the first dies and its lease lapses; stop() closes every IDLE connection at once.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxReadiness } from '../../src/inbox/daemon.js';
import { credentialKeys, InboxService, registerInbox, type InboxServiceOptions } from '../../src/inbox/service.js';
import { buildPipeline, type Built } from '../../src/pipeline/build.js';
import type { Config } from '../../src/config/schema.js';
import { dovecotMissing, startDovecot, type Dovecot, type DovecotUser } from '../helpers/dovecot.js';
import { inCI, testConfig } from '../helpers/env.js';
import { relay, type Relay } from '../helpers/imap-relay.js';
import { waitFor } from '../helpers/wait.js';
import { dateOf, inboxFixture, INBOX_FILES, SENT_FILES } from '../helpers/inbox-fixtures.js';

const missing = dovecotMissing();
if (missing && !inCI) console.warn(`SKIPPED: inbox watching tests: ${missing}`);
if (missing && inCI) throw new Error(`CI must run the inbox watching tests: ${missing}`);

const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'fay', 'gus'] as const;
const USERS = Object.fromEntries(NAMES.map((name) => [name, { name, password: `pw-${name}-${randomBytes(6).toString('hex')}` }])) as Record<(typeof NAMES)[number], DovecotUser>;
const KEY = randomBytes(32).toString('hex');
const item = (folder: string, file: string) => ({ folder, raw: inboxFixture(file), date: dateOf(inboxFixture(file)) });
const SEED = [...SENT_FILES.map((f) => item('Sent', f)), item('Sent', 'sent-idle.eml'), ...INBOX_FILES.map((f) => item('INBOX', f))];
/** Another report of a sent message (sent-quote.eml), as a new message of its own. */
const anotherDsn = (tag: string) => Buffer.from(inboxFixture('dsn-postfix.eml').toString('latin1').replace('20261116090005.03EF221699B@mta.test', `${tag}@mta.test`), 'latin1');

let logText = '';
const log = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => ((logText += c), cb()) }));

/** The most connections open at once over all relays, sampled every 5 ms while `fn` runs. */
async function peakOver(relays: Relay[], fn: () => Promise<void>): Promise<number> {
  let peak = 0;
  const t = setInterval(() => (peak = Math.max(peak, relays.reduce((n, r) => n + r.open, 0))), 5);
  try {
    await fn();
  } finally {
    clearInterval(t);
  }
  return Math.max(peak, relays.reduce((n, r) => n + r.open, 0));
}

describe.skipIf(Boolean(missing))('the inbox service watching (IDLE, connections, leases) on a real Dovecot', () => {
  let dovecot: Dovecot;
  let config: Config;
  let built: Built;
  const relays: Relay[] = [];
  const services: InboxService[] = [];

  beforeAll(async () => {
    dovecot = await startDovecot({ users: Object.values(USERS) });
    for (const u of Object.values(USERS)) await dovecot.append(u, SEED);
    // no scheduled sync would come within a test: only IDLE (or a watcher's own poll) finds new mail
    config = testConfig({ inboxes: { credentialKey: KEY, pollIntervalSeconds: 3600 } });
    built = await buildPipeline(config);
    await built.store.accounts.insert({ id: 'acme', name: null, tier: 'starter', profile: 'default', contactEmail: null }, Date.now());
  }, 90_000);

  afterAll(async () => {
    for (const s of services) await s.stop();
    for (const r of relays) await r.close();
    await built?.store.close();
    await dovecot?.stop();
    for (const u of Object.values(USERS)) expect(logText).not.toContain(u.password);
  });

  const service = (over: Partial<InboxServiceOptions> & { inboxes?: Partial<Config['inboxes']> } = {}) => {
    const { inboxes, ...rest } = over;
    const s = new InboxService({
      store: built.store, rules: built.rules, log, config: { ...config.inboxes, ...inboxes },
      reconcileMs: 100, leaseMs: 1500, watcher: { backoff: { baseMs: 100, credentialsRetryMs: 600_000 } }, ...rest,
    });
    services.push(s);
    return s;
  };
  /** Registers `user`'s inbox, reached through a relay of its own (to `host`: 127.0.0.2 offers no IDLE). */
  const add = async (user: DovecotUser, o: { password?: string; host?: string } = {}) => {
    const r = await relay(o.host ?? '127.0.0.1', dovecot.port, relays);
    const res = await registerInbox(built.store, credentialKeys(config.inboxes), { accountId: 'acme', host: '127.0.0.1', port: r.port, tls: 'none', user: user.name, secret: { kind: 'password', password: o.password ?? user.password } }, Date.now());
    if (!res.ok) throw new Error(res.message);
    return { id: res.inbox.id, relay: r };
  };
  const bouncesOf = async (id: string) => (await built.store.inboxes.bounces(id)).length;
  const statusOf = (s: InboxService, id: string) => s.statuses().find((x) => x.inboxId === id);

  it('IDLE: a bounce delivered while the service runs is recorded within seconds, without a scheduled sync', async () => {
    const { id, relay: r } = await add(USERS.alice);
    const svc = service({ node: 'node-1' });
    svc.start();
    await waitFor('the first sync', 10_000, async () => ((await bouncesOf(id)) === 4 ? true : undefined), 20);
    await waitFor('idle', 10_000, () => (statusOf(svc, id)?.state === 'idle' ? true : undefined), 20);
    expect(statusOf(svc, id)?.mode).toBe('idle');
    expect((await built.store.inboxes.get(id))!.lease?.node).toBe('node-1');
    const t0 = Date.now();
    await dovecot.append(USERS.alice, [item('INBOX', 'dsn-idle.eml')]);
    await waitFor('the new bounce', 5000, async () => ((await bouncesOf(id)) === 5 ? true : undefined), 20);
    expect(Date.now() - t0).toBeLessThan(5000);
    const rows = await built.store.inboxes.bounces(id);
    expect(rows.find((b) => b.sentMessageId === 'pricing.5e07@sales.test')).toMatchObject({ method: 'dsn_message_id', recipient: 'henry@customer.test' });
    // one connection all along: the same one waited in IDLE and read the new message
    expect(r.total).toBe(1);
    expect(r.open).toBe(1);
    const rec = (await built.store.inboxes.get(id))!;
    expect(rec.status).toMatchObject({ state: 'ok', errorCode: null });
    expect(rec.status.counters).toMatchObject({ scanned: 9, bounces: { dsn_message_id: 3 } });
    // POST .../sync on a watched inbox: a sync on the watcher's connection, answered once stored
    const out = await svc.syncNow(id);
    expect(out?.ok).toBe(true);
    expect(r.total).toBe(1);
    expect((await built.store.inboxes.get(id))!.status.counters).toMatchObject({ syncs: out!.status.counters.syncs });
    // asked again while a sync runs: answered by the next one, not left waiting for an IDLE renewal (10 min)
    const first = svc.syncNow(id);
    await waitFor('syncing', 2000, () => (statusOf(svc, id)?.state === 'syncing' ? true : undefined), 1);
    const t1 = Date.now();
    const [o1, o2] = await Promise.all([first, svc.syncNow(id)]);
    expect(Date.now() - t1).toBeLessThan(3000);
    expect(o2!.status.counters.syncs).toBeGreaterThan(o1!.status.counters.syncs);
    await svc.stop();
    await waitFor('closed', 1000, () => (r.open === 0 ? true : undefined), 10);
    // stopped: the lease is given back, for another node to take at once
    expect((await built.store.inboxes.get(id))!.lease).toBeNull();
    await built.store.inboxes.update('acme', id, { enabled: false });
  });

  it('a server without IDLE is polled on the connection the watcher holds', async () => {
    const { id, relay: r } = await add(USERS.bob, { host: '127.0.0.2' });
    const svc = service({ inboxes: { pollIntervalSeconds: 1 } });
    svc.start();
    await waitFor('polling', 10_000, () => (statusOf(svc, id)?.state === 'polling' ? true : undefined), 20);
    expect(statusOf(svc, id)?.mode).toBe('poll');
    expect(await bouncesOf(id)).toBe(4);
    await dovecot.append(USERS.bob, [{ folder: 'INBOX', raw: anotherDsn('bob-polled') }]);
    await waitFor('the polled bounce', 5000, async () => ((await bouncesOf(id)) === 5 ? true : undefined), 20);
    expect(r.total).toBe(1);
    await svc.stop();
    await built.store.inboxes.update('acme', id, { enabled: false });
  });

  it('at most maxConnections IMAP connections; the inboxes beyond them are synced in turn', async () => {
    const added: { id: string; relay: Relay; user: DovecotUser }[] = [];
    for (const u of [USERS.carol, USERS.dave, USERS.erin, USERS.fay]) added.push({ ...(await add(u)), user: u });
    const mine = relays.filter((r) => added.some((a) => a.relay === r));
    const svc = service({ inboxes: { maxConnections: 2, pollIntervalSeconds: 1 } });
    const peak = await peakOver(mine, async () => {
      svc.start();
      // every inbox synced: each one's four bounces found
      await waitFor('all four inboxes synced', 20_000, async () => ((await Promise.all(added.map((a) => bouncesOf(a.id)))).every((n) => n === 4) ? true : undefined), 50);
      // one is watched (IDLE on its own connection), the others take turns on the one left
      await waitFor('one idle', 10_000, () => (added.some((a) => statusOf(svc, a.id)?.state === 'idle') ? true : undefined), 20);
      const watched = added.filter((a) => statusOf(svc, a.id)?.state === 'idle');
      expect(watched.length).toBe(1);
      const turns = added.filter((a) => !watched.includes(a));
      // and in turn again: each polled inbox's stored last sync moves on (1 s interval)
      const firstSyncs = await Promise.all(turns.map(async (a) => (await built.store.inboxes.get(a.id))!.status.lastSyncAt ?? 0));
      await waitFor('a second round', 15_000, async () => ((await Promise.all(turns.map(async (a, k) => ((await built.store.inboxes.get(a.id))!.status.lastSyncAt ?? 0) > firstSyncs[k]!))).every(Boolean) ? true : undefined), 100);
      // a bounce for a polled inbox arrives: found at its next turn
      const polled = turns[0]!;
      await dovecot.append(polled.user, [{ folder: 'INBOX', raw: anotherDsn('in-turn') }]);
      await waitFor('the bounce of a polled inbox', 15_000, async () => ((await bouncesOf(polled.id)) === 5 ? true : undefined), 100);
    });
    expect(peak).toBeLessThanOrEqual(2);
    expect(peak).toBeGreaterThanOrEqual(1);
    // the watched inbox kept its one connection; the others each connected several times
    expect(mine.filter((r) => r.total === 1).length).toBe(1);
    await svc.stop();
    for (const a of added) await built.store.inboxes.update('acme', a.id, { enabled: false });
  });

  it('a wrong password: auth_failed in the stored status and /readyz, its connection given back, not retried before its back-off', async () => {
    const good = await add(USERS.gus);
    const bad = await add(USERS.gus, { password: 'not-the-password' });
    const svc = service({ node: 'node-1' });
    svc.start();
    await waitFor('the error state', 10_000, async () => ((await built.store.inboxes.get(bad.id))!.status.state === 'error' ? true : undefined), 20);
    const rec = (await built.store.inboxes.get(bad.id))!;
    expect(rec.status).toMatchObject({ state: 'error', errorCode: 'auth_failed', failures: 1 });
    expect(rec.status.nextAttemptAt! - Date.now()).toBeGreaterThan(500_000);
    const ready = await inboxReadiness(built.store);
    expect(ready.ok).toBe(true);
    expect(ready.detail).toMatchObject({ inError: 1, inboxes: [expect.objectContaining({ id: bad.id, code: 'auth_failed' })] });
    // unwatched, its lease given back; reconciles go on (every 100 ms) without another login try
    await waitFor('unwatched', 5000, async () => ((await built.store.inboxes.get(bad.id))!.lease === null ? true : undefined), 20);
    await new Promise((r) => setTimeout(r, 1000));
    expect(bad.relay.total).toBe(1);
    expect(bad.relay.open).toBe(0);
    // the good one of the same server is watched all along
    await waitFor('the good one idle', 10_000, () => (statusOf(svc, good.id)?.state === 'idle' ? true : undefined), 20);
    await svc.stop();
    for (const a of [good, bad]) await built.store.inboxes.update('acme', a.id, { enabled: false });
  });

  it('two nodes on one store: one watches; the other takes over once the first dies and its lease lapses', async () => {
    await built.store.inboxes.update('acme', (await built.store.inboxes.list()).find((i) => i.user === 'alice')!.id, { enabled: true });
    const alice = (await built.store.inboxes.list()).find((i) => i.user === 'alice')!;
    const r = relays[0]!;
    const openBefore = r.total;
    const a = service({ node: 'node-a' });
    const b = service({ node: 'node-b' });
    a.start();
    b.start();
    await waitFor('one node watching', 10_000, () => (statusOf(a, alice.id)?.state === 'idle' || statusOf(b, alice.id)?.state === 'idle' ? true : undefined), 20);
    // a while later (many reconciles of both, many lease renewals): still one watcher, one connection
    await new Promise((res) => setTimeout(res, 2000));
    const [holder, other] = statusOf(a, alice.id)?.state === 'idle' ? [a, b] : [b, a];
    expect(statusOf(other, alice.id)).toBeUndefined();
    expect(r.total - openBefore).toBe(1);
    expect(r.open).toBe(1);
    const first = (await built.store.inboxes.get(alice.id))!.lease!.node;
    // the holder dies (its connection gone, its lease left to lapse): the other takes over within the lease
    const t0 = Date.now();
    await holder.abandon();
    await waitFor('the takeover', 10_000, () => (statusOf(other, alice.id)?.state === 'idle' ? true : undefined), 20);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1000); // not before the lease (1.5 s) ran out
    expect(took).toBeLessThan(5000);
    expect((await built.store.inboxes.get(alice.id))!.lease!.node).not.toBe(first);
    // and the new watcher finds new mail by IDLE
    const before = await bouncesOf(alice.id);
    await dovecot.append(USERS.alice, [{ folder: 'INBOX', raw: anotherDsn('after-takeover') }]);
    await waitFor('the bounce after the takeover', 5000, async () => ((await bouncesOf(alice.id)) === before + 1 ? true : undefined), 20);
    await other.stop();
  });

  it('stop() closes every IDLE connection at once', async () => {
    const ids = (await built.store.inboxes.list()).filter((i) => i.user !== 'gus' && i.user !== 'bob').map((i) => i.id);
    for (const id of ids) await built.store.inboxes.update('acme', id, { enabled: true });
    const svc = service({ inboxes: { maxConnections: 10 } });
    svc.start();
    await waitFor('all idle', 15_000, () => (ids.every((id) => statusOf(svc, id)?.state === 'idle') ? true : undefined), 20);
    expect(relays.reduce((n, r) => n + r.open, 0)).toBe(ids.length);
    const t0 = Date.now();
    await svc.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    await waitFor('closed', 1000, () => (relays.every((r) => r.open === 0) ? true : undefined), 10);
    for (const id of ids) expect((await built.store.inboxes.get(id))!.lease).toBeNull();
  });

  it('IDLE is renewed on its timer (RFC 2177: before 29 minutes) on the same connection', async () => {
    const carol = (await built.store.inboxes.list()).find((i) => i.user === 'carol')!;
    for (const i of await built.store.inboxes.list()) await built.store.inboxes.update('acme', i.id, { enabled: i.id === carol.id });
    const r = relays.find((x) => x.port === carol.port)!;
    const before = r.total;
    const svc = service({ watcher: { idleRenewMs: 200 } });
    svc.start();
    await waitFor('idle', 10_000, () => (statusOf(svc, carol.id)?.state === 'idle' ? true : undefined), 20);
    const syncs = statusOf(svc, carol.id)!.counters.syncs;
    await new Promise((res) => setTimeout(res, 1500));
    // left IDLE (DONE), re-synced (which also reads new Sent mail), entered IDLE again: several times, one connection
    expect(statusOf(svc, carol.id)!.counters.syncs - syncs).toBeGreaterThanOrEqual(3);
    expect(r.total - before).toBe(1);
    expect(statusOf(svc, carol.id)!.error).toBeNull();
    await svc.stop();
  });
});

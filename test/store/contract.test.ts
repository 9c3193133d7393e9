// The store contract suite (src/store/contract.ts): ONE set of tests run against every
// backend (SQLite in a temporary directory, a real PostgreSQL from test/helpers/postgres.ts),
// then one scenario run on both whose every read must be equal: any difference between the
// backends fails here.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthOf, monthOfDay, parseMessageRef, utcDay, type Channel, type DeliveryState, type Figures } from '../../src/domain/index.js';
import type { Evidence, FailureInput, IncomingMessage, Store } from '../../src/store/contract.js';
import { StoreError } from '../../src/store/contract.js';
import { failureCounts } from '../../src/store/counting.js';
import { connectStore, isPostgresUrl } from '../../src/store/connect.js';
import { pgMigrations } from '../../src/store/postgres/migrations.js';
import { openPostgres } from '../../src/store/postgres/open.js';
import { sqliteMigrations } from '../../src/store/sqlite/migrations.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import { inCI, tmpDir } from '../helpers/env.js';
import { postgresMissing, startPostgres, type PgServer } from '../helpers/postgres.js';
import { rejects } from '../helpers/store-backends.js';
import { rng } from '../../scripts/prng.mjs';

interface Backend {
  name: 'sqlite' | 'postgres';
  /** A new, empty, migrated database: `a` and `b` are two connections (pools) to it. */
  fresh(): Promise<{ a: Store; b: Store }>;
}

const opened: Store[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of opened) await s.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sqlite: Backend = {
  name: 'sqlite',
  async fresh() {
    const dir = tmpDir('store-contract-');
    dirs.push(dir);
    const a = openSqlite({ dataDir: dir }, { busyTimeoutMs: 10_000 });
    const b = openSqlite({ file: join(dir, 'bounced.db') }, { busyTimeoutMs: 10_000 });
    opened.push(a, b);
    return { a, b };
  },
};

const pgMissing = postgresMissing();
if (pgMissing && !inCI) console.warn(`SKIPPED: the PostgreSQL half of test/store/contract.test.ts: ${pgMissing}`);
let server: PgServer | null = null;
let dbs = 0;
const postgresBackend: Backend = {
  name: 'postgres',
  async fresh() {
    const url = await server!.createDatabase(`c${++dbs}`, 'migrated');
    const a = await openPostgres(url, { max: 6 });
    const b = await openPostgres(url, { max: 6, migrate: false });
    opened.push(a, b);
    return { a, b };
  },
};

const backends: Backend[] = [sqlite, ...(pgMissing && !inCI ? [] : [postgresBackend])];

beforeAll(async () => {
  if (!backends.includes(postgresBackend)) return;
  server = await startPostgres();
  // Every test's database is a copy of one migrated template (CREATE DATABASE ... TEMPLATE).
  const url = await server.createDatabase('migrated');
  const s = await openPostgres(url);
  expect(s.appliedMigrations).toEqual(pgMigrations.map((m) => m.version));
  await s.close();
}, 120_000);
afterAll(() => server?.stop());

// ---------------------------------------------------------------------------------------
// Builders

const JAN = Date.UTC(2026, 0, 10, 12);
const FEB = Date.UTC(2026, 1, 10, 12);

const msg = (over: Partial<IncomingMessage> = {}): IncomingMessage => ({
  receivedAt: JAN,
  source: 'smtp',
  mailFrom: 'MAILER-DAEMON@MX.Example',
  rcptTo: ['B+Token@Bounces.Test'],
  remoteIp: '127.0.0.1',
  helo: 'mx.example',
  raw: Buffer.from('Subject: a report\r\n\r\nbody\r\n'),
  ...over,
});

let keySeq = 0;
const ev = (over: Partial<Evidence> = {}): Evidence => ({
  accountId: 'acme',
  messageId: 'spring/m1',
  recipient: 'Rcpt@Example.COM',
  at: JAN,
  source: 'dsn',
  state: 'hard',
  status: '5.1.1',
  reason: 'userunknown',
  category: 'unknown_user',
  diagnostic: '550 5.1.1 no such user',
  qid: null,
  dedupKey: `k${++keySeq}`,
  countsAsSend: false,
  ...over,
});

const failure = (deliveryId: number, over: Partial<FailureInput> = {}): FailureInput => ({
  deliveryId,
  accountId: 'acme',
  recipient: 'rcpt@example.com',
  channel: 'marketing',
  campaign: 'spring',
  state: 'hard',
  reason: 'userunknown',
  category: 'unknown_user',
  addressReason: true,
  at: JAN,
  ...over,
});

const account = (id: string) => ({ id, name: `Account ${id}`, tier: 'starter' as const, profile: 'default' as const, contactEmail: `Ops@${id}.Example` });

// ---------------------------------------------------------------------------------------

describe.each(backends)('store contract on $name', (backend) => {
  let s: Store;
  let other: Store;
  const fresh = async () => {
    ({ a: s, b: other } = await backend.fresh());
  };

  describe('messages', () => {
    it('stores a batch, lower-cases the envelope, keeps the bytes, counts and lists', async () => {
      await fresh();
      const big = Buffer.alloc(2.5 * 1024 * 1024, 0x61);
      const ids = await s.messages.insert([msg(), msg({ raw: [big.subarray(0, 1000), big.subarray(1000)], source: 'ingest' })]);
      expect(ids).toHaveLength(2);
      expect(ids[1]).toBeGreaterThan(ids[0]!);
      const m = (await s.messages.get(ids[0]!))!;
      expect(m).toMatchObject({ mailFrom: 'mailer-daemon@mx.example', rcptTo: ['b+token@bounces.test'], state: 'received', size: 27, attempts: 0, claimedBy: null, warning: null });
      expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect((await s.messages.raw(ids[1]!))!.equals(big)).toBe(true);
      expect((await s.messages.get(ids[1]!))!.size).toBe(big.length);
      expect(await s.messages.get(9999)).toBeNull();
      expect(await s.messages.raw(9999)).toBeNull();
      expect(await s.messages.counts()).toEqual({ received: 2, processed: 0, unparseable: 0, duplicate: 0 });
      expect((await s.messages.list({ state: 'received', limit: 1 })).map((x) => x.id)).toEqual([ids[0]]);
      expect((await s.messages.list({ after: ids[0]! })).map((x) => x.id)).toEqual([ids[1]]);
      // The claim hands out the head only (all processing reads).
      const claimed = await s.messages.claim('n1', { limit: 10, leaseMs: 60_000, now: JAN });
      expect(claimed.map((c) => c.raw.length)).toEqual([27, 1024 * 1024]);
    });

    it('settles a message once; finds the earliest duplicate by bytes or duplicate key', async () => {
      await fresh();
      const [a, b, c, d] = await s.messages.insert([msg(), msg(), msg({ raw: Buffer.from('other') }), msg({ raw: Buffer.from('third') })]);
      expect(await s.messages.findDuplicate(b!, (await s.messages.get(b!))!.sha256, null)).toBeNull(); // a is not settled yet
      const key = JSON.stringify(['acme', 'm1', 'r@x', '<r1@mx>']);
      expect(
        await s.messages.settle(a!, { state: 'processed', kind: 'bounce', detector: 'rfc3464', reportMessageId: '<r1@mx>', duplicateKey: key, warning: '3 recipients reported, 2 kept' }, JAN),
      ).toBe(true);
      expect(await s.messages.settle(a!, { state: 'unparseable', error: 'late' }, JAN)).toBe(false);
      // Settling counts no attempt: beginAttempts does, before each parse.
      expect((await s.messages.get(a!))!).toMatchObject({ state: 'processed', kind: 'bounce', detector: 'rfc3464', reportMessageId: '<r1@mx>', attempts: 0, processedAt: JAN, warning: '3 recipients reported, 2 kept' });
      expect(await s.messages.findDuplicate(b!, (await s.messages.get(b!))!.sha256, null)).toBe(a);
      expect(await s.messages.findDuplicate(c!, (await s.messages.get(c!))!.sha256, key)).toBe(a);
      // The report Message-ID alone makes nothing a duplicate (anyone can send any Message-ID).
      expect(await s.messages.findDuplicate(c!, (await s.messages.get(c!))!.sha256, '<r1@mx>')).toBeNull();
      expect(await s.messages.findDuplicate(c!, (await s.messages.get(c!))!.sha256, JSON.stringify(['other', 'm1', 'r@x', '<r1@mx>']))).toBeNull();
      expect(await s.messages.settle(b!, { state: 'duplicate', duplicateOf: a!, kind: 'bounce', reportMessageId: '<r1@mx>' }, JAN)).toBe(true);
      expect(await s.messages.settle(d!, { state: 'unparseable', error: 'no report' }, JAN)).toBe(true);
      expect((await s.messages.get(d!))!).toMatchObject({ state: 'unparseable', error: 'no report', kind: null });
      expect(await s.messages.counts()).toEqual({ received: 1, processed: 1, unparseable: 1, duplicate: 1 });
      // Settled messages are never claimed.
      expect((await s.messages.claim('n1', { limit: 10, leaseMs: 1000, now: JAN })).map((m) => m.id)).toEqual([c]);
    });

    it('claims: two claimers never get the same message; a lapsed lease is taken over; release gives back', async () => {
      await fresh();
      const ids = await s.messages.insert(Array.from({ length: 40 }, (_, i) => msg({ raw: Buffer.from(`m${i}`) })));
      const [x, y] = await Promise.all([
        s.messages.claim('node-a', { limit: 25, leaseMs: 60_000, now: JAN }),
        other.messages.claim('node-b', { limit: 25, leaseMs: 60_000, now: JAN }),
      ]);
      const xs = x.map((m) => m.id);
      const ys = y.map((m) => m.id);
      expect(xs.filter((id) => ys.includes(id))).toEqual([]);
      expect([...xs, ...ys].sort((p, q) => p - q)).toEqual(ids);
      expect(x.every((m) => m.claimedBy === 'node-a' && m.claimedUntil === JAN + 60_000)).toBe(true);
      // Nothing left while the leases run; everything once they lapse.
      expect(await s.messages.claim('node-c', { limit: 100, leaseMs: 1000, now: JAN + 59_999 })).toEqual([]);
      const again = await s.messages.claim('node-c', { limit: 100, leaseMs: 1000, now: JAN + 60_000 });
      expect(again.map((m) => m.id)).toEqual(ids);
      expect(await s.messages.release('node-c')).toBe(40);
      expect((await s.messages.claim('node-d', { limit: 5, leaseMs: 1000, now: JAN + 60_001 })).map((m) => m.id)).toEqual(ids.slice(0, 5));
    });

    it('attempts: counted before each parse, taken back, noted; a failure note stays with the message', async () => {
      await fresh();
      const [a, b] = await s.messages.insert([msg(), msg({ raw: Buffer.from('b') })]);
      await s.messages.beginAttempts([a!, b!]);
      await s.messages.beginAttempts([a!]);
      await s.messages.refundAttempts([b!]);
      await s.messages.refundAttempts([b!]); // never below 0
      await s.messages.noteFailedAttempt(a!, 'parse worker crashed (exit 134)');
      expect(await s.messages.get(a!)).toMatchObject({ attempts: 2, error: 'parse worker crashed (exit 134)', state: 'received' });
      expect(await s.messages.get(b!)).toMatchObject({ attempts: 0, error: null });
      await s.messages.settle(a!, { state: 'unparseable', error: 'given up after 2 processing attempts' }, JAN);
      // A settled message's attempts and error no longer move.
      await s.messages.beginAttempts([a!]);
      await s.messages.noteFailedAttempt(a!, 'late');
      expect(await s.messages.get(a!)).toMatchObject({ attempts: 2, error: 'given up after 2 processing attempts', state: 'unparseable' });
      await s.messages.beginAttempts([]);
      await s.messages.refundAttempts([]);
    });

    it('received(ids): the messages still received, with their heads, claimed or not, unclaimed by it', async () => {
      await fresh();
      const [a, b, c] = await s.messages.insert([msg(), msg({ raw: Buffer.from('b') }), msg({ raw: Buffer.from('c') })]);
      await s.messages.settle(b!, { state: 'unparseable', error: 'x' }, JAN);
      await other.messages.claim('node-a', { limit: 1, leaseMs: 60_000, now: JAN });
      const got = await s.messages.received([c!, b!, a!, 9999]);
      expect(got.map((m) => m.id)).toEqual([c, a]);
      expect(got[1]!.raw.toString()).toBe('Subject: a report\r\n\r\nbody\r\n');
      expect(got[1]!.claimedBy).toBe('node-a');
      expect(await s.messages.received([])).toEqual([]);
    });

    it('claims: a node takes back its own claims (a restart, a retry); release gives back some or all', async () => {
      await fresh();
      const ids = await s.messages.insert(Array.from({ length: 4 }, (_, i) => msg({ raw: Buffer.from(`m${i}`) })));
      expect((await s.messages.claim('node-a', { limit: 3, leaseMs: 60_000, now: JAN })).map((m) => m.id)).toEqual(ids.slice(0, 3));
      // Another node gets only what is left; node-a itself gets its own again.
      expect((await other.messages.claim('node-b', { limit: 10, leaseMs: 60_000, now: JAN + 1 })).map((m) => m.id)).toEqual([ids[3]]);
      expect((await s.messages.claim('node-a', { limit: 10, leaseMs: 60_000, now: JAN + 2 })).map((m) => m.id)).toEqual(ids.slice(0, 3));
      expect(await s.messages.release('node-a', [ids[0]!, ids[3]!])).toBe(1); // ids[3] is node-b's
      expect(await s.messages.release('node-a', [])).toBe(0);
      expect((await other.messages.claim('node-c', { limit: 10, leaseMs: 60_000, now: JAN + 3 })).map((m) => m.id)).toEqual([ids[0]]);
      expect(await s.messages.release('node-a')).toBe(2);
      expect(await s.messages.release('node-b')).toBe(1);
    });

    it('claims about maxBytes of heads, always at least one message', async () => {
      await fresh();
      await s.messages.insert([msg({ raw: Buffer.alloc(600) }), msg({ raw: Buffer.alloc(600) }), msg({ raw: Buffer.alloc(600) })]);
      expect(await s.messages.claim('n', { limit: 10, leaseMs: 1000, now: JAN, maxBytes: 1000 })).toHaveLength(2);
      expect(await s.messages.claim('n', { limit: 10, leaseMs: 1000, now: JAN, maxBytes: 1 })).toHaveLength(1);
    });
  });

  describe('bounces', () => {
    it('inserts, gets, lists by every filter, gives a bounce its evidence', async () => {
      await fresh();
      const [m] = await s.messages.insert([msg()]);
      const base = {
        createdAt: JAN, accountId: 'acme', messageId: 'spring/m1', kind: 'bounce' as const, action: 'failed', status: '5.1.1',
        reason: 'userunknown', hardbounce: true, category: 'unknown_user' as const, type: 'hard' as const, rule: 'status.5.1.1',
        detector: 'rfc3464', replyCode: 550, diagnostic: '550 no', remoteMta: 'mx.example', reportingMta: 'mta.test',
        originalMessageId: '<o@x>', feedbackType: null, verified: true, reportedRecipient: null, warning: null,
      };
      const b1 = await s.bounces.insert(m!, { ...base, recipient: 'One@Example.com' });
      const b3 = await s.bounces.insert(m!, { ...base, recipient: 'Alias@Example.com', reportedRecipient: 'Target@Example.ORG', warning: 'diagnostic cut to 1000 of 5234 characters', createdAt: FEB - 1 });
      expect(await s.bounces.get(b3)).toMatchObject({ recipient: 'alias@example.com', reportedRecipient: 'target@example.org', warning: 'diagnostic cut to 1000 of 5234 characters' });
      const b2 = await s.bounces.insert(m!, { ...base, recipient: 'two@example.com', accountId: null, messageId: null, verified: false, type: 'soft', category: 'temporary', reason: 'expired', hardbounce: false, createdAt: FEB });
      expect(await s.bounces.get(b1)).toEqual({ ...base, id: b1, messageRow: m, recipient: 'one@example.com' });
      expect(await s.bounces.get(9999)).toBeNull();
      // A message's records in the order written; a record's classification rewritten (reclassify), nothing else.
      expect((await s.bounces.ofMessage(m!)).map((b) => b.id)).toEqual([b1, b3, b2]);
      expect(await s.bounces.ofMessage(9999)).toEqual([]);
      const to = { reason: 'mailboxfull', category: 'mailbox_full', type: 'soft', hardbounce: false, rule: 'new.rule' } as const;
      expect(await s.bounces.reclassify(b3, to)).toBe(true);
      expect(await s.bounces.reclassify(9999, to)).toBe(false);
      const b3now = (await s.bounces.get(b3))!;
      expect(b3now).toMatchObject(to);
      expect(b3now).toMatchObject({ recipient: 'alias@example.com', warning: 'diagnostic cut to 1000 of 5234 characters', createdAt: FEB - 1 });
      await s.bounces.reclassify(b3, { reason: base.reason, category: base.category, type: base.type, hardbounce: base.hardbounce, rule: base.rule });
      const ids = async (q: Parameters<Store['bounces']['list']>[0]) => (await s.bounces.list(q)).map((b) => b.id);
      expect(await ids({})).toEqual([b1, b3, b2]);
      expect(await ids({ accountId: 'acme' })).toEqual([b1, b3]);
      expect(await ids({ recipient: 'ONE@example.com' })).toEqual([b1]);
      expect(await ids({ type: 'soft' })).toEqual([b2]);
      expect(await ids({ category: 'unknown_user' })).toEqual([b1, b3]);
      expect(await ids({ reason: 'expired' })).toEqual([b2]);
      expect(await ids({ since: FEB })).toEqual([b2]);
      expect(await ids({ after: b3 })).toEqual([b2]);
      expect(await ids({ limit: 1 })).toEqual([b1]);
      const change = (await s.deliveries.applyEvidence(ev(), b1, JAN))!;
      const evs = await s.bounces.evidence(b1);
      expect(evs).toHaveLength(1);
      expect(evs[0]).toMatchObject({ deliveryId: change.deliveryId, bounceId: b1, source: 'dsn', state: 'hard' });
      expect(await s.bounces.evidence(b2)).toEqual([]);
    });
  });

  describe('deliveries', () => {
    it('moves forward only, records evidence once, keeps the earliest deferral, counts a send once', async () => {
      await fresh();
      const first = (await s.deliveries.applyEvidence(ev({ state: 'pending', at: JAN + 5000, status: '4.2.0', reason: 'mailboxfull', countsAsSend: true, source: 'log', qid: 'Q1' }), null, JAN + 10))!;
      expect(first).toMatchObject({ previous: null, state: 'pending', sendCounted: true });
      expect(first.delivery).toMatchObject({ recipient: 'rcpt@example.com', pendingSince: JAN + 5000, attempts: 1, firstAt: JAN + 5000, lastAt: JAN + 5000, updatedAt: JAN + 10 });
      // An earlier deferral read late moves the window's start back; a second log line counts no send.
      const second = (await s.deliveries.applyEvidence(ev({ state: 'pending', at: JAN, countsAsSend: true, source: 'log', qid: 'Q1' }), null, JAN + 20))!;
      expect(second).toMatchObject({ previous: 'pending', state: 'pending', sendCounted: false });
      expect(second.delivery).toMatchObject({ pendingSince: JAN, firstAt: JAN, lastAt: JAN + 5000, attempts: 2 });
      expect((await s.deliveries.pendingByQid('Q1')).map((d) => d.id)).toEqual([first.deliveryId]);
      expect((await s.deliveries.duePending(JAN)).map((d) => d.id)).toEqual([first.deliveryId]);
      expect(await s.deliveries.duePending(JAN - 1)).toEqual([]);
      const hard = (await s.deliveries.applyEvidence(ev({ state: 'hard', at: JAN + 9000 }), null, JAN + 30))!;
      expect(hard).toMatchObject({ previous: 'pending', state: 'hard' });
      expect(hard.delivery).toMatchObject({ status: '5.1.1', reason: 'userunknown' });
      // A late deferral and a delivery change nothing but the evidence and attempts.
      const late = (await s.deliveries.applyEvidence(ev({ state: 'delivered', status: '2.0.0', reason: 'delivered', at: JAN + 9500 }), null, JAN + 40))!;
      expect(late).toMatchObject({ previous: 'hard', state: 'hard' });
      expect(late.delivery).toMatchObject({ status: '5.1.1', reason: 'userunknown', attempts: 4 });
      // The window's expiry is evidence without an attempt.
      const windowEv = (await s.deliveries.applyEvidence(ev({ source: 'window', state: 'soft' }), null, JAN + 50))!;
      expect(windowEv.delivery.attempts).toBe(4);
      // The same dedup key again: nothing.
      const dup = ev({ dedupKey: 'same' });
      expect(await s.deliveries.applyEvidence(dup, null, JAN)).not.toBeNull();
      expect(await s.deliveries.applyEvidence({ ...dup, state: 'delivered' }, null, JAN)).toBeNull();
      expect((await s.deliveries.evidence(first.deliveryId)).map((e) => e.state)).toEqual(['pending', 'pending', 'hard', 'delivered', 'soft', 'hard']);
      expect(await s.sends.list('acme')).toEqual([{ accountId: 'acme', day: utcDay(JAN + 5000), count: 1 }]);
      expect((await s.counters.month('acme', monthOf(JAN), 'marketing')).sends).toBe(1);
      const listed = await s.deliveries.list({ accountId: 'acme' });
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ id: first.deliveryId, state: 'hard', evidenceCount: 6 });
      expect(await s.deliveries.list({ state: 'pending' })).toEqual([]);
      // since / until select by the first evidence's time (the exports' date filter)
      expect((await s.deliveries.list({ since: listed[0]!.firstAt })).map((d) => d.id)).toContain(first.deliveryId);
      expect((await s.deliveries.list({ since: listed[0]!.firstAt + 1 })).map((d) => d.id)).not.toContain(first.deliveryId);
      expect((await s.deliveries.list({ until: listed[0]!.firstAt + 1 })).map((d) => d.id)).toContain(first.deliveryId);
      expect((await s.deliveries.list({ until: listed[0]!.firstAt })).map((d) => d.id)).not.toContain(first.deliveryId);
      expect((await s.deliveries.find('acme', 'spring/m1', 'RCPT@example.com'))!.id).toBe(first.deliveryId);
      expect(await s.deliveries.find('acme', 'spring/m2', 'rcpt@example.com')).toBeNull();
    });

    it('every order of the same evidence ends in the same state (pending < delivered < soft < hard)', async () => {
      await fresh();
      const rank: DeliveryState[] = ['pending', 'delivered', 'soft', 'hard'];
      const cases: DeliveryState[][] = [
        ['pending', 'delivered'], ['delivered', 'pending'], ['soft', 'delivered'], ['delivered', 'soft'],
        ['soft', 'pending', 'delivered'], ['hard', 'soft'], ['pending', 'soft', 'hard', 'delivered'], ['pending'],
      ];
      for (const [n, order] of cases.entries()) {
        for (const st of order) await s.deliveries.applyEvidence(ev({ messageId: `o${n}`, state: st }), null, JAN);
      }
      for (const [n, order] of cases.entries()) {
        const want = rank[Math.max(...order.map((x) => rank.indexOf(x)))]!;
        expect((await s.deliveries.find('acme', `o${n}`, 'rcpt@example.com'))!.state, order.join(' then ')).toBe(want);
      }
      await s.deliveries.applyEvidence(ev({ messageId: 'p', state: 'delivered' }), null, JAN);
      expect((await s.deliveries.applyEvidence(ev({ messageId: 'p', state: 'pending' }), null, JAN))!.state).toBe('delivered');
      expect((await s.deliveries.applyEvidence(ev({ messageId: 'p', state: 'soft' }), null, JAN))!.state).toBe('soft');
    });
  });

  describe('accounts, state, campaigns, sends', () => {
    it('accounts: insert, get, list, exists, update; a duplicate id is a conflict', async () => {
      await fresh();
      await s.accounts.insert(account('b2'), JAN);
      await s.accounts.insert(account('a1'), JAN);
      expect(await s.accounts.get('a1')).toEqual({ id: 'a1', name: 'Account a1', tier: 'starter', profile: 'default', contactEmail: 'ops@a1.example', createdAt: JAN });
      expect((await s.accounts.list()).map((a) => a.id)).toEqual(['a1', 'b2']);
      expect(await s.accounts.exists('a1')).toBe(true);
      expect(await s.accounts.exists('zz')).toBe(false);
      expect((await rejects(s.accounts.insert(account('a1'), JAN))).code).toBe('conflict');
      expect(await s.accounts.update({ ...account('a1'), tier: 'enterprise', profile: 'conservative', contactEmail: null }, FEB)).toBe(true);
      expect(await s.accounts.update({ ...account('zz') }, FEB)).toBe(false);
      expect(await s.accounts.get('a1')).toMatchObject({ tier: 'enterprise', profile: 'conservative', contactEmail: null });
      expect((await rejects(s.accounts.insert({ ...account('c3'), tier: 'gold' as never }, JAN))).code).toBe('invalid');
    });

    it('policy state: the default until saved, then every field as saved', async () => {
      await fresh();
      expect(await s.accounts.state('acme')).toMatchObject({ marketing: 'ok', oneToOne: 'ok', review: 'none', baseline: null, updatedAt: 0 });
      const st = {
        marketing: 'suspended' as const, suspension: 'rates', suspensionDetail: 'hard-bounce rate 9 %', suspendedAt: JAN,
        oneToOne: 'suspended' as const, oneToOneSuspension: 'admin', oneToOneSuspendedAt: JAN + 1, review: 'submitted' as const,
        reviewForm: { contactsSource: 'signup', n: 2 }, baseline: { month: '2026-01', figures: { sends: 5, hardBounces: 1, complaints: 0, unsubscribes: 0, senderFailures: 0, cancelledCampaigns: 0, blocklistings: 0 } },
        warned: { month: '2026-01', causes: ['hard_bounce_rate'] }, updatedAt: 0,
      };
      await s.accounts.saveState('acme', st, FEB);
      expect(await s.accounts.state('acme')).toEqual({ ...st, updatedAt: FEB });
    });

    it('campaigns: ensure, sends, planned, cancel once (the month counts it)', async () => {
      await fresh();
      expect(await s.campaigns.get('acme', 'spring')).toBeNull();
      await s.campaigns.addSends('acme', 'spring', 3, JAN);
      await s.campaigns.addSends('acme', 'spring', 2, JAN + 1);
      await s.campaigns.setPlanned('acme', 'spring', 1000, JAN);
      await s.campaigns.ensure('acme', 'spring', FEB);
      await s.campaigns.setPlanned('acme', 'autumn', 50, JAN);
      expect(await s.campaigns.get('acme', 'spring')).toEqual({ accountId: 'acme', campaign: 'spring', planned: 1000, sends: 5, state: 'active', cancelledAt: null, createdAt: JAN });
      expect(await s.campaigns.cancel('acme', 'spring', FEB)).toBe(true);
      expect(await s.campaigns.cancel('acme', 'spring', FEB + 1)).toBe(false);
      expect(await s.campaigns.cancel('acme', 'nope', FEB)).toBe(false);
      expect(await s.campaigns.get('acme', 'spring')).toMatchObject({ state: 'cancelled', cancelledAt: FEB });
      expect((await s.counters.month('acme', monthOf(FEB), 'marketing')).cancelledCampaigns).toBe(1);
      expect((await s.counters.month('acme', monthOf(FEB), 'one_to_one')).cancelledCampaigns).toBe(1);
      expect((await s.counters.month('acme', monthOf(JAN), 'marketing')).cancelledCampaigns).toBe(0);
    });

    it('sends: per day, summed into the month', async () => {
      await fresh();
      await s.sends.add('acme', '2026-01-31', 10);
      await s.sends.add('acme', '2026-01-31', 5);
      await s.sends.add('acme', '2026-02-01', 7);
      await s.sends.add('zeta', '2026-01-02', 1);
      expect(await s.sends.list('acme')).toEqual([
        { accountId: 'acme', day: '2026-01-31', count: 15 },
        { accountId: 'acme', day: '2026-02-01', count: 7 },
      ]);
      expect((await s.sends.list()).map((x) => x.accountId)).toEqual(['acme', 'acme', 'zeta']);
      expect((await s.counters.month('acme', '2026-01', 'marketing')).sends).toBe(15);
      expect((await s.counters.month('acme', '2026-02', 'one_to_one')).sends).toBe(7);
      expect(await s.counters.activeAccounts('2026-01')).toEqual(['acme', 'zeta']);
    });
  });

  describe('suppressions and the pre-send check', () => {
    it('add once per (address, account, reason), remove, hits own and global, never another account\'s', async () => {
      await fresh();
      expect(await s.suppressions.add('acme', 'X@Example.com', 'hard_bounce', 'delivery:1', JAN)).toBe(true);
      expect(await s.suppressions.add('acme', 'x@example.COM', 'hard_bounce', 'delivery:2', JAN)).toBe(false);
      expect(await s.suppressions.add('acme', 'x@example.com', 'unsubscribe', 'mailto', JAN + 1)).toBe(true);
      expect(await s.suppressions.add('*', 'x@example.com', 'global_bounce', '3 accounts', JAN + 2)).toBe(true);
      expect(await s.suppressions.add('other', 'x@example.com', 'manual', null, JAN)).toBe(true);
      const hits = await s.suppressions.hits('acme', 'X@EXAMPLE.com');
      expect(hits.map((h) => `${h.accountId}:${h.reason}`).sort()).toEqual(['*:global_bounce', 'acme:hard_bounce', 'acme:unsubscribe']);
      expect(hits.find((h) => h.reason === 'hard_bounce')).toEqual({ accountId: 'acme', reason: 'hard_bounce', createdAt: JAN, source: 'delivery:1' });
      const many = await s.suppressions.hitsMany('other', ['x@example.com', 'nobody@example.com', 'X@example.com']);
      expect(many.map((h) => h.map((x) => x.reason).sort())).toEqual([['global_bounce', 'manual'], [], ['global_bounce', 'manual']]);
      // The list travels as one JSON array in SQLite (HITS_MANY_SQL): characters JSON escapes arrive as they were.
      const odd = ['quo"te\\back@example.com', 'tab\tand/slash@example.com', 'ünï@exämple.com'];
      for (const a of odd) expect(await s.suppressions.add('other', a, 'manual', null, JAN)).toBe(true);
      const oddHits = await s.suppressions.hitsMany('other', [...odd, 'quo"te@example.com']);
      expect(oddHits.map((h) => h.map((x) => x.reason))).toEqual([['manual'], ['manual'], ['manual'], []]);
      await Promise.all(odd.map((a) => s.suppressions.remove('other', a, 'manual')));
      expect(await s.suppressions.remove('acme', 'X@example.com', 'hard_bounce')).toBe(true);
      expect(await s.suppressions.remove('acme', 'x@example.com', 'hard_bounce')).toBe(false);
      expect(await s.suppressions.counts()).toEqual({ account: 2, global: 1 });
    });

    it('preSend: account existence, its state, its and the global hits, the campaign, in one read', async () => {
      await fresh();
      expect(await s.suppressions.preSend('ghost', 'a@b.c')).toEqual({
        accountExists: false,
        state: { marketing: 'ok', suspension: null, suspendedAt: null, oneToOne: 'ok', oneToOneSuspension: null, oneToOneSuspendedAt: null, review: 'none', updatedAt: 0 },
        hits: [],
        campaignCancelledAt: null,
      });
      await s.accounts.insert(account('acme'), JAN);
      await s.suppressions.add('acme', 'a@b.c', 'complaint', 'bounce:1', JAN);
      await s.suppressions.add('*', 'a@b.c', 'global_bounce', null, JAN + 1);
      await s.suppressions.add('other', 'a@b.c', 'manual', null, JAN);
      await s.accounts.saveState('acme', { ...(await s.accounts.state('acme')), marketing: 'suspended', suspension: 'rates', suspendedAt: JAN, review: 'required' }, FEB);
      await s.campaigns.ensure('acme', 'spring', JAN);
      await s.campaigns.cancel('acme', 'spring', FEB + 5);
      const r = await s.suppressions.preSend('acme', 'A@B.C', 'spring');
      expect(r.accountExists).toBe(true);
      expect(r.state).toEqual({ marketing: 'suspended', suspension: 'rates', suspendedAt: JAN, oneToOne: 'ok', oneToOneSuspension: null, oneToOneSuspendedAt: null, review: 'required', updatedAt: FEB });
      expect(r.hits.sort((x, y) => x.createdAt - y.createdAt)).toEqual([
        { accountId: 'acme', reason: 'complaint', createdAt: JAN, source: 'bounce:1' },
        { accountId: '*', reason: 'global_bounce', createdAt: JAN + 1, source: null },
      ]);
      expect(r.campaignCancelledAt).toBe(FEB + 5);
      expect((await s.suppressions.preSend('acme', 'a@b.c', 'autumn')).campaignCancelledAt).toBeNull();
      expect((await s.suppressions.preSend('acme', 'a@b.c')).campaignCancelledAt).toBeNull();
      expect((await s.suppressions.preSend('acme', 'clean@b.c')).hits).toEqual([]);
    });

    it('list: scope, reason, since, pages by id', async () => {
      await fresh();
      for (let i = 0; i < 5; i++) await s.suppressions.add('acme', `u${i}@x.test`, i % 2 ? 'manual' : 'import', 'cli', JAN + i);
      await s.suppressions.add('*', 'g@x.test', 'global_bounce', null, JAN);
      await s.suppressions.add('else', 'e@x.test', 'manual', null, JAN);
      const addrs = async (f: Partial<Parameters<Store['suppressions']['list']>[0]>) =>
        (await s.suppressions.list({ accountId: 'acme', limit: 100, ...f })).map((r) => r.address);
      expect(await addrs({})).toEqual(['u0@x.test', 'u1@x.test', 'u2@x.test', 'u3@x.test', 'u4@x.test', 'g@x.test']);
      expect(await addrs({ scope: 'global' })).toEqual(['g@x.test']);
      expect(await addrs({ scope: 'account', reason: 'manual' })).toEqual(['u1@x.test', 'u3@x.test']);
      expect(await addrs({ since: JAN + 3 })).toEqual(['u3@x.test', 'u4@x.test']);
      const page = await s.suppressions.list({ accountId: 'acme', limit: 2 });
      expect(page.map((r) => r.address)).toEqual(['u0@x.test', 'u1@x.test']);
      expect((await s.suppressions.list({ accountId: 'acme', limit: 2, afterId: page[1]!.id })).map((r) => r.address)).toEqual(['u2@x.test', 'u3@x.test']);
      const global = (await s.suppressions.list({ accountId: 'acme', limit: 10, scope: 'global' }))[0]!;
      expect(global).toMatchObject({ accountId: null, reason: 'global_bounce' });
    });
  });

  describe('failures, reports, counters', () => {
    it('a failure counts once, moves between months and states, and leaves the counters equal to the rows', async () => {
      await fresh();
      const d1 = (await s.deliveries.applyEvidence(ev({ recipient: 'a@x' }), null, JAN))!.deliveryId;
      const d2 = (await s.deliveries.applyEvidence(ev({ recipient: 'b@x', messageId: 'o2o:deals/m9' }), null, JAN))!.deliveryId;
      await s.failures.record(failure(d1, { recipient: 'A@x', state: 'soft', reason: 'blocked', category: 'policy', addressReason: false }));
      await s.failures.record(failure(d2, { recipient: 'b@x', channel: 'one_to_one', campaign: 'deals', category: 'spam', reason: 'spamdetected', addressReason: false }));
      let jan = await s.counters.month('acme', '2026-01', 'marketing');
      expect(jan).toMatchObject({ hardBounces: 0, senderFailures: 0, blocklistings: 1 });
      expect(await s.counters.month('acme', '2026-01', 'one_to_one')).toMatchObject({ hardBounces: 1, senderFailures: 1, blocklistings: 0 });
      // soft -> hard, and the later evidence is in February.
      await s.failures.record(failure(d1, { recipient: 'a@x', state: 'hard', reason: 'blocked', category: 'spam', addressReason: false, at: FEB }));
      jan = await s.counters.month('acme', '2026-01', 'marketing');
      const feb = await s.counters.month('acme', '2026-02', 'marketing');
      expect(jan).toMatchObject({ hardBounces: 0, senderFailures: 0, blocklistings: 0 });
      expect(feb).toMatchObject({ hardBounces: 1, senderFailures: 1, blocklistings: 1 });
      for (const [m, ch] of [['2026-01', 'marketing'], ['2026-02', 'marketing'], ['2026-01', 'one_to_one']] as const) {
        expect(await s.counters.month('acme', m, ch)).toEqual(await s.counters.recount('acme', m, ch));
      }
      expect(await s.counters.campaign('acme', 'spring')).toEqual({ hardBounces: 1, complaints: 0, unsubscribes: 0 });
      expect(await s.counters.campaign('acme', 'deals')).toEqual({ hardBounces: 0, complaints: 0, unsubscribes: 0 }); // one-to-one
      expect((await s.failures.list('acme')).map((f) => [f.deliveryId, f.state, f.at])).toEqual([[d1, 'hard', FEB], [d2, 'hard', JAN]]);
      expect(await s.failures.hardOf('acme')).toEqual([{ deliveryId: d1, recipient: 'a@x', category: 'spam', at: FEB }]);
    });

    it('global bounce: distinct accounts with an address-reason hard marketing failure since a time', async () => {
      await fresh();
      let n = 0;
      for (const [acct, over] of [
        ['a', {}], ['b', {}], ['b', {}], ['c', { channel: 'one_to_one' as Channel }], ['d', { addressReason: false }], ['e', { state: 'soft' as const }], ['f', { at: JAN - 10 }],
      ] as const) {
        const d = (await s.deliveries.applyEvidence(ev({ accountId: acct, messageId: `m${++n}` }), null, JAN))!.deliveryId;
        await s.failures.record(failure(d, { accountId: acct, recipient: 'Gone@X.test', ...over }));
      }
      expect(await s.failures.globalBounceAccounts('gone@x.test', JAN)).toBe(2);
      expect(await s.failures.globalBounceAccounts('GONE@x.test', JAN - 10)).toBe(3);
      expect(await s.failures.globalBounceAccounts('other@x.test', 0)).toBe(0);
    });

    it('reports: once per (account, kind, message, recipient); complaints and unsubscribes counted per channel and campaign', async () => {
      await fresh();
      const r = { accountId: 'acme', kind: 'complaint' as const, messageId: 'spring/m1', recipient: 'Who@x.test', channel: 'marketing' as const, campaign: 'spring', at: JAN, source: 'arf' };
      expect(await s.reports.add(r)).toBe(true);
      expect(await s.reports.add({ ...r, recipient: 'who@X.test', at: FEB })).toBe(false);
      expect(await s.reports.add({ ...r, kind: 'unsubscribe', source: 'one-click' })).toBe(true);
      expect(await s.reports.add({ ...r, messageId: 'o2o:x', kind: 'unsubscribe', channel: 'one_to_one', campaign: null })).toBe(true);
      expect(await s.counters.month('acme', '2026-01', 'marketing')).toMatchObject({ complaints: 1, unsubscribes: 1 });
      expect(await s.counters.month('acme', '2026-01', 'one_to_one')).toMatchObject({ complaints: 0, unsubscribes: 1 });
      expect(await s.counters.campaign('acme', 'spring')).toEqual({ hardBounces: 0, complaints: 1, unsubscribes: 1 });
      expect((await s.reports.list('acme')).map((x) => [x.kind, x.recipient, x.channel])).toEqual([
        ['complaint', 'who@x.test', 'marketing'], ['unsubscribe', 'who@x.test', 'marketing'], ['unsubscribe', 'who@x.test', 'one_to_one'],
      ]);
      expect(await s.counters.activeAccounts('2026-01')).toEqual(['acme']);
      expect(await s.counters.activeAccounts('2026-02')).toEqual([]);
    });

    it('counters equal a recomputation from the rows after a random sequence of changes (rolled-back ones included)', async () => {
      await fresh();
      const next = rng(20260415);
      const rnd = (n: number) => Math.floor(next() * n);
      const tally = new Map<string, number>();
      const count = (k: string) => tally.set(k, (tally.get(k) ?? 0) + 1);
      const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
      const accounts = ['a', 'b', 'c'];
      const messages = ['spring/m1', 'spring/m2', 'autumn/m3', 'm4', 'o2o:deals/m5', 'o2o:m6'];
      const recipients = ['r1@x', 'r2@x', 'r3@x'];
      const times = [Date.UTC(2026, 0, 31, 23, 59), Date.UTC(2026, 1, 1), Date.UTC(2026, 1, 15), Date.UTC(2026, 2, 1, 0, 0, 1)];
      const reasons = ['blocked', 'userunknown', 'badreputation', 'spamdetected', 'expired', null];
      const categories = ['unknown_user', 'spam', 'policy', 'content', 'temporary', null];
      const states: DeliveryState[] = ['pending', 'delivered', 'soft', 'hard'];
      const op = async (r: Store | Parameters<Parameters<Store['transaction']>[0]>[0]) => {
        const kind = rnd(12);
        const accountId = pick(accounts);
        if (kind >= 10) {
          // A failure recorded again with other details (a later reason, another month, soft <-> hard).
          const known = await r.failures.list(accountId);
          if (!known.length) return;
          const f = pick(known);
          count('re-recorded');
          const category = pick(categories);
          const state = rnd(2) ? 'hard' : 'soft';
          return r.failures.record({ ...f, state, reason: pick(reasons), category, addressReason: state === 'hard' && category === 'unknown_user', at: pick(times) });
        }
        count(`kind ${kind}`);
        if (kind < 2) return r.sends.add(accountId, utcDay(pick(times)), 1 + rnd(5));
        if (kind < 6) {
          const messageId = pick(messages);
          const at = pick(times);
          const change = await r.deliveries.applyEvidence(
            ev({ accountId, messageId, recipient: pick(recipients), state: pick(states), at, countsAsSend: rnd(2) === 0, source: rnd(3) ? 'log' : 'dsn' }),
            null,
            at,
          );
          if (change && (change.state === 'soft' || change.state === 'hard') && change.state !== change.previous) {
            const ref = parseMessageRef(messageId);
            const category = pick(categories);
            count('failed');
            await r.failures.record({
              deliveryId: change.deliveryId, accountId, recipient: change.delivery.recipient, channel: ref.channel, campaign: ref.campaign,
              state: change.state, reason: pick(reasons), category, addressReason: change.state === 'hard' && category === 'unknown_user', at,
            });
          }
          return;
        }
        if (kind < 9) {
          const messageId = pick(messages);
          const ref = parseMessageRef(messageId);
          return r.reports.add({ accountId, kind: rnd(2) ? 'complaint' : 'unsubscribe', messageId, recipient: pick(recipients), channel: ref.channel, campaign: ref.campaign, at: pick(times), source: 'api' });
        }
        const campaign = pick(['spring', 'autumn', 'deals']);
        await r.campaigns.ensure(accountId, campaign, JAN);
        return r.campaigns.cancel(accountId, campaign, pick(times));
      };
      for (let i = 0; i < 300; i++) {
        const mode = rnd(4);
        if (mode === 0) {
          await s.transaction(async (tx) => {
            for (let k = 0; k < 5; k++) await op(tx);
          });
        } else if (mode === 1) {
          // Rolled back: none of its counter moves may remain.
          await expect(
            s.transaction(async (tx) => {
              for (let k = 0; k < 4; k++) await op(tx);
              throw new Error('rollback');
            }),
          ).rejects.toThrow('rollback');
        } else {
          await op(s);
        }
      }
      // The figures recomputed here, from the rows the repositories list.
      for (const accountId of accounts) {
        const fails = await s.failures.list(accountId);
        const reps = await s.reports.list(accountId);
        const sends = await s.sends.list(accountId);
        const cancelled: number[] = [];
        for (const c of ['spring', 'autumn', 'deals']) {
          const row = await s.campaigns.get(accountId, c);
          if (row?.state === 'cancelled') cancelled.push(row.cancelledAt!);
          const want = {
            hardBounces: fails.filter((f) => f.campaign === c && failureCounts(f).campaignHardBounces).length,
            complaints: reps.filter((x) => x.campaign === c && x.kind === 'complaint').length,
            unsubscribes: reps.filter((x) => x.campaign === c && x.kind === 'unsubscribe').length,
          };
          expect(await s.counters.campaign(accountId, c)).toEqual(want);
        }
        for (const month of ['2026-01', '2026-02', '2026-03']) {
          for (const channel of ['marketing', 'one_to_one'] as const) {
            const f = fails.filter((x) => monthOf(x.at) === month && x.channel === channel);
            const rp = reps.filter((x) => monthOf(x.at) === month && x.channel === channel);
            const want: Figures = {
              sends: sends.filter((x) => monthOfDay(x.day) === month).reduce((n, x) => n + x.count, 0),
              hardBounces: f.filter((x) => x.state === 'hard').length,
              senderFailures: f.filter((x) => failureCounts(x).senderFailures).length,
              blocklistings: f.filter((x) => failureCounts(x).blocklistings).length,
              complaints: rp.filter((x) => x.kind === 'complaint').length,
              unsubscribes: rp.filter((x) => x.kind === 'unsubscribe').length,
              cancelledCampaigns: cancelled.filter((t) => monthOf(t) === month).length,
            };
            expect(await s.counters.month(accountId, month, channel), `${accountId} ${month} ${channel}`).toEqual(want);
            expect(await s.counters.recount(accountId, month, channel)).toEqual(want);
          }
        }
      }
      // The sequence did produce every kind of change, several times.
      for (const k of ['failed', 're-recorded', ...Array.from({ length: 10 }, (_, i) => `kind ${i}`)]) expect(tally.get(k) ?? 0, k).toBeGreaterThan(10);
      expect((await s.failures.list('a')).length + (await s.reports.list('a')).length).toBeGreaterThan(5);
    });
  });

  describe('appeals, abuse, audit, notifications, keys', () => {
    it('appeals: one open at a time (a unique key), decided once', async () => {
      await fresh();
      const id = await s.appeals.file('acme', 'marketing', { message: 'cleaned' }, JAN);
      expect((await rejects(s.appeals.file('acme', 'marketing', { message: 'again' }, JAN))).code).toBe('conflict');
      expect(await s.appeals.openOf('acme')).toMatchObject({ id, state: 'open', form: { message: 'cleaned' }, filedAt: JAN, decidedAt: null });
      expect(await s.appeals.decide(id, 'denied', 'admin', 'not yet', FEB)).toBe(true);
      expect(await s.appeals.decide(id, 'reinstated', 'admin', 'changed my mind', FEB)).toBe(false);
      expect(await s.appeals.get(id)).toMatchObject({ state: 'denied', decidedBy: 'admin', decisionReason: 'not yet', decidedAt: FEB });
      expect(await s.appeals.openOf('acme')).toBeNull();
      const id2 = await s.appeals.file('acme', 'one_to_one', {}, FEB);
      await s.appeals.file('zeta', 'marketing', {}, FEB);
      expect((await s.appeals.list('acme')).map((a) => a.id)).toEqual([id, id2]);
      expect(await s.appeals.list()).toHaveLength(3);
      expect(await s.appeals.get(9999)).toBeNull();
    });

    it('abuse reports and the audit trail', async () => {
      await fresh();
      const a = await s.abuse.add('acme', 'admin', 'spam to a list', JAN);
      expect(await s.abuse.list('acme')).toEqual([{ id: a, accountId: 'acme', at: JAN, actor: 'admin', detail: 'spam to a list' }]);
      await s.audit.add({ at: JAN, actor: 'cli:root', accountId: 'acme', action: 'suppression.unbounce', subject: 'x@y', detail: { why: 'asked' } });
      await s.audit.add({ at: FEB, actor: 'policy', accountId: 'acme', action: 'suppression.unbounce', subject: 'x@y', detail: null });
      expect(await s.audit.lastAt('acme', 'suppression.unbounce', 'x@y')).toBe(FEB);
      expect(await s.audit.lastAt('acme', 'suppression.unbounce', 'z@y')).toBeNull();
      expect((await s.audit.list('acme')).map((e) => [e.actor, e.detail])).toEqual([['cli:root', { why: 'asked' }], ['policy', null]]);
    });

    it('notifications: due, sent, failed with its next attempt', async () => {
      await fresh();
      const n1 = await s.notifications.enqueue({ accountId: 'acme', kind: 'warning', recipient: 'ops@acme', subject: 's', body: 'b' }, JAN);
      const n2 = await s.notifications.enqueue({ accountId: null, kind: 'review', recipient: 'ops@x', subject: 's2', body: 'b2' }, JAN + 1);
      expect((await s.notifications.due(JAN)).map((n) => n.id)).toEqual([n1]);
      await s.notifications.markSent(n1, JAN + 5);
      await s.notifications.markFailed(n2, JAN + 60_000, 'relay down');
      expect(await s.notifications.due(JAN + 59_999)).toEqual([]);
      expect((await s.notifications.due(JAN + 60_000, 10)).map((n) => [n.id, n.attempts, n.lastError])).toEqual([[n2, 1, 'relay down']]);
      expect((await s.notifications.list('acme'))[0]).toMatchObject({ id: n1, sentAt: JAN + 5, attempts: 1, lastError: null });
      expect(await s.notifications.list()).toHaveLength(2);
    });

    it('keys: by hash, listed per account (admin keys apart), revoked once; a hash is unique', async () => {
      await fresh();
      const k = await s.keys.insert({ id: 'key_1', accountId: 'acme', hash: 'h1', prefix: 'bnd_abc', name: 'ci' }, JAN);
      await s.keys.insert({ id: 'key_0', accountId: null, hash: 'h0', prefix: 'bnd_adm', name: null }, JAN);
      expect(k).toEqual({ id: 'key_1', accountId: 'acme', prefix: 'bnd_abc', name: 'ci', createdAt: JAN, revokedAt: null });
      expect(await s.keys.findByHash('h1')).toEqual({ ...k, hash: 'h1' });
      expect(await s.keys.findByHash('nope')).toBeNull();
      expect((await s.keys.list(null)).map((x) => x.id)).toEqual(['key_0']);
      expect((await s.keys.list('acme')).map((x) => x.id)).toEqual(['key_1']);
      expect(await s.keys.revoke('other', 'key_1', FEB)).toBe(false);
      expect(await s.keys.revoke('acme', 'key_1', FEB)).toBe(true);
      expect(await s.keys.revoke('acme', 'key_1', FEB)).toBe(false);
      expect(await s.keys.revoke(null, 'key_0', FEB)).toBe(true);
      expect((await s.keys.findByHash('h1'))!.revokedAt).toBe(FEB);
      expect((await rejects(s.keys.insert({ id: 'key_2', accountId: 'acme', hash: 'h1', prefix: 'x', name: null }, JAN))).code).toBe('conflict');
    });
  });

  describe('events and webhooks', () => {
    it('fans events out once to the endpoints that take them; claims, attempts, retries, disables', async () => {
      await fresh();
      await s.events.add('acme', 'bounce.hard', { n: 0 }, JAN); // before any endpoint: never sent
      const all = await s.webhooks.createEndpoint({ id: 'wh_all', accountId: 'acme', url: 'http://127.0.0.1:1/a', secret: 'whsec_a', events: [] }, JAN);
      await s.webhooks.createEndpoint({ id: 'wh_glob', accountId: 'acme', url: 'http://127.0.0.1:1/g', secret: 'whsec_g', events: ['suppression.global'] }, JAN);
      await s.webhooks.createEndpoint({ id: 'wh_zeta', accountId: 'zeta', url: 'http://127.0.0.1:1/z', secret: 'whsec_z', events: ['complaint'] }, JAN);
      expect(all).toEqual({ id: 'wh_all', accountId: 'acme', url: 'http://127.0.0.1:1/a', events: [], createdAt: JAN, disabledAt: null });
      const e1 = await s.events.add('acme', 'bounce.hard', { n: 1 }, JAN + 1);
      await s.events.add(null, 'suppression.global', { address: 'x@y' }, JAN + 2);
      await s.events.add('zeta', 'bounce.soft', { n: 3 }, JAN + 3);
      expect(e1.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect((await s.events.list(0, 10)).map((e) => e.type)).toEqual(['bounce.hard', 'bounce.hard', 'suppression.global', 'bounce.soft']);
      expect((await s.events.list(e1.id))[0]!.payload).toEqual({ address: 'x@y' });
      // wh_all: its account's event; wh_glob: the global one by name; wh_zeta: nothing (not a complaint).
      expect(await s.webhooks.fanOut(JAN + 10)).toBe(2);
      expect(await other.webhooks.fanOut(JAN + 11)).toBe(0);
      expect(await s.webhooks.nextDueAt()).toBe(JAN + 10);
      const due = await s.webhooks.claimDue('node-a', JAN + 10, 10, 30_000);
      expect(due.map((d) => [d.endpointId, d.eventType, JSON.parse(d.payload)])).toEqual([['wh_all', 'bounce.hard', { n: 1 }], ['wh_glob', 'suppression.global', { address: 'x@y' }]]);
      expect(due[0]).toMatchObject({ url: 'http://127.0.0.1:1/a', secret: 'whsec_a', eventId: e1.eventId, attempts: 0, eventCreatedAt: JAN + 1 });
      // Leased: another node gets nothing until the lease runs out.
      expect(await other.webhooks.claimDue('node-b', JAN + 20, 10, 30_000)).toEqual([]);
      expect((await other.webhooks.claimDue('node-b', JAN + 30_010, 10, 30_000)).map((d) => d.id)).toEqual(due.map((d) => d.id));
      const [d1, d2] = due;
      await s.webhooks.recordAttempt(d1!.id, { at: JAN + 40_000, status: 503, error: 'HTTP 503', durationMs: 12 }, { deliveredAt: null, nextAttemptAt: JAN + 70_000, failedAt: null });
      await s.webhooks.postpone(d2!.id, JAN + 90_000);
      expect(await s.webhooks.nextDueAt()).toBe(JAN + 70_000);
      // A recorded attempt or a postponement drops the lease.
      expect((await s.webhooks.claimDue('node-c', JAN + 70_000, 10, 1000)).map((d) => [d.id, d.attempts])).toEqual([[d1!.id, 1]]);
      await s.webhooks.recordAttempt(d1!.id, { at: JAN + 71_000, status: 204, error: null, durationMs: 3 }, { deliveredAt: JAN + 71_000, nextAttemptAt: null, failedAt: null });
      const got = (await s.webhooks.getDelivery('wh_all', d1!.id))!;
      expect(got).toMatchObject({ eventId: e1.eventId, eventType: 'bounce.hard', attempts: 2, deliveredAt: JAN + 71_000, lastStatus: 204, nextAttemptAt: null });
      expect(got.attemptLog).toEqual([
        { at: JAN + 40_000, status: 503, error: 'HTTP 503', durationMs: 12 },
        { at: JAN + 71_000, status: 204, error: null, durationMs: 3 },
      ]);
      expect(await s.webhooks.getDelivery('wh_glob', d1!.id)).toBeNull();
      expect(await s.webhooks.retry('wh_all', d1!.id, FEB)).toBe(false); // delivered
      expect((await s.webhooks.listDeliveries('wh_glob', 0, 10)).map((d) => d.id)).toEqual([d2!.id]);
      expect(await s.webhooks.disableEndpoint('acme', 'wh_glob', FEB)).toBe(true);
      expect(await s.webhooks.disableEndpoint('acme', 'wh_glob', FEB)).toBe(false);
      expect((await s.webhooks.getDelivery('wh_glob', d2!.id))!).toMatchObject({ nextAttemptAt: null, failedAt: FEB, lastError: 'endpoint removed' });
      expect(await s.webhooks.retry('wh_glob', d2!.id, FEB + 1)).toBe(true);
      expect((await s.webhooks.listEndpoints('acme')).map((e) => e.id)).toEqual(['wh_all']);
      expect(await s.webhooks.getEndpoint('zeta', 'wh_all')).toBeNull();
      expect((await s.webhooks.getEndpoint('acme', 'wh_glob'))!.disabledAt).toBe(FEB);
      // New events after the fan-out: only they are fanned out.
      await s.events.add('zeta', 'complaint', {}, FEB);
      expect(await s.webhooks.fanOut(FEB)).toBe(1);
    });
  });

  describe('jobs and the tailer', () => {
    it('a job runs on one node at a time: acquire, finish, lapse', async () => {
      await fresh();
      expect(await s.jobs.acquire('expire', 'a', JAN, 60_000)).toBe(true);
      expect(await other.jobs.acquire('expire', 'b', JAN + 1, 60_000)).toBe(false);
      expect(await s.jobs.get('expire')).toMatchObject({ leaseHolder: 'a', leaseUntil: JAN + 60_000 });
      expect(await other.jobs.finish('expire', 'b', { lastRunAt: JAN, nextRunAt: JAN + 300_000, error: null })).toBe(false);
      expect(await s.jobs.finish('expire', 'a', { lastRunAt: JAN, nextRunAt: JAN + 300_000, error: 'boom' })).toBe(true);
      expect(await s.jobs.get('expire')).toEqual({ name: 'expire', lastRunAt: JAN, nextRunAt: JAN + 300_000, lastError: 'boom', leaseHolder: null, leaseUntil: null });
      // Not due yet for anybody; due at its time for one node only.
      expect(await other.jobs.acquire('expire', 'b', JAN + 299_999, 60_000)).toBe(false);
      const races = await Promise.all([s.jobs.acquire('expire', 'a', JAN + 300_000, 60_000), other.jobs.acquire('expire', 'b', JAN + 300_000, 60_000)]);
      expect(races.filter(Boolean)).toHaveLength(1);
      // A holder that died: its lease lapses and another node takes the job.
      expect(await other.jobs.acquire('expire', 'c', JAN + 360_000, 60_000)).toBe(true);
      await s.jobs.save('tick', null, JAN, null);
      expect(await s.jobs.get('tick')).toMatchObject({ lastRunAt: null, nextRunAt: JAN });
      expect(await s.jobs.get('none')).toBeNull();
    });

    it('checkpoints and the Postfix queue-id memory', async () => {
      await fresh();
      expect(await s.tail.checkpoint('/var/log/mail.log')).toBeNull();
      await s.tail.setCheckpoint({ path: '/var/log/mail.log', inode: 42, offset: 1000, lines: 10, unparsed: 1, head: Buffer.from('Nov 23 02:44:40 mta') }, JAN);
      expect((await s.tail.checkpoint('/var/log/mail.log'))!.head).toEqual(Buffer.from('Nov 23 02:44:40 mta'));
      await s.tail.setCheckpoint({ path: '/var/log/mail.log', inode: 43, offset: 20, lines: 11, unparsed: 1, head: null }, JAN);
      expect(await s.tail.checkpoint('/var/log/mail.log')).toEqual({ path: '/var/log/mail.log', inode: 43, offset: 20, lines: 11, unparsed: 1, head: null });
      await s.tail.rememberSender('4Q1', 'bounces+tok@bounces.test', JAN);
      await s.tail.rememberMessageId('4Q1', '<m@x>', JAN + 1);
      await s.tail.rememberMessageId('4Q2', '<n@x>', JAN + 5);
      expect(await s.tail.lookupQueue('4Q1')).toEqual({ sender: 'bounces+tok@bounces.test', messageId: '<m@x>' });
      expect(await s.tail.lookupQueue('4Q2')).toEqual({ sender: '', messageId: '<n@x>' });
      expect(await s.tail.pruneQueue(JAN + 2)).toBe(1);
      expect(await s.tail.lookupQueue('4Q1')).toBeNull();
    });
  });

  describe('transactions', () => {
    it('commits whole; its repositories see their own writes; an outside reader sees nothing before the commit', async () => {
      await fresh();
      let seenInside: unknown = null;
      let seenOutside: unknown = 'unset';
      const result = await s.transaction(async (tx) => {
        await tx.accounts.insert(account('acme'), JAN);
        await tx.suppressions.add('acme', 'x@y', 'manual', null, JAN);
        seenInside = await tx.accounts.get('acme');
        seenOutside = await other.accounts.get('acme');
        expect(await tx.suppressions.hits('acme', 'x@y')).toHaveLength(1);
        return 'done';
      });
      expect(result).toBe('done');
      expect(seenInside).toMatchObject({ id: 'acme' });
      expect(seenOutside).toBeNull();
      expect(await other.accounts.get('acme')).toMatchObject({ id: 'acme' });
      expect(await other.suppressions.hits('acme', 'x@y')).toHaveLength(1);
    });

    it('rolls back everything when fn throws, and rethrows the error as thrown', async () => {
      await fresh();
      class Mine extends Error {
        code = 'mine';
      }
      const err = await s
        .transaction(async (tx) => {
          await tx.accounts.insert(account('acme'), JAN);
          await tx.sends.add('acme', '2026-01-05', 10);
          await tx.messages.insert([msg()]);
          throw new Mine('no');
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Mine);
      expect(await s.accounts.get('acme')).toBeNull();
      expect(await s.sends.list()).toEqual([]);
      expect((await s.counters.month('acme', '2026-01', 'marketing')).sends).toBe(0);
      expect(await s.messages.counts()).toMatchObject({ received: 0 });
    });

    it('a failed repository call ends the transaction: later calls fail and it rolls back even if fn goes on', async () => {
      await fresh();
      await s.appeals.file('acme', 'marketing', {}, JAN);
      const err = await s
        .transaction(async (tx) => {
          await tx.suppressions.add('acme', 'x@y', 'manual', null, JAN);
          const conflict = await rejects(tx.appeals.file('acme', 'marketing', {}, JAN));
          expect(conflict.code).toBe('conflict');
          expect((await rejects(tx.accounts.get('acme'))).code).toBe('invalid');
          return 'went on';
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('conflict');
      expect(await s.suppressions.hits('acme', 'x@y')).toEqual([]);
    });

    it('repositories of a finished transaction refuse; durable:false commits too', async () => {
      await fresh();
      let kept: Parameters<Parameters<Store['transaction']>[0]>[0] | null = null;
      await s.transaction(async (tx) => {
        kept = tx;
        await tx.tail.setCheckpoint({ path: 'p', inode: 1, offset: 2, lines: 3, unparsed: 0, head: null }, JAN);
      }, { durable: false });
      expect((await rejects(kept!.accounts.get('x'))).code).toBe('invalid');
      expect(await other.tail.checkpoint('p')).toMatchObject({ offset: 2 });
    });

    it('calls outside a transaction wait for it on the same store and then see its commit', async () => {
      await fresh();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const tx = s.transaction(async (t) => {
        await t.accounts.insert(account('acme'), JAN);
        await gate;
        return t.accounts.exists('acme');
      });
      // On SQLite this waits for the commit (one connection); on PostgreSQL it reads another
      // connection's snapshot at once, without the uncommitted row.
      const outside = s.accounts.exists('acme');
      if (backend.name === 'postgres') {
        expect(await outside).toBe(false);
        release();
        expect(await tx).toBe(true);
      } else {
        let answered = false;
        void outside.then(() => (answered = true));
        await new Promise((r) => setTimeout(r, 30));
        expect(answered).toBe(false);
        release();
        expect(await tx).toBe(true);
        expect(await outside).toBe(true);
      }
      expect(await s.accounts.exists('acme')).toBe(true);
    });
  });

  describe('concurrent writers', () => {
    /**
     * Runs `op` in `n` transactions at once, half on each connection. On PostgreSQL they meet at
     * a barrier inside their transactions first, so that every one has begun before any writes
     * (a real race); SQLite takes one writer at a time, and the other connection's BEGIN
     * retries meanwhile, so there they race for the write lock.
     */
    async function race<T>(n: number, op: (tx: Parameters<Parameters<Store['transaction']>[0]>[0], i: number) => Promise<T>): Promise<T[]> {
      let arrived = 0;
      let open!: () => void;
      const barrier = new Promise<void>((r) => (open = r));
      return Promise.all(
        Array.from({ length: n }, (_, i) =>
          (i % 2 ? other : s).transaction(async (tx) => {
            if (backend.name === 'postgres') {
              await tx.accounts.exists('acme');
              if (++arrived === n) open();
              await barrier;
            }
            return op(tx, i);
          }),
        ),
      );
    }

    it('racing transactions on the same unique keys: exactly one wins, none fails', async () => {
      await fresh();
      const [m] = await s.messages.insert([msg()]);
      const d = (await s.deliveries.applyEvidence(ev({ state: 'pending' }), null, JAN))!.deliveryId;
      const one = (xs: boolean[]) => xs.filter(Boolean).length;
      expect(one(await race(8, (tx, i) => tx.messages.settle(m!, { state: 'processed', kind: 'bounce', detector: `d${i}`, reportMessageId: null }, JAN)))).toBe(1);
      const report = { accountId: 'acme', kind: 'complaint' as const, messageId: 'spring/m1', recipient: 'x@y', channel: 'marketing' as const, campaign: 'spring', at: JAN, source: 'arf' };
      expect(one(await race(8, (tx) => tx.reports.add(report)))).toBe(1);
      expect(one(await race(8, (tx, i) => tx.suppressions.add('acme', 'x@y', 'complaint', `r${i}`, JAN)))).toBe(1);
      // The same evidence for an existing delivery, and for a delivery that does not exist yet.
      expect(one(await race(8, async (tx) => (await tx.deliveries.applyEvidence(ev({ dedupKey: 'same-dsn', state: 'hard' }), null, JAN)) !== null))).toBe(1);
      expect(one(await race(8, async (tx) => (await tx.deliveries.applyEvidence(ev({ messageId: 'race/dup', dedupKey: 'same-new' }), null, JAN)) !== null))).toBe(1);
      // Different evidence for one new delivery: one creates it, every one is recorded, one send.
      const created = await race(8, async (tx, i) => (await tx.deliveries.applyEvidence(ev({ messageId: 'race/new', dedupKey: `new-${i}`, countsAsSend: true, source: 'log' }), null, JAN))!);
      expect(created.filter((c) => c.previous === null)).toHaveLength(1);
      expect(created.filter((c) => c.sendCounted)).toHaveLength(1);
      await s.campaigns.ensure('acme', 'spring', JAN);
      expect(one(await race(6, (tx) => tx.campaigns.cancel('acme', 'spring', JAN)))).toBe(1);
      expect(one(await race(6, (tx, i) => tx.jobs.acquire('nightly', `node-${i}`, JAN, 60_000)))).toBe(1);

      const month = await s.counters.month('acme', '2026-01', 'marketing');
      expect(month).toMatchObject({ complaints: 1, cancelledCampaigns: 1, sends: 1 });
      expect(month).toEqual(await s.counters.recount('acme', '2026-01', 'marketing'));
      expect(await s.counters.campaign('acme', 'spring')).toMatchObject({ complaints: 1 });
      expect((await s.deliveries.evidence(d)).filter((e) => e.state === 'hard')).toHaveLength(1);
      const raced = (await s.deliveries.find('acme', 'race/new', 'rcpt@example.com'))!;
      expect(raced.attempts).toBe(8);
      expect(await s.deliveries.evidence(raced.id)).toHaveLength(8);
      expect(await s.deliveries.evidence((await s.deliveries.find('acme', 'race/dup', 'rcpt@example.com'))!.id)).toHaveLength(1);
    });

    it('two claimers racing inside transactions never share a message', async () => {
      await fresh();
      const ids = await s.messages.insert(Array.from({ length: 30 }, (_, i) => msg({ raw: Buffer.from(`r${i}`) })));
      const got = await race(6, (tx, i) => tx.messages.claim(`node-${i}`, { limit: 7, leaseMs: 60_000, now: JAN }));
      const all = got.flatMap((g) => g.map((m) => m.id));
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe(30);
      expect([...all].sort((x, y) => x - y)).toEqual(ids);
    });

    it('racing failures of one delivery leave the counters equal to the rows', async () => {
      await fresh();
      const d = (await s.deliveries.applyEvidence(ev({ state: 'soft' }), null, JAN))!.deliveryId;
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? other : s).failures.record(failure(d, { state: i % 3 ? 'hard' : 'soft', reason: i % 2 ? 'blocked' : 'userunknown', category: i % 4 ? 'spam' : 'unknown_user', at: i % 2 ? JAN : FEB })),
        ),
      );
      for (const m of ['2026-01', '2026-02']) expect(await s.counters.month('acme', m, 'marketing')).toEqual(await s.counters.recount('acme', m, 'marketing'));
      const f = (await s.failures.list('acme'))[0]!;
      expect(await s.counters.campaign('acme', 'spring')).toEqual({ hardBounces: f.state === 'hard' ? 1 : 0, complaints: 0, unsubscribes: 0 });
    });
  });

  describe('the store itself', () => {
    it('pings, tells its schema version, and refuses calls once closed', async () => {
      await fresh();
      expect(s.dialect).toBe(backend.name);
      expect(await s.ping()).toBe(true);
      expect(await s.schemaVersion()).toBe(Math.max(...(backend.name === 'sqlite' ? sqliteMigrations : pgMigrations).map((m) => m.version)));
      // The readiness probe: a real write.
      await s.probeWrite(JAN, 100);
      await other.probeWrite(JAN + 1, 100);
      await s.close();
      await s.close();
      expect((await rejects(s.accounts.get('x'))).code).toBe('unavailable');
      expect((await rejects(s.transaction(async () => 1))).code).toBe('unavailable');
      expect(await s.ping()).toBe(false);
      expect((await rejects(s.probeWrite(JAN, 100))).code).toBe('unavailable');
    });
  });
});

describe('store contract: opening, and a database that goes away', () => {
  it('connectStore: a postgres:// URL selects PostgreSQL, anything else SQLite', async () => {
    expect(isPostgresUrl('postgresql://u@127.0.0.1/db')).toBe(true);
    expect(isPostgresUrl('sqlite:/var/lib/bounced')).toBe(false);
    const dir = tmpDir('store-connect-');
    dirs.push(dir);
    const s = await connectStore({ dataDir: dir, url: null });
    opened.push(s);
    expect(s.dialect).toBe('sqlite');
    if (server) {
      const p = await connectStore({ dataDir: dir, url: await server.createDatabase('connect', 'migrated') });
      opened.push(p);
      expect(p.dialect).toBe('postgres');
      expect(await p.ping()).toBe(true);
    }
  });

  it.skipIf(pgMissing !== null && !inCI)('opening a URL where nothing listens is StoreError unavailable', async () => {
    const err = await rejects(openPostgres('postgres://postgres@127.0.0.1:1/none', { connectTimeoutS: 2 }));
    expect(err.code).toBe('unavailable');
    expect(err.temporary).toBe(true);
  });

  it.skipIf(pgMissing !== null && !inCI)('PostgreSQL stopped under a running store: calls fail `unavailable`, and work again once it is back', async () => {
    const own = await startPostgres();
    try {
      const s = await openPostgres(await own.createDatabase('away'), { connectTimeoutS: 2 });
      opened.push(s);
      await s.accounts.insert(account('acme'), JAN);
      own.halt();
      const err = await rejects(s.accounts.get('acme'));
      expect(err.code).toBe('unavailable');
      expect(err.temporary).toBe(true);
      expect((await rejects(s.transaction((tx) => tx.suppressions.add('acme', 'x@y', 'manual', null, JAN)))).code).toBe('unavailable');
      expect(await s.ping()).toBe(false);
      own.resume();
      // The same store, no reopening: the pool connects again.
      expect(await s.ping()).toBe(true);
      expect(await s.accounts.get('acme')).toMatchObject({ id: 'acme' });
      expect(await s.transaction((tx) => tx.suppressions.add('acme', 'x@y', 'manual', null, JAN))).toBe(true);
    } finally {
      own.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------
// One scenario on both backends: every read must be the same.

async function scenario(s: Store): Promise<unknown> {
  const out: Record<string, unknown> = {};
  const [m1, m2] = await s.messages.insert([msg(), msg({ raw: Buffer.from('second'), rcptTo: ['A@x', 'B@y'] })]);
  await s.messages.beginAttempts([m1!, m2!]);
  await s.messages.settle(m1!, { state: 'processed', kind: 'bounce', detector: 'rfc3464', reportMessageId: '<r@x>', duplicateKey: 'k', warning: 'cut' }, JAN);
  await s.transaction(async (tx) => {
    await tx.accounts.insert(account('acme'), JAN);
    const b = await tx.bounces.insert(m1!, {
      createdAt: JAN, accountId: 'acme', messageId: 'spring/m1', recipient: 'R@x', kind: 'bounce', action: 'failed', status: '5.1.1', reason: 'userunknown',
      hardbounce: true, category: 'unknown_user', type: 'hard', rule: 'r', detector: 'rfc3464', replyCode: 550, diagnostic: 'no', remoteMta: null,
      reportingMta: null, originalMessageId: null, feedbackType: null, verified: true, reportedRecipient: 'Alias@X', warning: 'w',
    });
    const c = (await tx.deliveries.applyEvidence(ev({ recipient: 'R@x', dedupKey: 'dsn:1:0', countsAsSend: true, source: 'log' }), b, JAN))!;
    await tx.failures.record(failure(c.deliveryId, { recipient: 'r@x' }));
    await tx.suppressions.add('acme', 'r@x', 'hard_bounce', `delivery:${c.deliveryId}`, JAN);
    await tx.reports.add({ accountId: 'acme', kind: 'unsubscribe', messageId: 'spring/m2', recipient: 'u@x', channel: 'marketing', campaign: 'spring', at: JAN, source: 'mailto' });
    await tx.audit.add({ at: JAN, actor: 'policy', accountId: 'acme', action: 'campaign.cancel', subject: 'spring', detail: { a: 1 } });
    await tx.notifications.enqueue({ accountId: 'acme', kind: 'warning', recipient: 'ops@acme.example', subject: 's', body: 'b' }, JAN);
    await tx.campaigns.addSends('acme', 'spring', 10, JAN);
    await tx.campaigns.cancel('acme', 'spring', JAN);
  });
  await s.deliveries.applyEvidence(ev({ recipient: 'p@x', state: 'pending', qid: 'Q9', source: 'log', dedupKey: 'log:q9' }), null, JAN);
  await s.sends.add('acme', '2026-01-02', 100);
  await s.keys.insert({ id: 'key_a', accountId: 'acme', hash: 'hh', prefix: 'bnd_', name: null }, JAN);
  await s.appeals.file('acme', 'marketing', { x: [1, 2] }, JAN);
  await s.abuse.add('acme', 'admin', 'd', JAN);
  await s.jobs.acquire('j', 'n', JAN, 10);
  await s.tail.setCheckpoint({ path: 'p', inode: 1, offset: 5, lines: 2, unparsed: 0, head: Buffer.from([0x1f, 0x8b, 0]) }, JAN);
  await s.tail.rememberSender('Q9', 's@x', JAN);
  await s.webhooks.createEndpoint({ id: 'wh', accountId: 'acme', url: 'http://127.0.0.1:9/', secret: 'whsec', events: [] }, JAN);
  await s.events.add('acme', 'bounce.hard', { k: 'v' }, JAN);
  out.fanOut = await s.webhooks.fanOut(JAN);
  const strip = <T extends { eventId: string }>(x: T) => ({ ...x, eventId: 'uuid' });
  out.due = (await s.webhooks.claimDue('n', JAN, 10, 100)).map(strip);
  out.messages = await s.messages.list({});
  out.message2 = await s.messages.get(m2!);
  out.raw = (await s.messages.raw(m2!))!.toString('hex');
  out.counts = await s.messages.counts();
  out.received = (await s.messages.received([m2!, m1!])).map((m) => ({ ...m, raw: m.raw.toString('hex') }));
  out.duplicate = await s.messages.findDuplicate(m2!, 'nope', 'k');
  out.claim = (await s.messages.claim('n', { limit: 5, leaseMs: 5, now: JAN })).map((m) => ({ ...m, raw: m.raw.toString('hex') }));
  out.bounces = await s.bounces.list({});
  out.bounceEvidence = await s.bounces.evidence(1);
  out.deliveries = await s.deliveries.list({});
  out.evidence = await s.deliveries.evidence(1);
  out.pending = await s.deliveries.duePending(JAN + 1);
  out.byQid = await s.deliveries.pendingByQid('Q9');
  out.sends = await s.sends.list();
  out.account = await s.accounts.get('acme');
  out.state = await s.accounts.state('acme');
  out.campaign = await s.campaigns.get('acme', 'spring');
  out.preSend = await s.suppressions.preSend('acme', 'R@X', 'spring');
  out.suppressions = await s.suppressions.list({ accountId: 'acme', limit: 10 });
  out.suppressionCounts = await s.suppressions.counts();
  out.failures = await s.failures.list('acme');
  out.hardOf = await s.failures.hardOf('acme');
  out.global = await s.failures.globalBounceAccounts('r@x', 0);
  out.reports = await s.reports.list('acme');
  out.month = await s.counters.month('acme', '2026-01', 'marketing');
  out.recount = await s.counters.recount('acme', '2026-01', 'marketing');
  out.campaignCounts = await s.counters.campaign('acme', 'spring');
  out.active = await s.counters.activeAccounts('2026-01');
  out.appeals = await s.appeals.list();
  out.abuse = await s.abuse.list('acme');
  out.audit = await s.audit.list('acme');
  out.notifications = await s.notifications.list();
  out.keys = await s.keys.list('acme');
  out.events = (await s.events.list()).map(strip);
  out.endpoints = await s.webhooks.listEndpoints('acme');
  out.webhookDeliveries = (await s.webhooks.listDeliveries('wh', 0, 10)).map(strip);
  out.job = await s.jobs.get('j');
  out.checkpoint = await s.tail.checkpoint('p');
  out.queue = await s.tail.lookupQueue('Q9');
  return out;
}

describe.skipIf(backends.length < 2)('store contract: the backends agree', () => {
  it('the same scenario reads the same on SQLite and PostgreSQL', async () => {
    const [onSqlite, onPostgres] = await Promise.all([sqlite.fresh(), postgresBackend.fresh()]);
    const a = await scenario(onSqlite.a);
    const b = await scenario(onPostgres.a);
    expect(b).toEqual(a);
    // Key by key too, so that a difference names its read.
    for (const k of Object.keys(a as object)) expect((b as Record<string, unknown>)[k], k).toEqual((a as Record<string, unknown>)[k]);
  });
});

// Two daemons' inbox services on one real PostgreSQL (two pools, two node ids) and a real
// Dovecot: every inbox is watched by exactly one node at a time (its lease in the database),
// the nodes share the inboxes when one alone has too few connections, and when a node dies
// the other takes its inboxes over once their leases lapse, and finds new mail in them.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialKeys, InboxService, registerInbox } from '../../src/inbox/service.js';
import { buildPipeline, type Built } from '../../src/pipeline/build.js';
import { dovecotMissing, startDovecot, type Dovecot, type DovecotUser } from '../helpers/dovecot.js';
import { inCI, testConfig } from '../helpers/env.js';
import { relay, type Relay } from '../helpers/imap-relay.js';
import { postgresMissing, startPostgres, type PgServer } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';
import { dateOf, inboxFixture, INBOX_FILES, SENT_FILES } from '../helpers/inbox-fixtures.js';

const missing = dovecotMissing() ?? postgresMissing();
if (missing && !inCI) console.warn(`SKIPPED: inbox watching on PostgreSQL: ${missing}`);
if (missing && inCI) throw new Error(`CI must run the inbox watching tests on PostgreSQL: ${missing}`);

const USERS: DovecotUser[] = ['alice', 'bob', 'carol'].map((name) => ({ name, password: `pw-${name}-${randomBytes(6).toString('hex')}` }));
const KEY = randomBytes(32).toString('hex');
const item = (folder: string, file: string) => ({ folder, raw: inboxFixture(file), date: dateOf(inboxFixture(file)) });
const SEED = [...SENT_FILES.map((f) => item('Sent', f)), ...INBOX_FILES.map((f) => item('INBOX', f))];
const log = pino({ level: 'warn' }, new Writable({ write: (_c, _e, cb) => cb() }));

describe.skipIf(Boolean(missing))('inbox watching: two nodes on one PostgreSQL', () => {
  let dovecot: Dovecot;
  let pg: PgServer;
  const nodes: { built: Built; svc: InboxService }[] = [];
  const relays: Relay[] = [];
  const ids: string[] = [];

  beforeAll(async () => {
    [dovecot, pg] = await Promise.all([startDovecot({ users: USERS }), startPostgres()]);
    for (const u of USERS) await dovecot.append(u, SEED);
    const url = await pg.createDatabase('inboxes');
    // two connections per node for three inboxes; an inbox synced in turn every second
    const config = testConfig({ database: { url }, inboxes: { credentialKey: KEY, maxConnections: 2 } });
    for (const node of ['node-a', 'node-b']) {
      const built = await buildPipeline(config);
      const svc = new InboxService({ store: built.store, rules: built.rules, log, config: { ...config.inboxes, pollIntervalSeconds: 1 }, node, reconcileMs: 100, leaseMs: 1500, watcher: { backoff: { baseMs: 100 } } });
      nodes.push({ built, svc });
    }
    const store = nodes[0]!.built.store;
    await store.accounts.insert({ id: 'acme', name: null, tier: 'starter', profile: 'default', contactEmail: null }, Date.now());
    for (const u of USERS) {
      const r = await relay('127.0.0.1', dovecot.port, relays);
      const res = await registerInbox(store, credentialKeys(config.inboxes), { accountId: 'acme', host: '127.0.0.1', port: r.port, tls: 'none', user: u.name, secret: { kind: 'password', password: u.password } }, Date.now());
      if (!res.ok) throw new Error(res.message);
      ids.push(res.inbox.id);
    }
  }, 180_000);

  afterAll(async () => {
    for (const n of nodes) await n.svc.stop();
    for (const r of relays) await r.close();
    for (const n of nodes) await n.built.store.close();
    await dovecot?.stop();
    await pg?.stop();
  });

  const idleOn = (svc: InboxService, id: string) => svc.statuses().some((s) => s.inboxId === id && s.state === 'idle');
  const watchers = (id: string) => nodes.filter((n) => idleOn(n.svc, id)).length;

  it('each inbox watched by exactly one node; two connections each are enough for three inboxes between them', async () => {
    for (const n of nodes) n.svc.start();
    await waitFor('all three watched', 20_000, () => (ids.every((id) => watchers(id) === 1) ? true : undefined), 20);
    // stays so: many reconciles and lease renewals later, one watcher and one open connection per inbox
    for (let k = 0; k < 20; k++) {
      await new Promise((r) => setTimeout(r, 100));
      for (const id of ids) expect(watchers(id)).toBeLessThanOrEqual(1);
    }
    for (const r of relays) expect(r.open).toBe(1);
    const store = nodes[0]!.built.store;
    for (const [k, id] of ids.entries()) {
      const lease = (await store.inboxes.get(id))!.lease!;
      expect(idleOn(nodes[lease.node === 'node-a' ? 0 : 1]!.svc, id), `inbox ${k} watched by its lease holder`).toBe(true);
      expect((await store.inboxes.bounces(id)).length).toBe(4);
    }
    // neither node holds more than its two connections
    for (const n of nodes) expect(n.svc.connections()).toBeLessThanOrEqual(2);
  });

  it('a node dies: the other takes its inboxes over once their leases lapse, and finds new mail in them', async () => {
    const store = nodes[1]!.built.store;
    const [a, b] = nodes;
    const ofA = ids.filter((id) => idleOn(a!.svc, id));
    const ofB = ids.filter((id) => idleOn(b!.svc, id));
    const [dead, alive] = ofA.length ? [a!, b!] : [b!, a!];
    const moved = ofA.length ? ofA : ofB;
    expect(moved.length).toBeGreaterThan(0);
    await dead.svc.abandon();
    const died = Date.now();
    // the survivor has two connections for three inboxes: it watches one and syncs the others in
    // turn (each under a lease held for its sync only), so "taken over" is: read by the survivor
    // (the dead node reads nothing) once the dead node's leases have lapsed
    await waitFor('the takeover', 15_000, async () => ((await Promise.all(moved.map(async (id) => ((await store.inboxes.get(id))!.status.lastSyncAt ?? 0) > died))).every(Boolean) ? true : undefined), 50);
    for (const id of moved) {
      const lease = (await store.inboxes.get(id))!.lease;
      if (lease) expect(lease.node).toBe(alive === a ? 'node-a' : 'node-b');
    }
    const target = moved[0]!;
    const user = USERS[ids.indexOf(target)]!;
    const raw = Buffer.from(inboxFixture('dsn-postfix.eml').toString('latin1').replace('20261116090005.03EF221699B@mta.test', 'after-node-death@mta.test'), 'latin1');
    await dovecot.append(user, [{ folder: 'INBOX', raw }]);
    await waitFor('the new bounce', 10_000, async () => ((await store.inboxes.bounces(target)).length === 5 ? true : undefined), 50);
    expect(alive.svc.connections()).toBeLessThanOrEqual(2);
  });
});

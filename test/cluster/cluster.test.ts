// Two `bounced serve` processes on one real PostgreSQL (issue #15 part 2): DSNs sent to both
// are settled exactly once (counts checked in the database); the same DSN at both nodes gives
// one delivery; a webhook receiver on loopback gets each event once; one node SIGKILLed
// mid-stream leaves its claimed messages to the other after the claim lease, none lost, none
// counted twice; the scheduler's due jobs run once across nodes. Runs dist/ (npm run build).
import { createServer, type Server } from 'node:http';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Scheduler } from '../../src/scheduler/index.js';
import { openPostgres } from '../../src/store/postgres/open.js';
import { VerpCodec } from '../../src/verp/index.js';
import { spawnDaemon, type ChildDaemon } from '../helpers/child.js';
import { buildDsn } from '../helpers/dsn.js';
import { BOUNCE_DOMAIN, inCI, TEST_SECRET, tmpDir } from '../helpers/env.js';
import { postgresMissing, startPostgres, type PgServer } from '../helpers/postgres.js';
import { sendRaw } from '../helpers/smtp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const missing = postgresMissing();
if (missing && !inCI) console.warn(`SKIPPED: test/cluster/cluster.test.ts: ${missing}`);
const ADMIN = 'b2-cluster-admin';
const LEASE_MS = 4000;
const verp = new VerpCodec(TEST_SECRET, 'b');

let server: PgServer | null = null;
let url = '';
let sql: postgres.Sql;
let receiver: Server;
let receiverPort = 0;
/** webhook-id -> times received */
const received = new Map<string, number>();
const daemons: ChildDaemon[] = [];

beforeAll(async () => {
  if (missing && !inCI) return;
  server = await startPostgres();
  url = await server.createDatabase('cluster');
  sql = postgres(url, { max: 2, onnotice: () => {} });
  receiver = createServer((req, res) => {
    const id = String(req.headers['webhook-id']);
    req.resume();
    req.on('end', () => {
      received.set(id, (received.get(id) ?? 0) + 1);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverPort = (receiver.address() as { port: number }).port;
}, 120_000);
afterAll(async () => {
  for (const d of daemons) {
    if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGTERM');
    await d.exited;
  }
  await sql?.end({ timeout: 5 });
  receiver?.close();
  server?.stop();
});

function node(name: string) {
  return spawnDaemon({
    BOUNCED_DATABASE_URL: url,
    BOUNCED_DATA_DIR: tmpDir(`b2-${name}-`),
    BOUNCED_NODE_ID: name,
    BOUNCED_VERP_SECRET: TEST_SECRET,
    BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN,
    BOUNCED_ADMIN_KEY: ADMIN,
    BOUNCED_HTTP_WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true',
    BOUNCED_DATABASE_CLAIM_LEASE_MS: String(LEASE_MS),
    // The test is one client sending on many connections (as a Postfix in front would be).
    BOUNCED_SMTP_MAX_CLIENTS_PER_IP: '0',
  }).then((d) => (daemons.push(d), d));
}

async function api(d: ChildDaemon, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${d.httpPort}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** waitFor over a probe that answers a falsy value until it is done; every 200 ms. */
const until = <T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 60_000): Promise<T> =>
  waitFor(what, ms, async () => (await fn()) || undefined, 200);

async function report(n: string) {
  const who = `${n}@example.org`;
  const to = verp.encode({ account: 'acme', message: n, recipient: who }, BOUNCE_DOMAIN);
  return { n, to, raw: await buildDsn({ recipients: 1, recipient: () => who, messageId: `<dsn-${n}@mx.example.org>`, to }) };
}

/** Runs `fns` at most `width` at a time. */
async function pool<T>(fns: Array<() => Promise<T>>, width: number): Promise<T[]> {
  const out: T[] = new Array(fns.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < fns.length) {
        const i = next++;
        out[i] = await fns[i]!();
      }
    }),
  );
  return out;
}

const stateCounts = async () =>
  Object.fromEntries((await sql`SELECT state, count(*)::int AS n FROM messages GROUP BY state`).map((r) => [r.state, r.n])) as Record<string, number>;

describe.skipIf(missing && !inCI)('two daemons on one PostgreSQL', () => {
  let a: ChildDaemon;
  let b: ChildDaemon;

  it('start together (migrations under the advisory lock) and share one database', async () => {
    [a, b] = await Promise.all([node('mx-a'), node('mx-b')]);
    expect((await api(a, '/v1/accounts', { id: 'acme', tier: 'starter' })).status).toBe(201);
    // The account made through one node is there for the other.
    expect((await api(b, '/v1/accounts/acme')).status).toBe(200);
    const hook = await api(b, '/v1/accounts/acme/webhooks', { url: `http://127.0.0.1:${receiverPort}/hook`, events: ['bounce.hard'] });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    const [{ v }] = await sql`SELECT max(version)::int AS v FROM schema_migrations`;
    expect(v).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('DSNs sent to both are settled once each, the same DSN at both gives one delivery, and each event reaches the webhook once', async () => {
    const distinct = await Promise.all(Array.from({ length: 60 }, (_, i) => report(`d${i}`)));
    const twice = await Promise.all(Array.from({ length: 10 }, (_, i) => report(`t${i}`)));
    const sends = [
      ...distinct.map((r, i) => () => sendRaw((i % 2 ? b : a).smtpPort, { from: '', to: [r.to] }, r.raw)),
      ...twice.flatMap((r) => [() => sendRaw(a.smtpPort, { from: '', to: [r.to] }, r.raw), () => sendRaw(b.smtpPort, { from: '', to: [r.to] }, r.raw)]),
    ];
    const results = await pool(sends, 8);
    expect(results.filter((r) => r.code !== 250)).toEqual([]);

    await until('every message settled', async () => {
      const c = await stateCounts();
      return (c.received ?? 0) === 0 && Object.values(c).reduce((x, y) => x + y, 0) === 80 ? c : null;
    });
    const c = await stateCounts();
    expect(c.unparseable ?? 0).toBe(0);
    // The second copy of a report is a duplicate of the first, whichever node settled which.
    expect(c).toEqual({ processed: 70, duplicate: 10 });
    const [row] = await sql`SELECT (SELECT count(*) FROM deliveries)::int AS deliveries, (SELECT count(*) FROM bounces)::int AS bounces,
                                   (SELECT count(*) FROM events WHERE type = 'bounce.hard')::int AS events`;
    expect(row).toEqual({ deliveries: 70, bounces: 70, events: 70 });
    const perMessage = await sql`SELECT message_id, count(*)::int AS n FROM bounces GROUP BY message_id HAVING count(*) <> 1`;
    expect(perMessage).toEqual([]);
    // The months' counters agree with the rows (each failure counted once).
    const [counted] = await sql`SELECT coalesce(sum(hard_bounces), 0)::int AS n FROM account_month_channels WHERE account_id = 'acme'`;
    expect(counted!.n).toBe(70);

    const eventIds = (await sql`SELECT event_id FROM events WHERE type = 'bounce.hard'`).map((r) => r.event_id as string);
    await until('every event at the receiver', async () => eventIds.every((id) => received.has(id)));
    await sleep(1500); // a second delivery would come now
    expect([...received.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(new Set(received.keys())).toEqual(new Set(eventIds));
  }, 180_000);

  it('a node SIGKILLed mid-stream: the other takes over its claims after the lease; nothing lost, nothing counted twice', async () => {
    const stream = await Promise.all(Array.from({ length: 120 }, (_, i) => report(`k${i}`)));
    const accepted = new Set<string>();
    // A burst at mx-a (mx-b gets one in four), then SIGKILL the moment its last 250 is in:
    // mx-a has accepted (stored) more than it has processed and holds claims on some of it.
    const codes = await pool(
      stream.map((r, i) => async () => {
        const res = await sendRaw((i % 4 === 3 ? b : a).smtpPort, { from: '', to: [r.to] }, r.raw);
        if (res.code === 250) accepted.add(r.n);
        return res.code;
      }),
      10,
    );
    a.proc.kill('SIGKILL');
    await a.exited;
    expect(codes.filter((c) => c !== 250)).toEqual([]);
    expect(accepted.size).toBe(120);
    const [left] = await sql`SELECT count(*)::int AS received, count(*) FILTER (WHERE claimed_by = 'mx-a')::int AS claimed FROM messages WHERE state = 'received'`;
    // What makes this test a test: mx-a died with work it had acknowledged and not done.
    expect(left!.received).toBeGreaterThan(0);
    console.info(`mx-a killed with ${left!.received} messages received and unsettled, ${left!.claimed} of them claimed by it`);

    // Nothing more is sent: mx-b takes what mx-a held once the lease lapses (it watches the
    // oldest claim), and what mx-a stored unclaimed at once.
    const t0 = Date.now();
    await until('every message settled', async () => ((await stateCounts()).received ?? 0) === 0, 60_000);
    console.info(`mx-b settled mx-a's leftovers ${Date.now() - t0} ms after the kill (lease ${LEASE_MS} ms)`);
    const settled = await sql`SELECT message_id, count(*)::int AS n FROM bounces WHERE message_id LIKE 'k%' GROUP BY message_id`;
    // Every accepted message has its one record: none lost, none twice.
    expect(settled.filter((r) => r.n !== 1)).toEqual([]);
    expect(new Set(settled.map((r) => r.message_id as string))).toEqual(accepted);
    // Every accepted report is one processed message; a copy is a duplicate only when a sender
    // re-sent what mx-a had stored before it died (the same bytes).
    const after = await stateCounts();
    expect(after.processed).toBe(70 + accepted.size);
    expect(after.unparseable ?? 0).toBe(0);

    // Webhooks: each event at most once; one not yet received is only one mx-a held when it died.
    const events = (await sql`SELECT e.event_id, d.claimed_by, d.delivered_at FROM events e JOIN webhook_deliveries d ON d.event_row = e.id WHERE e.type = 'bounce.hard'`).map((r) => ({ id: r.event_id as string, by: r.claimed_by as string | null, delivered: r.delivered_at !== null }));
    await until('the webhook deliveries of mx-b', async () => events.every((e) => received.has(e.id) || e.by === 'mx-a'), 30_000).catch(() => null);
    expect([...received.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    const missingIds = events.filter((e) => !received.has(e.id));
    expect(missingIds.filter((e) => e.by !== 'mx-a')).toEqual([]);
    expect(missingIds.length).toBeLessThanOrEqual(100); // one claimDue batch at most
  }, 240_000);
});

describe.skipIf(missing && !inCI)('scheduler jobs across nodes', () => {
  it('two schedulers on one database run each due job once per tick', async () => {
    const jobUrl = await server!.createDatabase('jobs');
    const s1 = await openPostgres(jobUrl);
    const s2 = await openPostgres(jobUrl);
    const log = createLogger('silent');
    try {
      const runs: string[] = [];
      const jobs = (who: string) => ['alpha', 'beta', 'gamma'].map((name) => ({ name, cadenceMs: 60_000, run: async () => void runs.push(`${name}@${who}`) }));
      const n1 = new Scheduler(s1.jobs, jobs('n1'), log, { node: 'n1' });
      const n2 = new Scheduler(s2.jobs, jobs('n2'), log, { node: 'n2' });
      const t = Date.UTC(2026, 11, 3, 12);
      for (let tick = 0; tick < 5; tick++) {
        const at = t + tick * 60_000;
        await Promise.all([n1.runDue(at), n2.runDue(at), n1.runDue(at), n2.runDue(at)]);
      }
      // Five ticks, three jobs: fifteen runs, each job once per tick whichever node took it.
      expect(runs).toHaveLength(15);
      for (const name of ['alpha', 'beta', 'gamma']) expect(runs.filter((r) => r.startsWith(`${name}@`))).toHaveLength(5);
      const state = await s1.jobs.get('alpha');
      expect(state).toMatchObject({ lastRunAt: t + 4 * 60_000, nextRunAt: t + 5 * 60_000, leaseHolder: null });
    } finally {
      await s1.close();
      await s2.close();
    }
  }, 60_000);
});

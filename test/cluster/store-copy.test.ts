// `bounced store copy`: a SQLite database made by the pipeline (a daemon that took DSNs over
// SMTP) copied into a real PostgreSQL; the API of a daemon on each answers the same; a second
// copy is refused, --resume finds nothing left to do, and the PostgreSQL daemon goes on from
// the copied ids. Runs dist/ for the CLI (npm run build).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { VerpCodec } from '../../src/verp/index.js';
import { childEnv, CLI } from '../helpers/child.js';
import { buildDsn } from '../helpers/dsn.js';
import { BOUNCE_DOMAIN, inCI, TEST_SECRET, testConfig } from '../helpers/env.js';
import { postgresMissing, startPostgres, type PgServer } from '../helpers/postgres.js';
import { sendRaw } from '../helpers/smtp.js';

const missing = postgresMissing();
if (missing && !inCI) console.warn(`SKIPPED: test/cluster/store-copy.test.ts: ${missing}`);
const ADMIN = 'b2-copy-admin';
const verp = new VerpCodec(TEST_SECRET, 'b');
const log = createLogger('silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: PgServer | null = null;
let url = '';
const daemons: Daemon[] = [];
beforeAll(async () => {
  if (missing && !inCI) return;
  server = await startPostgres();
  url = await server.createDatabase('copy');
}, 120_000);
afterAll(async () => {
  for (const d of daemons) await d.stop().catch(() => {});
  server?.stop();
});

async function api(d: Daemon, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${d.httpAddress.port}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function settled(d: Daemon, total: number) {
  for (let i = 0; i < 200; i++) {
    const c = await d.store.messages.counts();
    if (c.received === 0 && Object.values(c).reduce((a, b) => a + b, 0) === total) return;
    await sleep(100);
  }
  throw new Error('messages not settled');
}

async function dsn(n: string, who: string) {
  const to = verp.encode({ account: 'acme', message: n, recipient: who }, BOUNCE_DOMAIN);
  return { to, raw: await buildDsn({ recipients: 1, recipient: () => who, messageId: `<dsn-${n}@mx.example.org>`, to }) };
}

/** What the API says about the data: the same questions asked of both daemons. */
async function answers(d: Daemon) {
  const all = await api(d, '/v1/bounces?limit=100');
  const first = all.body.items[0].id;
  return {
    bounces: all.body,
    acme: (await api(d, '/v1/bounces?account=acme&type=hard')).body,
    one: (await api(d, `/v1/bounces/${first}`)).body,
    accounts: (await api(d, '/v1/accounts')).body,
    health: (await api(d, '/v1/accounts/acme/health')).body,
    suppressions: (await api(d, '/v1/suppressions?account=acme')).body,
    check: (await api(d, '/v1/suppressions/u0@example.org?account=acme')).body,
    checkOther: (await api(d, '/v1/suppressions/nobody@example.org?account=acme')).body,
    webhooks: (await api(d, '/v1/accounts/acme/webhooks')).body,
  };
}

const copy = (...args: string[]) => spawnSync(process.execPath, [CLI, 'store', 'copy', ...args], { env: childEnv({ BOUNCED_LOG_LEVEL: 'silent' }), encoding: 'utf8', timeout: 120_000 });

describe.skipIf(missing && !inCI)('bounced store copy', () => {
  it('copies a SQLite database made by the pipeline into PostgreSQL; the API answers the same on both', async () => {
    const base = { adminKey: ADMIN, http: { port: 0, webhookAllowPrivateDestinations: true } };
    const liteConfig = testConfig(base);
    const lite = await startDaemon(liteConfig, log);
    daemons.push(lite);
    expect((await api(lite, '/v1/accounts', { id: 'acme', tier: 'starter', contactEmail: 'ops@acme.example' })).status).toBe(201);
    expect((await api(lite, '/v1/accounts', { id: 'beta', tier: 'free' })).status).toBe(201);
    expect((await api(lite, '/v1/accounts/acme/webhooks', { url: 'http://127.0.0.1:9/hook' })).status).toBe(201);
    const reports = await Promise.all(Array.from({ length: 6 }, (_, i) => dsn(`m${i}`, `u${i}@example.org`)));
    for (const r of reports) expect((await sendRaw(lite.smtpAddress.port, { from: '', to: [r.to] }, r.raw)).code).toBe(250);
    // The same report again (a duplicate) and one nobody signed (unverified).
    expect((await sendRaw(lite.smtpAddress.port, { from: '', to: [reports[0]!.to] }, reports[0]!.raw)).code).toBe(250);
    const stranger = await buildDsn({ recipients: 2, messageId: '<stranger@mx.example.org>' });
    expect((await sendRaw(lite.smtpAddress.port, { from: '', to: [`postmaster@${BOUNCE_DOMAIN}`] }, stranger)).code).toBe(250);
    await settled(lite, 8);
    const before = await answers(lite);
    expect(before.bounces.items.length).toBe(8);
    expect(before.check.send).toBe(false);
    expect(before.checkOther.send).toBe(true);
    const dataDir = liteConfig.dataDir;
    await lite.stop();

    const first = copy('--from', `sqlite:${dataDir}/bounced.db`, '--to', url);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^messages\t8 rows\t8 inserted\t8 in the target$/m);
    expect(first.stdout).toMatch(/^bounces\t8 rows\t8 inserted\t8 in the target$/m);
    expect(first.stdout).toMatch(/counts equal on both sides/);

    // A second copy onto the full target is refused; --resume finds nothing missing.
    const again = copy('--from', dataDir, '--to', url);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/the target holds rows .*--resume.*--force/);
    const resumed = copy('--from', dataDir, '--to', url, '--resume');
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^messages\t8 rows\t0 inserted\t8 in the target$/m);
    expect(copy('--from', '/nonexistent/bounced.db', '--to', url).status).toBe(66);

    const pg = await startDaemon(testConfig({ ...base, database: { url } }), log);
    daemons.push(pg);
    const after = await answers(pg);
    expect(after).toEqual(before);

    // It goes on from the copied ids: a new report is stored and processed after them.
    const next = await dsn('m9', 'u9@example.org');
    expect((await sendRaw(pg.smtpAddress.port, { from: '', to: [next.to] }, next.raw)).code).toBe(250);
    await settled(pg, 9);
    const items = (await api(pg, '/v1/bounces?account=acme&limit=100')).body.items as Array<{ id: number; messageId: string }>;
    expect(items.at(-1)!.messageId).toBe('m9');
    expect(items.at(-1)!.id).toBeGreaterThan(Math.max(...before.bounces.items.map((b: { id: number }) => b.id)));

    // PostgreSQL to PostgreSQL too (another server, a new cluster): the same rows.
    await pg.stop();
    const url2 = await server!.createDatabase('copy2');
    const onward = copy('--from', url, '--to', url2);
    expect(onward.status, onward.stderr).toBe(0);
    expect(onward.stdout).toMatch(/^messages\t9 rows\t9 inserted\t9 in the target$/m);
    expect(onward.stdout).toMatch(/^events\t\d+ rows\t\d+ inserted\t\d+ in the target$/m);
  }, 180_000);
});

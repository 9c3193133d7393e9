// `bounced serve` on a real PostgreSQL (test/helpers/postgres.ts): a DSN over SMTP on loopback
// is stored, classified and shown by the API; with PostgreSQL stopped, SMTP answers 451
// (nothing acknowledged that is not stored), /readyz 503 and `ingest` exits 75; started again,
// mail is accepted again and nothing is lost or counted twice. Runs dist/ (npm run build).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { VerpCodec } from '../../src/verp/index.js';
import { buildPipeline } from '../../src/pipeline/build.js';
import { inCI, testConfig } from '../helpers/env.js';
import { childEnv, CLI, spawnDaemon, type ChildDaemon } from '../helpers/child.js';
import { buildDsn } from '../helpers/dsn.js';
import { BOUNCE_DOMAIN, TEST_SECRET, tmpDir } from '../helpers/env.js';
import { postgresMissing, startPostgres, type PgServer } from '../helpers/postgres.js';
import { sendRaw } from '../helpers/smtp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const missing = postgresMissing();
if (missing && !inCI) console.warn(`SKIPPED: test/cluster/pg-daemon.test.ts: ${missing}`);
const ADMIN = 'b2-admin-key';
const verp = new VerpCodec(TEST_SECRET, 'b');

let server: PgServer | null = null;
let url = '';
let daemon: ChildDaemon | null = null;

beforeAll(async () => {
  if (missing && !inCI) return;
  server = await startPostgres();
  url = await server.createDatabase('daemon');
}, 120_000);
afterAll(async () => {
  if (daemon) {
    daemon.proc.kill('SIGTERM');
    await daemon.exited;
  }
  server?.stop();
});

const env = (extra: Record<string, string> = {}) => ({
  BOUNCED_DATABASE_URL: url,
  BOUNCED_VERP_SECRET: TEST_SECRET,
  BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN,
  BOUNCED_ADMIN_KEY: ADMIN,
  ...extra,
});

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${daemon!.httpPort}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', ...init.headers } });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** waitFor over a probe that answers a falsy value, or throws, until it is done; every 150 ms. */
const until = <T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> =>
  waitFor(what, ms, async () => (await fn().catch(() => null)) || undefined, 150);

/** A verified DSN for acme's message `n` to `who`: its return path is the signed token. */
async function report(n: string, who: string) {
  const to = verp.encode({ account: 'acme', message: n, recipient: who }, BOUNCE_DOMAIN);
  const raw = await buildDsn({ recipients: 1, recipient: () => who, messageId: `<dsn-${n}@mx.example.org>`, to });
  return { to, raw };
}

async function counts(): Promise<{ messages: number; bounces: number; received: number; deliveries: number }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql.unsafe(`SELECT (SELECT count(*) FROM messages)::int AS messages, (SELECT count(*) FROM bounces)::int AS bounces,
      (SELECT count(*) FROM messages WHERE state = 'received')::int AS received, (SELECT count(*) FROM deliveries)::int AS deliveries`);
    return r as never;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

describe.skipIf(missing && !inCI)('bounced serve on PostgreSQL', () => {
  it('takes a DSN over SMTP, classifies it, the API shows it; 451 / 503 / exit 75 while PostgreSQL is down; nothing lost or doubled after', async () => {
    daemon = await spawnDaemon(env({ BOUNCED_DATA_DIR: tmpDir('b2-pgd-'), BOUNCED_NODE_ID: 'mx-a' }));
    // It said which database, with no password to hide, and which node.
    expect(daemon.log()).toMatch(/"evt":"DATA_IN_USE","database":"postgres:\/\/postgres@127\.0\.0\.1:\d+\/daemon","node":"mx-a"/);
    expect((await api('/v1/accounts', { method: 'POST', body: JSON.stringify({ id: 'acme', tier: 'starter' }) })).status).toBe(201);

    const first = await report('m-1', 'ann@example.org');
    const sent = await sendRaw(daemon.smtpPort, { from: '', to: [first.to] }, first.raw);
    expect(sent.code, sent.response).toBe(250);
    const items = await until('the bounce of m-1', async () => {
      const r = await api('/v1/bounces?account=acme');
      return r.body?.items?.length ? (r.body.items as any[]) : null;
    });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ accountId: 'acme', recipient: 'ann@example.org', messageId: 'm-1', verified: true, type: 'hard', status: '5.1.1' });
    expect((await api(`/v1/bounces/${items[0].id}`)).body.evidence).toHaveLength(1);
    expect((await api('/readyz', { headers: {} })).status).toBe(200);

    // PostgreSQL goes away under the daemon.
    server!.halt();
    const second = await report('m-2', 'bob@example.org');
    const refused = await sendRaw(daemon.smtpPort, { from: '', to: [second.to] }, second.raw);
    expect(refused.code, refused.response).toBe(451);
    expect(refused.response).toMatch(/4\.3\.0/);
    const down = await until('/readyz 503', async () => {
      const r = await api('/readyz', { headers: {} });
      return r.status === 503 ? r : null;
    });
    expect(JSON.stringify(down.body)).toMatch(/database/);
    const ingest = spawnSync(process.execPath, [CLI, 'ingest', '--recipient', second.to], {
      input: second.raw,
      env: childEnv(env({ BOUNCED_DATA_DIR: tmpDir('b2-pgi-'), BOUNCED_LOG_LEVEL: 'silent' })),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(ingest.status, ingest.stderr).toBe(75);
    expect(ingest.stderr).toMatch(/could not store the message \(will be retried\)/);
    expect(ingest.stderr).not.toMatch(/Error: .*\n\s+at /); // a message, not a stack

    // Back: the sender's retry is accepted, processed, and counted once.
    server!.resume();
    const retried = await until('250 after PostgreSQL is back', async () => {
      const r = await sendRaw(daemon!.smtpPort, { from: '', to: [second.to] }, second.raw);
      return r.code === 250 ? r : null;
    }, 30_000);
    expect(retried.code).toBe(250);
    await until('/readyz 200', async () => (await api('/readyz', { headers: {} })).status === 200);
    const after = await until('the bounce of m-2', async () => {
      const r = await api('/v1/bounces?account=acme');
      return r.body?.items?.length === 2 ? (r.body.items as any[]) : null;
    });
    expect(after.map((b) => b.recipient).sort()).toEqual(['ann@example.org', 'bob@example.org']);
    // Let a late processing pass or a scheduler tick run: still one message, one bounce, one delivery each.
    await sleep(1500);
    expect(await counts()).toEqual({ messages: 2, bounces: 2, received: 0, deliveries: 2 });
    expect(daemon.log()).toMatch(/STORE_WRITE_FAILED/);

    // `bounced migrate` on PostgreSQL: the daemon brought the schema up to date already.
    const migrate = spawnSync(process.execPath, [CLI, 'migrate'], { env: childEnv(env({ BOUNCED_DATA_DIR: tmpDir('b2-pgm-') })), encoding: 'utf8', timeout: 60_000 });
    expect(migrate.status, migrate.stderr).toBe(0);
    expect(migrate.stdout).toMatch(/^schema at version \d+ \(up to date\)$/m);
  }, 180_000);

  it('reads the pre-send check from database.readUrl (a replica) and writes to database.url', async () => {
    // A second database stands in for the replica: what only it holds is what the check sees.
    const primaryUrl = await server!.createDatabase('primary');
    const replicaUrl = await server!.createDatabase('replica');
    const built = await buildPipeline(testConfig({ database: { url: primaryUrl, readUrl: replicaUrl } }));
    const standIn = await buildPipeline(testConfig({ database: { url: replicaUrl } }));
    try {
      expect(built.presend).not.toBe(built.store.suppressions);
      await built.policy.createAccount({ id: 'acme', tier: 'starter' }, 'test', 1);
      // The account is on the primary only: the check, reading the replica, does not know it.
      expect(await built.policy.checkSendExisting('acme', 'ann@example.org', 2)).toBeNull();
      // Once the replica holds it (and a suppression the primary lacks), the check says so.
      await standIn.policy.createAccount({ id: 'acme', tier: 'starter' }, 'test', 1);
      await standIn.store.suppressions.add('acme', 'ann@example.org', 'hard_bounce', 'test', 2);
      expect(await built.store.suppressions.hits('acme', 'ann@example.org')).toEqual([]);
      const decision = await built.policy.checkSendExisting('acme', 'ann@example.org', 3);
      expect(decision).toMatchObject({ send: false, reasons: [{ code: 'hard_bounce', scope: 'account' }] });
    } finally {
      await built.close();
      await standIn.close();
    }
  });
});

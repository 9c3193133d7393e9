// Store faults that need no mount: a write lock held by another process. The daemon runs
// as operators run it (a child process, its pino log on stderr).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { DB_FILE } from '../../src/store/sqlite/open.js';
import { spawnDaemon, type ChildDaemon } from '../helpers/child.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, testConfig, tmpDir } from '../helpers/env.js';
import { sendRaw, withMessageId } from '../helpers/smtp.js';

const dsn = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
const to = `postmaster@${BOUNCE_DOMAIN}`;

let daemons: ChildDaemon[] = [];
let inProcess: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons) {
    d.proc.kill('SIGTERM');
    await d.exited;
  }
  daemons = [];
  for (const d of inProcess) await d.stop().catch(() => {});
  inProcess = [];
});

async function readyz(d: Daemon): Promise<{ status: number; body: { ok: boolean; checks: Record<string, boolean>; problems?: Record<string, string> } }> {
  const res = await fetch(`http://127.0.0.1:${d.httpAddress.port}/readyz`);
  return { status: res.status, body: await res.json() };
}

/** Polls /readyz until it answers `status` (the probe runs at most every 2 s). */
async function readyzBecomes(d: Daemon, status: number, ms = 15_000) {
  const end = Date.now() + ms;
  for (;;) {
    const r = await readyz(d);
    if (r.status === status || Date.now() > end) return r;
    await new Promise((res) => setTimeout(res, 200));
  }
}

function canChattr(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = tmpDir('bounced-chattr-probe-');
  return spawnSync('chattr', ['+i', dir]).status === 0 && spawnSync('chattr', ['-i', dir]).status === 0;
}
const chattr = canChattr();
if (!chattr) console.warn('SKIPPED: the immutable-files readiness test needs root and chattr (CI has both)');

async function start(extra: Record<string, string> = {}) {
  const dataDir = tmpDir('bounced-storefault-');
  const d = await spawnDaemon({ BOUNCED_DATA_DIR: dataDir, BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN, ...extra });
  daemons.push(d);
  return { d, db: join(dataDir, DB_FILE) };
}

const events = (d: ChildDaemon) =>
  d
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { evt?: string; repeated?: number });

describe('a write lock held by another process', () => {
  it('/readyz says 503 with the reason while the lock is held, 200 again once it is released', async () => {
    const config = testConfig();
    const d = await startDaemon(config, createLogger('silent'));
    inProcess.push(d);
    expect((await readyz(d)).status).toBe(200);
    const other = new Database(join(config.dataDir, DB_FILE));
    other.exec('BEGIN IMMEDIATE');
    let during;
    try {
      during = await readyzBecomes(d, 503);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(during.status).toBe(503);
    expect(during.body).toMatchObject({ ok: false, checks: { database: false, smtp: true } });
    expect(during.body.problems!.database).toMatch(/SQLITE_BUSY.*another process holds the write lock/);
    // The metrics say it too.
    const after = await readyzBecomes(d, 200);
    expect(after.body).toEqual({ ok: true, checks: { database: true, smtp: true } });
    const metrics = await (await fetch(`http://127.0.0.1:${d.httpAddress.port}/metrics`)).text();
    expect(metrics).toContain('bounced_ready{check="database"} 1');
  });

  it('/readyz answers at once while a commit of received mail waits for the lock (the probe waits no longer for its write turn than for the lock)', async () => {
    const config = testConfig();
    const d = await startDaemon(config, createLogger('silent'));
    inProcess.push(d);
    expect((await readyz(d)).status).toBe(200);
    const other = new Database(join(config.dataDir, DB_FILE));
    other.exec('BEGIN IMMEDIATE');
    let ms;
    let sent;
    try {
      // The probe's answer stands for 2 s; then a message arrives: the intake thread takes the
      // process's write turn and waits (store.busyTimeoutMs, 5 s) for SQLite's lock.
      await new Promise((r) => setTimeout(r, 2100));
      sent = sendRaw(d.smtpAddress.port, { from: '', to: [to] }, withMessageId(dsn, 'waiting'));
      await new Promise((r) => setTimeout(r, 500));
      const t0 = performance.now();
      await readyz(d);
      ms = performance.now() - t0;
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await sent;
    // The probe's own busy timeout is 100 ms; the SMTP/API thread must not wait seconds.
    expect(ms).toBeLessThan(1500);
  });

  it('a lasting store fault logs its error once (then a summary per window), not once per commit', async () => {
    // 10 sessions at a time, round after round: the per-client limit (smtp.maxClientsPerIp, 10)
    // is not what this is about, and the last round's sockets may still be closing.
    const { d, db } = await start({ BOUNCED_STORE_BUSY_TIMEOUT_MS: '20', BOUNCED_SMTP_MAX_CLIENTS_PER_IP: '0' });
    const other = new Database(db);
    other.exec('BEGIN IMMEDIATE');
    let refused = 0;
    try {
      // 200 messages from 10 sessions at a time: each commit fails after 20 ms.
      for (let round = 0; round < 20; round++) {
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => sendRaw(d.smtpPort, { from: '', to: [to] }, withMessageId(dsn, round * 10 + i))));
        refused += results.filter((r) => r.code === 451).length;
      }
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(refused).toBe(200);
    const failures = events(d).filter((e) => e.evt === 'STORE_WRITE_FAILED');
    // One line whole, and at most a summary line or two (10 s windows) for the rest.
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.length).toBeLessThanOrEqual(3);
    // Service resumes by itself.
    expect((await sendRaw(d.smtpPort, { from: '', to: [to] }, withMessageId(dsn, 'after'))).code).toBe(250);
  });
});

describe.skipIf(!chattr)('database files made immutable (as a read-only file system)', () => {
  it('/readyz says 503 with the reason, and 200 once they are writable again; a failed write of mail counts too', async () => {
    const config = testConfig();
    const d = await startDaemon(config, createLogger('silent'));
    inProcess.push(d);
    expect((await sendRaw(d.smtpAddress.port, { from: '', to: [to] }, withMessageId(dsn, 1))).code).toBe(250);
    await d.processor.drain();
    const dir = config.dataDir;
    const files = [DB_FILE, `${DB_FILE}-wal`].map((f) => join(dir, f));
    execFileSync('chattr', ['+i', ...files]);
    let during;
    try {
      during = await readyzBecomes(d, 503);
      expect((await sendRaw(d.smtpAddress.port, { from: '', to: [to] }, withMessageId(dsn, 2))).code).toBe(451);
      const metrics = await (await fetch(`http://127.0.0.1:${d.httpAddress.port}/metrics`)).text();
      expect(metrics).toContain('bounced_ready{check="database"} 0');
    } finally {
      spawnSync('chattr', ['-i', ...files]);
    }
    expect(during.status).toBe(503);
    expect(during.body.checks.database).toBe(false);
    expect(during.body.problems!.database).toMatch(/write probe failed: SQLITE_(READONLY|IOERR|CANTOPEN|PERM)/);
    // Writable again: the probe passes, but the refused mail keeps it unready until mail is stored again.
    await new Promise((r) => setTimeout(r, 2500));
    const stillRemembered = await readyz(d);
    expect(stillRemembered.status).toBe(503);
    expect(stillRemembered.body.problems!.database).toMatch(/storing received mail failed \d+ s ago/);
    expect((await sendRaw(d.smtpAddress.port, { from: '', to: [to] }, withMessageId(dsn, 2))).code).toBe(250);
    expect((await readyz(d)).status).toBe(200);
  });
});

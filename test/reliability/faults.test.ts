// Faults of the real file system: a full disk and a read-only one (a small tmpfs mounted
// for the test; needs root, as CI has). SMTP answers 451, `ingest` exits 75, nothing
// acknowledged is lost, and service resumes by itself when the fault clears.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { childEnv, CLI } from '../helpers/child.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, testConfig, tmpDir } from '../helpers/env.js';
import { sendRaw, withMessageId } from '../helpers/smtp.js';

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = tmpDir('bounced-mnt-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const mountable = canMount();
if (!mountable) console.warn('SKIPPED: file-system fault tests need root and tmpfs mounts (CI has both)');

const dsn = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
const to = `postmaster@${BOUNCE_DOMAIN}`;

let mounts: string[] = [];
let daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons) await d.stop().catch(() => {});
  daemons = [];
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  mounts = [];
});

function mountTmpfs(sizeKb: number): string {
  const dir = tmpDir('bounced-fault-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir]);
  mounts.push(dir);
  mkdirSync(join(dir, 'data'));
  return dir;
}
const remount = (dir: string, opts: string) => execFileSync('mount', ['-o', `remount,${opts}`, dir]);

describe.skipIf(!mountable)('file-system faults', () => {
  it('disk full: 451 for the messages that cannot be stored, the acknowledged ones kept, and it recovers by itself', async () => {
    const dir = mountTmpfs(2048);
    const d = await startDaemon(testConfig({ dataDir: join(dir, 'data') }), createLogger('silent'));
    daemons.push(d);
    const acked: number[] = [];
    let refused = 0;
    // ~4 KB each: a 1 MB file system fills within a few hundred.
    for (let n = 0; n < 600 && refused < 3; n++) {
      const res = await sendRaw(d.smtpAddress.port, { from: '', to: [to] }, withMessageId(dsn, n));
      if (res.code === 250) acked.push(n);
      else {
        expect(res.code, res.response).toBe(451);
        refused++;
      }
    }
    expect(refused).toBe(3);
    expect(acked.length).toBeGreaterThan(10);
    // Not ready, and why (a tiny probe write may still fit; the refused mail counts).
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${d.httpAddress.port}/readyz`);
      return { status: res.status, body: (await res.json()) as { problems?: { database?: string } } };
    };
    const full = await readyz();
    expect(full.status).toBe(503);
    expect(full.body.problems?.database).toMatch(/full/i);
    // The operator frees space; the very next retry is taken, no restart needed.
    remount(dir, 'size=64m');
    const retry = await sendRaw(d.smtpAddress.port, { from: '', to: [to] }, withMessageId(dsn, 'retry'));
    expect(retry.code).toBe(250);
    // ready again within a probe interval or two (the probe runs at most every 2 s)
    let again = await readyz();
    for (const until = Date.now() + 6000; again.status !== 200 && Date.now() < until; again = await readyz()) await new Promise((r) => setTimeout(r, 250));
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    await d.processor.drain();
    const ids = new Set((await d.store.messages.list({ limit: 10_000 })).map((m) => m.id));
    expect(ids.size).toBe(acked.length + 1);
    expect((await d.store.messages.counts()).received).toBe(0);
  });

  it('database files made read-only under the daemon: SMTP 451 and ingest exit 75; both succeed once writable again', async () => {
    // chattr +i (immutable) refuses writes even through descriptors already open: the same
    // errors as a file system remounted read-only, which Linux refuses while files are open.
    const dataDir = tmpDir('bounced-ro-');
    const d = await startDaemon(testConfig({ dataDir }), createLogger('silent'));
    daemons.push(d);
    expect((await sendRaw(d.smtpAddress.port, { from: '', to: [to] }, withMessageId(dsn, 1))).code).toBe(250);
    await d.processor.drain();
    const files = ['bounced.db', 'bounced.db-wal'].map((f) => join(dataDir, f));
    execFileSync('chattr', ['+i', ...files]);
    try {
      expect((await sendRaw(d.smtpAddress.port, { from: '', to: [to] }, withMessageId(dsn, 2))).code).toBe(451);
      const env = childEnv({ BOUNCED_DATA_DIR: dataDir, BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN });
      const ingest = () => spawnSync(process.execPath, [CLI, 'ingest', '--recipient', to, '-'], { env, input: withMessageId(dsn, 3) });
      const failed = ingest();
      expect(failed.status, failed.stderr.toString()).toBe(75);
      execFileSync('chattr', ['-i', ...files]);
      expect((await sendRaw(d.smtpAddress.port, { from: '', to: [to] }, withMessageId(dsn, 2))).code).toBe(250);
      expect(ingest().status).toBe(0);
    } finally {
      spawnSync('chattr', ['-i', ...files]);
    }
    await d.processor.drain();
    expect(await d.store.messages.counts()).toMatchObject({ received: 0, processed: 3 });
  });
});


// The tailer over real files and real SQLite: evidence from a real Postfix log, exactly
// once across re-reads, rotation by rename and by copy-truncate, and SIGKILL.
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon } from '../../src/main.js';
import { LogTailer } from '../../src/logtail/tailer.js';
import { buildPipeline, type Built } from '../../src/pipeline/build.js';
import { VerpCodec } from '../../src/verp/index.js';
import { spawnDaemon } from '../helpers/child.js';
import { otherConnection, readRows } from '../helpers/db.js';
import { sendRaw } from '../helpers/smtp.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, testConfig, tmpDir } from '../helpers/env.js';
import { signedMaillog } from '../helpers/maillog.js';
import { waitFor } from '../helpers/wait.js';

const verp = new VerpCodec(TEST_SECRET, 'b');
const log = createLogger('silent');
// The capture's lines are from 2026-11-23 02:44..02:47 local time.
const now = () => new Date(2026, 10, 23, 12, 0, 0).getTime();

let stores: Built[] = [];
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});
/** The store, the policy and the codec the tailer is given, as the daemon builds them. */
async function store(overrides: Record<string, unknown> = {}) {
  const s = await buildPipeline(testConfig(overrides));
  stores.push(s);
  return s;
}
/** The checkpoint's line count, read from the database file (another process's view). */
const checkpointLines = (dataDir: string, file: string): number =>
  readRows<{ lines: number }>(dataDir, 'SELECT lines FROM tail_checkpoints WHERE path = ?', file)[0]?.lines ?? 0;

/** Synthetic but Postfix-shaped lines for message n: qmgr from=, then a sent status line. */
function messageLines(n: number): string {
  const qid = (0x100000 + n).toString(16).toUpperCase() + 'A';
  const to = `user${n}@example.org`;
  const from = verp.encode({ account: 'acme', message: `m${n}`, recipient: to }, BOUNCE_DOMAIN);
  return (
    `Nov 23 03:00:00 mx postfix/qmgr[9]: ${qid}: from=<${from}>, size=2000, nrcpt=1 (queue active)\n` +
    `Nov 23 03:00:01 mx postfix/smtp[10]: ${qid}: to=<${to}>, relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X${n})\n`
  );
}

/** waitFor over a condition, polled every 50 ms. */
const until = async (cond: () => boolean, ms = 15_000): Promise<void> => {
  await waitFor('the condition', ms, () => cond() || undefined, 50);
};

describe('log tailer', () => {
  it('turns a real Postfix log into one delivery per (message, recipient) with the right outcome', async () => {
    const s = await store();
    const file = join(tmpDir(), 'maillog');
    const { text, scenarios } = signedMaillog();
    writeFileSync(file, text);
    const stats = await new LogTailer({ path: file, store: s.store, rules: s.rules, verp, log, now }).runOnce();
    expect(stats.lines).toBe(text.trim().split('\n').length);
    expect(stats.unparsed).toBe(0);

    const byMessage = new Map((await s.store.deliveries.list({})).map((d) => [d.messageId, d]));
    // Every scenario's first recipient got exactly one delivery record.
    expect([...byMessage.keys()].sort()).toEqual([...scenarios.keys()].sort());
    expect(byMessage.get('s01-local-unknown')).toMatchObject({ recipient: 'nosuchuser@mta.test', state: 'hard', status: '5.1.1', reason: 'userunknown' });
    expect(byMessage.get('s02-remote-rcpt550')).toMatchObject({ state: 'hard', status: '5.1.1', reason: 'userunknown' });
    expect(byMessage.get('s04-remote-data552')).toMatchObject({ state: 'hard', status: '5.2.2', reason: 'mailboxfull' });
    // Deferred for two minutes (the harness's queue lifetime), then `status=expired`.
    expect(byMessage.get('s05-remote-rcpt452')).toMatchObject({ state: 'soft', reason: 'expired' });
    expect(byMessage.get('s06-unreachable')).toMatchObject({ state: 'soft', reason: 'expired' });
    expect(byMessage.get('s06-unreachable')!.attempts).toBeGreaterThan(2);
    expect(byMessage.get('s08-success-notify')).toMatchObject({ state: 'delivered' });
    // Sends: once per delivery that the log saw attempted.
    const sent = (await s.store.sends.list('acme')).reduce((a, r) => a + r.count, 0);
    expect(sent).toBe(byMessage.size);
  });

  it('reading the same lines again changes nothing', async () => {
    const s = await store();
    const file = join(tmpDir(), 'maillog');
    writeFileSync(file, signedMaillog().text);
    await new LogTailer({ path: file, store: s.store, rules: s.rules, verp, log, now }).runOnce();
    const before = JSON.stringify(await s.store.deliveries.list({}));
    // A lost checkpoint (e.g. restored backup): every line is read again.
    const db = otherConnection(s.config.dataDir);
    db.exec('DELETE FROM tail_checkpoints');
    db.close();
    const again = await new LogTailer({ path: file, store: s.store, rules: s.rules, verp, log, now }).runOnce();
    expect(again.outcomes.matched).toBeLessThan(again.lines);
    expect(again.outcomes.duplicate).toBeGreaterThan(0);
    expect(JSON.stringify(await s.store.deliveries.list({}))).toBe(before);
    // And with the checkpoint in place, nothing is read at all.
    expect((await new LogTailer({ path: file, store: s.store, rules: s.rules, verp, log, now }).runOnce()).lines).toBe(0);
  });

  it('follows rotation by rename and by copy-truncate while lines are written: nothing lost or doubled', async () => {
    const s = await store();
    const dir = tmpDir();
    const file = join(dir, 'maillog');
    writeFileSync(file, '');
    const tailer = new LogTailer({ path: file, store: s.store, rules: s.rules, verp, log, now, pollMs: 20, batchLines: 7 });
    await tailer.start();
    let n = 0;
    const write = (count: number) => {
      for (let i = 0; i < count; i++) appendFileSync(file, messageLines(n++));
    };
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    write(30);
    await pause(60);
    write(5);
    // Rotation by rename: the old file keeps its last lines, a new one starts.
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, messageLines(n++)); // written by a process that still had it open
    writeFileSync(file, '');
    write(20);
    await pause(100);
    write(10);
    // Rotation by copy-truncate (logrotate's copytruncate).
    await until(() => tailer.totals.lines >= 2 * n);
    copyFileSync(file, `${file}.2`);
    truncateSync(file, 0);
    write(25);
    await until(() => tailer.totals.lines >= 2 * n);
    await tailer.stop();
    expect(tailer.totals.lines).toBe(2 * n);
    const deliveries = await s.store.deliveries.list({ limit: 10_000 });
    expect(deliveries).toHaveLength(n);
    expect(deliveries.every((d) => d.state === 'delivered' && d.attempts === 1)).toBe(true);
    expect((await s.store.sends.list('acme'))[0]!.count).toBe(n);
  });

  it('survives the log file disappearing and reappearing', async () => {
    const s = await store();
    const file = join(tmpDir(), 'maillog');
    writeFileSync(file, messageLines(0));
    const tailer = new LogTailer({ path: file, store: s.store, rules: s.rules, verp, log, now, pollMs: 20 });
    await tailer.start();
    await until(() => tailer.totals.lines >= 2);
    rmSync(file);
    await new Promise((r) => setTimeout(r, 300)); // several polls find nothing
    writeFileSync(file, messageLines(1) + messageLines(2));
    await until(() => tailer.totals.lines >= 6);
    await tailer.stop();
    expect((await s.store.deliveries.list({})).map((d) => d.messageId).sort()).toEqual(['m0', 'm1', 'm2']);
  });

  it('after SIGKILL of the daemon while it tails, every line is counted exactly once', async () => {
    const dataDir = tmpDir();
    const file = join(tmpDir(), 'maillog');
    writeFileSync(file, '');
    const env = {
      BOUNCED_DATA_DIR: dataDir,
      BOUNCED_VERP_SECRET: TEST_SECRET,
      BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN,
      BOUNCED_TAIL_FILE: file,
      BOUNCED_TAIL_POLL_MS: '20',
    };
    const first = await spawnDaemon(env);
    let n = 0;
    for (let round = 0; round < 20; round++) {
      let chunk = '';
      for (let i = 0; i < 50; i++) chunk += messageLines(n++);
      appendFileSync(file, chunk);
      await new Promise((r) => setTimeout(r, 10));
    }
    first.proc.kill('SIGKILL');
    await first.exited;
    for (let i = 0; i < 200; i++) appendFileSync(file, messageLines(n++));

    const second = await spawnDaemon(env);
    const cfg = testConfig({ dataDir });
    await until(() => checkpointLines(dataDir, file) >= 2 * n, 30_000);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const s = await buildPipeline(cfg);
    stores.push(s);
    expect((await s.store.tail.checkpoint(file))!.lines).toBe(2 * n);
    const deliveries = await s.store.deliveries.list({ limit: 100_000 });
    expect(deliveries).toHaveLength(n);
    expect((await s.store.sends.list('acme'))[0]!.count).toBe(n);
  });
});

describe('log tailer faults: degrade, retry, resume from the checkpoint', () => {
  it('the log replaced by a directory: failing with the error, then caught up exactly once when a file is back', async () => {
    const s = await store();
    const dir = tmpDir();
    const file = join(dir, 'maillog');
    let n = 0;
    const write = (to: string, count: number) => {
      for (let i = 0; i < count; i++) appendFileSync(to, messageLines(n++));
    };
    writeFileSync(file, '');
    write(file, 10);
    const tailer = new LogTailer({ path: file, store: s.store, rules: s.rules, verp, log, now, pollMs: 20, retryBaseMs: 50, retryMaxMs: 200 });
    await tailer.start();
    await until(() => tailer.totals.lines >= 20);
    expect(tailer.health()).toMatchObject({ state: 'following', ok: true });
    // Rotated away, the old file gets its last lines, and the name becomes a directory.
    renameSync(file, `${file}.1`);
    write(`${file}.1`, 2);
    mkdirSync(file);
    await until(() => tailer.health().state === 'failing');
    const h = tailer.health();
    expect(h.ok).toBe(false);
    expect(h.code).toMatch(/^(EISDIR|NOT_A_FILE)$/);
    expect(h.reason).toMatch(/resumes from its checkpoint/);
    // Still failing after several retries (back-off), and nothing is lost meanwhile.
    await new Promise((r) => setTimeout(r, 400));
    expect(tailer.health().state).toBe('failing');
    rmSync(file, { recursive: true });
    writeFileSync(file, '');
    write(file, 8);
    await until(() => tailer.health().state === 'following' && tailer.totals.lines >= 2 * n);
    write(file, 5); // and it follows again
    await until(() => tailer.totals.lines >= 2 * n);
    await tailer.stop();
    expect(tailer.totals.lines).toBe(2 * n);
    const deliveries = await s.store.deliveries.list({ limit: 10_000 });
    expect(deliveries).toHaveLength(n);
    expect(deliveries.every((d) => d.state === 'delivered' && d.attempts === 1)).toBe(true);
    expect((await s.store.tail.checkpoint(file))!.lines).toBe(2 * n);
  });

  it('a store fault (write lock held elsewhere) fails the tailer, not the process; the lines are committed once it clears', async () => {
    const s = await store({ store: { busyTimeoutMs: 20 } });
    const file = join(tmpDir(), 'maillog');
    let n = 0;
    writeFileSync(file, '');
    const tailer = new LogTailer({ path: file, store: s.store, rules: s.rules, verp, log, now, pollMs: 20, retryBaseMs: 50, retryMaxMs: 200 });
    await tailer.start();
    for (let i = 0; i < 5; i++) appendFileSync(file, messageLines(n++));
    await until(() => tailer.totals.lines >= 2 * n);
    const other = otherConnection(s.config.dataDir);
    other.exec('BEGIN IMMEDIATE');
    try {
      for (let i = 0; i < 5; i++) appendFileSync(file, messageLines(n++));
      await until(() => tailer.health().state === 'failing');
      expect(tailer.health().code).toMatch(/^SQLITE_BUSY/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    for (let i = 0; i < 5; i++) appendFileSync(file, messageLines(n++));
    await until(() => tailer.health().ok && tailer.totals.lines >= 2 * n);
    await tailer.stop();
    expect(tailer.totals.lines).toBe(2 * n);
    expect(await s.store.deliveries.list({ limit: 10_000 })).toHaveLength(n);
    expect((await s.store.tail.checkpoint(file))!.lines).toBe(2 * n);
  });
});

// The real case: Postfix < 3.9's `postfix logrotate` recreates the log 0600 root, and the
// daemon runs as another user. Tests run as root (which reads anything), so the daemon runs
// as `nobody` here.
const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('SKIPPED: the unreadable-log daemon test runs the daemon as nobody and needs root (CI has it)');
const NOBODY = { uid: 65534, gid: 65534 };

describe.skipIf(!asRoot)('the daemon (as nobody) when its log becomes unreadable', () => {
  it('stays up (SMTP, API), says the tailer is failing and why, and resumes from its checkpoint when readable again; also when it starts that way', async () => {
    const root = tmpDir('bounced-unreadable-');
    chmodSync(root, 0o755);
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    chownSync(dataDir, NOBODY.uid, NOBODY.gid);
    const logDir = join(root, 'log');
    mkdirSync(logDir, { mode: 0o755 });
    const file = join(logDir, 'maillog');
    writeFileSync(file, '', { mode: 0o644 });
    let n = 0;
    const write = (count: number, to = file) => {
      for (let i = 0; i < count; i++) appendFileSync(to, messageLines(n++));
    };
    const env = {
      BOUNCED_DATA_DIR: dataDir,
      BOUNCED_VERP_SECRET: TEST_SECRET,
      BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN,
      BOUNCED_TAIL_FILE: file,
      BOUNCED_TAIL_POLL_MS: '20',
    };
    const lines = () => checkpointLines(dataDir, file);
    const get = async (port: number, path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, text: await res.text() };
    };
    const dsn = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));

    const d = await spawnDaemon(env, NOBODY);
    write(20);
    await until(() => lines() >= 2 * n);
    // `postfix logrotate` before 3.9: rename, and a new log 0600 root that Postfix writes on.
    renameSync(file, `${file}.1`);
    write(2, `${file}.1`);
    writeFileSync(file, '', { mode: 0o600 });
    write(10);
    let ready = await get(d.httpPort, '/readyz');
    for (let i = 0; i < 100 && ready.status !== 503; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await get(d.httpPort, '/readyz');
    }
    expect(ready.status).toBe(503);
    const body = JSON.parse(ready.text) as { checks: Record<string, boolean>; problems: Record<string, string> };
    expect(body.checks).toEqual({ database: true, smtp: true, tailer: false });
    expect(body.problems.tailer).toMatch(/^EACCES: permission denied/);
    expect((await get(d.httpPort, '/metrics')).text).toContain('bounced_tailer_failing{code="EACCES"} 1');
    // SMTP and the API go on.
    expect((await sendRaw(d.smtpPort, { from: '', to: [`postmaster@${BOUNCE_DOMAIN}`] }, dsn)).code).toBe(250);
    expect((await get(d.httpPort, '/healthz')).status).toBe(200);
    write(5);
    // The operator fixes the mode (maillog_file_permissions = 0644): caught up, exactly once.
    chmodSync(file, 0o644);
    await until(() => lines() >= 2 * n, 20_000);
    let readyAgain = await get(d.httpPort, '/readyz');
    for (let i = 0; i < 50 && readyAgain.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      readyAgain = await get(d.httpPort, '/readyz');
    }
    expect(readyAgain.status, readyAgain.text).toBe(200);
    expect(d.log()).toContain('"evt":"TAIL_RECOVERED"');
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);

    // Unreadable while stopped: the daemon starts all the same, and catches up once it can.
    chmodSync(file, 0o600);
    write(7);
    const again = await spawnDaemon(env, NOBODY);
    const r = await get(again.httpPort, '/readyz');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.text).problems.tailer).toMatch(/^EACCES/);
    expect((await sendRaw(again.smtpPort, { from: '', to: [`postmaster@${BOUNCE_DOMAIN}`] }, dsn)).code).toBe(250);
    chmodSync(file, 0o644);
    await until(() => lines() >= 2 * n, 20_000);
    again.proc.kill('SIGTERM');
    expect(await again.exited).toBe(0);

    const s = await buildPipeline(testConfig({ dataDir }));
    stores.push(s);
    expect((await s.store.tail.checkpoint(file))!.lines).toBe(2 * n);
    const deliveries = await s.store.deliveries.list({ limit: 100_000 });
    expect(deliveries).toHaveLength(n);
    expect(deliveries.every((x) => x.attempts === 1)).toBe(true);
    expect((await s.store.sends.list('acme'))[0]!.count).toBe(n);
  }, 60_000);
});

// logrotate's default for mail logs is `compress` (often with `delaycompress`): the rotated
// file becomes maillog.1.gz, a new inode, so the checkpoint's inode is nowhere to be found.
describe('rotation while stopped, with compressed rotated logs (a real gzip)', () => {
  const gzip = (f: string) => execFileSync('gzip', [f]);
  const setup = async () => {
    const s = await store();
    const dir = tmpDir();
    const file = join(dir, 'maillog');
    let n = 0;
    const write = (count: number, to = file) => {
      for (let i = 0; i < count; i++) appendFileSync(to, messageLines(n++));
    };
    const unread: Array<{ file: string | null; reason: string }> = [];
    const once = () => new LogTailer({ path: file, store: s.store, rules: s.rules, verp, log, now, onUnread: (r) => unread.push(r) }).runOnce();
    /** Sets a file's mtime `hoursAgo` hours back (logrotate rotates daily; gzip keeps the mtime). */
    const age = (f: string, hoursAgo: number) => {
      const t = new Date(Date.now() - hoursAgo * 3_600_000);
      utimesSync(f, t, t);
    };
    return { s, file, write, once, unread, age, count: () => n };
  };

  it('compress: the unread end of maillog.1.gz is read (gunzipped), then the new log; each line once', async () => {
    const { s, file, write, once, unread, age, count } = await setup();
    write(20);
    await once();
    write(4); // written after our last read, before the rotation
    renameSync(file, `${file}.1`);
    age(`${file}.1`, 24);
    gzip(`${file}.1`);
    write(6);
    const stats = await once();
    expect(stats.lines).toBe(2 * 10);
    expect(unread).toEqual([]);
    const n = count();
    expect((await s.store.tail.checkpoint(file))!.lines).toBe(2 * n);
    expect(await s.store.deliveries.list({ limit: 10_000 })).toHaveLength(n);
    expect((await s.store.sends.list('acme'))[0]!.count).toBe(n);
  });

  it('delaycompress, stopped across two rotations: maillog.2.gz from the checkpoint, maillog.1 whole, then the log', async () => {
    const { s, file, write, once, unread, age, count } = await setup();
    write(10);
    await once();
    write(3);
    renameSync(file, `${file}.1`); // rotation 1 (delaycompress: .1 stays plain)
    age(`${file}.1`, 48);
    write(7);
    renameSync(`${file}.1`, `${file}.2`); // rotation 2: .1 -> .2, compressed now
    gzip(`${file}.2`);
    renameSync(file, `${file}.1`);
    age(`${file}.1`, 24);
    write(5);
    const stats = await once();
    expect(stats.lines).toBe(2 * (3 + 7 + 5));
    expect(unread).toEqual([]);
    const n = count();
    expect((await s.store.tail.checkpoint(file))!.lines).toBe(2 * n);
    const deliveries = await s.store.deliveries.list({ limit: 10_000 });
    expect(deliveries).toHaveLength(n);
    expect(deliveries.every((d) => d.attempts === 1)).toBe(true);
    // Read again (a checkpoint now at the end): nothing new.
    expect((await once()).lines).toBe(0);
  });

  it('a compressed file cut short: what it holds is read, the rest is counted and reported (log event, metric)', async () => {
    const { s, file, write, once, age, count } = await setup();
    write(10);
    await once();
    for (let i = 0; i < 400; i++) write(1); // ~100 KB after the checkpoint
    renameSync(file, `${file}.1`);
    age(`${file}.1`, 24);
    gzip(`${file}.1`);
    const gz = `${file}.1.gz`;
    truncateSync(gz, Math.floor(statSync(gz).size / 2));
    write(5);
    // Through the daemon: its log and its metrics say it.
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _e, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    const dataDir = s.config.dataDir;
    await s.close();
    stores = stores.filter((x) => x !== s);
    const d = await startDaemon(testConfig({ dataDir, tail: { file, pollMs: 20 } }), createLogger('info', sink as never));
    try {
      await until(() => lines.some((l) => l.evt === 'TAIL_UNREAD') && d.tailer!.totals.lines >= 10);
      const metrics = await (await fetch(`http://127.0.0.1:${d.httpAddress.port}/metrics`)).text();
      expect(metrics).toMatch(/bounced_log_unread_total\{cause="damaged"\} 1/);
      expect(lines.find((l) => l.evt === 'TAIL_UNREAD')).toMatchObject({ level: 40, file: gz, reason: expect.stringMatching(/damaged/) });
      // The readable part of the damaged file was recorded, and the new log whole.
      const read = (await d.store.deliveries.list({ limit: 10_000 })).length;
      expect(read).toBeGreaterThan(10 + 5);
      expect(read).toBeLessThan(count());
      expect((await d.store.deliveries.list({ limit: 10_000 })).filter((x) => x.messageId === `m${count() - 1}`)).toHaveLength(1);
    } finally {
      await d.stop();
    }
  });

  it('a rotated file that is gone is reported, not silently skipped', async () => {
    const { file, write, once, unread } = await setup();
    write(10);
    await once();
    write(3);
    renameSync(file, `${file}.1`);
    rmSync(`${file}.1`);
    write(2);
    expect((await once()).lines).toBe(4);
    expect(unread).toEqual([expect.objectContaining({ file: null, offset: expect.any(Number) })]);
    // Said once: the next start neither reads nor reports it again.
    await once();
    expect(unread).toHaveLength(1);
  });
});

// Power-cut safety: every message acknowledged with 250 is on the disk, not only in the
// kernel's page cache. A SIGKILL (crash.test.ts) keeps whatever the process wrote; a power cut
// keeps only what was synced. So the daemon runs under an LD_PRELOAD shim
// (./powercut-shim.c) that logs every change to its data directory and every sync; after a
// SIGKILL mid-load the reconstructor (../helpers/powercut.ts) builds the images a power cut
// may leave (only the synced writes; or those plus a seeded random subset of 4 KiB pages and
// name changes), and each image is checked: the database intact, every acknowledged message
// there exactly once with its bytes (spooled ones from their files), and the daemon starts on
// it and settles.
//
// The negative control runs the same load with store.synchronous=NORMAL (commits not synced):
// its images must lose acknowledged messages, or the harness proves nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync, statSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { VerpCodec } from '../../src/verp/index.js';
import { spawnDaemon } from '../helpers/child.js';
import { dbFile, openStore } from '../helpers/db.js';
import { BOUNCE_DOMAIN, fixturesDir, inCI, repoRoot, TEST_SECRET, tmpDir } from '../helpers/env.js';
import { parseLog, reconstruct, rng, snapshot, writeImage, type Image, type Snapshot } from '../helpers/powercut.js';
import { sendRaw, withMessageId } from '../helpers/smtp.js';

const haveGcc = spawnSync('gcc', ['--version']).status === 0;
if (!haveGcc && inCI) throw new Error('the power-cut test needs gcc (.ci/run installs it)');

const verp = new VerpCodec(TEST_SECRET, 'b');
const dsn = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
const RCPT = 'rcpt-550-5.1.1@reject.test';
// Spooled messages: past this size a message's bytes go to a file of their own (src/spool).
const SPOOL_ABOVE = 16_384;
const SENDERS = 8;
const SEEDS = [1, 2, 3];

function buildShim(): string {
  const out = join(tmpDir('bounced-powercut-'), 'powercut-shim.so');
  const r = spawnSync('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-o', out, join(repoRoot, 'test/reliability/powercut-shim.c'), '-ldl', '-lpthread'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc: ${r.stderr}`);
  return out;
}

/** Message n: the DSN fixture made unique, every fifth padded past the spool threshold (in its epilogue). */
function message(n: number): Buffer {
  const base = withMessageId(dsn, `pc${n}`);
  if (n % 5 !== 0) return base;
  const pad = Buffer.from(`pad ${n} ${'x'.repeat(70)}\r\n`.repeat(Math.ceil((SPOOL_ABOVE * 1.5) / 78)));
  return Buffer.concat([base, pad]);
}

interface Run {
  snap: Snapshot;
  dataDir: string;
  log: ReturnType<typeof parseLog>;
  /** Acknowledged messages: recipient address -> the bytes sent. */
  acked: Map<string, Buffer>;
  env: Record<string, string>;
}

/**
 * A data directory made by a clean start and stop, snapshotted; then the daemon under the shim,
 * SENDERS sessions sending until it is SIGKILLed at a random moment: `atAck`, right after the
 * next 250 that follows it (the acknowledgement most likely to be lost, if any is); else then
 * and there (mid-commit, mid-settling, mid-spool-write as it happens).
 */
async function loadAndCut(shim: string, seed: number, atAck: boolean, extra: Record<string, string>): Promise<Run> {
  const dataDir = realpathSync(tmpDir());
  const logFile = join(tmpDir('bounced-powercut-log-'), 'log');
  // A fixed node id: the image is this node after its power cut, in another directory (the
  // default id hashes the path), and takes back the claims it held.
  const env = { BOUNCED_DATA_DIR: dataDir, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN, BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_SPOOL_ABOVE_BYTES: String(SPOOL_ABOVE), BOUNCED_NODE_ID: 'powercut', ...extra };
  const first = await spawnDaemon(env);
  first.proc.kill('SIGTERM');
  expect(await first.exited).toBe(0);
  // What the stopped daemon left is durable once this returns.
  spawnSync('sync');
  const snap = snapshot(dataDir);

  // UV_USE_IO_URING=0: libuv's file writes go through libc, where the shim sees them.
  const child = await spawnDaemon({ ...env, LD_PRELOAD: shim, POWERCUT_DIR: dataDir, POWERCUT_LOG: logFile, UV_USE_IO_URING: '0' });
  const r = rng(seed);
  const acked = new Map<string, Buffer>();
  let alive = true;
  let cutAfterNextAck = false;
  void child.exited.then(() => (alive = false));
  const timer = setTimeout(() => {
    if (atAck) cutAfterNextAck = true;
    else child.proc.kill('SIGKILL');
  }, 1000 + r() * 1000);
  let n = 0;
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (alive) {
        const id = seed * 1_000_000 + n++;
        const to = verp.encode({ account: 'acme', message: `pc-${id}`, recipient: RCPT }, BOUNCE_DOMAIN);
        const raw = message(id);
        const res = await sendRaw(child.smtpPort, { from: '', to: [to] }, raw).catch(() => null);
        if (res?.code !== 250) continue;
        acked.set(to.toLowerCase(), raw);
        if (cutAfterNextAck && alive) {
          child.proc.kill('SIGKILL');
          alive = false;
        }
      }
    }),
  );
  clearTimeout(timer);
  await child.exited;
  const log = parseLog(readFileSync(logFile));
  rmSync(dirname(logFile), { recursive: true, force: true });
  return { snap, dataDir, log, acked, env };
}

/** Every file of `dir` but SQLite's -shm: relative path -> bytes (directories: null). */
function listing(dir: string): Map<string, Buffer | null> {
  const out = new Map<string, Buffer | null>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        out.set(relative(dir, p), null);
        walk(p);
      } else if (!name.endsWith('-shm')) out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/**
 * Every logged change replayed equals the directory as the SIGKILL left it: each file equals the
 * replay with or without the writes that were in flight at the kill (logged, not yet returned).
 * A name created in the microseconds between an open and its record is an empty file missing
 * from the replay: tolerated, nothing else.
 */
function replayMatches(run: Run): void {
  const without = reconstruct(run.snap, run.log, 'all', 0, { inFlight: false }).files;
  const withIt = reconstruct(run.snap, run.log, 'all', 0, { inFlight: true }).files;
  const left = listing(run.dataDir);
  for (const [p, bytes] of left) {
    if (!without.has(p)) {
      expect(bytes?.length, `${p}: in the directory, not in the log`).toBe(0);
      continue;
    }
    if (bytes === null) expect(without.get(p), p).toBe(null);
    else expect(bytes.equals(without.get(p)!) || bytes.equals(withIt.get(p)!), `${p}: the replay differs from the file`).toBe(true);
  }
  for (const p of without.keys()) expect(left.has(p), `${p}: in the log, not in the directory`).toBe(true);
}

interface Verdict {
  integrity: string;
  lost: string[];
  twice: string[];
  wrongBytes: string[];
}

/** Opens an image as the daemon would and compares it with what was acknowledged. */
async function judge(img: Image, run: Run): Promise<{ dir: string; verdict: Verdict }> {
  const dir = tmpDir('bounced-powercut-image-');
  writeImage(img, dir);
  let integrity = 'no database';
  if (existsSync(dbFile(dir))) {
    const db = new Database(dbFile(dir));
    try {
      integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
    } finally {
      db.close();
    }
  }
  const verdict: Verdict = { integrity, lost: [], twice: [], wrongBytes: [] };
  if (integrity !== 'ok') return { dir, verdict };
  const s = await openStore(loadConfig({ env: { BOUNCED_DATA_DIR: dir } }));
  try {
    const rows = await s.messages.list({ limit: 1_000_000 });
    const seen = new Map<string, number>();
    for (const m of rows) {
      const to = m.rcptTo[0]!;
      if (seen.has(to)) verdict.twice.push(to);
      seen.set(to, m.id);
    }
    for (const [to, raw] of run.acked) {
      const id = seen.get(to);
      if (id === undefined) verdict.lost.push(to);
      else if (!(await s.messages.raw(id))?.equals(raw)) verdict.wrongBytes.push(to);
    }
  } finally {
    await s.close();
  }
  return { dir, verdict };
}

async function settles(dir: string, env: Record<string, string>): Promise<void> {
  const child = await spawnDaemon({ ...env, BOUNCED_DATA_DIR: dir });
  try {
    const cfg = loadConfig({ env: { BOUNCED_DATA_DIR: dir } });
    const end = Date.now() + 20_000;
    for (;;) {
      const s = await openStore(cfg);
      const left = (await s.messages.counts()).received;
      const stuck = left > 0 && Date.now() > end ? (await s.messages.list({ limit: 1_000_000 })).filter((m) => m.state === 'received') : [];
      await s.close();
      if (left === 0) break;
      if (stuck.length > 0) {
        const some = stuck.slice(0, 3).map(({ id, size, attempts, error, state }) => ({ id, size, attempts, error, state }));
        throw new Error(`${left} messages still unprocessed on the power-cut image ${dir}: ${JSON.stringify(some)}\n${child.log().slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
  } finally {
    // Never left running by a failed check.
    child.proc.kill('SIGKILL');
  }
}

const cleanup = (run: Run, dirs: string[]) => {
  for (const d of [run.dataDir, ...dirs]) rmSync(d, { recursive: true, force: true });
};

describe.skipIf(!haveGcc)('power-cut safety (LD_PRELOAD shim, reconstructed disk images)', () => {
  const shim = haveGcc ? buildShim() : '';
  afterAll(() => {
    if (shim) rmSync(dirname(shim), { recursive: true, force: true });
  });

  // Cut once right after an acknowledgement, on a slow disk (each sync 20 ms longer: a commit
  // that joined a sync begun before it would be acknowledged unsynced, and lost here), once at
  // an arbitrary moment.
  for (const [seed, atAck, syncDelayUs] of [[7, true, 20_000], [9, false, 0]] as const) {
    it(`every acknowledged message survives a power cut ${atAck ? 'right after a 250 (slow syncs)' : 'at a random moment'} mid-load`, async () => {
      const run = await loadAndCut(shim, seed, atAck, { POWERCUT_SYNC_DELAY_US: String(syncDelayUs) });
      const spooled = [...run.acked.values()].filter((b) => b.length > SPOOL_ABOVE).length;
      expect(run.acked.size).toBeGreaterThan(30);
      expect(spooled).toBeGreaterThan(3);

      // The harness's own check: replaying every logged change gives the directory the killed
      // process left, byte for byte. A change that escaped the shim would show here.
      replayMatches(run);

      const dirs: string[] = [];
      const images: Array<[string, Image]> = [['none', reconstruct(run.snap, run.log, 'none')], ...SEEDS.map((s): [string, Image] => [`pages seed ${s}`, reconstruct(run.snap, run.log, 'pages', s)])];
      for (const [name, img] of images) {
        const { dir, verdict } = await judge(img, run);
        dirs.push(dir);
        console.log(`powercut ${atAck ? 'at a 250' : 'at random'}, ${name}: ${run.acked.size} acked (${spooled} spooled), ${img.stats.writes} writes, ${img.stats.syncs} syncs, ${img.stats.uncoveredWrites} unsynced at the cut; lost ${verdict.lost.length}, twice ${verdict.twice.length}, wrong bytes ${verdict.wrongBytes.length}, integrity ${verdict.integrity}`);
        expect(verdict, name).toEqual({ integrity: 'ok', lost: [], twice: [], wrongBytes: [] });
      }
      // The daemon starts on the harshest image and settles every message.
      await settles(dirs[dirs.length - 1]!, run.env);
      cleanup(run, dirs);
    }, 60_000);
  }

  it('negative control: commits not synced (store.synchronous=NORMAL) lose acknowledged messages', async () => {
    // A loss is likely, not certain: at NORMAL SQLite still syncs the WAL when it checkpoints,
    // and a checkpoint just before the cut covers every commit. So the control gets up to three
    // cuts and must lose acknowledged messages in at least one (it flaked once with one cut).
    const losses: number[] = [];
    for (let attempt = 0; attempt < 3 && !losses.some((n) => n > 0); attempt++) {
      const run = await loadAndCut(shim, 8, true, { BOUNCED_STORE_SYNCHRONOUS: 'NORMAL' });
      expect(run.acked.size).toBeGreaterThan(30);
      const { dir, verdict } = await judge(reconstruct(run.snap, run.log, 'none'), run);
      console.log(`powercut negative control, cut ${attempt + 1}: ${run.acked.size} acked, lost ${verdict.lost.length}, integrity ${verdict.integrity}`);
      // The image is a consistent database (SQLite's WAL guarantees that much at NORMAL) ...
      expect(verdict.integrity).toBe('ok');
      losses.push(verdict.lost.length);
      cleanup(run, [dir]);
    }
    // ... without the last acknowledged messages.
    expect(losses.some((n) => n > 0), `lost per cut: ${losses.join(', ')}`).toBe(true);
  }, 180_000);
});

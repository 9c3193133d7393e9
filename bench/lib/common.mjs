// Shared helpers for the bench scripts: paths, ports, child processes, /proc sampling,
// statistics, and where results go. Plain Node, no dependencies beyond the project's own.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = resolve(BENCH, '..');
export const CLI = join(ROOT, 'dist', 'cli.js');
export const TMP = join(BENCH, 'tmp'); // git-ignored
export const CORPUS = resolve(ROOT, '..', 'shared', 'corpus', 'public');
export const POSTFIX_FIXTURES = join(ROOT, 'fixtures', 'postfix');

// Port plan: the bench uses 2600-2699 only (2525-2527 and 8025 belong to the tests).
// BENCH_PORT_OFFSET=N moves every one of them by N, so that two checkouts can run benches at
// the same time on one machine (e.g. a long growth run beside another engineer's runs).
const PORT_OFFSET = Number(process.env.BENCH_PORT_OFFSET ?? 0);
if (!Number.isInteger(PORT_OFFSET) || PORT_OFFSET < 0 || PORT_OFFSET > 60_000) throw new Error(`BENCH_PORT_OFFSET must be an integer 0-60000, not ${process.env.BENCH_PORT_OFFSET}`);
const BASE_PORTS = {
  bouncedSmtp: 2601,
  bouncedHttp: 2602,
  sinkPrompt: 2611,
  sinkStock: 2612,
  postfix: 2621,
  bigSmtp: 2631,
  bigHttp: 2632,
  presendSmtp: 2641,
  presendHttp: 2642,
  presendConstant: 2643,
  profileSmtp: 2651,
  profileHttp: 2652,
  tailSmtp: 2661,
  tailHttp: 2662,
  hostileSmtp: 2671,
  hostileHttp: 2672,
  realSmtp: 2681,
  realHttp: 2682,
  realSink: 2683,
  realPostfix: 2684,
};
export const PORTS = Object.fromEntries(Object.entries(BASE_PORTS).map(([k, v]) => [k, v + PORT_OFFSET]));

export const BOUNCE_DOMAIN = 'bounces.test';
export const RCPT = `postmaster@${BOUNCE_DOMAIN}`;
/** The VERP secret every bench daemon is given by config (BOUNCED_VERP_SECRET), so bench tokens verify. */
export const VERP_SECRET = 'bench-secret-bench-secret-bench-secret';

export function parseArgs(argv = process.argv.slice(2)) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      out._.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--') && !['--quick', '--json'].includes(a)) out[a.slice(2)] = argv[++i];
    else out[a.slice(2)] = true;
  }
  return out;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** Nearest-rank percentile of an already sorted array. */
export function percentile(sorted, p) {
  if (!sorted.length) return null;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k];
}

export const round = (x, d = 1) => (x == null || !Number.isFinite(x) ? x : Math.round(x * 10 ** d) / 10 ** d);
export const ratio = (a, b) => (a == null || b == null || b === 0 ? null : round(a / b, 2));

export function freshDir(...parts) {
  const d = join(TMP, ...parts);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  return d;
}

/** VmHWM / VmRSS of a live process, in bytes (null when it is gone). */
export function procMem(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => {
      const m = new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s);
      return m ? Number(m[1]) * 1024 : null;
    };
    return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
  } catch {
    return null;
  }
}

export function waitPort(port, host = '127.0.0.1', timeoutMs = 15000) {
  const until = Date.now() + timeoutMs;
  return new Promise((resolvePort, reject) => {
    const tryOnce = () => {
      const s = createConnection({ port, host });
      s.once('connect', () => {
        s.destroy();
        resolvePort();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`port ${port} not open after ${timeoutMs} ms`));
        else setTimeout(tryOnce, 50);
      });
    };
    tryOnce();
  });
}

/** Fails fast when a port the bench needs is taken by somebody else. */
export async function assertPortFree(port) {
  const open = await new Promise((r) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), r(true)));
    s.once('error', () => (s.destroy(), r(false)));
  });
  if (open) throw new Error(`port ${port} is already in use (the bench uses 2600-2699; is another bench running?)`);
}

async function httpStatus(url) {
  try {
    const res = await fetch(url);
    return res.status;
  } catch {
    return 0;
  }
}

/**
 * Starts `node dist/cli.js serve` with its own data dir and ports; resolves once /readyz says
 * 200. Its log goes to <dataDir>/bounced.log (at the default level `info`, as in production).
 */
export async function startBounced(opts) {
  // Other engineers rebuild dist/ while they work; a start that catches a half-written dist/
  // exits at once (ERR_MODULE_NOT_FOUND). Try again a few seconds later before giving up.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startBouncedOnce(opts);
    } catch (err) {
      if (attempt >= 4 || !/exited during start-up/.test(String(err?.message))) throw err;
      log(`bench: ${err.message}; retrying in 5 s (dist/ being rebuilt?)`);
      await sleep(5000);
    }
  }
}

/**
 * The V8 flags `npm start` runs the daemon with (package.json's start script, the same as the
 * Dockerfile's ENTRYPOINT): the bench measures the daemon as it is deployed.
 */
export const DAEMON_NODE_FLAGS = (() => {
  const start = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start;
  return start.split(/\s+/).filter((a) => a.startsWith('--'));
})();

async function startBouncedOnce({ smtpPort, httpPort, dataDir, env = {}, nodeArgs = [] }) {
  await assertPortFree(smtpPort);
  await assertPortFree(httpPort);
  mkdirSync(dataDir, { recursive: true });
  const logFd = openSync(join(dataDir, 'bounced.log'), 'a');
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, ...nodeArgs, CLI, 'serve'], {
    cwd: dataDir,
    stdio: ['ignore', logFd, logFd],
    env: {
      ...process.env,
      BOUNCED_DATA_DIR: dataDir,
      BOUNCED_SMTP_HOST: '127.0.0.1',
      BOUNCED_SMTP_PORT: String(smtpPort),
      BOUNCED_HTTP_HOST: '127.0.0.1',
      BOUNCED_HTTP_PORT: String(httpPort),
      BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN,
      BOUNCED_VERP_SECRET: VERP_SECRET,
      BOUNCED_LOG_LEVEL: 'info',
      BOUNCED_SMTP_MAX_CLIENTS: '200',
      // Every load generator connects from loopback: one client to the per-client limit.
      BOUNCED_SMTP_CLIENT_LIMIT_EXCEPTIONS: '127.0.0.0/8',
      ...env,
    },
  });
  let exited = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  const until = Date.now() + 20000;
  while ((await httpStatus(`http://127.0.0.1:${httpPort}/readyz`)) !== 200) {
    if (exited) throw new Error(`bounced exited during start-up (${JSON.stringify(exited)}); see ${join(dataDir, 'bounced.log')}`);
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`bounced not ready after 20 s; see ${join(dataDir, 'bounced.log')}`);
    }
    await sleep(50);
  }
  return {
    pid: child.pid,
    child,
    dataDir,
    dbFile: join(dataDir, 'bounced.db'),
    stop: () => stopChild(child, 10000),
  };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code/signal. */
export function stopChild(child, graceMs = 5000) {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r({ code: child.exitCode, signal: child.signalCode });
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code, signal) => {
      clearTimeout(t);
      r({ code, signal });
    });
    child.kill('SIGTERM');
  });
}

/** Runs a node script in bench/ as a child and parses the JSON it prints last on stdout. */
export function runNodeJson(script, args, { timeoutMs = 300000 } = {}) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [join(BENCH, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      const last = out.trim().split('\n').pop();
      try {
        resolveRun(JSON.parse(last));
      } catch {
        reject(new Error(`${script} exited ${code} without JSON: ${out.slice(-500)}`));
      }
    });
  });
}

/** Walks a folder (sorted, dot files skipped). */
export function listFiles(dir, filter = () => true) {
  const out = [];
  const visit = (p) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const n of readdirSync(p).sort()) !n.startsWith('.') && visit(join(p, n));
    else if (st.isFile() && filter(p, st)) out.push(p);
  };
  if (existsSync(dir)) visit(dir);
  return out;
}

/**
 * The SMTP load mix: the public corpus messages of 2 to 20 KB (read in place, never copied
 * into the repo) plus every real Postfix DSN in fixtures/postfix.
 */
export function smtpMixFiles() {
  const corpus = listFiles(join(CORPUS, 'maildir'), (p, st) => p.endsWith('.eml') && st.size >= 2048 && st.size <= 20480);
  const postfix = listFiles(POSTFIX_FIXTURES, (p) => p.endsWith('.eml'));
  return { corpus, postfix, all: [...corpus, ...postfix] };
}

function cmdOut(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).trim() : null;
}

function pkgVersion(name) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    kernel: os.release(),
    os: (() => {
      try {
        return /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? null;
      } catch {
        return null;
      }
    })(),
    node: process.version,
    versions: {
      bounced: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
      gitCommit: cmdOut('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
      // the last commit that changed what runs (a bench-only commit on top changes nothing)
      srcCommit: cmdOut('git', ['-C', ROOT, 'log', '-1', '--format=%h', '--', 'src', 'package.json', 'package-lock.json']),
      gitDirty: (cmdOut('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no', 'src']) ?? '') !== '',
      // Other engineers rebuild dist/ while they work: when it was built tells which code ran.
      distBuiltAt: existsSync(CLI) ? statSync(CLI).mtime.toISOString() : null,
      'smtp-server': pkgVersion('smtp-server'),
      'better-sqlite3': pkgVersion('better-sqlite3'),
      mailparser: pkgVersion('mailparser'),
      postfix: cmdOut('/usr/sbin/postconf', ['-d', '-h', 'mail_version']),
      sisimai: cmdOut('perl', ['-MSisimai', '-e', 'print $Sisimai::VERSION']),
      wrk: cmdOut('dpkg-query', ['-W', '-f', '${Version}', 'wrk']),
      perl: cmdOut('perl', ['-e', 'print $^V']),
    },
  };
}

/** utime + stime of a process in ms (its threads included), or null when it is gone. */
export function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

/**
 * CPU of a process tree in ms: utime + stime of the root and of every live descendant, plus
 * cutime + cstime of each (what its reaped children used). The difference of two readings is
 * the CPU the tree used in between, children that came and went included (Postfix's smtpd,
 * cleanup and discard processes come and go; master reaps them).
 */
export function treeCpuMs(rootPid) {
  const stats = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const f = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(name), { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]) });
    } catch {
      // gone meanwhile
    }
  }
  if (!stats.has(rootPid)) return null;
  const children = new Map();
  for (const [pid, st] of stats) {
    if (!children.has(st.ppid)) children.set(st.ppid, []);
    children.get(st.ppid).push(pid);
  }
  let ticks = 0;
  const todo = [rootPid];
  while (todo.length) {
    const pid = todo.pop();
    ticks += stats.get(pid)?.ticks ?? 0;
    todo.push(...(children.get(pid) ?? []));
  }
  return (ticks * 1000) / CLK_TCK;
}

/** utime + stime per thread of a process, in ms, and stime alone: Map tid -> { comm, ms, sys }. */
export function threadCpuMs(pid) {
  const out = new Map();
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { comm: f.slice(f.indexOf('(') + 1, f.lastIndexOf(')')), ms: ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK, sys: (Number(rest[12]) * 1000) / CLK_TCK });
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/**
 * Where a process's CPU went between two threadCpuMs() readings, per message: the main thread
 * (bounced: SMTP), the busiest other thread (bounced: the pipeline worker: commits, parsing,
 * settling) and all the others together (V8's GC and compiler threads, libuv's pool).
 */
export function threadSplit(pid, before, after, messages) {
  const d = [];
  for (const [tid, a] of after) d.push({ tid, comm: a.comm, ms: a.ms - (before.get(tid)?.ms ?? 0) });
  const main = d.find((t) => t.tid === pid)?.ms ?? 0;
  const others = d.filter((t) => t.tid !== pid).sort((x, y) => y.ms - x.ms);
  const per = (ms) => (messages ? round(ms / messages, 3) : null);
  return { main: per(main), busiest: per(others[0]?.ms ?? 0), rest: per(others.slice(1).reduce((n, t) => n + t.ms, 0)) };
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** The 1-minute load average, rounded (the machine is shared: every figure says it). */
export const loadAvg = () => round(os.loadavg()[0], 1);

/**
 * Runs `fn` while holding an flock(1) on `file` (shared machine resources: Postfix), waiting at
 * most `waitS` seconds for it; resolves `{ skipped: reason }` without running `fn` when the lock
 * is not had in time. The lock is held by a small `flock FILE sh` child and released when it ends.
 */
export async function withLock(file, waitS, fn) {
  const child = spawn('flock', ['-w', String(waitS), file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const got = await new Promise((res) => {
    child.stdout.once('data', () => res(true));
    child.once('exit', () => res(false));
  });
  if (!got) return { skipped: `${file} not free within ${waitS} s` };
  try {
    return await fn();
  } finally {
    child.stdin.end();
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
}

export function fmtBytes(b) {
  if (b == null) return '-';
  return `${round(b / 2 ** 20, 1)} MB`;
}

export function log(...a) {
  process.stderr.write(a.join(' ') + '\n');
}

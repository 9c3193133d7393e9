#!/usr/bin/env node
// SMTP ingest with the daemon's database on PostgreSQL beside SQLite, and two daemons on one
// PostgreSQL beside one (issue #15 part 2). Not a test: it prints figures and ratios.
// `bounced serve` (dist/, npm run build first) takes the Postfix fixture DSNs (each copy made
// a distinct report by bench/smtp-load.mjs) over --sessions sessions for --duration ms, in
// alternating rounds (SQLite, PostgreSQL, two nodes on PostgreSQL with half the sessions
// each), medians. PostgreSQL is a private server (bench/lib/postgres.mjs, fsync on), fresh
// database per round; its CPU seconds (postmaster and backends) during the load are printed.
//
//   node bench/smtp-pg.mjs [--sessions 10] [--duration 8000] [--rounds 3] [--reuse] [--json FILE]
// Ports: free loopback ports the kernel chooses per run (freePort below).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { cpuSecondsOfTree, startPostgres } from './lib/postgres.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]?.startsWith('--') ? true : (all[i + 1] ?? true)]] : acc), []),
);
const SESSIONS = Number(args.sessions ?? 10);
const DURATION = Number(args.duration ?? 8000);
const ROUNDS = Number(args.rounds ?? 3);
const REUSE = Boolean(args.reuse);
const root = new URL('..', import.meta.url).pathname;
const files = readdirSync(join(root, 'fixtures/postfix')).filter((f) => f.endsWith('.eml')).map((f) => join(root, 'fixtures/postfix', f));
const list = join(mkdtempSync(join(tmpdir(), 'smtp-pg-')), 'files.json');
writeFileSync(list, JSON.stringify(files));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const pg = await startPostgres();
let dbn = 0;
async function freshDb() {
  const name = `b${++dbn}`;
  const a = postgres(pg.url(), { max: 1, onnotice: () => {} });
  await a.unsafe(`CREATE DATABASE ${name}`);
  await a.end();
  return pg.url(name);
}

/**
 * A loopback port free now (the kernel's choice). Fixed ports in the ephemeral range collided
 * with the local ends of PostgreSQL connections (EADDRINUSE on a quiet run).
 */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function serve(port, httpPort, env) {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-pg-node-'));
  const proc = spawn(process.execPath, [join(root, 'dist/cli.js'), 'serve'], {
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BOUNCED_'))),
      BOUNCED_DATA_DIR: dir, BOUNCED_SMTP_PORT: String(port), BOUNCED_HTTP_PORT: String(httpPort), BOUNCED_VERP_SECRET: 'bench-secret-bench-secret-bench-secret',
      BOUNCED_BOUNCE_DOMAINS: 'bounces.test', BOUNCED_SMTP_MAX_CLIENTS_PER_IP: '0', BOUNCED_LOG_LEVEL: 'warn', BOUNCED_NODE_ID: `bench-${port}`, ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  const ready = (async () => {
    for (let i = 0; i < 300; i++) {
      const r = spawnSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port} && head -c 3 <&3`], { encoding: 'utf8', timeout: 2000 });
      if (r.stdout === '220') return;
      if (proc.exitCode !== null) throw new Error(`serve exited: ${err}`);
      await new Promise((r2) => setTimeout(r2, 100));
    }
    throw new Error(`serve did not start: ${err}`);
  })();
  return { ready, stop: () => new Promise((r) => (proc.once('exit', r), proc.kill('SIGTERM'))), dir };
}

function load(port, sessions) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(root, 'bench/smtp-load.mjs'), '--port', String(port), '--sessions', String(sessions), '--count', '100000000', '--duration', String(DURATION), '--files', list, ...(REUSE ? ['--reuse'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`load exited ${code}`))));
  });
}

async function round(kind, r) {
  const url = kind === 'sqlite' ? null : await freshDb();
  const env = url ? { BOUNCED_DATABASE_URL: url } : {};
  const ports = [];
  for (let i = 0; i < (kind === 'two-nodes' ? 2 : 1); i++) ports.push(await freePort());
  const nodes = [];
  for (const p of ports) nodes.push(serve(p, await freePort(), env));
  await Promise.all(nodes.map((n) => n.ready));
  const c0 = cpuSecondsOfTree(pg.pid);
  const t0 = Date.now();
  const outs = await Promise.all(ports.map((p) => load(p, Math.max(1, Math.round(SESSIONS / ports.length)))));
  const wall = (Date.now() - t0) / 1000;
  const pgCpu = cpuSecondsOfTree(pg.pid) - c0;
  for (const n of nodes) await n.stop();
  for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
  const rate = outs.reduce((a, o) => a + o.msgsPerSec, 0);
  const failed = outs.reduce((a, o) => a + o.failed + o.connErrors, 0);
  return { rate, perNode: outs.map((o) => o.msgsPerSec), p99: Math.max(...outs.map((o) => o.latencyMs.p99)), failed, pgCpuShare: kind === 'sqlite' ? 0 : pgCpu / wall };
}

const kinds = ['sqlite', 'postgres', 'two-nodes'];
const res = Object.fromEntries(kinds.map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) for (const k of r % 2 ? [...kinds].reverse() : kinds) res[k].push(await round(k, r));
console.log(`SMTP ingest, ${SESSIONS} sessions, ${REUSE ? 'reused connections' : 'a connection per message'}, ${DURATION / 1000} s per run, ${ROUNDS} rounds (medians); ${pg.version}, Node ${process.version}`);
const summary = {};
for (const k of kinds) {
  const xs = res[k];
  summary[k] = { msgsPerSec: median(xs.map((x) => x.rate)), p99Ms: median(xs.map((x) => x.p99)), failed: xs.reduce((a, x) => a + x.failed, 0), perNode: xs.map((x) => x.perNode), pgCpuCores: median(xs.map((x) => x.pgCpuShare)) };
  console.log(`${k.padEnd(10)} ${summary[k].msgsPerSec.toFixed(0).padStart(6)} msgs/s  p99 ${summary[k].p99Ms.toFixed(1)} ms  failed ${summary[k].failed}  PostgreSQL CPU ${summary[k].pgCpuCores.toFixed(2)} cores  per node ${JSON.stringify(summary[k].perNode)}`);
}
console.log(`ratios: PostgreSQL / SQLite ${(summary.postgres.msgsPerSec / summary.sqlite.msgsPerSec).toFixed(2)}; two nodes / one node on PostgreSQL ${(summary['two-nodes'].msgsPerSec / summary.postgres.msgsPerSec).toFixed(2)}`);
const out = { bench: 'smtp-pg', at: new Date().toISOString(), sessions: SESSIONS, reuse: REUSE, durationMs: DURATION, rounds: ROUNDS, summary };
console.log(JSON.stringify(out));
if (args.json) writeFileSync(args.json, JSON.stringify(out, null, 2));
pg.stop();

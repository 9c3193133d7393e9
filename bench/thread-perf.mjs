#!/usr/bin/env node
// Where bounced's CPU goes inside each thread, counted by the kernel (issue #20): `perf record`
// of a warm `bounced serve` (dist/) under the real load of bench/thread-cpu.mjs (distinct verified
// 20 KB DSNs, 10 sessions). Unlike `--cpu-prof`, whose samples charge a thread for the time it
// sleeps in a native call (an fsync, SQLite's busy wait), perf samples only what runs on a CPU,
// kernel included; `--perf-basic-prof-only-functions` names the JavaScript frames.
//
//   node bench/thread-perf.mjs [--count 3000] [--warmup 3000] [--reuse] [--sessions 10] [--top 25]
//        [--env K=V,K=V] [--freq 999] [--keep]
//
// Prints, per thread (tid; the main thread is SMTP, the rest in start order as in
// thread-cpu.mjs), its share of the samples and its top symbols by self samples, with the DSO.
// Needs root (or perf_event_paranoid <= 1) and /usr/bin/perf. Not a measurement of speed: perf
// itself costs CPU; it tells where, not how much.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freshDir, log, parseArgs, PORTS, runNodeJson, startBounced, threadCpuMs } from './lib/common.mjs';
import { Sampler } from './lib/sampler.mjs';

const args = parseArgs();
const count = Number(args.count ?? 3000);
const warmup = Number(args.warmup ?? 3000);
const sessions = Number(args.sessions ?? 10);
const top = Number(args.top ?? 25);
const freq = Number(args.freq ?? 999);
const env = Object.fromEntries(String(args.env ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const dataDir = freshDir('real', 'thread-perf');
const perfData = join(dataDir, 'perf.data');
const d = await startBounced({ smtpPort: PORTS.profileSmtp, httpPort: PORTS.profileHttp, dataDir, env, nodeArgs: ['--perf-basic-prof-only-functions'] });
const sampler = new Sampler({ pid: d.pid, dbFile: join(dataDir, 'bounced.db'), everyMs: 100 }).start();
const load = (n, seed, tag) =>
  runNodeJson('real-load.mjs', [
    '--port', String(PORTS.profileSmtp), '--sessions', String(sessions), '--stream', 'verified', '--size', String(args.size ?? 20480), '--count', String(n),
    '--duration', '0', '--accounts', '1000', '--big-share', '0', '--seed', String(seed), '--run-tag', tag, ...(args.reuse ? ['--reuse'] : []),
  ], { timeoutMs: 600_000 });
let res;
let t0;
let t1;
try {
  if (warmup > 0) {
    await load(warmup, 2, 'tpw');
    await sampler.waitDrained(120_000);
  }
  const perf = spawn('perf', ['record', '-F', String(freq), '-g', '-p', String(d.pid), '-o', perfData], { stdio: ['ignore', 'ignore', 'inherit'] });
  await new Promise((r) => setTimeout(r, 500));
  t0 = threadCpuMs(d.pid);
  res = await load(count, 1, 'tp');
  await sampler.waitDrained(120_000);
  t1 = threadCpuMs(d.pid);
  perf.kill('SIGINT');
  await new Promise((r) => perf.once('exit', r));
} finally {
  sampler.close();
  await d.stop();
}

// perf script: one sample per block, its first line "comm tid ... period event:", then frames.
const script = spawnSync('perf', ['script', '-i', perfData, '-F', 'tid,ip,sym,dso'], { encoding: 'utf8', maxBuffer: 1 << 30 });
const perThread = new Map();
for (const block of script.stdout.split('\n\n')) {
  const lines = block.split('\n').filter((l) => l.trim());
  if (lines.length < 2) continue;
  const tid = Number(lines[0].trim().split(/\s+/)[0]);
  const leaf = lines[1].trim().replace(/^[0-9a-f]+\s+/, '');
  const t = perThread.get(tid) ?? { n: 0, syms: new Map() };
  t.n++;
  t.syms.set(leaf, (t.syms.get(leaf) ?? 0) + 1);
  perThread.set(tid, t);
}
const total = [...perThread.values()].reduce((n, t) => n + t.n, 0);
log(`thread-perf: ${res.ok} messages, ${res.msgsPerSec} msgs/s, p50 ${res.latencyMs.p50} p99 ${res.latencyMs.p99} ms; ${total} samples`);
for (const [tid, t] of [...perThread].sort(([a], [b]) => a - b)) {
  const cpu = ((t1.get(tid)?.ms ?? 0) - (t0.get(tid)?.ms ?? 0)) / res.ok;
  if (t.n < total * 0.01) continue;
  log(`\n== tid ${tid}${tid === d.pid ? ' (main: SMTP)' : ''}: ${((t.n / total) * 100).toFixed(1)} % of samples, ${cpu.toFixed(3)} ms CPU per message`);
  for (const [sym, n] of [...t.syms].sort((a, b) => b[1] - a[1]).slice(0, top)) log(`${((n / t.n) * 100).toFixed(1).padStart(6)} %  ${sym}`);
}
if (!args.keep) spawnSync('rm', ['-f', perfData]);
else log(`perf data kept: ${perfData}`);

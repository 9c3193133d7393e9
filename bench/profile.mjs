#!/usr/bin/env node
// Profiles `bounced serve` under the SMTP load of the target (10 sessions, one message per
// connection by default): `node --cpu-prof dist/cli.js serve`, the Node load client, then the
// profile's self time per function and module (bench/cpuprofile-top.mjs). Also reports how
// busy the daemon's CPU was (utime+stime from /proc) over the load: a daemon that is slow
// while mostly idle is waiting (fsync, timers), one at 100 % is computing.
//
//   node bench/profile.mjs [--quick] [--sessions 10] [--reuse] [--duration MS] [--env K=V,K=V]
//        [--stream verified|mix [--size 20480] [--accounts 1000] [--count N]]
//        --stream sends the real mix (bench/real-load.mjs: distinct verified DSNs, ...) instead
//        of the corpus mix to postmaster@ (bench/smtp-load.mjs), and waits until the backlog is
//        settled before stopping, so the profile covers the settling too
//   node bench/profile.mjs --target classify [--dir DIR]   (profiles `bounced classify` instead)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aggregate } from './cpuprofile-top.mjs';
import { CLI, CORPUS, freshDir, log, parseArgs, PORTS, round, runNodeJson, sleep, startBounced } from './lib/common.mjs';
import { Sampler } from './lib/sampler.mjs';

function cpuTicks(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]); // utime + stime, in clock ticks (100/s)
  } catch {
    return null;
  }
}

/** Profiles `bounced classify --format jsonl DIR` (output discarded). */
export async function runClassifyProfile(dir) {
  const profDir = freshDir('profile', 'cpuprofile-classify');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, CLI, 'classify', '--format', 'jsonl', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const wallS = (Date.now() - t0) / 1000;
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  if (r.status !== 0 || !files.length) throw new Error(`classify profile failed (exit ${r.status})`);
  const file = join(profDir, files[0]);
  return { target: 'classify', dir, wallS, profile: file, ...aggregate(file, 25) };
}

export async function runProfile(opts = {}) {
  const quick = Boolean(opts.quick);
  const sessions = Number(opts.sessions ?? 10);
  const reuse = Boolean(opts.reuse);
  const durationMs = Number(opts.duration ?? (quick ? 2000 : 8000));
  const env = Object.fromEntries(
    String(opts.env ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=')),
  );
  const label = Object.entries(env).map(([k, v]) => `${k.replace(/^BOUNCED_/, '').toLowerCase()}-${v}`).join('-') || 'default';
  const dataDir = freshDir('profile', `data-${label}`);
  const profDir = freshDir('profile', `cpuprofile-${label}`);
  const d = await startBounced({
    smtpPort: PORTS.profileSmtp,
    httpPort: PORTS.profileHttp,
    dataDir,
    env,
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir],
  });
  const sampler = new Sampler({ pid: d.pid, dbFile: d.dbFile, everyMs: 200 }).start();
  const c0 = cpuTicks(d.pid);
  const t0 = Date.now();
  const load = opts.stream
    ? await runNodeJson('real-load.mjs', [
        '--port', String(PORTS.profileSmtp), '--sessions', String(sessions), '--duration', String(durationMs), '--stream', String(opts.stream),
        '--size', String(opts.size ?? 20480), '--count', String(opts.count ?? 12000), '--accounts', String(opts.accounts ?? 1000),
        '--big-share', String(opts.stream === 'mix' ? 0.5 : 0), ...(reuse ? ['--reuse'] : []),
      ])
    : await runNodeJson('smtp-load.mjs', [
        '--port', String(PORTS.profileSmtp), '--sessions', String(sessions), '--duration', String(durationMs), '--count', '100000', ...(reuse ? ['--reuse'] : []),
      ]);
  const c1 = cpuTicks(d.pid);
  const t1 = Date.now();
  const drainedAt = await sampler.waitDrained(opts.stream ? 600000 : 60000);
  sampler.close();
  await d.stop();
  await sleep(200);
  const files = existsSync(profDir) ? readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (!files.length) throw new Error(`no .cpuprofile written in ${profDir}`);
  // One profile per thread: CPU.<date>.<pid>.<thread id>.<seq>.cpuprofile; thread 0 is the
  // SMTP thread, the others the pipeline worker.
  const threadOf = (f) => Number(f.split('.')[4] ?? 0);
  files.sort((a, b) => threadOf(a) - threadOf(b));
  const file = join(profDir, files[0]);
  const agg = aggregate(file, 25);
  const threads = files.map((f) => ({ thread: threadOf(f) === 0 ? 'main (SMTP)' : `worker ${threadOf(f)} (pipeline)`, profile: join(profDir, f), ...aggregate(join(profDir, f), 25) }));
  return {
    threads,
    sessions, reuse, durationMs, env,
    msgsPerSec: load.msgsPerSec, latencyMs: load.latencyMs, ok: load.ok,
    daemonCpuPct: c0 != null && c1 != null ? round(((c1 - c0) / 100 / ((t1 - t0) / 1000)) * 100, 0) : null,
    drainS: drainedAt ? round((drainedAt - load.endedAt) / 1000, 2) : null,
    profile: file,
    ...agg,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs();
  if (args.target === 'classify') {
    const r = await runClassifyProfile(args.dir ?? CORPUS);
    log(`profile: classify ${r.dir} in ${r.wallS} s; profile ${r.profile}; self time (of ${r.totalMs} ms sampled):`);
    for (const f of r.functions) log(`${String(f.selfMs).padStart(9)} ms ${String(f.pct).padStart(5)} %  ${f.name}`);
    log('by module:');
    for (const m of r.modules.slice(0, 12)) log(`${String(m.selfMs).padStart(9)} ms ${String(m.pct).padStart(5)} %  ${m.name}`);
    console.log(JSON.stringify(r));
    process.exit(0);
  }
  const r = await runProfile(args);
  log(`profile: ${r.msgsPerSec} msg/s, DATA->250 p50 ${r.latencyMs.p50} ms p99 ${r.latencyMs.p99} ms, daemon CPU ${r.daemonCpuPct} % of one core over the load; settled ${r.drainS} s after it`);
  for (const t of r.threads) {
    log(`\n== ${t.thread}: ${t.profile}; self time (of ${t.totalMs} ms sampled):`);
    for (const f of t.functions.slice(0, 15)) log(`${String(f.selfMs).padStart(9)} ms ${String(f.pct).padStart(5)} %  ${f.name}`);
    log('by module:');
    for (const m of t.modules.slice(0, 10)) log(`${String(m.selfMs).padStart(9)} ms ${String(m.pct).padStart(5)} %  ${m.name}`);
    log('inclusive (own + callees):');
    for (const f of t.inclusive.slice(0, 25)) log(`${String(f.selfMs).padStart(9)} ms ${String(f.pct).padStart(5)} %  ${f.name}`);
  }
  console.log(JSON.stringify(r));
}

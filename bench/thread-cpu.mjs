#!/usr/bin/env node
// Where bounced's CPU goes per message, thread by thread (issue #20): `bounced serve` (dist/) on a
// fresh data dir takes N distinct verified 20 KB DSNs (bench/real-load.mjs, 10 sessions), and
// the CPU time of each of its threads (/proc/<pid>/task/*/stat, utime+stime) from before the
// load until the backlog is settled is printed per message, in the order the threads started:
// the main (SMTP) thread, V8's platform threads (GC helpers), then the pipeline's worker threads
// (processing, intake, then the parse worker the processing thread starts once its database is
// open: it shows almost no system time, the intake the largest share), each with the system
// part of its time (`sysPerMsg`, stime alone). Less moved by the machine's other load than a rate.
//
//   node bench/thread-cpu.mjs [--count 4000] [--reuse] [--pipelining] [--sessions 10] [--size 20480] [--node-args="--flag --flag"] [--env K=V,K=V]
//        [--warmup N]
// --warmup N sends N other messages first, settled before the measured ones, so that V8's
// one-time work (its optimizing compiler runs on the platform threads for the first few
// thousand messages) is left out: the steady state of a daemon that has been up a while.
// (--node-args with `=`: a value starting with -- would read as a flag of its own)
//
// Also printed: the daemon's I/O per measured message (/proc/<pid>/io: bytes and system calls of
// write and read, all threads; most of it is SQLite's WAL frames, their checkpoints and the pages
// read again after the intake's commits), and, after it stopped and the WAL was checkpointed, the
// database's bytes per message stored (warm-up included) and those of the indexes alone (dbstat).
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshDir, parseArgs, PORTS, runNodeJson, startBounced, threadCpuMs } from './lib/common.mjs';
import { Sampler } from './lib/sampler.mjs';

const args = parseArgs();
const count = Number(args.count ?? 4000);
const warmup = Number(args.warmup ?? 0);
const size = Number(args.size ?? 20480);
const sessions = Number(args.sessions ?? 10);
const nodeArgs = typeof args['node-args'] === 'string' ? args['node-args'].split(' ').filter(Boolean) : [];
// Extra environment for the daemon (an A/B of a setting in the same build), as bench/profile.mjs.
const env = Object.fromEntries(String(args.env ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
// Ports of the profile bench (bench/profile.mjs): the two are never run together. BENCH_PORT_OFFSET moves them.
const [SMTP, HTTP] = [PORTS.profileSmtp, PORTS.profileHttp];
const dataDir = freshDir('real', 'thread-cpu');
const d = await startBounced({ smtpPort: SMTP, httpPort: HTTP, dataDir, nodeArgs, env });
const sampler = new Sampler({ pid: d.pid, dbFile: join(dataDir, 'bounced.db'), everyMs: 100 }).start();
/** /proc/<pid>/io as numbers (rchar, wchar, syscr, syscw, ...). */
const procIo = (pid) =>
  Object.fromEntries(readFileSync(`/proc/${pid}/io`, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf(':')), Number(l.slice(l.indexOf(':') + 1))]));
let res;
let io0;
let io1;
let t0;
let t1;
const load = (n, seed, tag) =>
  runNodeJson('real-load.mjs', [
    '--port', String(SMTP), '--sessions', String(sessions), '--stream', 'verified', '--size', String(size), '--count', String(n), '--duration', '0',
    '--accounts', '1000', '--big-share', '0', '--seed', String(seed), '--run-tag', tag, ...(args.reuse ? ['--reuse'] : []),
    ...(args.pipelining ? ['--pipelining'] : []),
  ], { timeoutMs: 600_000 });
try {
  if (warmup > 0) {
    await load(warmup, 2, 'tcw');
    await sampler.waitDrained(120_000);
  }
  t0 = threadCpuMs(d.pid);
  io0 = procIo(d.pid);
  res = await load(count, 1, 'tc');
  await sampler.waitDrained(120_000);
  t1 = threadCpuMs(d.pid);
  io1 = procIo(d.pid);
} finally {
  sampler.close();
  await d.stop();
}
const threads = [...t1].sort(([a], [b]) => a - b).map(([tid, a]) => ({ tid, comm: a.comm, main: tid === d.pid, msPerMsg: Math.round(((a.ms - (t0.get(tid)?.ms ?? 0)) / res.ok) * 1000) / 1000, sysPerMsg: Math.round(((a.sys - (t0.get(tid)?.sys ?? 0)) / res.ok) * 1000) / 1000 }));
const perMsg = (k) => Math.round(((io1[k] - io0[k]) / res.ok) * 10) / 10;
const io = { wcharPerMsg: perMsg('wchar'), syscwPerMsg: perMsg('syscw'), rcharPerMsg: perMsg('rchar'), syscrPerMsg: perMsg('syscr') };
// The database once the daemon has stopped: every page in the main file after a TRUNCATE checkpoint.
const db = new Database(join(dataDir, 'bounced.db'));
db.pragma('wal_checkpoint(TRUNCATE)');
const stored = db.prepare('SELECT count(*) FROM messages').pluck().get();
const indexes = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).pluck().all());
let dbBytes = 0;
let indexBytes = 0;
for (const r of db.prepare('SELECT name, sum(pgsize) AS b FROM dbstat GROUP BY name').all()) {
  dbBytes += r.b;
  if (indexes.has(r.name)) indexBytes += r.b;
}
db.close();
const disk = { messagesStored: stored, dbBytesPerMsg: Math.round(dbBytes / stored), indexBytesPerMsg: Math.round(indexBytes / stored) };
const total = Math.round(threads.reduce((n, t) => n + t.msPerMsg, 0) * 1000) / 1000;
console.log(JSON.stringify({ ok: res.ok, msgsPerSec: res.msgsPerSec, latencyMs: res.latencyMs, reuse: Boolean(args.reuse), pipelining: Boolean(args.pipelining), sessions, warmup, size, nodeArgs, env, cpuMsPerMsg: total, io, disk, threads: threads.filter((t) => t.msPerMsg > 0.005) }));

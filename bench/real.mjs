#!/usr/bin/env node
// 6. The real mix (issue #20): what a sender's bounce domain receives, against bounced, a
// private Postfix smtpd into discard(8) and the bare smtp-server sink, in the same run.
//
//   node bench/real.mjs [--quick] [--reps N] [--duration MS] [--sessions 1,10,50]
//        [--streams verified,mix] [--sizes 20480,2048] [--conn conn,reuse]
//        [--servers bounced,postfix,sink] [--no-growth] [--growth-only]
//        [--growth-count 100000] [--growth-size 2048] [--keep] [--pipelining]
//
// `--pipelining`: the load client sends MAIL, RCPT and DATA in one write (RFC 2920), as
// Postfix's smtp client does against a server that offers PIPELINING, to every server alike;
// without it, one command at a time, like smtp-source (the runs of record so far).
//
// Streams (bench/lib/mix.mjs): `verified`, every message a distinct verified DSN for its own
// recipient (the stream of the #20 targets), over 1,000 accounts; `mix`, the shares of SHARES
// (hard bounces, deferrals, auto-replies, complaints, unsubscribes, unverified mail,
// duplicates), half of its verified mail for one large account, the rest over 999 others.
// Every message is built before the load client's clock starts.
//
// Per run: msgs/s acknowledged, the 250's p50/p99 (end of DATA to the reply), the time from
// the end of the load until every message is settled (bounced: the backlog
// `SELECT count(*) FROM messages WHERE state='received'`, read-only, every 100 ms; Postfix: its
// queue directories empty), CPU per message (bounced: /proc/<pid>/stat utime+stime from the
// start of the load to settled; Postfix: its whole process tree; the sink: its process), peak
// RSS (VmHWM), the database bytes per message (bounced.db + -wal after a checkpoint), and a
// check that the store holds what the plan says (records, deliveries, suppressions, events).
//
// Growth (one account, distinct verified DSNs, one month): the accepted and processed rate of
// each window of 1,000 reports ending at 1 k, 2 k, 5 k, 10 k, ... 100 k (`--quick`: up to 10 k).
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  assertPortFree, cpuMs, freshDir, loadAvg, log, median, parseArgs, PORTS, procMem, ratio, round, runNodeJson, sleep,
  startBounced, stopChild, threadCpuMs, threadSplit, TMP, treeCpuMs, waitPort, withLock, BENCH,
} from './lib/common.mjs';
import { expectedOutcomes, planMix, SHARES } from './lib/mix.mjs';
import { postfixAvailable, startPostfix } from './lib/postfix.mjs';
import { mdTable, saveSection, writeReadmeBlock } from './lib/report.mjs';
import { Sampler } from './lib/sampler.mjs';
import { spawn } from 'node:child_process';

const POSTFIX_LOCK = '/tmp/bounced-postfix.lock';
const POSTFIX_DIR = join(TMP, 'postfix-real');
const list = (v, f = String) => (v === undefined || v === true ? null : String(v).split(',').map(f));
const sizeLabel = (b) => `${Math.round(b / 1024)} KB`;

/** How each stream spreads its mail over accounts. */
const ACCOUNTS = { verified: { accounts: 1000, bigShare: 0 }, mix: { accounts: 1000, bigShare: 0.5 } };

/** Set by runReal from `--pipelining`: every load client pipelines MAIL, RCPT and DATA. */
let pipelining = false;

function loadArgs(cfg, { port, count, durationMs, acks }) {
  const a = ACCOUNTS[cfg.stream] ?? { accounts: cfg.accounts ?? 1, bigShare: 0 };
  return [
    '--port', String(port), '--sessions', String(cfg.sessions), '--stream', cfg.stream, '--size', String(cfg.size),
    '--count', String(count), '--duration', String(durationMs ?? 0), '--accounts', String(cfg.accounts ?? a.accounts),
    '--big-share', String(a.bigShare), '--seed', String(cfg.seed ?? 1), '--run-tag', cfg.tag ?? 'r',
    ...(cfg.reuse ? ['--reuse'] : []), ...(acks ? ['--acks', acks] : []), ...(pipelining ? ['--pipelining'] : []),
  ];
}

function startSink(port) {
  const child = spawn(process.execPath, [join(BENCH, 'sink-server.mjs'), '--port', String(port), '--mode', 'prompt'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { child, pid: child.pid, port, stop: () => stopChild(child) };
}

/** Bytes of a folder, recursively. */
function dirBytes(d) {
  let n = 0;
  for (const name of existsSync(d) ? readdirSync(d) : []) {
    const p = join(d, name);
    const st = statSync(p);
    n += st.isDirectory() ? dirBytes(p) : st.size;
  }
  return n;
}

/**
 * What the store holds, after the daemon stopped: messages by state, records, deliveries,
 * suppressions, events; and the bytes on disk after a checkpoint (bounced.db + -wal, plus any
 * spool folder), per message and beyond the raw bytes.
 */
function inspectStore(dataDir) {
  const dbFile = join(dataDir, 'bounced.db');
  const db = new Database(dbFile);
  const q = (sql) => {
    try {
      return db.prepare(sql).all();
    } catch (err) {
      return { error: err.message };
    }
  };
  const byKey = (rows, k) => (Array.isArray(rows) ? Object.fromEntries(rows.map((r) => [r[k], r.n])) : rows);
  const found = {
    states: byKey(q(`SELECT state, count(*) AS n FROM messages GROUP BY state`), 'state'),
    records: byKey(q(`SELECT verified, count(*) AS n FROM bounces GROUP BY verified`), 'verified'),
    deliveries: byKey(q(`SELECT state, count(*) AS n FROM deliveries GROUP BY state`), 'state'),
    suppressions: byKey(q(`SELECT reason, count(*) AS n FROM suppressions GROUP BY reason`), 'reason'),
    events: byKey(q(`SELECT type, count(*) AS n FROM events GROUP BY type`), 'type'),
    rawBytes: q(`SELECT coalesce(sum(size), 0) AS n FROM messages`)[0]?.n ?? null,
  };
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // another reader: sizes as they are
  }
  db.close();
  const size = (f) => (existsSync(f) ? statSync(f).size : 0);
  const spool = ['spool', 'raw'].map((d) => join(dataDir, d)).filter((d) => existsSync(d)).reduce((n, d) => n + dirBytes(d), 0);
  found.diskBytes = size(dbFile) + size(`${dbFile}-wal`) + spool;
  return found;
}

/** The plan's expectation beside what the store holds; `ok` when every count matches. */
function checkStore(expected, found) {
  const sum = (o, keys) => keys.reduce((n, k) => n + (o?.[k] ?? 0), 0);
  const got = {
    messages: Object.values(found.states ?? {}).reduce((a, b) => a + b, 0),
    verifiedRecords: found.records?.[1] ?? 0,
    unverifiedRecords: found.records?.[0] ?? 0,
    deliveries: Object.values(found.deliveries ?? {}).reduce((a, b) => a + b, 0),
    suppressions: sum(found.suppressions, ['hard_bounce', 'complaint', 'unsubscribe']),
    events: sum(found.events, ['bounce.hard', 'bounce.pending', 'complaint', 'unsubscribe']),
    duplicates: found.states?.duplicate ?? 0,
  };
  const mismatches = Object.keys(got).filter((k) => got[k] !== expected[k]).map((k) => `${k} ${got[k]} (want ${expected[k]})`);
  return { ok: mismatches.length === 0, mismatches, got };
}

async function bouncedRun(cfg, { count, durationMs, drainTimeoutMs, keep, acks, cpuSeries = false }) {
  const dataDir = freshDir('real', `bounced-${cfg.tag}`);
  const d = await startBounced({ smtpPort: PORTS.realSmtp, httpPort: PORTS.realHttp, dataDir });
  const sampler = new Sampler({ pid: d.pid, dbFile: d.dbFile, everyMs: 100 }).start();
  let res;
  try {
    const threads0 = threadCpuMs(d.pid);
    res = await runNodeJson('real-load.mjs', loadArgs(cfg, { port: PORTS.realSmtp, count, durationMs, acks }), { timeoutMs: durationMs + 3_600_000 });
    const drainedAt = await sampler.waitDrained(drainTimeoutMs);
    res.cpuThreads = threadSplit(d.pid, threads0, threadCpuMs(d.pid), res.ok);
    const last = sampler.samples[sampler.samples.length - 1];
    const first = sampler.at(res.startedAt);
    sampler.stop();
    const mem = procMem(d.pid);
    const cpu = last?.cpu != null && first?.cpu != null ? last.cpu - first.cpu : null;
    Object.assign(res, {
      peakRss: Math.max(mem?.hwm ?? 0, sampler.peakHwm() ?? 0) || null,
      peakBacklog: sampler.peakBacklog(),
      backlogAtLoadEnd: sampler.at(res.endedAt)?.backlog ?? null,
      settleS: drainedAt === null ? null : round(Math.max(0, drainedAt - res.endedAt) / 1000, 2),
      settled: drainedAt !== null,
      processedPerSec: drainedAt === null ? null : round(res.ok / ((drainedAt - res.startedAt) / 1000), 1),
      cpuMsPerMsg: cpu === null || !res.ok ? null : round(cpu / res.ok, 3),
      cpuWindowS: round(((last?.t ?? 0) - (first?.t ?? 0)) / 1000, 2),
      backlogSeries: sampler.series(res.startedAt, 30),
      // The growth figure's CPU per window (runGrowth): every sample's time and CPU ms.
      ...(cpuSeries ? { cpuSeries: sampler.samples.filter((s) => s.cpu != null).map((s) => [s.t, s.cpu]) } : {}),
    });
  } finally {
    sampler.close();
    await d.stop();
  }
  // The store, once the daemon is gone: what it holds against what was sent, and its size.
  const found = inspectStore(dataDir);
  const failed = new Set(res.failedIdx ?? []);
  const accepted = { has: (i) => i < res.sent && !failed.has(i) };
  const items = planMix({ stream: cfg.stream, count: res.sent, ...ACCOUNTS[cfg.stream], ...(cfg.accounts ? { accounts: cfg.accounts, bigShare: 0 } : {}), seed: cfg.seed ?? 1 });
  const expected = expectedOutcomes(items, accepted);
  const check = checkStore(expected, found);
  res.store = { ...found, expected, check };
  res.bytesPerMsg = res.ok ? Math.round(found.diskBytes / res.ok) : null;
  res.overheadBytesPerMsg = res.ok && found.rawBytes != null ? Math.round((found.diskBytes - found.rawBytes) / res.ok) : null;
  if (!check.ok) log(`real: bounced store check FAILED for ${cfg.tag}: ${check.mismatches.join('; ')}`);
  if (!keep) rmSync(dataDir, { recursive: true, force: true });
  return res;
}

async function waitQueueEmpty(pf, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (pf.queueFiles() === 0) return Date.now();
    if (Date.now() > until) return null;
    await sleep(50);
  }
}

async function postfixRun(cfg, { count, durationMs, drainTimeoutMs, lockWaitS }) {
  return withLock(POSTFIX_LOCK, lockWaitS, async () => {
    await assertPortFree(PORTS.realPostfix);
    const pf = startPostfix(PORTS.realPostfix, POSTFIX_DIR);
    try {
      await waitPort(PORTS.realPostfix);
      // Warm-up: the first sessions make master spawn its smtpd and cleanup processes; a
      // running Postfix has them (the sink runs all along, too). bounced gets no warm-up: it
      // starts on a fresh data dir every time.
      await runNodeJson('real-load.mjs', loadArgs({ ...cfg, tag: `${cfg.tag}-warm` }, { port: PORTS.realPostfix, count: Math.max(20, cfg.sessions * 2) }));
      await waitQueueEmpty(pf, 30000);
      const master = pf.masterPid();
      const cpu0 = master ? treeCpuMs(master) : null;
      const res = await runNodeJson('real-load.mjs', loadArgs(cfg, { port: PORTS.realPostfix, count, durationMs }));
      const settledAt = await waitQueueEmpty(pf, drainTimeoutMs);
      const cpu1 = master ? treeCpuMs(master) : null;
      Object.assign(res, {
        settleS: settledAt === null ? null : round(Math.max(0, settledAt - res.endedAt) / 1000, 2),
        settled: settledAt !== null,
        cpuMsPerMsg: cpu0 == null || cpu1 == null || !res.ok ? null : round((cpu1 - cpu0) / res.ok, 3),
      });
      return res;
    } finally {
      pf.stop();
    }
  });
}

async function sinkRun(cfg, sink, { count, durationMs }) {
  const cpu0 = cpuMs(sink.pid);
  const res = await runNodeJson('real-load.mjs', loadArgs(cfg, { port: sink.port, count, durationMs }));
  const cpu1 = cpuMs(sink.pid);
  res.cpuMsPerMsg = cpu0 == null || cpu1 == null || !res.ok ? null : round((cpu1 - cpu0) / res.ok, 3);
  res.settleS = 0;
  res.peakRss = procMem(sink.pid)?.hwm ?? null;
  return res;
}

/** The configurations of a run: stream x size x sessions x connection use. */
function configs(opts, quick) {
  const out = [];
  const streams = list(opts.streams) ?? ['verified', 'mix'];
  const sizes = list(opts.sizes, Number) ?? [20480, 2048];
  const sessions = list(opts.sessions, Number) ?? (quick ? [10] : [1, 10, 50]);
  const modes = list(opts.conn) ?? ['conn', 'reuse'];
  for (const stream of streams) {
    for (const size of sizes) {
      for (const s of sessions) {
        for (const mode of modes) {
          // the quick smoke: the target stream at 10 sessions both ways, and the mix at 2 KB reused
          if (quick && !opts.streams && !opts.sizes && !(stream === 'verified' ? size === 20480 : size === 2048 && mode === 'reuse')) continue;
          out.push({ stream, size, sessions: s, reuse: mode === 'reuse' });
        }
      }
    }
  }
  return out;
}

const cfgKey = (c) => `${c.stream}|${c.size}|${c.sessions}|${c.reuse ? 'reuse' : 'conn'}`;

export async function runMatrix(opts = {}) {
  const quick = Boolean(opts.quick);
  const reps = Number(opts.reps ?? (quick ? 1 : 3));
  const durationMs = Number(opts.duration ?? (quick ? 2000 : 5000));
  const servers = list(opts.servers) ?? ['bounced', 'postfix', 'sink'];
  const drainTimeoutMs = quick ? 60_000 : 300_000;
  const cfgs = configs(opts, quick);
  const postfixWhy = servers.includes('postfix') ? postfixAvailable() : 'not asked for';
  if (postfixWhy && servers.includes('postfix')) log(`real: Postfix skipped: ${postfixWhy}`);
  const active = servers.filter((s) => s !== 'postfix' || !postfixWhy);
  for (const p of [PORTS.realSmtp, PORTS.realHttp, PORTS.realSink]) await assertPortFree(p);
  const sink = active.includes('sink') ? startSink(PORTS.realSink) : null;
  if (sink) await waitPort(sink.port);
  const runs = [];
  let n = 0;
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const c of cfgs) {
        // rotate the servers' order per repetition: the machine's load drifts over minutes
        const order = active.map((_, k) => active[(k + rep) % active.length]);
        // what the client may hold in memory: the messages are built before the clock starts
        const count = quick ? (c.size > 4096 ? 5000 : 12000) : c.size > 4096 ? 12000 : 40000;
        for (const server of order) {
          const cfg = { ...c, tag: `${rep}-${c.stream}-${c.size}-${c.sessions}-${c.reuse ? 'reuse' : 'conn'}-${n++}` };
          const la = loadAvg();
          let res;
          try {
            if (server === 'bounced') res = await bouncedRun(cfg, { count, durationMs, drainTimeoutMs, keep: opts.keep });
            else if (server === 'postfix') res = await postfixRun(cfg, { count, durationMs, drainTimeoutMs, lockWaitS: quick ? 60 : 600 });
            else res = await sinkRun(cfg, sink, { count, durationMs });
          } catch (err) {
            res = { error: String(err?.message ?? err) };
          }
          const row = { rep, server, ...c, loadAvg: la, ...res };
          delete row.failedIdx;
          runs.push(row);
          log(
            `real rep ${rep} ${c.stream.padEnd(8)} ${sizeLabel(c.size).padStart(5)} ${String(c.sessions).padStart(2)} sess ${c.reuse ? 'reuse' : 'conn '} ${server.padEnd(7)} ` +
              (res.skipped ? `skipped: ${res.skipped}` : res.error ? `error: ${res.error}` :
                `${String(res.msgsPerSec).padStart(7)} msg/s  p50 ${res.latencyMs?.p50} p99 ${res.latencyMs?.p99} ms  settle ${res.settleS} s  CPU ${res.cpuMsPerMsg} ms/msg` +
                (server === 'bounced' ? ` (SMTP ${res.cpuThreads?.main}, worker ${res.cpuThreads?.busiest}, other ${res.cpuThreads?.rest})  RSS ${round((res.peakRss ?? 0) / 2 ** 20, 1)} MB  ${res.bytesPerMsg} B/msg  store ${res.store?.check.ok ? 'ok' : 'MISMATCH'}` : '') +
                (res.failed ? `  failed ${res.failed} ${JSON.stringify(res.codes)}` : '')) +
              `  (load ${la})`,
          );
        }
      }
    }
  } finally {
    await sink?.stop();
  }
  return summarize(runs, { quick, reps, durationMs, servers: active, postfixSkipped: postfixWhy ?? null });
}

function summarize(runs, meta) {
  const ok = runs.filter((r) => !r.error && !r.skipped && r.msgsPerSec != null);
  const groups = new Map();
  for (const r of ok) {
    const k = `${cfgKey(r)}|${r.server}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  const summary = [];
  for (const rs of groups.values()) {
    const r0 = rs[0];
    const med = (f) => median(rs.map(f));
    summary.push({
      stream: r0.stream, size: r0.size, sessions: r0.sessions, reuse: r0.reuse, server: r0.server, n: rs.length,
      msgsPerSec: med((r) => r.msgsPerSec),
      p50Ms: med((r) => r.latencyMs?.p50),
      p99Ms: med((r) => r.latencyMs?.p99),
      settleS: rs.every((r) => r.settled !== false) ? med((r) => r.settleS) : null,
      cpuMsPerMsg: med((r) => r.cpuMsPerMsg),
      cpuThreads: r0.server === 'bounced' ? { main: med((r) => r.cpuThreads?.main), busiest: med((r) => r.cpuThreads?.busiest), rest: med((r) => r.cpuThreads?.rest) } : null,
      peakRssMB: round(med((r) => r.peakRss) / 2 ** 20, 1),
      processedPerSec: med((r) => r.processedPerSec),
      bytesPerMsg: med((r) => r.bytesPerMsg),
      overheadBytesPerMsg: med((r) => r.overheadBytesPerMsg),
      storeOk: r0.server === 'bounced' ? rs.every((r) => r.store?.check.ok) : null,
      failed: rs.reduce((a, r) => a + (r.failed ?? 0), 0),
      loadAvg: med((r) => r.loadAvg),
    });
  }
  // ratios per repetition (the three servers minutes apart at most), then the median
  const per = new Map();
  for (const r of ok) {
    const k = `${cfgKey(r)}|${r.rep}`;
    if (!per.has(k)) per.set(k, {});
    per.get(k)[r.server] = r;
  }
  const rk = new Map();
  for (const [k, v] of per) {
    const g = k.split('|').slice(0, 4).join('|');
    if (!rk.has(g)) rk.set(g, { bc: [], ba: [], p99: [] });
    const b = v.bounced;
    rk.get(g).bc.push(ratio(b?.msgsPerSec, v.postfix?.msgsPerSec));
    rk.get(g).ba.push(ratio(b?.msgsPerSec, v.sink?.msgsPerSec));
    rk.get(g).p99.push(ratio(b?.latencyMs?.p99, v.postfix?.latencyMs?.p99));
  }
  const ratios = [...rk].map(([g, v]) => {
    const [stream, size, sessions, mode] = g.split('|');
    return { stream, size: Number(size), sessions: Number(sessions), reuse: mode === 'reuse', bOverC: median(v.bc), bOverA: median(v.ba), p99BOverC: median(v.p99) };
  });
  return { meta, summary, ratios, runs };
}

// ---- growth: one account's month ---------------------------------------------------------

/**
 * The rate of the `w` events ending with the `end`-th (sorted times in ms after the start of
 * the load): w over the time from the event before the window (the start, for the first) to
 * the last one of it.
 */
function windowRate(sorted, end, w) {
  if (sorted.length < end) return null;
  const t0 = end - w - 1 >= 0 ? sorted[end - w - 1] : 0;
  const t1 = sorted[end - 1];
  return t1 > t0 ? round(w / ((t1 - t0) / 1000), 1) : null;
}

/** The daemon's CPU ms at epoch ms `t`, linear between the samples around it. */
function cpuAt(series, t) {
  let i = 0;
  while (i < series.length && series[i][0] <= t) i++;
  if (i === 0 || i === series.length) return null;
  const [t0, c0] = series[i - 1];
  const [t1, c1] = series[i];
  return c0 + ((c1 - c0) * (t - t0)) / Math.max(1, t1 - t0);
}

/**
 * The daemon's CPU per message over the window of `w` reports processed ending with the
 * `end`-th (all its threads, from the time the one before the window was processed to the time
 * its last was): less moved by the machine's other load than a rate. While the load runs the
 * daemon also takes in about as many messages as it settles; once it stopped, only settling
 * is left (the last window may read lower).
 */
function windowCpu(series, procSorted, startedAt, end, w) {
  if (procSorted.length < end || !series.length) return null;
  const t0 = startedAt + (end - w - 1 >= 0 ? procSorted[end - w - 1] : 0);
  const t1 = startedAt + procSorted[end - 1];
  const c0 = cpuAt(series, t0);
  const c1 = cpuAt(series, t1);
  return c0 === null || c1 === null ? null : round((c1 - c0) / w, 3);
}

export async function runGrowth(opts = {}) {
  const quick = Boolean(opts.quick);
  const count = Number(opts['growth-count'] ?? (quick ? 10_000 : 100_000));
  const size = Number(opts['growth-size'] ?? 2048);
  const sessions = Number(opts['growth-sessions'] ?? 10);
  const window = 1000;
  const marks = [1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000].filter((m) => m <= count);
  const capMs = Number(opts['growth-cap-min'] ?? (quick ? 3 : 180)) * 60_000;
  const acks = join(TMP, 'real', 'growth-acks.bin');
  freshDir('real');
  const cfg = { stream: 'verified', size, sessions, reuse: true, accounts: 1, tag: 'growth' };
  const la0 = loadAvg();
  log(`real growth: ${count} distinct verified DSNs of ${sizeLabel(size)} for one account, ${sessions} sessions, reused connections (load ${la0})`);
  const dataDir = join(TMP, 'real', 'bounced-growth');
  const res = await bouncedRun(cfg, { count, durationMs: capMs, drainTimeoutMs: capMs, keep: true, acks, cpuSeries: true });
  const cpuSeries = res.cpuSeries ?? [];
  delete res.cpuSeries;
  // accepted: the client's reply times; processed: processed_at of each message (the store's clock)
  const buf = readFileSync(acks);
  const ackAt = new Float64Array(buf.buffer, buf.byteOffset, count);
  const lat = new Float64Array(buf.buffer, buf.byteOffset + count * 8, count);
  const ackSorted = Array.from(ackAt).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const db = new Database(join(dataDir, 'bounced.db'), { readonly: true });
  const proc = db.prepare(`SELECT processed_at AS p FROM messages WHERE processed_at IS NOT NULL ORDER BY processed_at`).all().map((r) => r.p - res.startedAt);
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
  const rows = marks.map((m) => {
    const l = Array.from(lat.subarray(Math.max(0, m - window), m)).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    return {
      reports: m,
      acceptedPerSec: windowRate(ackSorted, m, window),
      processedPerSec: windowRate(proc, m, window),
      cpuMsPerMsg: windowCpu(cpuSeries, proc, res.startedAt, m, window),
      p99Ms: l.length ? round(l[Math.min(l.length - 1, Math.ceil(0.99 * l.length) - 1)], 1) : null,
    };
  });
  const first = rows[0];
  const last = rows.filter((r) => r.acceptedPerSec != null).pop();
  const lastP = rows.filter((r) => r.processedPerSec != null).pop();
  const out = {
    count, size, sessions, window, accounts: 1,
    sent: res.sent, ok: res.ok, elapsedS: res.elapsedS, msgsPerSec: res.msgsPerSec,
    settleS: res.settleS, settled: res.settled, cpuMsPerMsg: res.cpuMsPerMsg, peakRssMB: round((res.peakRss ?? 0) / 2 ** 20, 1),
    bytesPerMsg: res.bytesPerMsg, overheadBytesPerMsg: res.overheadBytesPerMsg, storeOk: res.store?.check.ok ?? null,
    storeMismatches: res.store?.check.mismatches ?? [],
    rows,
    acceptedLastOverFirst: last && first?.acceptedPerSec ? round(last.acceptedPerSec / first.acceptedPerSec, 2) : null,
    processedLastOverFirst: lastP && first?.processedPerSec ? round(lastP.processedPerSec / first.processedPerSec, 2) : null,
    lastReports: last?.reports ?? null,
    loadAvg: { start: la0, end: loadAvg() },
  };
  for (const r of rows) log(`real growth: at ${String(r.reports).padStart(7)} reports: accepted ${r.acceptedPerSec} msgs/s, processed ${r.processedPerSec} msgs/s, p99 ${r.p99Ms} ms, daemon CPU ${r.cpuMsPerMsg} ms/msg`);
  log(`real growth: last/first accepted ${out.acceptedLastOverFirst}, processed ${out.processedLastOverFirst}; settled ${out.settleS} s after the load; ${out.cpuMsPerMsg} ms CPU/msg; ${out.bytesPerMsg} B/msg on disk (load ${out.loadAvg.end})`);
  return out;
}

// ---- targets and the table -----------------------------------------------------------------

function targets(m, g) {
  const s = (stream, size, sessions, reuse, server) => m?.summary.find((x) => x.stream === stream && x.size === size && x.sessions === sessions && x.reuse === reuse && x.server === server);
  const out = [];
  const t = (what, wanted, value, met) => out.push({ what, wanted, value, met: value == null ? null : met });
  const b10r = s('verified', 20480, 10, true, 'bounced');
  const b10c = s('verified', 20480, 10, false, 'bounced');
  const p10r = s('verified', 20480, 10, true, 'postfix');
  const p10c = s('verified', 20480, 10, false, 'postfix');
  t('10 sessions, reused, 20 KB distinct verified: msgs/s', '>= 2,000', b10r?.msgsPerSec, b10r?.msgsPerSec >= 2000);
  t('10 sessions, one per connection, 20 KB distinct verified: msgs/s', '>= 1,200', b10c?.msgsPerSec, b10c?.msgsPerSec >= 1200);
  const rr = m?.ratios.find((x) => x.stream === 'verified' && x.size === 20480 && x.sessions === 10 && x.reuse);
  const rc = m?.ratios.find((x) => x.stream === 'verified' && x.size === 20480 && x.sessions === 10 && !x.reuse);
  t('the same, reused: bounced / Postfix (same run)', 'about 2', rr?.bOverC, rr?.bOverC >= 2);
  t('the same, one per connection: bounced / Postfix (same run)', 'about 2', rc?.bOverC, rc?.bOverC >= 2);
  t('the same, reused: bounced / bare sink (same run)', 'about 0.35', rr?.bOverA, rr?.bOverA >= 0.35);
  t('the same, one per connection: bounced / bare sink (same run)', 'about 0.35', rc?.bOverA, rc?.bOverA >= 0.35);
  t("p99 of the 250, reused (bounced vs Postfix's, ms)", "<= Postfix's", b10r && p10r ? `${b10r.p99Ms} vs ${p10r.p99Ms}` : null, b10r?.p99Ms <= p10r?.p99Ms);
  t("p99 of the 250, one per connection (bounced vs Postfix's, ms)", "<= Postfix's", b10c && p10c ? `${b10c.p99Ms} vs ${p10c.p99Ms}` : null, b10c?.p99Ms <= p10c?.p99Ms);
  t('CPU per message, reused (ms)', '<= 1', b10r?.cpuMsPerMsg, b10r?.cpuMsPerMsg <= 1);
  t('CPU per message, one per connection (ms)', '<= 1', b10c?.cpuMsPerMsg, b10c?.cpuMsPerMsg <= 1);
  t('backlog settled after the load, reused (s)', '<= 2', b10r?.settleS, b10r?.settleS <= 2);
  t('backlog settled after the load, one per connection (s)', '<= 2', b10c?.settleS, b10c?.settleS <= 2);
  for (const reuse of [false, true]) {
    const r1 = m?.ratios.find((x) => x.stream === 'verified' && x.size === 20480 && x.sessions === 1 && x.reuse === reuse);
    t(`one session, ${reuse ? 'reused' : 'one per connection'}: bounced / Postfix`, '>= 1', r1?.bOverC, r1?.bOverC >= 1);
  }
  if (g) {
    t(`one account's month: accepted rate at ${g.lastReports} reports / at 1,000`, '>= 0.9', g.acceptedLastOverFirst, g.acceptedLastOverFirst >= 0.9);
    t(`one account's month: processed rate at ${g.lastReports} reports / at 1,000`, '>= 0.9', g.processedLastOverFirst, g.processedLastOverFirst >= 0.9);
  }
  return out;
}

const mark = (t) => (t.met === null ? 'n/a' : t.met ? 'met' : '**missed**');

export function renderReal(doc) {
  const r = doc?.sections?.real;
  if (!r) return 'no real-mix results';
  const mi = doc.machine;
  const out = [];
  const m = r.matrix?.summary ? r.matrix : null;
  const g = r.growth?.rows ? r.growth : null;
  for (const [name, p] of [['matrix', r.matrix], ['growth', r.growth]]) if (p?.error) out.push(`The ${name} part failed: ${p.error}`);
  out.unshift(`Figures of ${r.measuredAt.slice(0, 10)} (${doc.quick ? 'quick run' : 'full run'}; medians of ${m?.meta.reps ?? '-'} repetitions of ${(m?.meta.durationMs ?? 0) / 1000} s): ${mi.cores} cores (${mi.cpuModel}), Node ${mi.node}, bounced ${mi.versions.bounced} @ ${mi.versions.gitCommit}${mi.versions.srcCommit && mi.versions.srcCommit !== mi.versions.gitCommit ? ` (src/ as of ${mi.versions.srcCommit})` : ''}${mi.versions.gitDirty ? ' (src/ had uncommitted changes)' : ''}, Postfix ${mi.versions.postfix}. Load average during the runs: ${r.loadAvg.min}-${r.loadAvg.max} (median ${r.loadAvg.median}) on ${mi.cores} cores: a shared, noisy machine; compare the ratios (same run) more than the absolute figures. Command: \`${r.command}\`.`);
  if (m?.summary.length) {
    out.push('\n#### Ingest (msgs/s acknowledged; the 250\'s latency from the end of DATA; settled = after the load, until nothing is left to process)\n');
    const rows = m.summary
      .slice()
      .sort((a, b) => a.stream.localeCompare(b.stream) * -1 || b.size - a.size || a.sessions - b.sessions || Number(a.reuse) - Number(b.reuse) || a.server.localeCompare(b.server))
      .map((x) => [x.stream, sizeLabel(x.size), x.sessions, x.reuse ? 'reused' : 'one per message', x.server, x.msgsPerSec, x.p50Ms, x.p99Ms, x.settleS, x.cpuThreads ? `${x.cpuMsPerMsg} (${x.cpuThreads.main} / ${x.cpuThreads.busiest} / ${x.cpuThreads.rest})` : x.cpuMsPerMsg, x.server === 'bounced' ? x.processedPerSec : '', x.server === 'postfix' ? '' : x.peakRssMB, x.server === 'bounced' ? x.bytesPerMsg : '', x.server === 'bounced' ? (x.storeOk ? 'ok' : '**no**') : '']);
    out.push(mdTable(['stream', 'size', 'sessions', 'connections', 'server', 'msgs/s', 'p50 ms', 'p99 ms', 'settled s', 'CPU ms/msg (bounced: SMTP thread / worker / other threads)', 'processed/s', 'peak RSS MB (not Postfix)', 'disk B/msg', 'store check'], rows));
    out.push('\nRatios (median of the per-repetition ratios): bounced / Postfix and bounced / bare sink in msgs/s, and bounced\'s p99 / Postfix\'s.\n');
    out.push(mdTable(['stream', 'size', 'sessions', 'connections', 'b/Postfix', 'b/sink', 'p99 b/Postfix'], m.ratios
      .slice()
      .sort((a, b) => a.stream.localeCompare(b.stream) * -1 || b.size - a.size || a.sessions - b.sessions || Number(a.reuse) - Number(b.reuse))
      .map((x) => [x.stream, sizeLabel(x.size), x.sessions, x.reuse ? 'reused' : 'one per message', x.bOverC, x.bOverA, x.p99BOverC])));
  }
  if (g) {
    out.push(`\n#### Growth: one account's month, ${g.ok} distinct verified DSNs of ${sizeLabel(g.size)}, ${g.sessions} sessions, reused connections (rates over the ${g.window} reports ending at each mark)\n`);
    out.push(mdTable(['reports', 'accepted msgs/s', 'processed msgs/s', '250 p99 ms', 'daemon CPU ms per message processed'], g.rows.map((x) => [x.reports.toLocaleString('en'), x.acceptedPerSec, x.processedPerSec, x.p99Ms, x.cpuMsPerMsg ?? '-'])));
    out.push(`\nLast / first: accepted ${g.acceptedLastOverFirst}, processed ${g.processedLastOverFirst}. Settled ${g.settleS ?? 'not'} s after the load (whole run ${g.elapsedS} s); ${g.cpuMsPerMsg} ms CPU per message; peak RSS ${g.peakRssMB} MB. **Database bytes per message**: ${g.bytesPerMsg} (bounced.db + -wal after a checkpoint, ${g.ok} messages of ${sizeLabel(g.size)}; ${g.overheadBytesPerMsg} beyond the raw message). Store check: ${g.storeOk ? 'ok' : `**${g.storeMismatches.join('; ')}**`}.`);
  }
  const ts = r.targets ?? [];
  if (ts.length) {
    out.push('\n#### #20 targets (20 KB distinct verified DSNs, 10 sessions, unless said)\n');
    out.push(mdTable(['target', 'wanted', 'measured', ''], ts.map((t) => [t.what, t.wanted, t.value ?? '-', mark(t)])));
  }
  return out.join('\n');
}

export async function runReal(opts = {}) {
  const quick = Boolean(opts.quick);
  pipelining = Boolean(opts.pipelining);
  const started = loadAvg();
  const command = `node bench/real.mjs ${process.argv.slice(2).join(' ')}`.trim();
  // each part on its own: a failure of one keeps the figures of the other
  const part = async (fn) => {
    try {
      return await fn();
    } catch (err) {
      log(`real: ${err?.stack ?? err}`);
      return { error: String(err?.message ?? err) };
    }
  };
  const matrix = opts['growth-only'] ? null : await part(() => runMatrix(opts));
  const growth = opts['no-growth'] ? null : await part(() => runGrowth(opts));
  const las = [started, ...(matrix?.runs?.map((r) => r.loadAvg) ?? []), ...(growth?.loadAvg ? [growth.loadAvg.start, growth.loadAvg.end] : [])].filter((x) => x != null);
  return {
    command: opts.command ?? command,
    shares: SHARES,
    accounts: ACCOUNTS,
    matrix,
    growth,
    targets: targets(matrix?.summary ? matrix : null, growth?.rows ? growth : null),
    loadAvg: { min: Math.min(...las), max: Math.max(...las), median: median(las) },
    pipelining,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs();
  const quick = Boolean(args.quick);
  const result = await runReal(args);
  // --no-readme: not a run of record, so neither the README nor bench/results/ is touched; nor
  // is a --pipelining run (the runs of record send one command at a time).
  const scratch = Boolean(args['no-readme']) || Boolean(args.pipelining);
  const file = saveSection('real', result, { quick, scratch });
  const { loadResults } = await import('./lib/report.mjs');
  const text = renderReal(loadResults(quick, scratch));
  if (!quick && !scratch) writeReadmeBlock(text, 'real');
  console.log(text);
  log(`real: results in ${file}`);
}

#!/usr/bin/env node
// 1. SMTP ingest end to end: messages/s, DATA->250 latency, bounced's peak RSS and backlog.
//
//   node bench/smtp.mjs [--quick] [--reps N] [--duration MS] [--sessions 1,10,50] [--section NAME]
//
// Servers (each on its own loopback port in 2600-2699):
//   sink-stock   bare smtp-server sink, stock (100 ms greeting delay)
//   sink-prompt  bare smtp-server sink, greeting delay removed as bounced does it   = "a"
//   bounced      `bounced serve`, synchronous=FULL, group commit, classification    = "b"
//   postfix      a private Postfix smtpd, queue file + fsync, then discard(8)        = "c"
// Drivers:
//   node         bench/smtp-load.mjs: the mixed corpus (every copy a distinct report), latency
//   smtp-source  Postfix's generator, one fixed file (-F), at 10 sessions: a cross-check that
//                the Node client is not what limits the figures
// A bounced run gets a fresh daemon and data dir; its backlog (state='received') and VmHWM are
// sampled every 100 ms, and after the load stops we wait for the backlog to reach 0.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import {
  assertPortFree, fmtBytes, freshDir, log, median, parseArgs, PORTS, POSTFIX_FIXTURES, procMem, RCPT, ratio,
  round, runNodeJson, sleep, startBounced, stopChild, waitPort, BENCH,
} from './lib/common.mjs';
import { postfixAvailable, startPostfix } from './lib/postfix.mjs';
import { saveSection } from './lib/report.mjs';
import { Sampler } from './lib/sampler.mjs';

const SMTP_SOURCE = '/usr/sbin/smtp-source';
const SOURCE_FILE = join(POSTFIX_FIXTURES, 's02-remote-rcpt550--failed.eml'); // 4.2 KB real Postfix DSN

function startSink(mode, port) {
  const child = spawn(process.execPath, [join(BENCH, 'sink-server.mjs'), '--port', String(port), '--mode', mode], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { child, port, mode, stop: () => stopChild(child) };
}

function smtpSource({ port, sessions, reuse, count }) {
  return new Promise((resolve) => {
    const args = ['-s', String(sessions), '-m', String(count), '-F', SOURCE_FILE, '-f', '', '-t', RCPT, ...(reuse ? ['-d'] : []), `127.0.0.1:${port}`];
    const t0 = performance.now();
    const startedAt = Date.now();
    const child = spawn(SMTP_SOURCE, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code) => {
      const s = (performance.now() - t0) / 1000;
      resolve({
        driver: 'smtp-source', sessions, reuse, sent: count, ok: code === 0 ? count : null, exit: code,
        error: code === 0 ? undefined : err.trim().slice(-300), startedAt, endedAt: Date.now(),
        elapsedS: round(s, 3), msgsPerSec: code === 0 ? round(count / s, 1) : null, latencyMs: null,
      });
    });
  });
}

function loadArgs({ port, sessions, reuse, durationMs, count }) {
  return ['--port', String(port), '--sessions', String(sessions), '--duration', String(durationMs), '--count', String(count), ...(reuse ? ['--reuse'] : [])];
}

/** One load run against a fresh bounced; adds backlog, drain time and memory. */
async function bouncedRun({ sessions, reuse, durationMs, count, driver, drainTimeoutMs, tag }) {
  const dataDir = freshDir('smtp', `bounced-${tag}`);
  const d = await startBounced({ smtpPort: PORTS.bouncedSmtp, httpPort: PORTS.bouncedHttp, dataDir });
  const idle = procMem(d.pid);
  const sampler = new Sampler({ pid: d.pid, dbFile: d.dbFile, everyMs: 100 }).start();
  let res;
  try {
    res =
      driver === 'node'
        ? await runNodeJson('smtp-load.mjs', loadArgs({ port: PORTS.bouncedSmtp, sessions, reuse, durationMs, count }))
        : await smtpSource({ port: PORTS.bouncedSmtp, sessions, reuse, count });
    const drainedAt = await sampler.waitDrained(drainTimeoutMs);
    sampler.stop();
    const atEnd = sampler.samples.reduce((best, s) => (Math.abs(s.t - res.endedAt) < Math.abs((best?.t ?? 0) - res.endedAt) ? s : best), null);
    const db = new Database(d.dbFile, { readonly: true });
    const states = Object.fromEntries(db.prepare(`SELECT state, count(*) AS n FROM messages GROUP BY state`).all().map((r) => [r.state, r.n]));
    const total = Object.values(states).reduce((a, b) => a + b, 0);
    db.close();
    const mem = procMem(d.pid);
    Object.assign(res, {
      idleRss: idle?.rss ?? null,
      peakRss: Math.max(mem?.hwm ?? 0, sampler.peakHwm() ?? 0) || null,
      backlogAtLoadEnd: atEnd?.backlog ?? null,
      peakBacklog: sampler.peakBacklog(),
      drainS: drainedAt === null ? null : round(Math.max(0, drainedAt - res.endedAt) / 1000, 2),
      drained: drainedAt !== null,
      states,
      // Classified per second, from the first message to the end of the backlog.
      processedPerSec: drainedAt === null ? null : round(total / ((drainedAt - res.startedAt) / 1000), 1),
      backlogSeries: sampler.series(res.startedAt, 40),
    });
  } finally {
    sampler.close();
    await d.stop();
  }
  return res;
}

export async function runSmtp(opts = {}) {
  const quick = Boolean(opts.quick);
  const reps = Number(opts.reps ?? (quick ? 1 : 3));
  const durationMs = Number(opts.duration ?? (quick ? 1000 : 5000));
  const sessionsList = opts.sessions ? String(opts.sessions).split(',').map(Number) : quick ? [10] : [1, 10, 50];
  const drainTimeoutMs = quick ? 15000 : 60000;
  const maxCount = 100000;

  for (const p of [PORTS.sinkPrompt, PORTS.sinkStock, PORTS.postfix, PORTS.bouncedSmtp, PORTS.bouncedHttp]) await assertPortFree(p);
  const haveSource = (await import('node:fs')).existsSync(SMTP_SOURCE);
  const postfixWhy = postfixAvailable();
  const sinks = [startSink('prompt', PORTS.sinkPrompt), startSink('stock', PORTS.sinkStock)];
  let postfix = null;
  const runs = [];
  try {
    await Promise.all(sinks.map((s) => waitPort(s.port)));
    if (!postfixWhy) {
      postfix = startPostfix(PORTS.postfix);
      await waitPort(PORTS.postfix);
    } else log(`smtp: postfix comparison skipped: ${postfixWhy}`);

    const servers = ['sink-stock', 'sink-prompt', 'bounced', ...(postfix ? ['postfix'] : [])];
    const portOf = { 'sink-stock': PORTS.sinkStock, 'sink-prompt': PORTS.sinkPrompt, postfix: PORTS.postfix };
    let n = 0;
    for (let rep = 0; rep < reps; rep++) {
      for (const sessions of sessionsList) {
        for (const reuse of [false, true]) {
          // smtp-source cross-checks the Node client at 10 sessions (full runs; the quick smoke skips it).
          const drivers = ['node', ...(haveSource && sessions === 10 && !quick ? ['smtp-source'] : [])];
          for (const driver of drivers) {
            // smtp-source is told a count, not a time: size it from the Node client's rate.
            for (const server of servers) {
              const prior = runs.find((r) => r.server === server && r.sessions === sessions && r.reuse === reuse && r.driver === 'node' && r.rep === rep);
              const count = driver === 'node' ? maxCount : Math.max(quick ? 100 : 200, Math.round(((prior?.msgsPerSec ?? 200) * durationMs) / 1000));
              const tag = `${rep}-${sessions}-${reuse ? 'reuse' : 'conn'}-${driver}-${n++}`;
              let res;
              if (server === 'bounced') res = await bouncedRun({ sessions, reuse, durationMs, count, driver, drainTimeoutMs, tag });
              else if (driver === 'node') res = await runNodeJson('smtp-load.mjs', loadArgs({ port: portOf[server], sessions, reuse, durationMs, count }));
              else res = await smtpSource({ port: portOf[server], sessions, reuse, count });
              if (server === 'postfix') await sleep(quick ? 200 : 1000); // let the queue empty into discard
              const row = { rep, server, sessions, reuse, driver, ...res };
              delete row.port;
              runs.push(row);
              log(
                `smtp rep ${rep} ${server.padEnd(11)} ${String(sessions).padStart(2)} sess ${reuse ? 'reuse' : 'conn '} ${driver.padEnd(11)} ` +
                  `${String(res.msgsPerSec).padStart(7)} msg/s` +
                  (res.latencyMs ? `  p50 ${res.latencyMs.p50} ms p99 ${res.latencyMs.p99} ms` : '') +
                  (res.failed ? `  failed ${res.failed} ${JSON.stringify(res.codes)}` : '') +
                  (res.error ? `  error ${res.error}` : '') +
                  (server === 'bounced' ? `  backlog@end ${res.backlogAtLoadEnd} peak ${res.peakBacklog} drain ${res.drainS} s  RSS ${fmtBytes(res.peakRss)}` : ''),
              );
            }
          }
        }
      }
    }
  } finally {
    await Promise.all(sinks.map((s) => s.stop()));
    postfix?.stop();
  }
  return summarize(runs, { quick, reps, durationMs, sessionsList });
}

function summarize(runs, meta) {
  const groups = new Map();
  for (const r of runs) {
    const k = `${r.server}|${r.sessions}|${r.reuse}|${r.driver}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  const summary = [];
  for (const [k, rs] of groups) {
    const [server, sessions, reuse, driver] = k.split('|');
    const s = {
      server, sessions: Number(sessions), reuse: reuse === 'true', driver, n: rs.length,
      msgsPerSec: median(rs.map((r) => r.msgsPerSec)),
      p50Ms: median(rs.map((r) => r.latencyMs?.p50)),
      p99Ms: median(rs.map((r) => r.latencyMs?.p99)),
      failed: rs.reduce((a, r) => a + (r.failed ?? 0), 0),
    };
    if (server === 'bounced') {
      Object.assign(s, {
        processedPerSec: median(rs.map((r) => r.processedPerSec)),
        backlogAtLoadEnd: median(rs.map((r) => r.backlogAtLoadEnd)),
        peakBacklog: median(rs.map((r) => r.peakBacklog)),
        drainS: rs.every((r) => r.drained) ? median(rs.map((r) => r.drainS)) : null,
        peakRssMB: round(median(rs.map((r) => r.peakRss)) / 2 ** 20, 1),
        maxPeakRssMB: round(Math.max(...rs.map((r) => r.peakRss ?? 0)) / 2 ** 20, 1),
      });
    }
    summary.push(s);
  }
  // Ratios: per repetition (same conditions, minutes apart), then the median.
  const ratios = [];
  const keyOf = (r) => `${r.rep}|${r.sessions}|${r.reuse}|${r.driver}`;
  const byKey = new Map();
  for (const r of runs) {
    if (!byKey.has(keyOf(r))) byKey.set(keyOf(r), {});
    byKey.get(keyOf(r))[r.server] = r.msgsPerSec;
  }
  const rk = new Map();
  for (const [k, v] of byKey) {
    const [, sessions, reuse, driver] = k.split('|');
    const g = `${sessions}|${reuse}|${driver}`;
    if (!rk.has(g)) rk.set(g, { ba: [], bc: [], aStock: [] });
    rk.get(g).ba.push(ratio(v.bounced, v['sink-prompt']));
    rk.get(g).bc.push(ratio(v.bounced, v.postfix));
    rk.get(g).aStock.push(ratio(v['sink-prompt'], v['sink-stock']));
  }
  for (const [g, v] of rk) {
    const [sessions, reuse, driver] = g.split('|');
    ratios.push({
      sessions: Number(sessions), reuse: reuse === 'true', driver,
      bOverA: median(v.ba), bOverC: median(v.bc), promptOverStock: median(v.aStock),
    });
  }
  const target = (reuse) => {
    const r = ratios.find((x) => x.sessions === 10 && x.reuse === reuse && x.driver === 'node');
    const b = summary.find((x) => x.server === 'bounced' && x.sessions === 10 && x.reuse === reuse && x.driver === 'node');
    if (!r || !b) return null;
    return {
      bOverC: { value: r.bOverC, target: '>= 2', met: r.bOverC == null ? null : r.bOverC >= 2 },
      bOverA: { value: r.bOverA, target: '>= 0.5', met: r.bOverA == null ? null : r.bOverA >= 0.5 },
      drainS: { value: b.drainS, target: '<= 2 s', met: b.drainS == null ? false : b.drainS <= 2 },
      peakRssMB: { value: b.maxPeakRssMB, target: '<= 200 MB', met: b.maxPeakRssMB <= 200 },
    };
  };
  return { meta, summary, ratios, targets: { perConnection: target(false), reusedConnections: target(true) }, runs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs();
  const result = await runSmtp(args);
  // --section NAME keeps a partial re-run (e.g. --sessions 10) beside the full run's figures.
  const file = saveSection(args.section ?? 'smtp', result, { quick: Boolean(args.quick) });
  console.log(JSON.stringify({ summary: result.summary, ratios: result.ratios, targets: result.targets }, null, 1));
  log(`smtp: results in ${file}`);
}

#!/usr/bin/env node
// `npm run bench`: every benchmark in turn, then the results file and the table in
// bench/README.md. A benchmark, not a test: it asserts no timing and exits 0 whatever the
// figures; it exits non-zero only when a bench itself breaks (a crash, a missing dist/).
//
//   npm run bench                    full run (15 minutes on 2 cores, plus about 2 hours of the real mix)
//   npm run bench -- --quick         CI smoke, under a minute plus under 2 of the real mix; writes bench/tmp/results-quick.json only
//   npm run bench -- --only smtp,classify [--no-profile]
//   npm run bench -- --only hostile  the intake under hostile messages (bench/hostile.mjs)
//   npm run bench -- --only spool    RSS growth with big messages, spooled and held (bench/spool.mjs)
//   npm run bench -- --only real     the real mix (#20; bench/real.mjs), alone: about 2 hours on
//                                    today's main (its growth figure alone is most of it)
//   npm run bench -- --only storepg,smtppg   PostgreSQL beside SQLite (#15; bench/store-pg.mjs,
//                                    bench/smtp-pg.mjs; a real PostgreSQL from Debian's binaries);
//                                    not in the default list: each takes several minutes
//   npm run bench -- --render        rewrite the README table from today's results file only
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { runBigmsg } from './bigmsg.mjs';
import { runSpool } from './spool.mjs';
import { runClassify } from './classify.mjs';
import { runHostile } from './hostile.mjs';
import { CLI, fmtBytes, log, machineInfo, parseArgs, TMP } from './lib/common.mjs';
import { loadResults, mdTable, saveSection, writeReadmeBlock } from './lib/report.mjs';
import { runLogtail } from './logtail.mjs';
import { runPresend } from './presend.mjs';
import { renderReal, runReal } from './real.mjs';
import { runClassifyProfile, runProfile } from './profile.mjs';
import { runSmtp } from './smtp.mjs';
import { join } from 'node:path';

const args = parseArgs();
const quick = Boolean(args.quick);
const only = args.only ? String(args.only).split(',') : ['smtp', 'classify', 'presend', 'logtail', 'bigmsg', 'hostile', 'real'];
// The real mix has its own block in the README (bench/real.mjs); the other benches share one.
const mainBlock = only.some((n) => n !== 'real');
if (!existsSync(CLI)) {
  console.error('bench: dist/cli.js not found: build first (npm ci or npm run build)');
  process.exit(2);
}
const m = machineInfo();
log(`bench: ${quick ? 'quick' : 'full'} run on ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, Postfix ${m.versions.postfix}, Sisimai ${m.versions.sisimai}`);

if (args.render) {
  // Re-render the README table from the day's results file, running nothing.
  const doc = loadResults(quick);
  // the shared block only from a results file that has one of its sections (a day with only
  // the real mix must not wipe the last figures of the others)
  if (Object.keys(doc?.sections ?? {}).some((n) => n !== 'real')) {
    const table = renderTable(doc);
    if (!quick) writeReadmeBlock(table);
    console.log(table);
  }
  if (doc?.sections?.real) {
    const real = renderReal(doc);
    if (!quick) writeReadmeBlock(real, 'real');
    console.log('\n' + real);
  }
  process.exit(0);
}

/** A bench that runs as its own script and writes its figures as JSON (--json FILE). */
function scriptBench(script, quickArgs) {
  return ({ quick }) => {
    const out = join(TMP, `${script.replace(/\W+/g, '-')}.json`);
    const r = spawnSync(process.execPath, [join(import.meta.dirname, script), ...(quick ? quickArgs : []), '--json', out], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${script} exited ${r.status ?? r.signal}`);
    return JSON.parse(readFileSync(out, 'utf8'));
  };
}

const benches = {
  storepg: scriptBench('store-pg.mjs', ['--suppressions', '20000', '--rounds', '1', '--presend', '2000', '--settles', '100', '--intake', '20']),
  smtppg: scriptBench('smtp-pg.mjs', ['--rounds', '1', '--duration', '3000']),
  smtp: runSmtp, classify: runClassify, presend: runPresend, logtail: runLogtail, bigmsg: runBigmsg, hostile: runHostile,
  // Big messages and the spool (#20; bench/spool.mjs): opt-in, a few minutes (20 x 30 MB twice).
  spool: runSpool,
  real: (o) => runReal({ ...o, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim() }),
};
const unknown = only.filter((n) => !benches[n]);
if (unknown.length) {
  console.error(`bench: no bench named ${unknown.join(', ')} (${Object.keys(benches).join(', ')})`);
  process.exit(2);
}
const t0 = Date.now();
let broken = 0;
for (const name of only) {
  const started = Date.now();
  log(`\n== ${name}`);
  try {
    const result = await benches[name]({ ...args, quick });
    saveSection(name, result, { quick });
  } catch (err) {
    broken++;
    log(`bench ${name} failed: ${err?.stack ?? err}`);
    saveSection(name, { error: String(err?.message ?? err) }, { quick });
  }
  log(`== ${name} done in ${Math.round((Date.now() - started) / 1000)} s`);
}

// A missed target gets a profile (full runs only: the quick run is a smoke test).
const doc = loadResults(quick);
const smtpT = doc?.sections?.smtp?.targets?.perConnection;
const clsT = doc?.sections?.classify?.targets;
if (!quick && !args['no-profile']) {
  const profiles = {};
  if (smtpT && Object.values(smtpT).some((t) => t.met === false)) {
    log('\n== profile: bounced serve under 10 sessions, one message per connection (synchronous=FULL, then NORMAL)');
    try {
      profiles.smtpFull = await runProfile({ sessions: 10, duration: 8000 });
      profiles.smtpNormal = await runProfile({ sessions: 10, duration: 8000, env: 'BOUNCED_STORE_SYNCHRONOUS=NORMAL' });
      for (const [k, p] of Object.entries({ FULL: profiles.smtpFull, NORMAL: profiles.smtpNormal })) {
        log(`profile ${k}: ${p.msgsPerSec} msg/s, daemon CPU ${p.daemonCpuPct} %; top: ${p.functions.slice(0, 5).map((f) => `${f.name.trim()} ${f.pct}%`).join('; ')}`);
      }
    } catch (err) {
      log(`profile failed: ${err?.stack ?? err}`);
    }
  }
  if (clsT && Object.values(clsT).some((t) => t.met === false)) {
    log('\n== profile: bounced classify over the copied corpus');
    try {
      profiles.classify = await runClassifyProfile(join(TMP, 'classify', 'corpus'));
      log(`profile classify: top: ${profiles.classify.functions.slice(0, 6).map((f) => `${f.name.trim()} ${f.pct}%`).join('; ')}`);
    } catch (err) {
      log(`classify profile failed: ${err?.stack ?? err}`);
    }
  }
  if (Object.keys(profiles).length) saveSection('profiles', profiles, { quick });
}

const final = loadResults(quick);
if (mainBlock) {
  const table = renderTable(final);
  if (!quick) writeReadmeBlock(table);
  console.log('\n' + table);
}
if (only.includes('real') && final?.sections?.real) {
  const real = renderReal(final);
  if (!quick) writeReadmeBlock(real, 'real');
  console.log('\n' + real);
}
log(`\nbench: ${quick ? 'quick' : 'full'} run done in ${Math.round((Date.now() - t0) / 1000)} s; results in ${quick ? join(TMP, 'results-quick.json') : 'bench/results/'}${quick ? '' : ' and bench/README.md'}`);
process.exit(broken ? 1 : 0);

function mark(t) {
  if (!t) return '-';
  return t.met === null ? 'n/a' : t.met ? 'met' : '**missed**';
}

function renderTable(doc) {
  if (!doc) return 'no results';
  const s = doc.sections ?? {};
  const mi = doc.machine;
  const out = [];
  out.push(`Figures of ${doc.updatedAt.slice(0, 10)} (${doc.quick ? 'quick run' : 'full run'}; medians of the repetitions): ${mi.cores} cores (${mi.cpuModel}), ${mi.memoryGiB} GiB RAM, ${mi.os}, Node ${mi.node}, bounced ${mi.versions.bounced} @ ${mi.versions.gitCommit}${mi.versions.gitDirty ? ' (src/ had uncommitted changes)' : ''}, smtp-server ${mi.versions['smtp-server']}, better-sqlite3 ${mi.versions['better-sqlite3']}, Postfix ${mi.versions.postfix}, Sisimai ${mi.versions.sisimai}, wrk ${mi.versions.wrk}. A shared, noisy machine: compare the ratios, not the absolute figures.`);
  if (s.smtp?.summary) {
    const sm = s.smtp;
    out.push(`\n### 1. SMTP ingest (messages/s acknowledged; latency = end of DATA to the reply; ${sm.meta.reps} runs of ${sm.meta.durationMs / 1000} s each)\n`);
    const rows = sm.summary
      .slice()
      .sort((a, b) => a.driver.localeCompare(b.driver) || a.sessions - b.sessions || Number(a.reuse) - Number(b.reuse) || a.server.localeCompare(b.server))
      .map((r) => [
        r.driver, r.sessions, r.reuse ? 'reused (-d)' : 'one per message', r.server, r.msgsPerSec, r.p50Ms, r.p99Ms,
        r.server === 'bounced' ? r.processedPerSec : '', r.server === 'bounced' ? r.peakBacklog : '', r.server === 'bounced' ? r.drainS : '', r.server === 'bounced' ? r.maxPeakRssMB : '',
      ]);
    out.push(mdTable(['driver', 'sessions', 'connections', 'server', 'msgs/s', 'p50 ms', 'p99 ms', 'classified/s', 'peak backlog', 'drain s', 'peak RSS MB'], rows));
    out.push('\nRatios (median of the per-run ratios): b = bounced, a = bare smtp-server sink without the greeting delay, c = Postfix smtpd into discard.\n');
    out.push(mdTable(['driver', 'sessions', 'connections', 'b/a', 'b/c', 'a/stock sink'], sm.ratios.map((r) => [r.driver, r.sessions, r.reuse ? 'reused' : 'one per message', r.bOverA, r.bOverC, r.promptOverStock])));
  }
  if (s.classify?.summary) {
    const c = s.classify.summary;
    out.push(`\n### 2. Classification (${c.files} files: the public corpus ${c.copies}x; one process, start-up included)\n`);
    out.push(mdTable(['tool', 'msgs/s', 'wall s', 'peak RSS MB'], [
      ['bounced classify', c.bounced.msgsPerSec, c.bounced.wallS, c.bounced.peakRssMB],
      ...(c.sisimai ? [[`Sisimai ${mi.versions.sisimai} (Perl)`, c.sisimai.msgsPerSec, c.sisimai.wallS, c.sisimai.peakRssMB]] : []),
    ]));
    out.push(`\nbounced / Sisimai: ${c.bouncedOverSisimai ?? '-'}`);
  }
  out.push('\n### 3-5\n');
  const p = s.presend;
  const l = s.logtail;
  const b = s.bigmsg;
  const rows3 = [];
  rows3.push(['3. GET /v1/suppressions/:address, 10 clients', p?.skipped ? `skipped: ${p.skipped}` : p?.error ? `error: ${p.error}` : `${p?.reqPerSec} req/s, p99 ${p?.p99Ms} ms (${p?.seeded} suppressions seeded${p?.seeded ? '' : ': TODO'})`]);
  rows3.push([`4. \`bounced tail --once\`, ${l?.lines ?? '-'} Postfix lines`, l?.skipped ? `skipped: ${l.skipped} (wc -l: ${l.wcLinesPerSec} lines/s)` : l?.error ? `error: ${l.error}` : `${l?.tailLinesPerSec} lines/s vs wc -l ${l?.wcLinesPerSec} lines/s (${l?.tailOverWc}x)`]);
  if (b?.cases) {
    for (const c of b.cases) {
      rows3.push([`5. ${fmtBytes(c.messageBytes)} DSN, limit ${fmtBytes(c.limit)}${c.declareSize ? ', SIZE= declared' : ''}`, `${c.reply}; RSS ${c.rssBeforeMB} -> ${c.peakRssMB} MB, growth ${c.growthMB} MB = ${c.growthOverSize}x the message${c.stored ? `; stored ${c.stored.state} (${c.stored.detector})` : ''}`]);
    }
  } else rows3.push(['5. big message', b?.error ? `error: ${b.error}` : '-']);
  out.push(mdTable(['bench', 'result'], rows3));
  const h = s.hostile;
  if (h?.ordinary250) {
    const m = h.meta;
    out.push(`\n### 6. Hostile messages (${m.sessions} ordinary sessions for ${m.durationMs / 1000} s, alone and then with ${m.hostileSessions} hostile sessions sending one message each every ${m.hostileIntervalMs} ms; budget ${m.budgetMs} ms)\n`);
    const o = h.ordinary250;
    out.push(mdTable(['ordinary sessions, 250 latency ms', 'p50', 'p99', 'max', 'messages'], [
      ['alone', o.alone.p50, o.alone.p99, o.alone.max, o.alone.n],
      ['with hostile senders', o.withHostile.p50, o.withHostile.p99, o.withHostile.max, o.withHostile.n],
      ['ratio', o.ratio.p50, o.ratio.p99, o.ratio.max, ''],
    ]));
    const st = h.settledMs;
    out.push(`\n250 -> settled: worst ${st.worst} ms (ordinary with hostile p50 ${st.ordinaryWithHostile.p50}, p99 ${st.ordinaryWithHostile.p99}; hostile p50 ${st.hostile.p50}, max ${st.hostile.max}; ordinary alone max ${st.ordinaryAlone.max}). Hostile messages sent: ${Object.entries(h.hostileSent).map(([k, v]) => `${k} ${v}`).join(', ')}; abandoned at the budget ${h.outcome.abandoned.budget}; records ${h.outcome.records} (at most ${h.outcome.maxRecordsPerMessage} per message); database +${h.dbGrowthMB} MB.`);
  } else if (h?.error) out.push(`\n### 6. Hostile messages\n\nerror: ${h.error}`);
  // Targets
  const t = [];
  const sp = s.smtp?.targets?.perConnection;
  const sr = s.smtp?.targets?.reusedConnections;
  if (sp) {
    for (const [k, label] of [['bOverC', 'SMTP b/c at 10 sessions'], ['bOverA', 'SMTP b/a at 10 sessions'], ['drainS', 'backlog drained (s)'], ['peakRssMB', 'bounced peak RSS (MB)']]) {
      t.push([label, sp[k].target, `${sp[k].value} (${mark(sp[k])})`, sr ? `${sr[k].value} (${mark(sr[k])})` : '-']);
    }
  }
  const ct = s.classify?.targets;
  if (ct) {
    t.push(['classify rate / Sisimai', ct.rateOverSisimai.target, `${ct.rateOverSisimai.value} (${mark(ct.rateOverSisimai)})`, '']);
    t.push(['classify peak RSS (MB)', ct.peakRssMB.target, `${ct.peakRssMB.value} (${mark(ct.peakRssMB)})`, '']);
    if (ct.startupS) t.push(['classify start-up, one file (s)', ct.startupS.target, `${ct.startupS.value} (${mark(ct.startupS)})`, '']);
  }
  const bt = b?.targets;
  if (bt) t.push(['25 MB message: RSS growth / size', bt.rssGrowthOverSize.target, `${bt.rssGrowthOverSize.value} (${mark(bt.rssGrowthOverSize)})`, '']);
  if (t.length) {
    out.push('\n### Targets\n');
    out.push(mdTable(['target', 'wanted', 'one message per connection / value', 'reused connections'], t));
  }
  if (s.profiles) {
    out.push('\n### Profiles (self time, top functions)\n');
    for (const [k, pr] of Object.entries(s.profiles)) {
      if (!pr || typeof pr !== 'object' || !pr.functions) continue;
      const head = pr.target === 'classify' ? `classify (${pr.wallS} s)` : `serve ${k} (${pr.msgsPerSec} msg/s, daemon CPU ${pr.daemonCpuPct} % of a core)`;
      out.push(`- ${head}: ${pr.functions.slice(0, 6).map((f) => `\`${f.name.trim()}\` ${f.pct} %`).join(', ')}`);
    }
  }
  return out.join('\n');
}

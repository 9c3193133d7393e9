#!/usr/bin/env node
// 2. Classification: `bounced classify --format jsonl` against Sisimai 4.25 (Debian's
// libsisimai-perl, bench/sisimai-classify.pl) on the same files in the same run: the public
// corpus's messages copied 20 times into bench/tmp (about 10,000 files; --quick: once).
// One process each, start-up included; peak RSS from GNU time -v. Runs alternate.
//
//   node bench/classify.mjs [--quick] [--copies N] [--reps N]
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BENCH, CLI, CORPUS, freshDir, listFiles, log, median, parseArgs, ratio, round } from './lib/common.mjs';
import { saveSection } from './lib/report.mjs';

const TIME = '/usr/bin/time';

/** Runs argv under `/usr/bin/time -v`, stdout to `outFile`; returns wall seconds and peak RSS. */
function timed(argv, outFile) {
  return new Promise((resolve) => {
    const out = openSync(outFile, 'w');
    const useTime = existsSync(TIME);
    const t0 = performance.now();
    const child = spawn(useTime ? TIME : argv[0], useTime ? ['-v', ...argv] : argv.slice(1), { stdio: ['ignore', out, 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code) => {
      closeSync(out);
      const wall = (performance.now() - t0) / 1000;
      const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      resolve({ exit: code, wallS: round(wall, 3), peakRssMB: kb ? round(Number(kb[1]) / 1024, 1) : null, stderrTail: code ? err.slice(-400) : undefined });
    });
  });
}

function countOutput(file) {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  let withRecipient = 0;
  let errors = 0;
  for (const l of lines) {
    const r = JSON.parse(l);
    if (r.recipient) withRecipient++;
    if (r.error) errors++;
  }
  return { records: lines.length, withRecipient, errors };
}

export async function runClassify(opts = {}) {
  const quick = Boolean(opts.quick);
  const copies = Number(opts.copies ?? (quick ? 1 : 20));
  const reps = Number(opts.reps ?? (quick ? 1 : 3));
  if (!existsSync(CORPUS)) return { skipped: `corpus not found at ${CORPUS}` };
  const haveSisimai = spawnSync('perl', ['-MSisimai', '-e', '1']).status === 0;

  // The messages only (not expected.jsonl or the licence), copied `copies` times.
  const dir = freshDir('classify', 'corpus');
  for (let i = 0; i < copies; i++) {
    cpSync(CORPUS, join(dir, String(i).padStart(2, '0')), { recursive: true, filter: (src) => !/\.(jsonl|md)$|LICENSE/.test(src) });
  }
  const files = listFiles(dir).length;
  log(`classify: ${files} files (${copies} copies of the public corpus) in ${dir}`);

  const runs = [];
  for (let rep = 0; rep < reps; rep++) {
    const tools = [
      ['bounced', [process.execPath, CLI, 'classify', '--format', 'jsonl', dir]],
      ...(haveSisimai ? [['sisimai', ['perl', join(BENCH, 'sisimai-classify.pl'), dir]]] : []),
    ];
    // Alternate which goes first so that neither always gets the warmer page cache.
    if (rep % 2) tools.reverse();
    for (const [tool, argv] of tools) {
      const outFile = join(dir, '..', `${tool}.jsonl`);
      const r = timed(argv, outFile);
      const res = await r;
      const counts = countOutput(outFile);
      const row = { rep, tool, files, ...res, msgsPerSec: round(files / res.wallS, 0), ...counts };
      runs.push(row);
      log(`classify rep ${rep} ${tool.padEnd(8)} ${String(row.msgsPerSec).padStart(6)} msg/s  ${res.wallS} s  peak RSS ${res.peakRssMB} MB  records ${counts.records} (recipient found ${counts.withRecipient})${res.exit ? ` exit ${res.exit}` : ''}`);
    }
  }
  const pick = (tool, k) => median(runs.filter((r) => r.tool === tool).map((r) => r[k]));
  const perRep = [...new Set(runs.map((r) => r.rep))].map((rep) =>
    ratio(runs.find((r) => r.rep === rep && r.tool === 'bounced')?.msgsPerSec, runs.find((r) => r.rep === rep && r.tool === 'sisimai')?.msgsPerSec),
  );
  const summary = {
    files,
    copies,
    bounced: { msgsPerSec: pick('bounced', 'msgsPerSec'), peakRssMB: pick('bounced', 'peakRssMB'), wallS: pick('bounced', 'wallS') },
    sisimai: haveSisimai ? { msgsPerSec: pick('sisimai', 'msgsPerSec'), peakRssMB: pick('sisimai', 'peakRssMB'), wallS: pick('sisimai', 'wallS') } : null,
    bouncedOverSisimai: median(perRep),
  };
  const maxRss = Math.max(...runs.filter((r) => r.tool === 'bounced').map((r) => r.peakRssMB ?? 0));
  const targets = {
    rateOverSisimai: { value: summary.bouncedOverSisimai, target: '>= 3', met: summary.bouncedOverSisimai == null ? null : summary.bouncedOverSisimai >= 3 },
    peakRssMB: { value: maxRss, target: '<= 150 MB', met: maxRss <= 150 },
  };
  return { summary, targets, runs, skipped: haveSisimai ? undefined : 'sisimai not installed (bench/setup.sh): no ratio' };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs();
  const result = await runClassify(args);
  const file = saveSection('classify', result, { quick: Boolean(args.quick) });
  console.log(JSON.stringify({ summary: result.summary, targets: result.targets }, null, 1));
  log(`classify: results in ${file}`);
}

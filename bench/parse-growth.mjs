#!/usr/bin/env node
// Parse-and-classify growth over every message we may read: each one made bigger in three ways
// a stranger's message can be big, at three sizes that double, and the time of the step with
// the worst growth printed per message. A path that is linear takes at most about twice the
// time for twice the input; the lesson of the trial ("one 118 KB message held the thread") is
// that the paths worth finding are the ones no targeted test (test/parser/linear.test.ts) knew
// to try. This is the net; the tests are the fixed cases.
//
//   node bench/parse-growth.mjs [--modes lines,long,body] [--step N] [--kb 64] [--top 8]
//   node bench/parse-growth.mjs --file F [--modes lines] [--kb 16]   (one message, six doublings)
//
// Modes (the message's header block kept, its body grown):
//   lines  every body line repeated k times in place (long lists, many blocks, many fields);
//   long   every body line made k times longer (k copies joined by a space);
//   body   the whole body repeated k times.
// k is chosen so that the first size is about --kb KiB (64 by default), then doubled twice;
// each size is timed as the best of three runs of `recordsFor` (the `bounced classify` path:
// parse, classify, records), in this process, on dist/ (`npm run build` first). `--step N`
// reads every Nth message (default 1: all of them; 7 takes about 10 s a mode). `--file F` grows
// one message six times over, for a closer look at a row.
//
// Sources: the public corpus's dev part (../shared/corpus/public, the LF copies; the validation
// part is never read: scripts/metamorphic-lib.mjs corpusSources) and every message of fixtures/. The ratio printed is the larger of the two
// doublings. Rows whose largest size takes under 2 ms are left out of the count (fixed costs and
// the timer decide their ratio: a repeated body often ends at the first copy's closing boundary).
// Above 2.5 is worth a look with --file: a step that jumps once and then falls back is a size
// limit switching one reader off and another on (a detector's window, a parts cap), not growth.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { corpusSources } from '../scripts/metamorphic-lib.mjs';
import { parseArgs } from './lib/common.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = parseArgs();
const modes = String(args.modes ?? 'lines,long,body').split(',');
const step = Math.max(1, Number(args.step ?? 1));
const kb = Math.max(4, Number(args.kb ?? 64));
const top = Number(args.top ?? 8);

const classifyJs = join(ROOT, 'dist', 'commands', 'classify.js');
if (!existsSync(classifyJs)) {
  console.error('dist/commands/classify.js not found: run `npm run build` first');
  process.exit(2);
}
const { recordsFor } = await import(classifyJs);

// (the metamorphic harness's sources: the dev part only, every fixture; of the corpus's three
// line-end copies the LF one, the others being the same message once line ends are normalized)
const all = corpusSources(ROOT).filter((s) => s.origin !== 'public-dev' || !s.name.startsWith('public/maildir/') || s.name.startsWith('public/maildir/bsd/'));
if (!all.some((s) => s.origin === 'public-dev')) console.log('(no public corpus beside the repository: fixtures only)');
const sources = all.filter((_, i) => i % step === 0).map((s) => s.file);

function grown(head, body, mode, k) {
  if (mode === 'lines') return head + body.split('\n').map((l) => (l + '\n').repeat(k)).join('');
  if (mode === 'long') return head + body.split('\n').map((l) => Array(k).fill(l).join(' ')).join('\n');
  return head + body.repeat(k);
}

function bestOf3(buf) {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    recordsFor('growth', buf, false);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

const rel = (f) => f.replace(ROOT, '').replace(/.*\/shared\/corpus\//, 'corpus/');

function split(f) {
  const s = readFileSync(f).toString('latin1').replace(/\r\n?/g, '\n');
  const cut = s.indexOf('\n\n');
  return cut < 0 ? null : { head: s.slice(0, cut + 2), body: s.slice(cut + 2) };
}

if (args.file) {
  const m = split(String(args.file));
  if (!m) throw new Error(`${args.file}: no header block`);
  for (const mode of modes) {
    const k0 = Math.max(1, Math.round((kb * 1024) / m.body.length));
    let prev = 0;
    console.log(`${mode}:`);
    for (let k = k0; k <= k0 * 32; k *= 2) {
      const buf = Buffer.from(grown(m.head, m.body, mode, k), 'latin1');
      const t = bestOf3(buf);
      console.log(`  ${String(Math.round(buf.length / 1024)).padStart(6)} KiB  ${t.toFixed(1).padStart(7)} ms${prev ? `  ${(t / prev).toFixed(2)}x` : ''}  ${recordsFor('growth', buf, false).length} records`);
      prev = t;
    }
  }
  process.exit(0);
}

let worstOverall = 0;
for (const mode of modes) {
  const t0 = performance.now();
  const rows = [];
  for (const f of sources) {
    const m = split(f);
    if (!m || m.body.length < 200) continue;
    const { head, body } = m;
    const k = Math.max(1, Math.round((kb * 1024) / body.length));
    const times = [k, 2 * k, 4 * k].map((kk) => bestOf3(Buffer.from(grown(head, body, mode, kk), 'latin1')));
    rows.push({ ratio: Math.max(times[1] / times[0], times[2] / times[1]), times, file: rel(f) });
  }
  const timed = rows.filter((r) => r.times[2] >= 2).sort((a, b) => b.ratio - a.ratio);
  const over = timed.filter((r) => r.ratio > 2.5).length;
  worstOverall = Math.max(worstOverall, timed[0]?.ratio ?? 0);
  console.log(`\n${mode}: ${rows.length} messages at ~${kb}/${2 * kb}/${4 * kb} KiB, ${timed.length} taking 2 ms or more at the largest, ${over} of them with a doubling above 2.5x (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  for (const r of timed.slice(0, top)) console.log(`  ${r.ratio.toFixed(2)}x  ${r.times.map((t) => t.toFixed(1)).join(' / ')} ms  ${r.file}`);
}
console.log(`\nworst doubling over every mode (rows of 2 ms or more): ${worstOverall.toFixed(2)}x`);

#!/usr/bin/env node
// `node scripts/metamorphic.mjs`: metamorphic robustness report of the parser + classifier.
//
// Every readable message (public corpus DEV part, fixtures/generated, the other fixtures) is
// mutated in ways that keep its meaning (scripts/metamorphic-lib.mjs, each mutation with its
// RFC reason); the classifier's answer on the mutated message must be its answer on the
// original, mapped through the renaming. Differences are printed grouped by mutation and by the
// kind of difference, with an example each, and split into those where the original answer was
// already wrong (per the expected rows of public dev / generated) and the others.
//
// Runs dist/ (`npm run build` first).
//   --json          one JSON object instead of text
//   --only ID,...   only these mutations (ids or groups)
//   --origin O,...  only these sources (public-dev, generated, fixtures)
//   --examples N    examples per group (default 3)
//   --out DIR       write each differing mutated message to DIR (for a closer look)
//   --seed S        seed of the renamings (default m1)
//   --dist DIR      the build to test (default dist/; e.g. main's for a before/after figure)
//   --combos N      chains of 3 mutations per message (default 2)
//   --clones N      one more failed recipient, copied from each of the first N (default 2)
//   --swaps N       reply swaps per failed recipient (default 4; 0: none): the remote reply
//                   replaced by a documented one (fixtures/generated/cases.mjs), the answer
//                   expected is its documented meaning
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusSources, expectedRows, MUTATIONS, ruleWords, runClones, runMetamorphic, runReplySwaps, swapPool } from './metamorphic-lib.mjs';
import { CASES } from '../fixtures/generated/cases.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i < 0 ? def : args[i + 1];
};
// --dist DIR: the build to test (default ./dist; another build, e.g. main's, for a before/after)
const dist = opt('--dist', join(root, 'dist'));
if (!existsSync(join(dist, 'commands/classify.js'))) {
  console.error(`${dist}/commands/classify.js not found: run \`npm run build\` first`);
  process.exit(2);
}
const { recordsFor } = await import(join(dist, 'commands/classify.js'));
const { ruleEntries } = await import(join(dist, 'classifier/index.js'));
const asJson = args.includes('--json');
const only = opt('--only', null)?.split(',');
const origins = opt('--origin', null)?.split(',');
const nExamples = Number(opt('--examples', 3));
const outDir = opt('--out', null);
const seed = opt('--seed', 'm1');
const combos = Number(opt('--combos', 2));
const swaps = Number(opt('--swaps', 4));
const clonesPer = Number(opt('--clones', 2));

const mutations = only ? MUTATIONS.filter((m) => only.includes(m.id) || only.includes(m.group)) : MUTATIONS;
const sources = corpusSources(root).filter((s) => !origins || origins.includes(s.origin));
const expected = expectedRows(root);
const protectedWords = ruleWords(ruleEntries());

const t0 = Date.now();
const { pairs, results } = runMetamorphic({
  sources,
  mutations,
  protectedWords,
  seed,
  combos,
  classify: (name, raw) => recordsFor(name, raw, false),
});
// one more failed recipient, in any family's layout (the text's lines, the DSN block)
const cloneRun = clonesPer > 0 ? runClones({ sources, classify: (name, raw) => recordsFor(name, raw, false), perMessage: clonesPer, seed }) : { pairs: 0, results: [] };
results.push(...cloneRun.results);
const ms = Date.now() - t0;

/** Was the classifier's answer on the original already wrong for this recipient? */
function originalWrong(src, recipient, was) {
  const rows = expected.get(src.name.replace(/^fixtures\/generated\//, 'fixtures/generated/'));
  if (!rows || !was) return false;
  const row = rows.find((r) => r.recipient === recipient || r.alias === recipient);
  if (!row) return src.origin !== 'fixtures'; // a record for an address that did not fail
  const reason = String(row.reason).toLowerCase();
  return reason !== was.reason || Boolean(Number(row.hardbounce)) !== was.hardbounce;
}

// group: mutation x difference signature
const groups = new Map();
let diffPairs = 0;
let wrongFirst = 0;
const errors = [];
for (const r of results) {
  if (r.harnessError) {
    errors.push(r);
    continue;
  }
  diffPairs++;
  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `${r.mutation}--${r.source.name.replace(/[/]/g, '_')}`), r.mutated);
  }
  for (const d of r.diffs) {
    const sig = d.type === 'changed' ? `changed ${d.fields.join('+')}: ${d.fields.map((f) => `${d.was[f]}->${d.now[f]}`).join(', ')}` : d.type;
    const wrong = d.was && originalWrong(r.source, d.origRecipient ?? d.recipient, d.was);
    const mutationKey = r.group === 'combo' ? 'combo' : r.mutation;
    const key = `${mutationKey}\t${sig}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { mutation: mutationKey, group: r.group, sig, n: 0, wrongFirst: 0, examples: [] }));
    g.n++;
    if (wrong) {
      g.wrongFirst++;
      wrongFirst++;
    }
    if (g.examples.length < nExamples) g.examples.push({ file: r.source.name, mutation: r.mutation, recipient: d.recipient, was: d.was, now: d.now });
  }
}

const byMutation = {};
for (const r of results) if (!r.harnessError) byMutation[r.group === 'combo' ? 'combo' : r.mutation] = (byMutation[r.group === 'combo' ? 'combo' : r.mutation] ?? 0) + 1;

// --- reply swaps ---
const swapRun = swaps > 0 ? runReplySwaps({ sources: sources.filter((s) => s.origin !== 'generated'), pool: swapPool(CASES), perRecipient: swaps, seed, classify: (name, raw) => recordsFor(name, raw, false) }) : { pairs: 0, results: [] };
const swapGroups = new Map();
for (const r of swapRun.results) {
  for (const d of r.diffs) {
    if (r.ruleGap) continue; // the reply by itself is misread: a rule's gap, counted apart
    const sig = d.type === 'swapped' ? `${d.want.reason}/${d.want.hardbounce ? 'hard' : 'soft'} -> ${d.got.reason}/${d.got.hardbounce ? 'hard' : 'soft'}` : d.type + (d.fields ? ' ' + d.fields.join('+') : '');
    const key = `${r.detector}\t${sig}`;
    let g = swapGroups.get(key);
    if (!g) swapGroups.set(key, (g = { detector: r.detector, sig, n: 0, files: new Set(), examples: [] }));
    g.n++;
    g.files.add(r.source.name);
    if (g.examples.length < nExamples) g.examples.push({ file: r.source.name, entry: r.entry, recipient: d.recipient, got: d.got, reply: r.reply.slice(0, 120) });
  }
}
if (outDir) mkdirSync(outDir, { recursive: true });
if (outDir) for (const r of swapRun.results) writeFileSync(join(outDir, `swap-${r.entry}--${r.source.name.replace(/[/]/g, '_')}`), r.mutated);

if (asJson) {
  console.log(JSON.stringify({ sources: sources.length, pairs, clonePairs: cloneRun.pairs, differingPairs: diffPairs, byMutation, groups: [...groups.values()], harnessErrors: errors.length, swaps: { pairs: swapRun.pairs, differing: swapRun.results.length, groups: [...swapGroups.values()].map((g) => ({ ...g, files: g.files.size })) } }, null, 1));
} else {
  console.log(`sources ${sources.length} (${[...new Set(sources.map((s) => s.origin))].join(', ')}), mutations ${mutations.length}, pairs ${pairs} + ${cloneRun.pairs} recipient clones, in ${ms} ms`);
  console.log(`pairs with a difference: ${diffPairs}; differences where the original answer was already wrong: ${wrongFirst}`);
  if (errors.length) console.log(`harness errors: ${errors.length} (first: ${errors[0].source.name} ${errors[0].mutation}: ${errors[0].harnessError.split('\n')[0]})`);
  console.log();
  console.log('pairs with a difference, by mutation:');
  for (const m of mutations) console.log(`  ${m.id.padEnd(28)} ${byMutation[m.id] ?? 0}${m.informational ? '  (informational)' : ''}`);
  if (combos) console.log(`  ${'combo'.padEnd(28)} ${byMutation.combo ?? 0}  (${combos} chains of 3 per message)`);
  if (clonesPer) console.log(`  ${'clone-text-recipient'.padEnd(28)} ${byMutation['clone-text-recipient'] ?? 0}  (of ${cloneRun.pairs})`);
  console.log();
  const sorted = [...groups.values()].sort((a, b) => b.n - a.n);
  for (const g of sorted) {
    console.log(`[${g.mutation}] ${g.sig}  x${g.n}${g.wrongFirst ? ` (original already wrong: ${g.wrongFirst})` : ''}`);
    for (const e of g.examples) console.log(`    ${e.file}${e.mutation !== g.mutation ? ` [${e.mutation}]` : ''}  ${e.recipient}  was ${JSON.stringify(e.was)}  now ${JSON.stringify(e.now)}`);
  }
}
if (!asJson && swaps > 0) {
  console.log();
  const gaps = swapRun.results.filter((r) => r.ruleGap);
  console.log(`reply swaps: pairs ${swapRun.pairs}, with a difference ${swapRun.results.length} (frame: ${swapRun.results.length - gaps.length}, the reply by itself misread: ${gaps.length} [${[...new Set(gaps.map((r) => r.entry))].join(', ')}]); recipients whose frame is not transparent: ${swapRun.opaque}`);
  for (const g of [...swapGroups.values()].sort((a, b) => b.n - a.n)) {
    console.log(`[swap ${g.detector}] ${g.sig}  x${g.n} (${g.files.size} files)`);
    for (const e of g.examples) console.log(`    ${e.file} [${e.entry}]  ${e.recipient}  ${e.got ? JSON.stringify(e.got) : ''}`);
  }
}

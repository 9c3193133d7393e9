#!/usr/bin/env node
// `npm run corpus`: how the classifier does on the mail it is judged by, harms first.
//
//   1. ../shared/corpus/public (when present): `bounced classify` over it, then the corpus's own
//      score.mjs --part both (dev misses, dev and validation figures side by side);
//   2. fixtures/generated (always): the reports of real Postfix, Exim, OpenSMTPD, Sendmail, dma,
//      Courier, Dovecot, nullmailer and Haraka (Postfix and Exim also with operators' texts) for
//      documented reply texts, scored the same way (scripts/corpus-score.mjs);
//   3. harm-first checks for each part: records for addresses that did not fail, and false
//      hard bounces. Counts for every part; file names only for dev and generated, never for
//      validation (its messages stand for the unseen mail and are never read by a person);
//   4. the rule tables: how many entries, and on what ground each stands (a documented
//      reference, or `seen:` in two or more families; a `seen:` naming fewer is listed).
//
// Runs dist/ (`npm run build` first). --json prints the figures as one JSON object.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJsonl, score, scoreByPart } from './corpus-score.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli.js');
const shared = join(root, '../shared/corpus');
const generated = join(root, 'fixtures/generated');
const asJson = process.argv.includes('--json');
if (!existsSync(cli)) {
  console.error('dist/cli.js not found: run `npm run build` first');
  process.exit(2);
}

const tmp = mkdtempSync(join(tmpdir(), 'bounced-corpus-'));
const classify = (paths, name) => {
  const file = join(tmp, name);
  const out = execFileSync(process.execPath, [cli, 'classify', '--format', 'jsonl', ...paths], { maxBuffer: 256 * 1024 * 1024, cwd: root });
  writeFileSync(file, out);
  return file;
};
const pct = (x) => `${x.toFixed(1)}%`;
const say = (s = '') => { if (!asJson) console.log(s); };
const result = {};

// --- public corpus ---------------------------------------------------------------------------
if (existsSync(join(shared, 'public/expected.jsonl'))) {
  const outFile = classify([join(shared, 'public')], 'public.jsonl');
  say('== public corpus (../shared/corpus/public), score.mjs --part both');
  const r = spawnSync(process.execPath, [join(shared, 'score.mjs'), join(shared, 'public/expected.jsonl'), outFile, '--part', 'both'], { encoding: 'utf8' });
  if (r.status !== 0) { console.error(r.stderr); process.exit(1); }
  say(r.stdout.trimEnd());
  const parts = scoreByPart(readJsonl(join(shared, 'public/expected.jsonl')), readJsonl(outFile));
  result.public = { dev: parts.dev.figures, validation: parts.validation.figures };
  say();
  say('-- harm-first checks, public corpus');
  harmLine('dev', parts.dev);
  harmLine('validation', parts.validation);
  listHarms('dev', parts.dev);
} else {
  result.public = null;
  say(`== public corpus SKIPPED: ${shared} not found (../shared is absent)`);
}

// --- generated corpus ------------------------------------------------------------------------
say();
say('== generated corpus (fixtures/generated: real MTAs, documented replies)');
const mtaDirs = readdirSync(generated, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(generated, d.name));
const genOut = readJsonl(classify(mtaDirs, 'generated.jsonl'));
const genExpected = readJsonl(join(generated, 'expected.jsonl'));
const gen = score(genExpected, genOut);
result.generated = gen.figures;
for (const m of gen.misses) say(`miss\t${m.file}\t${m.recipient}\t${m.problem}`);
const g = gen.figures;
say(`files ${g.files}, expected rows ${g.rows}`);
say(`recipient found ${pct(g.recipientFound)} (${g.counts.found}/${g.rows})`);
say(`status exact    ${pct(g.statusExact)} (${g.counts.status}/${g.counts.statusRows} rows with a real code)`);
say(`reason          ${pct(g.reason)} (${g.counts.reason}/${g.rows})`);
say(`hardbounce      ${pct(g.hardbounce)} (${g.counts.hard}/${g.rows})`);
say(`all three right ${pct(g.all)} (${g.counts.all}/${g.rows})`);
say(`extra records   ${g.extraRecords}`);
// Per MTA and per reply family: where the misses sit.
const group = (key) => {
  const rows = new Map();
  for (const e of genExpected) {
    if (e.recipient == null) continue;
    const k = e[key] ?? '?';
    const r = rows.get(k) ?? { rows: 0, ok: 0 };
    r.rows++;
    rows.set(k, r);
  }
  const missed = new Set(gen.misses.map((m) => `${m.file}\t${m.recipient}`));
  for (const e of genExpected) if (e.recipient != null && !missed.has(`${e.file}\t${e.recipient}`)) rows.get(e[key] ?? '?').ok++;
  return [...rows].sort((a, b) => a[0].localeCompare(b[0])).map(([k, r]) => `${k} ${r.ok}/${r.rows}`).join(', ');
};
say(`all three right by MTA:    ${group('mta')}`);
say(`all three right by family: ${group('family')}`);
say();
say('-- harm-first checks, generated corpus');
harmLine('generated', gen);
listHarms('generated', gen);

// --- rule tables -----------------------------------------------------------------------------
say();
say('== rule tables (src/classifier: providers, reasons; src/parser/phrases.ts; status registry)');
result.rules = await ruleInventory();
const ri = result.rules;
say(`classifier entries ${ri.classifier.total}: documented ${ri.classifier.documented}, seen in 2+ families ${ri.classifier.seen}, seen in fewer ${ri.classifier.thin.length}`);
say(`parser phrases     ${ri.parser.total}: documented ${ri.parser.documented}, seen in 2+ families ${ri.parser.seen}, seen in fewer ${ri.parser.thin.length}`);
say(`status codes       ${ri.statusCodes} (RFC 3463 / RFC 5248 registry)`);
for (const t of [...ri.classifier.thin, ...ri.parser.thin]) say(`thin\t${t.id}\t${t.source}`);

if (asJson) console.log(JSON.stringify(result));
rmSync(tmp, { recursive: true, force: true });

function harmLine(name, s) {
  const f = s.figures;
  say(`${name.padEnd(11)} records for addresses that did not fail: ${f.notFailedRecords} (on not-bounce files: ${f.notBounceWithRecords}/${f.notBounceFiles} files); false hard bounces: ${f.falseHardBounces}`);
}
function listHarms(name, s) {
  for (const h of s.harms.notFailed) say(`not-failed\t${name}\t${h.file}\t${h.recipient}\t${h.kind}\t${h.rule ?? ''}`);
  for (const h of s.harms.falseHard) say(`false-hard\t${name}\t${h.file}\t${h.recipient}\tgot ${h.got}; expected ${h.expected}`);
}

/**
 * Counts the table entries by their ground. A source is "seen" when it starts with `seen:`; it
 * names two or more families when the list after the colon (parenthesised remarks left out) has
 * a comma, " and " or a slash in it.
 */
async function ruleInventory() {
  const { ruleEntries } = await import(join(root, 'dist/classifier/rules.js'));
  const { STATUS_REGISTRY } = await import(join(root, 'dist/classifier/status.js'));
  const phrases = await import(join(root, 'dist/parser/phrases.js'));
  const tally = (entries) => {
    const out = { total: 0, documented: 0, seen: 0, thin: [] };
    for (const e of entries) {
      out.total++;
      const src = e.source.trim();
      if (!/^seen:/i.test(src)) { out.documented++; continue; }
      const families = src.slice(5).replace(/\([^)]*\)/g, '');
      if (/,| and |\//.test(families)) out.seen++;
      else out.thin.push({ id: e.id, source: src });
    }
    return out;
  };
  const parserEntries = Object.entries(phrases)
    .filter(([, v]) => Array.isArray(v) && v.every((x) => x && typeof x.re === 'string' && typeof x.source === 'string'))
    .flatMap(([name, list]) => list.map((x, i) => ({ id: `parser.${name}[${i}]`, source: x.source })));
  return {
    classifier: tally(ruleEntries()),
    parser: tally(parserEntries),
    statusCodes: STATUS_REGISTRY.length,
  };
}

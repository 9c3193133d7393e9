// Where results go. A full run merges its sections into bench/results/<YYYY-MM-DD>.json and
// rewrites the figures table in bench/README.md; a --quick run (the CI smoke) writes only
// bench/tmp/results-quick.json, so it never changes tracked files; a run that is not one of record
// (`--no-readme`: one part of the matrix, an A/B comparison) writes bench/tmp/results-scratch.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH, machineInfo, TMP } from './common.mjs';

export function resultsFile(quick, scratch = false) {
  if (quick) return join(TMP, 'results-quick.json');
  if (scratch) return join(TMP, 'results-scratch.json');
  const day = new Date().toISOString().slice(0, 10);
  return join(BENCH, 'results', `${day}.json`);
}

/** Merges one section (smtp, classify, ...) into the day's results file; returns its path. */
export function saveSection(name, data, { quick, scratch = false }) {
  const file = resultsFile(quick, scratch);
  mkdirSync(join(file, '..'), { recursive: true });
  const doc = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  doc.machine = machineInfo();
  doc.quick = Boolean(quick);
  doc.updatedAt = new Date().toISOString();
  doc.sections = { ...(doc.sections ?? {}), [name]: { ...data, measuredAt: new Date().toISOString() } };
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  return file;
}

export function loadResults(quick, scratch = false) {
  const file = resultsFile(quick, scratch);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/** A markdown table from a header and rows. */
export function mdTable(header, rows) {
  const line = (cells) => `| ${cells.map((c) => (c === null || c === undefined ? '-' : String(c))).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Replaces a generated block of bench/README.md (between `<!-- bench:NAME:start -->` and
 * `<!-- bench:NAME:end -->`; NAME `results` by default) with `text`.
 */
export function writeReadmeBlock(text, name = 'results') {
  const START = `<!-- bench:${name}:start -->`;
  const END = `<!-- bench:${name}:end -->`;
  const file = join(BENCH, 'README.md');
  const cur = existsSync(file) ? readFileSync(file, 'utf8') : `# bench\n\n${START}\n${END}\n`;
  const a = cur.indexOf(START);
  const b = cur.indexOf(END);
  const next = a >= 0 && b > a ? cur.slice(0, a + START.length) + '\n' + text.trim() + '\n' + cur.slice(b) : `${cur.trimEnd()}\n\n${START}\n${text.trim()}\n${END}\n`;
  writeFileSync(file, next);
}

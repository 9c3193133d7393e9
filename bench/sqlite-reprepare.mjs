#!/usr/bin/env node
// Which of the SQLite store's prepared statements SQLite re-prepares on every run (bench/README.md
// "Round 5"): better-sqlite3 calls sqlite3_clear_bindings() after each run, and SQLite 3.54 then
// expires a statement whose plan looked at a bound value (a parameter compared with `=` in a
// WHERE term some candidate plan leaves unused, a bound LIMIT, a LIKE pattern): every run parses
// and plans the SQL again. Nothing in better-sqlite3 tells, so this times each statement of
// dist/store/sqlite/statements.js as written and with every `= ?` / `= @x` / `LIMIT ?` spelled
// with a unary + (which hides the parameter from the planner), in a loop on a fresh database
// (made by openSqlite, the migrations applied), inside a transaction rolled back at the end.
// Arguments are dummy numbers (1, 2, ...): the point is the statement's fixed cost, not its answer.
// A statement that fails to run with them (a NOT NULL insert, ...) is listed as skipped.
//
//   node bench/sqlite-reprepare.mjs [--runs 5000] [--min-ratio 1.5]
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite } from '../dist/store/sqlite/open.js';
import { prepareStatements } from '../dist/store/sqlite/statements.js';
import { freshDir, parseArgs } from './lib/common.mjs';

const args = parseArgs();
const runs = Number(args.runs ?? 5000);
const minRatio = Number(args['min-ratio'] ?? 1.5);
const dir = freshDir('sqlite-reprepare', 'db');
await openSqlite({ dataDir: dir }, {}).close();
const db = new Database(join(dir, 'bounced.db'));
const statements = prepareStatements(db);

/** The SQL with a unary + before every bound parameter compared with = or given to LIMIT/OFFSET. */
const plussed = (sql) => sql.replace(/(=|\bLIMIT|\bOFFSET)(\s*)([?@:$][A-Za-z0-9_]*)/g, '$1$2+$3');

function argsFor(stmt) {
  const sql = stmt.source;
  const named = [...new Set([...sql.matchAll(/[@:$]([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]))];
  if (named.length) return [Object.fromEntries(named.map((n, i) => [n, i + 1]))];
  return [...sql.matchAll(/\?/g)].map((_, i) => i + 1);
}

function cpuPerRun(stmt, a) {
  const run = stmt.reader ? () => stmt.get(...a) : () => stmt.run(...a);
  run();
  const c0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) run();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / runs;
}

const rows = [];
const skipped = [];
db.exec('BEGIN');
for (const [name, stmt] of Object.entries(statements)) {
  if (typeof stmt?.source !== 'string' || !/[?@:$]/.test(stmt.source)) continue;
  const other = plussed(stmt.source);
  if (other === stmt.source) continue;
  try {
    const a = argsFor(stmt);
    const alt = db.prepare(other);
    const asIs = cpuPerRun(stmt, a);
    const plus = cpuPerRun(alt, a);
    rows.push({ name, asIsUs: +asIs.toFixed(2), plusUs: +plus.toFixed(2), ratio: +(asIs / plus).toFixed(2) });
  } catch (err) {
    skipped.push(`${name}: ${String(err?.message ?? err).slice(0, 80)}`);
  }
}
db.exec('ROLLBACK');
db.close();
rmSync(dir, { recursive: true, force: true });
rows.sort((x, y) => y.ratio - x.ratio);
console.log(`statements re-prepared on every run (as written / with + , µs of CPU per run, ${runs} runs; ratio >= ${minRatio}):`);
for (const r of rows.filter((x) => x.ratio >= minRatio)) console.log(`  ${r.name.padEnd(28)} ${String(r.asIsUs).padStart(7)} ${String(r.plusUs).padStart(7)}  x${r.ratio}`);
console.log(`${rows.filter((x) => x.ratio < minRatio).length} others measured below the ratio; ${skipped.length} skipped (could not run with dummy arguments)`);
if (args.verbose) for (const s of skipped) console.log(`  skipped ${s}`);

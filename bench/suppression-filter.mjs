#!/usr/bin/env node
// The suppression list filtered by reason (issue #16, the dashboard's and the API's
// GET /v1/suppressions?reason=...), on SQLite and PostgreSQL, over --suppressions rows of one
// account plus a tenth as many global ones: a rare reason (complaint, 1 row in 10,000), the
// common one (import), and no reason; the first page (101 rows, what listSuppressions asks for)
// and a later one (after the first page's last id). Medians of --runs calls, in milliseconds.
// Not a test: it prints figures. Run it on two builds to compare (npm run build first: it runs dist/).
//
//   node bench/suppression-filter.mjs [--suppressions 1000000] [--runs 15] [--only sqlite|postgres]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { openPostgres } from '../dist/store/postgres/open.js';
import { openSqlite } from '../dist/store/sqlite/open.js';
import { median, parseArgs, round } from './lib/common.mjs';
import { startPostgres } from './lib/postgres.mjs';

const args = parseArgs();
const N = Number(args.suppressions ?? 1_000_000);
const RUNS = Number(args.runs ?? 15);
const ONLY = args.only ?? null;
const RARE_EVERY = 10_000;

// One account's rows ('import', every 10,000th a 'complaint'), then a tenth as many global ones.
const seedRows = (series) => [
  `INSERT INTO accounts (id, name, created_at) VALUES ('acme', 'Acme', 0), ('other', 'Other', 0)`,
  `INSERT INTO suppressions (account_id, address, reason, created_at, source)
     SELECT 'acme', 'user' || i || '@d' || (i % 1000) || '.example', CASE WHEN i % ${RARE_EVERY} = 7 THEN 'complaint' ELSE 'import' END, i, 'bench' FROM ${series(N)}`,
  `INSERT INTO suppressions (account_id, address, reason, created_at, source)
     SELECT '*', 'global' || i || '@d' || (i % 1000) || '.example', CASE WHEN i % ${RARE_EVERY} = 7 THEN 'complaint' ELSE 'global_bounce' END, i, 'bench' FROM ${series(Math.floor(N / 10))}`,
];

async function measure(name, store) {
  const cases = {
    'rare reason (complaint), both scopes': { accountId: 'acme', reason: 'complaint' },
    'rare reason (complaint), account scope': { accountId: 'acme', reason: 'complaint', scope: 'account' },
    'common reason (import), both scopes': { accountId: 'acme', reason: 'import' },
    'no reason, both scopes': { accountId: 'acme' },
    'global scope, rare reason': { accountId: 'acme', reason: 'complaint', scope: 'global' },
  };
  const out = {};
  for (const [label, f] of Object.entries(cases)) {
    const first = [];
    const later = [];
    for (let i = 0; i < RUNS + 1; i++) {
      let t = performance.now();
      const page = await store.suppressions.list({ ...f, limit: 101 });
      const a = performance.now() - t;
      const afterId = page.length ? page[page.length - 1].id : 0;
      t = performance.now();
      await store.suppressions.list({ ...f, afterId, limit: 101 });
      const b = performance.now() - t;
      if (i > 0) {
        first.push(a);
        later.push(b);
      }
    }
    out[label] = { firstPageMs: round(median(first), 2), secondPageMs: round(median(later), 2) };
  }
  console.log(JSON.stringify({ backend: name, suppressions: N, runs: RUNS, medians: out }, null, 2));
}

if (ONLY !== 'postgres') {
  const dir = mkdtempSync(join(tmpdir(), 'dash2-supp-bench-'));
  try {
    openSqlite({ dataDir: dir }).close();
    const db = new Database(join(dir, 'bounced.db'));
    const series = (n) => `(WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${n - 1}) SELECT i FROM n)`;
    for (const s of seedRows(series)) db.exec(s);
    db.exec('ANALYZE');
    db.close();
    const store = openSqlite({ dataDir: dir });
    await measure('sqlite', store);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (ONLY !== 'sqlite') {
  const pg = await startPostgres();
  try {
    const admin = postgres(pg.url(), { max: 1, onnotice: () => {} });
    await admin.unsafe('CREATE DATABASE bench');
    await admin.end();
    const store = await openPostgres(pg.url('bench'), { max: 2 });
    const seed = postgres(pg.url('bench'), { max: 1, onnotice: () => {} });
    for (const s of seedRows((n) => `generate_series(0, ${n - 1}) i`)) await seed.unsafe(s);
    await seed.unsafe('VACUUM ANALYZE');
    await seed.end();
    await measure('postgres', store);
    await store.close();
  } finally {
    pg.stop();
  }
}

#!/usr/bin/env node
// The store on PostgreSQL beside SQLite, in one run (issue #15 part 2): not a test, it prints
// figures and ratios (PostgreSQL / SQLite), medians of alternating rounds. Both databases hold
// the same seed; both commit durably (SQLite synchronous=FULL, PostgreSQL fsync and
// synchronous_commit on, a private server from bench/lib/postgres.mjs on loopback).
//   presend    store.suppressions.preSend, hits and misses over --suppressions rows: one
//              caller (checks/s, p99), and --concurrency callers at once (the API's many
//              requests: checks/s and p99 latency)
//   settle     the pipeline's settle step (src/pipeline/settle.ts Settler, policy included),
//              one distinct verified DSN per transaction: one settler, and --writers at once
//              (several processing threads or nodes; SQLite takes them one at a time)
//   intake     10 messages of 20 KB in one durable commit (the intake's group commit): one
//              writer, and --writers at once (several nodes' intakes)
// Also the PostgreSQL server's CPU seconds per 1,000 operations of each path.
// Build first (npm run build): it runs dist/.
//
//   node bench/store-pg.mjs [--suppressions 200000] [--rounds 3] [--presend 10000] [--settles 600]
//                           [--intake 100] [--concurrency 16] [--writers 4] [--json FILE]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { loadConfig } from '../dist/config/load.js';
import { Settler } from '../dist/pipeline/settle.js';
import { PolicyRules } from '../dist/policy/apply.js';
import { openPostgres } from '../dist/store/postgres/open.js';
import { openSqlite } from '../dist/store/sqlite/open.js';
import { cpuSecondsOfTree, startPostgres } from './lib/postgres.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]?.startsWith('--') ? true : (all[i + 1] ?? true)]] : acc), []),
);
const N_SUPP = Number(args.suppressions ?? 200_000);
const ROUNDS = Number(args.rounds ?? 3);
const N_PRESEND = Number(args.presend ?? 10_000);
const N_SETTLE = Number(args.settles ?? 600);
const N_INTAKE = Number(args.intake ?? 100);
const CONC = Number(args.concurrency ?? 16);
const WRITERS = Number(args.writers ?? 4);
const NOW = Date.UTC(2026, 0, 15, 12);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2));

// -- the two stores, the same seed -------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'store-pg-bench-'));
const pg = await startPostgres();
const admin = postgres(pg.url(), { max: 1, onnotice: () => {} });
await admin.unsafe('CREATE DATABASE bench');
await admin.end();
const url = pg.url('bench');
const lite = openSqlite({ dataDir: dir }, { synchronous: 'FULL' });
const pgs = await openPostgres(url, { max: Math.max(CONC, WRITERS) + 2 });
console.log(`store bench, PostgreSQL beside SQLite: ${pg.version}, SQLite ${new Database(':memory:').prepare('select sqlite_version() v').get().v}, Node ${process.version}, ${N_SUPP.toLocaleString()} suppressions, ${ROUNDS} rounds (medians)`);

const seedSql = [
  `INSERT INTO accounts (id, name, created_at) VALUES ('acme', 'Acme', 0), ('w0', 'w0', 0), ('w1', 'w1', 0), ('w2', 'w2', 0), ('w3', 'w3', 0), ('w4', 'w4', 0), ('w5', 'w5', 0), ('w6', 'w6', 0), ('w7', 'w7', 0)`,
  `INSERT INTO suppressions (account_id, address, reason, created_at, source) VALUES ('acme', 'user1@example.com', 'complaint', 1, 'seed')`,
  `INSERT INTO account_policy (account_id, updated_at) VALUES ('acme', 1)`,
];
const seed = new Database(join(dir, 'bounced.db'));
for (const s of seedSql) seed.exec(s);
seed.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${N_SUPP - 1})
  INSERT INTO suppressions (account_id, address, reason, created_at, source)
  SELECT CASE WHEN i % 10 = 0 THEN '*' ELSE 'acct' || (i % 50) END, 'user' || i || '@example.com', 'hard_bounce', i, 'seed' FROM n`);
seed.close();
const pseed = postgres(url, { max: 1, onnotice: () => {} });
for (const s of seedSql) await pseed.unsafe(s);
await pseed.unsafe(`INSERT INTO suppressions (account_id, address, reason, created_at, source)
  SELECT CASE WHEN i % 10 = 0 THEN '*' ELSE 'acct' || (i % 50) END, 'user' || i || '@example.com', 'hard_bounce', i, 'seed' FROM generate_series(0, ${N_SUPP - 1}) i`);
await pseed.unsafe('VACUUM ANALYZE');
await pseed.end();

// -- paths ------------------------------------------------------------------------------------
const addresses = Array.from({ length: 4096 }, (_, i) => (i % 4 === 0 ? `nobody${i}@example.com` : `user${(i * 7919) % N_SUPP}@example.com`));
/** `n` checks by `callers` callers at once: checks/s and p99 ms. */
async function presend(store, n, callers) {
  const lat = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < n) {
        const i = next++;
        const s = performance.now();
        await store.suppressions.preSend('acme', addresses[i & 4095]);
        lat.push(performance.now() - s);
      }
    }),
  );
  return { rate: n / ((performance.now() - t0) / 1000), p99: pct(lat, 0.99) };
}

const raw = Buffer.from('From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\n\r\nreport\r\n');
// Distinct bytes per message: equal ones would be settled as duplicates of the first (the
// settling transaction checks again, src/store/*/repos.ts settle), writing nothing.
let rawSeq = 0;
const envelope = (i) => ({ receivedAt: NOW, source: 'smtp', mailFrom: '', rcptTo: [`b+${i}@bounces.test`], remoteIp: '127.0.0.1', helo: 'mx', raw: Buffer.concat([raw, Buffer.from(`${++rawSeq}\r\n`)]) });
let seq = 0;
const rules = new PolicyRules(loadConfig({ env: {} }).policy);
function outcomeOf(account, id) {
  const i = ++seq;
  const b = {
    createdAt: NOW, accountId: account, messageId: `spring/m${i}`, recipient: `r${i}@example.net`, reportedRecipient: `r${i}@example.net`, kind: 'bounce',
    action: 'failed', status: '5.1.1', reason: 'userunknown', hardbounce: true, category: 'unknown_user', type: 'hard', rule: 'status.5.1.1', detector: 'rfc3464',
    replyCode: 550, diagnostic: '550 5.1.1 user unknown', remoteMta: 'mx.example.net', reportingMta: 'mta.test', originalMessageId: null,
    feedbackType: null, verified: true, warning: null,
  };
  const ev = {
    accountId: account, messageId: b.messageId, recipient: b.recipient, at: NOW, source: 'dsn', state: 'hard', status: '5.1.1', reason: 'userunknown',
    category: 'unknown_user', diagnostic: b.diagnostic, qid: null, dedupKey: `dsn:${id}:0`, countsAsSend: false, bounceIndex: 0,
  };
  return { state: 'processed', kind: 'bounce', detector: 'rfc3464', reportMessageId: null, bounces: [b], evidence: [ev] };
}
/** `n` DSNs settled one per transaction by `writers` settlers at once (each its own account). */
async function settle(store, n, writers) {
  const settler = new Settler(store, rules);
  const ids = await store.messages.insert(Array.from({ length: n }, (_, k) => envelope(k)));
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      while (next < ids.length) {
        const id = ids[next++];
        await settler.settle([{ id, outcome: outcomeOf(`w${w}`, id) }], NOW);
      }
    }),
  );
  return { rate: n / ((performance.now() - t0) / 1000) };
}
const batch10 = () => Array.from({ length: 10 }, (_, k) => ({ ...envelope(k), raw: Buffer.alloc(20 * 1024, 0x61 + k) }));
/** `n` durable commits of 10 messages by `writers` writers at once: messages/s. */
async function intake(store, n, writers) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next++ < n) await store.messages.insert(batch10());
    }),
  );
  return { rate: (n * 10) / ((performance.now() - t0) / 1000) };
}

// -- run: alternating rounds, medians ---------------------------------------------------------
const results = {};
async function compare(name, ops, fn, unit) {
  const rows = { sqlite: [], postgres: [] };
  const p99 = { sqlite: [], postgres: [] };
  const pgCpu = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const which of r % 2 ? ['postgres', 'sqlite'] : ['sqlite', 'postgres']) {
      const c0 = which === 'postgres' ? cpuSecondsOfTree(pg.pid) : 0;
      const out = await fn(which === 'sqlite' ? lite : pgs);
      if (which === 'postgres') pgCpu.push(((cpuSecondsOfTree(pg.pid) - c0) / ops) * 1000);
      rows[which].push(out.rate);
      if (out.p99 !== undefined) p99[which].push(out.p99);
    }
  }
  const s = median(rows.sqlite);
  const p = median(rows.postgres);
  const entry = { sqlite: s, postgres: p, ratio: p / s, unit, postgresCpuSecondsPer1000: median(pgCpu) };
  if (p99.sqlite.length) Object.assign(entry, { sqliteP99Ms: median(p99.sqlite), postgresP99Ms: median(p99.postgres) });
  results[name] = entry;
  const lat = entry.sqliteP99Ms !== undefined ? `   p99 ${entry.sqliteP99Ms.toFixed(2)} / ${entry.postgresP99Ms.toFixed(2)} ms` : '';
  console.log(`${name.padEnd(34)} SQLite ${fmt(s).padStart(8)} ${unit}   PostgreSQL ${fmt(p).padStart(8)} ${unit}   ratio ${(p / s).toFixed(2)}${lat}   PG CPU ${entry.postgresCpuSecondsPer1000.toFixed(2)} s/1000`);
}

await presend(lite, 2000, 1);
await presend(pgs, 2000, 1); // warm-up (JIT, caches)
await compare('presend, 1 caller', N_PRESEND, (s) => presend(s, N_PRESEND, 1), 'checks/s');
await compare(`presend, ${CONC} callers`, N_PRESEND, (s) => presend(s, N_PRESEND, CONC), 'checks/s');
await compare('settle step, 1 settler', N_SETTLE, (s) => settle(s, N_SETTLE, 1), 'DSNs/s');
await compare(`settle step, ${WRITERS} settlers`, N_SETTLE, (s) => settle(s, N_SETTLE, WRITERS), 'DSNs/s');
await compare('intake 10 x 20 KB/commit, 1 writer', N_INTAKE * 10, (s) => intake(s, N_INTAKE, 1), 'msgs/s');
await compare(`intake 10 x 20 KB/commit, ${WRITERS} writers`, N_INTAKE * 10, (s) => intake(s, N_INTAKE, WRITERS), 'msgs/s');
const out = { bench: 'store-pg', at: new Date().toISOString(), postgres: pg.version, node: process.version, rounds: ROUNDS, suppressions: N_SUPP, concurrency: CONC, writers: WRITERS, results };
console.log(JSON.stringify(out));
if (args.json) writeFileSync(args.json, JSON.stringify(out, null, 2));
await lite.close();
await pgs.close();
pg.stop();
rmSync(dir, { recursive: true, force: true });

#!/usr/bin/env node
// Micro-benchmark (not a test: it asserts nothing, prints figures): the store as the pipeline
// uses it on SQLite, alternating rounds, medians. Four paths:
//   presend  the pre-send check's read (store.suppressions.preSend: 1 statement), hits and
//            misses over --suppressions rows
//   settle   a settle-sized transaction for one distinct verified DSN written by hand (settle
//            the message, one bounce record, its evidence, its failure, a suppression, an
//            event, the month's counters), commit without fsync
//   step     the pipeline's settle step itself (src/pipeline/settle.ts Settler: the policy's
//            reads and writes, the account's month evaluated from the counters) for one DSN
//            per transaction, at a month starting empty and at a month that already holds
//            --month-rows failures of the same account: the two should be about equal (issue
//            #20: the cost of a message does not grow with what its account has stored)
//   intake   an insert of 10 messages in one durable commit (fsync), as the group commit does
// Build first (npm run build): it runs dist/. Before phase B of issue #15 the same script
// compared the synchronous store classes with these repositories (bench/README.md).
//
//   node bench/store.mjs [--suppressions 200000] [--rounds 5] [--presend 40000] [--settles 1500] [--steps 800]
//                        [--month-rows 20000] [--intake 200]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PolicyRules } from '../dist/policy/apply.js';
import { Settler } from '../dist/pipeline/settle.js';
import { loadConfig } from '../dist/config/load.js';
import { openSqlite } from '../dist/store/sqlite/open.js';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]?.startsWith('--') ? true : (all[i + 1] ?? true)]] : acc), []),
);
const N_SUPP = Number(args.suppressions ?? 200_000);
const ROUNDS = Number(args.rounds ?? 5);
const N_PRESEND = Number(args.presend ?? 40_000);
const N_SETTLE = Number(args.settles ?? 1500);
const N_STEP = Number(args.steps ?? 800);
const MONTH_ROWS = Number(args['month-rows'] ?? 20_000);
const N_INTAKE = Number(args.intake ?? 200);

const dir = mkdtempSync(join(tmpdir(), 'store-bench-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));
const NOW = Date.UTC(2026, 0, 15, 12);

// -- the database: migrated by the store, seeded through a connection of its own --------------
const store = openSqlite({ dataDir: dir }, { synchronous: 'FULL' });
const seed = new Database(join(dir, 'bounced.db'));
console.log(`store bench: SQLite ${seed.prepare('select sqlite_version() v').get().v}, Node ${process.version}, ${N_SUPP.toLocaleString()} suppressions, ${ROUNDS} rounds (medians)`);
seed.exec(`INSERT INTO accounts (id, name, created_at) VALUES ('acme', 'Acme', 0), ('hand', 'hand', 0), ('small', 'small', 0), ('big', 'big', 0)`);
seed.exec(`
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${N_SUPP - 1})
  INSERT INTO suppressions (account_id, address, reason, created_at, source)
  SELECT CASE WHEN i % 10 = 0 THEN '*' ELSE 'acct' || (i % 50) END, 'user' || i || '@example.com', 'hard_bounce', i, 'seed' FROM n`);
seed.exec(`INSERT INTO suppressions (account_id, address, reason, created_at, source) VALUES ('acme', 'user1@example.com', 'complaint', 1, 'seed')`);
seed.exec(`INSERT INTO account_policy (account_id, updated_at) VALUES ('acme', 1)`);

/**
 * Fills an account's January with `rows` hard failures (deliveries, delivery_failures) and
 * their counters, as months of settling would have left them.
 */
function fillMonth(account, rows) {
  seed.exec(`
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows - 1})
    INSERT INTO deliveries (account_id, message_id, recipient, state, first_at, last_at, attempts, updated_at)
    SELECT '${account}', 'seed/m' || i, 'seed' || i || '@x.test', 'hard', ${NOW}, ${NOW}, 1, ${NOW} FROM n`);
  seed.exec(`
    INSERT INTO delivery_failures (delivery_id, account_id, recipient, channel, campaign, state, reason, category, address_reason, at)
    SELECT id, account_id, recipient, 'marketing', 'seed', 'hard', 'userunknown', 'unknown_user', 1, ${NOW} FROM deliveries
     WHERE account_id = '${account}' AND message_id LIKE 'seed/%'`);
  seed.exec(`INSERT INTO account_month_channels (account_id, month, channel, hard_bounces) VALUES ('${account}', '2026-01', 'marketing', ${rows})
             ON CONFLICT (account_id, month, channel) DO UPDATE SET hard_bounces = hard_bounces + ${rows}`);
  seed.exec(`INSERT INTO account_months (account_id, month, sends) VALUES ('${account}', '2026-01', ${rows * 50})
             ON CONFLICT (account_id, month) DO UPDATE SET sends = sends + ${rows * 50}`);
  seed.exec(`INSERT INTO campaign_counts (account_id, campaign, hard_bounces) VALUES ('${account}', 'seed', ${rows})`);
}

// -- presend -------------------------------------------------------------------------------
const addresses = Array.from({ length: 4096 }, (_, i) => (i % 4 === 0 ? `nobody${i}@example.com` : `user${(i * 7919) % N_SUPP}@example.com`));
async function presend() {
  const t0 = performance.now();
  let hits = 0;
  for (let i = 0; i < N_PRESEND; i++) hits += (await store.suppressions.preSend('acme', addresses[i & 4095])).hits.length;
  return N_PRESEND / ((performance.now() - t0) / 1000);
}

// -- settle --------------------------------------------------------------------------------
const raw = Buffer.from('From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\n\r\nreport\r\n');
// Distinct bytes per message: equal ones would be settled as duplicates of the first (the
// settling transaction checks again, src/store/*/repos.ts settle), writing nothing.
let rawSeq = 0;
const envelope = (i) => ({ receivedAt: NOW, source: 'smtp', mailFrom: '', rcptTo: [`b+${i}@bounces.test`], remoteIp: '127.0.0.1', helo: 'mx', raw: Buffer.concat([raw, Buffer.from(`${++rawSeq}\r\n`)]) });
let seq = 0;
const bounceOf = (account, i) => ({
  createdAt: NOW, accountId: account, messageId: `spring/m${i}`, recipient: `r${i}@example.net`, reportedRecipient: `r${i}@example.net`, kind: 'bounce',
  action: 'failed', status: '5.1.1', reason: 'userunknown', hardbounce: true, category: 'unknown_user', type: 'hard', rule: 'status.5.1.1', detector: 'rfc3464',
  replyCode: 550, diagnostic: '550 5.1.1 user unknown', remoteMta: 'mx.example.net', reportingMta: 'mta.test', originalMessageId: null,
  feedbackType: null, verified: true, warning: null,
});
const evidenceOf = (account, i, id) => ({
  accountId: account, messageId: `spring/m${i}`, recipient: `r${i}@example.net`, at: NOW, source: 'dsn', state: 'hard', status: '5.1.1',
  reason: 'userunknown', category: 'unknown_user', diagnostic: '550 5.1.1 user unknown', qid: null, dedupKey: `dsn:${id}:0`, countsAsSend: false,
});
const failureOf = (account, i, deliveryId) => ({
  deliveryId, accountId: account, recipient: `r${i}@example.net`, channel: 'marketing', campaign: 'spring', state: 'hard', reason: 'userunknown',
  category: 'unknown_user', addressReason: true, at: NOW,
});

async function settleByHand(n, account = 'hand') {
  const ids = await store.messages.insert(Array.from({ length: n }, (_, k) => envelope(k)));
  const t0 = performance.now();
  for (const id of ids) {
    const i = ++seq;
    await store.transaction(async (tx) => {
      if (!(await tx.messages.settle(id, { state: 'processed', kind: 'bounce', detector: 'rfc3464', reportMessageId: null }, NOW))) return;
      const b = bounceOf(account, i);
      const bounceId = await tx.bounces.insert(id, b);
      const change = await tx.deliveries.applyEvidence(evidenceOf(account, i, id), bounceId, NOW);
      await tx.events.add(account, 'bounce.hard', { accountId: account, recipient: b.recipient, state: 'hard' }, NOW);
      await tx.failures.record(failureOf(account, i, change.deliveryId));
      await tx.suppressions.add(account, b.recipient, 'hard_bounce', `delivery:${change.deliveryId}`, NOW);
      await tx.counters.month(account, '2026-01', 'marketing');
    }, { durable: false });
  }
  return n / ((performance.now() - t0) / 1000);
}

// The settle step with the policy the daemon runs (the default policy configuration).
const settler = new Settler(store, new PolicyRules(loadConfig({ env: {} }).policy));
async function settleStep(n, account) {
  const ids = await store.messages.insert(Array.from({ length: n }, (_, k) => envelope(k)));
  const t0 = performance.now();
  for (const id of ids) {
    const i = ++seq;
    const outcome = {
      state: 'processed', kind: 'bounce', detector: 'rfc3464', reportMessageId: null, bounces: [bounceOf(account, i)],
      evidence: [{ ...evidenceOf(account, i, id), bounceIndex: 0 }],
    };
    await settler.settle([{ id, outcome }], NOW);
  }
  return n / ((performance.now() - t0) / 1000);
}

// -- intake --------------------------------------------------------------------------------
const batch10 = () => Array.from({ length: 10 }, (_, k) => ({ ...envelope(k), raw: Buffer.alloc(20 * 1024, 0x61 + k) }));
async function intake() {
  const t0 = performance.now();
  for (let i = 0; i < N_INTAKE; i++) await store.messages.insert(batch10());
  return N_INTAKE / ((performance.now() - t0) / 1000);
}

// -- run -----------------------------------------------------------------------------------
const results = {};
async function measure(name, fn) {
  const xs = [];
  for (let r = 0; r < ROUNDS; r++) xs.push(await fn());
  results[name] = median(xs);
  console.log(`${name.padEnd(44)} ${fmt(results[name]).padStart(9)}/s`);
}
/** Two paths in alternating rounds (neither always on the warmer cache); prints b/a. */
async function compare(name, a, b) {
  const xs = [];
  const ys = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      xs.push(await a.fn());
      ys.push(await b.fn());
    } else {
      ys.push(await b.fn());
      xs.push(await a.fn());
    }
  }
  const am = median(xs);
  const bm = median(ys);
  results[`${name}: ${a.label}`] = am;
  results[`${name}: ${b.label}`] = bm;
  console.log(`${name.padEnd(20)} ${a.label} ${fmt(am).padStart(9)}/s   ${b.label} ${fmt(bm).padStart(9)}/s   ratio ${(bm / am).toFixed(2)}`);
  return bm / am;
}

await presend(); // warm-up (JIT, page cache)
await measure('presend read (per check)', presend);
await measure('settle txn by hand (per DSN)', () => settleByHand(N_SETTLE));
fillMonth('big', MONTH_ROWS);
const flat = await compare('settle step', { label: 'empty month', fn: () => settleStep(N_STEP, 'small') }, { label: `month of ${MONTH_ROWS / 1000}k failures`, fn: () => settleStep(N_STEP, 'big') });
await measure('intake of 10 messages (per commit)', intake);
console.log(`settle step at a month of ${MONTH_ROWS.toLocaleString()} failures / at an empty month: ${flat.toFixed(2)} (flat: about 1)`);
console.log(JSON.stringify({ bench: 'store', rounds: ROUNDS, suppressions: N_SUPP, monthRows: MONTH_ROWS, results }));
seed.close();
await store.close();
rmSync(dir, { recursive: true, force: true });

#!/usr/bin/env node
// Micro-benchmark (not a test: it asserts nothing, prints figures): today's synchronous SQLite
// store classes against the asynchronous store contract on SQLite (src/store/sqlite/), in one
// run, on one database file, alternating rounds, medians. Three paths:
//   presend  the pre-send check's read (1 statement), hits and misses over --suppressions rows
//   settle   a settle-sized transaction for one distinct verified DSN: settle the message, one
//            bounce record, its evidence (a new hard delivery), its failure, a suppression, an
//            event, and the account's month figures (old: summed from the rows, as
//            SqlitePolicyService.evaluate does; new: the counters), commit without fsync;
//            without the month read (the transaction's own cost: the new one also keeps the
//            counters), at a month starting empty (it grows by the settles of every round:
//            the old sum grows with it), and at a month that already holds --month-rows failures
//   intake   an insert of 10 messages in one durable commit (fsync), as the group commit does
// Build first (npm run build): it runs dist/.
//
//   node bench/store.mjs [--suppressions 200000] [--rounds 5] [--presend 40000] [--settles 1500] [--settles-big 300]
//                        [--month-rows 20000] [--intake 200]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../dist/store/sqlite.js';
import { PolicyRepo } from '../dist/store/sqlite-policy.js';
import { openSqlite } from '../dist/store/sqlite/open.js';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]?.startsWith('--') ? true : (all[i + 1] ?? true)]] : acc), []),
);
const N_SUPP = Number(args.suppressions ?? 200_000);
const ROUNDS = Number(args.rounds ?? 5);
const N_PRESEND = Number(args.presend ?? 40_000);
const N_SETTLE = Number(args.settles ?? 1500);
const MONTH_ROWS = Number(args['month-rows'] ?? 20_000);
/** Fewer settles at the big month: the old path takes tens of ms per settle there. */
const N_SETTLE_BIG = Number(args['settles-big'] ?? 300);
const N_INTAKE = Number(args.intake ?? 200);

const dir = mkdtempSync(join(tmpdir(), 'store-bench-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));
const NOW = Date.UTC(2026, 0, 15, 12);

// -- the database: today's schema and the new migrations, seeded -------------------------
const old = openSqliteStore(dir, { synchronous: 'FULL' });
const store = openSqlite({ dataDir: dir }, { synchronous: 'FULL' }); // applies 20 and 21
const oldPolicy = new PolicyRepo(old.db);
console.log(`store bench: SQLite ${old.db.prepare('select sqlite_version() v').get().v}, Node ${process.version}, ${N_SUPP.toLocaleString()} suppressions, ${ROUNDS} rounds (medians)`);

old.db.exec(`INSERT INTO accounts (id, name, created_at) VALUES ('acme', 'Acme', 0), ('old', 'old', 0), ('new', 'new', 0)`);
old.db.exec(`
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${N_SUPP - 1})
  INSERT INTO suppressions (account_id, address, reason, created_at, source)
  SELECT CASE WHEN i % 10 = 0 THEN '*' ELSE 'acct' || (i % 50) END, 'user' || i || '@example.com', 'hard_bounce', i, 'seed' FROM n`);
old.db.exec(`INSERT INTO suppressions (account_id, address, reason, created_at, source) VALUES ('acme', 'user1@example.com', 'complaint', 1, 'seed')`);
old.db.exec(`INSERT INTO account_policy (account_id, updated_at) VALUES ('acme', 1)`);

/** Fills an account's January with `rows` hard failures (deliveries and delivery_failures). */
function fillMonth(account, rows) {
  old.db.exec(`
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows - 1})
    INSERT INTO deliveries (account_id, message_id, recipient, state, first_at, last_at, attempts, updated_at)
    SELECT '${account}', 'seed/m' || i, 'seed' || i || '@x.test', 'hard', ${NOW}, ${NOW}, 1, ${NOW} FROM n`);
  old.db.exec(`
    INSERT INTO delivery_failures (delivery_id, account_id, recipient, channel, campaign, state, reason, category, address_reason, at)
    SELECT id, account_id, recipient, 'marketing', 'seed', 'hard', 'userunknown', 'unknown_user', 1, ${NOW} FROM deliveries
     WHERE account_id = '${account}' AND message_id LIKE 'seed/%'`);
}

// -- presend -------------------------------------------------------------------------------
const addresses = Array.from({ length: 4096 }, (_, i) => (i % 4 === 0 ? `nobody${i}@example.com` : `user${(i * 7919) % N_SUPP}@example.com`));

function presendOld() {
  const t0 = performance.now();
  let hits = 0;
  for (let i = 0; i < N_PRESEND; i++) hits += oldPolicy.sendCheck('acme', addresses[i & 4095]).hits.length;
  return { perS: N_PRESEND / ((performance.now() - t0) / 1000), hits };
}

async function presendNew() {
  const t0 = performance.now();
  let hits = 0;
  for (let i = 0; i < N_PRESEND; i++) hits += (await store.suppressions.preSend('acme', addresses[i & 4095])).hits.length;
  return { perS: N_PRESEND / ((performance.now() - t0) / 1000), hits };
}

// -- settle --------------------------------------------------------------------------------
const raw = Buffer.from('From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\n\r\nreport\r\n');
const envelope = (i) => ({ receivedAt: NOW, source: 'smtp', mailFrom: '', rcptTo: [`b+${i}@bounces.test`], remoteIp: '127.0.0.1', helo: 'mx', raw });
let seq = 0;
const bounceOf = (account, i) => ({
  createdAt: NOW, accountId: account, messageId: `spring/m${i}`, recipient: `r${i}@example.net`, kind: 'bounce', action: 'failed',
  status: '5.1.1', reason: 'userunknown', hardbounce: true, category: 'unknown_user', type: 'hard', rule: 'status.5.1.1', detector: 'rfc3464',
  replyCode: 550, diagnostic: '550 5.1.1 user unknown', remoteMta: 'mx.example.net', reportingMta: 'mta.test', originalMessageId: null,
  feedbackType: null, verified: true,
});
const evidenceOf = (account, i, id) => ({
  accountId: account, messageId: `spring/m${i}`, recipient: `r${i}@example.net`, at: NOW, source: 'dsn', state: 'hard', status: '5.1.1',
  reason: 'userunknown', category: 'unknown_user', diagnostic: '550 5.1.1 user unknown', qid: null, dedupKey: `dsn:${id}:0`, countsAsSend: false,
});
const failureOf = (account, i, deliveryId) => ({
  deliveryId, accountId: account, recipient: `r${i}@example.net`, channel: 'marketing', campaign: 'spring', state: 'hard', reason: 'userunknown',
  category: 'unknown_user', addressReason: true, at: NOW,
});

function settleOld(n, withFigures = true, account = 'old') {
  const ids = old.insertMessages(Array.from({ length: n }, (_, k) => envelope(k)));
  const settleStmt = old.db.prepare(`UPDATE messages SET state = 'processed', processed_at = ?, kind = 'bounce', detector = 'rfc3464', attempts = attempts + 1 WHERE id = ? AND state = 'received'`);
  const insertBounce = old.db.prepare(
    `INSERT INTO bounces (message_row, created_at, account_id, message_id, recipient, kind, action, status, reason, hardbounce, category, type, rule, detector,
       reply_code, diagnostic, remote_mta, reporting_mta, original_message_id, feedback_type, verified)
     VALUES (@messageRow, @createdAt, @accountId, @messageId, @recipient, @kind, @action, @status, @reason, 1, @category, @type, @rule, @detector,
       @replyCode, @diagnostic, @remoteMta, @reportingMta, @originalMessageId, @feedbackType, 1)`,
  );
  const t0 = performance.now();
  for (const id of ids) {
    const i = ++seq;
    old.withoutSync(() => {
      settleStmt.run(NOW, id);
      const b = bounceOf(account, i);
      const bounceId = Number(insertBounce.run({ ...b, messageRow: id }).lastInsertRowid);
      const r = old.lifecycle.applyEvidence(evidenceOf(account, i, id), bounceId, NOW); // writes its event too
      oldPolicy.recordFailure(failureOf(account, i, r.deliveryId));
      oldPolicy.addSuppression(account, b.recipient, 'hard_bounce', `delivery:${r.deliveryId}`, NOW);
      if (withFigures) oldPolicy.figures(account, '2026-01', 'marketing');
    });
  }
  return n / ((performance.now() - t0) / 1000);
}

async function settleNew(n, withFigures = true, account = 'new') {
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
      if (withFigures) await tx.counters.month(account, '2026-01', 'marketing');
    }, { durable: false });
  }
  return n / ((performance.now() - t0) / 1000);
}

// -- intake --------------------------------------------------------------------------------
const batch10 = () => Array.from({ length: 10 }, (_, k) => ({ ...envelope(k), raw: Buffer.alloc(20 * 1024, 0x61 + k) }));
function intakeOld() {
  const t0 = performance.now();
  for (let i = 0; i < N_INTAKE; i++) old.insertMessages(batch10());
  return N_INTAKE / ((performance.now() - t0) / 1000);
}
async function intakeNew() {
  const t0 = performance.now();
  for (let i = 0; i < N_INTAKE; i++) await store.messages.insert(batch10());
  return N_INTAKE / ((performance.now() - t0) / 1000);
}

// -- run -----------------------------------------------------------------------------------
const results = {};
async function measure(name, oldFn, newFn) {
  const o = [];
  const n = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which goes first, so that neither always runs on a warmer cache.
    if (r % 2 === 0) {
      o.push(await oldFn());
      n.push(await newFn());
    } else {
      n.push(await newFn());
      o.push(await oldFn());
    }
  }
  const om = median(o);
  const nm = median(n);
  results[name] = { old: om, new: nm, ratio: nm / om };
  console.log(`${name.padEnd(34)} old ${fmt(om).padStart(9)}/s   new ${fmt(nm).padStart(9)}/s   new/old ${(nm / om).toFixed(2)}`);
}

// Warm-up (JIT, page cache): one short pass of each.
presendOld();
await presendNew();
{
  const a = presendOld();
  const b = await presendNew();
  if (a.hits !== b.hits) throw new Error(`the two pre-send reads disagree: ${a.hits} vs ${b.hits} hits`);
}
await measure('presend read (per check)', () => presendOld().perS, async () => (await presendNew()).perS);
await measure('settle txn without the month read', () => settleOld(N_SETTLE, false, 'old0'), () => settleNew(N_SETTLE, false, 'new0'));
await measure('settle txn, month starting empty', () => settleOld(N_SETTLE), () => settleNew(N_SETTLE));
fillMonth('old', MONTH_ROWS);
fillMonth('new', MONTH_ROWS);
await measure(`settle txn, month of ${MONTH_ROWS / 1000}k failures`, () => settleOld(N_SETTLE_BIG), () => settleNew(N_SETTLE_BIG));
await measure('intake of 10 messages (per commit)', intakeOld, intakeNew);

console.log(`target: presend new/old >= 0.90: ${results['presend read (per check)'].ratio >= 0.9 ? 'met' : 'missed'}`);
console.log(JSON.stringify({ bench: 'store', rounds: ROUNDS, suppressions: N_SUPP, monthRows: MONTH_ROWS, results }));
old.close();
await store.close();
rmSync(dir, { recursive: true, force: true });

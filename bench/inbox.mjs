#!/usr/bin/env node
// 6. Connected inboxes (issue #17): how many messages per second a first sync of a mailbox
// scans. A private Dovecot (test/helpers/dovecot.ts, loaded as it is through Node's type
// stripping) gets a mailbox of N messages (default 10,000) over IMAP APPEND: mostly ordinary
// mail of 1-20 KB, and bounces in the shapes of fixtures/inbox (Postfix DSNs, Exchange NDRs,
// gateway notices) and auto-replies, answering 300 messages in Sent. Then, per run, a new
// watcher with an empty state syncs it once (`dist/inbox/watcher.js`: fetch, parse, classify,
// detect), against a baseline measured in the same run: the same fetches with imapflow and no
// reading at all. Runs alternate; medians are reported. Needs root (Dovecot drops privileges
// itself) and `npm run build`.
//
// Phase B adds a third variant per run: the daemon's path (`dist/inbox/service.js`): the same
// first sync on a new SQLite store: the sent index, checkpoints and found-bounce keys in the
// database, each found bounce stored and settled in its own durable transaction (one-to-one
// records, policy included), no bound on the sync (maxMessagesPerSync, syncTimeSeconds).
//
//   node bench/inbox.mjs [--messages 10000] [--runs 3]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { ROOT, TMP, median, parseArgs, round, log } from './lib/common.mjs';

const args = parseArgs();
const N = Number(args.messages ?? 10_000);
const RUNS = Number(args.runs ?? 3);
const SENT = 300;

const { dovecotMissing, startDovecot } = await import(join(ROOT, 'test/helpers/dovecot.ts'));
const { InboxWatcher } = await import(join(ROOT, 'dist/inbox/watcher.js'));
const { MemoryInboxState } = await import(join(ROOT, 'dist/inbox/memory-state.js'));
const { InboxService, registerInbox } = await import(join(ROOT, 'dist/inbox/service.js'));
const { buildPipeline } = await import(join(ROOT, 'dist/pipeline/build.js'));
const { loadConfig } = await import(join(ROOT, 'dist/config/load.js'));
const { mkdtempSync, rmSync } = await import('node:fs');

const missing = dovecotMissing();
if (missing) {
  console.log(`skipped: ${missing}`);
  process.exit(0);
}

// ---- the mailbox ------------------------------------------------------------------------
const fx = (name) => readFileSync(join(ROOT, 'fixtures/inbox', name), 'latin1');
const T = { sent: fx('sent-quote.eml'), dsn: fx('dsn-postfix.eml'), ndr: fx('ndr-exchange.eml'), gw: fx('notice-gateway.eml'), auto: fx('auto-reply.eml') };
const swap = (s, pairs) => pairs.reduce((acc, [a, b]) => acc.split(a).join(b), s);
let rnd = 0x1f2e3d4c; // deterministic: the same mailbox every run
const rand = () => {
  rnd ^= rnd << 13;
  rnd ^= rnd >>> 17;
  rnd ^= rnd << 5;
  return (rnd >>> 0) / 4294967296;
};
const WORDS = 'the a we our your meeting invoice order shipment contract team update week report project plan budget review thanks regards please call tomorrow schedule draft offer price quote'.split(' ');
const words = (n) => Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');

const now = Date.now();
const sentAt = new Date(now - 3600_000);
const sent = Array.from({ length: SENT }, (_, i) => ({ id: `bench-sent-${i}@sales.test`, rcpt: `contact${i}@customer${i % 17}.test`, subject: `Proposal number ${i}` }));
const sentRaw = sent.map((s) =>
  swap(T.sent, [['quote-q3.7f2a@sales.test', s.id], ['bob@customer.test', s.rcpt], ['Quote for the Q3 rollout', s.subject], ['Mon, 16 Nov 2026 09:00:00 +0000', sentAt.toUTCString().replace('GMT', '+0000')]]),
);

function ordinary(i) {
  const paras = 1 + Math.floor(rand() * 30); // about 1-20 KB
  const body = Array.from({ length: paras }, () => words(60 + Math.floor(rand() * 40))).join('\n\n');
  return `From: Person ${i} <person${i}@partner${i % 23}.test>\r\nTo: alice@sales.test\r\nSubject: ${words(5)}\r\nDate: ${new Date(now - i * 1000).toUTCString()}\r\nMessage-ID: <msg-${i}@partner${i % 23}.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body.replace(/\n/g, '\r\n')}\r\n`;
}

const mix = { dsn: 0, ndr: 0, gateway: 0, auto: 0, ordinary: 0 };
const inbox = [];
for (let i = 0; i < N; i++) {
  const s = sent[i % SENT];
  const k = i % 100; // 4 % DSNs, 2 % Exchange NDRs, 1 % gateway notices, 3 % auto-replies
  let raw;
  if (k < 4) {
    raw = swap(T.dsn, [['quote-q3.7f2a@sales.test', s.id], ['bob@customer.test', s.rcpt], ['20261116090005.03EF221699B@mta.test', `dsn-${i}@mta.test`]]);
    mix.dsn++;
  } else if (k < 6) {
    raw = swap(T.ndr, [['intro.44d1@sales.test', s.id], ['erin@exchange-corp.test', s.rcpt], ['5f0f4c6e-8a2b-4d9e-9a51-0c2f3b7d1e11', `ndr-${i}`]]);
    mix.ndr++;
  } else if (k < 7) {
    raw = swap(T.gw, [['dave@secure-corp.test', s.rcpt], ['Following up on our call', s.subject], ['gw-1b7e33@', `gw-${i}@`]]);
    mix.gateway++;
  } else if (k < 10) {
    raw = swap(T.auto, [['hello.2b8e@sales.test', s.id], ['auto-7731@', `auto-${i}@`]]);
    mix.auto++;
  } else {
    raw = ordinary(i);
    mix.ordinary++;
  }
  inbox.push(Buffer.from(raw, 'latin1'));
}
const bytes = inbox.reduce((a, b) => a + b.length, 0);

// ---- seed -------------------------------------------------------------------------------
const user = { name: 'bench', password: 'bench-pw' };
const dovecot = await startDovecot({ users: [user] });
const quiet = pino({ level: 'silent' });
try {
  log(`seeding ${N} messages (${round(bytes / 1048576)} MB) and ${SENT} sent ...`);
  const t0 = performance.now();
  await dovecot.append(user, sentRaw.map((r) => ({ folder: 'Sent', raw: Buffer.from(r, 'latin1'), date: sentAt })));
  // four connections at once, as the seeding is not what is measured
  const parts = [0, 1, 2, 3].map((p) => inbox.filter((_, i) => i % 4 === p));
  await Promise.all(parts.map((part) => dovecot.append(user, part.map((raw) => ({ folder: 'INBOX', raw, date: new Date(now) })))));
  const seedS = (performance.now() - t0) / 1000;
  log(`seeded in ${round(seedS)} s (${round(N / seedS)} APPENDs/s over 4 connections)`);

  const account = { id: 'bench', host: '127.0.0.1', port: dovecot.port, tls: 'none', user: user.name };
  const syncRates = [];
  const fetchRates = [];
  const storeRates = [];
  let storeRecords = 0;
  let last = null;
  for (let run = 0; run < RUNS; run++) {
    // the watcher: a first sync with an empty state (every message read, parsed, decided)
    let found = 0;
    const w = new InboxWatcher({ account, secret: () => ({ kind: 'password', password: user.password }), state: new MemoryInboxState(), sink: async () => void found++, log: quiet });
    const a = performance.now();
    const r = await w.syncOnce();
    const syncS = (performance.now() - a) / 1000;
    if (!r.ok) throw new Error(`sync failed: ${r.error.code} ${r.error.message}`);
    last = { status: r.status, found };
    syncRates.push(r.status.counters.scanned / syncS);

    // the baseline: the same FETCHes (sizes, then the messages up to 1 MiB each), nothing read
    const c = await dovecot.connect(user);
    const b = performance.now();
    await c.mailboxOpen('INBOX', { readOnly: true });
    let n = 0;
    for (let lo = 1; lo <= c.mailbox.uidNext - 1; lo += 200) {
      const hi = Math.min(lo + 199, c.mailbox.uidNext - 1);
      await c.fetchAll(`${lo}:${hi}`, { uid: true, size: true }, { uid: true });
      n += (await c.fetchAll(`${lo}:${hi}`, { uid: true, internalDate: true, source: { maxLength: 1048576 } }, { uid: true })).length;
    }
    fetchRates.push(n / ((performance.now() - b) / 1000));
    await c.logout();

    // the daemon's path: a new SQLite store, the inbox registered, one unbounded sync
    mkdirSync(TMP, { recursive: true });
    const dir = mkdtempSync(join(TMP, 'inbox-store-'));
    const config = loadConfig({ env: {}, overrides: { dataDir: dir, logLevel: 'silent', verp: { secret: 'bench' }, inboxes: { credentialKey: 'ab'.repeat(32), maxMessagesPerSync: 1e9, syncTimeSeconds: 3600 } } });
    const built = await buildPipeline(config);
    try {
      await built.store.accounts.insert({ id: 'bench', name: null, tier: 'starter', profile: 'default', contactEmail: null }, Date.now());
      const reg = await registerInbox(built.store, [Buffer.from('ab'.repeat(32), 'hex')], { accountId: 'bench', host: '127.0.0.1', port: dovecot.port, tls: 'none', user: user.name, secret: { kind: 'password', password: user.password } }, Date.now());
      if (!reg.ok) throw new Error(reg.message);
      const svc = new InboxService({ store: built.store, rules: built.rules, log: quiet, config: config.inboxes });
      const d = performance.now();
      const out = await svc.syncNow(reg.inbox.id);
      const storeS = (performance.now() - d) / 1000;
      if (!out?.ok) throw new Error(`store sync failed: ${out?.error.code} ${out?.error.message}`);
      storeRates.push(out.status.counters.scanned / storeS);
      storeRecords = (await built.store.bounces.list({ accountId: 'bench', limit: 1000 })).length;
    } finally {
      await built.store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    log(`run ${run + 1}: sync ${round(syncRates.at(-1))} msgs/s, fetch-only ${round(fetchRates.at(-1))} msgs/s, with the store ${round(storeRates.at(-1))} msgs/s`);
  }

  const c = last.status.counters;
  const expected = { dsn_message_id: mix.dsn + mix.ndr, reply_reference: 0, gateway_notice: mix.gateway };
  const ok = JSON.stringify(c.bounces) === JSON.stringify(expected) && c.skipped.auto_reply === mix.auto && c.scanned === N && storeRecords === mix.dsn + mix.ndr + mix.gateway;
  const result = {
    messages: N,
    megabytes: round(bytes / 1048576),
    mix,
    syncMsgsPerSec: round(median(syncRates)),
    fetchOnlyMsgsPerSec: round(median(fetchRates)),
    syncOverFetch: round(median(syncRates) / median(fetchRates), 2),
    storeSyncMsgsPerSec: round(median(storeRates)),
    storeOverSync: round(median(storeRates) / median(syncRates), 2),
    storeRecords,
    runs: syncRates.map((s, i) => ({ sync: round(s), fetchOnly: round(fetchRates[i]), store: round(storeRates[i]) })),
    found: c.bounces,
    autoRepliesSkipped: c.skipped.auto_reply,
    correct: ok,
    node: process.version,
    at: new Date().toISOString(),
  };
  mkdirSync(TMP, { recursive: true });
  writeFileSync(join(TMP, 'inbox.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
  if (!ok) {
    console.error(`!! found ${JSON.stringify(c.bounces)}, expected ${JSON.stringify(expected)} (auto-replies ${c.skipped.auto_reply}/${mix.auto}, scanned ${c.scanned}/${N})`);
    process.exitCode = 1;
  }
} finally {
  await dovecot.stop();
}

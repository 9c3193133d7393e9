#!/usr/bin/env node
// 6. Hostile messages and the intake. Several sessions send ordinary DSNs (the Postfix
// fixtures, each a distinct report) while other sessions send hostile messages: reports of
// thousands of recipients, long address-less runs in a recipient field and in the returned
// Return-Path, thousands of addresses on one line of a plain notice, a long Reporting-MTA
// copied into every record. The daemon runs with a small processing budget
// (BOUNCED_PIPELINE_PARSE_BUDGET_MS, --budget-ms), so some of them are abandoned at it.
//
// Measured in the same run, without and then with the hostile senders:
//   - the 250 latency of the ordinary sessions (end of DATA to the reply): p50, p99, max, and
//     the ratios with/without;
//   - 250 -> settled: from a message's 250 to the moment its state is no longer `received`
//     (the database is polled every 20 ms, read-only), for ordinary and hostile messages;
//   - what became of the hostile messages (states, errors, records, database growth).
//
//   node bench/hostile.mjs [--quick] [--duration MS] [--sessions N] [--hostile-sessions N]
//        [--hostile-interval-ms MS] [--budget-ms MS] [--scale X]
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { freshDir, listFiles, log, parseArgs, percentile, PORTS, POSTFIX_FIXTURES, RCPT, round, ratio, sleep, startBounced } from './lib/common.mjs';
import { Sampler } from './lib/sampler.mjs';
import { connectSmtp } from './lib/smtp-client.mjs';

const runId = Date.now().toString(36);
/** Ordinary messages sent so far, over every phase: each one a distinct report. */
let seq = 0;

// ---- messages ------------------------------------------------------------------------------

/** CRLF lines, dot-stuffed, ready for DATA (the final "." is sent apart). */
function forData(buf) {
  const lines = buf.toString('latin1').split(/\r\n|\r|\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return Buffer.from(lines.map((l) => (l.startsWith('.') ? '.' + l : l)).join('\r\n') + '\r\n', 'latin1');
}

/** The same message as a distinct report (its own Message-ID). */
function unique(buf, n) {
  const s = buf.toString('latin1');
  const id = `<bench-${runId}-${n}@mta.bench.test>`;
  const out = /^Message-Id:.*$/im.test(s) ? s.replace(/^Message-Id:.*$/im, `Message-ID: ${id}`) : `Message-ID: ${id}\r\n${s}`;
  return Buffer.from(out, 'latin1');
}

const compose = (mail, reportType) =>
  new Promise((res, rej) => {
    const root = new MailComposer(mail).compile();
    // MailComposer makes multipart/mixed; a DSN is multipart/report (RFC 6522).
    if (reportType) root.setHeader('Content-Type', `multipart/report; report-type=${reportType}`);
    root.build((e, m) => (e ? rej(e) : res(m)));
  });

/** An RFC 3464 report built with MailComposer: per-message fields, recipient blocks, returned headers. */
function report({ reportingMta = 'mx.hostile.test', blocks, returned = 'From: sender@example.com\r\nSubject: news\r\n' }) {
  const status = [`Reporting-MTA: dns; ${reportingMta}`, '', ...blocks.flatMap((b) => [...b, ''])].join('\r\n');
  return compose(
    {
      from: 'Mail Delivery System <MAILER-DAEMON@mx.hostile.test>',
      to: RCPT,
      subject: 'Undelivered Mail Returned to Sender',
      text: 'Your message could not be delivered.\n',
      attachments: [
        { contentType: 'message/delivery-status', content: status, contentDisposition: 'inline', contentTransferEncoding: '7bit' },
        { contentType: 'text/rfc822-headers', content: returned, contentDisposition: 'inline', contentTransferEncoding: '7bit' },
      ],
    },
    'delivery-status',
  );
}

const failed = (rcpt, diag) => [`Final-Recipient: rfc822; ${rcpt}`, 'Action: failed', 'Status: 5.1.1', ...(diag ? [`Diagnostic-Code: smtp; ${diag}`] : [])];

/** The hostile kinds, each a legitimate-looking message that costs the parser or the store. */
function hostileKinds(scale) {
  const n = (x) => Math.max(1, Math.round(x * scale));
  return {
    // Thousands of recipients without Diagnostic-Code (~800 KB): a few hundred ms of parsing.
    'recipients-10k': () => report({ blocks: Array.from({ length: n(10_000) }, (_, i) => failed(`user${i}@example.com`)) }),
    // Within the budget, but every record would carry a 4,000-character Reporting-MTA.
    'records-400': () => report({ reportingMta: `mx.${'r'.repeat(n(4_000))}.test`, blocks: Array.from({ length: n(400) }, (_, i) => failed(`user${i}@example.com`, '550 5.1.1 unknown')) }),
    // A recipient field of one long run without "@" and one blank.
    'address-less-run': () => report({ blocks: [failed(`${'a'.repeat(n(32_000))} b`)] }),
    // The same run in the returned message's Return-Path.
    'return-path-run': () => report({ blocks: [failed('x@example.org')], returned: `Return-Path: <${'a'.repeat(n(32_000))} b>\r\nFrom: a@example.com\r\n` }),
    // A plain notice with thousands of addresses on one line (the fallback detector).
    'fallback-line': () =>
      compose({
        from: 'postmaster@mx.hostile.test',
        to: RCPT,
        subject: 'Mail delivery failed',
        text: `The following addresses failed:\n${Array.from({ length: n(2_000) }, (_, i) => `u${i}@example.com`).join(' ')}\n`,
      }),
  };
}

// ---- SMTP sessions -------------------------------------------------------------------------

/** Sends `next()` messages on one reused connection until `until()`; records each 250. */
async function session(port, next, until, out) {
  let c = null;
  while (!until()) {
    const m = next();
    if (!m) {
      await sleep(20);
      continue;
    }
    try {
      if (!c) {
        c = await connectSmtp(port);
        if ((await c.reply()).code !== 220 || (await c.cmd('EHLO mta.bench.test')).code !== 250) throw new Error('greeting');
      }
      if ((await c.cmd('MAIL FROM:<>')).code !== 250 || (await c.cmd(`RCPT TO:<${RCPT}>`)).code !== 250 || (await c.cmd('DATA')).code !== 354) throw new Error('envelope');
      c.sock.write(m.data);
      await new Promise((r) => c.sock.write('.\r\n', r));
      const t0 = performance.now();
      const r = await c.reply();
      const ms = performance.now() - t0;
      const id = /stored as (\d+)/.exec(r.text)?.[1];
      out.push({ kind: m.kind, code: r.code, ms, ackAt: Date.now(), id: id ? Number(id) : null, bytes: m.data.length });
    } catch (err) {
      out.push({ kind: m.kind, code: 0, ms: null, ackAt: Date.now(), id: null, error: String(err?.message ?? err) });
      c?.end();
      c = null;
    }
  }
  if (c) {
    await c.cmd('QUIT').catch(() => {});
    c.end();
  }
}

/** Polls the state of acknowledged messages: the first time each is seen settled. */
class SettleWatch {
  constructor(dbFile) {
    this.db = new Database(dbFile, { readonly: true, fileMustExist: true });
    this.received = this.db.prepare(`SELECT id FROM messages WHERE state = 'received'`).pluck();
    this.settledAt = new Map();
    this.watched = new Set();
    this.timer = setInterval(() => this.poll(), 20);
  }
  watch(id) {
    if (id != null && !this.settledAt.has(id)) this.watched.add(id);
  }
  poll() {
    let open;
    try {
      open = new Set(this.received.all());
    } catch {
      return; // a checkpoint for a moment: next poll
    }
    const now = Date.now();
    for (const id of this.watched) {
      if (!open.has(id)) {
        this.settledAt.set(id, now);
        this.watched.delete(id);
      }
    }
    return open.size;
  }
  close() {
    clearInterval(this.timer);
    this.db.close();
  }
}

const stats = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return { n: v.length, p50: round(percentile(v, 50), 2), p99: round(percentile(v, 99), 2), max: round(v[v.length - 1] ?? null, 2) };
};

async function phase({ port, sessions, hostileSessions, hostileIntervalMs, durationMs, normal, hostile, watch }) {
  const out = [];
  const end = performance.now() + durationMs;
  const until = () => performance.now() >= end;
  const nextNormal = () => {
    const n = seq++;
    return { kind: 'normal', data: forData(unique(normal[n % normal.length], `${runId}-${n}`)) };
  };
  let h = 0;
  const nextAt = Array.from({ length: hostileSessions }, (_, i) => performance.now() + (i * hostileIntervalMs) / Math.max(1, hostileSessions));
  const nextHostile = (i) => () => {
    if (performance.now() < nextAt[i]) return null;
    nextAt[i] += hostileIntervalMs;
    const m = hostile[h++ % hostile.length];
    return { kind: m.kind, data: m.data };
  };
  const sink = { push: (r) => (out.push(r), watch?.watch(r.id)) };
  await Promise.all([
    ...Array.from({ length: sessions }, () => session(port, nextNormal, until, sink)),
    ...Array.from({ length: hostileSessions }, (_, i) => session(port, nextHostile(i), until, sink)),
  ]);
  return out;
}

async function waitSettled(watch, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (watch.watched.size > 0 && Date.now() < until) await sleep(50);
  return watch.watched.size === 0;
}

async function metric(port, name, labels) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

export async function runHostile(opts = {}) {
  const quick = Boolean(opts.quick);
  const durationMs = Number(opts.duration ?? (quick ? 3000 : 10000));
  const sessions = Number(opts.sessions ?? 4);
  const hostileSessions = Number(opts['hostile-sessions'] ?? 2);
  const hostileIntervalMs = Number(opts['hostile-interval-ms'] ?? 1000);
  const budgetMs = Number(opts['budget-ms'] ?? 100);
  const scale = Number(opts.scale ?? 1);
  const normal = listFiles(POSTFIX_FIXTURES, (p) => p.endsWith('.eml') && statSync(p).size < 64 * 1024).map((f) => readFileSync(f));
  const kinds = hostileKinds(scale);
  const hostile = [];
  for (const [kind, make] of Object.entries(kinds)) hostile.push({ kind, data: forData(await make()) });
  log(`hostile: ${normal.length} ordinary DSNs; hostile kinds ${hostile.map((m) => `${m.kind} ${Math.round(m.data.length / 1024)} KB`).join(', ')}`);

  const dir = freshDir('hostile');
  const d = await startBounced({ smtpPort: PORTS.hostileSmtp, httpPort: PORTS.hostileHttp, dataDir: join(dir, 'data'), env: { BOUNCED_PIPELINE_PARSE_BUDGET_MS: String(budgetMs) } });
  const sampler = new Sampler({ pid: d.pid, dbFile: d.dbFile, everyMs: 200 }).start();
  const watch = new SettleWatch(d.dbFile);
  try {
    const common = { port: PORTS.hostileSmtp, sessions, hostileIntervalMs, durationMs };
    log(`hostile: warm-up 2 s, then ${durationMs / 1000} s of ${sessions} ordinary sessions alone, then with ${hostileSessions} hostile sessions (one message each every ${hostileIntervalMs} ms), budget ${budgetMs} ms`);
    await phase({ ...common, durationMs: 2000, hostileSessions: 0, normal, hostile });
    await sampler.waitDrained(30000);
    const alone = await phase({ ...common, hostileSessions: 0, normal, hostile, watch });
    await waitSettled(watch, 30000);
    const sizeBefore = statSync(d.dbFile).size;
    const withHostile = await phase({ ...common, hostileSessions, normal, hostile, watch });
    const drained = await waitSettled(watch, 300000);
    const ok = (rs, kind) => rs.filter((r) => r.code === 250 && (kind === 'normal' ? r.kind === 'normal' : r.kind !== 'normal'));
    const id0 = Math.min(...withHostile.filter((r) => r.id != null).map((r) => r.id));
    const db = new Database(d.dbFile, { readonly: true });
    const states = db.prepare(`SELECT state, count(*) AS n FROM messages WHERE id >= ? GROUP BY state`).all(id0);
    const errors = db.prepare(`SELECT error, count(*) AS n FROM messages WHERE id >= ? AND error IS NOT NULL GROUP BY error ORDER BY n DESC LIMIT 10`).all(id0);
    // Ordinary reports (the Postfix fixtures, under 64 KB) that did not end processed: with a
    // small budget on a loaded machine, a thread kept from the CPU can overrun it too.
    const ordinaryIds = new Set(ok(withHostile, 'normal').map((r) => r.id));
    const ordinaryNotProcessed = db
      .prepare(`SELECT id, state FROM messages WHERE id >= ? AND size < 65536 AND state NOT IN ('processed', 'duplicate')`)
      .all(id0)
      .filter((r) => ordinaryIds.has(r.id)).length;
    const records = db.prepare(`SELECT count(*) FROM bounces b JOIN messages m ON m.id = b.message_row WHERE m.id >= ?`).pluck().get(id0);
    const maxRecords = db.prepare(`SELECT max(n) FROM (SELECT count(*) AS n FROM bounces WHERE message_row >= ? GROUP BY message_row)`).pluck().get(id0);
    const maxText = db.prepare(`SELECT max(max(length(diagnostic)), max(length(reporting_mta)), max(length(recipient))) FROM bounces WHERE message_row >= ?`).pluck().get(id0);
    // (null on a build from before the output bounds: no such column)
    const hasWarning = db.prepare(`SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'warning'`).pluck().get() > 0;
    const warnings = hasWarning ? db.prepare(`SELECT count(*) FROM messages WHERE id >= ? AND warning IS NOT NULL`).pluck().get(id0) : null;
    db.close();
    const abandoned = { budget: await metric(PORTS.hostileHttp, 'bounced_parse_abandoned_total', 'cause="budget"'), crash: await metric(PORTS.hostileHttp, 'bounced_parse_abandoned_total', 'cause="crash"') };

    const a = stats(ok(alone, 'normal').map((r) => r.ms));
    const b = stats(ok(withHostile, 'normal').map((r) => r.ms));
    const hostileAck = stats(ok(withHostile, 'hostile').map((r) => r.ms));
    const settleMs = (rs) => rs.filter((r) => r.id != null && watch.settledAt.has(r.id)).map((r) => watch.settledAt.get(r.id) - r.ackAt);
    const settledNormal = stats(settleMs(ok(withHostile, 'normal')));
    const settledHostile = stats(settleMs(ok(withHostile, 'hostile')));
    const settledAlone = stats(settleMs(ok(alone, 'normal')));
    const perKind = Object.fromEntries(Object.keys(kinds).map((k) => [k, withHostile.filter((r) => r.kind === k && r.code === 250).length]));
    const result = {
      meta: { durationMs, sessions, hostileSessions, hostileIntervalMs, budgetMs, scale, hostileSizes: Object.fromEntries(hostile.map((m) => [m.kind, m.data.length])) },
      ordinary250: { alone: a, withHostile: b, ratio: { p50: ratio(b.p50, a.p50), p99: ratio(b.p99, a.p99), max: ratio(b.max, a.max) } },
      hostile250: hostileAck,
      hostileSent: perKind,
      refused: withHostile.filter((r) => r.code !== 250).length + alone.filter((r) => r.code !== 250).length,
      settledMs: { ordinaryAlone: settledAlone, ordinaryWithHostile: settledNormal, hostile: settledHostile, worst: Math.max(settledNormal.max ?? 0, settledHostile.max ?? 0), allSettled: drained },
      outcome: { states: Object.fromEntries(states.map((s) => [s.state, s.n])), ordinaryNotProcessed, errors, records, maxRecordsPerMessage: maxRecords, maxTextChars: maxText, messagesWithWarning: warnings, abandoned },
      dbGrowthMB: round((statSync(d.dbFile).size - sizeBefore) / 2 ** 20, 1),
      peakRssMB: round(sampler.peakHwm() / 2 ** 20, 1),
    };
    log(`hostile: ordinary 250 ms alone p50 ${a.p50} p99 ${a.p99} max ${a.max} (n ${a.n}); with hostile p50 ${b.p50} p99 ${b.p99} max ${b.max} (n ${b.n}); ratio p50 ${result.ordinary250.ratio.p50} p99 ${result.ordinary250.ratio.p99} max ${result.ordinary250.ratio.max}`);
    log(`hostile: 250 -> settled ms: ordinary alone max ${settledAlone.max}; with hostile ordinary p50 ${settledNormal.p50} p99 ${settledNormal.p99} max ${settledNormal.max}; hostile p50 ${settledHostile.p50} max ${settledHostile.max}; worst ${result.settledMs.worst}`);
    log(`hostile: sent ${JSON.stringify(perKind)}; states ${JSON.stringify(result.outcome.states)} (ordinary not processed: ${ordinaryNotProcessed}); abandoned ${JSON.stringify(abandoned)}; records ${records} (at most ${maxRecords} per message, text at most ${maxText} chars); db +${result.dbGrowthMB} MB; peak RSS ${result.peakRssMB} MB`);
    return result;
  } finally {
    watch.close();
    sampler.close();
    await d.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runHostile(parseArgs());
  console.log(JSON.stringify(result));
}

#!/usr/bin/env node
// 5. Big message: a 25 MB bounce (a Postfix-style DSN returning the full original, which
// carries a large attachment) sent over SMTP to bounced
//   - with the default size limit (30 MB): accepted, stored, classified;
//   - with BOUNCED_SMTP_MAX_MESSAGE_BYTES=10485760: refused with 552 after DATA, and also
//     with SIZE= declared on MAIL FROM (refused before any data is sent).
// Reports the reply, and bounced's peak RSS growth (VmHWM after, minus VmRSS before; the
// high-water mark is reset through /proc/<pid>/clear_refs after a warm-up message) relative
// to the message size. The message is built at run time in bench/tmp, never committed.
//
//   node bench/bigmsg.mjs [--quick] [--mb 25]     (--quick skips the SIZE-declared case)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import Database from 'better-sqlite3';
import { BOUNCE_DOMAIN, freshDir, log, parseArgs, PORTS, POSTFIX_FIXTURES, procMem, round, runNodeJson, sleep, startBounced } from './lib/common.mjs';
import { saveSection } from './lib/report.mjs';
import { Sampler } from './lib/sampler.mjs';

const build = (mail) => new Promise((res, rej) => new MailComposer(mail).compile().build((e, m) => (e ? rej(e) : res(m))));

/** Deterministic incompressible bytes (what a returned PDF or ZIP looks like to us). */
function noise(n) {
  const b = Buffer.allocUnsafe(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, Math.min(i, n - 4));
  }
  return b;
}

/** A DSN of about `bytes` bytes: Postfix's report shape, the original returned in full. */
export async function buildBigBounce(bytes) {
  // base64 with 76-char lines grows 4/3 * 78/76; keep ~40 KB for the rest.
  const attachment = Math.floor(((bytes - 40_000) * 3 * 76) / (4 * 78));
  const original = await build({
    from: 'Newsletter <news@sender.example>',
    to: 'rcpt-552@reject.test',
    subject: 'Quarterly report (with the full data set attached)',
    messageId: '<big-original-1@sender.example>',
    headers: { 'Return-Path': `<bounces+big-1@${BOUNCE_DOMAIN}>` },
    text: 'Please find the data set attached.\n',
    attachments: [{ filename: 'dataset.zip', contentType: 'application/zip', content: noise(attachment) }],
  });
  const status = [
    'Reporting-MTA: dns; mta.test',
    'X-Postfix-Queue-ID: 4BB1E216866',
    `X-Postfix-Sender: rfc822; bounces+big-1@${BOUNCE_DOMAIN}`,
    'Arrival-Date: Mon, 23 Nov 2026 02:44:41 +0000 (UTC)',
    '',
    'Final-Recipient: rfc822; rcpt-552@reject.test',
    'Original-Recipient: rfc822;rcpt-552@reject.test',
    'Action: failed',
    'Status: 5.2.2',
    'Remote-MTA: dns; mx.reject.test',
    'Diagnostic-Code: smtp; 552 5.2.2 <rcpt-552@reject.test>: Mailbox full',
    '',
  ].join('\r\n');
  const composer = new MailComposer({
    from: 'Mail Delivery System <MAILER-DAEMON@mta.test>',
    to: `bounces+big-1@${BOUNCE_DOMAIN}`,
    subject: 'Undelivered Mail Returned to Sender',
    messageId: '<20261123024441.4BB1E216866@mta.test>',
    headers: { 'Auto-Submitted': 'auto-replied' },
    text: "This is the mail system at host mta.test.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\n<rcpt-552@reject.test>: host mx.reject.test said: 552 5.2.2 Mailbox full\n",
    attachments: [
      { contentType: 'message/delivery-status', content: status, contentDisposition: 'inline', headers: { 'Content-Description': 'Delivery report' } },
      { contentType: 'message/rfc822', content: original, contentDisposition: 'inline', headers: { 'Content-Description': 'Undelivered Message' } },
    ],
  });
  const root = composer.compile();
  // MailComposer makes multipart/mixed; a DSN is multipart/report (RFC 3462).
  root.setHeader('Content-Type', 'multipart/report; report-type=delivery-status');
  return new Promise((res, rej) => root.build((e, m) => (e ? rej(e) : res(m))));
}

async function oneCase({ name, file, size, env, declareSize, dir }) {
  const dataDir = join(dir, `data-${name}`);
  const d = await startBounced({ smtpPort: PORTS.bigSmtp, httpPort: PORTS.bigHttp, dataDir, env });
  try {
    // Warm up (load the parser, first transaction) with a small real DSN, then reset VmHWM.
    const small = join(POSTFIX_FIXTURES, 's02-remote-rcpt550--failed.eml');
    const smallList = join(dir, 'small.json');
    writeFileSync(smallList, JSON.stringify([small]));
    await runNodeJson('smtp-load.mjs', ['--port', String(PORTS.bigSmtp), '--sessions', '1', '--count', '3', '--files', smallList]);
    const sampler = new Sampler({ pid: d.pid, dbFile: d.dbFile, everyMs: 50 });
    await sampler.waitDrained(10000);
    await sleep(300);
    let reset = true;
    try {
      writeFileSync(`/proc/${d.pid}/clear_refs`, '5');
    } catch {
      reset = false; // not root: VmHWM then includes start-up
    }
    const before = procMem(d.pid);
    sampler.start();
    const list = join(dir, 'big.json');
    writeFileSync(list, JSON.stringify([file]));
    const r = await runNodeJson('smtp-load.mjs', ['--port', String(PORTS.bigSmtp), '--sessions', '1', '--count', '1', '--files', list, ...(declareSize ? ['--declare-size'] : [])], { timeoutMs: 120000 });
    const drainedAt = await sampler.waitDrained(60000);
    await sleep(300);
    sampler.sample();
    sampler.close();
    const after = procMem(d.pid);
    const db = new Database(d.dbFile, { readonly: true });
    const last = db.prepare(`SELECT id, size, state, kind, detector, error FROM messages ORDER BY id DESC LIMIT 1`).get();
    const bounce = last?.size > 1e6 ? db.prepare(`SELECT recipient, status, reason, type FROM bounces WHERE message_row = ?`).get(last.id) : null;
    db.close();
    const peak = Math.max(after?.hwm ?? 0, sampler.peakHwm() ?? 0);
    const growth = peak - (before?.rss ?? 0);
    const code = Object.keys(r.codes)[0] ?? null;
    return {
      name,
      messageBytes: size,
      limit: env.BOUNCED_SMTP_MAX_MESSAGE_BYTES ? Number(env.BOUNCED_SMTP_MAX_MESSAGE_BYTES) : 31457280,
      declareSize: Boolean(declareSize),
      reply: code,
      accepted: r.ok === 1,
      dataToReplyMs: r.latencyMs.p50,
      clientS: r.elapsedS,
      processedS: drainedAt && r.ok ? round((drainedAt - r.endedAt) / 1000, 2) : null,
      stored: last && last.size > 1e6 ? { state: last.state, kind: last.kind, detector: last.detector, error: last.error, bounce } : null,
      rssBeforeMB: round((before?.rss ?? 0) / 2 ** 20, 1),
      peakRssMB: round(peak / 2 ** 20, 1),
      growthMB: round(growth / 2 ** 20, 1),
      growthOverSize: round(growth / size, 2),
      hwmReset: reset,
    };
  } finally {
    await d.stop();
  }
}

export async function runBigmsg(opts = {}) {
  const mb = Number(opts.mb ?? 25);
  const dir = freshDir('bigmsg');
  const file = join(dir, 'big-bounce.eml');
  const msg = await buildBigBounce(mb * 2 ** 20);
  writeFileSync(file, msg);
  const size = readFileSync(file).length;
  log(`bigmsg: built a ${round(size / 2 ** 20, 2)} MB DSN at ${file}`);
  const cases = [];
  cases.push(await oneCase({ name: 'default-30MB', file, size, env: {}, dir }));
  cases.push(await oneCase({ name: 'limit-10MB', file, size, env: { BOUNCED_SMTP_MAX_MESSAGE_BYTES: '10485760' }, dir }));
  if (!opts.quick) cases.push(await oneCase({ name: 'limit-10MB-SIZE-declared', file, size, env: { BOUNCED_SMTP_MAX_MESSAGE_BYTES: '10485760' }, declareSize: true, dir }));
  for (const c of cases) {
    log(
      `bigmsg ${c.name.padEnd(25)} reply ${c.reply}  RSS ${c.rssBeforeMB} -> peak ${c.peakRssMB} MB (growth ${c.growthMB} MB = ${c.growthOverSize} x message)` +
        (c.stored ? `  stored ${c.stored.state}/${c.stored.kind}/${c.stored.detector} in ${c.processedS} s` : ''),
    );
  }
  const acc = cases[0];
  const targets = {
    acceptedAtDefault: { value: acc.reply, target: '250', met: acc.reply === '250' },
    refusedAt10MB: { value: cases[1].reply, target: '552', met: cases[1].reply === '552' },
    rssGrowthOverSize: { value: acc.growthOverSize, target: '< 2', met: acc.growthOverSize < 2 },
  };
  return { messageBytes: size, cases, targets };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs();
  const result = await runBigmsg(args);
  const file = saveSection('bigmsg', result, { quick: Boolean(args.quick) });
  console.log(JSON.stringify(result, null, 1));
  log(`bigmsg: results in ${file}`);
}

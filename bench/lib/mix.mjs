// The real mix (issue #20): what a sender's bounce domain receives, as distinct reports.
//
// Every message is built from a MailComposer template (STYLE.md: synthetic DSNs come from
// nodemailer's MailComposer, not hand-typed MIME): each template is composed ONCE with
// placeholders (`zz<name>zz`) where a report differs from the next (the signed return path,
// the failed recipient, the Message-IDs, the queue id), and each message is the template with
// its own values joined in. That is also what real reports look like: a campaign's returned
// original is the same newsletter for everybody, the personal parts sit in the headers and in
// the delivery-status fields. Building 100,000 messages this way takes about a second, so the
// load client builds them all before its clock starts (generation costs nothing during the load).
//
// Streams:
//   verified  every message a distinct verified DSN (Action: failed, 5.x.x) for its own recipient,
//             the return path a signed VERP token for that recipient: each makes a bounce record,
//             a delivery, a suppression and an event. The stream of the #20 targets.
//   mix       the shares below: what a bounce domain really receives.
//   (the growth bench runs `verified` with one account.)
//
// The shares of `mix` (SHARES) are an assumption, not a measurement: per 1,000 marketing sends,
// about 10 hard bounces (senders are told to stay under 2 %; Gmail and Yahoo's 2024 bulk-sender
// rules), 1.3 delay warnings (only some MTAs send them: Exchange and Sendmail after hours, Postfix
// only with delay_warning_time set), 2 auto-replies (RFC 3834 §4 answers go to the Return-Path,
// i.e. to the token), 0.5 complaints (feedback loops; the bulk-sender rules want < 0.1 % of sends,
// never 0.3 %), 0.5 List-Unsubscribe mails (RFC 8058 one-click usually goes to the URL), 1 piece
// of unverified mail (backscatter for mail we never sent, spam to the bounce domain, a forged or
// damaged token) and 0.6 duplicates (a report resent because the 250 was lost, or relayed twice).
import MailComposer from 'nodemailer/lib/mail-composer';
import { VerpCodec } from '../../dist/verp/index.js';
import { BOUNCE_DOMAIN, VERP_SECRET } from './common.mjs';
import { rng } from '../../scripts/prng.mjs';

/** Shares of the `mix` stream, in percent of all messages (sum 100). */
export const SHARES = {
  failed: 63, // verified hard bounce: record, delivery (hard), suppression, event bounce.hard
  delayed: 8, // verified Action: delayed: record, delivery (pending), event bounce.pending
  autoreply: 12.5, // an out-of-office answer to the return path: stored, no record
  complaint: 3, // ARF abuse report, the token in the reported message's Return-Path
  unsubscribe: 3, // mail to the List-Unsubscribe mailto: (u+token)
  notoken: 3.5, // a DSN to a bounce-domain address without a token (backscatter)
  forged: 3, // a DSN whose token's MAC is wrong
  duplicate: 4, // an earlier failed report again: half the same bytes, half with a relay's Received on top
};
export const KINDS = Object.keys(SHARES);

/** A campaign per this many reports: a 500,000-send campaign bouncing 2 %. */
export const CAMPAIGN_REPORTS = 10_000;
/** A duplicate repeats a report sent at least this many messages earlier (never in flight with it). */
const DUP_DISTANCE = 200;

const verp = new VerpCodec(VERP_SECRET, 'b', 'u');


const FIRST = ['anna', 'ben', 'chloe', 'david', 'emma', 'felix', 'grace', 'hugo', 'iris', 'jonas', 'kim', 'lena', 'max', 'nora', 'omar', 'pia'];
const DOMAINS = ['example.com', 'example.net', 'example.org', 'mail.example', 'post.example', 'web.example', 'inbox.example', 'corp.example'];

/**
 * The plan: one item per message, in sending order. `accounts` accounts; with `bigShare`, that
 * share of the messages goes to account 0 (a large sender among many small ones) and the rest
 * evenly to the others; without, all go evenly to all. Deterministic in (stream, count,
 * accounts, bigShare, seed).
 */
export function planMix({ stream = 'mix', count, accounts = 1000, bigShare = 0, seed = 1 }) {
  const rnd = rng(seed);
  const shares = stream === 'verified' ? { failed: 100 } : SHARES;
  const cum = [];
  let total = 0;
  for (const [k, v] of Object.entries(shares)) cum.push([k, (total += v)]);
  const pick = () => {
    const x = rnd() * total;
    return cum.find(([, c]) => x < c)[0];
  };
  const pad = String(Math.max(1, accounts - 1)).length;
  const accountOf = () => {
    const n = accounts <= 1 ? 0 : bigShare <= 0 ? Math.floor(rnd() * accounts) : rnd() < bigShare ? 0 : 1 + Math.floor(rnd() * (accounts - 1));
    return `acct-${String(n).padStart(pad, '0')}`;
  };
  const items = [];
  const failedIdx = [];
  for (let i = 0; i < count; i++) {
    let kind = pick();
    if (kind === 'duplicate') {
      // the same report again: an earlier failed one far enough back to be settled
      const eligible = failedIdx.length && failedIdx[0] <= i - DUP_DISTANCE;
      if (!eligible) kind = 'failed';
      else {
        let hi = failedIdx.length - 1;
        while (hi > 0 && failedIdx[hi] > i - DUP_DISTANCE) hi--;
        const of = failedIdx[Math.floor(rnd() * (hi + 1))];
        items.push({ i, kind, dupOf: of, relayed: rnd() < 0.5 });
        continue;
      }
    }
    const who = `${FIRST[i % FIRST.length]}.${i.toString(36)}@${DOMAINS[Math.floor(rnd() * DOMAINS.length)]}`;
    const item = { i, kind, account: accountOf(), message: `cmp-${Math.floor(i / CAMPAIGN_REPORTS)}/m-${i}`, recipient: who, variant: Math.floor(rnd() * 1000) };
    if (kind === 'failed') failedIdx.push(i);
    items.push(item);
  }
  return items;
}

/**
 * What the messages of a plan that were answered 250 must leave in bounced's store
 * (`accepted`: anything with has(index), or a count of the first ones).
 */
export function expectedOutcomes(items, accepted) {
  const has = typeof accepted === 'number' ? (i) => i < accepted : (i) => accepted.has(i);
  const n = Object.fromEntries(KINDS.map((k) => [k, 0]));
  let messages = 0;
  for (const it of items) {
    if (!has(it.i)) continue;
    messages++;
    // a copy whose first was refused is the first bounced sees
    n[it.kind === 'duplicate' && !has(it.dupOf) ? 'failed' : it.kind]++;
  }
  return {
    messages,
    byKind: n,
    verifiedRecords: n.failed + n.delayed + n.complaint,
    unverifiedRecords: n.notoken + n.forged,
    deliveries: n.failed + n.delayed,
    suppressions: n.failed + n.complaint + n.unsubscribe,
    // bounce.hard, bounce.pending, complaint, unsubscribe; the account.warning and
    // account.suspended events that blocklist bounces and cancelled campaigns cause (once per
    // account) are not counted here
    events: n.failed + n.delayed + n.complaint + n.unsubscribe,
    duplicates: n.duplicate,
  };
}

// ---- templates ------------------------------------------------------------------------------

const build = (node) => new Promise((res, rej) => node.build((e, m) => (e ? rej(e) : res(m))));
const prepared = (value) => ({ prepared: true, value });
const PH = /zz([a-z]+)zz/g;

/** Deterministic newsletter prose, lines of at most 70 characters. */
function prose(bytes, seed) {
  const words = 'the of and to our new this week offer your now free more shop store season sale order delivery collection autumn winter spring summer colour size style update news members exclusive price today online guide tips story'.split(' ');
  const rnd = rng(seed);
  const lines = [];
  let line = '';
  let n = 0;
  while (n < bytes) {
    const w = words[Math.floor(rnd() * words.length)];
    if (line.length + w.length + 1 > 70) {
      lines.push(line);
      n += line.length + 2;
      line = '';
    }
    line += (line ? ' ' : '') + w;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/** Wraps prose at 72 columns (continuation lines indented, as Postfix's bounce(8) does). */
function wrap(text, indent = '    ') {
  const out = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const w of para.split(' ')) {
      if (line && line.length + 1 + w.length > 72) {
        out.push(line);
        line = indent + w;
      } else line += (line ? ' ' : '') + w;
    }
    out.push(line);
  }
  return out.join('\n');
}

/**
 * The campaign's newsletter as the sender sent it (text + HTML), about `bytes` long; with
 * `headersOnly` only its header block (what a DSN returns with RET=HDRS, or an MTA that
 * returns headers only).
 */
async function original(bytes, { headersOnly }) {
  const textBytes = Math.round(bytes * 0.25);
  const htmlBytes = Math.max(0, Math.round((bytes - textBytes - 1000) / 1.35));
  const html = `<html><body>\n<table width="600">\n${prose(htmlBytes, 7)
    .split('\n')
    .map((l) => `<tr><td><p>${l}</p></td></tr>`)
    .join('\n')}\n</table>\n</body></html>\n`;
  const mc = new MailComposer({
    from: 'Shop News <news@shop.example>',
    to: 'zzrcptzz@zzrdomzz',
    subject: 'Our autumn collection is here',
    date: new Date('2026-11-20T09:00:00Z'),
    headers: {
      'Message-ID': prepared('<zzorigmidzz@mta.shop.example>'),
      'Return-Path': prepared('<zztokenzz@zztdomzz>'),
      'List-Unsubscribe': prepared('<mailto:zzunsubzz@zzudomzz>'),
    },
    text: headersOnly ? 'x' : prose(textBytes, 3),
    html: headersOnly ? undefined : html,
  });
  const raw = (await build(mc.compile())).toString('latin1');
  if (headersOnly) return raw.slice(0, raw.indexOf('\r\n\r\n') + 2);
  const received =
    'Received: from app.shop.example (app.shop.example [192.0.2.20])\r\n\tby mta.shop.example (Postfix) with ESMTP id zzqidzz\r\n\tfor <zzrcptzz@zzrdomzz>; Fri, 20 Nov 2026 09:00:01 +0000 (UTC)\r\n';
  return received + raw;
}

const FAILED_VARIANTS = [
  // [status, diagnostic, share of 1000]: address reasons dominate real hard bounces
  ['5.1.1', 'smtp; 550 5.1.1 <zzrcptzz@zzrdomzz>: Recipient address rejected: User unknown in virtual mailbox table', 550],
  ['5.1.1', "smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos", 150],
  ['5.2.2', 'smtp; 552 5.2.2 <zzrcptzz@zzrdomzz>: Mailbox full', 100],
  ['5.7.1', 'smtp; 550 5.7.1 Message rejected as spam by Content Filtering', 80],
  ['5.4.4', 'x-postfix; Host or domain name not found. Name service error for name=zzrdomzz type=AAAA: Host not found', 70],
  ['5.7.1', 'smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.20] blocked using zen.spamhaus.example', 50],
];
const DELAYED_VARIANTS = [
  ['4.4.1', 'X-Postfix; connect to mx.zzrdomzz[198.51.100.7]:25: Connection timed out', 600],
  ['4.2.2', 'smtp; 452 4.2.2 <zzrcptzz@zzrdomzz>: Mailbox full, try again later', 250],
  ['4.7.0', 'smtp; 421 4.7.0 Try again later, closing connection', 150],
];
const pickVariant = (variants, v) => {
  let c = 0;
  for (let k = 0; k < variants.length; k++) if (v < (c += variants[k][2])) return k;
  return 0;
};

/** A Postfix-style RFC 3464 report (bounce(8)'s texts); `origBytes` 0 returns the original's headers only. */
async function dsnTemplate({ action, status, diagnostic, origBytes }) {
  const failed = action === 'failed';
  const headersOnly = origBytes === 0;
  const orig = await original(origBytes, { headersOnly });
  const why = wrap(`<zzrcptzz@zzrdomzz>: ${diagnostic.replace(/^[^;]+; /, '')}`);
  const text = failed
    ? `This is the mail system at host mx1.relay.example.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\n                   The mail system\n\n${why}\n`
    : `This is the mail system at host mx1.relay.example.\n\n# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n\nYour message could not be delivered for more than 4 hour(s).\nIt will be retried until it is 5 day(s) old.\n\n${why}\n`;
  const status822 = [
    'Reporting-MTA: dns; mx1.relay.example',
    'X-Postfix-Queue-ID: zzqidzz',
    'X-Postfix-Sender: rfc822; zztokenzz@zztdomzz',
    'Arrival-Date: Fri, 20 Nov 2026 09:00:01 +0000 (UTC)',
    '',
    'Final-Recipient: rfc822; zzrcptzz@zzrdomzz',
    'Original-Recipient: rfc822;zzrcptzz@zzrdomzz',
    `Action: ${action}`,
    `Status: ${status}`,
    'Remote-MTA: dns; mx.zzrdomzz',
    `Diagnostic-Code: ${diagnostic}`,
    ...(failed ? [] : ['Will-Retry-Until: Wed, 25 Nov 2026 09:00:01 +0000 (UTC)']),
    '',
  ].join('\r\n');
  const mc = new MailComposer({
    from: 'Mail Delivery System <MAILER-DAEMON@mx1.relay.example>',
    to: 'zztokenzz@zztdomzz',
    subject: failed ? 'Undelivered Mail Returned to Sender' : 'Delayed Mail (still being retried)',
    date: new Date('2026-11-20T09:00:05Z'),
    headers: { 'Message-ID': prepared('<zzmidzz@mx1.relay.example>'), 'Auto-Submitted': 'auto-replied' },
    text,
    attachments: [
      { contentType: 'message/delivery-status', content: status822, contentDisposition: 'inline', contentTransferEncoding: '7bit', filename: false, headers: { 'Content-Description': 'Delivery report' } },
      headersOnly
        ? { contentType: 'text/rfc822-headers', content: orig, contentDisposition: 'inline', contentTransferEncoding: '7bit', filename: false, headers: { 'Content-Description': 'Undelivered Message Headers' } }
        : { contentType: 'message/rfc822', content: orig, contentDisposition: 'inline', contentTransferEncoding: '7bit', filename: false, headers: { 'Content-Description': 'Undelivered Message' } },
    ],
  });
  const root = mc.compile();
  // MailComposer makes multipart/mixed; a DSN is multipart/report (RFC 3462, RFC 3464 §2).
  root.setHeader('Content-Type', 'multipart/report; report-type=delivery-status');
  return build(root);
}

/** RFC 5965 abuse report from a feedback loop; the reported message carries the token in its Return-Path. */
async function arfTemplate({ origBytes }) {
  const headersOnly = origBytes === 0;
  const orig = await original(origBytes, { headersOnly });
  const fields = [
    'Feedback-Type: abuse',
    'User-Agent: ExampleFBL/2.1',
    'Version: 1',
    'Original-Mail-From: <zztokenzz@zztdomzz>',
    'Original-Rcpt-To: <zzrcptzz@zzrdomzz>',
    'Arrival-Date: Fri, 20 Nov 2026 09:00:02 +0000',
    'Reporting-MTA: dns; fbl.mailbox.example',
    'Source-IP: 192.0.2.20',
    'Reported-Domain: shop.example',
    '',
  ].join('\r\n');
  const mc = new MailComposer({
    from: 'Feedback Loop <fbl@fbl.mailbox.example>',
    to: `fbl@${BOUNCE_DOMAIN}`,
    subject: 'Complaint about message from 192.0.2.20',
    date: new Date('2026-11-20T11:00:00Z'),
    headers: { 'Message-ID': prepared('<zzmidzz@fbl.mailbox.example>') },
    text: 'This is an email abuse report for an email message received from\nIP 192.0.2.20 on Fri, 20 Nov 2026 09:00:02 +0000. For more information\nabout this format please see https://www.rfc-editor.org/rfc/rfc5965\n',
    attachments: [
      { contentType: 'message/feedback-report', content: fields, contentDisposition: 'inline', contentTransferEncoding: '7bit', filename: false },
      { contentType: headersOnly ? 'text/rfc822-headers' : 'message/rfc822', content: orig, contentDisposition: 'inline', contentTransferEncoding: '7bit', filename: false },
    ],
  });
  const root = mc.compile();
  root.setHeader('Content-Type', 'multipart/report; report-type=feedback-report');
  return build(root);
}

/** An RFC 3834 out-of-office answer sent to the return path, quoting the newsletter's text. */
async function autoReplyTemplate({ origBytes }) {
  const quoted = origBytes > 0 ? '\n\n-----Original Message-----\n' + prose(origBytes, 11).split('\n').map((l) => `> ${l}`).join('\n') : '';
  const mc = new MailComposer({
    from: 'zzrcptzz@zzrdomzz',
    to: 'zztokenzz@zztdomzz',
    subject: 'Automatic reply: Our autumn collection is here',
    date: new Date('2026-11-20T09:01:00Z'),
    headers: {
      'Message-ID': prepared('<zzmidzz@zzrdomzz>'),
      'In-Reply-To': prepared('<zzorigmidzz@mta.shop.example>'),
      'Auto-Submitted': 'auto-replied',
      'X-Auto-Response-Suppress': 'All',
    },
    text: `Thank you for your message. I am out of the office until 30 November\nwith limited access to e-mail. For urgent matters please call the office.\n\nBest regards${quoted}\n`,
  });
  return build(mc.compile());
}

/** Mail to the List-Unsubscribe mailto: (RFC 2369), as a mail client sends it. */
async function unsubscribeTemplate() {
  const mc = new MailComposer({
    from: 'zzrcptzz@zzrdomzz',
    to: 'zzunsubzz@zzudomzz',
    subject: 'unsubscribe',
    date: new Date('2026-11-20T10:00:00Z'),
    headers: { 'Message-ID': prepared('<zzmidzz@zzrdomzz>') },
    text: 'This message was automatically generated by your mail client\nto unsubscribe you from this list.\n',
  });
  return build(mc.compile());
}

/**
 * Splits a built message at its placeholders, dot-stuffs it (RFC 5321 §4.5.2: a line starting
 * with "." gets another; no value ever starts a line with one) and makes sure it ends in CRLF.
 */
function compileTemplate(buf) {
  let s = buf.toString('latin1').replace(/\r?\n/g, '\r\n');
  if (!s.endsWith('\r\n')) s += '\r\n';
  s = s.replace(/(^|\r\n)\./g, '$1..');
  const parts = [];
  let last = 0;
  for (const m of s.matchAll(PH)) {
    parts.push(Buffer.from(s.slice(last, m.index), 'latin1'), m[1]);
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(s.slice(last), 'latin1'));
  // A quoted-printable soft break or base64 would split or hide a placeholder: every "zz"
  // must belong to a whole one (the parts that carry them are 7bit by construction).
  if (s.split('zz').length - 1 !== parts.filter((p) => typeof p === 'string').length * 2) throw new Error(`mix: a placeholder was encoded:\n${s.slice(0, 2000)}`);
  return parts;
}

/** About how long each placeholder's value is (to size a template before it is filled). */
const VALUE_LENGTH = { token: 86, tdom: 12, unsub: 86, udom: 12, rcpt: 10, rdom: 11, mid: 14, origmid: 14, qid: 7, campaign: 5 };
const filledLength = (buf) => {
  const s = buf.toString('latin1');
  let n = s.length;
  for (const m of s.matchAll(PH)) n += (VALUE_LENGTH[m[1]] ?? 10) - m[0].length;
  return n;
};

/**
 * Builds a template whose messages are about `size` bytes: the returned original (or the
 * quote) is sized from a first build, then built again. Below 4 KB a report returns the
 * original's headers only (RET=HDRS, or an MTA that returns headers), so it is as long as it
 * is (about 2.1 KB); an auto-reply has no such form and quotes up to the size.
 */
async function sized(make, size, { quotes = false } = {}) {
  if (size <= 4096 && !quotes) return make(0);
  let body = Math.max(100, size - 2500);
  let t = await make(body);
  for (let k = 0; k < 3; k++) {
    body = Math.max(100, body + (size - filledLength(t)));
    t = await make(body);
  }
  return t;
}

/** All templates of one size class (2048 or 20480), keyed `${kind}:${variant}`. */
export async function buildTemplates(size) {
  const t = {};
  for (const [k, [status, diag]] of FAILED_VARIANTS.entries()) {
    t[`failed:${k}`] = compileTemplate(await sized((origBytes) => dsnTemplate({ action: 'failed', status, diagnostic: diag, origBytes }), size));
  }
  for (const [k, [status, diag]] of DELAYED_VARIANTS.entries()) {
    t[`delayed:${k}`] = compileTemplate(await sized((origBytes) => dsnTemplate({ action: 'delayed', status, diagnostic: diag, origBytes }), size));
  }
  t['complaint:0'] = compileTemplate(await sized((origBytes) => arfTemplate({ origBytes }), size));
  t['autoreply:0'] = compileTemplate(await sized((origBytes) => autoReplyTemplate({ origBytes }), size, { quotes: true }));
  t['unsubscribe:0'] = compileTemplate(await unsubscribeTemplate());
  return t;
}

function fill(parts, values) {
  const out = [];
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k];
    if (typeof p !== 'string') out.push(p);
    else {
      const v = values[p];
      if (v === undefined) throw new Error(`mix: no value for placeholder ${p}`);
      out.push(Buffer.from(v, 'latin1'));
    }
  }
  return Buffer.concat(out);
}

const split = (addr) => {
  const at = addr.lastIndexOf('@');
  return [addr.slice(0, at), addr.slice(at + 1)];
};

/** A token whose payload is well formed but whose MAC is not ours. */
function forgedToken(fields) {
  const good = verp.encode(fields, BOUNCE_DOMAIN);
  const [local, domain] = split(good);
  const dot = local.lastIndexOf('.');
  const mac = local.slice(dot + 1);
  const bad = [...mac].map((c) => (c === 'a' ? 'b' : 'a')).join('');
  return `${local.slice(0, dot + 1)}${bad}@${domain}`;
}

/**
 * The messages of a plan: `{ from, rcpt, data }` (data dot-stuffed, CRLF, without the final
 * "."). `runTag` makes the report and original Message-IDs unique per run of the same plan.
 */
export function buildMessages(items, templates, { runTag = 'r' } = {}) {
  const out = new Array(items.length);
  for (const it of items) {
    if (it.kind === 'duplicate') {
      const first = out[it.dupOf];
      const data = it.relayed
        ? Buffer.concat([Buffer.from(`Received: from mx2.relay.example (mx2.relay.example [203.0.113.9])\r\n\tby mx.${BOUNCE_DOMAIN} with ESMTP id R${it.i.toString(36)}; Fri, 20 Nov 2026 09:10:00 +0000\r\n`, 'latin1'), first.data])
        : first.data;
      out[it.i] = { from: first.from, rcpt: first.rcpt, data };
      continue;
    }
    const fields = { account: it.account, message: it.message, recipient: it.recipient };
    const [rcptLocal, rcptDomain] = split(it.recipient);
    const signed = verp.encode(fields, BOUNCE_DOMAIN);
    const token =
      it.kind === 'forged' ? forgedToken(fields)
        : it.kind === 'notoken' ? `${['newsletter', 'info', 'noreply', 'postmaster'][it.variant % 4]}@${BOUNCE_DOMAIN}`
          : signed;
    const unsub = verp.encodeUnsubscribe(fields, BOUNCE_DOMAIN);
    const [tokLocal, tokDomain] = split(token);
    const [unLocal, unDomain] = split(unsub);
    const values = {
      token: tokLocal, tdom: tokDomain, unsub: unLocal, udom: unDomain, rcpt: rcptLocal, rdom: rcptDomain,
      mid: `${runTag}.${it.i.toString(36)}.${it.kind}`, origmid: `${it.i.toString(36)}.${it.account}`,
      qid: (0x4b00000 + it.i).toString(16).toUpperCase(), campaign: it.message.split('/')[0],
    };
    let key;
    if (it.kind === 'failed' || it.kind === 'forged' || it.kind === 'notoken') key = `failed:${pickVariant(FAILED_VARIANTS, it.variant)}`;
    else if (it.kind === 'delayed') key = `delayed:${pickVariant(DELAYED_VARIANTS, it.variant)}`;
    else key = `${it.kind}:0`;
    const data = fill(templates[key], values);
    let from = '';
    let rcpt = token;
    if (it.kind === 'complaint') {
      from = 'fbl-bounces@fbl.mailbox.example';
      rcpt = `fbl@${BOUNCE_DOMAIN}`;
    } else if (it.kind === 'unsubscribe') {
      from = it.recipient;
      rcpt = unsub;
    }
    out[it.i] = { from, rcpt, data };
  }
  return out;
}

/** Plan + templates + messages in one call (what the load client does before its clock starts). */
export async function makeMix({ stream, size, count, accounts, bigShare, seed, runTag }) {
  const items = planMix({ stream, count, accounts, bigShare, seed });
  const templates = await buildTemplates(size);
  return { items, messages: buildMessages(items, templates, { runTag }) };
}

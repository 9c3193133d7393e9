// Sendmail's RFC 3464 reports, for the quirks the generic reader cannot see. Sendmail writes a
// proper message/delivery-status part, but:
//  - a deferred-then-expired message ("Message could not be delivered for 5 days") often has
//    no Diagnostic-Code: the reason is only in the session transcript, on the line
//    `<addr>... Deferred: Connection refused by mx.example.jp.`;
//  - a local mailer failure gives `Diagnostic-Code: X-Unix; 255` (an exit status) and
//    `Status: 5.0.0`, while the transcript ends with sendmail's own summary
//    `554 5.3.0 unknown mailer error 255`.
// The transcript is the text after "----- Transcript of session follows -----":
//   ... while talking to mx.example.jp.:
//   >>> RCPT To:<kijitora@example.jp>
//   <<< 550 5.1.1 <kijitora@example.jp>... User unknown
//   550 5.1.1 <kijitora@example.jp>... User unknown
//  - a multi-line reply (RFC 5321 §4.2.1: `550-first line`, ..., `550 last line`) reaches the
//    Diagnostic-Code, the "(reason: ...)" line and the `<addr>... Deferred:` line with its
//    FIRST line only; the transcript has every line (`<<< 550-...` ... `<<< 550 ...`);
//  - after a deferral, the Diagnostic-Code is the last reply of the session, often the answer
//    to QUIT (`221 2.0.0 Bye`), and the cause is only on the `<addr>... Deferred:` line;
//  - a recipient still queued ("Deferred:" in the transcript of another recipient's failure
//    report) has no per-recipient block: it did not fail, and is not read from the transcript.
// Everything else is left to ./rfc3464.ts, whose result this detector refines: wherever that
// reader finds the fields, a message/delivery-status part or the text (the part relabelled
// text/plain, or the whole report forwarded inline), the transcript beside them completes them.
import type { RecipientReport } from '../../report.js';
import { findAddresses, findReplyCode, oneLine } from '../smtp-text.js';
import { detectRfc3464, preferStatus } from './rfc3464.js';
import type { DetectorResult, MailView } from './types.js';

const TRANSCRIPT = /^[ \t]*-{3,} ?Transcript of session follows ?-{3,}[ \t]*$/im;

/** The transcript lines (up to the end of the report text), or null. */
function transcriptOf(view: MailView): string[] | null {
  const m = TRANSCRIPT.exec(view.reportText);
  if (!m) return null;
  return view.reportText
    .slice(m.index + m[0].length, m.index + m[0].length + 20_000)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * A diagnostic that says nothing about the failure: empty, a bare exit status, a success reply
 * (`221 2.0.0 Bye`: the answer to QUIT, the session's last reply), or only the address with
 * Sendmail's empty `(reason: )`.
 */
function isUninformative(r: RecipientReport): boolean {
  const d = (r.diagnosticCode ?? '').trim();
  if (!d || /^\d{1,3}$/.test(d) || (r.diagnosticType === 'x-unix' && !/[a-z]{3}/i.test(d))) return true;
  if (/^[23]\d\d[ -]/.test(d)) return true;
  return d.length < 400 && !d.replace(/<[^<>\s]*>/g, '').replace(/\(reason:\s*\)/gi, '').trim();
}

/**
 * The first line of a multi-line reply, `550-5.7.1 ...` (a hyphen after the code), at the start
 * of the text or after a lead-in (`<addr>... Deferred: 421-4.7.0 ...`).
 */
const FIRST_OF_MANY = /(?:^|[\s:])([45]\d\d)-\S/;

/**
 * The transcript read once into look-ups by address (a report can list thousands of
 * recipients: searching the transcript per recipient would be quadratic):
 *  - `own`: sendmail's own line for an address, `<addr>... Deferred: reason` / `addr... reason`;
 *  - `reply`: the first remote reply (`<<< ...`) naming the address;
 *  - `summary`: sendmail's closing summary ("554 5.3.0 unknown mailer error 255"), else the
 *    last remote reply: the failure of a report with one recipient;
 *  - `replies`: each multi-line reply whole; `rcptRefused`: the RCPT TO commands refused.
 */
interface Transcript {
  own: Map<string, string>;
  reply: Map<string, string>;
  summary: string | null;
  /** Multi-line replies by their first line (one line, without `<<<`): the whole reply. */
  replies: Map<string, string>;
  /** Addresses whose `>>> RCPT To:<addr>` was answered with a 4xx/5xx reply. */
  rcptRefused: Set<string>;
}

/**
 * A line of a transcript that Sendmail writes with a mark or a shape of its own: a command or a
 * reply, "... while talking to", an address's "<a>... reason" line, the closing summary
 * ("554 5.0.0 Service unavailable"), a section rule, and the sentences of a warning or an expiry.
 */
const MARKED_LINE = /^(?:\s*(?:<|>>>|\.\.\.|-{3,}|[45]\d\d[ -])|\S*\.\.\.|(?:Message (?:could not|will be)|Warning: |Will keep trying))/i;

/** A multi-line reply being read: its first line, code, lines so far and their size. */
interface OpenReply {
  first: string;
  code: string;
  parts: string[];
  size: number;
}

function readTranscript(lines: string[]): Transcript {
  const own = new Map<string, string>();
  const reply = new Map<string, string>();
  let summary: string | null = null;
  let lastReply: string | null = null;
  const replies = new Map<string, string>();
  let open: OpenReply | null = null;
  const rcptRefused = new Set<string>();
  let rcpt: string | null = null; // the address of the last `>>> RCPT To:<...>`, until its reply
  // the `<<<` line just read (or its rest under it): a line with no mark of its own under it is
  // the rest of that line, which a relay or client that re-flowed the text broke (Sendmail
  // writes every reply line with `<<< `)
  let said: { open: OpenReply | null; closed: string | null; text: string; addresses: string[]; last: boolean } | null = null;
  let ownOf: string | null = null; // the address of the "<a>... reason" line just read (the same)
  for (const l of lines) {
    if (ownOf && l.trim() && !MARKED_LINE.test(l)) {
      own.set(ownOf, `${own.get(ownOf)} ${oneLine(l)}`);
      continue;
    }
    ownOf = null;
    if (said && l.trim() && !MARKED_LINE.test(l)) {
      const more = oneLine(l);
      said.text += ' ' + more;
      if (said.open) {
        said.open.parts[said.open.parts.length - 1] += ' ' + more;
        if (said.open.parts.length === 1) said.open.first = said.text;
        open = said.open;
      } else if (said.closed !== null && replies.get(said.closed) !== undefined) {
        replies.set(said.closed, `${replies.get(said.closed)} ${more}`);
      }
      for (const a of said.addresses) if (reply.get(a) !== undefined) reply.set(a, `${reply.get(a)} ${more}`);
      if (said.last) lastReply = said.text;
      continue;
    }
    said = null;
    if (l.startsWith('>>>')) {
      const m = /^>>>\s*RCPT\s+TO:\s*<([^<>\r\n]{1,320})>/i.exec(l);
      rcpt = m ? m[1].toLowerCase() : null;
    } else if (rcpt && l.startsWith('<<<')) {
      if (/^<<<\s*[45]\d\d/.test(l)) rcptRefused.add(rcpt);
      rcpt = null;
    }
    // `<<< 550-...` lines continue a reply, `<<< 550 ...` ends it (RFC 5321 §4.2.1)
    const cont = /^<<<\s*([45]\d\d)([ -])/.exec(l);
    let closed: string | null = null;
    if (cont) {
      const text = oneLine(l.slice(3));
      if (open && open.code === cont[1]) {
        if (open.size < 2000) open.parts.push(text);
        open.size += text.length;
      } else if (cont[2] === '-') {
        open = { first: text, code: cont[1], parts: [text], size: text.length };
      }
      if (open && cont[2] === ' ') {
        if (!replies.has(open.first)) {
          replies.set(open.first, open.parts.join(' '));
          closed = open.first;
        }
        open = null;
      }
    } else {
      open = null;
    }
    const dots = l.indexOf('...');
    if (dots > 0) {
      // the address alone before the dots ("<a@b>..." or "a@b..."), with a reason after them
      const bracketed = l.charCodeAt(0) === 60 && l.charCodeAt(dots - 1) === 62;
      const a = (bracketed ? l.slice(1, dots - 1) : l.slice(0, dots)).toLowerCase();
      if (a.includes('@') && !/[\s<>]/.test(a) && !own.has(a) && l.length > a.length + 5) {
        own.set(a, oneLine(l.slice(dots + 3)));
        ownOf = a;
      }
    }
    if (l.startsWith('<<<')) {
      const text = oneLine(l.slice(3));
      const named: string[] = [];
      for (const a of findAddresses(l)) {
        if (reply.has(a)) continue;
        reply.set(a, text);
        named.push(a);
      }
      const last = /^<<<\s*[45]\d\d\s+\S/.test(l);
      if (last) lastReply = text;
      if (cont) said = { open: open && open.parts.length ? open : null, closed, text, addresses: named, last };
    }
    if (/^[45]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\s+\S/.test(l)) summary = l;
  }
  return { own, reply, summary: summary ?? lastReply, replies, rcptRefused };
}

/**
 * The whole reply when `text` holds only the first line of a multi-line one (the lead-in is
 * dropped: the reply is the diagnostic), else `text`.
 */
function completeReply(t: Transcript, text: string): string {
  if (!t.replies.size) return text;
  const m = FIRST_OF_MANY.exec(text.length > 300 ? text.slice(0, 300) : text);
  if (!m) return text;
  const start = m.index + m[0].length - m[1].length - 2;
  return t.replies.get(oneLine(text.slice(start))) ?? text;
}

/** The failure text the transcript gives for `address`. */
function transcriptText(t: Transcript, address: string, only: boolean): string | null {
  const a = address.toLowerCase();
  return t.own.get(a) ?? t.reply.get(a) ?? (only ? t.summary : null);
}

export function detectSendmail(view: MailView): DetectorResult | null {
  const lines = transcriptOf(view);
  if (!lines) return null;
  const base = detectRfc3464(view);
  if (!base) return null;
  const only = base.recipients.length === 1;
  const transcript = readTranscript(lines);
  for (const r of base.recipients) {
    // the transcript shows which RCPT TO was refused, for each address of a session
    if (!r.command && transcript.rcptRefused.has(r.finalRecipient.toLowerCase())) r.command = 'RCPT';
    if (!isUninformative(r)) {
      const whole = r.diagnosticCode ? completeReply(transcript, r.diagnosticCode) : null;
      if (whole && whole !== r.diagnosticCode) {
        r.diagnosticCode = whole;
        r.status = preferStatus(r.status, whole);
      }
      continue;
    }
    const found = transcriptText(transcript, r.finalRecipient, only) ?? (r.originalRecipient ? transcriptText(transcript, r.originalRecipient, false) : null);
    if (!found) continue;
    const t = completeReply(transcript, found);
    r.diagnosticCode = t;
    r.replyCode = findReplyCode(t) ?? r.replyCode;
    r.status = preferStatus(r.status, t);
  }
  return base;
}

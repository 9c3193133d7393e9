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
// Everything else is left to ./rfc3464.ts, whose result this detector refines.
import type { RecipientReport } from '../../report.js';
import { findAddresses, findReplyCode, oneLine } from '../smtp-text.js';
import { detectRfc3464, preferStatus } from './rfc3464.js';
import type { DetectorResult, MailView } from './types.js';

const TRANSCRIPT = /^[ \t]*-{3,} ?Transcript of session follows ?-{3,}[ \t]*$/m;

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

/** A diagnostic that says nothing about the failure: empty, or a bare exit status. */
function isUninformative(r: RecipientReport): boolean {
  const d = (r.diagnosticCode ?? '').trim();
  return !d || /^\d{1,3}$/.test(d) || (r.diagnosticType === 'x-unix' && !/[a-z]{3}/i.test(d));
}

/**
 * The transcript read once into look-ups by address (a report can list thousands of
 * recipients: searching the transcript per recipient would be quadratic):
 *  - `own`: sendmail's own line for an address, `<addr>... Deferred: reason` / `addr... reason`;
 *  - `reply`: the first remote reply (`<<< ...`) naming the address;
 *  - `summary`: sendmail's closing summary ("554 5.3.0 unknown mailer error 255"), else the
 *    last remote reply: the failure of a report with one recipient.
 */
interface Transcript {
  own: Map<string, string>;
  reply: Map<string, string>;
  summary: string | null;
}

function readTranscript(lines: string[]): Transcript {
  const own = new Map<string, string>();
  const reply = new Map<string, string>();
  let summary: string | null = null;
  let lastReply: string | null = null;
  for (const l of lines) {
    const dots = l.indexOf('...');
    if (dots > 0) {
      // the address alone before the dots ("<a@b>..." or "a@b..."), with a reason after them
      const bracketed = l.charCodeAt(0) === 60 && l.charCodeAt(dots - 1) === 62;
      const a = (bracketed ? l.slice(1, dots - 1) : l.slice(0, dots)).toLowerCase();
      if (a.includes('@') && !/[\s<>]/.test(a) && !own.has(a) && l.length > a.length + 5) own.set(a, oneLine(l.slice(dots + 3)));
    }
    if (l.startsWith('<<<')) {
      const text = oneLine(l.slice(3));
      for (const a of findAddresses(l)) if (!reply.has(a)) reply.set(a, text);
      if (/^<<<\s*[45]\d\d\s+\S/.test(l)) lastReply = text;
    }
    if (/^[45]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\s+\S/.test(l)) summary = l;
  }
  return { own, reply, summary: summary ?? lastReply };
}

/** The failure text the transcript gives for `address`. */
function transcriptText(t: Transcript, address: string, only: boolean): string | null {
  const a = address.toLowerCase();
  return t.own.get(a) ?? t.reply.get(a) ?? (only ? t.summary : null);
}

export function detectSendmail(view: MailView): DetectorResult | null {
  if (!view.deliveryStatus.length) return null;
  const lines = transcriptOf(view);
  if (!lines) return null;
  const base = detectRfc3464(view);
  if (!base) return null;
  const only = base.recipients.length === 1;
  const transcript = readTranscript(lines);
  for (const r of base.recipients) {
    if (!isUninformative(r)) continue;
    const t = transcriptText(transcript, r.finalRecipient, only) ?? (r.originalRecipient ? transcriptText(transcript, r.originalRecipient, false) : null);
    if (!t) continue;
    r.diagnosticCode = t;
    r.replyCode ??= findReplyCode(t);
    r.status = preferStatus(r.status, t);
  }
  return base;
}

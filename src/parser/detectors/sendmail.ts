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
import { findReplyCode, oneLine } from '../smtp-text.js';
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

/** The failure text the transcript gives for `address`. */
function transcriptText(lines: string[], address: string, only: boolean): string | null {
  const a = address.toLowerCase();
  // `<addr>... Deferred: reason` / `addr... reason` (sendmail's own line for the address)
  for (const l of lines) {
    const low = l.toLowerCase();
    if ((low.startsWith('<' + a + '>...') || low.startsWith(a + '...')) && l.length > a.length + 5) {
      return oneLine(l.slice(l.indexOf('...') + 3));
    }
  }
  // a remote reply naming the address
  for (const l of lines) if (l.startsWith('<<<') && l.toLowerCase().includes(a)) return oneLine(l.slice(3));
  if (!only) return null;
  // sendmail's closing summary ("554 5.3.0 unknown mailer error 255"), else the last reply
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^[45]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\s+\S/.test(lines[i])) return lines[i];
  }
  for (let i = lines.length - 1; i >= 0; i--) if (/^<<<\s*[45]\d\d\s+\S/.test(lines[i])) return oneLine(lines[i].slice(3));
  return null;
}

export function detectSendmail(view: MailView): DetectorResult | null {
  if (!view.deliveryStatus.length) return null;
  const lines = transcriptOf(view);
  if (!lines) return null;
  const base = detectRfc3464(view);
  if (!base) return null;
  const only = base.recipients.length === 1;
  for (const r of base.recipients) {
    if (!isUninformative(r)) continue;
    const t = transcriptText(lines, r.finalRecipient, only) ?? (r.originalRecipient ? transcriptText(lines, r.originalRecipient, false) : null);
    if (!t) continue;
    r.diagnosticCode = t;
    r.replyCode ??= findReplyCode(t);
    r.status = preferStatus(r.status, t);
  }
  return base;
}

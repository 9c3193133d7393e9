// OpenSMTPD (usr.sbin/smtpd/bounce.c): its notice lists one line per envelope, the address and
// the error OpenSMTPD kept for it, between fixed sentences:
//
//       Hi!
//
//       This is the MAILER-DAEMON, please DO NOT REPLY to this email.      <- NOTICE_INTRO
//
//       An error has occurred while attempting to deliver a message for   <- notice_error
//       the following list of recipients:                                  (or notice_warning:
//                                                                          "A message is delayed
//   kijitora@example.jp: 550 5.2.2 <kijitora@example.jp>... Mailbox Full   for more than ...")
//
//       Below is a copy of the original message:
//
// Since 5.x a message/delivery-status part follows (Final-Recipient, Action, Status: the
// status is OpenSMTPD's class with a generic code, 5.0.0 / 4.0.0); older versions send the
// text alone. The error is the remote reply as received (or OpenSMTPD's own words: "Envelope
// expired", "Network error on destination MXs", "Domain does not exist"). The report NEVER
// says which SMTP command the reply answered: a missing command here means nothing (the
// classifier reads it so, see its `PHASE_NOT_REPORTED`).
import type { DsnAction, RecipientReport } from '../../report.js';
import { findReplyCode, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { parseAction, parseDsnFields, parseStatus, preferStatus } from './rfc3464.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

/** bounce.c NOTICE_INTRO ("e-mail" in older releases); a re-flowed copy may break it anywhere. */
const INTRO = /^[ \t]*This is the MAILER-DAEMON,(?:[ \t]+|[ \t]*\n[ \t]*)please(?:[ \t]+|[ \t]*\n[ \t]*)DO(?:[ \t]+|[ \t]*\n[ \t]*)NOT(?:[ \t]+|[ \t]*\n[ \t]*)REPLY(?:[ \t]+|[ \t]*\n[ \t]*)to(?:[ \t]+|[ \t]*\n[ \t]*)this(?:[ \t]+|[ \t]*\n[ \t]*)e-?mail\.?[ \t]*$/im;
/** notice_error / notice_warning: the list follows this line. */
const LIST = /^[ \t]*(?:the following )?list of recipients:[ \t]*$/im;
/** What ends the list: notice_warning2, the returned message. */
const LIST_END = /^[ \t]*(?:Please note that this is only a temporary failure report|Below is a copy of the original message)/im;
const DELAYED = /^[ \t]*A message is delayed for more than/im;
const SUCCESS = /^[ \t]*Your message was (?:successfully delivered|relayed) to these recipients/im;
const MAX_LINES = 1000;

export function detectOpenSmtpd(view: MailView): DetectorResult | null {
  const text = textHead(view.reportText, 100_000);
  // (a substring test first: most messages are not OpenSMTPD's, and it costs less than the regex)
  if (!text.includes('This is the MAILER-DAEMON')) return null;
  const intro = INTRO.exec(text);
  if (!intro) return null;
  const after = text.slice(intro.index + intro[0].length);
  const list = LIST.exec(after);
  if (!list) return null;
  let body = after.slice(list.index + list[0].length);
  const end = LIST_END.exec(body);
  if (end) body = body.slice(0, end.index);

  // the per-recipient fields of the delivery-status part, when there is one
  const fields = new Map<string, { action: DsnAction | null; status: string | null }>();
  let reportingMta: string | null = null;
  for (const part of view.deliveryStatus) {
    const dsn = parseDsnFields(part);
    reportingMta ??= dsn.perMessage.get('reporting-mta')?.value || null;
    for (const b of dsn.perRecipient) {
      const a = normalizeAddress(b.get('final-recipient')?.value);
      if (a && !fields.has(a)) fields.set(a, { action: parseAction(b.get('action')?.value), status: parseStatus(b.get('status')?.value) });
    }
  }
  const noticeAction: DsnAction = DELAYED.test(after) ? 'delayed' : SUCCESS.test(after) ? 'delivered' : 'failed';

  // "user@domain: error" at the start of the line (the notice's own sentences are indented); an
  // error wrapped onto the lines under it (a relay or client that re-flowed the text) goes on there
  const entries: { addr: string; error: string; joined: number }[] = [];
  const seen = new Set<string>();
  let last: (typeof entries)[number] | null = null;
  let n = 0;
  for (const line of body.split('\n')) {
    if (++n > MAX_LINES) break;
    if (!line.trim()) {
      last = null;
      continue;
    }
    const indented = line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9;
    // (bounce.c writes the bare address, user@domain: "<a@b>: ..." or words before the colon are
    // the wrapped rest of a reply, such as "mailbox.  Local mailbox a@b is unavailable: user not
    // found" or "rejected: Access denied", a word with no "@")
    const colon = indented || line.charCodeAt(0) === 60 ? -1 : line.indexOf(': ');
    const token = colon > 0 ? line.slice(0, colon) : '';
    const addr = token.includes('@') && !/\s/.test(token) ? normalizeAddress(token) : null;
    if (!addr) {
      // (bounce.c writes one line per envelope and nothing else between the list's sentences: a
      // line under an entry that is no entry is that entry's reply, wrapped)
      if (last && last.joined < 8) {
        last.error += ' ' + line.trim();
        last.joined++;
      } else last = null;
      continue;
    }
    if (seen.has(addr)) {
      last = null;
      continue;
    }
    seen.add(addr);
    last = { addr, error: line.slice(colon + 2), joined: 0 };
    entries.push(last);
  }
  const recipients: RecipientReport[] = [];
  for (const { addr, error } of entries) {
    const diag = oneLine(error) || null;
    const f = fields.get(addr);
    recipients.push(
      newRecipient(addr, {
        action: f?.action ?? noticeAction,
        status: preferStatus(f?.status ?? null, diag),
        replyCode: findReplyCode(diag),
        diagnosticCode: diag,
      }),
    );
  }
  if (!recipients.length) return null;
  const kind = recipients.some((r) => r.action === 'failed') ? 'bounce' : recipients.some((r) => r.action === 'delayed') ? 'delay' : 'delivered';
  return { kind, recipients, reportingMta };
}

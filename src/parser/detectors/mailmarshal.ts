// Trustwave (Marshal) MailMarshal SMTP notices (Subject: Undeliverable Mail: "<subject>"), no
// delivery-status part. The layout Sisimai 4.25's MailMarshalSMTP module documents:
//
//   Your message:
//      From:    sender@example.org               <- the original's, not a failure
//      Subject: ...
//
//   Could not be delivered because of
//
//   552 5.2.2 Mailbox full: the recipient has     <- the reason, possibly over several lines
//   exceeded the storage allocation
//
//   The following recipients were affected:
//       kijitora@example.com                     <- the failed recipients, indented
//       mikeneko@example.com
//
//   Additional Information
//   ======================
//   Original Sender:    <sender@example.org>
//   Reporting-MTA:      <relay.example.com>
//
// The fallback found the recipients but kept only the first line of the reason (issue #13):
// here the reason is the whole paragraph(s) between its heading and the recipients' heading.
import type { RecipientReport } from '../../report.js';
import { clipLine, findCommand, findReplyCode, findStatusCode, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

const REASON_HEAD = /^[ \t]*Could not be delivered because of[ \t]*$/im;
const RCPTS_HEAD = /^[ \t]*The following recipients were affected:[ \t]*$/im;

export function detectMailMarshal(view: MailView): DetectorResult | null {
  if (!/^Undeliverable Mail: "/i.test((view.subject).trim())) return null;
  const text = textHead(view.reportText, 50_000);
  const rcpts = RCPTS_HEAD.exec(text);
  if (!rcpts) return null;
  const reason = REASON_HEAD.exec(text);
  const diag = reason && reason.index < rcpts.index ? oneLine(clipLine(text.slice(reason.index + reason[0].length, rcpts.index))) || null : null;
  const recipients: RecipientReport[] = [];
  const seen = new Set<string>();
  // the indented addresses under the heading, up to the first line that is not one
  for (const line of text.slice(rcpts.index + rcpts[0].length).replace(/^[ \t]*\n/, '').split('\n')) {
    const t = line.trim();
    if (!t) {
      if (recipients.length) break;
      continue;
    }
    const a = /^[ \t]+\S+$/.test(line) ? normalizeAddress(t) : null;
    if (!a || !a.includes('@')) break;
    if (seen.has(a) || recipients.length >= 1000) continue;
    seen.add(a);
    recipients.push(newRecipient(a, { action: 'failed', diagnosticCode: diag }));
  }
  if (!recipients.length) return null;
  // one reason for every listed address: read it once
  const status = findStatusCode(diag);
  const replyCode = findReplyCode(diag);
  const command = findCommand(diag);
  for (const r of recipients) Object.assign(r, { status, replyCode, command });
  return { kind: 'bounce', recipients };
}

// Verizon Wireless MMS gateway (vzwpix) returned mail: a one-part text notice, no delivery-status
// part, no SMTP reply. The failed address is named only in the summary of the original below
// "Original Message:", as its To field (an MMS goes to the handsets named there):
//
//   Message could not be delivered to mobile.
//   Error: No valid recipients for this MM
//
//   Original Message:
//   From: Sender <news@sender.example.org>
//   To: 5555550123@mms.example.com
//   Subject: ...
//
// Only the To addresses the gateway serves count (their domain is the notice's sender's, or a
// parent of it: sysadmin@m01.mms.example.com for 5555550123@mms.example.com): a To is a guess
// at the envelope (Bcc, lists), but an MMS gateway that refuses the message for "no valid
// recipients" speaks for the handsets of its own domain; another domain's To went elsewhere.
//
// The MIME layer takes that summary for an inline copy of the original and cuts the report
// text there, so this reads `view.text`. The other Verizon layout (vtext: "Error:", "Error
// message below:", "Message details:" with "RCPT TO:") is Apache James's notice and is read by
// ./apachejames.ts.
import { headerValue } from '../mime.js';
import { findAddresses, findReplyCode, findStatusCode, normalizeAddress, oneLine } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

/** The gateway's fixed opening sentence. */
const OPENING = /^[ \t]*Message could not be delivered to mobile\.?[ \t]*$/im;
const SUMMARY = /^[ \t]*Original Message:[ \t]*$/im;
const ERROR_LINE = /^[ \t]*Error:[ \t]*(\S[^\n]*)$/im;

export function detectVerizon(view: MailView): DetectorResult | null {
  const text = view.text.length > 50_000 ? view.text.slice(0, 50_000) : view.text;
  const opening = OPENING.exec(text);
  if (!opening) return null;
  const rest = text.slice(opening.index);
  const summary = SUMMARY.exec(rest);
  if (!summary) return null;
  // the summary's field lines, up to the first blank line; its To (folded lines included)
  const block = rest.slice(summary.index + summary[0].length).replace(/^\n/, '').split(/\n[ \t]*\n/)[0];
  // (every To line: a gateway may write one per handset)
  const tos = [...block.matchAll(/^To:[ \t]*([^\n]*(?:\n[ \t]+\S[^\n]*)*)/gim)].map((m) => m[1]);
  if (!tos.length) return null;
  const sender = findAddresses(headerValue(view.headers, 'from') ?? '')[0];
  if (!sender) return null;
  const gateway = sender.slice(sender.lastIndexOf('@') + 1);
  const error = ERROR_LINE.exec(rest.slice(0, summary.index));
  const diag = oneLine(error ? error[1] : opening[0]);
  const status = findStatusCode(diag);
  const replyCode = findReplyCode(diag);
  const recipients = [];
  const seen = new Set<string>();
  for (const a of findAddresses(tos.join(', '))) {
    const addr = normalizeAddress(a);
    if (!addr || seen.has(addr)) continue;
    const domain = addr.slice(addr.lastIndexOf('@') + 1);
    if (gateway !== domain && !gateway.endsWith('.' + domain)) continue;
    seen.add(addr);
    recipients.push(newRecipient(addr, { action: 'failed', status, replyCode, diagnosticCode: diag }));
  }
  if (!recipients.length) return null;
  return { kind: 'bounce', recipients };
}

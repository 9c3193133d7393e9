// Apache James (the Bounce / DSNBounce mailets' plain-text notice):
//
//   Error: Invalid user address
//
//   Error message below:
//   550 - Requested action not taken: no such user here
//
//   Message details:
//     Subject: Test message
//     MAIL FROM: kijitora@example.com
//     RCPT TO: 000000000000@vtext.example.com      <- the failed recipient(s), comma separated
//     From: shironeko@example.com
//
// The remote reply is the diagnostic; the "Error:" line is James's own summary, used when
// there is no reply.
import { findAddresses, findReplyCode, findReplyStatus, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

export function detectApacheJames(view: MailView): DetectorResult | null {
  const text = textHead(view.reportText, 50_000);
  const details = /^Message details:[ \t]*$/m.exec(text);
  if (!details || !/^Error message below:[ \t]*$/m.test(text)) return null;
  // every "RCPT TO:" line of the details (with its continuation lines): one per recipient or
  // one comma-separated list, as the James version writes it
  const addrs = new Set<string>();
  for (const rcpt of text.slice(details.index).matchAll(/^[ \t]*RCPT TO:[ \t]*(.*(?:\n[ \t]{4,}\S.*)*)/gm)) {
    for (const a of findAddresses(rcpt[1])) addrs.add(a);
  }
  if (!addrs.size) return null;
  // (the reply runs to the blank line or the text's end: a multi-line reply, "550-5.7.1 ..." /
  // "550 5.7.1 ...", is one line per line of the reply)
  const below = /^Error message below:[ \t]*\n([\s\S]*?)(?:\n[ \t]*\n|(?![\s\S]))/m.exec(text);
  const summary = /^Error:[ \t]*(.+)$/m.exec(text);
  const diag = (below && oneLine(below[1])) || (summary && oneLine(summary[1])) || null;
  // one text for every address: read it once
  const status = findReplyStatus(diag);
  const replyCode = findReplyCode(diag);
  const recipients = [];
  for (const a of addrs) {
    const addr = normalizeAddress(a);
    if (!addr) continue;
    recipients.push(newRecipient(addr, { action: 'failed', status, replyCode, diagnosticCode: diag }));
  }
  if (!recipients.length) return null;
  return { kind: 'bounce', recipients };
}

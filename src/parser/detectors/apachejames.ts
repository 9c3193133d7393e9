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
  const detailLines = text.slice(details.index).split('\n');
  for (let i = 0; i < detailLines.length; i++) {
    const rcpt = /^[ \t]*RCPT TO:(.*)/.exec(detailLines[i]!);
    if (!rcpt) continue;
    const list = [rcpt[1]!.trim()];
    // continuation lines: indented, or (a list ending in a comma) an address alone on a line a
    // re-wrap left unindented
    while (i + 1 < detailLines.length && (/^[ \t]{4,}\S/.test(detailLines[i + 1]!) || (/,[ \t]*$/.test(list[list.length - 1]!) && /^[^\s:@]+@[^\s:@]+[ \t]*$/.test(detailLines[i + 1]!)))) list.push(detailLines[++i]!.trim());
    for (const a of findAddresses(list.join(' '))) addrs.add(a);
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

// Microsoft Exchange 5.5 / 2000 / 2003 non-delivery reports (Internet Mail Service, Internet
// Mail Connector, the Exchange 2000/2003 SMTP stack), which carry no message/delivery-status
// part, only prose:
//
//   Your message                                  (or: Your message did not reach some or all
//                                                   of the intended recipients.)
//     To:      shironeko@example.jp
//     Subject: ...
//     Sent:    Thu, 29 Apr 2007 16:51:29 -0500
//
//   did not reach the following recipient(s):     (or: The following recipient(s) could not
//                                                   be reached:)
//   kijitora@example.co.jp on Thu, 29 Apr 2007 16:51:51 -0500
//       The recipient name is not recognized
//       The MTS-ID of the original message is: c=jp;a= ;p=neko
//   ;l=EXCHANGE000000000000000000
//       MSEXCH:IMS:KIJITORA CAT:EXAMPLE:EXCHANGE 0 (000C05A6) Unknown Recipient
//
// One block per recipient: the "<address> on <date>" line (the address is sometimes written
// `SMTP=<address>` or `"Name" <SMTP:address>`), then the reason lines. The reason is the English
// sentence plus, from the IMS, an `MSEXCH:` diagnostic whose 8-hex-digit code names the cause
// (000C05A6 unknown recipient, 000C0595 ambiguous recipient, 00120270 too many hops, ...), and,
// from Exchange 2000/2003, a `<host #5.1.1>` line with an enhanced status code.
// When the report also has an RFC 3464 part with recipients, the generic detector reads that.
import type { RecipientReport } from '../../report.js';
import { headerValue, headerValues } from '../mime.js';
import { findCommand, findReplyCode, findStatusCode, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { deliveryStatusTexts } from './rfc3464.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

/** The sentence that opens the list of failed recipients. */
const LIST_START = /did not reach the following recipient\(?s?\)?|the following recipient\(?s?\)? could not be reached|could not be delivered to the following recipient\(?s?\)?/i;

/** `address on <date>` (the date part is free text: `4/29/01 11:34:45 PM`, RFC 5322 dates). */
const RECIPIENT_LINE = /^[ \t]*(?:"[^"\n]{0,200}"[ \t]*)?<?(?:SMTP[:=])?([^\s<>"@]{1,256}@[^\s<>"]{1,256}?)>?[ \t]+on[ \t]+\S/i;
/** `Display Name (SMTP=address) on <date>` / `Name <SMTP:address> on <date>`. */
const SMTP_RECIPIENT_LINE = /\bSMTP[:=]([^\s<>"()@]{1,256}@[^\s<>"()]{1,256}?)[>)]?[ \t]+on[ \t]+\S/i;

/** Lines inside a recipient block that say nothing about the failure. */
const NOISE_LINE = /^(?:the mts-id of the original message is:|;)/i;

function isExchangeLegacy(view: MailView): boolean {
  const h = view.headers;
  if (h['x-ms-embedded-report']) return true;
  const mailer = headerValue(h, 'x-mailer') ?? '';
  if (/^(?:internet mail service \(|microsoft exchange server internet mail connector)/i.test(mailer.trim())) return true;
  if (/^produced by microsoft exchange/i.test((headerValue(h, 'x-mimeole') ?? '').trim())) return true;
  return headerValues(h, 'received').some((r) => /with internet mail service \(|microsoft exchange server internet mail connector/i.test(r));
}

export function detectExchange2003(view: MailView): DetectorResult | null {
  const text = textHead(view.reportText, 100_000);
  const start = text.search(LIST_START);
  if (start < 0) return null;
  // the sentence alone is Exchange's wording, but other MTAs copied it: require an Exchange
  // marker, or the "Your message" preamble Exchange always writes before it
  if (!isExchangeLegacy(view) && !/^[ \t]*your message\b/im.test(text.slice(0, start + 1))) return null;
  // a report with a proper RFC 3464 part is read by the generic detector
  if (deliveryStatusTexts(view).some((t) => /^[ \t]*final-recipient[ \t]*:/im.test(t))) return null;

  const lines = text.slice(start).split('\n').slice(1);
  const blocks: { address: string; lines: string[] }[] = [];
  let cur: { address: string; lines: string[] } | null = null;
  for (const line of lines) {
    const m = RECIPIENT_LINE.exec(line) ?? SMTP_RECIPIENT_LINE.exec(line);
    const address = m ? normalizeAddress(m[1]) : null;
    if (address && address.includes('@')) {
      cur = { address, lines: [] };
      blocks.push(cur);
      continue;
    }
    if (!cur) continue;
    const t = line.trim();
    if (!t) {
      // a blank line ends the block once it has its reason lines
      if (cur.lines.length) cur = null;
      continue;
    }
    if (NOISE_LINE.test(t)) continue;
    cur.lines.push(t);
  }
  if (!blocks.length) return null;

  const recipients: RecipientReport[] = [];
  const seen = new Set<string>();
  for (const b of blocks) {
    if (seen.has(b.address)) continue;
    seen.add(b.address);
    const diag = b.lines.length ? oneLine(b.lines.join(' ')) : null;
    // `<mx.example.com #5.1.1>`: the host that gave up, and its code
    const hostCode = diag ? /<([A-Za-z0-9.-]{1,255}) #[245]\.\d{1,3}\.\d{1,3}>/.exec(diag) : null;
    recipients.push(
      newRecipient(b.address, {
        action: 'failed',
        status: findStatusCode(diag),
        replyCode: findReplyCode(diag),
        diagnosticCode: diag,
        remoteMta: hostCode ? hostCode[1].toLowerCase() : null,
        command: findCommand(diag),
      }),
    );
  }
  return { kind: 'bounce', recipients };
}

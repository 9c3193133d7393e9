// Mimecast's own non-delivery notices (Sisimai 5.5's Mimecast module, read as facts about the
// layout): Subject "[Postmaster] Email Delivery Failure", a Message-ID of a host under
// ".mimecast.lan", and a text where every fact stands on a line of its own after "-- ":
//
//   An email that you attempted to send to the following address could not be delivered:
//   -- kijitora@example.jp                                   the failed address
//
//   The problem appears to be :
//   -- Recipient email address is possibly incorrect         Mimecast's explanation
//
//   Additional information follows :
//   -- 550 5.1.1 <kijitora@example.jp>... User unknown       the remote server's reply
//
// The addresses are the "-- " lines holding one address and nothing else; the other "-- " lines
// after them are theirs: the reply (a line with a reply or status code) when there is one, else
// Mimecast's explanation. The rest of the text (help, the sender, a help desk) names nobody who
// failed. A notice with RFC 3464 fields naming its recipients is the RFC 3464 reader's.
import type { RecipientReport } from '../../report.js';
import { headerValue } from '../mime.js';
import { findCommand, findReplyCode, findReplyStatus, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { deliveryStatusTexts } from './rfc3464.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

const MAX_RECIPIENTS = 1000;

function isMimecast(view: MailView): boolean {
  const subject = view.subject;
  if (/\bEmail Delivery Failure\b/i.test(subject)) return true;
  return /\.mimecast\.lan>\s*$/i.test(headerValue(view.headers, 'message-id') ?? '');
}

export function detectMimecast(view: MailView): DetectorResult | null {
  if (!isMimecast(view)) return null;
  if (deliveryStatusTexts(view).some((t) => /^[ \t]*final-recipient[ \t]*:[ \t]*\S/im.test(t))) return null;
  const text = textHead(view.reportText, 100_000);

  // groups of addresses, each with the "-- " text lines that follow it
  const groups: Array<{ addresses: string[]; lines: string[] }> = [];
  let cur: { addresses: string[]; lines: string[] } | null = null;
  let count = 0;
  for (const raw of text.split('\n')) {
    if (!raw.startsWith('-- ')) continue;
    const rest = raw.slice(3).trim();
    if (!rest) continue;
    if (!/\s/.test(rest) && rest.includes('@')) {
      const a = normalizeAddress(rest);
      if (!a || count >= MAX_RECIPIENTS) continue;
      if (!cur || cur.lines.length) {
        cur = { addresses: [], lines: [] };
        groups.push(cur);
      }
      cur.addresses.push(a);
      count++;
    } else if (cur && cur.lines.length < 50) {
      cur.lines.push(rest);
    }
  }

  const recipients: RecipientReport[] = [];
  const seen = new Set<string>();
  for (const g of groups) {
    const replies = g.lines.filter((l) => findReplyCode(l) !== null || findReplyStatus(l) !== null);
    const diag = oneLine((replies.length ? replies : g.lines).join(' '));
    for (const a of g.addresses) {
      if (seen.has(a)) continue;
      seen.add(a);
      recipients.push(
        newRecipient(a, {
          action: 'failed',
          status: findReplyStatus(diag),
          replyCode: findReplyCode(diag),
          diagnosticCode: diag || null,
          command: diag ? findCommand(diag) : null,
        }),
      );
    }
  }
  return recipients.length ? { kind: 'bounce', recipients } : null;
}

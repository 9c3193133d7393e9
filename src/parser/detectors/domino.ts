// Lotus / HCL Domino delivery failure reports ("DELIVERY FAILURE: ..." subjects):
//
//   Your message
//
//     Subject: Test Bounce
//
//   was not delivered to:
//
//     kijitora@example.jp
//
//   because:
//
//     User some.name (kijitora@example.jp) not listed in Domino Directory
//
// Newer Domino servers add a message/delivery-status part whose Final-Recipient is the
// address after Domino's own routing (another domain, a Notes name); the text names the
// address the sender used, which is the one we report. The DSN part still gives the Status,
// the Remote-MTA and, when the text has no "because:", the diagnostic (`X-Notes; ...`).
import type { RecipientReport } from '../../report.js';
import { continuesReflowed } from '../mime/reflow.js';
import { codeReader, findAddresses, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { deliveryStatusTexts, parseDsnFields, preferStatus, recipientFromBlock } from './rfc3464.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

const NOT_DELIVERED = /^[ \t]*was not delivered to:[ \t]*$/im;

/** The indented lines of a section that starts after `header` (up to the next prose line). */
function section(lines: string[], from: number, reflowed = false): { text: string[]; next: number } {
  const text: string[] = [];
  let i = from;
  for (; i < lines.length; i++) {
    const l = lines[i];
    if (!l.trim()) {
      if (text.length) break;
      continue;
    }
    // (a reason re-wrapped by a relay or client goes on at the start of the next line: under a
    // line of the length a re-flow leaves, or one its first word did not fit on, a line that is
    // no heading is its rest)
    if (reflowed && text.length && continuesReflowed(lines[i - 1].length, l) && !/:[ \t]*$/.test(l)) {
      text[text.length - 1] += ' ' + l.trim();
      continue;
    }
    if (!/^[ \t]/.test(l) && text.length) break;
    if (!/^[ \t]/.test(l)) break; // prose right after the header: no section
    text.push(l.trim());
  }
  return { text, next: i };
}

export function detectDomino(view: MailView): DetectorResult | null {
  const text = textHead(view.reportText, 50_000);
  if (!NOT_DELIVERED.test(text)) return null;
  const subject = view.subject;
  // (white space within the line only: a \s* run crosses lines and rescans every blank line
  // below each line start; the same lines match, since ^ and $ hold at every line's edges)
  if (!/^[^\S\n\r\u2028\u2029]*Your message[^\S\n\r\u2028\u2029]*$/im.test(text) && !/^DELIVERY[ _]FAILURE:/i.test(subject)) return null;

  const dsn: RecipientReport[] = [];
  // address (final or original) -> its DSN block: one look-up per recipient
  const dsnByAddress = new Map<string, RecipientReport>();
  for (const t of deliveryStatusTexts(view)) {
    for (const b of parseDsnFields(t).perRecipient) {
      const r = recipientFromBlock(b);
      if (!r) continue;
      dsn.push(r);
      if (!dsnByAddress.has(r.finalRecipient)) dsnByAddress.set(r.finalRecipient, r);
    }
  }
  for (const r of dsn) if (r.originalRecipient && !dsnByAddress.has(r.originalRecipient)) dsnByAddress.set(r.originalRecipient, r);
  const seen = new Set<string>();

  const lines = text.split('\n');
  const recipients: RecipientReport[] = [];
  const codesOf = codeReader();
  // a "was not delivered to:" section that names its recipient by a Notes name only
  // ("Jane Doe/Sales/Corp@CORP" has no Internet address): nobody to record, and an address in
  // the "because:" text is the administrator's (a help desk, a new address), never that one's
  let namesOnly = false;
  for (let i = 0; i < lines.length; i++) {
    if (!/^[ \t]*was not delivered to:[ \t]*$/i.test(lines[i])) continue;
    const to = section(lines, i + 1);
    let reason: string[] = [];
    let j = to.next;
    while (j < lines.length && !lines[j].trim()) j++;
    if (j < lines.length && /^[ \t]*because:[ \t]*$/i.test(lines[j])) {
      const why = section(lines, j + 1, true);
      reason = why.text;
      i = why.next - 1;
    }
    const addrs = to.text.flatMap((l) => findAddresses(l));
    if (to.text.length && !addrs.length) namesOnly = true;
    // one "because:" text for every address of the section
    const because = oneLine(reason.join(' '));
    for (const a of addrs) {
      const addr = normalizeAddress(a);
      if (!addr || seen.has(addr)) continue;
      seen.add(addr);
      // the DSN block of the same recipient: same address, else the one in the same position
      const fromDsn = dsnByAddress.get(addr) ?? dsn[recipients.length] ?? null;
      const diag = because || fromDsn?.diagnosticCode || null;
      const codes = codesOf(diag);
      recipients.push(
        newRecipient(addr, {
          action: fromDsn?.action ?? 'failed',
          status: fromDsn ? preferStatus(fromDsn.status, diag, codes) : codes.replyStatus,
          replyCode: codes.replyCode,
          diagnosticType: fromDsn?.diagnosticType ?? null,
          diagnosticCode: diag,
          remoteMta: fromDsn?.remoteMta ?? null,
          command: codes.command,
          lastAttemptDate: fromDsn?.lastAttemptDate ?? null,
        }),
      );
    }
  }
  if (!recipients.length) {
    return namesOnly && !dsn.length ? { kind: 'bounce', recipients: [], settled: true, warnings: ['no failed recipient named in the report'] } : null;
  }
  return { kind: 'bounce', recipients, reportingMta: null };
}

// nullmailer (2.x) bounces, written by nullmailer-dsn: an RFC 3464 report whose text part is
// fixed (nullmailer-dsn.cc) and names only the addresses:
//
//   This is the nullmailer delivery system.  The message attached below
//   could not be delivered to one or more of the intended recipients:
//
//   	<kijitora@example.com>
//
// and whose message/delivery-status part carries, per recipient, the reply the smtp module
// got (`Diagnostic-Code: SMTP; 550 ...`, a multi-line reply's lines unfolded) and a Status taken from
// the reply (5.0.0 when it has no enhanced code). The SMTP command the reply answered is
// never stated: the classifier must not read "not at RCPT" into its silence (PHASE_NOT_REPORTED
// in ../../classifier/index.ts). The fields themselves are read by the RFC 3464 detector.
import { addressRoles, textHead } from '../smtp-text.js';
import { detectRfc3464 } from './rfc3464.js';
import type { DetectorResult, MailView } from './types.js';

// (the text is compiled into nullmailer-dsn: operators cannot change it)
const INTRO = /^This is the nullmailer delivery system\./m;

export function detectNullmailer(view: MailView): DetectorResult | null {
  const head = textHead(view.reportText, 4000);
  if (!INTRO.test(head)) return null;
  // (nullmailer-dsn writes the smtp module's multi-line reply as it came, without folding)
  const result = detectRfc3464(view, { unfoldedReplies: true });
  if (result && result.recipients.length) {
    result.recipients = refusedOnly(result.recipients);
    if (!result.recipients.length) {
      // every recipient is named by the reply as where to write or whom to ask: the report is read, and nobody
      // in it was refused (no other reader may take its blocks or its list as failures)
      result.settled = true;
      (result.warnings ??= []).push('the reply refused another mailbox and names the recipients only as where to write instead or whom to ask');
    }
  }
  return result;
}

/**
 * nullmailer's smtp module gives up the whole message at the first refused RCPT, and
 * nullmailer-dsn writes that one reply as the Diagnostic-Code of every recipient of the message
 * (nullmailer-send(8), nullmailer-dsn(1) --diagnostic-code). When that shared reply names some
 * of the report's recipients and not others (Postfix's "<addr>: Recipient address rejected",
 * Sendmail's "<addr>... User unknown"), it answered the named ones: the others were never
 * refused, and recording them would suppress addresses that did not fail (issue #13, harm 1).
 * A shared reply that names none of them (a refusal after DATA, "550 5.1.1 The email account
 * ... does not exist") cannot be attributed: every recipient keeps it, as the report says, marked
 * `sharedReply` so that the classifier does not read one mailbox's refusal as every one's.
 * fixtures/nullmailer (real nullmailer-dsn output), test/parser/nullmailer-refused.test.ts.
 * An address the reply names in another role is not one it answered for: where to write
 * instead, whom to ask, the sender ("<a@x>: Recipient address rejected: Jane has left; please
 * write to b@x", "<a@x> has moved to <b@y>", "mailbox full, contact b@x"). A recipient the reply
 * names only as where to write or whom to ask, while it names another address as the refused
 * mailbox, was never refused (fixtures/roles-b, issue #13's worst harm), whatever the other
 * blocks of the report: each block is read on its own (RFC 3464 §2.3) as far as its own address
 * goes. A sender named in a refused MAIL FROM ("<a@x>: Sender address rejected") who had sent
 * itself a copy failed like every recipient: it stays. A recipient the
 * reply does not name at all may be an alias the remote server expanded to the mailbox it names:
 * it keeps the reply, marked shared when the report has several recipients.
 */
function refusedOnly<R extends { finalRecipient: string; diagnosticCode: string | null; sharedReply?: boolean }>(recipients: R[]): R[] {
  const diag = recipients[0]?.diagnosticCode;
  if (!diag || recipients.some((r) => r.diagnosticCode !== diag)) return recipients;
  const roles = addressRoles(diag);
  const mailboxes = new Set<string>();
  for (const [a, rs] of roles) if (rs.has('mailbox')) mailboxes.add(a);
  const own = (r: R) => r.finalRecipient.toLowerCase();
  // (the sender named in a refused MAIL FROM stays: that refusal was every recipient's)
  const elsewhere = (r: R) => !mailboxes.has(own(r)) && (roles.get(own(r))?.has('help') || roles.get(own(r))?.has('new address'));
  const candidates = mailboxes.size ? recipients.filter((r) => !elsewhere(r)) : recipients;
  if (recipients.length < 2) return candidates;
  const kept = candidates.filter((r) => mailboxes.has(own(r)));
  if (kept.length > 0) return kept;
  for (const r of candidates) r.sharedReply = true;
  return candidates;
}

// Haraka (3.x) outbound bounces (outbound/hmail.js, populate_bounce_message_with_headers): a
// multipart/report whose text comes from the operator's config/outbound.bounce_message
// template (the default one mimics qmail: "Hi. This is the Haraka Mailer program at <me>."),
// and a message/delivery-status part written by the code:
//
//   Final-Recipient: rfc822;kijitora@example.com
//   Action: failed
//   Status: 5.1.1
//   Remote-MTA: 127.0.0.1
//   Diagnostic-Code: smtp;550 5.1.1 <kijitora@example.com>: Recipient address rejected ...
//
// Two quirks, both from the code:
//  - the SMTP command a reply answered is never stated (PHASE_NOT_REPORTED in
//    ../../classifier/index.ts);
//  - after the temporary failures of `temp_fail_intervals` / maxTempFailures (docs/Outbound.md:
//    "Maximum temp-fail retries before the message bounces") the bounce names no reply of a
//    server: the recipient's block has no Diagnostic-Code, and its Status is the stamp Haraka
//    put on the recipient when no MX could be reached (hmail.js: DSN.addr_bad_dest_system,
//    "5.1.2 (550 Tried all MXs <domain>)", then temp_fail), a code of its own for a condition
//    it treated as temporary and retried; the template's {reason} reads "Error: Too many
//    failures (<last error>)". That statement is the cause (the message expired after
//    retries): it becomes the diagnostic, and the stamp is no status (the classifier derives
//    one from the cause).
// The template is the operator's, so the family is recognised by what the code writes: the
// Received line outbound adds (received_header, default "Haraka outbound") or the template's
// default sentence.
import { headerValues } from '../mime.js';
import { normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { deliveryStatusTexts, detectRfc3464, parseDsnFields } from './rfc3464.js';
import type { DetectorResult, MailView } from './types.js';

const RECEIVED = /^\(Haraka (?:outbound|\d+ invoked for bounce)\)/;
const INTRO = /^Hi\. This is the Haraka Mailer program at /m;
/** {reason} of the template after the retries ran out (hmail.js temp_fail: "Too many failures") */
// (the reason may run over a line break a relay's or a client's re-wrap put in it)
// (and hold a bracket of its own, one level deep)
const TOO_MANY = /\bToo many failures \(((?:[^()]|\([^()]{0,200}\)){0,1000})\)/;

export function detectHaraka(view: MailView): DetectorResult | null {
  const head = textHead(view.reportText, 8000);
  if (!headerValues(view.headers, 'received').some((v) => RECEIVED.test(v.trim())) && !INTRO.test(head)) return null;
  const res = detectRfc3464(view);
  if (!res || !res.recipients.length) return res;
  const expiry = TOO_MANY.exec(head);
  if (!expiry) return res;
  // the recipients whose block carries no reply of a server: they failed by expiry
  const noReply = new Set<string>();
  for (const t of deliveryStatusTexts(view)) {
    for (const b of parseDsnFields(t).perRecipient) {
      const addr = b.get('final-recipient')?.value;
      if (addr && !b.has('diagnostic-code')) noReply.add(normalizeAddress(addr) ?? addr.toLowerCase());
    }
  }
  for (const r of res.recipients) {
    if (!noReply.has(r.finalRecipient)) continue;
    r.diagnosticCode = oneLine(`Too many failures (${expiry[1]})`);
    r.status = null;
    r.replyCode = null;
  }
  return res;
}

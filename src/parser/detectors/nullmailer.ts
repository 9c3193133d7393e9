// nullmailer (2.x) bounces, written by nullmailer-dsn: an RFC 3464 report whose text part is
// fixed (nullmailer-dsn.cc) and names only the addresses:
//
//   This is the nullmailer delivery system.  The message attached below
//   could not be delivered to one or more of the intended recipients:
//
//   	<kijitora@example.com>
//
// and whose message/delivery-status part carries, per recipient, the reply the smtp module
// got (`Diagnostic-Code: SMTP; 550 ...`, only the reply's first line) and a Status taken from
// the reply (5.0.0 when it has no enhanced code). The SMTP command the reply answered is
// never stated: the classifier must not read "not at RCPT" into its silence (PHASE_NOT_REPORTED
// in ../../classifier/index.ts). The fields themselves are read by the RFC 3464 detector.
import { detectRfc3464 } from './rfc3464.js';
import type { DetectorResult, MailView } from './types.js';

// (the text is compiled into nullmailer-dsn: operators cannot change it)
const INTRO = /^This is the nullmailer delivery system\./m;

export function detectNullmailer(view: MailView): DetectorResult | null {
  const head = view.reportText.length > 4000 ? view.reportText.slice(0, 4000) : view.reportText;
  if (!INTRO.test(head)) return null;
  return detectRfc3464(view);
}

// Postal (postalserver/postal) bounces, written by app/models/bounce_message.rb when a message
// for one of its inbound routes cannot be handed on (the route's endpoint failed or the route
// is set to bounce). The text is fixed in the source:
//
//   This is the mail delivery service responsible for delivering mail to <route address>.
//
//   The message you've sent cannot be delivered. Your original message is attached to this
//   message.
//   ...
//   Mail from: <sender>
//   Rcpt To: <recipient>
//
// with the original attached (message/rfc822, "Original Message.eml"). The failed recipient is
// the route's address, which Postal also puts in the report's From ("Mail Delivery Service
// <route address>"): the generic fallback rightly never records the report's own From, so the
// format needs its own reader. "Mail from:" is the sender, never a record. No reason is given.
import { findAddresses, normalizeAddress, textHead } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

const INTRO = 'This is the mail delivery service responsible for delivering mail to ';
/** Lines joined with one space: Postal's sentences, read the same when a re-flow broke them. */
const joinLines = (t: string) => t.split('\n').map((l) => l.trim()).join(' ');
const FAILED = "The message you've sent cannot be delivered.";
/** The envelope recipient line of the details block ("Rcpt To: a@b"), one line. */
const RCPT_TO = /^Rcpt To: ([^\n]{1,320})$/m;

export function detectPostal(view: MailView): DetectorResult | null {
  const head = textHead(view.reportText, 4000);
  // two words of the intro, which no re-flow breaks: most messages are passed over without
  // the join (issue #20, classify)
  if (head.indexOf('responsible') < 0 || head.indexOf('delivering') < 0) return null;
  const flat = joinLines(head);
  const at = flat.indexOf(INTRO);
  if (at < 0 || flat.indexOf(FAILED) < 0) return null;
  // the route's address ends the intro sentence; "Rcpt To:" names the envelope recipient
  const rest = flat.slice(at + INTRO.length, at + INTRO.length + 330);
  const route = findAddresses(rest.slice(0, rest.search(/\s|$/)))[0];
  const rcpt = RCPT_TO.exec(head);
  const address = normalizeAddress((rcpt && findAddresses(rcpt[1])[0]) ?? route);
  if (!address) return { kind: 'bounce', recipients: [], warnings: ['no failed recipient named in the report'] };
  return { kind: 'bounce', recipients: [newRecipient(address, { action: 'failed', diagnosticCode: FAILED })] };
}

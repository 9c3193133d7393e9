// Challenge/response and allow-list requests: an automatic answer that holds the message until
// the sender proves to be a person or adds themselves to the recipient's allowed senders
// (TMDA, SpamArrest, Boxbe, ChoiceMail, Mailblocks, provider "spam blockers"):
//
//   From: Kijitora <kijitora@example.jp>
//   Subject: Please confirm your message
//
//   I protect myself from spam with a challenge/response system. To have your message
//   delivered, please confirm that you are a person by clicking the link below; you will then
//   be added to my list of approved senders.
//
// Not a delivery failure: nothing was refused, the message waits. The result is an auto-reply
// (kind auto_reply) without recipients: the notice names no address that failed, and the
// challenger is not a failed recipient either.
//
// Runs after the RFC 3464 and family detectors (a DSN or a known NDR is never a challenge) and
// before the auto-reply and fallback detectors (which would take it for a vacation notice or an
// NDR). An NDR's own sender (MAILER-DAEMON, postmaster) is never a challenger, and a text with
// an SMTP reply and status code ("550 5.7.1 sender not on the approved senders list") is a
// refusal, left to the detectors after this one.
import { headerValue } from '../mime.js';
import { CHALLENGE_STATEMENTS, compile } from '../phrases.js';
import { oneLine, textHead } from '../smtp-text.js';
import type { DetectorResult, MailView } from './types.js';

const CHALLENGE = compile(CHALLENGE_STATEMENTS);
/** The mail system's own senders: their notices are NDRs, not challenges. */
const SYSTEM_FROM = /mailer-daemon|postmaster|mail delivery (?:subsystem|system|service)|maildelivery|microsoftexchange/i;
/** Subjects of challenges (the vendors' and the common wording). */
const CHALLENGE_SUBJECT =
  /\bplease confirm\b|\bconfirm(?:ation)? (?:required|request|needed)\b|\bverify your (?:e-?mail|message|address)\b|\bsender verification\b|\bchallenge\b|\b(?:approval|authori[sz]ation) (?:required|request)\b|\bspam ?(?:arrest|blocker)\b|\bboxbe\b/i;
/** Vendors' sending domains and TMDA's confirmation address (`user-confirm-<cookie>@`). */
// (the "-confirm-" address is found from its "@", looking back, the "@" first so that the look
// behind runs at an "@" only: read forward, every "-confirm-" of a long run without an "@"
// scanned the rest of the run; only whether it matches is used)
const CHALLENGE_FROM = /@(?:[\w-]+\.)*(?:spamarrest\.com|boxbe\.com|choicemail\.com|mailblocks\.com|sanebox\.com|bluebottle\.com)\b|@(?<=-confirm-[\w.+-]*@)/i;
/** An SMTP reply with an enhanced status code: the text quotes a refusal. */
const SMTP_REFUSAL = /\b[45]\d\d[ -][45]\.\d{1,3}\.\d{1,3}\b/;

export function detectChallengeResponse(view: MailView): DetectorResult | null {
  if (view.deliveryStatus.length || view.feedbackReports.length) return null;
  const from = headerValue(view.headers, 'from') ?? '';
  if (SYSTEM_FROM.test(from)) return null;
  const subject = view.subject;
  const text = oneLine(textHead(view.reportText, 8000));
  if (SMTP_REFUSAL.test(text)) return null;
  const vendor = CHALLENGE_FROM.exec(from);
  const said = CHALLENGE.exec(text);
  const titled = CHALLENGE_SUBJECT.exec(subject);
  // the sender's domain alone, or the wording together with a challenge subject or an
  // auto-submitted marker (RFC 3834)
  const auto = /^auto-/i.test((headerValue(view.headers, 'auto-submitted') ?? '').trim());
  let signal: string | null = null;
  if (vendor) signal = `From: ${from.trim()}`;
  else if (said && (titled || auto)) signal = `text: "${said[0]}"`;
  else if (said && CHALLENGE.test(subject)) signal = `Subject: ${subject.trim()}`;
  if (!signal) return null;
  return { kind: 'auto_reply', recipients: [], autoReply: `challenge-response (${signal.slice(0, 200)})` };
}

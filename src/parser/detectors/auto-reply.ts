// Auto-replies (RFC 3834 and the de-facto headers/subjects of vacation responders).
//
// They are recognized so they are never counted as bounces. Care: real NDRs also carry
// `Auto-Submitted: auto-replied` (Exim) or `auto-generated` (RFC 3464 §3 recommends it), and
// some go out with `Precedence: bulk`. This detector runs after the RFC 3464 and family
// detectors, and it steps aside when the message still looks like a bounce (mailer-daemon
// sender, NDR subject, delivery-failure prose): the fallback detector then reads it.
//
// The recipient is the auto-replier itself (From, else Reply-To/Return-Path): the address the
// original message was sent to.
import { headerValue } from '../mime.js';
import { normalizeAddress } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

/** Vacation / out-of-office subjects in the languages we meet (anchored loosely). */
export const VACATION_SUBJECT = new RegExp(
  [
    'out of (?:the )?office', 'auto(?:matic|matische|matisk|matyczna|matikus)?[ -]?(?:reply|response|answer|antwort|svar|odpowied\u017a|v\u00e1lasz)',
    'auto:', 'autoreply', 'autoresponder', 'auto-?respon', 'vacation', 'on holiday', 'away from (?:my|the) ',
    'abwesenheit', 'nicht im b\u00fcro', 'r\u00e9ponse automatique', "absent du bureau", "message d'absence",
    'respuesta autom\u00e1tica', 'fuera de la oficina', 'ausencia', 'risposta automatica', 'fuori sede', "fuori ufficio",
    'automatisch antwoord', 'afwezig', 'resposta autom\u00e1tica', 'fora do escrit\u00f3rio',
    '\u81ea\u52d5\u5fdc\u7b54', '\u81ea\u52d5\u8fd4\u4fe1', '\u4e0d\u5728', '\u81ea\u52a8\u56de\u590d', '\u81ea\u52d5\u56de\u8986',
    '\u0430\u0432\u0442\u043e\u043e\u0442\u0432\u0435\u0442', '\u043e\u0442\u043f\u0443\u0441\u043a',
    'poissaolo', 'fr\u00e5nvaro', 'frav\u00e6r', 'nieobecno\u015b\u0107',
  ].join('|'),
  'i',
);

/**
 * A subject that opens with a client's forward marker: "Fwd:"/"Fw:" (English and most clients),
 * "WG:" (German Outlook), "TR:" (French), "RV:" (Spanish), "I:" (Italian), "Doorst:" (Dutch),
 * "VS:" (Finnish), "VB:" (Swedish), "Enc:" (Portuguese).
 */
const FORWARDED_SUBJECT = /^\s*(?:fwd?|wg|tr|rv|i|doorst|vs|vb|enc)\s*:/i;

/** Signs that a message is a delivery failure after all (then it is not an auto-reply). */
const BOUNCE_FROM = /mailer-daemon|postmaster|mail delivery (?:subsystem|system)|maildelivery|microsoftexchange|bounce/i;
const BOUNCE_SUBJECT =
  /undeliver|undelivered|delivery (?:status|failure|failed|notification|has failed|problem)|returned (?:mail|to sender)|failure notice|mail delivery failed|could not be delivered|non[- ]?delivery|delivery report|warning: could not send|message not delivered|rejected|\bbounce/i;
const BOUNCE_TEXT =
  /could not be delivered|permanent(?:ly)? (?:error|fail)|delivery to the following recipients? failed|user unknown|no such user|mailbox (?:is )?(?:full|unavailable)|message delivery failed|the following addresses had permanent fatal errors|recipient address rejected|\b5\d\d[ -]5\.\d{1,3}\.\d{1,3}/i;

function looksLikeBounce(view: MailView): boolean {
  const from = headerValue(view.headers, 'from') ?? '';
  const subject = view.subject;
  if (BOUNCE_FROM.test(from)) return true;
  // "Automatic reply: <the original subject>" from a person: the rest of the subject is the
  // original's ("... payment rejected") and the text is the person's ("my mailbox is full"),
  // neither an MTA's statement of a failure (RFC 3834 §3.1.5: the reply's subject carries the
  // original's)
  const vacation = VACATION_SUBJECT.exec(subject);
  if (vacation && vacation.index === subject.length - subject.trimStart().length) return false;
  if (BOUNCE_SUBJECT.test(subject)) return true;
  return BOUNCE_TEXT.test(view.reportText.slice(0, 8000));
}

/** Why the message is an auto-reply (the header or subject that said so), or null. */
function autoReplySignal(view: MailView): string | null {
  const h = view.headers;
  const as = headerValue(h, 'auto-submitted');
  if (as && /^auto-replied\b/i.test(as.trim())) return `Auto-Submitted: ${as.trim()}`;
  const prec = headerValue(h, 'precedence');
  if (prec && /^(?:auto[_-]reply)\b/i.test(prec.trim())) return `Precedence: ${prec.trim()}`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder', 'x-autoreply-from', 'x-mail-autoreply', 'x-cr-hashedpuzzle-vacation', 'x-vacation']) {
    const v = headerValue(h, name);
    if (v !== null && !/^(?:no|false|0)$/i.test(v.trim())) return `${name}: ${v.trim()}`;
  }
  // Apple's iCloud vacation responder marks its replies so (their subject is a plain "Re:")
  const apple = headerValue(h, 'x-apple-action');
  if (apple && /^vacation\b/i.test(apple.trim())) return `X-Apple-Action: ${apple.trim()}`;
  const subject = view.subject;
  // (a person forwarding someone's auto-reply, "Fwd: Out of office: ...", is not away: only
  // the subject said so, and it is the forwarded message's)
  const m = FORWARDED_SUBJECT.test(subject) ? null : VACATION_SUBJECT.exec(subject);
  if (m) return `Subject: ${subject.trim()}`;
  if (prec && /^(?:bulk|junk)\b/i.test(prec.trim()) && as && /^auto-/i.test(as.trim())) return `Precedence: ${prec.trim()}`;
  if (as && /^auto-generated\b/i.test(as.trim()) && /\b(?:away|vacation|absent|out of (?:the )?office)\b/i.test(view.reportText.slice(0, 2000))) {
    return `Auto-Submitted: ${as.trim()}`;
  }
  return null;
}

export function detectAutoReply(view: MailView): DetectorResult | null {
  if (view.deliveryStatus.length || view.feedbackReports.length) return null;
  const signal = autoReplySignal(view);
  if (!signal || looksLikeBounce(view)) return null;
  const who =
    normalizeAddress(headerValue(view.headers, 'from')) ??
    normalizeAddress(headerValue(view.headers, 'reply-to')) ??
    normalizeAddress(headerValue(view.headers, 'return-path'));
  const recipients = who && who.includes('@') ? [newRecipient(who)] : [];
  return { kind: 'auto_reply', recipients, autoReply: signal };
}

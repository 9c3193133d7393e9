// A message refused at delivery and reported as a message disposition notification (RFC 8098)
// whose disposition is "deleted" by automatic action: the form RFC 5429 §2.1 gives the Sieve
// `reject` action, and the one Dovecot's delivery agents (dovecot-lda, LMTP) use for their
// rejections (lib-lda mail-send.c, mail_send_rejection(); Pigeonhole's reject goes through it):
//
//   Content-Type: multipart/report; report-type=disposition-notification
//   Subject: Rejected: <the original subject>                    (rejection_subject)
//
//   Your message to <kijitora@example.jp> was automatically      (rejection_reason default:
//   rejected:                                                     "Your message to <%t> was
//   <the reason: the Sieve script's text, or the agent's own>     automatically rejected:%n%r")
//
//   Content-Type: message/disposition-notification
//   Reporting-UA: mx.example.jp; Dovecot Mail Delivery Agent
//   Final-Recipient: rfc822; kijitora@example.jp                  (RFC 8098 §3.2.4)
//   Original-Message-ID: <...>
//   Disposition: automatic-action/MDN-sent-automatically; deleted (RFC 8098 §3.2.6)
//
// One failed recipient, the Final-Recipient; its diagnostic is the reason text (after the
// "was automatically rejected:" sentence when there is one). A read receipt or any other
// disposition (displayed, dispatched, processed; or deleted by a person, manual-action) is no
// failure: not this detector's. Nor is a "Not read" receipt that a client sends by itself when
// its user deletes a message that asked for one (also "automatic-action ... deleted"): a
// refusal says that it rejected the message (Dovecot: "Rejected: <subject>", "was automatically
// rejected"; Cyrus and other Sieve agents: "automatically rejected"), so the subject or the
// notice's first lines must. A relay or a person's forward can make the whole report one text
// (its fields part relabelled text/plain, pasted inline, quoted): the same fields are then read
// from the text, where the notice's own words end at the first field line.
import { findAddresses, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

/** RFC 8098 §3.2.6: disposition-mode "automatic-action/...", disposition-type "deleted". */
const DELETED = /^Disposition[ \t]*:[ \t]*automatic-action[ \t]*\/[ \t]*MDN-sent-automatically[ \t]*;[ \t]*deleted\b/im;
// (the blanks after the address type belong to the type: two runs of blanks side by side, as
// in ":[ \t]*(?:type;)?[ \t]*", try every split of a long run between them)
const FINAL = /^Final-Recipient[ \t]*:[ \t]*(?:[A-Za-z0-9-]+[ \t]*;[ \t]*)?(\S{3,320})[ \t]*$/im;
const ORIGINAL = /^Original-Recipient[ \t]*:[ \t]*(?:[A-Za-z0-9-]+[ \t]*;[ \t]*)?(\S{3,320})[ \t]*$/im;
/** Dovecot's rejection_reason sentence, before its %r. */
const SENTENCE = /\bwas automatically rejected:[ \t]*\n?/i;
const MAX_REASON = 1000;
/** The refusal's own word (see above). */
const REJECTED = /\breject(?:ed|ion)?\b/i;

/** The fields with their folds undone: a line break before a blank joins the lines. */
function unfold(text: string): string {
  return text.replace(/\r?\n(?=[ \t])/g, '');
}

/** The words DELETED requires, anywhere: a cheap test before the fields are looked for. */
const MDN_SENT = /MDN-sent-automatically/i;
/** The first line of the notification's fields, where they stand in the text. */
const FIELD_LINE = /^(?:Reporting-UA|Final-Recipient|Original-Recipient|Original-Message-ID|Disposition)[ \t]*:/im;

/**
 * The disposition fields and the notice's own text. They come from the
 * message/disposition-notification part of a multipart/report, or, when a relay or a person's
 * forward has made the report one text (its parts inline, the fields part labelled text/plain),
 * from the text itself, where the notice's words end at the first field line.
 */
function readParts(view: MailView): { fields: string; text: string; inText: boolean } | null {
  const text = textHead(view.reportText, 20_000);
  // (the fields have header syntax, RFC 8098 §3.1.1: a field may be folded onto the next lines)
  const part = view.parts.find((p) => p.contentType === 'message/disposition-notification');
  if (part && view.contentParams['report-type']?.toLowerCase() === 'disposition-notification') {
    const t = unfold(part.text);
    return DELETED.test(t) ? { fields: t, text, inText: false } : null;
  }
  // (the deletion's words first: a DSN's fields in a text also start a FIELD_LINE)
  if (!MDN_SENT.test(text)) return null;
  const first = FIELD_LINE.exec(text);
  if (!first) return null;
  const fields = unfold(text.slice(first.index));
  // (in a text the folds may have lost their blanks, an HTML rendering's: "Final-Recipient:
  // rfc822;" / "a@x" at the margin)
  const joined = fields.replace(/^(Final-Recipient[ \t]*:[ \t]*[A-Za-z0-9-]+[ \t]*;)[ \t]*\n(?=[ \t]*\S+[ \t]*$)/im, '$1 ');
  return DELETED.test(joined) ? { fields: joined, text: text.slice(0, first.index), inText: true } : null;
}

export function detectMdnReject(view: MailView): DetectorResult | null {
  const found = readParts(view);
  if (!found) return null;
  const { fields, text } = found;
  if (!REJECTED.test(view.subject) && !REJECTED.test(text.slice(0, 2000))) return null;
  // (the notice's first address stands in for a part without a Final-Recipient; fields read from
  // a text name their recipient, or the text's addresses are anyone's: a new address, a help desk)
  const addr = normalizeAddress(FINAL.exec(fields)?.[1]) ?? (found.inText ? null : findAddresses(textHead(text, 2000))[0]) ?? null;
  if (!addr) return null;
  const original = normalizeAddress(ORIGINAL.exec(fields)?.[1]);
  const s = SENTENCE.exec(text);
  const reason = oneLine((s ? text.slice(s.index + s[0].length) : text).slice(0, MAX_REASON)) || null;
  return {
    kind: 'bounce',
    recipients: [newRecipient(addr, { originalRecipient: original && original !== addr ? original : null, action: 'failed', diagnosticCode: reason })],
  };
}

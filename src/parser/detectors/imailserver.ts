// Ipswitch IMail Server "Undeliverable Mail" notices (X-Mailer: <SMTP32 vN.NN>). No
// delivery-status part; the returned message follows "Original message follows." as text.
// Per recipient, a line that names the cause and then the address, or "undeliverable to":
//
//   Unknown user: kijitora@example.com
//   User mailbox exceeds allowed size: mikeneko@example.com
//   Delivery failed 3 attempts: sabatora@example.com
//
//   Body of message generated response:            <- the remote server's reply, below a
//   552 5.2.2 Mailbox quota exceeded                   heading that names the SMTP phase
//
//   undeliverable to kuroneko@example.net
//
// The headings IMail writes before a remote reply (Sisimai 4.25's IMailServer module lists
// them) name the phase: "SMTP connection failed," / "Unexpected connection response from
// server:" (connection), "Unexpected response to EHLO/HELO:", "Server response to MAIL FROM:",
// "Additional RCPT TO generated following response:", "DATA command generated response:",
// and "Body of message generated response:" (the message body, i.e. DATA). The fallback read
// the address lines but lost the reply above "undeliverable to" (issue #13): here a reply
// belongs to the address line after it, and a single reply to every address that has none.
import type { RecipientReport } from '../../report.js';
import { headerValue } from '../mime.js';
import { compile, HELP_CONTEXT, NEW_ADDRESS_CONTEXT, SENDER_CONTEXT } from '../phrases.js';
import { clipLine, findReplyCode, findStatusCode, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

/** The phase each reply heading names (null: the connection, before any command). */
const HEADINGS: ReadonlyArray<[RegExp, string | null]> = [
  [/^SMTP connection failed,/i, null],
  [/^Unexpected connection response from server:/i, null],
  [/^Unexpected response to EHLO\/HELO:/i, 'EHLO'],
  [/^Server response to MAIL FROM:/i, 'MAIL'],
  [/^Additional RCPT TO generated following response:/i, 'RCPT'],
  [/^DATA command generated response:/i, 'DATA'],
  [/^Body of message generated response:/i, 'DATA'],
];
/**
 * "Unknown user: a@b": two or more words of cause (as IMail writes them: "Unknown user",
 * "Delivery failed 3 attempts"), a colon, the address alone. One word ("From: a@b") or a
 * label of the sender ("Original Sender: a@b") is no cause.
 */
const CAUSE_LINE = /^([A-Za-z][A-Za-z0-9,.'/-]*[ \t][A-Za-z0-9 ,.'/-]{1,78}):[ \t]*<?([^\s<>@]+@[^\s<>@]+?)>?$/;
const NOT_A_CAUSE = /\b(?:sender|from|reply[ -]to|return[ -]path|mail from|cc|bcc)$/i;
/**
 * Words before the colon that point to help, name the sender or a new address ("For assistance
 * please contact: a@b", "The mail was sent by: a@b", "New address: a@b"): the line of a help
 * text or a signature, or of the returned message pasted below, not an IMail cause.
 */
const HELP = compile(HELP_CONTEXT);
const SENDER = compile(SENDER_CONTEXT);
const NEW_ADDRESS = compile(NEW_ADDRESS_CONTEXT);
const isRole = (words: string) => NOT_A_CAUSE.test(words) || HELP.test(words) || SENDER.test(words) || NEW_ADDRESS.test(words);
const UNDELIVERABLE = /^undeliverable to[ \t]+(\S+)$/i;
/**
 * "Reason: <text>" right below an address line (no blank line between): that address's own
 * cause. SmarterMail writes its notices so ("Failed Recipient: <addr>" / "Reason: The mailbox
 * is full"), and a Windows server's notice may carry IMail's Subject ("Undeliverable Mail").
 */
const REASON_BELOW = /^reason[ \t]*:[ \t]*(\S.*)$/i;

/** A reply is read up to this length (it is copied to each address it belongs to). */
const MAX_REPLY = 1000;

interface Reply {
  text: string;
  command: string | null;
}

export function detectImailServer(view: MailView): DetectorResult | null {
  const mailer = headerValue(view.headers, 'x-mailer') ?? '';
  const subject = (view.subject).trim();
  if (!/^<SMTP32 v/i.test(mailer) && !/^Undeliverable Mail$/i.test(subject)) return null;
  const text = textHead(view.reportText, 100_000);

  const recipients: RecipientReport[] = [];
  const seen = new Set<string>();
  const given = new Set<number>(); // the recipients (indexes) that took a reply of their own
  const replies: Reply[] = [];
  let pending: Reply | null = null; // the last reply not yet given to an address
  let reading: Reply | null = null; // the reply whose lines are being read
  let above: RecipientReport | null = null; // the recipient of the address line right above
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) {
      reading = null;
      above = null;
      continue;
    }
    const reason = above ? REASON_BELOW.exec(line) : null;
    if (above && reason) {
      above.diagnosticCode = clipLine(oneLine([above.diagnosticCode, reason[1]].filter(Boolean).join(' ')));
      above = null;
      continue;
    }
    above = null;
    const heading = HEADINGS.find(([re]) => re.test(line));
    if (heading) {
      reading = { text: clipLine(line), command: heading[1] };
      replies.push(reading);
      pending = reading;
      continue;
    }
    let cause = UNDELIVERABLE.exec(line) ? null : CAUSE_LINE.exec(line);
    if (cause && isRole(cause[1].trim())) cause = null;
    const address = normalizeAddress(cause ? cause[2] : UNDELIVERABLE.exec(line)?.[1]);
    if (address && address.includes('@')) {
      reading = null;
      // (an address listed twice is one recipient)
      if (recipients.length >= 1000 || seen.has(address)) continue;
      seen.add(address);
      const reply: Reply | null = pending;
      pending = null;
      const own = cause ? clipLine(line) : null;
      const diag = [reply?.text, own].filter(Boolean).join(' ') || null;
      recipients.push(newRecipient(address, { action: 'failed', diagnosticCode: diag, command: reply?.command ?? null }));
      above = recipients[recipients.length - 1];
      if (reply) given.add(recipients.length - 1);
      continue;
    }
    if (reading && reading.text.length < MAX_REPLY) reading.text = clipLine(oneLine(`${reading.text} ${line}`));
  }
  if (!recipients.length) return null;
  // one reply and addresses without their own: the reply is every address's
  if (replies.length === 1) {
    recipients.forEach((r, i) => {
      if (given.has(i)) return;
      r.diagnosticCode = [replies[0].text, r.diagnosticCode].filter(Boolean).join(' ');
      r.command = replies[0].command;
    });
  }
  for (const r of recipients) {
    r.status = findStatusCode(r.diagnosticCode);
    r.replyCode = findReplyCode(r.diagnosticCode);
  }
  return { kind: 'bounce', recipients };
}

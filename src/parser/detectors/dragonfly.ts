// DragonFly Mail Agent (dma, bounce.c): one bounce per failed recipient.
//
//   This is the DragonFly Mail Agent v0.13 at df.example.jp.
//
//   There was an error delivering your mail to <kijitora@example.com>.
//
//   mx.example.com [192.0.2.25] did not like our RCPT TO:       <- net.c: host, step
//   552 5.2.2 <kijitora@example.com>: Recipient address rejected: Mailbox full
//
// The step is net.c's deliver_to_host() `when` of expect_response(): "MAIL FROM", "RCPT TO",
// "DATA" (the 354 to DATA) or "final DATA" (the reply to the end of the message data, i.e.
// after DATA). The reply follows on the next lines, every line of a multi-line one.
//
//   Message headers follow.
//
// Errors dma writes itself have no reply line ("DNS lookup failure: host x not found",
// "Could not deliver for the last 432000 seconds. Giving up."): that text is the diagnostic.
import { findCommand, findReplyCode, findReplyStatus, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

const INTRO = /^This is the DragonFly Mail Agent\b/m;
// (inside the brackets: any address, a quoted local part with its spaces too, RFC 5321 §4.1.2;
// the address on the next line when a relay or client re-flowed the text)
const RECIPIENT = /^There was an error delivering your mail to(?:[ \t]*\n)?[ \t]*<([^<>\r\n]{1,320})>\.?[ \t]*$/m;

export function detectDragonfly(view: MailView): DetectorResult | null {
  const text = textHead(view.reportText, 50_000);
  if (!INTRO.test(text)) return null;
  const m = RECIPIENT.exec(text);
  const addr = m ? normalizeAddress(m[1]) : null;
  if (!m || !addr) return null;
  // the error text: from after the recipient line to "Message headers follow" (or the end)
  let rest = text.slice(m.index + m[0].length);
  const end = rest.search(/^Message headers follow\.?|^Original message follows/im);
  if (end >= 0) rest = rest.slice(0, end);
  let diag = oneLine(rest);
  let command: string | null = null;
  let remoteMta: string | null = null;
  const step = /^(\S+) \[[^\]\s]*\] did not like our ((?:final )?[A-Z]+(?: [A-Z]+)?):?\s*/.exec(diag);
  if (step) {
    remoteMta = step[1];
    const when = step[2].replace(/^final /, '');
    command = findCommand('after ' + when) ?? when.split(' ')[0];
    diag = diag.slice(step[0].length).trim() || diag;
  }
  const recipient = newRecipient(addr, {
    action: 'failed',
    status: findReplyStatus(diag),
    replyCode: findReplyCode(diag),
    diagnosticCode: diag || null,
    remoteMta,
    command,
  });
  return { kind: 'bounce', recipients: [recipient] };
}

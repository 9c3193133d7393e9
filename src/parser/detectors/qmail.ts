// qmail-send bounces (qmail-send.c, qmail-remote.c) and their netqmail / notqmail / indimail /
// vpopmail variants:
//
//   Hi. This is the qmail-send program at mx.example.jp.
//   I'm afraid I wasn't able to deliver your message to the following addresses.
//   This is a permanent error; I've given up. Sorry it didn't work out.
//
//   <kijitora@example.jp>:                                 <- one block per address
//   192.0.2.1 does not like recipient.                     <- qmail-remote's own words
//   Remote host said: 550 5.1.1 <kijitora@example.jp>... User unknown
//   Giving up on 192.0.2.1.
//
//   --- Below this line is a copy of the message.
//
// qmail has no delay warnings: every report is final. Status codes appear as the remote reply
// (`550 5.1.1`) or as qmail's own `(#5.1.2)`. The SMTP command is not named, but qmail-remote's
// sentences say which step failed; we map them (see COMMANDS) so the classifier can tell a
// RCPT rejection from a DATA one. Other MTAs copy this layout (Yahoo's old servers, some
// appliances): `readQmailBlocks` is exported for their detectors.
import type { RecipientReport } from '../../report.js';
import { headerValues } from '../mime.js';
import { findCommand, findReplyCode, findReplyStatus, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

const INTRO =
  /^Hi\. This is the qmail-send program at |^I'm afraid I wasn't able to deliver your message to the following addresses|^This is a permanent error; I've given up\. Sorry it didn't work out/m;

/**
 * The openings qmail's clones write in place of qmail-send's greeting, under qmail's Subject
 * "failure notice" (Sisimai 5's qmail module lists them; Yahoo's servers write "Failure Notice"
 * and the first one). Literal alternatives anchored at a line start.
 */
const CLONE_INTRO =
  /^(?:Sorry, we were unable to deliver your message to the following address|Unfortunately, your mail was not delivered to the following address|Su mensaje no pudo ser entregado|This is the mail delivery agent at |Unable to deliver message to the following address|Your message to the following addresses|Your mail message to the following address|This is the machine generated message from mail service)/m;

/** qmail-remote.c's sentences -> the SMTP step that failed. */
const COMMANDS: [RegExp, string][] = [
  [/does not like recipient|no such (?:user|mailbox) here|recipient (?:address )?rejected/i, 'RCPT'],
  [/failed after I sent the message|failed on DATA command|didn't accept the message/i, 'DATA'],
  [/sender was rejected|does not like sender/i, 'MAIL'],
  [/my name was rejected/i, 'HELO'],
  [/but greeting failed/i, 'CONNECT'],
];

/** qmail-send's closing line of a message that sat in the queue too long. */
const QUEUE_TOO_LONG = /^\/?I'm not going to try again; this message has been in the queue too long\.?\s*$/i;

export interface QmailBlock {
  address: string;
  /** The block's lines, minus "Giving up on ..." and the queue-too-long line. */
  lines: string[];
  /** True when qmail said it gave up because the message was queued too long. */
  queueTooLong: boolean;
}

/**
 * `<address>:` or `<address>: text` at the start of a line (the address with no white space or
 * brackets, an '@' inside). A scan, not /^<([^<>\s]+@[^<>\s]+)>:/, which backtracks over every
 * '@' of a line like `<a@a@a@...` that never closes.
 */
function addressLine(l: string): { address: string; rest: string } | null {
  if (l.charCodeAt(0) !== 60) return null;
  const close = l.indexOf('>');
  if (close < 0 || l.charCodeAt(close + 1) !== 58) return null;
  const address = l.slice(1, close);
  const at = address.indexOf('@');
  if (at <= 0 || at === address.length - 1 || /[<\s]/.test(address)) return null;
  const after = l.slice(close + 2);
  if (after && !/^\s/.test(after)) return null;
  return { address, rest: after.trim() };
}

/**
 * Reads `<address>:` blocks (each up to the next blank line or the next `<address>:` line).
 * The text after the colon on the address line, if any, is the first line of the block.
 */
function readQmailBlocks(text: string): QmailBlock[] {
  const blocks: QmailBlock[] = [];
  let cur: QmailBlock | null = null;
  for (const raw of text.split('\n')) {
    const l = raw.trimEnd();
    // a signature (RFC 3676 "-- ", its blank trimmed) ends the notice: relays sign the clones' texts
    if (l === '--') break;
    const m = addressLine(l);
    if (m) {
      cur = { address: m.address, lines: m.rest ? [m.rest] : [], queueTooLong: false };
      blocks.push(cur);
      continue;
    }
    if (!cur) continue;
    if (!l.trim()) {
      // a blank line ends the block once it has text (some servers leave one after the address)
      if (cur.lines.length) cur = null;
      continue;
    }
    if (/^-{2,} ?(?:Below this line|Enclosed is|This is a copy|Original message)/i.test(l)) break;
    if (QUEUE_TOO_LONG.test(l.trim())) {
      cur.queueTooLong = true;
      continue;
    }
    if (/^Giving up on \S+\.?$/i.test(l.trim())) continue;
    cur.lines.push(l.trim());
  }
  return blocks;
}

/** The SMTP command a qmail-remote sentence names, or one written out ("after RCPT TO"). */
function qmailCommand(text: string): string | null {
  for (const [re, c] of COMMANDS) if (re.test(text)) return c;
  return findCommand(text);
}

/** One RecipientReport per block (duplicates dropped). */
function qmailRecipients(blocks: QmailBlock[]): RecipientReport[] {
  const out: RecipientReport[] = [];
  const seen = new Set<string>();
  for (const b of blocks) {
    const addr = normalizeAddress(b.address);
    if (!addr || seen.has(addr)) continue;
    seen.add(addr);
    let diag = oneLine(b.lines.join(' '));
    // indimail prefixes its own envelope echo: "From: <a@b> RCPT: <c@d> 192.0.2.1 does not ..."
    diag = diag.replace(/^From: <[^<>]*> RCPT: <[^<>]*>\s*/i, '');
    if (!diag && b.queueTooLong) diag = "I'm not going to try again; this message has been in the queue too long.";
    out.push(
      newRecipient(addr, {
        action: 'failed',
        status: findReplyStatus(diag),
        replyCode: findReplyCode(diag),
        diagnosticCode: diag || null,
        command: diag ? qmailCommand(diag) : null,
      }),
    );
  }
  return out;
}

function looksLikeQmail(view: MailView): boolean {
  if (INTRO.test(view.reportText)) return true;
  // a translated or edited text: qmail's Received line for bounces and its subject
  const subject = view.subject;
  if (!/^failure notice$/i.test(subject.trim())) return false;
  return headerValues(view.headers, 'received').some((r) => /\binvoked for bounce\b/.test(r)) || CLONE_INTRO.test(view.reportText);
}

export function detectQmail(view: MailView): DetectorResult | null {
  if (!looksLikeQmail(view)) return null;
  const text = textHead(view.reportText, 100_000);
  const recipients = qmailRecipients(readQmailBlocks(text));
  if (!recipients.length) return null;
  return { kind: 'bounce', recipients };
}

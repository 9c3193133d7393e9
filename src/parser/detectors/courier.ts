// Courier mail server (courierdsn, the dsn module; its text is the templates dsnheader.txt,
// dsnfailed.txt / dsndelayed.txt, dsnfooter.txt of /etc/courier): an RFC 3464 report whose
// human-readable part lists, per recipient, the log that courieresmtp kept of the attempts:
//
//   This is a delivery status notification from mta.example.org,
//   running the Courier mail server, version 1.0.16.                  <- dsnheader.txt
//   ...
//   <kijitora@example.com>:                                           <- one block per recipient
//        mx.example.com [192.0.2.25]:                                 <- an attempt: host [ip]
//    >>> RSET                                                         <- what Courier sent
//    <<< <command failed>                                             <- Courier's own words
//        mx.example.com [192.0.2.25]:                                 <- the next attempt
//    >>> RCPT TO:<kijitora@example.com> NOTIFY=FAILURE,DELAY
//    <<< 550-5.1.1 The email account that you tried to reach does not exist. Please try
//    <<< 550 5.1.1 double-checking ...                                <- every line of the reply
//
// (the leading space of ">>>"/"<<<" is absent in older versions). The delivery-status part
// carries a generic Status (5.0.0, 4.0.0 on delay notices), and a Diagnostic-Code only on
// failures, sometimes led by the "<command failed>" of an earlier attempt. So, per recipient:
// the last exchange of its block (the last ">>> command" and the "<<<" lines after it) is the
// reply and says which command it answered; the reply's own enhanced code beats X.0.0
// (preferStatus). A block with "<<<" lines and no ">>>" is Courier's own finding
// ("Connection refused", "No such domain."); an empty block says nothing.
import type { RecipientReport } from '../../report.js';
import { findCommand, findReplyCode, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { detectRfc3464, preferStatus } from './rfc3464.js';
import type { DetectorResult, MailView } from './types.js';

/** dsnheader.txt's second line. */
const HEADER = /^running the Courier mail server, version \S+/m;
const MAX_BLOCK_LINES = 200;

export function detectCourier(view: MailView): DetectorResult | null {
  const text = textHead(view.reportText, 100_000);
  if (!text.includes('running the Courier mail server') || !HEADER.test(text)) return null;
  const dsn = detectRfc3464(view);
  if (!dsn || !dsn.recipients.length) return null;
  const blocks = recipientBlocks(text);
  for (const r of dsn.recipients) {
    const exchange = blocks.get(r.finalRecipient) ?? (r.originalRecipient ? blocks.get(r.originalRecipient) : undefined);
    if (exchange) applyExchange(r, exchange);
  }
  return dsn;
}

interface Exchange {
  /** the last ">>> " line (null when the block has replies only) */
  sent: string | null;
  /** the "<<< " lines after it, joined */
  reply: string;
}

/**
 * Each "<addr>:" block of the text part, reduced to its last exchange. Header lines that follow
 * each other with no exchange between them head one log together (each gets it); an exchange
 * whose "RCPT TO:<addr>" names one of them is that one's alone; a block with no exchange falls
 * back on an exchange elsewhere whose "RCPT TO:<addr>" names it. One pass, bounded.
 */
function recipientBlocks(text: string): Map<string, Exchange> {
  const lastOfBlock = new Map<string, Exchange>();
  const byRcpt = new Map<string, Exchange>();
  let group: string[] = [];
  let exchanged = false; // the group has had an exchange: a new header starts a new group
  let sent: string | null = null;
  let owner: string | null = null;
  let reply: string[] = [];
  // the last line was a "<<<" one: an unindented line with neither prefix under it is the rest
  // of that line, wrapped by a relay or client that re-flowed the text (Courier writes every line
  // of a reply with "<<< "; the next host it tries is an indented "host [ip]:" line)
  let afterReply = false;
  let n = 0;
  const commit = () => {
    if (reply.length) {
      const ex = { sent, reply: oneLine(reply.join(' ')) };
      if (owner && group.includes(owner)) lastOfBlock.set(owner, ex);
      else for (const a of group) lastOfBlock.set(a, ex);
      if (owner) byRcpt.set(owner, ex);
      exchanged = true;
    }
    sent = null;
    owner = null;
    reply = [];
  };
  const close = () => {
    commit();
    group = [];
    exchanged = false;
    n = 0;
  };
  for (const line of text.split('\n')) {
    const head = /^<([^<>\r\n]{3,320})>:\s*$/.exec(line); // a quoted local part may hold spaces
    if (head) {
      if (exchanged || sent !== null) close();
      const a = normalizeAddress(head[1]);
      if (a && !lastOfBlock.has(a) && group.length < 100) group.push(a); // (a second block for it: the first counts)
      continue;
    }
    if (!group.length) continue;
    if (!line.trim() || /^-{10,}/.test(line) || ++n > MAX_BLOCK_LINES) {
      close();
      continue;
    }
    const t = line.trim();
    const wasReply = afterReply;
    afterReply = false;
    if (t.startsWith('>>>')) {
      commit();
      sent = t.slice(3).trim();
      owner = normalizeAddress(/^RCPT TO:\s*<([^<>\r\n]{3,320})>/i.exec(sent)?.[1]);
    } else if (t.startsWith('<<<')) {
      const said = t.slice(3).trim();
      // "<command failed>" is Courier's note that the command got no usable answer (a reused
      // connection's RSET): no reply of the server
      if (said && said !== '<command failed>') {
        reply.push(said);
        afterReply = true;
      }
    } else if (wasReply && reply.length && !/^[ \t]/.test(line)) {
      reply[reply.length - 1] += ' ' + t;
      afterReply = true;
    }
  }
  close();
  for (const [a, ex] of byRcpt) if (!lastOfBlock.has(a)) lastOfBlock.set(a, ex);
  return lastOfBlock;
}

function applyExchange(r: RecipientReport, ex: Exchange): void {
  const diag = ex.reply;
  // the Diagnostic-Code, when there is one, is the same reply (or its tail): keep the block's,
  // which has every line and no "<command failed>" of an earlier attempt
  r.diagnosticCode = diag;
  r.replyCode = findReplyCode(diag);
  r.status = preferStatus(r.status, diag);
  if (ex.sent) {
    // "RCPT TO:<addr> NOTIFY=...", "MAIL FROM:<...> SIZE=...", "DATA" (after the data, the
    // block shows DATA too: Courier logs the reply to the end of the data under it)
    const verb = /^(RCPT TO|MAIL FROM|DATA|EHLO|HELO|STARTTLS|RSET|QUIT)\b/i.exec(ex.sent);
    r.command = verb ? (findCommand('after ' + verb[1]) ?? verb[1].toUpperCase()) : r.command;
  }
}

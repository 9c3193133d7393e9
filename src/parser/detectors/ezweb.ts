// au by KDDI "EZweb" mobile mail (ezweb.ne.jp, au.com) returned mail. From:
// Postmaster@ezweb.ne.jp, Subject: "Mail System Error - Returned Mail". A Japanese paragraph
// (often EUC-JP mislabeled ISO-2022-JP, hence unreadable), then EZweb's English statement about
// the account, then the recipients:
//
//   The user(s) account is disabled.                    (EZweb's verdict on the mailbox)
//
//   <kijitora@ezweb.ne.jp>: 550 user unknown (in reply to RCPT TO command)
//
//   -- or --
//   Each of the following recipients was rejected by a remote
//   mail server.
//
//       Recipient: <kijitora@ezweb.ne.jp>
//       >>> RCPT TO:<kijitora@ezweb.ne.jp>
//       <<< 550 <kijitora@ezweb.ne.jp>: User unknown
//
// Newer reports add a message/delivery-status part whose recipient block has no
// Diagnostic-Code: the recipients and status come from it, the text from the prose.
// The statement is part of the diagnostic: it is EZweb's reading of the SMTP reply ("account is
// disabled" with a "550 user unknown" is a suspended contract, not a missing mailbox).
// `X-SPASIGN: NG` in the header marks a refusal by the recipient's anti-spam / domain filter
// settings ("SPASIGN"), whatever the prose says ("Each of the following recipients was rejected
// by a remote mail server" with no reply at all): the diagnostic type is then `x-spasign`, which
// the classifier reads as `filtered` (rule vendor.ezweb-spasign).
import type { RecipientReport } from '../../report.js';
import { headerValue, headerValues } from '../mime.js';
import { findCommand, findReplyCode, findStatusCode, indentOf, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { detectRfc3464 } from './rfc3464.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

function isEzweb(view: MailView): boolean {
  const h = view.headers;
  let score = 0;
  const from = headerValue(h, 'from') ?? '';
  if (/postmaster@(?:ezweb\.ne\.jp|au\.com)/i.test(from)) score++;
  if (view.subject.trim() === 'Mail System Error - Returned Mail') score++;
  if (/\.(?:ezweb\.ne\.jp|au\.com)>\s*$/i.test(headerValue(h, 'message-id') ?? '')) score++;
  // (the Received lines last, and only when they can make the two: most messages have many)
  if (score === 0) return false;
  if (headerValues(h, 'received').some((r) => /ezweb\.ne\.jp \(EZweb Mail\) with|\.au\.com \(/i.test(r))) score++;
  return score >= 2;
}

/** `<addr>`, `<addr>: text`, `Recipient: <addr>`. */
// (`[^]*` reads a line as `.*` would, without its quadratic retries at a U+2028: see exim.ts ADDRESS_LINE)
const RECIPIENT_LINE = /^[ \t]*(?:Recipient:[ \t]*)?<([^\s<>@]{1,256}@[^\s<>]{1,256})>:?[ \t]*([^]*)$/;

/** Characters of EZweb's statement kept (its sentences are well under 100). */
const MAX_PREFACE = 500;

interface Block {
  address: string;
  lines: string[];
  command: string | null;
  /** The address line carried text of its own ("<a>: 550 ..."). */
  inline: boolean;
}

// au by KDDI's other notice (au one net / dion.ne.jp, From: no-reply@...dion.ne.jp), read here
// because it is the same operator's and carries the same X-SPASIGN verdict (Sisimai 4.25's KDDI
// module documents the layout):
//
//   Your mail sent on: Thu, 29 Apr 2010 11:04:47 +0900   (or: "Your mail attempted to be
//       Could not be delivered to: <kijitora@example.jp>     delivered on: ...")
//       As their mailbox is full.                          <- the indented lines: the reason
//
// The fallback read the address but not the X-SPASIGN header (a filter refusal, issue #13).
function isKddi(view: MailView): boolean {
  const h = view.headers;
  if (/no-reply@(?:[\w-]+\.)*dion\.ne\.jp/i.test(headerValue(h, 'from') ?? '')) return true;
  if (/^\s*no-reply@app\.auone-net\.jp\s*$/i.test(headerValue(h, 'reply-to') ?? '')) return true;
  return headerValues(h, 'received').some((r) => /ezweb\.ne\.jp \(|\.au\.com \(/i.test(r));
}

const KDDI_MARKER = /^[ \t]*Your mail (?:sent on|attempted to be delivered on):?[ \t]/i;
const KDDI_RECIPIENT = /^[ \t]+Could not be delivered to:[ \t]*<?([^\s<>@]{1,256}@[^\s<>]{1,256})>?[ \t]*$/i;

function readKddi(view: MailView): DetectorResult | null {
  const text = textHead(view.reportText, 50_000);
  const spasign = /^\s*NG\b/i.test(headerValue(view.headers, 'x-spasign') ?? '');
  const recipients: RecipientReport[] = [];
  const seen = new Set<string>();
  let started = false;
  let cur: { address: string; lines: string[] } | null = null;
  const close = () => {
    if (cur && !seen.has(cur.address) && recipients.length < 1000) {
      seen.add(cur.address);
      const diag = oneLine(cur.lines.join(' ')) || null;
      recipients.push(newRecipient(cur.address, { action: 'failed', status: findStatusCode(diag), replyCode: findReplyCode(diag), diagnosticType: spasign ? 'x-spasign' : null, diagnosticCode: diag, command: findCommand(diag) }));
    }
    cur = null;
  };
  for (const line of text.split('\n')) {
    if (KDDI_MARKER.test(line)) {
      close();
      started = true;
      continue;
    }
    if (!started) continue;
    const m = KDDI_RECIPIENT.exec(line);
    const a = m ? normalizeAddress(m[1]) : null;
    if (a && a.includes('@')) {
      close();
      cur = { address: a, lines: [] };
    } else if (cur && /^[ \t]+\S/.test(line) && cur.lines.length < 20) {
      cur.lines.push(line.trim());
    } else if (cur && line.trim()) {
      close();
    }
  }
  close();
  return recipients.length ? { kind: 'bounce', recipients } : null;
}

export function detectEzweb(view: MailView): DetectorResult | null {
  if (!isEzweb(view)) return isKddi(view) ? readKddi(view) : null;
  let text = textHead(view.reportText, 50_000);
  // a line of dashes separates the report from the returned headers
  const cut = /^-{20,}[ \t]*$/m.exec(text);
  if (cut) text = text.slice(0, cut.index);

  const statement: string[] = [];
  const blocks: Block[] = [];
  // the line above (blank: ''): an address alone on a line right under an indented "<<<" reply
  // line, less indented than it, is the reply's rest that a relay's re-wrap broke off ("please
  // try" / "<new@x>"); EZweb's own entries are "Recipient: <a>" lines after a blank line
  let above = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const prev = above;
    above = raw;
    if (!line) continue;
    // the Japanese paragraph (or what is left of it when the charset was wrong)
    if (/[^\x20-\x7e]/.test(line)) continue;
    const m = RECIPIENT_LINE.exec(line);
    const a = m ? normalizeAddress(m[1]) : null;
    const broken = !!m && !/^Recipient:/i.test(line) && !m[2].trim() && prev.trim().startsWith('<<<') && indentOf(raw) < indentOf(prev);
    if (broken && blocks.length) {
      blocks[blocks.length - 1].lines.push(line);
      continue;
    }
    if (m && a && a.includes('@')) {
      const b: Block = { address: a, lines: [], command: null, inline: !!m[2].trim() };
      if (b.inline) b.lines.push(m[2].trim());
      blocks.push(b);
      continue;
    }
    const cur = blocks[blocks.length - 1];
    if (!cur) {
      if (/^this message is in mime format/i.test(line)) continue;
      statement.push(line);
      continue;
    }
    const cmd = /^>>>[ \t]*([^]*)$/.exec(line);
    if (cmd) {
      const c = /^(RCPT|MAIL|DATA|HELO|EHLO|STARTTLS)\b/i.exec(cmd[1].trim());
      cur.command = c ? c[1].toUpperCase() : cur.command;
      continue;
    }
    cur.lines.push(line.replace(/^<<<[ \t]*/, ''));
  }
  // bare addresses listed one after the other ("<a>" / "<b>" then "Each of the following
  // recipients was rejected ..."): the text after the list is each one's (issue #13 round 3,
  // metamorphic tests: with one more address listed, the first lost the text to the last)
  for (let i = blocks.length - 2; i >= 0; i--) {
    const b = blocks[i];
    const next = blocks[i + 1];
    if (!b.lines.length && !b.command && !next.inline) {
      b.lines = next.lines;
      b.command = next.command;
    }
  }
  // EZweb's statement is a sentence or two; it is repeated in every recipient's diagnostic, so a
  // longer one is cut
  const preface = oneLine(oneLine(statement.join(' ')).slice(0, MAX_PREFACE));
  const spasign = /^\s*NG\b/i.test(headerValue(view.headers, 'x-spasign') ?? '');
  const diagFor = (own: string | null) => {
    const o = own ? oneLine(own) : '';
    return (preface && o ? `${preface} ${o}` : preface || o) || null;
  };

  // recipients from the delivery-status part when there is one
  const dsn = detectRfc3464(view);
  let recipients: RecipientReport[];
  if (dsn && dsn.recipients.length) {
    const byAddress = new Map<string, Block>();
    for (const b of blocks) if (!byAddress.has(b.address)) byAddress.set(b.address, b);
    recipients = dsn.recipients.map((r) => {
      const b = byAddress.get(r.finalRecipient);
      const own = b && b.lines.length ? oneLine(b.lines.join(' ')) : r.diagnosticCode;
      const diag = diagFor(own);
      return {
        ...r,
        diagnosticCode: diag,
        diagnosticType: spasign ? 'x-spasign' : r.diagnosticType,
        replyCode: r.replyCode ?? findReplyCode(own),
        command: b?.command ?? r.command ?? findCommand(own),
        status: r.status ?? findStatusCode(own),
      };
    });
  } else {
    if (!blocks.length) return null;
    const seen = new Set<string>();
    recipients = [];
    for (const b of blocks) {
      if (seen.has(b.address)) continue;
      seen.add(b.address);
      const own = b.lines.length ? oneLine(b.lines.join(' ')) : null;
      const diag = diagFor(own);
      recipients.push(
        newRecipient(b.address, {
          action: 'failed',
          status: findStatusCode(own),
          replyCode: findReplyCode(own),
          diagnosticType: spasign ? 'x-spasign' : null,
          diagnosticCode: diag,
          command: b.command ?? findCommand(own),
        }),
      );
    }
  }
  return { kind: dsn?.kind ?? 'bounce', recipients, reportingMta: dsn?.reportingMta ?? null, arrivalDate: dsn?.arrivalDate ?? null };
}

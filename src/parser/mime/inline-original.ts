// The inline original: non-standard NDRs paste the returned message into their text instead of
// attaching it as message/rfc822; its header block is found there and the report's own text
// cut before it.

import { continuesReflowed } from './reflow.js';
import { splitEntity } from './headers.js';
import { endWithoutPadding } from './scan.js';
import type { HeaderMap } from './types.js';

/** Header names that show a block of lines is a message's header, not an NDR's prose. */
const ORIGINAL_FIELDS = new Set([
  'message-id', 'received', 'return-path', 'from', 'to', 'subject', 'date', 'mime-version',
  'content-type', 'x-mailer', 'dkim-signature', 'reply-to', 'cc', 'delivered-to', 'sender',
  'content-transfer-encoding', 'list-unsubscribe', 'x-originating-ip', 'references', 'in-reply-to',
]);

/**
 * A line that marks the start of the returned copy (Exim, qmail, Sendmail, Courier, Exchange...).
 * Anchored on whole lines made of the phrase and decoration, so prose does not match.
 * Not "Original Message Details": Office 365 heads its summary of the failed delivery so
 * (Created Date / Sender Address / Recipient Address), the recipient is named there.
 */
export const COPY_MARKER =
  /^[ \t>|*=_-]*(?:this is a copy of the message|below this line is a copy of the message|(?:the )?(?:original|returned|unsent|undelivered) message(?: headers?)?(?: (?:follows|is attached|below))?|original message headers?|message headers? follows?|the header of the original message is following|(?:original|returned) (?:message|mail|headers)\b(?! details)[^\n]{0,40}|headers of the original message|content-type: message\/rfc822|included is a copy of the (?:original )?message)[ \t:.*=_-]*$/im;

/**
 * The sender of a delivery notice: "MAILER-DAEMON", "postmaster", the MTAs' display names, the
 * null address "<>", Courier's "<@>".
 */
const NOTICE_FROM = /mailer-daemon|\bpostmaster@|mail delivery (?:subsystem|system|service)|microsoftexchange|^[ \t]*<>[ \t]*$|<@>/i;

/** Whether a From value names a delivery notice's sender (NOTICE_FROM). */
export function isNoticeSender(from: string): boolean {
  return NOTICE_FROM.test(from);
}

/**
 * A mail client's line over a message it forwards inline: Gmail's "---------- Forwarded message
 * ---------", Thunderbird's "-------- Forwarded Message --------", Apple Mail's "Begin forwarded
 * message:". The header block below it is the forwarded message's (here, the notice's), not a
 * returned copy.
 */
const FORWARD_SEPARATOR = /^[ \t>]*(?:-{3,}[ \t]*forwarded message[ \t]*-{3,}|begin forwarded message:)[ \t]*$/i;

function underForwardSeparator(lines: readonly string[], i: number): boolean {
  for (let k = i - 1; k >= 0 && k >= i - 2; k--) {
    if (lines[k].trim() === '') continue;
    return lines[k].length < 200 && FORWARD_SEPARATOR.test(lines[k]);
  }
  return false;
}

/**
 * The first copy marker (COPY_MARKER) of `text` that marks a returned copy, as a match with its
 * index, or null. A marker whose header block below names a notice's sender as From is a
 * person's forward of the notice (Outlook's "-----Original Message-----" / "From: Mail Delivery
 * System <MAILER-DAEMON@x>" / "Sent: ..."): the report follows it, and the search goes on below.
 */
export function findCopyMarker(text: string): { index: number } | null {
  let from = 0;
  for (let tries = 0; tries < 8; tries++) {
    const m = COPY_MARKER.exec(from ? text.slice(from) : text);
    if (!m) return null;
    const index = from + m.index;
    const end = index + m[0].length;
    if (!forwardedNotice(text, end)) return { index };
    from = end;
  }
  return null;
}

/** The lines after `pos` (one blank line may come first) are a header block whose From is a notice's sender. */
function forwardedNotice(text: string, pos: number): boolean {
  const lines = text.slice(pos, pos + 2000).split('\n', 12);
  let k = lines[0]?.trim() === '' ? 1 : 0;
  if (lines[k]?.trim() === '') k++;
  for (let n = 0; k < lines.length && n < 8; k++, n++) {
    const f = /^[ \t>]*([A-Za-z][A-Za-z-]{0,30})[ \t]*:([^]*)$/.exec(lines[k]);
    if (!f) return false;
    if (f[1].toLowerCase() === 'from') return isNoticeSender(f[2]);
  }
  return false;
}

interface InlineOriginal {
  start: number;
  headers: HeaderMap;
  /** The block is the report's summary of the original, with the report going on after it. */
  summary: boolean;
}

/**
 * Whether the header block starting at line i is introduced as the report's summary of the
 * message it reports on: Oracle (Sun, iPlanet) Messaging Server's notices open with "This report
 * relates to a message you sent with the following header fields:" and an indented copy of
 * the original's fields, and only then name the failed recipients. The fields are the original's
 * (its Message-ID matches the sent message), but the report goes on after them.
 */
function underSummaryIntro(lines: readonly string[], i: number): boolean {
  let k = i - 1;
  while (k >= 0 && lines[k]!.trim() === '') k--;
  if (k < 0) return false;
  // the sentence's end, with the line before it (a re-flowed "...header" / "fields:")
  const end = k > 0 && lines[k - 1]!.trim() !== '' ? `${lines[k - 1]!.slice(-80)} ${lines[k]!}` : lines[k]!;
  return /\bheader\s+fields:[ \t]*$/i.test(end);
}

/**
 * Looks for the header block of a returned message inside NDR prose. A run of at least two
 * consecutive field lines (optionally indented or quoted with '>') with at least one typical
 * message header; the first run carrying a Message-ID wins, else the first with From/To/Subject.
 */

export function findInlineOriginal(text: string): InlineOriginal | null {
  const lines = text.length > 512 * 1024 ? text.slice(0, 512 * 1024).split('\n') : text.split('\n');
  let best: InlineOriginal | null = null;
  let offset = 0;
  const offsets: number[] = [];
  for (const l of lines) {
    offsets.push(offset);
    offset += l.length + 1;
  }
  for (let i = 0; i < lines.length; i++) {
    const m = /^([ \t]*(?:>[ \t]?)*)([A-Za-z][A-Za-z0-9-]*)[ \t]*:/.exec(lines[i]);
    if (!m || !ORIGINAL_FIELDS.has(m[2].toLowerCase())) continue;
    const prefix = m[1];
    // lines of the run start with the prefix, give or take its trailing white space (an index
    // scan: /[ \t]+$/ retries every blank of a long indent)
    const quote = prefix.slice(0, endWithoutPadding(prefix, 0, prefix.length));
    // collect the run
    const block: string[] = [];
    let j = i;
    let known = 0;
    let hasId = false;
    let hasAddr = false;
    let hasFrom = false;
    for (; j < lines.length; j++) {
      let l = lines[j];
      if (!l.startsWith(quote)) break;
      l = l.slice(prefix.length);
      const fm = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/.exec(l);
      if (fm) {
        const n = fm[1].toLowerCase();
        if (ORIGINAL_FIELDS.has(n)) known++;
        if (n === 'message-id') hasId = true;
        if (n === 'from' || n === 'to' || n === 'subject') hasAddr = true;
        if (n === 'from' || n === 'received' || n === 'return-path') hasFrom = true;
        block.push(l);
      } else if (block.length && /^[ \t]+\S/.test(l)) {
        block.push(l);
      } else if (block.length && l.trim() && continuesReflowed(lines[j - 1].length, l)) {
        // a long field a relay or client re-flowed ("Message-ID:" / "<long-id>"): its rest
        // starts at the margin, with no fold's blank
        block.push(' ' + l);
      } else break;
    }
    // a Message-ID, or a real header block (From plus Date/Received/Subject, 3+ fields): an
    // NDR's own summary ("To: x / Subject: y / Sent: z", Exchange) is not the original
    if (hasId ? known >= 2 : known >= 3 && hasFrom && hasAddr && !best) {
      const ent = splitEntity(block.join('\n') + '\n\n', false);
      // the header of a notice forwarded by a person ("---------- Forwarded message ----------"
      // / "From: Mail Delivery Subsystem <MAILER-DAEMON@x>"): the report itself follows, not
      // the returned message
      if (isNoticeSender((ent.headers['from'] ?? [])[0] ?? '') || underForwardSeparator(lines, i)) {
        i = Math.max(i, j - 1);
        continue;
      }
      const cand = { start: offsets[i], headers: ent.headers, summary: underSummaryIntro(lines, i) };
      if (hasId) return cand;
      best ??= cand;
    }
    i = Math.max(i, j - 1);
  }
  return best;
}

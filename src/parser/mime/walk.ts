// The multipart walk: every entity of the message visited once, in document order, each leaf
// decoded by its type. Quirks handled here, once:
//  - message/rfc822, message/global (RFC 6532) and text/rfc822-headers are the returned
//    original: kept apart (its header block) so its text never pollutes the report's text;
//  - message/delivery-status and message/global-delivery-status (RFC 6533; UTF-8, maybe
//    base64) and message/feedback-report (RFC 5965) bodies are kept as decoded strings.
// Depth and part count are capped (limits.ts).

import { isEightBitUtf8, latin1ToText } from './charset.js';
import { parseContentType, type ContentType } from './content-type.js';
import { unflow } from './flowed.js';
import { headerValue, splitEntity } from './headers.js';
import { MAX_DEPTH, MAX_PARTS } from './limits.js';
import { splitMultipart } from './multipart.js';
import { decodeTransfer } from './transfer.js';
import type { Entity, MimePart, OriginalView } from './types.js';

export interface WalkState {
  parts: MimePart[];
  /** text/html parts that are an alternative to a text/plain one (RFC 2046 §5.1.4). */
  htmlAlternatives: Set<MimePart>;
  deliveryStatus: string[];
  feedbackReports: string[];
  original: OriginalView | null;
  warnings: string[];
  count: number;
}

const ORIGINAL_TYPES = new Set(['message/rfc822', 'message/global', 'text/rfc822-headers', 'message/rfc822-headers', 'message/global-headers']);
const STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);

/** `source`: the entity's own text (header block and body), for a part that may be a pasted message. */
export function walk(ent: Entity, depth: number, st: WalkState, parentType: string, plainAlternative = false, source?: string): void {
  if (++st.count > MAX_PARTS) {
    if (st.count === MAX_PARTS + 1) st.warnings.push('too many MIME parts; rest ignored');
    return;
  }
  // RFC 2046 §5.1.5: the default type inside multipart/digest is message/rfc822
  const ct = parseContentType(headerValue(ent.headers, 'content-type'), parentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain');
  const cte = headerValue(ent.headers, 'content-transfer-encoding');

  if (ct.type.startsWith('multipart/') && depth < MAX_DEPTH) {
    const boundary = ct.params['boundary'];
    const children = boundary ? splitMultipart(ent.body, boundary) : null;
    if (children) {
      const ents = children.map((c) => splitEntity(c, false));
      // RFC 2046 §5.1.4: the parts of a multipart/alternative are versions of one content; with
      // a text/plain version there, the others (HTML) are the same text again
      const alt = plainAlternative || (ct.type === 'multipart/alternative' && ents.some((e) => parseContentType(headerValue(e.headers, 'content-type')).type === 'text/plain'));
      ents.forEach((e, i) => walk(e, depth + 1, st, ct.type, alt, children[i]));
      return;
    }
    st.warnings.push(boundary ? `boundary "${boundary}" not found` : 'multipart without boundary');
    // treat the body as text so the detectors still see it
    addText(st, ent, { type: 'text/plain', params: ct.params }, depth, ent.body);
    return;
  }

  if (ORIGINAL_TYPES.has(ct.type)) {
    const raw = decodeTransfer(ent.body, cte);
    if (st.original === null) {
      // its header block only: what a report says about the returned message is in its
      // headers (Message-ID, From, To ...); its body is not decoded (no one reads it)
      const inner = splitEntity(raw, false, true);
      st.original = {
        source: ct.type === 'message/rfc822-headers' ? 'text/rfc822-headers' : ct.type.replace('message/global-headers', 'text/rfc822-headers'),
        headers: inner.headers,
      };
      if (ct.type !== 'text/rfc822-headers' && ct.type !== 'message/rfc822-headers') st.original.raw = raw.slice(0, 1024 * 1024);
    }
    return;
  }

  if (STATUS_TYPES.has(ct.type)) {
    // RFC 6533 global status is UTF-8; plain delivery-status is ASCII, UTF-8 is harmless. Bytes
    // that are valid UTF-8 are read as UTF-8 whatever charset the part names: a "utf-8;"
    // Final-Recipient (RFC 6533 §3) read as ISO-8859-1 would be an address that does not exist
    const body = decodeTransfer(ent.body, cte);
    const text = latin1ToText(body, isEightBitUtf8(body) ? 'utf-8' : (ct.params['charset'] ?? 'utf-8'), st.warnings);
    st.deliveryStatus.push(text);
    st.parts.push({ contentType: ct.type, params: ct.params, headers: ent.headers, text, depth });
    return;
  }
  if (ct.type === 'message/feedback-report') {
    const text = latin1ToText(decodeTransfer(ent.body, cte), 'utf-8', st.warnings);
    st.feedbackReports.push(text);
    st.parts.push({ contentType: ct.type, params: ct.params, headers: ent.headers, text, depth });
    return;
  }
  if (ct.type === 'message/disposition-notification') {
    // RFC 8098 §3: the MDN's fields (Final-Recipient, Disposition), ASCII; kept as the part's
    // text for the detectors (a Sieve reject, RFC 5429 §2.1, is such a notice)
    const text = latin1ToText(decodeTransfer(ent.body, cte), 'utf-8', st.warnings);
    st.parts.push({ contentType: ct.type, params: ct.params, headers: ent.headers, text, depth });
    return;
  }
  if (depth > 0 && st.original === null && ct.type === 'text/plain' && pastedMessage(ent)) {
    // a returned message pasted as a part of its own, its header block as the part's (no
    // message/rfc822 type): its fields are the original's, its body is not the report's text.
    // Kept whole, as an attached one is: a notice forwarded this way is read from it
    // (parser/index.ts innerReport)
    st.original = { source: 'pasted', headers: ent.headers };
    if (source !== undefined) st.original.raw = source.slice(0, 1024 * 1024);
    return;
  }
  if (ct.type.startsWith('text/') || ct.type === 'message/partial') {
    let text = latin1ToText(decodeTransfer(ent.body, cte), ct.params['charset'], st.warnings);
    if (ct.type === 'text/plain' && (ct.params['format'] ?? '').trim().toLowerCase() === 'flowed') {
      text = unflow(text, (ct.params['delsp'] ?? '').trim().toLowerCase() === 'yes');
    }
    addText(st, ent, ct, depth, text, plainAlternative);
    return;
  }
  st.parts.push({ contentType: ct.type, params: ct.params, headers: ent.headers, text: '', depth });
}

/**
 * A part whose header block holds a message's own fields (two or more of Received, Message-ID,
 * From, To, Date, Subject): MIME part headers are Content-* fields (RFC 2045 §3, RFC 2183), so
 * such a part is a message pasted without its type, as some NDR families return the original.
 */
function pastedMessage(ent: Entity): boolean {
  let n = 0;
  for (const name of ['received', 'message-id', 'from', 'to', 'date', 'subject']) if (ent.headers[name]) n++;
  return n >= 2;
}

function addText(st: WalkState, ent: Entity, ct: ContentType, depth: number, text: string, plainAlternative = false): void {
  const part: MimePart = { contentType: ct.type, params: ct.params, headers: ent.headers, text, depth };
  if (ct.type === 'text/html' && plainAlternative) st.htmlAlternatives.add(part);
  st.parts.push(part);
}

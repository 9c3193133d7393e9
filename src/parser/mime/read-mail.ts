// The entry point: raw message bytes -> MailView.

import { parseContentType } from './content-type.js';
import { headerValue, splitEntity } from './headers.js';
import { findCopyMarker, findInlineOriginal } from './inline-original.js';
import { latin1WithLf } from './line-ends.js';
import { withoutLinkWrappers } from './link-wrappers.js';
import { unquoteBlocks } from './quoted.js';
import { readableText } from './readable-text.js';
import { UnparseableError, type MailView } from './types.js';
import { walk, type WalkState } from './walk.js';

/** Control bytes that never occur in a mail header block (TAB, LF and ESC do; CR is gone). */
// eslint-disable-next-line no-control-regex -- matching control bytes is the point
const CONTROL_BYTES = /[\x00-\x08\x0b-\x1a\x1c-\x1f]/g;

/**
 * Tags that mail gateways and inbox rules put before a subject: a bracketed word or two
 * ("[EXTERNAL]", "[SPAM]", "[Suspicious]": Exchange transport rules, Proofpoint, Mimecast) and
 * a word between runs of asterisks (SpamAssassin's rewrite_header "*****SPAM*****", Amavis'
 * "***SPAM***"). At most three, each at most 40 characters: linear.
 */
const SUBJECT_TAG = /^[ \t]*(?:\[[^[\]\n]{1,40}\]|\*{2,10}[^*\n]{1,40}\*{2,10})[ \t]*/;

export function withoutSubjectTags(subject: string): string {
  let s = subject;
  for (let i = 0; i < 3; i++) {
    const m = SUBJECT_TAG.exec(s);
    if (!m || m[0].length === s.length) break;
    s = s.slice(m[0].length);
  }
  return s;
}

/**
 * Reads raw message bytes into a MailView. Throws UnparseableError when there is no header
 * block to read (empty input, binary garbage): everything else yields a view, however odd.
 */
export function readMail(raw: Buffer): MailView {
  if (!raw || raw.length === 0) throw new UnparseableError('empty input: not a mail message');
  const s = latin1WithLf(raw);
  const ent = splitEntity(s, true);
  // field names are tokens ("Received", "X-Foo"); `{"a": 1}` is JSON, not a header block
  if (ent.fieldCount === 0 || !Object.keys(ent.headers).some((n) => /^[a-z][a-z0-9_-]*$/.test(n))) {
    throw new UnparseableError('no RFC 5322 header block found: not a mail message');
  }
  // a header block is made of text: NUL bytes or mostly non-printables mean binary data
  // (one regex pass, counting only when there is any: text messages have none)
  const head = s.length > 4096 ? s.slice(0, 4096) : s;
  CONTROL_BYTES.lastIndex = 0;
  const bad = CONTROL_BYTES.test(head) ? (head.match(CONTROL_BYTES)?.length ?? 0) : 0;
  if (bad > 8 || bad > head.length / 20) {
    throw new UnparseableError('binary data (control bytes in the header block): not a mail message');
  }

  const st: WalkState = { parts: [], htmlAlternatives: new Set(), deliveryStatus: [], feedbackReports: [], original: null, warnings: [], count: 0 };
  walk(ent, 0, st, '');
  const top = parseContentType(headerValue(ent.headers, 'content-type'));
  // (a report quoted in an inline forward reads as the report: its lines without the marks; a
  // link a link-protection service rewrote as the link it was)
  const text = unquoteBlocks(withoutLinkWrappers(readableText(st)));

  let reportText = text;
  let original = st.original;
  const marker = findCopyMarker(text);
  if (original === null) {
    const inline = findInlineOriginal(marker ? text.slice(marker.index) : text);
    if (inline) {
      const base = marker ? marker.index : 0;
      original = { source: 'inline', headers: inline.headers };
      // a summary of the original's fields opens the report, which goes on after it
      reportText = text.slice(0, marker ? marker.index : inline.summary ? text.length : base + inline.start);
    } else if (marker) {
      reportText = text.slice(0, marker.index);
    }
  } else if (marker) {
    reportText = text.slice(0, marker.index);
  }

  return {
    headers: ent.headers,
    subject: withoutSubjectTags(headerValue(ent.headers, 'subject') ?? ''),
    contentType: top.type,
    contentParams: top.params,
    parts: st.parts,
    text,
    reportText,
    deliveryStatus: st.deliveryStatus,
    feedbackReports: st.feedbackReports,
    original,
    warnings: st.warnings,
  };
}

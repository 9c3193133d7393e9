// Header blocks: an entity split into its fields and body. Quirks handled here, once: an mbox
// "From " envelope line before the headers is skipped; folded lines are unfolded (RFC 5322
// §2.2.3); a block without the blank line that should end it ends at the first non-field line.

import { decodeHeaderValue } from './encoded-words.js';
import { endWithoutPadding } from './scan.js';
import type { Entity, HeaderMap } from './types.js';

/**
 * Where the colon after a field name starting at `pos` (a line start) is, or -1 when the line,
 * which ends at `eol`, is no field. RFC 5322 field name: printable US-ASCII except ':' (we
 * tolerate spaces and tabs before the colon). A scan over the message string itself: no copy of
 * the line is made for a line that is no field.
 */
function fieldColon(s: string, pos: number, eol: number): number {
  let i = pos;
  while (i < eol && isFieldNameChar(s.charCodeAt(i))) i++;
  if (i === pos) return -1;
  while (i < eol && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i < eol && s.charCodeAt(i) === 58 ? i : -1;
}

function isFieldNameChar(c: number): boolean {
  return c >= 0x21 && c <= 0x7e && c !== 0x3a;
}

/** Whether s[pos, eol) is empty or spaces and tabs only (the blank line ending a header block). */
function blankLine(s: string, pos: number, eol: number): boolean {
  for (let i = pos; i < eol; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** One field added to the map: name lower-cased, value trimmed and decoded. */
function addField(headers: HeaderMap, name: string, value: string): void {
  const n = name.toLowerCase();
  const v = decodeHeaderValue(value.trim());
  // `[v]`, not `[]` then push: an empty array grows to 17 slots on its first push
  const list = headers[n];
  if (list) list.push(v);
  else headers[n] = [v];
}

export function headerValue(h: HeaderMap, name: string): string | null {
  const v = h[name];
  return v && v.length ? v[0] : null;
}

export function headerValues(h: HeaderMap, name: string): string[] {
  return h[name] ?? [];
}

/** Lines looked ahead for the header block going on (splitEntity's `lostFolds`). */
const RESUME_LOOKAHEAD = 24;

/**
 * Whether the lines from `pos` hold another field before a blank line, within a few lines: the
 * header block goes on, so the line before `pos` was a continuation whose leading white space
 * was lost.
 */
function headerResumes(s: string, pos: number): boolean {
  for (let k = 0; k < RESUME_LOOKAHEAD && pos < s.length; k++) {
    let nl = s.indexOf('\n', pos);
    if (nl < 0) nl = s.length;
    if (blankLine(s, pos, nl)) return false;
    const c = s.charCodeAt(pos);
    if (c !== 32 && c !== 9 && fieldColon(s, pos, nl) >= 0) return true;
    pos = nl + 1;
  }
  return false;
}

/**
 * Splits an entity into its header block and body. The header block ends at the first empty
 * line, or at the first line that is neither a field nor a continuation (broken senders).
 * `lostFolds` (a returned message): a line that is no field, inside a header block that goes on
 * with more fields within a few lines, is a continuation whose leading white space a store or
 * relay stripped (a returned message's DKIM-Signature and Received folded at column 0: its
 * Message-ID further down was lost with them).
 */
export function splitEntity(s: string, top: boolean, lostFolds = false): Entity {
  const headers: HeaderMap = Object.create(null);
  let pos = 0;
  let fieldCount = 0;
  if (!top) {
    // nested messages often start with blank lines
    while (s.charCodeAt(pos) === 10) pos++;
  }
  if (s.startsWith('From ', pos) || s.startsWith('>From ', pos)) {
    const nl = s.indexOf('\n', pos);
    pos = nl < 0 ? s.length : nl + 1;
  }
  // the field being read: its name, and its value so far (continuation lines appended)
  let name = '';
  let value = '';
  while (pos < s.length) {
    let nl = s.indexOf('\n', pos);
    if (nl < 0) nl = s.length;
    if (blankLine(s, pos, nl)) {
      pos = nl + 1;
      break;
    }
    const c = s.charCodeAt(pos);
    if ((c === 32 || c === 9) && name) {
      // folded continuation: RFC 5322 §2.2.3 unfolding removes only the CRLF
      value += ' ' + s.slice(pos, nl).trim();
    } else {
      const colon = fieldColon(s, pos, nl);
      if (colon < 0 && lostFolds && name && headerResumes(s, nl + 1)) {
        value += ' ' + s.slice(pos, nl).trim();
        pos = nl + 1;
        continue;
      }
      if (colon < 0) break; // not a header line: the body starts here (no blank line was sent)
      if (name) {
        addField(headers, name, value);
        fieldCount++;
      }
      name = s.slice(pos, endWithoutPadding(s, pos, colon));
      value = s.slice(colon + 1, nl);
    }
    pos = nl + 1;
  }
  if (name) {
    addField(headers, name, value);
    fieldCount++;
  }
  return { headers, body: pos < s.length ? s.slice(pos) : '', fieldCount };
}

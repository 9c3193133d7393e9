// Header blocks: an entity split into its fields and body. Quirks handled here, once: an mbox
// "From " envelope line before the headers is skipped; folded lines are unfolded (RFC 5322
// §2.2.3); a block without the blank line that should end it ends at the first non-field line.

import { decodeHeaderValue } from './encoded-words.js';
import { endWithoutPadding } from './scan.js';
import type { Entity, HeaderMap } from './types.js';

/**
 * Where the colon after a field name at the start of `line` is, or -1 when the line is no
 * field. RFC 5322 field name: printable US-ASCII except ':' (we tolerate spaces and tabs before
 * the colon). A scan: the regex /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/ ran on every header line.
 */
function fieldColon(line: string): number {
  let i = 0;
  while (i < line.length && isFieldNameChar(line.charCodeAt(i))) i++;
  if (i === 0) return -1;
  while (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9) i++;
  return line.charCodeAt(i) === 58 ? i : -1;
}

function isFieldNameChar(c: number): boolean {
  return c >= 0x21 && c <= 0x7e && c !== 0x3a;
}

export function headerValue(h: HeaderMap, name: string): string | null {
  const v = h[name];
  return v && v.length ? v[0] : null;
}

export function headerValues(h: HeaderMap, name: string): string[] {
  return h[name] ?? [];
}

/**
 * Splits an entity into its header block and body. The header block ends at the first empty
 * line, or at the first line that is neither a field nor a continuation (broken senders).
 */
export function splitEntity(s: string, top: boolean): Entity {
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
  let name = '';
  let value = '';
  const flush = () => {
    if (!name) return;
    const n = name.toLowerCase();
    const v = decodeHeaderValue(value.trim());
    // `[v]`, not `[]` then push: an empty array grows to 17 slots on its first push
    const list = headers[n];
    if (list) list.push(v);
    else headers[n] = [v];
    fieldCount++;
    name = '';
  };
  while (pos < s.length) {
    let nl = s.indexOf('\n', pos);
    if (nl < 0) nl = s.length;
    const line = s.slice(pos, nl);
    if (line === '' || /^[ \t]+$/.test(line)) {
      pos = nl + 1;
      break;
    }
    const c = line.charCodeAt(0);
    if ((c === 32 || c === 9) && name) {
      // folded continuation: RFC 5322 §2.2.3 unfolding removes only the CRLF
      value += ' ' + line.trim();
    } else {
      const colon = fieldColon(line);
      if (colon < 0) break; // not a header line: the body starts here (no blank line was sent)
      flush();
      name = line.slice(0, endWithoutPadding(line, 0, colon));
      value = line.slice(colon + 1);
    }
    pos = nl + 1;
  }
  flush();
  return { headers, body: pos < s.length ? s.slice(pos) : '', fieldCount };
}

// Content-Transfer-Encoding (RFC 2045 §6): base64 and quoted-printable bodies back to octets.

import { normalizeLineEnds } from './line-ends.js';
import { decodeHexEscapes, endWithoutPadding } from './scan.js';

/**
 * RFC 2045 §6.7, line by line (LF: CRs are gone by now): white space at the end of a line is
 * padding (rule 3), a '=' that ends a line is a soft line break (rule 5), then `=XX` is a byte
 * (rule 1). Bytes split by a soft break ("=4\n1") are joined before decoding. One pass with
 * indexOf: the regex `[ \t]+$` (multiline) retried at every space of the body.
 */
export function decodeQuotedPrintable(s: string): string {
  if (s.indexOf('=') < 0) return s;
  let joined = '';
  let pos = 0;
  for (;;) {
    const nl = s.indexOf('\n', pos);
    const end = endWithoutPadding(s, pos, nl < 0 ? s.length : nl);
    if (nl < 0) {
      joined += s.slice(pos, end);
      break;
    }
    const soft = end > pos && s.charCodeAt(end - 1) === 61; // '='
    joined += soft ? s.slice(pos, end - 1) : s.slice(pos, end) + '\n';
    pos = nl + 1;
  }
  return decodeHexEscapes(joined);
}

/**
 * A part's octets from its transfer encoding, with LF line ends. Text in base64 (and often in
 * quoted-printable, as =0D=0A) carries the canonical CRLF line breaks of RFC 2045 §6.8 / RFC
 * 2046 §4.1.1, while a 7bit/8bit body had its line ends made LF with the whole message: the
 * same text must read the same whichever encoding carried it (issue #13 round 3, metamorphic
 * tests: Exim's text in base64 lost every reason, its regexes stopping at the CR).
 */
export function decodeTransfer(body: string, cte: string | null): string {
  const enc = (cte ?? '').trim().toLowerCase();
  if (enc === 'base64') {
    // Buffer's decoder skips white space and stops at garbage; never throws
    return normalizeLineEnds(Buffer.from(body.replace(/[^A-Za-z0-9+/=_-]/g, ''), 'base64').toString('latin1'));
  }
  if (enc === 'quoted-printable') return normalizeLineEnds(decodeQuotedPrintable(body));
  return body;
}

// Header values: RFC 2047 encoded words and raw 8-bit UTF-8 (RFC 6532).

import { latin1ToText } from './charset.js';
import { decodeHexEscapes } from './scan.js';

/** RFC 2047 encoded words; raw 8-bit bytes taken as UTF-8 when valid (RFC 6532). */
export function decodeHeaderValue(v: string): string {
  if (/[\x80-\xff]/.test(v)) v = latin1ToText(v, 'utf-8');
  if (v.indexOf('=?') < 0) return v;
  // Adjacent encoded words are joined without the white space between them (§6.2), and the
  // bytes of adjacent words in the same charset are decoded together: senders split
  // multi-byte and stateful (ISO-2022-JP) sequences across words, which word-by-word
  // decoding would garble.
  const joined = v.replace(/(\?=)\s+(?==\?)/g, '$1');
  const WORD = /=\?([^?\s]{1,40})\?([bBqQ])\?([^?\s]*)\?=/g;
  let out = '';
  let last = 0;
  let runCharset: string | null = null;
  let runBytes = '';
  let runText = '';
  const endRun = () => {
    if (runCharset === null) return;
    try {
      out += latin1ToText(runBytes, runCharset);
    } catch {
      out += runText;
    }
    runCharset = null;
    runBytes = '';
    runText = '';
  };
  let m: RegExpExecArray | null;
  while ((m = WORD.exec(joined))) {
    if (m.index > last) {
      endRun();
      out += joined.slice(last, m.index);
    }
    const charset = m[1]!.replace(/\*.*$/, '').toLowerCase();
    const data = m[3]!;
    // Q (§4.2): '_' is a space and =XX a byte; no line structure, so a space that ends the word
    // ("=?utf-8?q?Mail_System_Error_=2D_?=") is text, not the padding quoted-printable drops
    // (issue #13 round 3, metamorphic tests: a Subject split into words lost that space)
    const bytes = m[2]!.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('latin1') : decodeHexEscapes(data.replace(/_/g, ' '));
    if (runCharset !== null && runCharset !== charset) endRun();
    runCharset = charset;
    runBytes += bytes;
    runText += m[0];
    last = m.index + m[0].length;
  }
  endRun();
  return out + joined.slice(last);
}

// Small index scans shared by the decoders and the header reader: one pass each, no regex that
// could retry at every position of a long run.

/** `=XX` (two hex digits, either case) -> the byte XX; any other '=' stays as it is. */
export function decodeHexEscapes(s: string): string {
  let out = '';
  let last = 0;
  for (let i = s.indexOf('='); i >= 0; i = s.indexOf('=', i + 1)) {
    const high = hexValue(s.charCodeAt(i + 1));
    const low = high < 0 ? -1 : hexValue(s.charCodeAt(i + 2));
    if (low < 0) continue;
    out += s.slice(last, i) + String.fromCharCode(high * 16 + low);
    last = i + 3;
    i += 2;
  }
  return last === 0 ? s : out + s.slice(last);
}

/** The value of a hex digit's char code, -1 for anything else (NaN past the end included). */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 65 && c <= 70) return c - 55; // A-F
  if (c >= 97 && c <= 102) return c - 87; // a-f
  return -1;
}

/** `end` moved back over the spaces and tabs that end s[start, end). */
export function endWithoutPadding(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== 32 && c !== 9) break;
    end--;
  }
  return end;
}

// Line ends: LF, CRLF and CR-only (old Mac mailboxes) are all normalized to LF, on the latin1
// string, so every later scan looks for '\n' only. The whole message is done once while its
// bytes are decoded (latin1WithLf: one copy, not two); decoded base64 and quoted-printable
// bodies again (normalizeLineEnds), as their canonical CRLFs only appear after decoding.

/** Normalizes LF, CRLF and CR-only line ends to LF (on the latin1 string: bytes are kept). */
export function normalizeLineEnds(s: string): string {
  if (s.indexOf('\r') < 0) return s;
  return s.replace(/\r\n?/g, '\n');
}

/**
 * The message as a latin1 string with LF line ends, made with one copy of the input: without a
 * CR the bytes are decoded as they are; otherwise the runs between CRs are copied into a new
 * buffer (CRLF -> LF, a lone CR -> LF) before the one decode. (`toString` then a regex replace
 * makes two full-size strings; on a 25 MB message that is 50 MB more and the slower path.)
 */
export function latin1WithLf(raw: Buffer): string {
  let cr = raw.indexOf(13);
  if (cr < 0) return raw.toString('latin1');
  const out = Buffer.allocUnsafe(raw.length);
  let len = 0;
  let pos = 0;
  while (cr >= 0) {
    len += raw.copy(out, len, pos, cr);
    out[len++] = 10;
    pos = raw[cr + 1] === 10 ? cr + 2 : cr + 1;
    cr = raw.indexOf(13, pos);
  }
  len += raw.copy(out, len, pos);
  return out.toString('latin1', 0, len);
}

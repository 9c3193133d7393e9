// Multipart bodies (RFC 2046 §5.1) cut into their parts. A missing closing boundary ends the
// last part at the end of input.

/**
 * Splits a multipart body on its boundary lines (RFC 2046 §5.1.1); null when none is found.
 * A delimiter is "--boundary" at the start of the body or after a line end; the line end
 * before it belongs to the delimiter, not to the part. Parts are slices of `body` (no copy:
 * prefixing the body with a '\n' to find a first delimiter at offset 0 would copy it whole).
 */
export function splitMultipart(body: string, boundary: string): string[] | null {
  const dash = '--' + boundary;
  const delim = '\n' + dash;
  /** Offset of the next "--boundary" that starts a line, searching from `from`. */
  const next = (from: number): number => {
    const i = body.indexOf(delim, from);
    return i < 0 ? -1 : i + 1;
  };
  const out: string[] = [];
  let start = -1;
  let at = body.startsWith(dash) ? 0 : next(0);
  while (at >= 0) {
    const after = at + dash.length;
    const close = body.startsWith('--', after);
    // the rest of the delimiter line must be white space ("transport padding")
    let eol = body.indexOf('\n', after);
    if (eol < 0) eol = body.length;
    const rest = body.slice(close ? after + 2 : after, eol);
    if (!/^[ \t]*$/.test(rest)) {
      at = next(after);
      continue;
    }
    if (start >= 0) out.push(body.slice(start, Math.max(start, at - 1)));
    if (close) {
      start = -1;
      break;
    }
    start = eol + 1;
    at = next(eol);
  }
  if (start >= 0 && start <= body.length) out.push(body.slice(start)); // no closing delimiter
  return out.length ? out : null;
}

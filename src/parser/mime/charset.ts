// Charset decoding: bytes held in a latin1 string (one char per byte) -> text, through
// TextDecoder, which has ICU's charsets on Node 22: iso-2022-jp, shift_jis, windows-125x, ...
// UTF-7 (RFC 2152) is decoded here, TextDecoder does not know it.

const decoders = new Map<string, TextDecoder | null>();

/** Bytes held in a latin1 string -> text in `charset`; unknown charsets fall back to UTF-8/latin1. */
export function latin1ToText(s: string, charset: string | undefined, warnings?: string[]): string {
  // eslint-disable-next-line no-control-regex -- ESC (0x1b) opens an ISO-2022-JP shift sequence (RFC 1468)
  if (!/[\x80-\xff\x1b+]/.test(s)) return s; // pure ASCII (iso-2022-jp uses ESC, utf-7 uses '+')
  let cs = (charset ?? 'utf-8').trim().toLowerCase().replace(/^["']|["']$/g, '');
  if (cs === 'utf8' || cs === 'uft-8' || cs === '' || cs === 'us-ascii' || cs === 'ascii') cs = 'utf-8';
  if (cs === 'utf-7' || cs === 'unicode-1-1-utf-7') return decodeUtf7(s);
  // eslint-disable-next-line no-control-regex -- as above: ESC marks ISO-2022-JP
  if (!/[\x80-\xff\x1b]/.test(s)) return s;
  let d = decoders.get(cs);
  if (d === undefined) {
    try {
      d = new TextDecoder(cs);
    } catch {
      d = null;
      warnings?.push(`unknown charset ${cs}`);
    }
    decoders.set(cs, d);
  }
  const bytes = Buffer.from(s, 'latin1');
  if (d) return d.decode(bytes);
  const utf8 = bytes.toString('utf8');
  return utf8.includes('\ufffd') ? s : utf8;
}

/** RFC 2152 UTF-7 (some Exchange servers still label reports with it). */
function decodeUtf7(s: string): string {
  return s.replace(/\+([A-Za-z0-9+/]*)-?/g, (_, b64: string) => {
    if (b64 === '') return '+';
    const buf = Buffer.from(b64, 'base64');
    let out = '';
    for (let i = 0; i + 1 < buf.length; i += 2) out += String.fromCharCode((buf[i] << 8) | buf[i + 1]);
    return out;
  });
}

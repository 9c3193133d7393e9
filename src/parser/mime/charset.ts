// Charset decoding: bytes held in a latin1 string (one char per byte) -> text, through
// TextDecoder, which has ICU's charsets on Node 22: iso-2022-jp, shift_jis, windows-125x, ...
// UTF-7 (RFC 2152) is decoded here, TextDecoder does not know it.
import { isUtf8 } from 'node:buffer';

const decoders = new Map<string, TextDecoder | null>();

/** Bytes held in a latin1 string -> text in `charset`; unknown charsets fall back to UTF-8/latin1. */
export function latin1ToText(s: string, charset: string | undefined, warnings?: string[]): string {
  // eslint-disable-next-line no-control-regex -- ESC (0x1b) opens an ISO-2022-JP shift sequence (RFC 1468)
  if (!/[\x80-\xff\x1b+]/.test(s)) return s; // pure ASCII (iso-2022-jp uses ESC, utf-7 uses '+')
  let cs = (charset ?? 'utf-8').trim().toLowerCase().replace(/^["']|["']$/g, '');
  if (cs === 'utf8' || cs === 'uft-8' || cs === '' || cs === 'us-ascii' || cs === 'ascii') cs = 'utf-8';
  if (cs === 'utf-7' || cs === 'unicode-1-1-utf-7') return decodeUtf7(s);
  if (WINDOWS_1252_LABELS.has(cs)) return decodeWindows1252(s);
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

/**
 * Whether a byte string (one char per byte, as latin1ToText takes it) has 8-bit bytes and they
 * are valid UTF-8 (7-bit text is not: ISO-2022-JP and UTF-7 are 7-bit too).
 */
export function isEightBitUtf8(s: string): boolean {
  return /[\x80-\xff]/.test(s) && isUtf8(Buffer.from(s, 'latin1'));
}

/**
 * The labels the WHATWG Encoding Standard gives windows-1252 (ISO-8859-1 and "latin1" among them:
 * mail labelled so is written in Windows-1252 as often as not). us-ascii and ascii are not here:
 * above, they are read as UTF-8, which they often are.
 */
const WINDOWS_1252_LABELS = new Set([
  'windows-1252', 'cp1252', 'x-cp1252', 'iso-8859-1', 'iso8859-1', 'iso88591', 'iso_8859-1', 'iso_8859-1:1987',
  'iso-ir-100', 'latin1', 'l1', 'csisolatin1', 'ibm819', 'cp819', 'ansi_x3.4-1968',
]);

/**
 * Bytes 0x80-0x9F in windows-1252 (the Encoding Standard's index-windows-1252; the five it leaves
 * undefined keep their C1 code point). 0xA0-0xFF are the latin1 code points themselves.
 * Decoded here rather than by TextDecoder: Node before 22 decodes these bytes as C1 controls,
 * so the same message read differently by Node version (curly quotes, dashes, the euro sign).
 */
const CP1252_HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

function decodeWindows1252(s: string): string {
  return /[\x80-\x9f]/.test(s) ? s.replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!) : s;
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

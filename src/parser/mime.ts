// MIME layer: raw bytes -> a plain MailView that detectors read.
//
// Why not mailparser's simpleParser: measured over the 520 corpus messages it runs at about
// 650 msgs/s even with keepDeliveryStatus + all skip* options (target is >= 2,500), and it
// folds an embedded message/rfc822 into the text (its Message-ID is lost), while we need the
// returned original's headers as a separate value. Bounce reports are small and shallow, so
// this is a synchronous, linear walk over a latin1 ("binary") string: every byte maps to one
// char, bodies are decoded per part (transfer encoding, then charset through TextDecoder,
// which has ICU's charsets on Node 20: iso-2022-jp, shift_jis, windows-125x, ...).
//
// Protocol quirks handled here, once:
//  - line ends: LF, CRLF and CR-only (old Mac mailboxes) are all normalized to LF first, while
//    the bytes are decoded (latin1WithLf: one copy of the message, not two);
//  - an mbox "From " envelope line before the headers is skipped;
//  - folded header lines are unfolded; RFC 2047 encoded words and raw UTF-8 (RFC 6532) decoded;
//  - a missing closing boundary ends the part at the end of input;
//  - message/rfc822, message/global (RFC 6532) and text/rfc822-headers are the returned
//    original: kept apart (headers + body) so its text never pollutes the report's text;
//  - message/delivery-status and message/global-delivery-status (RFC 6533; UTF-8, maybe
//    base64) and message/feedback-report (RFC 5965) bodies are kept as decoded strings.
// Hostile input: depth and part count are capped, no regex here can backtrack badly.

/** Header fields: names lower-cased, one entry per occurrence, values unfolded and decoded. */
export type HeaderMap = Record<string, string[]>;

export interface MimePart {
  /** `type/subtype`, lower case (`text/plain` when absent). */
  contentType: string;
  /** Content-Type parameters, names lower-cased. */
  params: Record<string, string>;
  headers: HeaderMap;
  /** Decoded text for textual parts (text/*, message/*-status, feedback-report); '' otherwise. */
  text: string;
  /** Nesting depth (0 = the top-level entity). */
  depth: number;
}

/** The returned original message, as far as it was returned. */
export interface OriginalView {
  /** Where it came from: `message/rfc822`, `message/global`, `text/rfc822-headers`, `inline`. */
  source: string;
  headers: HeaderMap;
  /** Its decoded body text when one was returned (capped), '' otherwise. */
  body: string;
  /** The whole returned message (latin1, LF) for message/rfc822 parts, capped at 1 MiB. */
  raw?: string;
}

export interface MailView {
  /** Top-level header fields. */
  headers: HeaderMap;
  /** Top-level Content-Type, lower case. */
  contentType: string;
  /** Content-Type parameters of the top level (e.g. `report-type`). */
  contentParams: Record<string, string>;
  /** All leaf parts outside the returned original, in document order. */
  parts: MimePart[];
  /**
   * The human-readable text: text/plain parts outside the original joined with '\n' (HTML
   * parts reduced to text when there is no text/plain part). LF line ends.
   */
  text: string;
  /**
   * `text` cut before an inline copy of the original message (the header block or a
   * "this is a copy of the message" style marker), for detectors that scan for addresses.
   */
  reportText: string;
  /** Bodies of message/delivery-status and message/global-delivery-status parts. */
  deliveryStatus: string[];
  /** Bodies of message/feedback-report parts. */
  feedbackReports: string[];
  /** The returned original (structural part, or a header block found inline in the text). */
  original: OriginalView | null;
  /** Non-fatal oddities (unknown charset, missing boundary, ...). */
  warnings: string[];
}

export class UnparseableError extends Error {
  override name = 'UnparseableError';
}

const MAX_DEPTH = 12;
const MAX_PARTS = 300;
const MAX_ORIGINAL_BODY = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// headers

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

interface Entity {
  headers: HeaderMap;
  /** Body as a latin1 string (one char per byte), LF line ends. */
  body: string;
  /** Number of header fields found. */
  fieldCount: number;
}

/**
 * Splits an entity into its header block and body. The header block ends at the first empty
 * line, or at the first line that is neither a field nor a continuation (broken senders).
 */
function splitEntity(s: string, top: boolean): Entity {
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

// ---------------------------------------------------------------------------------------------
// content-type and transfer encodings

export interface ContentType {
  type: string;
  params: Record<string, string>;
}

/** `type/subtype` (RFC 2045 §5.1 tokens), lower case. */
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

export function parseContentType(v: string | null, fallback = 'text/plain'): ContentType {
  const params: Record<string, string> = Object.create(null);
  if (!v) return { type: fallback, params };
  const semi = v.indexOf(';');
  let type = (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase();
  if (!MEDIA_TYPE.test(type)) {
    // "text / plain" and folded values: white space inside the type is dropped
    type = type.replace(/\s+/g, '');
    if (!MEDIA_TYPE.test(type)) type = fallback;
  }
  if (semi >= 0) {
    const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
    const list = v.slice(semi);
    let m: RegExpExecArray | null;
    while ((m = re.exec(list))) {
      // RFC 2231 continuations/charsets (name*0*=) are rare in reports: keep the first piece
      const key = m[1].toLowerCase().replace(/\*.*$/, '');
      const val = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3].trim();
      if (!(key in params)) params[key] = val;
    }
  }
  return { type, params };
}

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

/** `=XX` (two hex digits, either case) -> the byte XX; any other '=' stays as it is. */
function decodeHexEscapes(s: string): string {
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
function endWithoutPadding(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== 32 && c !== 9) break;
    end--;
  }
  return end;
}

/**
 * A part's octets from its transfer encoding, with LF line ends. Text in base64 (and often in
 * quoted-printable, as =0D=0A) carries the canonical CRLF line breaks of RFC 2045 §6.8 / RFC
 * 2046 §4.1.1, while a 7bit/8bit body had its line ends made LF with the whole message: the
 * same text must read the same whichever encoding carried it (issue #13 round 3, metamorphic
 * tests: Exim's text in base64 lost every reason, its regexes stopping at the CR).
 */
function decodeTransfer(body: string, cte: string | null): string {
  const enc = (cte ?? '').trim().toLowerCase();
  if (enc === 'base64') {
    // Buffer's decoder skips white space and stops at garbage; never throws
    return normalizeLineEnds(Buffer.from(body.replace(/[^A-Za-z0-9+/=_-]/g, ''), 'base64').toString('latin1'));
  }
  if (enc === 'quoted-printable') return normalizeLineEnds(decodeQuotedPrintable(body));
  return body;
}

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

/**
 * HTML -> plain text, enough for reading an NDR's sentences and lines. HTML white space rules
 * (HTML Living Standard, "white-space: normal"): a run of spaces, tabs and line ends in the
 * source is one space (the source's line ends are not line breaks), except inside <pre>; line
 * breaks come from <br> and the ends of blocks; &nbsp; is a space that does not collapse (how
 * converters keep a text's indentation). The same report sent as text/plain and as text/html
 * then reads as the same lines (issue #13 round 3, metamorphic tests: an HTML-only report had
 * every source line end doubled, which cut Postfix's "(in reply to / RCPT TO command)").
 */
export function htmlToText(html: string): string {
  // `<[^<>]...>`, not `<[^>]...>`: a run of '<' without '>' must not rescan 2,000 chars each
  return collapseOutsidePre(dropHtmlBlocks(html))
    .replace(/<br\s*\/?>|<\/(p|div|tr|li|h\d|table|pre)>/gi, '\n')
    .replace(/<[^<>]{0,2000}>/g, ' ')
    .replace(/&nbsp;/gi, '\u00a0')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;|&apos;/gi, "'")
    .replace(/&#(\d{1,6});/g, (_, n: string) => safeFromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]{1,6});/gi, (_, n: string) => safeFromCodePoint(parseInt(n, 16)))
    .replace(/&amp;/gi, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n /g, '\n')
    .replace(/ \n/g, '\n')
    .replace(/\u00a0/g, ' ')
    .replace(/\n{3,}/g, '\n\n');
}

/**
 * Source white space (line ends included) collapsed to one space, except inside <pre>
 * elements, whose line ends are the text's. One scan with indexOf (as dropHtmlBlocks).
 */
function collapseOutsidePre(html: string): string {
  const lower = /<pre/i.test(html) ? html.toLowerCase() : null;
  if (!lower) return html.replace(/[ \t\r\n\f]+/g, ' ');
  let out = '';
  let pos = 0;
  for (;;) {
    const open = lower.indexOf('<pre', pos);
    const close = open < 0 ? -1 : lower.indexOf('</pre', open);
    if (close < 0) break;
    out += html.slice(pos, open).replace(/[ \t\r\n\f]+/g, ' ') + html.slice(open, close);
    pos = close;
  }
  return out + html.slice(pos).replace(/[ \t\r\n\f]+/g, ' ');
}

/**
 * Drops <script>, <style> and <head> elements. A scan with indexOf instead of the lazy regex
 * `<(script|style|head)\b[\s\S]*?<\/\1>`, which rescans to the end of input for every
 * opening tag that has no closing tag (quadratic on hostile input).
 */
function dropHtmlBlocks(html: string): string {
  const lower = html.toLowerCase();
  const open = /<(script|style|head)\b/g;
  const unclosed = new Set<string>();
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = open.exec(lower))) {
    const name = m[1];
    if (unclosed.has(name)) continue;
    const close = lower.indexOf('</' + name, open.lastIndex);
    const end = close < 0 ? -1 : lower.indexOf('>', close);
    if (end < 0) {
      // no closing tag after this one, hence none after any later one either
      unclosed.add(name);
      continue;
    }
    out += html.slice(last, m.index) + ' ';
    last = end + 1;
    open.lastIndex = last;
  }
  return last ? out + html.slice(last) : html;
}

function safeFromCodePoint(n: number): string {
  return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : ' ';
}

// ---------------------------------------------------------------------------------------------
// the walk

interface WalkState {
  parts: MimePart[];
  /** text/html parts that are an alternative to a text/plain one (RFC 2046 §5.1.4). */
  htmlAlternatives: Set<MimePart>;
  deliveryStatus: string[];
  feedbackReports: string[];
  original: OriginalView | null;
  warnings: string[];
  count: number;
}

const ORIGINAL_TYPES = new Set(['message/rfc822', 'message/global', 'text/rfc822-headers', 'message/rfc822-headers', 'message/global-headers']);
const STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);

function walk(ent: Entity, depth: number, st: WalkState, parentType: string, plainAlternative = false): void {
  if (++st.count > MAX_PARTS) {
    if (st.count === MAX_PARTS + 1) st.warnings.push('too many MIME parts; rest ignored');
    return;
  }
  // RFC 2046 §5.1.5: the default type inside multipart/digest is message/rfc822
  const ct = parseContentType(headerValue(ent.headers, 'content-type'), parentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain');
  const cte = headerValue(ent.headers, 'content-transfer-encoding');

  if (ct.type.startsWith('multipart/') && depth < MAX_DEPTH) {
    const boundary = ct.params['boundary'];
    const children = boundary ? splitMultipart(ent.body, boundary) : null;
    if (children) {
      const ents = children.map((c) => splitEntity(c, false));
      // RFC 2046 §5.1.4: the parts of a multipart/alternative are versions of one content; with
      // a text/plain version there, the others (HTML) are the same text again
      const alt = plainAlternative || (ct.type === 'multipart/alternative' && ents.some((e) => parseContentType(headerValue(e.headers, 'content-type')).type === 'text/plain'));
      for (const e of ents) walk(e, depth + 1, st, ct.type, alt);
      return;
    }
    st.warnings.push(boundary ? `boundary "${boundary}" not found` : 'multipart without boundary');
    // treat the body as text so the detectors still see it
    addText(st, ent, { type: 'text/plain', params: ct.params }, depth, ent.body);
    return;
  }

  if (ORIGINAL_TYPES.has(ct.type)) {
    const raw = decodeTransfer(ent.body, cte);
    if (st.original === null) {
      const inner = splitEntity(raw, false);
      st.original = {
        source: ct.type === 'message/rfc822-headers' ? 'text/rfc822-headers' : ct.type.replace('message/global-headers', 'text/rfc822-headers'),
        headers: inner.headers,
        body: latin1ToText(inner.body.slice(0, MAX_ORIGINAL_BODY), 'utf-8', st.warnings),
      };
      if (ct.type !== 'text/rfc822-headers' && ct.type !== 'message/rfc822-headers') st.original.raw = raw.slice(0, 1024 * 1024);
    }
    return;
  }

  if (STATUS_TYPES.has(ct.type)) {
    // RFC 6533 global status is UTF-8; plain delivery-status is ASCII, UTF-8 is harmless
    const text = latin1ToText(decodeTransfer(ent.body, cte), ct.params['charset'] ?? 'utf-8', st.warnings);
    st.deliveryStatus.push(text);
    st.parts.push({ contentType: ct.type, params: ct.params, headers: ent.headers, text, depth });
    return;
  }
  if (ct.type === 'message/feedback-report') {
    const text = latin1ToText(decodeTransfer(ent.body, cte), 'utf-8', st.warnings);
    st.feedbackReports.push(text);
    st.parts.push({ contentType: ct.type, params: ct.params, headers: ent.headers, text, depth });
    return;
  }
  if (ct.type.startsWith('text/') || ct.type === 'message/partial') {
    let text = latin1ToText(decodeTransfer(ent.body, cte), ct.params['charset'], st.warnings);
    if (ct.type === 'text/plain' && (ct.params['format'] ?? '').trim().toLowerCase() === 'flowed') {
      text = unflow(text, (ct.params['delsp'] ?? '').trim().toLowerCase() === 'yes');
    }
    addText(st, ent, ct, depth, text, plainAlternative);
    return;
  }
  st.parts.push({ contentType: ct.type, params: ct.params, headers: ent.headers, text: '', depth });
}

/**
 * RFC 3676 format=flowed text with its soft line breaks undone: a line that ends in a space
 * (not the signature separator "-- ", §4.3) continues on the next line of the same quote depth
 * (§4.2, §4.5); DelSp=yes drops that space (§4.2); one space at the start of a line, after the
 * quote marks, is space-stuffing (§4.4) and goes. A report sent flowed (Yahoo! JAPAN's) reads
 * as the same sentences as one sent with hard breaks (issue #13 round 3, metamorphic tests: the
 * reply text cut over two lines lost its reason, the returned headers their Message-ID).
 * One pass over the lines.
 */
export function unflow(text: string, delsp: boolean): string {
  if (text.indexOf(' \n') < 0 && text.indexOf('\n ') < 0 && text.charCodeAt(0) !== 32) return text;
  const out: string[] = [];
  let cur: string | null = null;
  let curDepth = 0;
  for (const line of text.split('\n')) {
    let depth = 0;
    while (line.charCodeAt(depth) === 62) depth++; // '>'
    let content = depth ? line.slice(depth) : line;
    if (content.charCodeAt(0) === 32) content = content.slice(1);
    const soft = content.charCodeAt(content.length - 1) === 32 && content !== '-- ';
    if (cur !== null && depth !== curDepth) {
      out.push(cur);
      cur = null;
    }
    const piece = soft && delsp ? content.slice(0, -1) : content;
    cur = cur === null ? (depth ? '>'.repeat(depth) + ' ' : '') + piece : cur + piece;
    curDepth = depth;
    if (!soft) {
      out.push(cur);
      cur = null;
    }
  }
  if (cur !== null) out.push(cur);
  return out.join('\n');
}

function addText(st: WalkState, ent: Entity, ct: ContentType, depth: number, text: string, plainAlternative = false): void {
  const part: MimePart = { contentType: ct.type, params: ct.params, headers: ent.headers, text, depth };
  if (ct.type === 'text/html' && plainAlternative) st.htmlAlternatives.add(part);
  st.parts.push(part);
}

/**
 * Splits a multipart body on its boundary lines (RFC 2046 §5.1.1); null when none is found.
 * A delimiter is "--boundary" at the start of the body or after a line end; the line end
 * before it belongs to the delimiter, not to the part. Parts are slices of `body` (no copy:
 * prefixing the body with a '\n' to find a first delimiter at offset 0 would copy it whole).
 */
function splitMultipart(body: string, boundary: string): string[] | null {
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

// ---------------------------------------------------------------------------------------------
// inline original (non-standard NDRs paste the returned message into the text)

/** Header names that show a block of lines is a message's header, not an NDR's prose. */
const ORIGINAL_FIELDS = new Set([
  'message-id', 'received', 'return-path', 'from', 'to', 'subject', 'date', 'mime-version',
  'content-type', 'x-mailer', 'dkim-signature', 'reply-to', 'cc', 'delivered-to', 'sender',
  'content-transfer-encoding', 'list-unsubscribe', 'x-originating-ip', 'references', 'in-reply-to',
]);

/**
 * A line that marks the start of the returned copy (Exim, qmail, Sendmail, Courier, Exchange...).
 * Anchored on whole lines made of the phrase and decoration, so prose does not match.
 */
const COPY_MARKER =
  /^[ \t>|*=_-]*(?:this is a copy of the message|below this line is a copy of the message|(?:the )?(?:original|returned|unsent|undelivered) message(?: headers?)?(?: (?:follows|is attached|below))?|original message headers?|message headers? follows?|the header of the original message is following|(?:original|returned) (?:message|mail|headers)\b[^\n]{0,40}|headers of the original message|content-type: message\/rfc822|included is a copy of the (?:original )?message)[ \t:.*=_-]*$/im;

interface InlineOriginal {
  start: number;
  headers: HeaderMap;
  body: string;
}

/**
 * Looks for the header block of a returned message inside NDR prose. A run of at least two
 * consecutive field lines (optionally indented or quoted with '>') with at least one typical
 * message header; the first run carrying a Message-ID wins, else the first with From/To/Subject.
 */
export function findInlineOriginal(text: string): InlineOriginal | null {
  const lines = text.length > 512 * 1024 ? text.slice(0, 512 * 1024).split('\n') : text.split('\n');
  let best: InlineOriginal | null = null;
  let offset = 0;
  const offsets: number[] = [];
  for (const l of lines) {
    offsets.push(offset);
    offset += l.length + 1;
  }
  for (let i = 0; i < lines.length; i++) {
    const m = /^([ \t]*(?:>[ \t]?)*)([A-Za-z][A-Za-z0-9-]*)[ \t]*:/.exec(lines[i]);
    if (!m || !ORIGINAL_FIELDS.has(m[2].toLowerCase())) continue;
    const prefix = m[1];
    // lines of the run start with the prefix, give or take its trailing white space (an index
    // scan: /[ \t]+$/ retries every blank of a long indent)
    const quote = prefix.slice(0, endWithoutPadding(prefix, 0, prefix.length));
    // collect the run
    const block: string[] = [];
    let j = i;
    let known = 0;
    let hasId = false;
    let hasAddr = false;
    let hasFrom = false;
    for (; j < lines.length; j++) {
      let l = lines[j];
      if (!l.startsWith(quote)) break;
      l = l.slice(prefix.length);
      const fm = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/.exec(l);
      if (fm) {
        const n = fm[1].toLowerCase();
        if (ORIGINAL_FIELDS.has(n)) known++;
        if (n === 'message-id') hasId = true;
        if (n === 'from' || n === 'to' || n === 'subject') hasAddr = true;
        if (n === 'from' || n === 'received' || n === 'return-path') hasFrom = true;
        block.push(l);
      } else if (block.length && /^[ \t]+\S/.test(l)) {
        block.push(l);
      } else break;
    }
    // a Message-ID, or a real header block (From plus Date/Received/Subject, 3+ fields): an
    // NDR's own summary ("To: x / Subject: y / Sent: z", Exchange) is not the original
    if (hasId ? known >= 2 : known >= 3 && hasFrom && hasAddr && !best) {
      const ent = splitEntity(block.join('\n') + '\n\n', false);
      const bodyStart = j < lines.length ? offsets[j] : text.length;
      const cand = { start: offsets[i], headers: ent.headers, body: text.slice(bodyStart, bodyStart + MAX_ORIGINAL_BODY) };
      if (hasId) return cand;
      best ??= cand;
    }
    i = Math.max(i, j - 1);
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// entry point

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

/** Control bytes that never occur in a mail header block (TAB, LF and ESC do; CR is gone). */
// eslint-disable-next-line no-control-regex -- matching control bytes is the point
const CONTROL_BYTES = /[\x00-\x08\x0b-\x1a\x1c-\x1f]/g;

/**
 * The human-readable text: the text parts outside the returned original, in document order
 * (text/plain, oddly labeled text/* such as test/plain or text/x-..., and text/html reduced to
 * text), each part once: an HTML version of a text/plain part (multipart/alternative) only when
 * the plain versions say nothing, and an HTML file attached (Content-Disposition: attachment,
 * RFC 2183) never beside a plain text. A report whose human-readable part is HTML only reads as
 * its plain twin, whatever other text parts the message carries (issue #13 round 3,
 * metamorphic tests: an HTML-only first part was dropped when a later part was text/plain).
 */
function readableText(st: WalkState): string {
  const out: string[] = [];
  const alternatives: string[] = [];
  const attachedHtml: string[] = [];
  for (const p of st.parts) {
    if (p.contentType === 'text/html') {
      const t = htmlToText(p.text);
      if (st.htmlAlternatives.has(p)) alternatives.push(t);
      else if (/^\s*attachment/i.test(headerValue(p.headers, 'content-disposition') ?? '')) attachedHtml.push(t);
      else out.push(t);
    } else if (p.contentType === 'text/plain' || p.contentType === 'message/partial' || /^te[sx]t\//.test(p.contentType)) {
      out.push(p.text);
    }
  }
  if (out.every((t) => !t.trim())) out.push(...alternatives, ...attachedHtml);
  return out.join('\n');
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
  const text = readableText(st);

  let reportText = text;
  let original = st.original;
  const marker = COPY_MARKER.exec(text);
  if (original === null) {
    const inline = findInlineOriginal(marker ? text.slice(marker.index) : text);
    if (inline) {
      const base = marker ? marker.index : 0;
      original = { source: 'inline', headers: inline.headers, body: inline.body };
      reportText = text.slice(0, marker ? marker.index : base + inline.start);
    } else if (marker) {
      reportText = text.slice(0, marker.index);
    }
  } else if (marker) {
    reportText = text.slice(0, marker.index);
  }

  return {
    headers: ent.headers,
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

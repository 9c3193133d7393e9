// Metamorphic robustness testing of the parser + classifier (issue #13, round 3).
//
// A bounce of a known MTA family that we have never seen differs from the files we have in
// details that must not change the answer: line ends, header folding, transfer encodings,
// charsets, the case of field names, addresses, Message-IDs, dates, optional headers, the
// number and order of recipient blocks ... Each MUTATION below makes one such change to a
// message we may read and says, in its `why`, the RFC rule that keeps the meaning. The answer
// expected for the mutated message is the classifier's own answer on the original, with the
// renaming the mutation did applied to it: any other answer is a robustness bug.
//
// Shared by scripts/metamorphic.mjs (the report) and test/parser/metamorphic.test.ts (a seeded
// sample). Plain ESM with no dependency: the mutations do their own small MIME surgery on the
// raw text (never through src/parser, whose bugs they are meant to find), and every tree they
// read writes back to the same bytes (tested).
//
// The corpus rule of the project holds here: `corpusSources` lists the public corpus's DEV part
// only, filtering by the fixed hash before any file is read; validation files are never read
// or mutated.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { rng } from './prng.mjs';

// =============================================================================================
// sources

/** The part of the public corpus a file belongs to (the same hash as ../shared/corpus/score.mjs). */
export function corpusPart(file) {
  const base = String(file).replace(/\\/g, '/').split('/').pop();
  return createHash('sha256').update('bounced-validation-v1:' + base).digest()[0] < 86 ? 'validation' : 'dev';
}

function walkEml(dir) {
  const out = [];
  let names;
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const n of names) {
    if (n.startsWith('.')) continue;
    const p = join(dir, n);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...walkEml(p));
    else if (n.endsWith('.eml')) out.push(p);
  }
  return out;
}

/**
 * The messages the harness may read: the public corpus's dev part (validation filtered out by
 * name before reading), fixtures/generated and the other fixtures. `origin` names the set.
 */
export function corpusSources(repoRoot) {
  const out = [];
  const pub = join(repoRoot, '../shared/corpus/public');
  for (const f of walkEml(pub)) {
    if (corpusPart(f) !== 'dev') continue; // never read a validation message
    out.push({ file: f, name: 'public/' + relative(pub, f), origin: 'public-dev' });
  }
  const fx = join(repoRoot, 'fixtures');
  for (const f of walkEml(fx)) {
    const rel = relative(fx, f);
    out.push({ file: f, name: 'fixtures/' + rel, origin: rel.startsWith('generated/') ? 'generated' : 'fixtures' });
  }
  return out;
}

/**
 * Expected rows of the sources that have them (public dev, generated), keyed by source name:
 * used only to tell "the original answer was already wrong" apart. Rows of the validation part
 * are dropped as each line is read, never kept or shown.
 */
export function expectedRows(repoRoot) {
  const out = new Map();
  const add = (name, row) => {
    const list = out.get(name);
    if (list) list.push(row);
    else out.set(name, [row]);
  };
  const read = (path, prefix, filter) => {
    let text;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const row = JSON.parse(line);
      if (!filter(row.file)) continue;
      add(prefix + row.file, row);
    }
  };
  read(join(repoRoot, '../shared/corpus/public/expected.jsonl'), 'public/', (f) => corpusPart(f) === 'dev');
  read(join(repoRoot, 'fixtures/generated/expected.jsonl'), 'fixtures/generated/', () => true);
  return out;
}

/**
 * Words the rules read (from the examples of every table entry, `ruleEntries()` of the
 * classifier): a local part equal to one is not renamed (T-Online's "contact tosa@...").
 */
export function ruleWords(entries) {
  const words = new Set();
  for (const e of entries) for (const w of String(e.example.text ?? '').split(/[^a-z0-9_-]+/)) if (w.length >= 4) words.add(w);
  return words;
}

// =============================================================================================
// small helpers

/** A stable 32-bit hash of a string (FNV-1a), for names and seeded choices. */
export function hash32(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export { rng };

const b36 = (n, len) => n.toString(36).padStart(len, '0').slice(-len);

/** The dominant line end of raw bytes (CRLF, CR or LF). */
export function lineEndOf(raw) {
  const s = raw.toString('latin1');
  if (s.includes('\r\n')) return '\r\n';
  if (s.includes('\r')) return '\r';
  return '\n';
}

/** Raw bytes -> latin1 string with LF line ends (what every mutation works on). */
export function toLf(raw) {
  return raw.toString('latin1').replace(/\r\n?/g, '\n');
}

/** LF string -> bytes with the given line end. */
export function fromLf(s, eol) {
  return Buffer.from(eol === '\n' ? s : s.replace(/\n/g, eol), 'latin1');
}

// =============================================================================================
// the MIME tree (raw text, round-trips exactly)
//
// An entity is { fields: [{raw}], sep, body, kind, ... }: `raw` is a header field as written
// (name, colon, value, folds; no final LF), `sep` the text between the last field and the body
// (normally the LF ending the last field plus the empty line). A multipart's body is held as
// segments (strings: preamble, delimiter lines, epilogue; entities: the parts) joined by LF; a
// message/rfc822 part holds its message as `inner`.

const FIELD_LINE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

export function fieldName(f) {
  return f.raw.slice(0, f.raw.indexOf(':')).trim();
}

/** A field's value, unfolded (RFC 5322 §2.2.3: remove the CRLF before WSP) and trimmed. */
export function fieldValue(f) {
  return f.raw.slice(f.raw.indexOf(':') + 1).replace(/\n(?=[ \t])/g, '').trim();
}

export function getField(ent, name) {
  const n = name.toLowerCase();
  return ent.fields.find((f) => fieldName(f).toLowerCase() === n) ?? null;
}

/** Content-Type: `type/subtype` (lower case) and parameters (names lower case). */
export function contentTypeOf(ent, fallback = 'text/plain') {
  const f = getField(ent, 'content-type');
  const params = {};
  if (!f) return { type: fallback, params };
  const v = fieldValue(f);
  const semi = v.indexOf(';');
  let type = (semi < 0 ? v : v.slice(0, semi)).replace(/\s+/g, '').toLowerCase();
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type)) type = fallback;
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  let m;
  while ((m = re.exec(v))) {
    const k = m[1].toLowerCase();
    if (!(k in params)) params[k] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  return { type, params };
}

export function cteOf(ent) {
  const f = getField(ent, 'content-transfer-encoding');
  return f ? fieldValue(f).toLowerCase() : '';
}

/** Parses entity text (LF) into a tree. At the top, an mbox "From " line is kept as `prefix`. */
/** Whether a field line comes within 24 lines from `pos`, before a blank line. */
function fieldFollows(s, pos) {
  for (let k = 0; k < 24 && pos < s.length; k++) {
    let nl = s.indexOf('\n', pos);
    if (nl < 0) nl = s.length;
    const line = s.slice(pos, nl);
    if (!line.trim()) return false;
    if (line[0] !== ' ' && line[0] !== '\t' && FIELD_LINE.test(line)) return true;
    pos = nl + 1;
  }
  return false;
}

export function parseEntity(s, parentType = '') {
  const ent = { lead: '', prefix: null, fields: [], sep: '', body: '', kind: 'leaf', hadFields: false };
  let pos = 0;
  if (parentType === 'message') {
    // a returned message often starts with empty lines before its header (readers skip them)
    while (s.charCodeAt(pos) === 10) pos++;
    ent.lead = s.slice(0, pos);
  }
  if (parentType === '' && (s.startsWith('From ') || s.startsWith('>From ')) && s.includes('\n')) {
    const nl = s.indexOf('\n');
    ent.prefix = s.slice(0, nl);
    pos = nl + 1;
  }
  let cur = null;
  let fieldsEnd = pos; // where the last field (with its folds) ends, before its LF
  while (pos < s.length) {
    let nl = s.indexOf('\n', pos);
    if (nl < 0) nl = s.length;
    const line = s.slice(pos, nl);
    const c = line.charCodeAt(0);
    if ((c === 32 || c === 9) && cur && line.trim()) {
      cur.raw += '\n' + line;
    } else if (parentType === 'message' && cur && line.trim() && !FIELD_LINE.test(line) && fieldFollows(s, nl + 1)) {
      // a returned message's folded line whose leading white space was lost (the parser reads
      // it so too: src/parser/mime/headers.ts splitEntity's lostFolds)
      cur.raw += '\n' + line;
    } else if (FIELD_LINE.test(line)) {
      cur = { raw: line };
      ent.fields.push(cur);
    } else break;
    fieldsEnd = nl;
    pos = nl + 1;
  }
  ent.hadFields = ent.fields.length > 0;
  // the body starts after the last field's LF and one blank line (a part without header fields
  // starts with the blank line)
  let bodyStart = ent.fields.length ? Math.min(fieldsEnd + 1, s.length) : fieldsEnd;
  const blank = /[ \t]*\n/y;
  blank.lastIndex = bodyStart;
  if (blank.exec(s)) bodyStart = blank.lastIndex;
  ent.sep = s.slice(fieldsEnd, bodyStart);
  ent.body = s.slice(bodyStart);
  typeEntity(ent, parentType);
  return ent;
}

function typeEntity(ent, parentType) {
  const ct = contentTypeOf(ent, parentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain');
  ent.type = ct.type;
  ent.params = ct.params;
  if (ct.type.startsWith('multipart/') && ct.params.boundary) {
    const segs = splitMultipart(ent.body, ct.params.boundary, ct.type);
    if (segs) {
      ent.kind = 'multipart';
      ent.segments = segs;
      ent.body = '';
    }
    return;
  }
  const cte = cteOf(ent);
  if ((ct.type === 'message/rfc822' || ct.type === 'message/global') && (cte === '' || cte === '7bit' || cte === '8bit' || cte === 'binary')) {
    ent.kind = 'message';
    ent.inner = parseEntity(ent.body, 'message');
    ent.body = '';
  }
}

function splitMultipart(body, boundary, type) {
  const lines = body.split('\n');
  const dash = '--' + boundary;
  const segs = [];
  let buf = [];
  let inPart = false;
  let closed = false;
  let found = false;
  const flush = () => {
    if (inPart) segs.push(parseEntity(buf.join('\n'), type));
    else if (buf.length) segs.push(buf.join('\n'));
    buf = [];
  };
  for (const line of lines) {
    if (!closed && line.startsWith(dash)) {
      const rest = line.slice(dash.length);
      const isClose = rest.startsWith('--') && /^[ \t]*$/.test(rest.slice(2));
      if (isClose || /^[ \t]*$/.test(rest)) {
        flush();
        segs.push(line);
        found = true;
        inPart = !isClose;
        closed = isClose;
        continue;
      }
    }
    buf.push(line);
  }
  // the rest: a part without a closing delimiter, or the epilogue
  if (inPart) segs.push(parseEntity(buf.join('\n'), type));
  else if (buf.length) segs.push(buf.join('\n'));
  return found ? segs : null;
}

/** Writes a tree back to text (LF). */
export function writeEntity(ent) {
  let out = ent.lead + (ent.prefix !== null ? ent.prefix + '\n' : '');
  out += ent.fields.map((f) => f.raw).join('\n');
  // fields added to a part that had none: the part's blank line still has to follow them
  out += ent.fields.length && !ent.hadFields ? '\n' + (ent.sep || '\n') : ent.sep;
  if (ent.kind === 'multipart') out += ent.segments.map((s) => (typeof s === 'string' ? s : writeEntity(s))).join('\n');
  else if (ent.kind === 'message') out += writeEntity(ent.inner);
  else out += ent.body;
  return out;
}

/** Every entity of a tree, depth first (inner messages included when `inner`). */
export function entities(ent, inner = true, out = []) {
  out.push(ent);
  if (ent.kind === 'multipart') for (const s of ent.segments) if (typeof s !== 'string') entities(s, inner, out);
  if (ent.kind === 'message' && inner) entities(ent.inner, inner, out);
  return out;
}

/** Leaf entities of the report (outside returned messages), depth first. */
export function reportLeaves(ent) {
  return entities(ent, false).filter((e) => e.kind === 'leaf');
}

// =============================================================================================
// transfer encodings and charsets

export function decodeCte(body, cte) {
  if (cte === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('latin1');
  if (cte === 'quoted-printable') {
    return body
      .replace(/[ \t]+$/gm, '')
      .replace(/=\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  }
  return body;
}

/**
 * Encodes text bytes (latin1 string, LF line breaks) in a transfer encoding (RFC 2045 §6).
 * base64 encodes the canonical form of text, CRLF line breaks (§6.8); quoted-printable keeps
 * line breaks as line breaks, escapes '=', bytes >= 0x80 and white space before a break
 * (§6.7 rules 1-3) and breaks lines longer than `width` with a soft break '=' (rule 5).
 */
export function encodeCte(bytes, cte, width = 76) {
  if (cte === 'base64') {
    const b64 = Buffer.from(bytes.replace(/\r?\n/g, '\r\n'), 'latin1').toString('base64');
    const lines = [];
    for (let i = 0; i < b64.length; i += width) lines.push(b64.slice(i, i + width));
    return lines.join('\n') + '\n';
  }
  if (cte === 'quoted-printable') {
    const out = [];
    for (const line of bytes.split('\n')) {
      let enc = '';
      for (let i = 0; i < line.length; i++) {
        const c = line.charCodeAt(i);
        const last = i === line.length - 1;
        const lit = (c >= 33 && c <= 126 && c !== 61) || ((c === 32 || c === 9) && !last);
        enc += lit ? line[i] : '=' + c.toString(16).toUpperCase().padStart(2, '0');
      }
      // soft breaks: at most width-1 characters and the '=', never inside an =XX
      let rest = enc;
      while (rest.length > width) {
        let cut = width - 1;
        const eq = rest.lastIndexOf('=', cut - 1);
        if (eq >= cut - 2 && eq >= 0) cut = eq;
        out.push(rest.slice(0, cut) + '=');
        rest = rest.slice(cut);
      }
      out.push(rest);
    }
    return out.join('\n');
  }
  return bytes;
}

const decoders = new Map();
function decoderFor(cs) {
  if (!decoders.has(cs)) {
    try {
      decoders.set(cs, new TextDecoder(cs, { fatal: true }));
    } catch {
      decoders.set(cs, null);
    }
  }
  return decoders.get(cs);
}

/** Text bytes in `charset` -> a string, or null when the bytes are not valid in it. */
export function decodeCharset(bytes, charset) {
  const cs = normCharset(charset);
  if (!/[\x80-\xff\x1b]/.test(bytes)) return bytes;
  const d = decoderFor(cs);
  if (!d) return null;
  try {
    return d.decode(Buffer.from(bytes, 'latin1'));
  } catch {
    return null;
  }
}

function normCharset(c) {
  const cs = String(c ?? 'us-ascii').trim().toLowerCase().replace(/^["']|["']$/g, '');
  return cs === '' || cs === 'ascii' || cs === 'us-ascii' ? 'us-ascii' : cs === 'utf8' ? 'utf-8' : cs;
}

let cp1252Table = null;
function cp1252() {
  if (cp1252Table) return cp1252Table;
  cp1252Table = new Map();
  const d = new TextDecoder('windows-1252');
  for (let b = 0x80; b < 0xa0; b++) cp1252Table.set(d.decode(Buffer.from([b])), String.fromCharCode(b));
  return cp1252Table;
}

const singleByte = new Map();
/** For a single-byte charset (ISO-8859-x, windows-125x, KOI8-R ...): char -> byte, read off its decoder. */
function singleByteTable(cs) {
  if (singleByte.has(cs)) return singleByte.get(cs);
  let table = null;
  if (cs !== 'utf-8' && !cs.startsWith('iso-2022') && !/^(?:utf-|shift|euc|gb|big5)/.test(cs)) {
    try {
      const d = new TextDecoder(cs);
      table = new Map();
      for (let b = 0; b < 256; b++) {
        const ch = d.decode(Buffer.from([b]));
        if (ch.length !== 1 || ch === '\ufffd') {
          if (b >= 0x80) continue; // an unassigned byte
          table = null;
          break;
        }
        if (!table.has(ch)) table.set(ch, String.fromCharCode(b));
      }
    } catch {
      table = null;
    }
  }
  singleByte.set(cs, table);
  return table;
}

let jisTable = null;
/** JIS X 0208 code of each character, read off the platform's ISO-2022-JP decoder. */
function jis() {
  if (jisTable) return jisTable;
  jisTable = new Map();
  const d = new TextDecoder('iso-2022-jp');
  for (let a = 0x21; a <= 0x7e; a++) {
    for (let b = 0x21; b <= 0x7e; b++) {
      const ch = d.decode(Buffer.from([0x1b, 0x24, 0x42, a, b, 0x1b, 0x28, 0x42]));
      if (ch.length === 1 && ch !== '\ufffd' && !jisTable.has(ch)) jisTable.set(ch, String.fromCharCode(a, b));
    }
  }
  return jisTable;
}

/** A string -> bytes (latin1 string) in `charset`, or null when it cannot be written in it. */
export function encodeCharset(text, charset) {
  const cs = normCharset(charset);
  if (cs === 'utf-8') return Buffer.from(text, 'utf8').toString('latin1');
  if (cs === 'us-ascii') return /[^\x00-\x7f]/.test(text) ? null : text;
  if (cs === 'iso-8859-1' || cs === 'latin1' || cs === 'windows-1252') {
    // WHATWG decoders read iso-8859-1 as windows-1252: write back what they read
    let out = '';
    for (const ch of text) {
      const c = ch.charCodeAt(0);
      if (ch.length === 1 && (c < 0x80 || (c >= 0xa0 && c <= 0xff))) out += ch;
      else {
        const b = cp1252().get(ch);
        if (b === undefined) return null;
        out += b;
      }
    }
    return out;
  }
  const single = singleByteTable(cs);
  if (single) {
    let out = '';
    for (const ch of text) {
      const b = single.get(ch);
      if (b === undefined) return null;
      out += b;
    }
    return out;
  }
  if (cs === 'iso-2022-jp') {
    // RFC 1468: ASCII between ESC ( B, JIS X 0208 between ESC $ B; back to ASCII before each
    // line end
    const t = jis();
    let out = '';
    let kanji = false;
    for (const ch of text) {
      if (ch.charCodeAt(0) < 0x80 && ch.length === 1) {
        if (kanji) out += '\x1b(B';
        kanji = false;
        out += ch;
      } else {
        const code = t.get(ch);
        if (!code) return null;
        if (!kanji) out += '\x1b$B';
        kanji = true;
        out += code;
      }
    }
    if (kanji) out += '\x1b(B';
    return out;
  }
  return null;
}

// =============================================================================================
// editing helpers

/** Replaces a field's value, keeping its name as written. */
function setValue(f, value) {
  const colon = f.raw.indexOf(':');
  f.raw = f.raw.slice(0, colon + 1) + ' ' + value;
}

function setField(ent, name, value) {
  const f = getField(ent, name);
  if (f) setValue(f, value);
  else ent.fields.push({ raw: `${name}: ${value}` });
}

function removeField(ent, name) {
  const n = name.toLowerCase();
  ent.fields = ent.fields.filter((f) => fieldName(f).toLowerCase() !== n);
}

/**
 * The charset a leaf's octets are in: its label, except that 8-bit octets under no label or
 * us-ascii are what the parser takes them for (UTF-8 when valid, RFC 6532; else Latin-1).
 */
function effectiveCharset(ent, bytes) {
  const cs = normCharset(ent.params.charset);
  if (cs !== 'us-ascii' || !/[\x80-\xff]/.test(bytes)) return cs;
  return decodeCharset(bytes, 'utf-8') !== null ? 'utf-8' : 'iso-8859-1';
}

/** The decoded text of a leaf (charset applied), or null when it cannot be decoded. */
function leafText(ent) {
  // text in base64 is in canonical form (CRLF); keep LF inside the model
  const bytes = decodeCte(ent.body, cteOf(ent)).replace(/\r\n/g, '\n');
  return decodeCharset(bytes, effectiveCharset(ent, bytes));
}

/** Writes `text` into a leaf with the given charset and transfer encoding (null: cannot). */
function setLeafText(ent, text, { charset = null, cte = cteOf(ent) || '7bit', width = 76 } = {}) {
  const was = decodeCte(ent.body, cteOf(ent)).replace(/\r\n/g, '\n');
  const bytes = encodeCharset(text, charset ?? effectiveCharset(ent, was));
  if (bytes === null) return false;
  let enc = cte;
  if (enc === '7bit' || enc === '8bit' || enc === 'binary' || enc === '') {
    // 7bit/8bit bodies are lines of at most 998 octets (RFC 5322 §2.1.1, RFC 2045 §2.7/2.8)
    if (bytes.split('\n').some((l) => l.length > 998)) return false;
    enc = /[\x80-\xff]/.test(bytes) ? '8bit' : '7bit';
  }
  const trailing = ent.body.endsWith('\n') || enc === 'base64';
  let body = encodeCte(bytes, enc, width);
  if (trailing && !body.endsWith('\n')) body += '\n';
  ent.body = body;
  if (enc !== (cteOf(ent) || '7bit')) setField(ent, 'Content-Transfer-Encoding', enc);
  if (charset && normCharset(charset) !== normCharset(ent.params.charset)) setContentTypeParam(ent, 'charset', charset);
  return true;
}

function setContentTypeParam(ent, name, value) {
  const f = getField(ent, 'content-type');
  if (!f) {
    ent.fields.push({ raw: `Content-Type: ${ent.type}; ${name}=${value}` });
  } else {
    const v = fieldValue(f);
    const re = new RegExp(`;\\s*${name}\\s*=\\s*(?:"[^"]*"|[^;\\s]*)`, 'i');
    setValue(f, re.test(v) ? v.replace(re, `; ${name}=${value}`) : `${v}; ${name}=${value}`);
  }
  ent.params[name] = value;
}

// what a reader takes as text: text/*, message/* bodies, and a multipart whose boundary never
// occurs (read as plain text)
const isTextual = (e) => e.kind === 'leaf' && (e.type.startsWith('text/') || e.type.startsWith('message/') || e.type.startsWith('multipart/'));
const isTextLeaf = (e) => e.kind === 'leaf' && e.type.startsWith('text/');
const isStatusLeaf = (e) => e.kind === 'leaf' && (e.type === 'message/delivery-status' || e.type === 'message/global-delivery-status');

/** Applies `fn(text) -> text` to the decoded text of each leaf that `which` selects. */
function mapLeafTexts(root, which, fn) {
  let changed = false;
  for (const e of entities(root)) {
    if (e.kind !== 'leaf' || !which(e)) continue;
    const t = leafText(e);
    const n = t === null ? null : fn(t, e);
    if (t !== null && n === t) continue;
    if (n !== null && setLeafText(e, n)) {
      changed = true;
      continue;
    }
    // a charset we cannot write: edit the octets where that is safe (ASCII-compatible charsets;
    // the edits are ASCII)
    const cs = normCharset(e.params.charset);
    if (/^(?:utf-16|utf-7|utf-32)/.test(cs)) continue;
    const cte = cteOf(e);
    const bytes = decodeCte(e.body, cte);
    // ISO-2022 (RFC 1468): only the runs in ASCII mode hold ASCII text
    const nb = cs.startsWith('iso-2022') ? mapAsciiRuns(bytes, (x) => fn(x, e)) : fn(bytes, e);
    if (nb === bytes) continue;
    e.body = cte === 'base64' || cte === 'quoted-printable' ? encodeCte(nb.replace(/\r\n/g, '\n'), cte) : nb;
    changed = true;
  }
  return changed;
}

/** Applies fn to the runs of ISO-2022 text in ASCII (or JIS-Roman) mode, keeps the others. */
function mapAsciiRuns(bytes, fn) {
  const parts = bytes.split(/(\x1b[$(][@A-Z])/);
  let ascii = true;
  let out = '';
  for (const p of parts) {
    if (p.startsWith('\x1b')) {
      ascii = p === '\x1b(B' || p === '\x1b(J';
      out += p;
    } else out += ascii ? fn(p) : p;
  }
  return out;
}

/** Applies `fn(raw field) -> raw field` to every header field of every entity. */
function mapFields(root, fn) {
  for (const e of entities(root)) for (const f of e.fields) f.raw = fn(f.raw, e);
}

// =============================================================================================
// the DSN part's blocks (RFC 3464 §2.1: blocks of header-like fields separated by blank lines)

/** Splits a delivery-status text into blocks: { lines[] } and the blank-line runs between. */
function dsnBlocks(text) {
  const lines = text.split('\n');
  const out = [];
  let cur = null;
  for (const l of lines) {
    if (/^[ \t]*$/.test(l)) {
      cur = null;
      out.push(l);
    } else {
      if (!cur) {
        cur = { lines: [] };
        out.push(cur);
      }
      cur.lines.push(l);
    }
  }
  return out;
}

const joinBlocks = (segs) => segs.map((s) => (typeof s === 'string' ? s : s.lines.join('\n'))).join('\n');

/** A block's fields: each a field line plus its continuation lines; null when it is not fields. */
function blockFields(b) {
  const fields = [];
  for (const l of b.lines) {
    if (/^[ \t]/.test(l) && fields.length) fields[fields.length - 1] += '\n' + l;
    else if (/^[A-Za-z][A-Za-z0-9-]*[ \t]*:/.test(l)) fields.push(l);
    else return null;
  }
  return fields;
}

const isRecipientBlock = (fields) => fields.some((f) => /^(?:final|original)-recipient[ \t]*:/i.test(f));

/** Each recipient block without the field `pick(fields)` names (none: the block stays); null when no block changed. */
function dropRecipientField(ctx, pick) {
  return withTree(ctx, (root) =>
    mapDsn(root, (segs, blocks) => {
      let any = false;
      for (const b of blocks) {
        const gone = isRecipientBlock(b.fields) ? pick(b.fields) : null;
        if (!gone) continue;
        b.seg.lines = b.fields.filter((f) => f !== gone).join('\n').split('\n');
        any = true;
      }
      return any ? segs : null;
    })
      ? {}
      : null,
  );
}

/**
 * The report's first text/plain part with a paragraph `before` its text and one `after` it (null:
 * none), and `also(root)` for any other change; null when the message has no such part.
 */
function withReportText(ctx, before, after, also) {
  return withTree(ctx, (root) => {
    const e = reportLeaves(root).find((x) => x.type === 'text/plain');
    const t = e ? leafText(e) : null;
    if (t === null) return null;
    const n = (before === null ? '' : before + '\n\n') + (after === null ? t : t.replace(/\n*$/, '') + '\n\n' + after + '\n');
    if (!setLeafText(e, n)) return null;
    also?.(root);
    return {};
  });
}

/** The link `u` as link-protection service number `k` (of three, in turn) rewrites it. */
function protectedLink(u, k) {
  switch (k % 3) {
    case 0:
      return `https://eur03.safelinks.protection.outlook.com/?url=${encodeURIComponent(u)}&data=05%7C02%7C%7Cf3a1%7C0%7C638700000000000000&sdata=x1&reserved=0`;
    case 1: {
      // URL Defense v2: percent-encoded, then "%" written "-" and "/" written "_"
      const v2 = encodeURIComponent(u).replace(/-/g, '%2D').replace(/_/g, '%5F').replace(/%2F/g, '_').replace(/%/g, '-');
      return `https://urldefense.proofpoint.com/v2/url?u=${v2}&d=DwMFaQ&c=abc&r=def&m=ghi&s=jkl&e=`;
    }
    default:
      return `https://linkprotect.cudasvc.com/url?a=${encodeURIComponent(u)}&c=E,1,x1y2z3&typo=1`;
  }
}

/** Applies `fn(blocks) -> blocks | null` to each delivery-status part; false when none changed. */
function mapDsn(root, fn) {
  let changed = false;
  for (const e of reportLeaves(root)) {
    if (!isStatusLeaf(e)) continue;
    const t = leafText(e);
    if (t === null) continue;
    const segs = dsnBlocks(t);
    const blocks = segs.filter((s) => typeof s !== 'string').map((s) => ({ seg: s, fields: blockFields(s) }));
    if (blocks.some((b) => !b.fields)) continue; // prose or indented blocks: not ours to edit
    const res = fn(segs, blocks);
    if (!res) continue;
    const n = joinBlocks(res);
    if (n !== t && setLeafText(e, n)) changed = true;
  }
  return changed;
}

// =============================================================================================
// addresses

// The ASCII address forms we rename. Quoted or non-ASCII local parts are left alone.
const ADDRESS = /(?<![A-Za-z0-9._%+=-])([A-Za-z0-9_%+=-][A-Za-z0-9._%+=-]*)@((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,})(?![A-Za-z0-9-]|\.[A-Za-z0-9])/g;

// Domains that name a provider or family the rules and detectors know (src/classifier/providers,
// src/parser/detectors: host suffixes and gates): a bounce from them is another message if
// they are renamed. Parents count (mx.google.com is google.com's).
const KNOWN_DOMAINS = [
  'google.com', 'googlemail.com', 'gmail.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com',
  'microsoft.com', 'office365.com', 'yahoo.com', 'yahoo.co.jp', 'yahoodns.net', 'yahooinc.com', 'aol.com',
  'icloud.com', 'me.com', 'mac.com', 'apple.com', 'comcast.net', 'cox.net', 'cox.com', 'charter.net',
  'rr.com', 'spectrum.net', 'spectrumbusiness.net', 'att.net', 'sbcglobal.net', 'bellsouth.net',
  'gmx.de', 'gmx.net', 'gmx.com', 'web.de', 'orange.fr', 'wanadoo.fr', 't-online.de', 'mimecast.com',
  'pphosted.com', 'barracudanetworks.com', 'iphmx.com', 'messagelabs.com', 'zoho.com', 'zoho.eu',
  'zoho.in', 'zohomail.com', 'yandex.ru', 'yandex.com', 'yandex.net', 'mail.ru', '163.com', '126.com',
  'yeah.net', 'qq.com', 'docomo.ne.jp', 'ezweb.ne.jp', 'au.com', 'softbank.ne.jp', 'i.softbank.jp',
  'vodafone.ne.jp', 'biglobe.ne.jp', 'amazonses.com', 'amazonaws.com', 'kundenserver.de', '1and1.com',
  '1und1.de', 'secureserver.net', 'godaddy.com', 'spamhaus.org', 'fml.org', 'spamarrest.com',
  'sanebox.com', 'mailblocks.com', 'choicemail.com', 'boxbe.com', 'bluebottle.com', 'verizon.net',
  'vtext.com', 'vzwpix.com', 'dion.ne.jp', 'nifty.com', 'ocn.ne.jp', 'auone-net.jp', 'libsisimai.org',
  'googlegroups.com', 'facebook.com', 'mailchimp.com', 'sendgrid.net', 'mx.aol.com',
];
const isKnownDomain = (d) => KNOWN_DOMAINS.some((k) => d === k || d.endsWith('.' + k));

// Words of the reason tables (src/classifier/reasons) that an address can hold, for
// rename-addresses-rulewords.
const RULE_NAME_WORDS = ['blocked', 'spam', 'banned', 'refused', 'nxdomain', 'virus', 'quota', 'full', 'expired', 'relay', 'suspended', 'nouser', 'unknown', 'rejected', 'denied', 'timeout'];

// Local parts that are roles the detectors read (the sender of an NDR, a list's owner ...).
// (fml's list addresses are <list>-admin and <list>-ctl; lists answer from -help, -owner, -request)
const ROLE_LOCALS = /^(?:mailer-daemon|postmaster|root|abuse|noreply|no-reply|nobody|double-bounce|bounces?|daemon|mail|mailer|majordomo|listserv|admin|hostmaster|webmaster|owner-.*|.*-(?:request|owner|admin|ctl|help))$/i;

/**
 * A consistent renaming of a message's addresses: each local part and each domain (not a known
 * provider's) gets a new name from the seed. Returned as a text function, applied to every
 * header, text and DSN field of the message and to the expected answer's recipients alike.
 * Domains are renamed wherever they occur (host names, Message-IDs), local parts wherever they
 * occur as an address and, when they are not words the rules read, as a bare token
 * ("kijitora... User unknown").
 */
export function addressRenamer(allText, seed, protectedWords = new Set(), { words = null, shapes = false } = {}) {
  const locals = new Map();
  const domains = new Map();
  // the new names: opaque tokens, or (`words`) a word the rules read and a token ("blocked.u1x2y3z",
  // "nxdomain-d1x2y3.net"): an address is a name, whatever its words (src/classifier/index.ts)
  const named = (prefix, key, n) => {
    const h = hash32(seed + key);
    if (shapes) {
      // the shapes real mailboxes have: plus tags, dots, underscores, hyphens, an apostrophe
      // (RFC 5322 atext), long local parts; domains with several labels and a hyphen
      const t = b36(h, n);
      const local = [`ava.${t}+news`, `o'${t}.brien`, `${t}_lee-2024`, `first.middle.${t}.last.name.long`, `${t}+tag=x`][h % 5];
      return prefix === 'u' ? local : [`mail.${t}.co`, `${t}-group`, `eu.${t}-corp`][h % 3];
    }
    return words ? `${words[h % words.length]}${prefix === 'u' ? '.' : '-'}${prefix}${b36(h, n)}` : prefix + b36(h, n);
  };
  ADDRESS.lastIndex = 0;
  let m;
  while ((m = ADDRESS.exec(allText))) {
    const local = m[1].toLowerCase();
    const domain = m[2].toLowerCase();
    // a local part the rules read (T-Online's fixed "contact tosa@...") belongs to the wording
    if (!ROLE_LOCALS.test(local) && !protectedWords.has(local) && !locals.has(local)) locals.set(local, named('u', ':l:' + local, 7));
    if (!isKnownDomain(domain) && !domains.has(domain)) {
      const tld = domain.slice(domain.lastIndexOf('.') + 1);
      domains.set(domain, named('d', ':d:' + domain, 6) + '.' + tld);
    }
  }
  if (!locals.size && !domains.size) return null;
  const domList = [...domains.keys()].sort((a, b) => b.length - a.length).map((d) => d.replace(/[.\-]/g, '\\$&'));
  const domRe = domList.length ? new RegExp(`(?<![A-Za-z0-9-])(?:${domList.join('|')})(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`, 'gi') : null;
  // A bare local part is renamed where MTAs write one for a local recipient: "<kijitora>",
  // Sendmail's "kijitora... User unknown", or anywhere when it cannot be a word (a digit, '.',
  // '_' or '-' in it). A plain word ("complaint", "info") is left alone outside those forms.
  const bare = [...locals.keys()].filter((l) => l.length >= 4 && /^[a-z0-9._-]+$/.test(l) && !protectedWords.has(l) && !/^\d+$/.test(l));
  const esc = (l) => l.replace(/[.-]/g, '\\$&');
  const distinctive = bare.filter((l) => /[0-9._-]/.test(l));
  const alts = [];
  if (bare.length) alts.push(`(?<=<)(?:${bare.map(esc).join('|')})(?=>)`, `(?<![A-Za-z0-9._%+=@-])(?:${bare.map(esc).join('|')})(?=\\.\\.\\.)`);
  if (distinctive.length) alts.push(`(?<![A-Za-z0-9._%+=@-])(?:${distinctive.map(esc).join('|')})(?![A-Za-z0-9_%+=@-]|\\.[A-Za-z0-9])`);
  const bareRe = alts.length ? new RegExp(alts.join('|'), 'gi') : null;
  const fn = (text) => {
    let t = text.replace(ADDRESS, (all, local, domain) => {
      const l = locals.get(local.toLowerCase()) ?? local;
      const d = domains.get(domain.toLowerCase()) ?? domain;
      return `${l}@${d}`;
    });
    if (domRe) t = t.replace(domRe, (d) => domains.get(d.toLowerCase()) ?? d);
    if (bareRe) t = t.replace(bareRe, (l) => locals.get(l.toLowerCase()) ?? l);
    return t;
  };
  return { fn, locals, domains };
}

/**
 * The message with its addresses renamed (addressRenamer, `opts` its naming) in every header and
 * decoded text, and the renaming for the expected answer's recipients and Message-IDs.
 */
function renameAddresses(ctx, opts = {}) {
  const root = parseEntity(ctx.text);
  // everything the renaming reads: headers and decoded texts
  const texts = [];
  for (const e of entities(root)) {
    for (const f of e.fields) texts.push(f.raw);
    if (isTextual(e)) texts.push(leafText(e) ?? e.body);
  }
  const ren = addressRenamer(texts.join('\n'), ctx.seed, ctx.protectedWords, opts);
  if (!ren) return null;
  mapFields(root, (raw) => (IS_CONTENT_TYPE.test(raw) ? raw : ren.fn(raw)));
  mapLeafTexts(root, isTextual, (t) => ren.fn(t));
  return { text: writeEntity(root), mapRecipient: ren.fn, mapMessageId: ren.fn };
}

// =============================================================================================
// the mutations
//
// Each: { id, group, why, apply(ctx) } where ctx = { text (LF), eol, seed, protectedWords } and
// apply returns null when the mutation does not apply to the message, else { text, eol?,
// mapRecipient?, mapMessageId?, optional?: Set<recipient> (recipients whose presence is not
// asserted), duplicates?: true }.

/** Folds an unfolded header value at white space so lines stay within `width` where possible. */
function fold(name, value, width, indent) {
  const head = name + ':';
  const words = splitWords(value);
  let line = head;
  const lines = [];
  let firstWord = true;
  for (const w of words) {
    if (!firstWord && line.length + w.length > width && line.trim() !== head) {
      lines.push(line);
      line = indent === null ? w : indent + w.replace(/^[ \t]+/, '');
    } else line += w;
    firstWord = false;
  }
  lines.push(line);
  return lines.join('\n');
}

/**
 * A value cut before each run of white space outside a quoted string: each word keeps the
 * white space before it. Inside quotes (a MIME parameter, a display name) nothing is folded.
 */
function splitWords(value) {
  const words = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    // cut at the start of a run of white space only: a folded line is never white space alone
    // (RFC 5322 §3.2.2)
    if ((c === ' ' || c === '\t') && !quoted && cur && value[i - 1] !== ' ' && value[i - 1] !== '\t') {
      words.push(cur);
      cur = '';
    }
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    cur += c;
  }
  if (cur || !words.length) words.push(cur);
  return words;
}

/** Splits a raw field into name part (up to and including ':') and the value as written. */
function splitRaw(raw) {
  const colon = raw.indexOf(':');
  return [raw.slice(0, colon), raw.slice(colon + 1)];
}

/** Re-folds every header field of the message at `width` (null indent: fold before the existing WSP). */
function refoldAll(root, width, indent, keep = () => false) {
  mapFields(root, (raw) => {
    if (keep(raw)) return raw;
    const [name, v] = splitRaw(raw);
    // unfold (RFC 5322 §2.2.3); a line break with no white space after it is a fold that lost its
    // white space (a returned message's header): read as one space, as the parser does
    const value = v.replace(/\n(?=[ \t])/g, '').replace(/\n/g, ' ');
    return fold(name, value.replace(/^(?=[^ \t])/, ' '), width, indent);
  });
}

/** Case transformations of a name (e.g. `Final-Recipient`). */
const CASES = {
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  mixed: (s) => s.replace(/[A-Za-z]/g, (c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())),
};

// the returned original's own addressees and list addresses (mutation original-more-addresses)
const ORIGINAL_TRACE_FIELD = 'Received: from client.corp-mutated.example ([192.0.2.77])\n\tby smtp.sender-mutated.example with ESMTPSA id 4Xq2Lm0Zz2\n\tfor <team-lead@corp-mutated.example>; Mon, 2 Mar 2026 10:11:12 +0100';
const ORIGINAL_EXTRA_FIELDS = [
  'Cc: "Office Team" <office-team@corp-mutated.example>, billing.dept@corp-mutated.example',
  'Reply-To: replies+4711@news-mutated.example',
  'Sender: owner-newsletter@lists-mutated.example',
  'List-Unsubscribe: <mailto:leave-4711@lists-mutated.example?subject=unsubscribe>',
];
const OPTIONAL_TRACE = /^(?:dkim-signature|arc-[a-z-]+|authentication-results|received-spf|x-google-dkim-signature|x-gm-message-state|x-ms-exchange-[a-z-]+|x-spam-[a-z-]+|x-virus-scanned)$/i;

/** RFC 5322 date-time of `d` in a given zone offset (minutes). */
function rfc5322Date(d, offsetMin) {
  const t = new Date(d.getTime() + offsetMin * 60000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n) => String(n).padStart(2, '0');
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  return `${days[t.getUTCDay()]}, ${t.getUTCDate()} ${months[t.getUTCMonth()]} ${t.getUTCFullYear()} ${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())} ${sign}${p2(Math.floor(a / 60))}${p2(a % 60)}`;
}

const DATE_FIELDS = /^(?:date|arrival-date|last-attempt-date|will-retry-until|resent-date)$/i;

function shiftDate(value) {
  const d = new Date(value.replace(/\([^()]*\)/g, ' ').trim());
  if (Number.isNaN(d.getTime())) return null;
  return rfc5322Date(new Date(d.getTime() + 37 * 86400000 + 3 * 3600000), -7 * 60);
}

/** Encodes a header's text as RFC 2047 encoded words (UTF-8), in words of at most 30 chars. */
function encodedWords(text, enc) {
  const out = [];
  const chars = [...text];
  for (let i = 0; i < chars.length; i += 20) {
    const piece = chars.slice(i, i + 20).join('');
    const bytes = Buffer.from(piece, 'utf8');
    if (enc === 'B') out.push(`=?UTF-8?B?${bytes.toString('base64')}?=`);
    else {
      let q = '';
      for (const b of bytes) q += (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) ? String.fromCharCode(b) : b === 32 ? '_' : '=' + b.toString(16).toUpperCase().padStart(2, '0');
      out.push(`=?utf-8?q?${q}?=`);
    }
  }
  return out.join('\n ');
}

// a boundary may hold anything: renaming inside Content-Type could break the MIME structure
const IS_CONTENT_TYPE = /^content-type[ \t]*:/i;

const withTree = (ctx, fn) => {
  const root = parseEntity(ctx.text);
  const res = fn(root);
  if (!res) return null;
  return { ...res, text: writeEntity(root) };
};

export const MUTATIONS = [
  // --- line ends ---------------------------------------------------------------------------
  ...['\r\n', '\n', '\r'].map((eol) => ({
    id: `eol-${eol === '\r\n' ? 'crlf' : eol === '\n' ? 'lf' : 'cr'}`,
    group: 'line-ends',
    why: 'RFC 5322 §2.1/§2.3: lines end in CRLF on the wire; a store or a relay writes LF (Unix mbox/maildir) or CR (old Mac). The bytes between the line ends are the same message.',
    apply: (ctx) => (ctx.eol === eol ? null : { text: ctx.text, eol }),
  })),

  // --- header folding ----------------------------------------------------------------------
  {
    id: 'fold-headers-unfolded',
    group: 'header-folding',
    why: 'RFC 5322 §2.2.3: folding is a CRLF inserted before white space, unfolding removes it; a folded field and its unfolded form are the same field (lines up to 998 octets are legal).',
    apply: (ctx) => withTree(ctx, (root) => (refoldAll(root, 998, null), {})),
  },
  {
    id: 'fold-headers-30',
    group: 'header-folding',
    why: 'RFC 5322 §2.2.3: a field may be folded at any white space; width 30 folds most fields, before the existing space.',
    apply: (ctx) => withTree(ctx, (root) => (refoldAll(root, 30, null), {})),
  },
  {
    id: 'fold-headers-tab',
    group: 'header-folding',
    why: 'RFC 5322 §2.2.3 / §3.2.2: a fold is CRLF WSP and a run of white space is one FWS; a tab instead of the folded space at width 50 is the same field.',
    apply: (ctx) => withTree(ctx, (root) => (refoldAll(root, 50, '\t'), {})),
  },

  // --- transfer encodings of the text parts ----------------------------------------------------
  ...[
    ['cte-base64', 'base64', 76],
    ['cte-qp', 'quoted-printable', 76],
    ['cte-qp-short', 'quoted-printable', 30],
    ['cte-8bit', '8bit', 76],
  ].map(([id, cte, width]) => ({
    id,
    group: 'transfer-encoding',
    why: `RFC 2045 §6: the Content-Transfer-Encoding only carries the part's octets; re-encoding a text part as ${cte}${width !== 76 ? ` (soft line breaks every ${width} characters, §6.7 rule 5)` : ''} with the right header gives the same decoded text.`,
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let changed = false;
        for (const e of entities(root)) {
          if (!isTextLeaf(e)) continue;
          const was = cteOf(e) || '7bit';
          if (cte === '8bit' ? was !== 'base64' && was !== 'quoted-printable' : was === cte && width === 76) continue;
          const bytes = decodeCte(e.body, was).replace(/\r\n/g, '\n');
          if (decodeCharset(bytes, e.params.charset) === null) continue;
          let body = encodeCte(bytes, cte === '8bit' ? (/[\x80-\xff]/.test(bytes) ? '8bit' : '7bit') : cte, width);
          if (cte === '8bit' && bytes.split('\n').some((l) => l.length > 998)) continue;
          if (!body.endsWith('\n')) body += '\n';
          e.body = body;
          setField(e, 'Content-Transfer-Encoding', cte === '8bit' ? (/[\x80-\xff]/.test(bytes) ? '8bit' : '7bit') : cte);
          changed = true;
        }
        return changed ? {} : null;
      }),
  })),

  // --- charsets ------------------------------------------------------------------------------
  ...['utf-8', 'iso-8859-1', 'iso-2022-jp'].map((charset) => ({
    id: `charset-${charset}`,
    group: 'charset',
    why: `RFC 2045 §5.1 / RFC 2046 §4.1.2: the charset parameter names how the octets map to characters; the same characters written in ${charset} with that label are the same text (parts whose text cannot be written in it are left alone).`,
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let changed = false;
        for (const e of entities(root)) {
          if (!isTextLeaf(e) || e.type === 'text/html') continue;
          if (normCharset(e.params.charset) === charset) continue;
          const t = leafText(e);
          if (t === null) continue;
          if (charset === 'iso-2022-jp' && !/[\u3000-\u9fff\uff00-\uffef]/.test(t)) continue; // only where relevant
          if (setLeafText(e, t, { charset })) changed = true;
        }
        return changed ? {} : null;
      }),
  })),

  // --- case of names ---------------------------------------------------------------------------
  ...Object.keys(CASES).map((k) => ({
    id: `case-header-names-${k}`,
    group: 'name-case',
    why: 'RFC 5322 §1.2.2 / RFC 2045 §5.1: header field names (and MIME parameter names) are case-insensitive.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        mapFields(root, (raw) => {
          const [name, v] = splitRaw(raw);
          return CASES[k](name) + ':' + v;
        });
        return {};
      }),
  })),
  ...Object.keys(CASES).map((k) => ({
    id: `case-dsn-fields-${k}`,
    group: 'name-case',
    why: 'RFC 3464 §2.1: DSN fields follow RFC 822 header syntax, whose field names are case-insensitive; so are the address and MTA types (`rfc822;`, `dns;`, `smtp;`, RFC 3464 §2.1.2 ABNF strings) and the action values.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        const ok = mapDsn(root, (segs, blocks) => {
          for (const b of blocks) {
            b.seg.lines = b.fields
              .map((f) => {
                const [name, v] = splitRaw(f);
                let value = v.replace(/^([ \t]*)(rfc822|dns|smtp|x-[a-z-]+|utf-8)([ \t]*;)/i, (_, a, t, c) => a + CASES[k](t) + c);
                if (/^action$/i.test(name.trim())) value = CASES[k](value);
                return CASES[k](name) + ':' + value;
              })
              .join('\n')
              .split('\n');
          }
          return segs;
        });
        return ok ? {} : null;
      }),
  })),
  {
    id: 'case-mime-values',
    group: 'name-case',
    why: 'RFC 2045 §5.1: the media type, subtype and parameter names are case-insensitive (`Multipart/Report; Report-Type=...`), as are transfer-encoding names (§6.1).',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        mapFields(root, (raw) => {
          const [name, v] = splitRaw(raw);
          const n = name.trim().toLowerCase();
          if (n === 'content-type') {
            return name + ':' + v.replace(/^([ \t]*)([^;\s]+)/, (_, a, t) => a + t.toUpperCase()).replace(/;(\s*)([A-Za-z-]+)(\s*=)/g, (_, s, p, e) => ';' + s + CASES.mixed(p) + e);
          }
          if (n === 'content-transfer-encoding') return name + ':' + v.toUpperCase();
          return raw;
        });
        return {};
      }),
  },

  // --- addresses, ids, dates -------------------------------------------------------------------
  {
    id: 'rename-addresses',
    group: 'addresses',
    why: 'Another sender, recipient and domain are another message of the same family: the report reads the same with every address (local part and domain, wherever it occurs) renamed consistently; the expected recipients are renamed alike. Provider domains the rules know are kept (renaming them would change the family).',
    apply: (ctx) => renameAddresses(ctx),
  },
  {
    id: 'rename-addresses-rulewords',
    group: 'addresses',
    why: 'As rename-addresses, with names that hold the words the rules read ("blocked", "spam", "nxdomain" ...): an address is a name, not a statement (a help desk called abuse@blocked.example or a recipient spam.trap@x says nothing about why the mail failed); the answer must not change.',
    apply: (ctx) => renameAddresses(ctx, { words: RULE_NAME_WORDS }),
  },
  // (round 30) a sender's list holds "Ava.Stone@Example.COM" as the person typed it: the
  // envelope, the DSN, the text and the returned copy carry that case.
  {
    id: 'case-addresses',
    group: 'addresses',
    why: 'RFC 5321 §2.4 / RFC 1035 §2.3.3: a domain is case-insensitive, and a local part is in practice (a receiving site treats "Ava.Stone" and "ava.stone" as one mailbox); every address of the message written in mixed case (local part alternating, domain upper case), the same everywhere, is the same report and the same (lower-cased) recipients.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let n = 0;
        const fn = (s) =>
          s.replace(ADDRESS, (all, local, domain) => {
            n++;
            return `${CASES.mixed(local)}@${domain.toUpperCase()}`;
          });
        mapFields(root, (raw) => (IS_CONTENT_TYPE.test(raw) ? raw : fn(raw)));
        mapLeafTexts(root, isTextual, fn);
        return n ? { mapMessageId: fn } : null;
      }),
  },
  // (round 30) white space at the ends of the text's lines and a blank line doubled: templates
  // written with trailing blanks, a client or relay that pads lines
  {
    id: 'text-trailing-space',
    group: 'human-text',
    why: 'RFC 5322 §2.3 / RFC 3676 §4.1: white space at the end of a line of text carries no words (a template that pads lines, a client that keeps the space before its soft break); the human-readable part with a space or a tab after every other line is the same report.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let n = 0;
        for (const e of reportLeaves(root)) {
          // (in format=flowed a trailing space is a soft break, RFC 3676 §4.2: another text)
          if (e.type !== 'text/plain' || /^flowed$/i.test(e.params.format ?? '')) continue;
          const t = leafText(e);
          if (t === null) continue;
          let k = 0;
          const r = t.replace(/([^\n])(?=\n)/g, (c) => c + (k++ % 2 ? '\t' : ' '));
          if (r !== t && setLeafText(e, r)) n++;
        }
        return n ? {} : null;
      }),
  },
  // (round 30) the remote server echoes the recipient as it keeps it ("<AVA.STONE@EXAMPLE.COM>:
  // Recipient address rejected"), the DSN fields keep the envelope's case
  {
    id: 'case-addresses-text',
    group: 'addresses',
    why: 'RFC 5321 §2.4: a receiving server may echo a mailbox in another case than the client wrote it; the human-readable text with every address upper-cased, the DSN fields and the returned copy as they were, names the same recipients and says the same.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let n = 0;
        // (a Message-ID quoted in the text is a token, not an address: kept as written)
        const ids = new Set([...ctx.text.matchAll(/message-?id\W[^<\n]{0,40}\n?[ \t>]*<([^<>\s]+)>/gi)].map((m) => m[1].toLowerCase()));
        for (const e of reportLeaves(root)) {
          if (!e.type.startsWith('text/') || e.type === 'text/rfc822-headers') continue;
          const t = leafText(e);
          if (t === null) continue;
          const r = t.replace(ADDRESS, (all, local, domain, at) => (ids.has(all.toLowerCase()) || /(?:message-?id|in-reply-to|references)\W[^\n]{0,40}<$/i.test(t.slice(Math.max(0, at - 200), at)) ? all : all.toUpperCase()));
          if (r !== t && setLeafText(e, r)) n++;
        }
        return n ? {} : null;
      }),
  },
  // (round 30) recipients' addresses as people have them: "ava.x+news@", "o'x.brien@",
  // "x_lee-2024@" at "mail.x.co.uk", "x-group.com"
  {
    id: 'rename-addresses-shapes',
    group: 'addresses',
    why: 'As rename-addresses, with local parts of every RFC 5322 atext shape real mailboxes have (plus tags, dots, underscores, hyphens, an apostrophe, "=", long names) and domains of several labels: the report reads the same, and the recipients are the renamed ones.',
    apply: (ctx) => renameAddresses(ctx, { shapes: true }),
  },
  {
    id: 'message-ids',
    group: 'ids-dates',
    why: 'RFC 5322 §3.6.4: a Message-ID is an opaque unique token; another value (the same everywhere it is quoted: References, In-Reply-To, the returned headers) is another message of the same kind.',
    apply: (ctx) => {
      const ids = new Map();
      const re = /^(?:message-id|x-original-message-id|original-message-id|resent-message-id)[ \t]*:[ \t]*(?:\n[ \t]+)?<([^<>\s]+)>/gim;
      let m;
      while ((m = re.exec(ctx.text))) if (!ids.has(m[1])) ids.set(m[1], `m${b36(hash32(ctx.seed + m[1]), 8)}.${ids.size}@ids.mutated.example`);
      if (!ids.size) return null;
      const list = [...ids.keys()].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
      const idRe = new RegExp(list.join('|'), 'g');
      const fn = (s) => s.replace(idRe, (x) => ids.get(x) ?? x);
      return withTree(ctx, (root) => {
        mapFields(root, (raw) => (IS_CONTENT_TYPE.test(raw) ? raw : fn(raw)));
        mapLeafTexts(root, isTextual, fn);
        return { mapMessageId: fn };
      });
    },
  },
  {
    id: 'dates',
    group: 'ids-dates',
    why: 'RFC 5322 §3.3 / RFC 3464 §2.2.5, §2.3.7: another date-time (another day, zone and offset) in Date, Arrival-Date, Last-Attempt-Date and Will-Retry-Until is another message of the same kind.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let changed = false;
        for (const e of entities(root)) {
          for (const f of e.fields) {
            if (!DATE_FIELDS.test(fieldName(f))) continue;
            const d = shiftDate(fieldValue(f));
            if (d) {
              setValue(f, d);
              changed = true;
            }
          }
        }
        const dsn = mapDsn(root, (segs, blocks) => {
          let any = false;
          for (const b of blocks) {
            b.seg.lines = b.fields
              .map((f) => {
                const [name, v] = splitRaw(f);
                if (!DATE_FIELDS.test(name.trim())) return f;
                const d = shiftDate(v.replace(/\n/g, ''));
                if (!d) return f;
                any = true;
                return `${name}: ${d}`;
              })
              .join('\n')
              .split('\n');
          }
          return any ? segs : null;
        });
        return changed || dsn ? {} : null;
      }),
  },
  // (round 30) the same servers reached over IPv6: Postfix writes "host mx.x[2001:db8::1] said:",
  // Exim "host mx.x [2001:db8::1]:", a DSN "Remote-MTA: dns; [2001:db8::1]"; a reader that splits
  // at the first ':' after a host, or takes an address literal for a code, reads another reply.
  {
    id: 'ipv6-literals',
    group: 'addresses',
    why: 'RFC 4291 §2.2 / RFC 5952: a server reached over IPv6 is named by an IPv6 address where an IPv4 one stood (Postfix "host x[a]", Exim "host x [a]", a Remote-MTA, a "client [a]" in a refusal); the colons in it are no field separator. Every IPv4 address of the text and the DSN fields, each mapped to one address of the documentation prefix (RFC 3849), is the same report.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        const map = new Map();
        const v6 = (ip) => {
          let a = map.get(ip);
          if (!a) {
            const parts = ip.split('.').map(Number);
            a = `2001:db8:${(hash32(ctx.seed + ip) & 0xffff).toString(16)}::${((parts[2] << 8) | parts[3]).toString(16)}`;
            map.set(ip, a);
          }
          return a;
        };
        // an IPv4 address on its own: not part of a longer dotted name (a DNS block list's reversed
        // query "4.3.2.1.zen.x", a version "1.2.3.4.5") and not an address literal's domain ("@[a]")
        const IPV4 = /(?<![\w.:@-]|@\[)(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w-]|\.\w)/g;
        mapLeafTexts(root, isTextual, (t) => t.replace(IPV4, v6));
        return map.size ? {} : null;
      }),
  },

  // --- optional headers ------------------------------------------------------------------------
  {
    id: 'add-received',
    group: 'optional-headers',
    why: 'RFC 5321 §4.4: every relay on the way prepends a Received trace field; one more hop (our MX behind a relay) is the same report.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        root.fields.unshift({ raw: 'Received: from relay.mutated.example (relay.mutated.example [192.0.2.25])\n\tby mx.mutated.example with ESMTPS id 4Xq2Lm0Zz1;\n\tMon, 2 Mar 2026 10:11:12 +0100 (CET)' });
        return {};
      }),
  },
  // (round 30) what our own side adds when a mailbox or a pipe delivers the notice: the inbox
  // (IMAP) and Postfix's pipe see these fields on every notice
  {
    id: 'add-local-delivery',
    group: 'optional-headers',
    why: 'RFC 5321 §4.4 (Return-Path) / Postfix local(8) and pipe(8) (Delivered-To, X-Original-To): the final delivery to our mailbox prepends the envelope sender (null for a notice, RFC 3464 §2), the address it was delivered to and the one it was sent to; they name our side, not the report\'s recipients.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        const fields = ['Delivered-To: bounces@bounces.mutated.example', 'X-Original-To: bounces+4711@bounces.mutated.example'];
        if (!root.fields.some((f) => fieldName(f).toLowerCase() === 'return-path')) fields.unshift('Return-Path: <>');
        root.fields.unshift(...fields.map((raw) => ({ raw })));
        return {};
      }),
  },
  // (round 30) header fields in another order, the From written in another of its forms, a
  // Subject tagged by our own side's spam filter
  {
    id: 'reorder-headers',
    group: 'optional-headers',
    why: 'RFC 5322 §3.6: the header fields (other than trace fields) may occur in any order; the top-level fields reversed (each Received block kept in its own order) are the same message.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        if (root.fields.length < 3) return null;
        const trace = root.fields.filter((f) => /^(?:received|return-path|x-received|arc-[a-z-]+)$/i.test(fieldName(f)));
        const rest = root.fields.filter((f) => !trace.includes(f));
        root.fields = [...trace, ...rest.reverse()];
        return {};
      }),
  },
  {
    id: 'from-forms',
    group: 'optional-headers',
    why: 'RFC 5322 §3.4: "Name <addr>", "addr (Name)" and "<addr>" name the same mailbox; a relay or client that rewrites the From of a notice to another of these forms leaves the same sender.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        const f = getField(root, 'from');
        if (!f) return null;
        const v = fieldValue(f).replace(/\s+/g, ' ').trim();
        let m = /^"?([^"<>()]*?)"?\s*<([^<>\s]+@[^<>\s]+)>$/.exec(v);
        let next = null;
        if (m) next = m[1].trim() ? `${m[2]} (${m[1].trim()})` : m[2];
        else if ((m = /^([^<>()\s]+@[^<>()\s]+)\s*\(([^()]+)\)$/.exec(v))) next = `"${m[2].trim()}" <${m[1]}>`;
        else if ((m = /^([^<>()\s]+@[^<>()\s]+)$/.exec(v))) next = `<${m[1]}>`;
        if (!next) return null;
        setValue(f, next);
        return {};
      }),
  },
  {
    id: 'subject-spam-tag',
    group: 'optional-headers',
    why: "The receiving side's spam filter (SpamAssassin's rewrite_header, a gateway's tag) may prefix the Subject of a notice it delivers to our mailbox; the notice is the same.",
    apply: (ctx) =>
      withTree(ctx, (root) => {
        const f = getField(root, 'subject');
        if (!f) return null;
        setValue(f, '***SPAM*** ' + fieldValue(f).trim());
        return {};
      }),
  },
  {
    id: 'add-x-header',
    group: 'optional-headers',
    why: 'RFC 5322 §3.6.8: optional fields (X-..., Comments, Authentication-Results) say nothing about the report; a receiving filter adds them.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        const at = Math.max(1, Math.floor(root.fields.length / 2));
        root.fields.splice(at, 0, { raw: 'X-Spam-Status: No, score=-0.1 required=5.0 tests=BAYES_00' }, { raw: 'Authentication-Results: mx.mutated.example; spf=none smtp.helo=relay.mutated.example' }, { raw: 'Comments: scanned' });
        return {};
      }),
  },
  {
    id: 'drop-trace-auth',
    group: 'optional-headers',
    why: 'RFC 6376 / RFC 8601 / RFC 8617: DKIM signatures, Authentication-Results, ARC sets and spam-filter stamps are optional trace fields; without them the report is the same.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let n = 0;
        for (const e of entities(root, false)) {
          const before = e.fields.length;
          e.fields = e.fields.filter((f) => !OPTIONAL_TRACE.test(fieldName(f)));
          n += before - e.fields.length;
        }
        return n ? {} : null;
      }),
  },
  {
    id: 'add-part-header',
    group: 'optional-headers',
    why: 'RFC 2045 §8 / RFC 2183: Content-Description and Content-Disposition: inline only describe how to show a part; adding them to the report\'s parts changes nothing in it.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let n = 0;
        for (const e of reportLeaves(root)) {
          if (e === root) continue;
          if (!getField(e, 'content-description')) {
            e.fields.push({ raw: 'Content-Description: part' });
            n++;
          }
        }
        return n ? {} : null;
      }),
  },
  ...['B', 'Q'].map((enc) => ({
    id: `subject-2047-${enc.toLowerCase()}`,
    group: 'optional-headers',
    why: `RFC 2047 §2, §5(1): an unstructured field such as Subject may carry its text as encoded words (${enc} encoding, UTF-8), folded between the words; decoded it is the same text.`,
    apply: (ctx) =>
      withTree(ctx, (root) => {
        const f = getField(root, 'subject');
        if (!f) return null;
        const v = fieldValue(f);
        if (!v || v.includes('=?')) return null;
        const text = /[\x80-\xff]/.test(v) ? decodeCharset(v, 'utf-8') : v;
        if (text === null) return null;
        setValue(f, encodedWords(text, enc));
        return {};
      }),
  })),

  // --- the DSN's recipient blocks --------------------------------------------------------------
  {
    id: 'dsn-unfold',
    group: 'dsn-folding',
    why: 'RFC 3464 §2.1: DSN fields follow RFC 822 header syntax; a folded Diagnostic-Code and its unfolded form are the same field.',
    apply: (ctx) => withTree(ctx, (root) => (dsnRefold(root, 998, null) ? {} : null)),
  },
  {
    id: 'dsn-fold-20',
    group: 'dsn-folding',
    why: 'RFC 3464 §2.1 + RFC 5322 §2.2.3: a DSN field may be folded at any white space; width 20 folds every long value.',
    apply: (ctx) => withTree(ctx, (root) => (dsnRefold(root, 20, null) ? {} : null)),
  },
  {
    id: 'dsn-fold-indent',
    group: 'dsn-folding',
    why: 'RFC 3464 §2.1 + RFC 5322 §3.2.2: a fold is CRLF followed by white space, and a run of white space is one FWS (Postfix writes four spaces, Exchange a tab): folding at 40 with a tab and with four spaces is the same field.',
    apply: (ctx) => withTree(ctx, (root) => (dsnRefold(root, 40, '\t') && dsnRefold(root, 60, '    ') ? {} : null)),
  },
  {
    id: 'dsn-reorder-fields',
    group: 'dsn-blocks',
    why: 'RFC 3464 §2.2, §2.3: the fields of a block are a set, no order is prescribed; the fields of each recipient block in reverse order are the same block.',
    apply: (ctx) =>
      withTree(ctx, (root) =>
        mapDsn(root, (segs, blocks) => {
          let any = false;
          for (const b of blocks) {
            if (!isRecipientBlock(b.fields) || b.fields.length < 2) continue;
            b.seg.lines = [...b.fields].reverse().join('\n').split('\n');
            any = true;
          }
          return any ? segs : null;
        })
          ? {}
          : null,
      ),
  },
  // (round 30) the values' own case and a comment on the Status, as other generators write them
  {
    id: 'dsn-values-case-comment',
    group: 'dsn-blocks',
    why: 'RFC 3464 §2.3.3 (action-value is a keyword: case-insensitive) and RFC 822 comments (RFC 3464 §2.1.1 allows them in the fields): "Action: FAILED" and "Status: 5.1.1 (permanent failure)" say what "Action: failed" and "Status: 5.1.1" say.',
    apply: (ctx) =>
      withTree(ctx, (root) =>
        mapDsn(root, (segs, blocks) => {
          let any = false;
          for (const b of blocks) {
            if (!isRecipientBlock(b.fields)) continue;
            const fields = b.fields.map((f) => {
              const [name, v] = splitRaw(f);
              const n = name.trim().toLowerCase();
              if (n === 'action' && /^\s*[a-z]+\s*$/i.test(v)) return `${name}: ${v.trim().toUpperCase()}`;
              if (n === 'status' && /^\s*([245])\.\d{1,3}\.\d{1,3}\s*$/.test(v)) return `${name}: ${v.trim()} (${v.trim()[0] === '4' ? 'temporary failure' : v.trim()[0] === '5' ? 'permanent failure' : 'success'})`;
              return f;
            });
            if (fields.join('\n') === b.fields.join('\n')) continue;
            b.seg.lines = fields.join('\n').split('\n');
            any = true;
          }
          return any ? segs : null;
        })
          ? {}
          : null,
      ),
  },
  {
    id: 'dsn-drop-remote-mta',
    group: 'dsn-blocks',
    // (informational: a provider's reply conventions are known by its host too; without it three
    // public files read another documented meaning of the same words, e.g. Yahoo's TSS04 "user
    // complaints" as badreputation instead of the host's convention, rejected)
    informational: true,
    why: 'RFC 3464 §2.3.5: Remote-MTA is optional (many MTAs leave it out, and a relay that re-writes a report may drop it); the reply in Diagnostic-Code still says what it says.',
    apply: (ctx) => dropRecipientField(ctx, (fields) => fields.find((f) => /^remote-mta[ \t]*:/i.test(f))),
  },
  {
    id: 'dsn-drop-status-in-reply',
    group: 'dsn-blocks',
    why: 'RFC 3464 §2.3.4 makes Status required, yet some MTAs leave it out; where the Diagnostic-Code\'s reply carries the same enhanced code (RFC 3463 §3, RFC 2034), that reply still says it.',
    apply: (ctx) =>
      dropRecipientField(ctx, (fields) => {
        const st = fields.find((f) => /^status[ \t]*:/i.test(f));
        const code = st && /([245]\.\d{1,3}\.\d{1,3})/.exec(st)?.[1];
        const diag = fields.find((f) => /^diagnostic-code[ \t]*:/i.test(f));
        return code && diag && new RegExp(`\\b[245]\\d\\d[ -]${code.replace(/\./g, '\\.')}\\b`).test(diag) ? st : null;
      }),
  },
  {
    id: 'dsn-reverse-recipients',
    group: 'dsn-blocks',
    why: 'RFC 3464 §2.1: the per-recipient blocks follow the per-message block in no prescribed order; each is read on its own.',
    apply: (ctx) =>
      withTree(ctx, (root) =>
        mapDsn(root, (segs, blocks) => {
          const rb = blocks.filter((b) => isRecipientBlock(b.fields));
          if (rb.length < 2) return null;
          const lines = rb.map((b) => b.seg.lines).reverse();
          rb.forEach((b, i) => (b.seg.lines = lines[i]));
          return segs;
        })
          ? {}
          : null,
      ),
  },
  {
    id: 'dsn-drop-recipient',
    group: 'dsn-blocks',
    why: 'A report on fewer recipients: without the first recipient block (RFC 3464 §2.3 blocks are independent), the answer for every other recipient is the same.',
    apply: (ctx) => {
      let dropped = null;
      const res = withTree(ctx, (root) =>
        mapDsn(root, (segs, blocks) => {
          const rb = blocks.filter((b) => isRecipientBlock(b.fields));
          if (rb.length < 2 || dropped) return null;
          dropped = recipientsOfBlock(rb[0].fields);
          const i = segs.indexOf(rb[0].seg);
          // the block and the blank line after it
          return segs.filter((s, k) => k !== i && k !== i + 1);
        })
          ? {}
          : null,
      );
      return res && dropped ? { ...res, optional: new Set(dropped) } : null;
    },
  },
  {
    id: 'dsn-duplicate-recipient',
    group: 'dsn-blocks',
    why: 'A recipient block repeated (a gateway that merges reports): the same statement twice about the same recipient gives the same answer.',
    apply: (ctx) =>
      withTree(ctx, (root) =>
        mapDsn(root, (segs, blocks) => {
          const rb = blocks.find((b) => isRecipientBlock(b.fields));
          if (!rb) return null;
          const i = segs.indexOf(rb.seg);
          const copy = { lines: [...rb.seg.lines] };
          return [...segs.slice(0, i + 1), '', copy, ...segs.slice(i + 1)];
        })
          ? { duplicates: true }
          : null,
      ),
  },

  // --- the human-readable part -------------------------------------------------------------------
  {
    id: 'text-flowed',
    group: 'text-wrapping',
    why: 'RFC 3676 §4.2: in format=flowed text a line ending in a space is a soft break, joined to the next on reading (space-stuffing, §4.4, undone); the same text flowed at 40 columns reads the same (Yahoo! JAPAN sends its reports so).',
    apply: (ctx) => rewrapTextLeaves(ctx, 40, toFlowed, (e) => setContentTypeParam(e, 'format', 'flowed')),
  },
  // (round 23) a relay, gateway or mail client that re-wraps the text with hard line breaks, the
  // lines it makes without their indentation, as forwards and some gateways do. Asserted since
  // round 24, when the last hand-written fixtures that read otherwise re-flowed (1&1, Exchange,
  // Haraka, the fallback's lists) were mended; test/parser/metamorphic.test.ts also runs it over
  // every source.
  ...[72, 76].map((width) => ({
    id: `text-reflowed-${width}`,
    group: 'text-wrapping',
    why: `A notice whose human-readable text a relay, gateway or mail client re-wrapped at ${width} columns (hard line breaks; the lines a break makes start at the margin, without the indentation or the mark of the line they come from) is the same report: the reply goes on under its line.`,
    apply: (ctx) => rewrapTextLeaves(ctx, width, toReflowed),
  })),
  ...['end', 'start'].map((where) => ({
    id: `help-text-${where}`,
    group: 'human-text',
    why: `RFC 3464 §2.1 / RFC 6522 §3: the first part is free text for a person; a site that adds a help paragraph (with its help desk's address and a link) at the ${where} of it sends the same report, and that address is no recipient (issue #13, harm 1).`,
    apply: (ctx) => {
      const help = 'If you need help, please contact our help desk at helpdesk@support-desk.example.net\nor see https://support-desk.example.net/ndr?ref=4711 (ticket support-4711@support-desk.example.net).';
      return withReportText(ctx, where === 'start' ? help : null, where === 'end' ? help : null);
    },
  })),
  // (round 29) the warning an organisation's inbound gateway puts at the top of every mail from
  // outside (Microsoft 365 transport rules, Mimecast, Proofpoint's "[EXTERNAL]" tag): a bounce
  // address that is a mailbox in such an organisation (a connected inbox) reads every notice so.
  {
    id: 'external-banner',
    group: 'human-text',
    why: "RFC 3464 §2.1 / RFC 6522 §3: the first part is free text for a person; the caution an organisation's inbound gateway puts before it (and the \"[EXTERNAL]\" tag before the Subject) on every mail from outside is not part of the report.",
    apply: (ctx) => {
      const banner = [
        'CAUTION: This email originated from outside of the organization. Do not click links or',
        'open attachments unless you recognize the sender and know the content is safe.',
      ].join('\n');
      return withReportText(ctx, banner, null, (root) => {
        const f = getField(root, 'subject');
        const v = f ? fieldValue(f) : null;
        if (f && v && !v.includes('=?') && !/[\x80-\xff]/.test(v)) setValue(f, '[EXTERNAL] ' + v);
      });
    },
  },
  // (round 29) an organisation's link protection rewrites every link in the text of mail from
  // outside: a connected inbox behind it reads every notice so. Before the reader took the
  // wrappers off (src/parser/mime/link-wrappers.ts), Google Groups' notices (found by their
  // help-centre link) lost their recipient's reason: 12 of 671 pairs.
  {
    id: 'link-protection',
    group: 'human-text',
    why: 'The links of the human-readable text (RFC 3464 §2.1) rewritten by a link-protection service (Microsoft Defender Safe Links, Proofpoint URL Defense v2, Barracuda Link Protection: each carries the original URL, encoded, in a parameter) are the same links; the report says the same.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let n = 0;
        for (const e of reportLeaves(root)) {
          if (e.type !== 'text/plain') continue;
          const t = leafText(e);
          if (t === null || !/https?:\/\//i.test(t)) continue;
          let k = 0;
          const r = t.replace(/https?:\/\/[^\s<>"')\]]+/gi, (u) => protectedLink(u, k++));
          if (setLeafText(e, r)) n++;
        }
        return n ? {} : null;
      }),
  },
  // (round 29) the footer an outbound gateway or scanner of the reporting site stamps on every
  // mail it sends, notices included: a confidentiality disclaimer and the banners of MailScanner,
  // Symantec Email Security.cloud, Proofpoint Essentials, Avast and AVG. Their words ("virus
  // found", "spam", "not the intended recipient", "delete") are no reason for this failure; the
  // AVG and Proofpoint lines made a dead mailbox `virusdetected` before the classifier set
  // banners aside (src/classifier/index.ts withoutScanBanners).
  {
    id: 'gateway-footer',
    group: 'human-text',
    why: 'RFC 3464 §2.1 / RFC 6522 §3: the first part is free text for a person; the disclaimer and scanning banner a site\'s outbound gateway appends to every mail it sends (notices too) are not part of the report, and their words about viruses, spam and unintended recipients are no reason for the failure.',
    apply: (ctx) => {
      const footer = [
        'CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and may be',
        'privileged. If you are not the intended recipient, please notify the sender immediately',
        'and delete it; any use, copying or disclosure by others is prohibited.',
        '',
        'This message has been scanned for viruses and dangerous content by MailScanner,',
        'and is believed to be clean.',
        '',
        '______________________________________________________________________',
        'This email has been scanned by the Symantec Email Security.cloud service.',
        'For more information please visit http://www.symanteccloud.com',
        '______________________________________________________________________',
        '',
        'This email has been scanned for spam and viruses by Proofpoint Essentials.',
        '',
        'This email has been checked for viruses by Avast antivirus software.',
        'No virus found in this message. Checked by AVG - www.avg.com',
      ].join('\n');
      return withReportText(ctx, null, footer);
    },
  },
  {
    id: 'original-more-addresses',
    group: 'returned-original',
    why: "RFC 5322 §3.6.2-§3.6.3, §3.6.7 / RFC 2369: the returned original's own header may carry one more Received hop naming another addressee (\"for <a>\"), a Cc list, a Reply-To, a Sender (a list's owner) and a List-Unsubscribe mailto; they are the original's addressees and its list's addresses, none of them a failed recipient, so the report is the same (issue #13, harm 1: \"addresses taken from a returned message's headers\").",
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let n = 0;
        for (const e of entities(root, true)) {
          if (e.kind === 'message') {
            // (a returned message of a returned message is left as it is)
            if (!e.inner.fields.length) continue;
            // (a trace field goes first, RFC 5322 §3.6.7: one more hop naming another addressee)
            e.inner.fields.unshift({ raw: ORIGINAL_TRACE_FIELD });
            e.inner.fields.push(...ORIGINAL_EXTRA_FIELDS.map((raw) => ({ raw })));
            n++;
          } else if (e.kind === 'leaf' && e.type === 'text/rfc822-headers') {
            const t = leafText(e);
            if (t === null || !FIELD_LINE.test(t)) continue;
            const end = t.search(/\n[ \t]*(?:\n|$)/);
            const at = end < 0 ? t.length : end;
            if (setLeafText(e, ORIGINAL_TRACE_FIELD + '\n' + t.slice(0, at) + '\n' + ORIGINAL_EXTRA_FIELDS.join('\n') + t.slice(at))) n++;
          } else if (e.kind === 'leaf' && e.type === 'text/plain') {
            // an original quoted inline below the notice (Exim, qmail, Sendmail's plain form):
            // the extra fields go before its Subject line, inside its header block
            const t = leafText(e);
            if (t === null) continue;
            const m = /\n((?:Return-Path|Received|Date|From|To|Message-I[Dd])[ \t]*:[^\n]*\n(?:[^\n]+\n){0,40}?)Subject[ \t]*:/.exec(t);
            if (!m) continue;
            const at = m.index + 1 + m[1].length;
            if (setLeafText(e, t.slice(0, at) + ORIGINAL_EXTRA_FIELDS.join('\n') + '\n' + t.slice(at))) n++;
          }
        }
        return n ? {} : null;
      }),
  },
  {
    id: 'original-truncated',
    group: 'returned-original',
    why: "Postfix's bounce_size_limit (50,000 bytes of the original by default), GroupWise's Internet Agent (2 KB by default, its /mudas switch) and other MTAs return only the start of the original: a copy cut inside the original's body, with the rest of the notice after it (the closing MIME boundary) gone too, as a relay or a mail store that truncates does, is the same report.",
    apply: (ctx) => truncatedOriginal(ctx.text),
  },
  // (round 30) the returned message is itself about a failure: a sender's message that quotes
  // a bounce it got, a help-desk reply, a forwarded thread
  ...[
    ['original-body-noise', '> ', true],
    ['original-body-forward', '', true],
    ['original-body-prose', '', false],
  ].map(([id, mark, fields]) => ({
    id,
    group: 'returned-original',
    why: `RFC 3464 §2 / RFC 6522 §3: the returned message is the sender's own, whatever it says; a body that ${mark ? 'quotes (with "> " marks)' : 'holds, as a client forwards it (no quote marks),'} another failure notice (another address, a 5.1.1${fields ? ', DSN fields' : ''}, a help desk's address) says nothing about this report, attached or pasted below a plain notice (issue #13, harm 1: addresses taken from a returned message).`,
    apply: (ctx) => {
      const at = originalSecondLine(ctx.text);
      if (at === null) return null;
      const noise = [
        '',
        mark ? '---------- Forwarded message ----------' : '-----Original Message-----',
        'From: Mail Delivery Subsystem <mailer-daemon@relay-mutated.example>',
        'Subject: Undelivered Mail Returned to Sender',
        '',
        'Your message to old.friend@elsewhere-mutated.example could not be delivered.',
        'old.friend@elsewhere-mutated.example: host mx.elsewhere-mutated.example[192.0.2.61] said:',
        '    550 5.1.1 <old.friend@elsewhere-mutated.example>: Recipient address rejected:',
        '    User unknown in virtual mailbox table (in reply to RCPT TO command)',
        ...(fields ? ['', 'Final-Recipient: rfc822; old.friend@elsewhere-mutated.example', 'Action: failed', 'Status: 5.1.1'] : []),
        '',
        'For help, write to helpdesk@corp-mutated.example.',
      ].map((l) => mark + l);
      return { text: ctx.text.slice(0, at) + ['', ...noise, '', ''].join('\n') + ctx.text.slice(at) };
    },
  })),
  // (round 30) the returned copy's folded fields with their leading white space gone (seen in
  // several families' returned messages: Office 365's, Messaging Server's), so a field line
  // follows a line that is no field
  {
    id: 'original-folds-lost',
    group: 'returned-original',
    why: "RFC 5322 §2.2.3: a folded field's continuation lines start with white space; a store or relay that strips it leaves lines that are no fields inside the returned message's header. They are still the same header (the same Message-ID, From, To below them), and the report is the same.",
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let n = 0;
        for (const e of entities(root, true)) {
          if (e.kind !== 'message') continue;
          for (const f of e.inner.fields) {
            const r = f.raw.replace(/\n[ \t]+/g, '\n');
            if (r !== f.raw) {
              f.raw = r;
              n++;
            }
          }
        }
        return n ? {} : null;
      }),
  },
  // (round 30) no copy at all: a reporting MTA that returns nothing (qmail-ldap's and Exchange's
  // options, a bounce_size_limit of 0, a store that strips attachments)
  {
    id: 'original-dropped',
    group: 'returned-original',
    why: 'RFC 6522 §3: the third part of a report (the returned message or its header) is optional; without it the report states the same failures (the Message-ID it carried may be gone: not compared).',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let n = 0;
        for (const parent of entities(root, false)) {
          // (a complaint's recipient is named in the returned copy, RFC 5965 §2: only delivery reports)
          if (parent.kind !== 'multipart' || parent.type !== 'multipart/report' || !/delivery-status/i.test(parent.params['report-type'] ?? '')) continue;
          const keep = [];
          let dropped = false;
          for (const seg of parent.segments) {
            if (typeof seg !== 'string' && (seg.type === 'message/rfc822' || seg.type === 'text/rfc822-headers' || seg.type === 'message/global')) {
              dropped = true;
              // (the boundary line before it goes with it)
              if (typeof keep[keep.length - 1] === 'string' && keep[keep.length - 1].startsWith('--')) keep.pop();
              continue;
            }
            keep.push(seg);
          }
          if (!dropped) continue;
          parent.segments = keep;
          n++;
        }
        // (its Message-ID may be read from the notice's text still, or be gone: not asserted)
        return n ? { mapMessageId: () => undefined } : null;
      }),
  },
  // (round 30) the sender asked for headers only (RET=HDRS), or the reporting MTA returns only
  // the header (Exchange, qmail-ldap, Postfix for a large message): the third part is then
  // text/rfc822-headers
  {
    id: 'original-headers-only',
    group: 'returned-original',
    why: 'RFC 3461 §4.3 (RET=HDRS) / RFC 6522 §3: the third part of a report is the returned message or only its header, as text/rfc822-headers; the header alone (the same fields) is the same report.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let n = 0;
        for (const parent of entities(root, false)) {
          if (parent.kind !== 'multipart' || parent.type !== 'multipart/report') continue;
          for (const seg of parent.segments) {
            if (typeof seg === 'string' || seg.kind !== 'message' || seg.type !== 'message/rfc822' || !seg.inner.fields.length) continue;
            const f = getField(seg, 'content-type');
            if (!f) continue;
            setValue(f, fieldValue(f).replace(/message\/rfc822/i, 'text/rfc822-headers'));
            seg.body = seg.inner.lead + seg.inner.fields.map((x) => x.raw).join('\n') + '\n';
            seg.kind = 'leaf';
            seg.type = 'text/rfc822-headers';
            delete seg.inner;
            n++;
          }
        }
        return n ? {} : null;
      }),
  },
  {
    id: 'dsn-global',
    group: 'returned-original',
    why: 'RFC 6533 §3, §6: an MTA that supports SMTPUTF8 reports with message/global-delivery-status and returns the original as message/global (RFC 6532 §3.7); with ASCII fields and an ASCII original it is the same report.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let n = 0;
        for (const e of entities(root, false)) {
          const f = getField(e, 'content-type');
          if (!f || (e.type !== 'message/delivery-status' && e.type !== 'message/rfc822')) continue;
          setValue(f, fieldValue(f).replace(/message\/delivery-status/i, 'message/global-delivery-status').replace(/message\/rfc822/i, 'message/global'));
          e.type = e.type === 'message/rfc822' ? 'message/global' : 'message/global-delivery-status';
          n++;
        }
        return n ? {} : null;
      }),
  },
  {
    id: 'html-alternative',
    group: 'human-text',
    why: 'RFC 2046 §5.1.4 / RFC 6522 §3: the human-readable part may be a multipart/alternative of the same text in text/plain and text/html (Exchange, Gmail); the plain version is the same text.',
    apply: (ctx) =>
      withTree(ctx, (root) => {
        let n = 0;
        for (const parent of entities(root, false)) {
          if (parent.kind !== 'multipart' || parent.type === 'multipart/alternative') continue;
          parent.segments = parent.segments.map((seg) => {
            if (typeof seg === 'string' || seg.kind !== 'leaf' || seg.type !== 'text/plain' || n) return seg;
            const t = leafText(seg);
            if (t === null) return seg;
            n++;
            return htmlAlternative(seg, t, ctx.seed);
          });
        }
        return n ? {} : null;
      }),
  },
  ...[
    ['de', 'utf-8', ['Dies ist eine automatisch erzeugte Nachricht des Mailsystems.', 'Ihre Nachricht konnte nicht an alle Empfänger zugestellt werden.', 'Die technischen Einzelheiten finden Sie weiter unten.']],
    ['ja', 'iso-2022-jp', ['このメールはメールシステムから自動的に送信されています。', 'お送りいただいたメッセージは次の宛先に配信できませんでした。', '詳細は以下をご覧ください。']],
  ].map(([lang, charset, sentences]) => ({
    id: `prose-${lang}`,
    group: 'language',
    why: `The same MTA in another language (${lang}): its bounce template's fixed prose translated (Postfix bounce(5) templates, Exim's bounce_message_file, localized Exchange), while what it generates per recipient (the address lines, the remote reply, the session transcript) and the DSN part stay as they are. The DSN states each failure, so the answer is the same.`,
    informational: true,
    apply: (ctx) =>
      withTree(ctx, (root) => {
        const leaves = reportLeaves(root);
        // only reports whose DSN states every failure (a Diagnostic-Code in each recipient block)
        const dsn = leaves.find(isStatusLeaf);
        const dt = dsn ? leafText(dsn) : null;
        if (!dt) return null;
        const blocks = dt.split(/\n[ \t]*\n/).filter((b) => /^(?:final|original)-recipient[ \t]*:/im.test(b));
        if (!blocks.length || !blocks.every((b) => /^diagnostic-code[ \t]*:/im.test(b))) return null;
        const e = leaves.find((x) => x.type === 'text/plain');
        if (!e) return null;
        const t = leafText(e);
        if (t === null) return null;
        const out = [];
        let k = 0;
        let keepIndented = false;
        for (const line of t.split('\n')) {
          // what the MTA generates, not its template: address lines, replies, transcripts, and
          // the section rules Sendmail and Exim print in fixed English ("----- Transcript of
          // session follows -----")
          const generated = /@/.test(line) || /^\s*(?:[45]\d\d[ -]|<<<|>>>|\.\.\.|\(reason:|-{3,}.*-{3,}\s*$)/i.test(line) || (keepIndented && /^[ \t]+\S/.test(line));
          if (!line.trim()) {
            out.push(line);
            keepIndented = false;
          } else if (generated) {
            out.push(line);
            keepIndented = true;
          } else if (!out.length || out[out.length - 1] !== sentences[Math.min(k, sentences.length) - 1]) {
            // one translated sentence per run of prose lines
            out.push(sentences[Math.min(k++, sentences.length - 1)]);
            keepIndented = false;
          }
        }
        return setLeafText(e, out.join('\n'), { charset, cte: charset === 'utf-8' ? 'quoted-printable' : '7bit' }) ? {} : null;
      }),
  })),
  {
    id: 'html-only',
    group: 'human-text',
    why: 'RFC 2046 §4.1 / RFC 6522 §3: the human-readable part is free text in any text type; the same text sent as text/html only (one <br> per line, as Exchange and webmail services write it) reads the same.',
    informational: true,
    apply: (ctx) =>
      withTree(ctx, (root) => {
        const e = reportLeaves(root).find((x) => x.type === 'text/plain' && x !== root);
        // (flowed text has soft line ends an HTML rendering would have to join first)
        if (!e || /flowed/i.test(e.params.format ?? '')) return null;
        const t = leafText(e);
        if (t === null) return null;
        const html = '<html><body><div style="font-family:monospace">' + t.split('\n').map(escapeHtml).join('<br>\n') + '</div></body></html>\n';
        const ctf = getField(e, 'content-type');
        if (ctf) setValue(ctf, 'text/html; charset=utf-8');
        else e.fields.push({ raw: 'Content-Type: text/html; charset=utf-8' });
        e.type = 'text/html';
        e.params = { charset: 'utf-8' };
        return setLeafText(e, html, { charset: 'utf-8', cte: 'quoted-printable' }) ? {} : null;
      }),
  },
  {
    id: 'mbox-from-line',
    group: 'storage',
    why: 'RFC 4155: a message stored in an mbox starts with a "From sender date" envelope line that is no part of the message.',
    apply: (ctx) => (/^>?From /.test(ctx.text) ? null : { text: 'From MAILER-DAEMON  Mon Mar  2 10:11:12 2026\n' + ctx.text }),
  },

  // (round 27) the remote reply names the recipient otherwise: informational until every
  // reader holds it (bench/README "Round 27")
  {
    id: 'reply-names-otherwise',
    group: 'recipients',
    informational: true,
    why: "RFC 5321 §4.2 / RFC 3464 §2.3.6: a remote server's reply is its own text; one that names the recipient as the server knows it (the address an alias led to, its canonical form: \"550 5.1.1 <jdoe@mail.x>: Recipient address rejected\" for RCPT TO:<john.doe@x>) answers the same recipient, which the report names in its own place (the entry, Final-Recipient, RCPT TO): the name in the reply was never mailed and did not fail on its own (issue #13, harm 1).",
    apply: (ctx) => replyNamesOtherwise(ctx),
  },

  // --- more recipients -----------------------------------------------------------------------------
  {
    id: 'clone-recipient',
    group: 'recipients',
    why: 'A report on one more recipient that failed the same way: the DSN gets a copy of the first recipient block for a new address at the same domain (RFC 3464 §2.3), and the human-readable part the same lines for it (Exim, Sendmail, Postfix list every failed address so); the new address gets the answer of the one it copies, the others keep theirs (issue #13, harm 4).',
    apply: (ctx) => cloneRecipient(ctx),
  },
];

// (round 29) a help paragraph at the start of the text, then the whole text re-wrapped at 76
// columns: the help sentence's two addresses each on a line of their own, the second after a
// line that only continues the sentence ("or see https://... (ticket" / "support-4711@x)."). A
// combination drew it: 48 of 2,524 notices then recorded the ticket address as a failed
// recipient (fallback.ts carriedRole read one line up only). Asserted as a mutation of its own.
MUTATIONS.push({
  id: 'help-text-start-reflowed',
  group: 'human-text',
  why: 'A site that adds a help paragraph at the start of the text (RFC 3464 §2.1), and a relay that then re-wraps the text at 76 columns, send the same report: the help sentence names no recipient on however many lines it runs.',
  apply: (ctx) => {
    const chain = ['help-text-start', 'text-reflowed-76'].map((id) => MUTATIONS.find((m) => m.id === id));
    const first = chain[0].apply(ctx);
    return first ? chain[1].apply({ ...ctx, text: first.text, eol: first.eol ?? ctx.eol }) : null;
  },
});

/**
 * Where a remote reply opens with an address in angle brackets: after the words that quote it
 * (Postfix's "said:", Sendmail's "<<<" and "(reason:", a DSN's Diagnostic-Code) and its reply
 * code, perhaps on the next line (a reply wrapped after its code).
 */
const REPLY_ADDRESS = /(said:|<<<|\(reason:|diagnostic-code:[^\n;]{0,20};)([ \t]*(?:\n[ \t]+)?[45]\d\d[ -](?:#?[245]\.\d{1,3}\.\d{1,3})?[ \t]*(?:\n[ \t]+)?)<([^<>\s@"]{1,64})@([A-Za-z0-9.-]{1,253})>/gi;

/**
 * The report's remote replies that open with a recipient's address name it otherwise
 * ("<a-canon@mail.x>" for "<a@x>"), where the report names the address elsewhere too (its entry,
 * its Final-Recipient): the replies' occurrences only, in the report's parts (not the returned
 * original). Null when no reply names such an address.
 */
function replyNamesOtherwise(ctx) {
  return withTree(ctx, (root) => {
    const leaves = reportLeaves(root).filter((e) => isTextLeaf(e) || isStatusLeaf(e));
    const texts = leaves.map((e) => leafText(e));
    const all = texts.filter((t) => t !== null).join('\n').toLowerCase();
    // how often each address opens a reply (counted once, not per reply)
    const inReplies = new Map();
    for (const x of all.matchAll(REPLY_ADDRESS)) {
      const a = `${x[3]}@${x[4]}`;
      inReplies.set(a, (inReplies.get(a) ?? 0) + 1);
    }
    let changed = false;
    for (let i = 0; i < leaves.length; i++) {
      if (texts[i] === null) continue;
      const n = texts[i].replace(REPLY_ADDRESS, (m, lead, code, local, domain, at, whole) => {
        const addr = `${local}@${domain}`.toLowerCase();
        // one reply written as several recipients' (nullmailer's Diagnostic-Code in every block):
        // the address it names says which of them it answered; renaming it changes that
        const lineStart = whole.lastIndexOf('\n', at) + 1;
        const lineEnd = whole.indexOf('\n', at + m.length);
        const line = whole.slice(lineStart, lineEnd < 0 ? whole.length : lineEnd).trim().toLowerCase();
        if (all.split(line).length > 2) return m;
        // named elsewhere besides such replies: the entry stays
        if (all.split(addr).length - 1 <= (inReplies.get(addr) ?? 0)) return m;
        return `${lead}${code}<${local}-canon@mail.${domain}>`;
      });
      if (n !== texts[i] && setLeafText(leaves[i], n)) changed = true;
    }
    return changed ? {} : null;
  });
}

/**
 * The message cut inside the body of its returned original (a message/rfc822 or message/global
 * part that is the last part of the report): the original's header block and the first line of
 * its body kept, everything after gone, closing boundaries included. Null when there is no such
 * part, or its body is empty.
 */
function truncatedOriginal(text) {
  const at = originalSecondLine(text);
  return at === null ? null : { text: text.slice(0, at) };
}

/**
 * Where the second line of the returned original's body starts (attached as the report's last
 * part, or pasted below a plain notice after a stock line), or null.
 */
function originalSecondLine(text) {
  const part = /^Content-Type:[ \t]*message\/(?:rfc822|global)[ \t]*(?:;|$)/im.exec(text);
  if (!part) return inlineOriginalSecondLine(text);
  // the boundary line that opens the part: the last "--x" line above its header block
  const before = text.slice(0, part.index);
  const open = /(?:^|\n)--([^\n]+?)[ \t]*\n(?:[^\n]+\n)*$/.exec(before);
  if (!open) return null;
  const boundary = open[1];
  const partHead = text.indexOf('\n\n', part.index);
  if (partHead < 0) return null;
  const innerHead = text.indexOf('\n\n', partHead + 2);
  if (innerHead < 0) return null;
  // (a report returned inside the report, a notice forwarded or bounced again, is the report
  // itself: cutting it is no change of the copy)
  if (/multipart\/report|delivery-status|mailer-daemon|postmaster/i.test(text.slice(partHead, innerHead))) return null;
  const bodyStart = innerHead + 2;
  // the part must be the report's last: no other part of the same multipart after it
  const rest = text.slice(bodyStart);
  const next = rest.indexOf(`\n--${boundary}`);
  if (next < 0 || !rest.startsWith(`\n--${boundary}--`, next)) return null;
  const firstLine = rest.indexOf('\n');
  if (firstLine <= 0 || firstLine >= next) return null;
  return bodyStart + firstLine + 1;
}

/**
 * The stock lines that introduce an original pasted below a plain-text notice (qmail, Exim,
 * Sendmail, Postfix). A list of the harness's own, not the parser's copy markers: where a
 * mutation cuts must not come from the code it tests.
 */
const INLINE_COPY_MARKER =
  /^[ \t-]*(?:Below this line is a copy of the message\.?|This is a copy of the message, including all the headers\.?|Original message follows\.?|Original message|Returned message|Undelivered Message|The original message was:)[ \t-]*$/im;

/**
 * A notice that is one plain text, the original pasted below it after a stock line: where the
 * second line of the original's body starts, as for originalSecondLine. Null when there is no
 * such line followed by a header block and a body.
 */
function inlineOriginalSecondLine(text) {
  if (/^Content-Type:[ \t]*multipart\//im.test(text.slice(0, text.indexOf('\n\n') + 1))) return null;
  const marker = INLINE_COPY_MARKER.exec(text);
  if (!marker) return null;
  const after = text.indexOf('\n', marker.index) + 1;
  // a header block right below (blank lines between allowed), then its body
  const head = /^\n*[A-Za-z][\w-]*:[ \t]*\S/.exec(text.slice(after));
  if (!head) return null;
  const end = text.indexOf('\n\n', after + head[0].length);
  if (end < 0) return null;
  const bodyStart = end + 2;
  const firstLine = text.indexOf('\n', bodyStart);
  // (a body of one line and nothing after it: nothing to cut)
  if (firstLine < 0 || firstLine + 1 >= text.length || !text.slice(firstLine + 1).trim()) return null;
  return firstLine + 1;
}

/**
 * Each text/plain leaf of the report (not already format=flowed) with a line longer than `width`,
 * its text rewritten by `rewrap(text, width)`; `after(leaf)` then (a parameter to set). Null when
 * no leaf changed.
 */
function rewrapTextLeaves(ctx, width, rewrap, after = null) {
  return withTree(ctx, (root) => {
    let n = 0;
    for (const e of reportLeaves(root)) {
      if (e.type !== 'text/plain' || /flowed/i.test(e.params.format ?? '')) continue;
      const t = leafText(e);
      if (t === null || !t.split('\n').some((l) => l.length > width)) continue;
      if (!setLeafText(e, rewrap(t, width))) continue;
      after?.(e);
      n++;
    }
    return n ? {} : null;
  });
}

/**
 * Text re-wrapped with hard breaks at `width` columns,/**
 * Text re-wrapped with hard breaks at `width` columns, as a client re-flows a forward: a longer
 * line is cut at its last space within the width (a word longer than the width stands alone), the
 * first piece keeps the line's indentation and the others start at the margin.
 */
export function toReflowed(text, width) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line.length <= width) {
      out.push(line);
      continue;
    }
    const indent = /^[ \t]*/.exec(line)[0];
    let cur = indent;
    for (const w of line.slice(indent.length).split(' ')) {
      if (cur.trim() && cur.length + 1 + w.length > width) {
        out.push(cur);
        cur = w;
      } else cur = cur.trim() ? `${cur} ${w}` : cur + w;
    }
    out.push(cur);
  }
  return out.join('\n');
}

/** Text in format=flowed (RFC 3676 §4.2, §4.4): long lines cut after a space, space-stuffed. */
export function toFlowed(text, width) {
  const out = [];
  const stuff = (l) => (/^(?: |>|From )/.test(l) ? ' ' + l : l);
  for (const raw of text.split('\n')) {
    if (raw === '-- ') {
      out.push(raw); // the signature separator stays a hard line (§4.3)
      continue;
    }
    // a space before a hard break would read as a soft one (§4.1: trailing spaces are trimmed)
    let rest = raw.replace(/ +$/, '');
    while (rest.length > width) {
      const cut = rest.lastIndexOf(' ', width - 1);
      if (cut <= 0) break;
      out.push(stuff(rest.slice(0, cut + 1)));
      rest = rest.slice(cut + 1);
    }
    out.push(stuff(rest));
  }
  return out.join('\n');
}

/** A line of text as HTML: markup escaped, its indentation and inner runs of spaces kept as &nbsp; (HTML collapses white space). */
const escapeHtml = (t) =>
  t
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/^[ \t]+| {2,}/g, (w) => '&nbsp;'.repeat(w.replace(/\t/g, '    ').length));

/** multipart/alternative of a text/plain leaf and the same text in HTML (one <br> per line). */
function htmlAlternative(plain, text, seed) {
  const boundary = `alt-${b36(hash32(seed + ':alt'), 8)}`;
  const html = '<html><body><div style="font-family:monospace">' + text.split('\n').map(escapeHtml).join('<br>\n') + '</div></body></html>\n';
  const bytes = Buffer.from(html, 'utf8').toString('latin1');
  const htmlPart = parseEntity(`Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n${encodeCte(bytes, 'quoted-printable')}\n`, 'multipart/alternative');
  const alt = parseEntity(`Content-Type: multipart/alternative; boundary="${boundary}"\n\n`, 'multipart/mixed');
  alt.kind = 'multipart';
  alt.type = 'multipart/alternative';
  alt.segments = [`--${boundary}`, plain, `--${boundary}`, htmlPart, `--${boundary}--`, ''];
  return alt;
}

/**
 * Reports that write one reply for the whole message as every recipient's (nullmailer-dsn:
 * nullmailer-send gives the message up at the first refused RCPT, nullmailer-send(8)). There
 * one more recipient is not "one more that failed the same way": a reply refusing one mailbox
 * and naming none of them can no longer be laid on either (src/classifier `sharedReply`), so a
 * copied recipient or a mailbox reply swapped into a frame of several changes the meaning.
 */
const SHARED_REPLY_FRAME = /^This is the nullmailer delivery system\./m;

/** Gmail's current one-address sentences (see cloneRecipient). */
const GMAIL_SENTENCE = /^(?:Your message wasn't delivered to|There was a temporary problem delivering your(?:[ \t]*=?\n)?[ \t]*message to) /m;

/** Lotus Notes' heading of its failed addresses (Sisimai's Lhost/Notes.pm). */
const NOTES_REASONS = /^-{7} Failure Reasons /m;

/** The clone-recipient mutation (see MUTATIONS). */
export function cloneRecipient(ctx, given = null) {
  if (SHARED_REPLY_FRAME.test(ctx.text)) return null;
  const root = parseEntity(ctx.text);
  // the address copied: the given one (a recipient of the answer), else the DSN's first one
  let src = given;
  let srcOrig = null;
  for (const e of reportLeaves(root)) {
    if (!isStatusLeaf(e) || (src && !given)) continue;
    if (given) {
      // the Original-Recipient of the given one's block
      const t = leafText(e) ?? '';
      const block = t.split(/\n[ \t]*\n/).find((b) => b.toLowerCase().includes(given));
      const or = block && /^original-recipient[ \t]*:[ \t]*(?:[a-z0-9-]+[ \t]*;)?[ \t]*<?([A-Za-z0-9._%+=-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?[ \t]*$/im.exec(block);
      if (or && or[1].toLowerCase() !== given) srcOrig = or[1].toLowerCase();
      continue;
    }
    const t = leafText(e);
    // (a plain address only: a mangled one is no recipient to copy)
    const fr = t && /^final-recipient[ \t]*:[ \t]*(?:[a-z0-9-]+[ \t]*;)?[ \t]*<?([A-Za-z0-9._%+=-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?[ \t]*$/im.exec(t);
    if (fr) src = fr[1].toLowerCase();
    const or = t && /^original-recipient[ \t]*:[ \t]*(?:[a-z0-9-]+[ \t]*;)?[ \t]*<?([A-Za-z0-9._%+=-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?[ \t]*$/im.exec(t);
    if (or && or[1].toLowerCase() !== src) srcOrig = or[1].toLowerCase();
  }
  if (!src) return null;
  const at = src.lastIndexOf('@');
  const clone = `clone${b36(hash32(ctx.seed + ':clone'), 5)}${src.slice(at)}`;
  const cloneOrig = srcOrig ? `clone${b36(hash32(ctx.seed + ':clone-orig'), 5)}${srcOrig.slice(srcOrig.lastIndexOf('@'))}` : null;
  const esc = (a) => a.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const swap = (t) => {
    let x = t.replace(new RegExp(`(?<![A-Za-z0-9._%+=-])${esc(src)}(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`, 'gi'), clone);
    if (srcOrig) x = x.replace(new RegExp(`(?<![A-Za-z0-9._%+=-])${esc(srcOrig)}(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`, 'gi'), cloneOrig);
    return x;
  };
  let done = false;
  // the DSN: a copy of the block after it (a report without a DSN part: the text alone)
  const dsn = mapDsn(root, (segs, blocks) => {
    if (done) return null;
    const b = blocks.find((x) => isRecipientBlock(x.fields) && x.seg.lines.some((l) => l.toLowerCase().includes(src)));
    if (!b) return null;
    done = true;
    const i = segs.indexOf(b.seg);
    return [...segs.slice(0, i + 1), '', { lines: b.seg.lines.map(swap) }, ...segs.slice(i + 1)];
  });
  if (!dsn && !given) return null;
  // a DSN part naming the address that this copier cannot edit (CRs inside a base64 part, prose
  // among its fields): a clone in the text alone would be a report its own DSN contradicts
  if (!dsn && reportLeaves(root).some((e) => isStatusLeaf(e) && (leafText(e) ?? '').toLowerCase().includes(src))) return null;
  // Gmail's current notice is a sentence about one address ("Your message wasn't delivered to
  // <address> because ...", "There was a temporary problem delivering your message to
  // <address>."; every such notice in the public dev corpus names one, as the classic "Delivery
  // to the following recipient" of Sisimai's Lhost/Gmail.pm did): the sentence said twice is no
  // Gmail notice, and without a DSN part there is nothing else to copy
  if (!dsn && GMAIL_SENTENCE.test(ctx.text)) return null;
  // nor one whose DSN names its recipients otherwise (Domino's Final-Recipient is the address
  // after its own routing): its text would name one more failed address than its DSN has blocks
  if (!dsn && reportLeaves(root).some((e) => isStatusLeaf(e) && /^(?:final|original)-recipient[ \t]*:/im.test(leafText(e) ?? ''))) return null;
  // a human-readable part this copier cannot write faithfully (HTML, flowed text) that names the
  // address: the report would name the new address in its DSN only
  if (reportLeaves(root).some((e) => (e.type === 'text/html' || /flowed/i.test(e.params.format ?? '')) && (leafText(e) ?? '').toLowerCase().includes(src))) return null;
  // nor a text part that is a JSON document (an Amazon SNS notification mailed as it is): a line
  // copied into it would make it no JSON at all, not a report on one more recipient
  if (reportLeaves(root).some((e) => e.type === 'text/plain' && /^\s*\{/.test(leafText(e) ?? '') && (leafText(e) ?? '').toLowerCase().includes(src))) return null;
  let inText = false;
  // the human-readable part: each line naming the address (with the more indented lines after
  // it) copied for the clone
  for (const e of reportLeaves(root)) {
    if (e.type !== 'text/plain') continue;
    const t = leafText(e);
    if (t === null || !t.toLowerCase().includes(src)) continue;
    const lines = t.split('\n');
    const out = [];
    let copy = false; // past the line that starts a pasted copy of the returned message
    // (a line that is only such a marker, decoration aside, as MTAs write it)
    // (decorated, or saying that it follows: "returned message." alone is the end of a sentence;
    // smail's "|---- Message text follows: ----|" comes right after its failed addresses)
    const startsCopy = (l) => /^[\s>|*=_-]*(?:.{0,20}copy of (?:the|your) (?:original )?message.{0,40}|(?:the )?header of the original message is following\.?|(?:original|returned|undelivered) message(?: headers?)? (?:follows|is attached|below)|original message headers?|message headers? follows?|message text follows)[\s:.*=_|-]*$/i.test(l) || /^[\s>|*=_]*-{2,}[\s]*(?:original|returned|undelivered) message[\s-]*$/i.test(l);
    // DSN fields pasted into the text (Amazon WorkMail): the whole block of fields is copied,
    // from the blank line before it (its Action may come before its Final-Recipient)
    const fieldLine = (l) => /^[ \t]*[A-Za-z][A-Za-z0-9-]*[ \t]*:/.test(l);
    for (let i = 0; i < lines.length; i++) {
      if (!copy && /^[ \t]*(?:final|original)-recipient[ \t]*:/i.test(lines[i]) && lines[i].toLowerCase().includes(src)) {
        let a = i;
        while (a > 0 && lines[a - 1].trim() && fieldLine(lines[a - 1]) && !/^[ \t]*(?:final|original)-recipient[ \t]*:/i.test(lines[a - 1]) && !/^[ \t]*reporting-mta[ \t]*:/i.test(lines[a - 1])) a--;
        // its end: a blank line, the next block's Final-Recipient or Reporting-MTA, or a second
        // Action (the next block's, when it comes before its Final-Recipient); an Action after
        // the address is the block's own (RFC 3464 §2.3: its fields come in any order)
        let z = i + 1;
        let hasAction = lines.slice(a, i).some((l) => /^[ \t]*action[ \t]*:/i.test(l));
        const ends = (l) => fieldLine(l) && !l.toLowerCase().includes(src) && (/^[ \t]*(?:final-recipient|reporting-mta)[ \t]*:/i.test(l) || (hasAction && /^[ \t]*action[ \t]*:/i.test(l)));
        while (z < lines.length && lines[z].trim() && !ends(lines[z])) {
          hasAction ||= /^[ \t]*action[ \t]*:/i.test(lines[z]);
          z++;
        }
        const before = i - a; // the block's lines already in `out`
        for (let k = i; k < z; k++) out.push(lines[k]);
        out.push('', ...lines.slice(a, z).map(swap));
        void before;
        i = z - 1;
        continue;
      }
      out.push(lines[i]);
      copy ||= startsCopy(lines[i]);
      if (copy || !lines[i].toLowerCase().includes(src)) continue;
      // its block: the lines after it up to a blank line or a line naming another address
      // (Exim's indented reasons, qmail's reason paragraph, Postfix's continuation lines), or,
      // in a session transcript (Sendmail), the "<<< " reply lines after its ">>> " command
      const cmd = /^[ \t]*>>> /.test(lines[i]);
      // (a new entry: a line that starts with an address, after indentation or list marks)
      const other = (l) => /^[\s>*<"'(\[-]*[A-Za-z0-9._%+=-]+@[A-Za-z0-9-]+\.[A-Za-z]/.test(l) && !l.toLowerCase().includes(src) && !(srcOrig && l.toLowerCase().includes(srcOrig));
      let j = i + 1;
      while (j < lines.length && lines[j].trim() && !startsCopy(lines[j]) && (cmd ? /^[ \t]*<<< /.test(lines[j]) : !other(lines[j]) && !/^[ \t]*>>> /.test(lines[j]))) j++;
      let s = i; // the entry's first line
      let sep = []; // lines between the entry and its copy
      // (Exim names an address made by a router under the entry it failed as: "pipe to |...",
      // then an indented "generated by <address>"; the entry, not its second line, is copied)
      const indent = (l) => /^[ \t]*/.exec(l)[0].length;
      if (/^[ \t]+generated by /i.test(lines[i]) && i > 0 && lines[i - 1].trim() && indent(lines[i - 1]) < indent(lines[i])) s = i - 1;
      // (Lotus Notes writes each failure reason on the line above its address, Sisimai's
      // Lhost/Notes.pm: "User not listed in public Name & Address Book" then the address)
      if (NOTES_REASONS.test(t) && i > 0 && lines[i - 1].trim() && !lines[i - 1].includes('@') && !lines[i - 1].startsWith('-')) {
        s = i - 1;
        j = i + 1;
      }
      // (Domino writes a section per failed address, Sisimai's Lhost/Domino.pm: "was not
      // delivered to:", the address, "because:", the reason, each after a blank line)
      let p = i - 1;
      while (p > 0 && p > i - 3 && !lines[p].trim()) p--;
      if (p >= 0 && /^was not delivered to:$/.test(lines[p].trim())) {
        s = p;
        let k = i + 1;
        while (k < lines.length && k < i + 3 && !lines[k].trim()) k++;
        if (k < lines.length && lines[k].trim() === 'because:') {
          const lim = ++k + 3;
          while (k < lines.length && k < lim && !lines[k].trim()) k++;
          while (k < lines.length && lines[k].trim()) k++;
          j = k;
          sep = [''];
        }
      }
      for (let k = i + 1; k < j; k++) out.push(lines[k]);
      out.push(...sep);
      for (let k = s; k < j; k++) out.push(swap(lines[k]));
      i = j - 1;
    }
    if (out.length !== lines.length && setLeafText(e, out.join('\n'))) inText = true;
  }
  if (given && !dsn && !inText) return null;
  // X-Failed-Recipients (Exim) lists every failed address
  for (const f of root.fields) if (/^x-failed-recipients$/i.test(fieldName(f)) && f.raw.toLowerCase().includes(src)) f.raw += `,\n  ${clone}`;
  return { text: writeEntity(root), clones: [[clone, src]] };
}

/** The addresses a recipient block names (Final-Recipient and Original-Recipient), lower case. */
function recipientsOfBlock(fields) {
  const out = [];
  for (const f of fields) {
    if (!/^(?:final|original)-recipient[ \t]*:/i.test(f)) continue;
    const v = f.slice(f.indexOf(':') + 1).replace(/\n/g, '').trim().replace(/^[A-Za-z0-9-]+[ \t]*;[ \t]*/, '');
    const m = /<?([^<>\s]+@[^<>\s]+?)>?$/.exec(v.trim());
    out.push((m ? m[1] : v).toLowerCase());
  }
  return out;
}

/** Re-folds the DSN fields (unfold, then fold at `width`); false when there is none. */
function dsnRefold(root, width, indent) {
  return mapDsn(root, (segs, blocks) => {
    let any = false;
    for (const b of blocks) {
      const lines = [];
      for (const f of b.fields) {
        const [name, v] = splitRaw(f);
        const value = v.replace(/\n(?=[ \t])/g, '');
        const nf = fold(name, value.replace(/^(?=[^ \t])/, ' '), width, indent);
        if (nf !== f) any = true;
        lines.push(...nf.split('\n'));
      }
      b.seg.lines = lines;
    }
    return any ? segs : null;
  });
}

/**
 * Applies one mutation to raw bytes. Returns null when it does not apply, else the mutated bytes
 * and how to map the original answer.
 */
export function mutate(raw, mutation, seed, protectedWords) {
  const ctx = { text: toLf(raw), eol: lineEndOf(raw), seed: String(seed), protectedWords };
  const res = mutation.apply(ctx);
  if (!res) return null;
  const out = fromLf(res.text, res.eol ?? ctx.eol);
  if (out.equals(raw)) return null;
  return { raw: out, mapRecipient: res.mapRecipient ?? ((x) => x), mapMessageId: res.mapMessageId ?? ((x) => x), optional: res.optional ?? new Set(), duplicates: !!res.duplicates, clones: res.clones ?? [] };
}

/**
 * Several mutations one after the other (a message that differs in several details at once):
 * the renamings compose. Null when none of them applied.
 */
export function mutateChain(raw, mutations, seed, protectedWords) {
  let text = toLf(raw);
  let eol = lineEndOf(raw);
  let mapRecipient = (x) => x;
  let mapMessageId = (x) => x;
  let optional = new Set();
  let clones = [];
  let duplicates = false;
  let applied = 0;
  mutations.forEach((mu, i) => {
    const res = mu.apply({ text, eol, seed: `${seed}:${i}`, protectedWords });
    if (!res) return;
    applied++;
    text = res.text;
    eol = res.eol ?? eol;
    const r0 = mapRecipient;
    const m0 = mapMessageId;
    if (res.mapRecipient) mapRecipient = (x) => res.mapRecipient(r0(x));
    // (undefined: the mutation lost the Message-ID's source, nothing is asserted of it)
    if (res.mapMessageId) mapMessageId = (x) => (m0(x) === undefined ? undefined : res.mapMessageId(m0(x)));
    if (res.mapRecipient) optional = new Set([...optional].map(res.mapRecipient));
    for (const o of res.optional ?? []) optional.add(o);
    clones = clones.map(([c, src]) => [res.mapRecipient ? res.mapRecipient(c) : c, src]).concat(res.clones ?? []);
    duplicates ||= !!res.duplicates;
  });
  if (!applied) return null;
  const out = fromLf(text, eol);
  if (out.equals(raw)) return null;
  // optional and cloned addresses are kept in the final names (mapped through the later steps)
  return { raw: out, mapRecipient, mapMessageId, optional, duplicates, clones, optionalMapped: true };
}

// =============================================================================================
// comparing answers

/** The fields of a record that make the answer (and the link to the sent message). */
export const ANSWER_FIELDS = ['kind', 'action', 'status', 'reason', 'hardbounce', 'type', 'originalMessageId'];

/**
 * Differences between the answer on the original (mapped through the mutation's renaming) and
 * the answer on the mutated message: lost and gained recipients, changed fields. `records` are
 * `bounced classify` records ({recipient, kind, status, reason, ...}).
 */
export function compareAnswers(orig, mutated, m) {
  const key = (r) => r.recipient ?? '(none)';
  const byRcpt = (rs, map) => {
    const out = new Map();
    for (const r of rs) {
      const k = r.recipient ? map(r.recipient) : '(none)';
      const list = out.get(k);
      if (list) list.push(r);
      else out.set(k, [r]);
    }
    return out;
  };
  const a = byRcpt(orig, (x) => m.mapRecipient(x));
  // a cloned recipient is expected to get the answer of the one it copies
  for (const [clone, src] of m.clones ?? []) {
    const from = a.get(m.mapRecipient(src));
    if (from) a.set(clone, from.map((r) => ({ ...r, recipient: clone, cloneOf: r.recipient })));
  }
  const b = byRcpt(mutated, (x) => x);
  const diffs = [];
  const optional = new Set([...m.optional].map((x) => (m.optionalMapped ? x : m.mapRecipient(x))));
  for (const [k, ra] of a) {
    const rb = b.get(k);
    // a recipient whose block was dropped: what is said of it elsewhere is not asserted
    if (optional.has(k)) continue;
    if (!rb) {
      if (!optional.has(k)) diffs.push({ type: k === '(none)' ? 'now-has-recipients' : 'recipient-lost', recipient: k, origRecipient: ra[0].recipient, was: summary(ra[0], m), now: null });
      continue;
    }
    const x = ra[0];
    const y = rb[0];
    const fields = [];
    for (const f of ANSWER_FIELDS) {
      let vx = x[f] ?? null;
      const vy = y[f] ?? null;
      if (f === 'originalMessageId' && vx) {
        vx = m.mapMessageId(vx);
        if (vx === undefined) continue;
      }
      if (vx !== vy) fields.push(f);
    }
    if (x.error || y.error) if ((x.error ?? null) !== (y.error ?? null)) fields.push('error');
    if (fields.length) diffs.push({ type: 'changed', recipient: k, origRecipient: x.recipient, fields, was: summary(x, m), now: summary(y) });
    if (!m.duplicates && ra.length !== rb.length) diffs.push({ type: 'record-count', recipient: k, was: ra.length, now: rb.length });
  }
  for (const [k, rb] of b) {
    if (a.has(k)) continue;
    // every recipient of the original was dropped: a report that names nobody is right
    if (k === '(none)' && [...a.keys()].every((x) => optional.has(x))) continue;
    diffs.push({ type: k === '(none)' ? 'recipients-lost-all' : 'recipient-gained', recipient: k, was: null, now: summary(rb[0]) });
  }
  void key;
  return diffs;
}

function summary(r, m) {
  const o = {};
  for (const f of ANSWER_FIELDS) o[f] = f === 'originalMessageId' && m && r[f] ? m.mapMessageId(r[f]) : r[f] ?? null;
  o.detector = r.detector ?? null;
  o.rule = r.rule ?? null;
  if (r.error) o.error = r.error;
  return o;
}

/**
 * Runs every mutation over every source: returns the pairs and their differences. `classify`
 * maps (name, bytes) to records. `pick(source, mutation)` may skip pairs (sampling).
 */
export function runMetamorphic({ sources, classify, mutations = MUTATIONS, protectedWords, pick = () => true, seed = 'm1', combos = 0, comboSize = 3 }) {
  const results = [];
  let pairs = 0;
  const pool = mutations.filter((m) => !m.informational);
  for (const src of sources) {
    const raw = readFileSync(src.file);
    const base = classify(src.name, raw);
    const runs = mutations.filter((mu) => pick(src, mu)).map((mu) => ({ id: mu.id, group: mu.group, informational: !!mu.informational, make: (s) => mutate(raw, mu, s, protectedWords) }));
    // chains: `comboSize` different mutations drawn (seeded by the file's name) from the pool
    const draw = rng(hash32(`${seed}:combo:${src.name}`));
    for (let c = 0; c < combos && pool.length >= comboSize; c++) {
      const chosen = [];
      while (chosen.length < comboSize) {
        const mu = pool[Math.floor(draw() * pool.length)];
        if (!chosen.includes(mu) && !chosen.some((x) => x.group === mu.group)) chosen.push(mu);
      }
      runs.push({ id: `combo(${chosen.map((x) => x.id).join('+')})`, group: 'combo', informational: false, make: (s) => mutateChain(raw, chosen, s, protectedWords) });
    }
    for (const run of runs) {
      let m;
      try {
        m = run.make(`${seed}:${src.name}`);
      } catch (err) {
        results.push({ source: src, mutation: run.id, group: run.group, harnessError: String(err?.stack ?? err) });
        continue;
      }
      if (!m) continue;
      pairs++;
      const got = classify(src.name, m.raw);
      const diffs = compareAnswers(base, got, m);
      if (diffs.length) results.push({ source: src, mutation: run.id, group: run.group, informational: run.informational, diffs, mutated: m.raw });
    }
  }
  return { pairs, results };
}

// =============================================================================================
// another reply in the same frame
//
// Unseen bounces of a known family carry other replies from other servers. A reply-swap puts a
// documented reply (fixtures/generated/cases.mjs: the reply, where it is documented and what it
// means) where the family's report carries the remote server's reply: in the DSN's
// Diagnostic-Code, in the human-readable text, in a session transcript. The expected answer for
// the recipients that reply concerned is the documented meaning (reason, hard or not); every
// other recipient keeps its answer. Replies with an enhanced code go into frames whose reply was
// of the same class (a permanent one into a failure, a transient one into a delay notice or an
// expiry), and only those whose meaning does not depend on the SMTP phase (an unknown user with
// a 5.1.x code; any other reason): the frame's own phase stays. A reply of several lines is
// written as the frame writes one: joined in a DSN field, one line each (with the frame's
// prefix and indentation) in the text, every other time.

const REPLY_START = /(?:^|[\s:;(\[<'"=])([45]\d\d)[ -]/;

/** Replies of `cases` usable for swapping (see above), each with its filled-in text. */
export function swapPool(cases) {
  return cases
    .filter((c) => /^[45]\d\d[ -]/.test(c.lines[0]) && !c.expect.pseudo && (c.phase === 'rcpt' || c.phase === 'data') && (c.expect.reason !== 'userunknown' || c.expect.status.startsWith('5.1.')))
    .map((c) => ({ id: c.id, family: c.family, phase: c.phase, lines: c.lines, expect: c.expect }));
}

const wsNorm = (s) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/** 'mail', 'rcpt', 'data' when the text names the SMTP command just before the reply; else null. */
function framePhase(text, reply) {
  const flat = text.replace(/\s+/g, ' ');
  const firstWords = reply.split(/\s+/).slice(0, 3).join(' ');
  // the command named last before each place the reply is written (a transcript's ">>> MAIL
  // From:" before "<<< 552 ..."); a MAIL FROM anywhere wins
  let phase = null;
  for (let at = flat.indexOf(firstWords), n = 0; at >= 0 && n < 10; at = flat.indexOf(firstWords, at + 1), n++) {
    const before = flat.slice(Math.max(0, at - 300), at).toLowerCase();
    const cmds = [...before.matchAll(/\b(mail from|rcpt to|end of data|data command|after data|>>> data|>>> mail|>>> rcpt)\b/g)];
    if (!cmds.length) continue;
    const c = cmds[cmds.length - 1][1];
    const p = c.includes('mail') ? 'mail' : c.includes('rcpt') ? 'rcpt' : 'data';
    if (p === 'mail') return p;
    phase ??= p;
  }
  return phase;
}

/** The permanent remote reply in a failed record's diagnostic, or null. */
export function remoteReplyOf(rec) {
  const diag = rec.diagnosticCode ?? '';
  const m = REPLY_START.exec(diag);
  if (!m || (rec.action !== 'failed' && rec.action !== 'delayed') || (m[1][0] === '5' && rec.action !== 'failed')) return null;
  const start = m.index + m[0].length - m[1].length - 1;
  let old = diag.slice(start).trim();
  // a reply the text puts in parentheses ("a@b (550 5.1.1 unknown user), ..."): its closing
  // parenthesis and the punctuation after it are the frame's
  if (/\(\s*$/.test(diag.slice(0, start))) old = old.replace(/\)[.,;:]?$/, '');
  // a rule of dashes ends the reply: the notice's next section ("-------SMTP command")
  old = old.replace(/\s-{5,}[\s\S]*$/, '');
  // Sendmail's own line for the address ("554 <a@b>... 550 Host unknown"): the remote reply is
  // after the "... "; without one there, the line is the MTA's own text
  const own = /^[45]\d\d[ -]\S*\.\.\.\s+/.exec(old);
  if (own) {
    old = old.slice(own[0].length);
    if (!/^[45]\d\d[ -]/.test(old)) return null;
  }
  return old.split(/\s+/).length >= 3 ? old : null;
}

/**
 * The message with the remote reply of record `rec` replaced by the pool entry `entry` wherever
 * it is written; null when the frame carries no remote reply for it, or when the old reply
 * would survive somewhere (a form the swap does not know: the message would contradict itself).
 */
export function replySwap(raw, rec, entry, { multiLine = false } = {}) {
  const old = remoteReplyOf(rec);
  if (!old || old[0] !== entry.lines[0][0]) return null;
  const tokens = old.split(/\s+/).filter(Boolean);
  if (tokens.length < 3) return null;
  const esc = (t) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const re = new RegExp(tokens.map(esc).join('\\s+'), 'gi');
  const fill = (l) => l.replace(/\{rcpt\}/g, rec.recipient).replace(/\{ip\}/g, '192.0.2.25').replace(/\{id\}/g, 'a1b2c3d4e5f6');
  const reply = entry.lines.map(fill).join(' ');
  const lines = entry.lines.map(fill);
  // the code the frame states for this reply: the reply's own, else (a reply without one) the
  // specific code the MTA derived from it
  const oldStatus = /^[45]\d\d[ -]#?([245]\.\d{1,3}\.\d{1,3})/.exec(old)?.[1] ?? (rec.status && !rec.status.endsWith('.0.0') && !rec.statusDerived ? rec.status : null);
  if (rec.recipient && old.toLowerCase().includes(rec.recipient) && !entry.lines.join(' ').includes('{rcpt}')) return null; // the frame names the address only inside the reply
  // the phase the frame names before the reply: a MAIL FROM refusal is the sender's (the frame
  // speaks for it); a reply of the other phase would make a report no server sends
  const phase = framePhase(toLf(raw), old);
  if (phase === 'mail' || (phase !== null && phase !== entry.phase)) return null;
  const root = parseEntity(toLf(raw));
  // the sending MTA's own classification of the failure (PowerMTA's bounce category) is part of
  // the frame's statement about this reply: a frame that carries one is not swapped
  for (const e of reportLeaves(root)) if (isStatusLeaf(e) && /^x-[a-z]+-bouncecategory[ \t]*:/im.test(leafText(e) ?? '')) return null;
  let hits = 0;
  mapLeafTexts(root, isTextual, (t, e) =>
    t.replace(re, (_, at, whole) => {
      hits++;
      if (!multiLine || lines.length < 2 || isStatusLeaf(e)) return reply;
      // the text writes each line of the reply: after the prefix the first line has (indent,
      // "<<< "), or indented by four (Postfix's continuation) when it starts mid-line
      const lineStart = whole.lastIndexOf('\n', at - 1) + 1;
      const lead = whole.slice(lineStart, at);
      const prefix = /^[ \t]*(?:<<<[ \t]*)?$/.test(lead) ? lead : '    ';
      return lines.join('\n' + prefix);
    }),
  );
  if (!hits) return null;
  // the DSN's Status of the blocks that carried the reply follows it (MTAs copy the reply's
  // enhanced code), unless it was the MTA's own (Exim's 5.0.0)
  if (oldStatus && rec.status === oldStatus) {
    mapDsn(root, (segs, blocks) => {
      let any = false;
      for (const b of blocks) {
        if (!b.seg.lines.some((l) => l.includes(reply) || l.toLowerCase().includes(rec.recipient))) continue;
        b.seg.lines = b.seg.lines.map((l) => {
          const sm = /^(status[ \t]*:[ \t]*)([245]\.\d{1,3}\.\d{1,3})/i.exec(l);
          if (!sm || sm[2] !== oldStatus) return l;
          any = true;
          return sm[1] + entry.expect.status + l.slice(sm[0].length);
        });
      }
      return any ? segs : null;
    });
  }
  // nothing of the old reply may be left (its text past the code, as written)
  const probe = wsNorm(old.slice(old.search(/\s/) + 1)).slice(0, 40);
  const rest = [];
  for (const e of entities(root)) if (isTextual(e)) rest.push(wsNorm(leafText(e) ?? ''));
  if (probe.length >= 12 && rest.some((t) => t.includes(probe))) return null;
  // nor the old reply's specific code where the frame states it on its own (a Status field the
  // swap did not recognise, a JSON "status")
  if (oldStatus && !oldStatus.endsWith('.0.0') && oldStatus !== entry.expect.status) {
    const codeRe = new RegExp(`(?<![\\d.])${oldStatus.replace(/\./g, '\\.')}(?![\\d]|\\.\\d)`);
    if (rest.some((t) => codeRe.test(t))) return null;
  }
  return { raw: fromLf(writeEntity(root), lineEndOf(raw)), old, reply };
}

/**
 * Runs the reply swaps: for each source and each of its failed recipients with a remote reply,
 * `perRecipient` pool entries (seeded). Returns the pairs and the differences: a recipient whose
 * reply was swapped must get the entry's documented reason and hard/soft; the others keep theirs.
 */
/**
 * A neutral frame for a reply: a plain RFC 3464 report (Postfix's layout) of one recipient
 * refused with it at RCPT TO. What the classifier answers there is what the reply says by itself.
 */
export function neutralReport(reply, recipient = 'someone@example.net') {
  const st = /^[45]\d\d[ -]#?([245]\.\d{1,3}\.\d{1,3})/.exec(reply)?.[1] ?? `${reply[0]}.0.0`;
  return Buffer.from(
    [
      'From: MAILER-DAEMON@mta.example.org (Mail Delivery System)',
      'To: sender@example.org',
      'Subject: Undelivered Mail Returned to Sender',
      'Date: Mon, 2 Mar 2026 10:11:12 +0000',
      'Message-ID: <neutral.1@mta.example.org>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="n"',
      '',
      '--n',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `<${recipient}>: host mx.example.net[192.0.2.7] said: ${reply} (in reply to RCPT TO command)`,
      '',
      '--n',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mta.example.org',
      '',
      `Final-Recipient: rfc822; ${recipient}`,
      `Action: ${reply[0] === '5' ? 'failed' : 'delayed'}`,
      `Status: ${st}`,
      'Remote-MTA: dns; mx.example.net',
      `Diagnostic-Code: smtp; ${reply}`,
      '',
      '--n--',
      '',
    ].join('\r\n'),
  );
}

export function runReplySwaps({ sources, classify, pool, perRecipient = 4, seed = 'r1' }) {
  const results = [];
  let pairs = 0;
  let opaque = 0;
  const neutralCache = new Map();
  const probe = pool.find((e) => e.id === 'rfc-5.1.1-unknown') ?? null;
  const neutral = (reply, rcpt) => {
    const key = reply + '\0' + rcpt;
    if (!neutralCache.has(key)) neutralCache.set(key, classify('neutral.eml', neutralReport(reply, rcpt)).find((r) => r.recipient === rcpt) ?? null);
    return neutralCache.get(key);
  };
  for (const src of sources) {
    const raw = readFileSync(src.file);
    const base = classify(src.name, raw);
    const seen = new Set();
    const shared = SHARED_REPLY_FRAME.test(raw.toString('latin1')) && new Set(base.map((o) => o.recipient).filter(Boolean)).size > 1;
    for (const rec of base) {
      if (!rec.recipient || seen.has(rec.diagnosticCode)) continue;
      seen.add(rec.diagnosticCode);
      // a frame that reads more into the reply than the reply says (a phase, its own cause:
      // "sender was rejected", "my name was rejected", a local program) is not transparent: a
      // swapped reply would rightly be read through it
      const old = remoteReplyOf(rec);
      if (!old) continue;
      const n0 = neutral(old, rec.recipient);
      if (shared || !n0 || n0.reason !== rec.reason || n0.hardbounce !== rec.hardbounce) {
        opaque++;
        continue;
      }
      // nor is a frame whose phase changes what an addressing reply means: to MAIL FROM, "user
      // unknown" is the sender's (src/classifier/rules.ts decide). Probed with a plain 5.1.1.
      if (probe) {
        const ps = replySwap(raw, rec, probe, { multiLine: false });
        const pg = ps && classify(src.name, ps.raw).find((g) => g.recipient === rec.recipient);
        const pn = ps && neutral(ps.reply, rec.recipient);
        if (ps && (!pg || !pn || pg.reason !== pn.reason || pg.hardbounce !== pn.hardbounce)) {
          opaque++;
          continue;
        }
      }
      const draw = rng(hash32(`${seed}:${src.name}:${rec.recipient}`));
      const picks = new Set();
      while (picks.size < Math.min(perRecipient, pool.length)) picks.add(pool[Math.floor(draw() * pool.length)]);
      let k = 0;
      for (const entry of picks) {
        const sw = replySwap(raw, rec, entry, { multiLine: k++ % 2 === 1 });
        if (!sw) continue;
        pairs++;
        const got = classify(src.name, sw.raw);
        const diffs = [];
        const byR = new Map(got.map((g) => [g.recipient, g]));
        for (const o of base) {
          if (!o.recipient) continue;
          const g = byR.get(o.recipient);
          const swapped = o.diagnosticCode === rec.diagnosticCode || (o.diagnosticCode ?? '').toLowerCase().includes(sw.old.toLowerCase());
          if (!g) {
            diffs.push({ type: 'recipient-lost', recipient: o.recipient, swapped });
            continue;
          }
          if (swapped) {
            const want = { reason: entry.expect.reason, hardbounce: !!entry.expect.hard };
            if (g.reason !== want.reason || g.hardbounce !== want.hardbounce) diffs.push({ type: 'swapped', recipient: o.recipient, want, got: { reason: g.reason, hardbounce: g.hardbounce, status: g.status, rule: g.rule, detector: g.detector, diagnosticCode: g.diagnosticCode } });
          } else {
            const fields = ANSWER_FIELDS.filter((f) => (o[f] ?? null) !== (g[f] ?? null));
            if (fields.length) diffs.push({ type: 'other-changed', recipient: o.recipient, fields });
          }
        }
        for (const g of got) if (g.recipient && !base.some((o) => o.recipient === g.recipient)) diffs.push({ type: 'recipient-gained', recipient: g.recipient });
        // the reply by itself (neutral frame) against its documented meaning: a difference there
        // is a rule's, not the frame's
        const n1 = neutral(sw.reply, rec.recipient);
        const ruleGap = !n1 || n1.reason !== entry.expect.reason || n1.hardbounce !== !!entry.expect.hard;
        if (diffs.length) results.push({ source: src, entry: entry.id, family: entry.family, detector: rec.detector, diffs, ruleGap, mutated: sw.raw, old: sw.old, reply: sw.reply });
      }
    }
  }
  return { pairs, opaque, results };
}

/**
 * One more recipient that failed the same way, for each recipient of the answer (at most
 * `perMessage`): the lines naming it in the human-readable part (with the block below them),
 * its DSN block and X-Failed-Recipients copied for a new address at the same domain. The new
 * address must get the answer of the one it copies, the others keep theirs (issue #13, harm 4:
 * every failed recipient of a report, whatever the family).
 */
export function runClones({ sources, classify, perMessage = 2, seed = 'c1' }) {
  const results = [];
  let pairs = 0;
  for (const src of sources) {
    const raw = readFileSync(src.file);
    const base = classify(src.name, raw);
    // DragonFly Mail Agent writes one bounce per failed recipient (dma's bounce() is given one
    // queue item): a second recipient in its text is a shape dma never writes
    if (base.some((r) => r.detector === 'dragonfly')) continue;
    // a rejection sent as an MDN is about one recipient: RFC 8098 §3.1 gives the
    // disposition-notification one Final-Recipient field, and Dovecot's LDA/LMTP (its
    // mail_send_rejection, "Your message to <%t> was automatically rejected") writes one
    // message per rejected recipient; a second recipient in it is no shape either writes
    if (base.some((r) => r.detector === 'mdn-reject')) continue;
    // Postal's bounce is about one queued message of its message DB, which has one rcpt_to (the
    // route's address): app/models/bounce_message.rb writes one "Rcpt To:" per report
    if (base.some((r) => r.detector === 'postal')) continue;
    const failed = base.filter((r) => r.recipient && (r.kind === 'bounce' || r.kind === 'delay') && /^[a-z0-9._%+=-]+@[a-z0-9.-]+\.[a-z]{2,}$/.test(r.recipient));
    for (const rec of failed.slice(0, perMessage)) {
      const res = cloneRecipient({ text: toLf(raw), eol: lineEndOf(raw), seed: `${seed}:${src.name}:${rec.recipient}` }, rec.recipient);
      if (!res) continue;
      pairs++;
      const m = { raw: fromLf(res.text, lineEndOf(raw)), mapRecipient: (x) => x, mapMessageId: (x) => x, optional: new Set(), duplicates: false, clones: res.clones };
      const diffs = compareAnswers(base, classify(src.name, m.raw), m);
      if (diffs.length) results.push({ source: src, mutation: 'clone-text-recipient', group: 'recipients', diffs, mutated: m.raw });
    }
  }
  return { pairs, results };
}

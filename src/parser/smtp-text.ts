// Shared helpers for reading SMTP reply text and addresses out of NDR prose. Family detectors
// (Exim, qmail, Exchange, ...) reuse these so status/reply-code extraction behaves the same
// everywhere. All functions are pure and linear-time on their input.
import { unquoteDotString } from '../address.js';
import { compile, HELP_CONTEXT, NEW_ADDRESS_CONTEXT, SENDER_AFTER_CONTEXT, SENDER_CONTEXT } from './phrases.js';

/**
 * RFC 3463 enhanced status code: class.subject.detail, class 2/4/5, subject 0-999, detail 0-999.
 * Guarded on both sides so IP addresses (10.5.1.1), versions (5.1.1.2), dates and the local part
 * of an address (`rcpt-550-5.1.1@example.org`) do not match;
 * `#5.1.1` (Exchange), `(5.1.1)`, `[5.1.1]` and `<5.1.1>` are accepted.
 */
const STATUS_RE = /(?:^|[\s#([<:;,='"-])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)(?!\.?\d)(?!@)/g;

/** Enhanced status codes found in `text`, in order (deduplicated). */
function findStatusCodes(text: string): string[] {
  const out = new Set<string>();
  if (!text) return [];
  STATUS_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = STATUS_RE.exec(text))) out.add(`${m[1]}.${Number(m[2])}.${Number(m[3])}`);
  return [...out];
}

/**
 * The most telling enhanced status code in `text`: the first non-generic one (x.0.0 says
 * nothing) of class 4 or 5 when there is one, else the first. Returns null when there is none.
 */
export function findStatusCode(text: string | null | undefined): string | null {
  if (!text) return null;
  let all = findStatusCodes(text);
  if (!all.length) return null;
  // a 2.x.x in a failure text is an accepted step of the transcript ("250 2.1.5 Ok" to RCPT
  // before "451 4.3.0" to DATA), never the failure
  const failures = all.filter((c) => c[0] !== '2');
  if (failures.length) all = failures;
  return all.find((c) => !c.endsWith('.0.0')) ?? all[0];
}

/**
 * The status code that best describes a failure text: the one right after a reply code
 * (`550-'5.2.2 ...`, `550 5.1.1`), else the first specific one, else a generic x.0.0.
 */
export function findReplyStatus(text: string | null | undefined): string | null {
  if (!text) return null;
  const m = /(?:^|[^\d.])[45]\d\d[ -]['"#([]?([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)/.exec(text);
  if (m) {
    const code = `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
    if (!code.endsWith('.0.0')) return code;
  }
  return findStatusCode(text);
}

/**
 * Three-digit SMTP reply code (RFC 5321 §4.2) at the start of a reply line or after the usual
 * lead-ins (`said:`, `host ... said:`, `SMTP error from remote mail server after RCPT TO:...:`).
 * Only 4xx and 5xx are taken: a 2xx/3xx in a failure report is never the failure.
 */
const REPLY_RE = /(?:^|[\s:;([<'"=])([45][0-7]\d)(?![\d.])(?=[ -]|\s|$)/m;

export function findReplyCode(text: string | null | undefined): number | null {
  if (!text) return null;
  const m = REPLY_RE.exec(text);
  if (!m) return null;
  // a reply code that is really part of a status code (e.g. "550 5.1.1") is fine; one inside a
  // number like a port ("port 465 ") would be rare in failure text, accept the risk
  return Number(m[1]);
}

/**
 * Whether a failure text states a permanent failure by its reply code (5xx) or its enhanced
 * status (5.x.y): what keeps an entry of a delay notice from being a mere delay. Numbers in its
 * words are not codes: "#554" in a help link, "(554.30)", "[506]", the "5.0" of "4.5.0".
 */
export function statesPermanent(text: string | null | undefined): boolean {
  const code = findReplyCode(text);
  return (code !== null && code >= 500) || findStatusCode(text)?.[0] === '5';
}

/** Characters that end an address token in free text (white space aside). */
function isAddressStop(c: number): boolean {
  // < > " ' ( ) , ; :
  return c === 60 || c === 62 || c === 34 || c === 39 || c === 40 || c === 41 || c === 44 || c === 59 || c === 58 || isSpace(c);
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * The content of the first `<...>` that holds an '@' and no other '<' or '>' (the route-addr of
 * `"Name" <a@b>`); with `strict`, also no white space and something on both sides of an '@'
 * (`<a@b>` in prose). A scan: the regex /<([^<>]*@[^<>]*)>/ backtracks over every '@' of an
 * unclosed bracket, quadratic on `<a@a@a@...`.
 */
export function firstBracketedAddress(s: string, strict = false): string | null {
  let open = s.indexOf('<');
  while (open >= 0) {
    let i = open + 1;
    let at = -1; // the first '@' (strict: the first one after the first character)
    let space = false;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 60 || c === 62) break;
      if (c === 64 && at < 0 && (!strict || i > open + 1)) at = i;
      else if (isSpace(c)) space = true;
    }
    if (i >= s.length) return null;
    const ok = at >= 0 && (!strict || (!space && at < i - 1));
    if (s.charCodeAt(i) === 62 && ok) return s.slice(open + 1, i);
    open = s.charCodeAt(i) === 60 ? i : s.indexOf('<', i + 1);
  }
  return null;
}

/**
 * The first token (between white space and `<>"'(),;:`) with an '@' that has something on
 * both sides: the address in `a@b (Name)` or `User a@b`. A scan: the regex
 * /[^\s<>"'(),;:]+@[^\s<>"'(),;:]+/ retried every start of a long run without '@'.
 */
function firstAddressToken(s: string): string | null {
  let start = 0;
  while (start < s.length) {
    while (start < s.length && isAddressStop(s.charCodeAt(start))) start++;
    let end = start;
    let innerAt = -1; // the first '@' after the token's first character
    for (; end < s.length; end++) {
      const c = s.charCodeAt(end);
      if (isAddressStop(c)) break;
      if (c === 64 && end > start && innerAt < 0) innerAt = end;
    }
    if (innerAt >= 0 && innerAt < end - 1) return s.slice(start, end);
    start = end;
  }
  return null;
}

const LEADING_PUNCT = new Set([34, 39, 60, 91]); // " ' < [
const TRAILING_PUNCT = new Set([34, 39, 62, 93, 41, 46, 44, 59, 58]); // " ' > ] ) . , ; :

/** `s` without the leading and trailing characters in the two sets (no regex: `[...]+$` rescans). */
function stripEnds(s: string, leading: Set<number>, trailing: Set<number>): string {
  let a = 0;
  let b = s.length;
  while (a < b && leading.has(s.charCodeAt(a))) a++;
  while (b > a && trailing.has(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Lower-cased bare address from `rfc822; <Foo@Example.COM>`, `"x" <a@b>`, `a@b (comment)`.
 * Every step is a single pass (a stranger writes these fields): no regex here can backtrack
 * over a long run.
 */
export function normalizeAddress(v: string | null | undefined): string | null {
  if (!v) return null;
  let s = v.trim();
  // address type prefix (RFC 3464 §2.3.2: rfc822; utf-8 for RFC 6533)
  s = s.replace(/^[A-Za-z][\w/.-]{0,20}\s*;\s*/, '');
  if (s.includes('(')) s = s.replace(/\([^()]*\)/g, ' ').trim();
  const angle = firstBracketedAddress(s);
  if (angle !== null) s = angle;
  s = s.trim();
  // a quoted local part (RFC 5321 §4.1.2 Quoted-string: `"john smith"@example.org`) keeps its
  // quotes, which the next step would strip from one end only
  const quoted = quotedAddress(s);
  if (quoted !== null) return quoted.toLowerCase();
  s = stripEnds(s, LEADING_PUNCT, TRAILING_PUNCT).trim();
  // a quoted local part is kept as is; an address in RFC 6533 utf-8 form may be xtext-encoded
  if (s.includes('\\x{')) s = s.replace(/\\x\{([0-9A-Fa-f]{1,6})\}/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)));
  if (/\s/.test(s)) {
    const token = firstAddressToken(s);
    if (!token) return null;
    s = token;
  }
  // RFC 5321 source route `@relay1,@relay2:user@host`: the mailbox is after the colon
  if (s.charCodeAt(0) === 64) s = s.replace(/^@[^:]*:/, '');
  return s.toLowerCase() || null;
}

/**
 * `"local"@domain` at the start of `s` (after which only trailing punctuation may follow), or
 * null. One pass: a backslash escapes the next character (RFC 5321 quoted-pairSMTP); the
 * domain is one run of label characters, dots and an address literal's brackets.
 */
function quotedAddress(s: string): string | null {
  if (s.charCodeAt(0) !== 34) return null;
  let i = 1;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) break;
    else if (c === 10 || c === 13) return null;
  }
  if (i >= s.length || i === 1 || i > 66 || s.charCodeAt(i + 1) !== 64) return null;
  let e = i + 2;
  while (e < s.length && (isLabelChar(s.charCodeAt(e)) || s.charCodeAt(e) === 46 || s.charCodeAt(e) === 91 || s.charCodeAt(e) === 93 || s.charCodeAt(e) === 58)) e++;
  if (e === i + 2) return null;
  const rest = stripEnds(s.slice(e), new Set(), TRAILING_PUNCT).trim();
  if (rest !== '') return null;
  const address = stripEnds(s.slice(0, e), new Set(), new Set([46, 58])); // a sentence's final '.' or ':'
  // `"john.smith"@x` is john.smith@x: one spelling, as suppressions are keyed by it
  return unquoteDotString(address);
}

const LOCAL_CHARS = new Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+/=?^_`{|}~.-".split('').map((c) => c.charCodeAt(0)));

function isLocalChar(c: number): boolean {
  return c >= 0x80 || LOCAL_CHARS.has(c);
}

/** A domain label character: letters, digits, '-' and any non-ASCII (IDN) character. */
function isLabelChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c >= 0x80;
}

/** Characters trimmed off both ends of an address token: `.`, `'`, `-`. */
const TOKEN_PUNCT = new Set([46, 39, 45]);

/** One address-looking token of a text: the address (lower case) and where it was written. */
export interface AddressSpan {
  address: string;
  start: number;
  end: number;
}

/**
 * Every email-address-looking token of `text`, in order, duplicates included: a local part
 * (ASCII or UTF-8), '@', two or more dot-separated labels. A linear scan around each '@' (the
 * equivalent regex backtracks quadratically on a long run of local-part characters): the
 * backward scan stops at the previous '@' or token, the forward one at the next '@'.
 */
export function findAddressSpans(text: string): AddressSpan[] {
  const out: AddressSpan[] = [];
  let from = 0; // where the previous token ended: tokens never overlap
  for (let at = text.indexOf('@', from); at >= 0; at = text.indexOf('@', Math.max(from, at + 1))) {
    let b = at;
    while (b > from && isLocalChar(text.charCodeAt(b - 1))) b--;
    if (b === at) b = quotedLocalStart(text, at, from);
    if (b < 0 || b === at) continue;
    let e = at + 1;
    while (e < text.length && isLabelChar(text.charCodeAt(e))) e++;
    if (e === at + 1) continue;
    let dots = 0;
    while (e + 1 < text.length && text.charCodeAt(e) === 46 && isLabelChar(text.charCodeAt(e + 1))) {
      e += 2;
      while (e < text.length && isLabelChar(text.charCodeAt(e))) e++;
      dots++;
    }
    if (!dots) continue;
    from = e;
    let s = b;
    while (s < at && TOKEN_PUNCT.has(text.charCodeAt(s))) s++;
    if (s === at) continue;
    while (TOKEN_PUNCT.has(text.charCodeAt(e - 1))) e--;
    const token = text.slice(s, e).toLowerCase();
    out.push({ address: unquoteDotString(token), start: s, end: e });
  }
  return out;
}

/**
 * Where the quoted local part ending just before `at` starts (`"john smith"@example.org`,
 * RFC 5321 §4.1.2), or -1: the opening quote within 66 characters on the same line, after
 * `from`, not itself escaped, and not glued to a preceding local-part character (`x"y"@z` is
 * no address). A bounded backward scan: the whole search stays linear.
 */
function quotedLocalStart(text: string, at: number, from: number): number {
  if (at - 1 <= from || text.charCodeAt(at - 1) !== 34) return -1;
  const stop = Math.max(from, at - 67);
  for (let i = at - 2; i >= stop; i--) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return -1;
    if (c !== 34 || (i > 0 && text.charCodeAt(i - 1) === 92)) continue;
    if (i === at - 2) return -1; // "" is no local part
    if (i > from && isLocalChar(text.charCodeAt(i - 1))) return -1;
    return i;
  }
  return -1;
}


const HELP_WORDS = compile(HELP_CONTEXT);
const SENDER_WORDS = compile(SENDER_CONTEXT);
const NEW_ADDRESS_WORDS = compile(NEW_ADDRESS_CONTEXT);
const SENDER_AFTER_WORDS = compile(SENDER_AFTER_CONTEXT);
/** Characters before an address read for the words that give it a role. */
const ROLE_LEAD = 80;
/** Characters after an address read for the words that make it the sender. */
const ROLE_TAIL = 40;

/** A role other than the failed mailbox's that the words before an address give it. */
export type AddressRole = 'help' | 'sender' | 'new address';

/**
 * The role the words right before an address give it in a reply or a sentence, or null: the
 * sender ("not accepting mail from a@x", SENDER_CONTEXT; or the words right after it, "<a@x>:
 * Sender address rejected", SENDER_AFTER_CONTEXT), a moved recipient's new address
 * ("please try <b@y>", "has moved to b@y", NEW_ADDRESS_CONTEXT), or help when the last clause
 * before it (after its last , ; . ! ?) points there ("mailbox full, contact b@x", "please write
 * to b@x", HELP_CONTEXT). The words read are those since the previous address (`from`), at most
 * ROLE_LEAD characters: a bounded look-back per address, linear over a text.
 */
export function roleBefore(text: string, span: AddressSpan, from = 0): AddressRole | null {
  if (saysSenderAfter(text, span)) return 'sender';
  const lead = text.slice(Math.max(from, span.start - ROLE_LEAD), span.start);
  if (!lead.trim()) return null;
  if (SENDER_WORDS.test(lead)) return 'sender';
  if (NEW_ADDRESS_WORDS.test(lead)) return 'new address';
  const clauses = lead.split(/[,;.!?](?:\s|$)/);
  return HELP_WORDS.test(clauses[clauses.length - 1]) ? 'help' : null;
}

/**
 * The words right after the address say it is the sender (SENDER_AFTER_CONTEXT): a reply to MAIL
 * FROM names the sender first and says so after it ("553 5.1.8 <news@x>... Domain of sender
 * address news@x does not exist", "<news@x>: Sender address rejected: ...").
 */
export function saysSenderAfter(text: string, span: AddressSpan): boolean {
  return SENDER_AFTER_WORDS.test(text.slice(span.end, span.end + ROLE_TAIL));
}

/**
 * Each address of a reply or a sentence with the roles it is named in: 'mailbox' when no words
 * give it another (see roleBefore). Lower-cased, in order of first mention. A reply that
 * answered for one mailbox names it and, around it, where to write instead or whom to ask
 * ("550 5.1.1 <a@x>: Recipient address rejected: Jane has left; please write to b@x").
 */
export function addressRoles(text: string): Map<string, Set<AddressRole | 'mailbox'>> {
  const out = new Map<string, Set<AddressRole | 'mailbox'>>();
  let from = 0;
  for (const sp of findAddressSpans(text)) {
    let roles = out.get(sp.address);
    if (!roles) out.set(sp.address, (roles = new Set()));
    roles.add(roleBefore(text, sp, from) ?? 'mailbox');
    from = sp.end;
  }
  return out;
}

/** The addresses a reply or a sentence names as mailboxes, at least once (see addressRoles). */
export function mailboxesNamed(text: string): string[] {
  const out: string[] = [];
  for (const [a, roles] of addressRoles(text)) if (roles.has('mailbox')) out.push(a);
  return out;
}

/** Email-address-looking tokens in `text`, lower-cased, deduplicated, in order (see findAddressSpans). */
export function findAddresses(text: string): string[] {
  const seen = new Set<string>();
  for (const sp of findAddressSpans(text)) seen.add(sp.address);
  return [...seen];
}

/**
 * The first `max` characters of a text a reader looks through, cut at the last line break
 * before the limit (else before the last white space or list separator, `,` `;` `<` `>`): a cut
 * inside a word would leave it half, and an address cut there ("u920@example.j") is one that
 * never failed (issue #13, harm 1). One scan back from the limit at most.
 */
export function textHead(text: string, max: number): string {
  if (text.length <= max) return text;
  const nl = text.lastIndexOf('\n', max);
  if (nl > 0) return text.slice(0, nl);
  for (let i = max; i > 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13 || c === 44 || c === 59 || c === 60 || c === 62) return text.slice(0, i);
  }
  return '';
}

/** White space that oneLine changes: a run of two, or one that is not a plain space. */
const UNCOLLAPSED_SPACE = /\s\s|[^\S ]/;

/** Collapses white space (line folds included) to single spaces. */
export function oneLine(s: string): string {
  // most values are one line with single spaces already: rebuild only the others
  return (UNCOLLAPSED_SPACE.test(s) ? s.replace(/\s+/g, ' ') : s).trim();
}

/** The SMTP command a failure answered, from prose like "after RCPT TO", "in reply to DATA". */
export function findCommand(text: string | null | undefined): string | null {
  if (!text) return null;
  const m =
    /\b(?:after|in reply to(?: the)?|reply to|response to|during|at|most progress was)\s+(?:end of\s+)?(RCPT(?:[ _]TO)?|MAIL(?:[ _]FROM)?|DATA|HELO|EHLO|STARTTLS|AUTH|CONNECT|end of data|initial connection|greeting)\b/i.exec(text) ??
    /\[(RCPT_TO|MAIL_FROM|DATA)\]/.exec(text) ??
    /^[ \t]*>>> (RCPT|MAIL|DATA|HELO|EHLO)\b/im.exec(text) ??
    // hMailServer quotes the last command it sent above the reply (SMTPClientConnection.cpp:
    // "hMailServer sent: RCPT TO:<a@b>", "Remote server replied: 550 ..."); the command as sent, upper case
    /\b[Ss]ent: (RCPT TO|MAIL FROM|DATA|HELO|EHLO|STARTTLS|AUTH)\b/.exec(text);
  // Postfix smtp(8) words a refused greeting "host <h> refused to talk to me: <reply>"
  if (!m && /\brefused to talk to me\b/i.test(text)) return 'CONNECT';
  if (!m) return null;
  return commandName(m[1]);
}

function commandName(v: string): string {
  const c = v.toUpperCase();
  if (c.startsWith('RCPT')) return 'RCPT';
  if (c.startsWith('MAIL')) return 'MAIL';
  if (c === 'END OF DATA') return 'DATA';
  if (c === 'INITIAL CONNECTION' || c === 'GREETING') return 'CONNECT';
  return c;
}

/**
 * The last command of a Sendmail-style session transcript (`>>> RCPT To:<...>` then
 * `<<< 550 ...`) in `text`, the one the failure answered. Courier indents its transcript by a
 * space (` >>> RCPT TO:<...>`, module.esmtp): the lines may start with blanks.
 */
export function findTranscriptCommand(text: string | null | undefined): string | null {
  if (!text) return null;
  const re = /^[ \t]*>>>\s*(RCPT|MAIL|DATA|HELO|EHLO)\b/gim;
  let last: string | null = null;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) last = m[1];
  return last ? commandName(last) : null;
}

/**
 * The recipients a session transcript shows refused at RCPT: a `>>> RCPT TO:<a>` line (the
 * command sent, any ESMTP parameters after it) whose next line is the server's `<<< 4xx` or
 * `<<< 5xx` (Sendmail's and Courier's transcripts; Courier indents both by a space). One pass
 * over the text, each attempt anchored at a line start and bounded by that line and the next.
 */
export function transcriptRefusedRcpts(text: string | null | undefined): Set<string> {
  const out = new Set<string>();
  if (!text || !text.includes('>>>')) return out;
  const re = /^[ \t]*>>>[ \t]*RCPT TO:[ \t]*<([^<>\r\n]{1,320})>[^\r\n]*\r?\n[ \t]*<<<[ \t]*[45]\d\d(?![0-9])/gim;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const a = normalizeAddress(m[1]);
    if (a) out.add(a);
  }
  return out;
}

/**
 * Most characters of one line taken as the context of an address. A stranger's line can hold
 * thousands of addresses: each one's text is a window of the line, so the work (and the
 * diagnostic kept) per address stays bounded and the total stays linear.
 */
export const MAX_LINE_CONTEXT = 2000;

/**
 * A window of the line of `text` that holds offset `at`: the whole line when it is at most
 * MAX_LINE_CONTEXT long, else MAX_LINE_CONTEXT characters from a quarter of that before `at`.
 * Bounded scans both ways (lastIndexOf/indexOf of '\n' would cross a whole long line once per
 * address on it). `startsLine` / `endsLine` say whether the window reaches the line's ends.
 */
export function lineWindow(text: string, at: number): { start: number; end: number; startsLine: boolean; endsLine: boolean } {
  let s = at;
  const sMin = Math.max(0, at - MAX_LINE_CONTEXT);
  while (s > sMin && text.charCodeAt(s - 1) !== 10) s--;
  let e = at;
  const eMax = Math.min(text.length, at + MAX_LINE_CONTEXT);
  while (e < eMax && text.charCodeAt(e) !== 10) e++;
  let start = s;
  let end = e;
  if (end - start > MAX_LINE_CONTEXT) {
    // a quarter of the window before the address, the rest after it (the reason follows)
    start = Math.max(s, at - (MAX_LINE_CONTEXT >> 2));
    end = Math.min(e, start + MAX_LINE_CONTEXT);
  }
  return {
    start,
    end,
    startsLine: start === s && (s === 0 || text.charCodeAt(s - 1) === 10),
    endsLine: end === e && (e === text.length || text.charCodeAt(e) === 10),
  };
}

/** The blanks a line starts with (spaces and tabs, a tab counted as one). */
export function indentOf(line: string): number {
  let n = 0;
  while (n < line.length && (line.charCodeAt(n) === 32 || line.charCodeAt(n) === 9)) n++;
  return n;
}

/** At most MAX_LINE_CONTEXT characters of a line (its start). */
export function clipLine(line: string): string {
  return line.length > MAX_LINE_CONTEXT ? line.slice(0, MAX_LINE_CONTEXT) : line;
}

/** Plain substring searches an AddressIndex makes at most (see indexOf). */
const MAX_SUBSTRING_SEARCHES = 16;

/**
 * Where each address of a text is first written: one linear scan (findAddressSpans), then a
 * constant-time look-up per recipient. Searching the whole text once per recipient, as a
 * report with thousands of recipients invites, is quadratic.
 */
export class AddressIndex {
  private first: Map<string, number> | null = null;
  private lower: string | null = null;
  private searches = 0;

  constructor(readonly text: string) {}

  /** Offset of the first occurrence of `address` (lower case) in the text, or -1. */
  indexOf(address: string): number {
    if (!address || !this.text) return -1;
    if (!this.first) {
      this.first = new Map();
      for (const sp of findAddressSpans(this.text)) if (!this.first.has(sp.address)) this.first.set(sp.address, sp.start);
    }
    const at = this.first.get(address);
    if (at !== undefined) return at;
    // an address the token scan does not produce (a quoted local part, odd characters): a
    // plain search, for a bounded number of such addresses
    if (this.searches++ >= MAX_SUBSTRING_SEARCHES) return -1;
    this.lower ??= this.text.toLowerCase();
    return this.lower.length === this.text.length ? this.lower.indexOf(address) : -1;
  }
}

/** What a failure text says in codes (see findReplyStatus, findStatusCode, findReplyCode, findCommand). */
export interface FailureCodes {
  status: string | null;
  replyStatus: string | null;
  replyCode: number | null;
  command: string | null;
}

/**
 * A reader of FailureCodes that reads each distinct text once. Families that give one failure
 * text for a whole list of addresses (Domino, BIGLOBE, 1&1, James) would otherwise read that
 * text once per address: quadratic for a long list under a long text.
 */
export function codeReader(): (text: string | null | undefined) => FailureCodes {
  const seen = new Map<string, FailureCodes>();
  const none: FailureCodes = { status: null, replyStatus: null, replyCode: null, command: null };
  return (text) => {
    if (!text) return none;
    let c = seen.get(text);
    if (!c) {
      c = { status: findStatusCode(text), replyStatus: findReplyStatus(text), replyCode: findReplyCode(text), command: findCommand(text) };
      seen.set(text, c);
    }
    return c;
  };
}

/** Exchange's encapsulation prefix of a non-SMTP address: IMCEA + the address type + '-'. */
const IMCEA = /^imcea[a-z0-9]{1,12}-/i;

/** RFC 5322 §3.2.3 atext, plus '.' (dot-atom); non-ASCII is allowed separately (RFC 6531). */
const ATEXT = new Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~.".split('').map((c) => c.charCodeAt(0)));

/**
 * Why `address` (as normalizeAddress returns it) is not a mailbox a failure can be recorded
 * for, or null when it is one. Reports mangle addresses: an empty local part
 * (`@mx.example.org`, the host of a source route), a lost opening quote (`john doe"@x`), a
 * domain without a dot, stray brackets or commas. Those are refused, never recorded as they
 * are: a record for a wrong address suppresses somebody who did not fail.
 *
 *   local part   a dot-atom of RFC 5322 atext (dots anywhere: Japanese carriers issued
 *                `a..b@` and `a.@` addresses) or one quoted string (§3.2.4); UTF-8 allowed
 *                (RFC 6531)
 *   domain       two or more labels of letters, digits, '-' or UTF-8, no empty label, no
 *                label starting or ending with '-'; or an address literal `[...]` (RFC 5321
 *                §4.1.3)
 *   not          an IMCEA-encapsulated address (`IMCEAEX-_o=...-name@host`, `IMCEAX400-...`,
 *                `IMCEAINVALID-...`): Exchange wraps a non-SMTP address (a legacy Exchange DN,
 *                X.400, Notes) in this form to carry it over SMTP; it is an internal name,
 *                not a mailbox anyone mailed (Exchange NDRs put it in Final-Recipient, beside
 *                the Original-Recipient the sender used)
 */
export function mailboxProblem(address: string): string | null {
  const at = address.lastIndexOf('@');
  if (at < 0) return 'no @';
  if (at === 0) return 'empty local part';
  if (address.length > 320) return 'longer than 320 characters';
  // a byte its part's charset did not decode (Latin-1 in a part that says UTF-8): the address
  // as written is unknown, and this one exists nowhere
  if (address.includes('\ufffd')) return 'a byte that did not decode (U+FFFD)';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (IMCEA.test(local)) return 'an IMCEA-encapsulated non-SMTP address (Exchange)';
  if (local.charCodeAt(0) === 34) {
    // a quoted string: one pair of quotes, nothing after the closing one
    if (local.length < 3 || local.charCodeAt(local.length - 1) !== 34 || /(?<!\\)"/.test(local.slice(1, -1))) return 'broken quoted local part';
  } else {
    for (let i = 0; i < local.length; i++) {
      const c = local.charCodeAt(i);
      if (c < 0x80 && !ATEXT.has(c)) return c === 34 ? 'unbalanced quote in local part' : `character "${local[i]}" in local part`;
    }
    // three dots: the ellipsis of a text cut in the middle (Sendmail's "(reason: ...)" line:
    // "host 127.0....8@verify.example>"), not an address. Two stay: old Japanese carriers'
    // addresses ("taro..yamada@docomo.ne.jp") were accepted with them.
    if (local.includes('...')) return 'an ellipsis ("...") in local part: a cut text';
  }
  if (domain.charCodeAt(0) === 91) return /^\[[^[\]\s]+\]$/.test(domain) ? null : 'broken address literal';
  const labels = domain.split('.');
  if (labels.length < 2) return 'domain without a dot';
  for (const l of labels) {
    if (!l) return 'empty domain label';
    if (l.charCodeAt(0) === 45 || l.charCodeAt(l.length - 1) === 45) return 'domain label starting or ending with "-"';
    for (let i = 0; i < l.length; i++) {
      const c = l.charCodeAt(i);
      if (c < 0x80 && !((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95)) return `character "${l[i]}" in domain`;
    }
  }
  return null;
}

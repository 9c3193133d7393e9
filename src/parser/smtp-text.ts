// Shared helpers for reading SMTP reply text and addresses out of NDR prose. Family detectors
// (Exim, qmail, Exchange, ...) reuse these so status/reply-code extraction behaves the same
// everywhere. All functions are pure and linear-time on their input.

/**
 * RFC 3463 enhanced status code: class.subject.detail, class 2/4/5, subject 0-999, detail 0-999.
 * Guarded on both sides so IP addresses (10.5.1.1), versions (5.1.1.2) and dates do not match;
 * `#5.1.1` (Exchange), `(5.1.1)`, `[5.1.1]` and `<5.1.1>` are accepted.
 */
const STATUS_RE = /(?:^|[\s#(\[<:;,='"-])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)(?!\.?\d)/g;

/** Enhanced status codes found in `text`, in order (deduplicated). */
export function findStatusCodes(text: string): string[] {
  const out: string[] = [];
  if (!text) return out;
  STATUS_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = STATUS_RE.exec(text))) {
    const code = `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
    if (!out.includes(code)) out.push(code);
  }
  return out;
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
  const m = /(?:^|[^\d.])[45]\d\d[ -]['"#(\[]?([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)/.exec(text);
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
const REPLY_RE = /(?:^|[\s:;(\[<'"=])([45][0-7]\d)(?![\d.])(?=[ -]|\s|$)/m;

export function findReplyCode(text: string | null | undefined): number | null {
  if (!text) return null;
  const m = REPLY_RE.exec(text);
  if (!m) return null;
  // a reply code that is really part of a status code (e.g. "550 5.1.1") is fine; one inside a
  // number like a port ("port 465 ") would be rare in failure text, accept the risk
  return Number(m[1]);
}

/** Lower-cased bare address from `rfc822; <Foo@Example.COM>`, `"x" <a@b>`, `a@b (comment)`. */
export function normalizeAddress(v: string | null | undefined): string | null {
  if (!v) return null;
  let s = v.trim();
  // address type prefix (RFC 3464 §2.3.2: rfc822; utf-8 for RFC 6533)
  s = s.replace(/^[A-Za-z][\w/.-]{0,20}\s*;\s*/, '');
  s = s.replace(/\([^()]*\)/g, ' ').trim();
  const angle = /<([^<>]*@[^<>]*)>/.exec(s);
  if (angle) s = angle[1];
  s = s.trim().replace(/^["'<\[]+|["'>\]).,;:]+$/g, '').trim();
  // a quoted local part is kept as is; an address in RFC 6533 utf-8 form may be xtext-encoded
  s = s.replace(/\\x\{([0-9A-Fa-f]{1,6})\}/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)));
  if (/\s/.test(s)) {
    const m = /[^\s<>"'(),;:]+@[^\s<>"'(),;:]+/.exec(s);
    if (!m) return null;
    s = m[0];
  }
  // RFC 5321 source route `@relay1,@relay2:user@host`: the mailbox is after the colon
  s = s.replace(/^@[^:]*:/, '');
  if (!s.includes('@') && !/^[^@\s]+$/.test(s)) return null;
  return s.toLowerCase() || null;
}

/**
 * Email-address-looking tokens (ASCII or UTF-8 local parts). Kept for callers that want a
 * regex on SHORT strings; on long text it backtracks quadratically (a 20 kB run of local-part
 * characters without '@' costs seconds): use findAddresses, which is a linear scan.
 */
export const ADDRESS_RE = /[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uffff.-]+@[A-Za-z0-9\u0080-\uffff-]+(?:\.[A-Za-z0-9\u0080-\uffff-]+)+/g;

const LOCAL_CHARS = new Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+/=?^_`{|}~.-".split('').map((c) => c.charCodeAt(0)));

function isLocalChar(c: number): boolean {
  return c >= 0x80 || LOCAL_CHARS.has(c);
}

/** A domain label character: letters, digits, '-' and any non-ASCII (IDN) character. */
function isLabelChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c >= 0x80;
}

/**
 * Email-address-looking tokens in `text`, lower-cased, deduplicated, in order: the same tokens
 * as ADDRESS_RE (local part, '@', two or more dot-separated labels), found by a linear scan
 * around each '@' so that hostile input cannot make it backtrack.
 */
export function findAddresses(text: string): string[] {
  const out: string[] = [];
  let from = 0; // where the previous token ended: tokens never overlap
  for (let at = text.indexOf('@', from); at >= 0; at = text.indexOf('@', Math.max(from, at + 1))) {
    let b = at;
    while (b > from && isLocalChar(text.charCodeAt(b - 1))) b--;
    if (b === at) continue;
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
    const a = text.slice(b, e).replace(/^[.'-]+|[.'-]+$/g, '').toLowerCase();
    if (a.includes('@') && !out.includes(a)) out.push(a);
  }
  return out;
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
    /^>>> (RCPT|MAIL|DATA|HELO|EHLO)\b/im.exec(text);
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
 * `<<< 550 ...`) in `text`, the one the failure answered.
 */
export function findTranscriptCommand(text: string | null | undefined): string | null {
  if (!text) return null;
  const re = /^>>>\s*(RCPT|MAIL|DATA|HELO|EHLO)\b/gim;
  let last: string | null = null;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) last = m[1];
  return last ? commandName(last) : null;
}

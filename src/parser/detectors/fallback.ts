// Generic fallback for non-standard NDRs no family detector claimed: scans the human-readable
// text (before the returned copy) for the shapes most MTAs use to name a failed address:
//
//   <user@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1 ... (Postfix, qmail)
//   user@example.com                                                          (Exim, Courier)
//       SMTP error from remote mail server after RCPT TO:<...>: 550 ...
//   550 5.1.1 <user@example.com>... User unknown                              (Sendmail)
//   user@example.com: 550 No such user                                        (many)
//
// Each address found with a failure text next to it is one recipient. Only runs when the
// message looks like a delivery failure at all (sender, subject or prose), so ordinary mail
// that mentions addresses is never turned into a bounce.
import type { RecipientReport } from '../../report.js';
import { headerValue, headerValues } from '../mime.js';
import { clipLine, findAddressSpans, findAddresses, findCommand, findReplyCode, findStatusCode, lineWindow, normalizeAddress, oneLine, type AddressSpan } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

const BOUNCE_FROM = /mailer-daemon|postmaster|mail delivery (?:subsystem|system|service)|maildelivery|microsoftexchange|mail administrator|bounce|mdaemon|notification/i;
const BOUNCE_SUBJECT =
  /undeliver|not (?:be )?delivered|delivery (?:status|failure|failed|notification|has failed|problem|report|error)|returned (?:mail|message|to sender)|failure notice|mail delivery failed|non[- ]?delivery|warning: could not send|message not delivered|nondeliverable|mail (?:system )?error|rejected|\bbounced?\b|\bNDR\b|failed (?:mail|delivery)|mail failure|unable to deliver|delayed mail|delivery delay|\u4e0d\u9054|\u914d\u4fe1\u5931\u6557|\u30a8\u30e9\u30fc|\u9000\u4fe1|\u9000\u56de|\u672a\u9001\u9054/i;
/** Prose that says "this is a delivery failure" (English first, as most NDRs are). */
export const FAILURE_PROSE =
  /could not be delivered|couldn't be delivered|was not delivered|undeliverable|delivery (?:to the following recipients? )?(?:has )?failed|permanent(?:ly)? (?:error|fail)|fatal errors?|unable to deliver|did not reach|returned to sender|delivery status notification|is not a valid mailbox|failed to deliver|could not deliver|delivery failure|the following address(?:es)? (?:failed|had)|no such (?:user|mailbox|address)|user unknown|unknown user|mailbox (?:unavailable|full|is full)|message (?:was )?rejected|rejected your message|over quota|delivery has been delayed|has not yet been delivered|temporary (?:failure|error|problem)|will (?:continue to )?(?:re)?try|deferred/i;

/** Words that say an address line is about a failure, when no SMTP code is present. */
const FAILURE_WORDS =
  /unknown|no such|not (?:found|exist|valid|available|allowed|permitted|accept|deliver|reach|a valid)|doesn't exist|does not exist|invalid|reject|denied|refused|fail|disabled|inactive|suspend|full|quota|exceed|too large|too big|size|unavailable|unreachable|timed? ?out|expired|unrouteable|unroutable|blocked|blacklist|spam|virus|policy|relay|loop|retry|later|deferred|delayed|could not|couldn't|cannot|can't|unable|error|problem|bounce|moved|closed|deactivated|over|limit|host|domain|mailbox|user|recipient|address/i;

const DELAY_PROSE = /has not yet been delivered|delivery (?:has been |is )?delayed|will (?:continue to )?(?:re)?try|still trying|not yet been delivered|delivery (?:status notification|report) \(delay\)|warning: could not send|temporarily deferred|delayed mail|message (?:is )?delayed/i;

function looksLikeFailure(view: MailView): boolean {
  const from = headerValue(view.headers, 'from') ?? '';
  const subject = headerValue(view.headers, 'subject') ?? '';
  return BOUNCE_FROM.test(from) || BOUNCE_SUBJECT.test(subject) || FAILURE_PROSE.test(view.reportText.slice(0, 20000));
}

/** Addresses that are never the failed recipient: the bounce's own parties. */
function ownAddresses(view: MailView): Set<string> {
  const own = new Set<string>();
  for (const n of ['from', 'to', 'return-path', 'reply-to', 'sender', 'delivered-to', 'x-original-to', 'envelope-to']) {
    for (const v of headerValues(view.headers, n)) for (const a of findAddresses(v)) own.add(a);
  }
  if (view.original) for (const v of headerValues(view.original.headers, 'from')) for (const a of findAddresses(v)) own.add(a);
  return own;
}

const SERVICE_LOCAL = /^(?:mailer-daemon|postmaster|root|abuse|noreply|no-reply|bounces?|double-bounce|nobody|mail-daemon|daemon)(?:[+@]|$)/i;

interface Candidate {
  address: string;
  text: string;
  /** Index of the line naming the address. */
  line: number;
}

/** `^[ \t]*(?:[a-z]+[ \t]+)?reason[ \t]*:`: a labelled cause line ("reject reason: Mailbox full"). */
const REASON_LINE = /^[ \t]*(?:[a-z]+[ \t]+)?reason[ \t]*:[ \t]*(\S.*)$/i;
/** Old Sendmail's session heading: "... while talking to mx.example.org.:" */
const TALKING_TO = /^\s*(?:\.\.\. )?while talking to ([\w.-]+?)\.?:\s*$/i;

/** What the detector needs to know about one line, worked out once however many addresses ask. */
interface LineFacts {
  spans: AddressSpan[];
  /** Distinct addresses on the line: 0, 1 (then `only` is it) or 2 (two or more). */
  distinct: number;
  only: string | null;
  blank: boolean;
  /** Starts with white space; with at least two spaces or tabs then text. */
  indented: boolean;
  deepIndented: boolean;
  /** Starts with an SMTP reply code and a space ("554 <a@b>... reason"). */
  reply: boolean;
  /** The cause of a labelled reason line. */
  reason: string | null;
  /** The host of a "while talking to host:" line. */
  talkingTo: string | null;
  /** The line trimmed and cut to MAX_LINE_CONTEXT. */
  clipped: string;
}

/**
 * The lines of the report text with their facts computed on first use. Every per-address step
 * reads these instead of re-scanning a line: a line with thousands of addresses (or next to
 * such a line) must not be read once per address.
 */
class Lines {
  readonly lines: string[];
  private facts: (LineFacts | undefined)[];

  constructor(text: string) {
    this.lines = text.split('\n');
    this.facts = new Array(this.lines.length);
  }

  get length(): number {
    return this.lines.length;
  }

  of(i: number): LineFacts {
    let f = this.facts[i];
    if (f) return f;
    const line = this.lines[i];
    const spans = line.indexOf('@') < 0 ? [] : findAddressSpans(line);
    let only: string | null = null;
    let distinct = 0;
    for (const sp of spans) {
      if (distinct === 0) {
        only = sp.address;
        distinct = 1;
      } else if (sp.address !== only) {
        distinct = 2;
        only = null;
        break;
      }
    }
    const trimmed = line.trim();
    const c = line.charCodeAt(0);
    const reason = trimmed ? REASON_LINE.exec(clipLine(line)) : null;
    const talking = trimmed.length < 300 ? TALKING_TO.exec(line) : null;
    f = {
      spans,
      distinct,
      only,
      blank: !trimmed,
      indented: c === 32 || c === 9,
      deepIndented: /^[ \t]{2,}\S/.test(line.length > 4096 ? line.slice(0, 4096) : line),
      reply: /^[45]\d\d /.test(line),
      reason: reason ? reason[1].trim() : null,
      talkingTo: talking ? talking[1].toLowerCase() : null,
      clipped: clipLine(trimmed),
    };
    this.facts[i] = f;
    return f;
  }
}

/** True when line `f` names an address other than `address`. */
function namesAnother(f: LineFacts, address: string): boolean {
  return f.distinct === 2 || (f.distinct === 1 && f.only !== address);
}

/**
 * The failure text belonging to the address at `span` of line `li`: that line (a window of it
 * when it is long), plus the following lines while they are indented or continue the
 * sentence, up to a blank line or the next address line.
 */
function textAround(lines: Lines, li: number, span: AddressSpan): string {
  const line = lines.lines[li];
  const address = span.address;
  const w = lineWindow(line, span.start);
  let out = line.slice(w.start, w.end);
  const here = lines.of(li);
  for (let k = li + 1; k < lines.length && k <= li + 6; k++) {
    const f = lines.of(k);
    if (f.blank) {
      // Exim / Courier put the reason one blank line further on only when indented
      if (k + 1 < lines.length && lines.of(k + 1).deepIndented && out.replace(/[<>\s:]/g, '').length <= address.length + 2) continue;
      break;
    }
    if (!f.indented && namesAnother(f, address)) break;
    // Sendmail's one-line entries ("554 <a@x>... reason" then "550 host (smtp)... reason"):
    // a new reply line starts a new entry
    if (f.reply && here.reply) break;
    out += '\n' + clipLine(lines.lines[k]);
  }
  return oneLine(out);
}

/**
 * Old Sendmail (V5) transcripts report a failed session per host, then one line per address:
 *
 *   While talking to mailin1.example.org:
 *   >>> MAIL From:<shironeko@example.co.jp>
 *   <<< 501 <shironeko@example.co.jp>... no access from mail server [192.0.2.55] ...
 *   554 <kijitora@example.org>... Remote protocol error
 *
 * When the address's own line carries no remote reply ("Remote protocol error"), the reason is
 * the remote reply ("<<< ...") of the session with the address's host, answering the command
 * before it (">>> ..."). Returns `text` unchanged when that does not apply.
 */
function sessionReply(lines: Lines, c: Candidate, text: string): string {
  const own = /^[45]\d\d <?[^\s<>]+>?\.\.\.\s*(.*)$/.exec(text);
  if (!own || /^[45]\d\d\b/.test(own[1])) return text;
  const address = c.address;
  const domain = address.slice(address.lastIndexOf('@') + 1);
  // the address's own "554 <a@b>..." line
  const at = c.line;
  if (at < 0 || !/^[45]\d\d </.test(lines.of(at).clipped)) return text;
  for (let i = at - 1; i >= 0 && i >= at - 40; i--) {
    const host = lines.of(i).talkingTo;
    if (host === null) continue;
    if (host !== domain && !host.endsWith('.' + domain)) return text;
    let command = '';
    for (let k = i + 1; k < at; k++) {
      const l = lines.of(k).clipped;
      if (l.startsWith('>>>')) command = l;
      else if (l.startsWith('<<<')) return oneLine(`${command} ${l} ${own[1]}`);
    }
    return text;
  }
  return text;
}

/**
 * Template sentences of the common NDR generators that say only "it failed" (Postfix's
 * bounce(5) template, the "automatically generated Delivery Status Notification" preamble).
 * Taken as the diagnostic they would hide that the report gives no reason at all.
 */
const BOILERPLATE = [
  /this is the mail system at host [^\s]+\.?/gi,
  /i'm sorry to have to inform you that your message could not be delivered to one or more recipients\.?/gi,
  /it's attached below\.?|for further assistance, please send mail to [^\s.]+\.?|if you do so, please include this problem report\.?|you can delete your own text from the attached returned message\.?/gi,
  /the mail system\b/gi,
  /delivery report unavailable/gi,
  /this is an automatically generated delivery status notification\.?/gi,
  /delivery to the following recipients? (?:failed permanently|has been delayed):?/gi,
];

/**
 * The report's prose as the failure text when no line next to the address says why: its first
 * 2,000 characters, less the generators' template sentences and the address itself. Null when
 * nothing else is left (the report gives no reason). `prose` is worked out once per report.
 */
interface Prose {
  text: string;
  /** The text less the template sentences, and less `<>*:()[]-`. */
  rest: string;
}

function readProse(text: string): Prose {
  const prose = oneLine(text.slice(0, 2000));
  let rest = prose;
  for (const re of BOILERPLATE) rest = rest.replace(re, ' ');
  return { text: prose, rest: rest.replace(/[<>*:()\[\]-]/g, ' ') };
}

function proseDiagnostic(prose: Prose, address: string): string | null {
  return /[A-Za-z\u0080-\uffff]{3}/.test(prose.rest.split(address).join(' ')) ? prose.text : null;
}

/**
 * Form-style notices put the cause on a labelled line of the same block as the address
 * ("reject reason: Mailbox full" above "target mail address: x@y"). When the address's own
 * text carries no SMTP code, the block's reason line (up to 3 lines either side, no blank line
 * between) is added to it.
 */
function withReasonLine(lines: Lines, li: number, text: string): string {
  if (li < 0 || findStatusCode(text) || findReplyCode(text)) return text;
  for (const dir of [-1, 1]) {
    for (let k = li + dir; k >= 0 && k < lines.length && Math.abs(k - li) <= 3; k += dir) {
      const f = lines.of(k);
      if (f.blank) break;
      if (f.reason && !text.includes(f.reason)) return oneLine(`${f.clipped} ${text}`);
    }
  }
  return text;
}

/** Header-like lines of a pasted message (From:, To:, Message-ID:) do not name a failure. */
const HEADER_LIKE = /^[ \t]*(?:from|to|cc|reply-to|return-path|sender|message-id|in-reply-to|references|received|subject|date|x-[\w-]+)[ \t]*:/i;

export function detectFallback(view: MailView): DetectorResult | null {
  if (!looksLikeFailure(view)) return null;
  const text = view.reportText.length > 200_000 ? view.reportText.slice(0, 200_000) : view.reportText;
  const own = ownAddresses(view);
  const lines = new Lines(text);
  const found = new Map<string, Candidate>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines.lines[i];
    if (line.indexOf('@') < 0 || HEADER_LIKE.test(line)) continue;
    for (const sp of lines.of(i).spans) {
      const a = sp.address;
      if (own.has(a) || SERVICE_LOCAL.test(a) || found.has(a)) continue;
      const t = textAround(lines, i, sp);
      const rest = t.toLowerCase().replace(a, ' ');
      if (findStatusCode(rest) || findReplyCode(rest) || FAILURE_WORDS.test(rest)) found.set(a, { address: a, text: t, line: i });
      else found.set(a, { address: a, text: '', line: i });
    }
  }
  let cands = [...found.values()];
  const withText = cands.filter((c) => c.text);
  if (withText.length) cands = withText;
  else if (cands.length > 1) cands = cands.slice(0, 1);
  if (!cands.length && view.original) {
    // "your message could not be delivered" without naming the address: the original's To
    const to = headerValues(view.original.headers, 'to').flatMap((v) => findAddresses(v));
    if (to.length === 1) cands = [{ address: to[0], text: '', line: -1 }];
  }
  if (!cands.length) return null;

  for (const c of cands) if (c.text) c.text = withReasonLine(lines, c.line, sessionReply(lines, c, c.text));

  const subject = headerValue(view.headers, 'subject') ?? '';
  const delayed = DELAY_PROSE.test(subject) || DELAY_PROSE.test(text.slice(0, 4000));
  let prose: Prose | null = null;
  const recipients: RecipientReport[] = cands.map((c) => {
    const diag = c.text || proseDiagnostic((prose ??= readProse(text)), c.address);
    return newRecipient(normalizeAddress(c.address) ?? c.address, {
      action: delayed && !/\b5\d\d\b|\b5\.\d/.test(diag ?? '') ? 'delayed' : 'failed',
      status: findStatusCode(diag),
      replyCode: findReplyCode(diag),
      diagnosticCode: diag,
      command: findCommand(diag),
    });
  });
  return { kind: recipients.every((r) => r.action === 'delayed') ? 'delay' : 'bounce', recipients };
}

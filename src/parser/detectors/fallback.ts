// Generic fallback for non-standard NDRs no family detector claimed. It records an address only
// where the report's text (before the returned copy) STATES that delivery to it failed, in one
// of the shapes most MTAs use (each seen in several families):
//
//  1. the address leads its line, the failure follows on that line or on the lines below it:
//       <user@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1 ...  (Postfix)
//       <user@example.com>:  /  Remote host said: 550 ...                      (qmail, Yahoo, X2, X4)
//       user@example.com Invalid Address, ERROR_CODE :550, ...                (Zoho)
//       user@example.com [User unknown]  /  user@example.com ... unknown host   (X1, smail)
//  2. a reply line whose subject is the address:
//       554 <user@example.com>... 550 Host unknown                              (Sendmail V5)
//  3. a list under a line that announces failed addresses, one address per line:
//       ----- The following addresses had permanent fatal errors -----        (Sendmail)
//       Delivery to the following recipients failed permanently:  * user@...  (X3)
//       以下のメールアドレスへの送信に失敗しました。 user@...                     (mFilter)
//  4. a failure sentence whose object is the address:
//       Unable to deliver message to: <user@example.com>                       (MailFoundry)
//       Invalid final delivery userid: user@example.com                        (IMail)
//       SMTP Server <mx> rejected recipient <user@example.com>                 (X6)
//       Your message to user@example.com could not be delivered               (many)
//  5. a labelled address in a block that states the failure:
//       reject reason: Mailbox full  /  target mail address: user@example.com  (form notices)
//  6. a session transcript: the RCPT TO of the address, or the DATA after it, got a 4xx/5xx
//       In:  RCPT TO:<user@example.com> ... Out: 451 4.3.0 Error               (Postfix smtpd notice)
//
// Never recorded: addresses of header lines (a pasted message), of help or contact sentences
// ("contact name@directory"), of a signature (after "-- "), the sender ("not accepting mail
// from <x>", "MAIL FROM:<x>"), the report's own parties and service mailboxes, and the returned
// message's To (the report does not say that address failed). A report that looks like a
// failure but names no failed address is a bounce without recipients.
//
// Only runs when the message looks like a delivery failure at all (sender, subject or prose),
// so ordinary mail that mentions addresses is never turned into a bounce.
import type { RecipientReport } from '../../report.js';
import { headerValue, headerValues } from '../mime.js';
import { withoutHostNames } from '../../host-name.js';
import { CODE_IN_TEXT, compile, DELAY_STATEMENTS, FAILURE_PREDICATES, HELP_CONTEXT, LIST_HEADINGS, NEW_ADDRESS_CONTEXT, SENDER_CONTEXT } from '../phrases.js';
import { clipLine, findAddresses, findAddressSpans, findCommand, findReplyCode, findStatusCode, lineWindow, normalizeAddress, oneLine, saysSenderAfter, statesPermanent, textHead, type AddressSpan } from '../smtp-text.js';
import { isNoticeSender } from '../mime/inline-original.js';
import { isAttribution } from '../mime/quoted.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

export const BOUNCE_FROM = /mailer-daemon|postmaster|mail delivery (?:subsystem|system|service)|maildelivery|microsoftexchange|mail administrator|bounce|mdaemon|notification/i;
export const BOUNCE_SUBJECT =
  /undeliver|not (?:be )?delivered|delivery (?:status|failure|failed|notification|has failed|problem|report|error)|returned (?:mail|message|to sender)|failure notice|mail delivery failed|non[- ]?delivery|warning: could not send|message not delivered|nondeliverable|mail (?:system )?error|rejected|\bbounced?\b|\bNDR\b|failed (?:mail|delivery)|mail failure|unable to deliver|delayed mail|delivery delay|\u4e0d\u9054|\u914d\u4fe1\u5931\u6557|\u30a8\u30e9\u30fc|\u9000\u4fe1|\u9000\u56de|\u672a\u9001\u9054/i;
/** Prose that says "this is a delivery failure" (English first, as most NDRs are). */
const FAILURE_PROSE =
  /could not be delivered|not (?:yet )?been delivered|couldn't be delivered|was not delivered|undeliverable|delivery (?:to the following recipients? )?(?:has )?failed|permanent(?:ly)? (?:error|fail)|fatal errors?|unable to deliver|did not reach|returned to sender|delivery status notification|is not a valid mailbox|failed to deliver|could not deliver|delivery failure|the following address(?:es)? (?:failed|had)|no such (?:user|mailbox|address)|user unknown|unknown user|mailbox (?:unavailable|full|is full)|message (?:was )?rejected|rejected your message|over quota|delivery has been delayed|has not yet been delivered|temporary (?:failure|error|problem)|will (?:continue to )?(?:re)?try|deferred/i;

const FAILURE = compile(FAILURE_PREDICATES);
const HEADING = compile(LIST_HEADINGS);
const HELP = compile(HELP_CONTEXT);
const SENDER = compile(SENDER_CONTEXT);
const NEW_ADDRESS = compile(NEW_ADDRESS_CONTEXT);
const DELAY = compile(DELAY_STATEMENTS);

function looksLikeFailure(view: MailView): boolean {
  const from = headerValue(view.headers, 'from') ?? '';
  const subject = view.subject;
  return BOUNCE_FROM.test(from) || BOUNCE_SUBJECT.test(subject) || FAILURE_PROSE.test(view.reportText.slice(0, 20000)) || forwardedNoticeFrom(view.reportText);
}

/**
 * A notice forwarded inline by a person: a "From:" line near the top of the text (the forwarded
 * header block, "---------- Forwarded message ---------" / "From: Mail Delivery System
 * <MAILER-DAEMON@x>") names a notice's sender, as the notice's own From would.
 */
function forwardedNoticeFrom(text: string): boolean {
  const head = text.length > 3000 ? text.slice(0, 3000) : text;
  for (const line of head.split('\n', 60)) {
    const from = /^[ \t>]*from[ \t]*:([^]*)$/i.exec(line);
    if (from && isNoticeSender(from[1])) return true;
  }
  return false;
}

/** Addresses that are never the failed recipient: the report's own parties and the sender. */
function ownAddresses(view: MailView): Set<string> {
  const own = new Set<string>();
  for (const n of ['from', 'to', 'return-path', 'reply-to', 'sender', 'delivered-to', 'x-original-to', 'envelope-to']) {
    for (const v of headerValues(view.headers, n)) for (const a of findAddresses(v)) own.add(a);
  }
  // message identifiers (RFC 5322 §3.6.4: id-left "@" id-right, shaped like an address) of the
  // report and of the message it returns: "Your message <id@host> could not be delivered to ..."
  for (const n of ['message-id', 'in-reply-to', 'references']) {
    for (const v of headerValues(view.headers, n)) for (const a of findAddresses(textHead(v, 4096))) own.add(a);
  }
  // the returned message's sender (never its To: whether that address failed is for the
  // report to say)
  if (view.original) {
    for (const n of ['from', 'return-path', 'sender', 'reply-to', 'message-id']) for (const v of headerValues(view.original.headers, n)) for (const a of findAddresses(v)) own.add(a);
    // a mailing list's own addresses (RFC 2369 List-* fields, RFC 2919 List-Id): the list is
    // where the message went, not a member whose delivery failed
    for (const n of ['list-post', 'list-help', 'list-subscribe', 'list-unsubscribe', 'list-owner', 'list-archive']) {
      for (const v of headerValues(view.original.headers, n)) for (const a of findAddresses(v)) own.add(a);
    }
  }
  return own;
}

/**
 * The addresses a transcript or an MTA's narration gives as MAIL FROM's argument (Sendmail's and
 * Courier's ">>> MAIL From:<a> SIZE=..", Exim's "SMTP error from remote mail server after MAIL
 * FROM:<a> SIZE=..:", hMailServer's "sent: MAIL FROM:<a>"): the reverse-path, the sender's own
 * address (RFC 5321 §3.3), never a failed recipient. One bounded pattern, a linear scan.
 */
const MAIL_FROM_ARG = /\bMAIL FROM:[ \t]{0,8}<([^<>\s]{1,320})>/gi;

function mailFromAddresses(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(MAIL_FROM_ARG)) {
    const a = normalizeAddress(m[1]!);
    if (a) out.push(a);
  }
  return out;
}

/**
 * Mailboxes of the mail system, never a failed recipient: RFC 2142 role names NDRs are sent
 * from, and the service addresses of mailing lists (RFC 2369 -request/-owner, Mailman -bounces,
 * Majordomo owner-).
 */
const SERVICE_LOCAL = /^(?:mailer-daemon|postmaster|root|abuse|noreply|no-reply|bounces?|double-bounce|nobody|mail-daemon|daemon|owner-[^@]*)(?:[+@]|$)|-(?:request|owner|bounces?)(?:[+@]|$)/i;

/**
 * Header-like lines of a pasted message (From:, To:, Message-ID:, possibly quoted with '>'): the
 * fields of RFC 5322 §3.6 (Resent-* too), the list fields of RFC 2369, Disposition-Notification-To
 * (RFC 8098), the historical Errors-To / Return-Receipt-To / Apparently-To (RFC 2076) and the
 * Mail-Followup-To / Mail-Reply-To / Envelope-To that clients and MTAs add: each names the
 * sender's or the message's addresses, never a failure.
 */
const HEADER_LIKE =
  /^[ \t>]*(?:(?:resent-)?(?:from|to|cc|bcc|reply-to|sender|message-id|date)|return-path|in-reply-to|references|received|subject|delivered-to|errors-to|return-receipt-to|disposition-notification-to|apparently-to|envelope-to|mail-followup-to|mail-reply-to|list-[\w-]+|x-[\w-]+)[ \t]*:/i;
/**
 * What stands before a message identifier (RFC 5322 §3.6.4, shaped like an address): "Message-ID",
 * "Original-Message-ID", "msgid", "Message ID" (a colon, '#', '<' after), or "message" right
 * before its '<' ("Your message <20260302.abc@sender.example> could not be delivered to a@b").
 * Not "message:" alone ("Undeliverable message: a@b" names the recipient).
 */
const MESSAGE_ID_LEAD = /\b(?:message|msg)(?:[- ]?id[ \t]*(?:[:#][ \t]*)?<?|[ \t]+<)$/i;
/**
 * A line that ends in a quoted-printable soft line break (RFC 2045 §6.7 rule 5: "=" at the end of
 * an encoded line) after a word character, as a part whose transfer encoding was not applied (or
 * a copy pasted from one) shows it; what opens the next line (after quote marks) continues that word.
 */
const SOFT_BREAK_END = /[\w.+-]=\r?$/;
const SOFT_BREAK_REST = /^[ \t>]*$/;
/** RFC 3676 §4.3 signature separator ("-- "): what follows is a signature. */
const SIGNATURE = /^-- ?$/;

/**
 * A reply attribution (isAttribution) over quoted lines: what follows is the message replied
 * to, quoted, not what this report says.
 */
function quotesBelow(lines: Lines, i: number): boolean {
  if (i >= lines.length) return false;
  const line = lines.lines[i];
  if (line.length > 300) return false;
  if (!isAttribution(line)) return false;
  for (let k = i + 1; k < lines.length && k <= i + 2; k++) {
    const next = lines.lines[k];
    if (next.trim() === '') continue;
    return /^[ \t]*>/.test(next);
  }
  return false;
}

/** `^[ \t]*(?:[a-z]+[ \t]+)?reason[ \t]*:`: a labelled cause line ("reject reason: Mailbox full"). */
const REASON_LINE = /^[ \t]*(?:[a-z]+[ \t]+)?reason[ \t]*:[ \t]*(\S.*)$/i;
/** Old Sendmail's session heading: "... while talking to mx.example.org.:" */
const TALKING_TO = /^\s*(?:\.\.\. )?while talking to ([\w.-]+?)\.?:\s*$/i;

// What may stand before an address on its line, by shape (the text before it, at most LEAD_CHARS).
const LEAD_CHARS = 300;
/** Shape 1: nothing but list decoration (indent, '>', bullets, a number, '<'). */
const LEADS = /^[\s>*+#|\u2022\u00b7<"'-]*(?:\d{1,3}[.)][\s<"']*)?$/;
/**
 * Shape 1: a display name before the address (`Kijitora Neko <a@b>`, `"Neko, Kijitora" <a@b>`,
 * Notes and Exchange lists): at most five words or one quoted string, then '<' or '('.
 */
const NAME_LEAD = /^[\s>*+#|\u2022\u00b7-]*(?:"[^"\n]{1,80}"|[^\s<>@"():;,]{1,40}(?:[ \t][^\s<>@"():;,]{1,40}){0,4})[ \t]*[<(]$/;
/** Shape 2: an SMTP reply code (and status code) right before the address. */
const REPLY_LEAD = /^\s*(?:<<<\s*)?[45]\d\d[ -](?:#?[245]\.\d{1,3}\.\d{1,3}[ \t]+)?<?$/;
/**
 * A session transcript's line stamp, as MDaemon (and its SecurityGateway) write one before every
 * line of the transcript a DSN carries: "Sat 2026-12-05 11:20:46: --> RCPT To:<a@b>", "... <--
 * 550 5.1.1 ...". Bounded, and optional: Sendmail's and Postfix's lines start with the arrow.
 */
const STAMPED = /^[A-Za-z]{3},?[ \t]\d{4}-\d\d-\d\d[ \t]\d\d:\d\d:\d\d(?:\.\d{1,6})?:[ \t]+/;
/** What the reporting MTA sent (Sendmail ">>>", Postfix "In:", MDaemon "-->"), at a line's start after the stamp, if any. */
const SENT_LINE = /^(?:[A-Za-z]{3},?[ \t]\d{4}-\d\d-\d\d[ \t]\d\d:\d\d:\d\d(?:\.\d{1,6})?:[ \t]+)?(?:>>>|-->|In:)\s*([A-Za-z]+)/i;
/** The reply it got (Sendmail "<<<", Postfix "Out:", MDaemon "<--"), at a line's start after the stamp, if any. */
const REPLY_LINE = /^(?:[A-Za-z]{3},?[ \t]\d{4}-\d\d-\d\d[ \t]\d\d:\d\d:\d\d(?:\.\d{1,6})?:[ \t]+)?(?:<<<|<--|Out:)\s*([2-5])\d\d\b/i;
const REPLY_LINE_HEAD = /^(?:[A-Za-z]{3},?[ \t]\d{4}-\d\d-\d\d[ \t]\d\d:\d\d:\d\d(?:\.\d{1,6})?:[ \t]+)?(?:<<<|<--|Out:)\s*/i;
/**
 * Shape 6: a transcript's RCPT TO command (Sendmail ">>> RCPT To:<", Postfix "In:  RCPT TO:<",
 * MDaemon "--> RCPT To:<").
 */
const RCPT_LEAD = /(?:>>>|-->|\bIn:)\s*RCPT TO:\s*<?$/i;
/**
 * The envelope summary that opens each session of MDaemon's transcript ("Sat 2026-12-05
 * 11:20:40: *  To: <a>", under "*  From: <sender>"): the recipient the session was for, the
 * only place a notice names it when the session failed before any reply (no mail server for the
 * domain). The stamp is required: a bare "To:" line is a returned message's header.
 */
const ENVELOPE_TO_LEAD = /^\s*[A-Za-z]{3},?[ \t]\d{4}-\d\d-\d\d[ \t]\d\d:\d\d:\d\d(?:\.\d{1,6})?:[ \t]+\*[ \t]+To:[ \t]*<?$/i;
/**
 * Shape 4: a failure sentence ending in the word that takes the address as its object, in
 * English or, as "delivered to" / "sent to", in the languages of the failure predicates
 * (`zugestellt an`, `remis à`, `entregado a`, `recapitato a`, `entregue para`, `bezorgd aan`).
 */
const OBJECT_LEAD =
  /(?:\bto|:|\brecipients?|\brcpt|\buser(?:id| ?name)?|\baddress(?:ee)?|\bfor|\bmailbox|\baccount|\bdestination|\b(?:zugestellt|gesendet|gesandt|geschickt|nicht|werden) an|\b(?:remis|distribu\u00e9|envoy\u00e9|d\u00e9livr\u00e9)e?s? \u00e0|\b(?:entregad|enviad|recapitat|consegnat|inviat|entregue)[oaie]?s? (?:a|al|alla|para|per)|\b(?:bezorgd|afgeleverd|verzonden|verstuurd) aan)[\s<("'[]*$/i;
/** Shape 2: an SMTP reply code (RFC 5321 §4.2) earlier on the line: the address is inside a reply. */
const REPLY_IN_LEAD = /(?:^|[\s:;>([])[45]\d\d(?:[ -](?=[<A-Za-z#"'([])|[ -][245]\.\d{1,3}\.\d)/;
/** Shape 4: "the mailbox <address> is full": a recipient noun, the failure after the address. */
const NOUN_LEAD = /\b(?:user|recipient|mailbox|address|addressee|account|e-?mail(?: address)?|destination|rcpt|empf\u00e4nger|destinataire|destinatario|destinat\u00e1rio|ontvanger)[\s<("'[:]*$/i;
/** Shape 4: "User unknown (<address>)": the failure, then the address in brackets. */
const BRACKETED_LEAD = /[([<"']\s*$/;
/** Shape 4: "your message to <address> could not be delivered": the failure follows the address. */
const MESSAGE_TO_LEAD =
  /(?:\b(?:message|mail|e-?mail|delivery|sent|sending|addressed|delivering) to|\b(?:nachricht|e-?mail|mail) an|\b(?:message|courriel|e-?mail|mail) (?:\u00e0|a)|\b(?:mensaje|correo|messaggio|mensagem|e-?mail) (?:a|para|per)|\b(?:bericht|e-?mail) aan)[\s<("'[]*$/i;
/** Shape 5: a recipient label. */
const LABEL_LEAD =
  /(?:^|[^\w-])(?:(?:failed|final|original|target|intended|invalid|unknown|bad|the)[ \t]+)?(?:recipient(?:'s|s)?|rcpt|e-?mail|mail|destination|address(?:ee)?|empf\u00e4nger|destinataire|destinatario|destinat\u00e1rio)(?:[ \t]+(?:address(?:es)?|addr|name|e-?mail))?[ \t]*:[\s<"']*$/i;
/**
 * `text` without the separator that leads to the next entry (", ", "; ", " and "): an index
 * scan from the end (a regex ending in `[\s,;]*$` retries every start in a run of blanks).
 */
function withoutListTail(text: string): string {
  const isSep = (c: number) => c === 32 || c === 9 || c === 44 || c === 59;
  let end = text.length;
  while (end > 0 && isSep(text.charCodeAt(end - 1))) end--;
  if (end >= 4 && /^\sand$/i.test(text.slice(end - 4, end))) {
    end -= 4;
    while (end > 0 && isSep(text.charCodeAt(end - 1))) end--;
  }
  return text.slice(0, end);
}

/** Whether `gap` (the text after an entry's address) opens a bracket it does not close. */
function insideBracket(gap: string): boolean {
  if (gap.length > 1000) return false;
  let depth = 0;
  for (let i = 0; i < gap.length; i++) {
    const c = gap.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41 && depth > 0) depth--;
  }
  return depth > 0;
}

/**
 * The first span after `span` on its line naming another address (spans are in line order):
 * found by bisection, since a line may hold thousands of entries.
 */
function spanAfter(spans: readonly AddressSpan[], span: AddressSpan): AddressSpan | undefined {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (spans[mid]!.start <= span.start) lo = mid + 1;
    else hi = mid;
  }
  for (let k = lo; k < spans.length && k < lo + 8; k++) if (spans[k]!.address !== span.address) return spans[k];
  return undefined;
}

/**
 * Between two entries of one list on a line, the first with its reason in brackets: "(unknown
 * user); " (a remote reply in the brackets may hold brackets of its own, one level deep).
 */
const OWN_REASON_GAP = /^[ \t>]*\(((?:[^()\n]|\([^()\n]{0,200}\)){1,800})\)[ \t]*(?:[,;][ \t]*(?:(?:and|or|&)[ \t]+)?|(?:and|or|&)[ \t]+)[<"']*$/i;
/** Between two addresses of one list on a line ("a@b, c@d and e@f"). */
const LIST_GAP = /^[\s,;<>"'/]*(?:(?:and|or|&)[\s<>"']*)?$/i;

type Shape = 'leading' | 'reply' | 'list' | 'sentence' | 'label' | 'transcript';

interface Candidate {
  address: string;
  text: string;
  /** Index of the line naming the address (-1: none). */
  line: number;
  shape: Shape;
  /** The SMTP command a transcript shows the failure answered. */
  command?: string;
  /** Named only by a transcript's envelope summary (MDaemon's "*  To: <a>"). */
  envelope?: boolean;
  /** Named only on a transcript's reply lines ("<<< 550 5.1.1 <a>... User unknown"). */
  replyOnly?: boolean;
}

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
  /** Leading spaces and tabs (each one column), up to 64. */
  indent: number;
  /** Its first address starts the line, only decoration before it (an entry of a list). */
  leadsEntry: boolean;
  /** Starts with an SMTP reply code and a space ("554 <a@b>... reason"). */
  reply: boolean;
  /** The cause of a labelled reason line. */
  reason: string | null;
  /** The host of a "while talking to host:" line. */
  talkingTo: string | null;
  /** The line trimmed and cut to MAX_LINE_CONTEXT. */
  clipped: string;
  /** The line, its addresses blanked, says something failed (a predicate or a 4xx/5xx code). */
  failure: boolean;
  /** The line points to help (contact, support, mailto:). */
  help: boolean;
  /** The line announces a list of failed addresses. */
  heading: boolean;
  /** Its first address leads the line and nothing but decoration follows it. */
  bareEntry: boolean;
}

/**
 * The lines of the report text with their facts computed on first use. Every per-address step
 * reads these instead of re-scanning a line: a line with thousands of addresses (or next to
 * such a line) must not be read once per address.
 */
class Lines {
  readonly lines: string[];
  private facts: (LineFacts | undefined)[];
  private headings: (number | undefined)[];

  constructor(text: string) {
    this.lines = text.split('\n');
    this.facts = new Array(this.lines.length);
    this.headings = new Array(this.lines.length);
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
    const clipped = clipLine(trimmed);
    const c = line.charCodeAt(0);
    const reason = trimmed ? REASON_LINE.exec(clipLine(line)) : null;
    const talking = trimmed.length < 300 ? TALKING_TO.exec(line) : null;
    const words = withoutAddresses(clipped);
    // help wording inside a remote server's reply quoted on the line ("a@b: 552-5.3.4 ... For
    // more information, go to https://support.google.com/...") is the server's, not the
    // report's: the line is judged up to the reply (issue #13 round 3, metamorphic reply swaps:
    // the recipients of a fallback-shaped report were lost when the reply carried a link)
    const reply = REPLY_IN_LEAD.exec(words);
    const help = HELP.test(reply ? words.slice(0, reply.index) : words);
    const first = spans[0];
    // after the line's first address, its addresses blanked: "(Jane Doe)" leaves the entry
    // bare (an RFC 822 comment naming the person), "(user not found)" states its failure
    const leads = !!first && first.start < LEAD_CHARS && leadsLine(line.slice(0, first.start), help);
    const rest = leads ? withoutAddresses(clipLine(line.slice(first.end))) : '';
    f = {
      spans,
      distinct,
      only,
      blank: !trimmed,
      indented: c === 32 || c === 9,
      deepIndented: /^[ \t]{2,}\S/.test(line.length > 4096 ? line.slice(0, 4096) : line),
      indent: /^[ \t]{0,64}/.exec(line)![0].length,
      leadsEntry: leads,
      reply: /^[45]\d\d /.test(line),
      reason: reason ? reason[1].trim() : null,
      talkingTo: talking ? talking[1].toLowerCase() : null,
      clipped,
      failure: FAILURE.test(words) || CODE_IN_TEXT.test(words),
      help,
      // (a heading that says the mail went through lists no failures: Exchange's delivery
      // receipt "Your message has been delivered to the following recipients:")
      heading: !help && (HEADING.test(words) || (FAILURE.test(words) && /:\s*$/.test(words))) && !(DELIVERED_HEADING.test(words) && !FAILURE.test(words)),
      bareEntry: leads && isBareRest(rest) && !(CODE_IN_TEXT.test(rest) || FAILURE.test(rest)),
    };
    this.facts[i] = f;
    return f;
  }

  /**
   * The line that announces the list line `i` belongs to, or -1: going up over the list's
   * other entries and at most two blank lines, the first other line when it is a heading, or a
   * failure sentence right above the list (Lotus Notes: "User not listed in public Name &
   * Address Book" then the address). Memoized: a long list is walked once.
   */
  headingOf(i: number): number {
    const known = this.headings[i];
    if (known !== undefined) return known;
    // walk up the list (iteratively: a list can be long), remembering its entries
    const entries = [i];
    let result = -1;
    let blanks = 0;
    for (let k = i - 1; k >= 0 && blanks <= 2; k--) {
      const f = this.of(k);
      if (f.blank) {
        blanks++;
        continue;
      }
      const cached = this.headings[k];
      if (f.bareEntry && cached !== undefined) {
        result = cached;
        break;
      }
      if (f.bareEntry) {
        entries.push(k);
        blanks = 0;
        continue;
      }
      // a heading, or a failure sentence that names no address (Lotus Notes: "User not listed
      // in public Name & Address Book" right above the address)
      if (f.heading || (f.failure && !f.help && f.spans.length === 0)) result = k;
      break;
    }
    for (const e of entries) this.headings[e] = result;
    return result;
  }
}

/**
 * The text with its addresses and host names blanked: their words ("unknown@", "mx.rejected-
 * mail.example") are names, not the line's words (src/host-name.ts).
 */
function withoutAddresses(text: string): string {
  const spans = findAddressSpans(text);
  if (!spans.length) return withoutHostNames(text);
  let out = '';
  let last = 0;
  for (const sp of spans) {
    out += text.slice(last, sp.start) + ' ';
    last = sp.end;
  }
  return withoutHostNames(out + text.slice(last));
}

/**
 * What follows a list entry's first address (other addresses blanked) is only decoration:
 * brackets, separators, a (name) or "name": the line is a list of addresses. The bracket that
 * closes a name's address ("Jane Doe (jane@example.org)", as "Jane Doe <jane@example.org>")
 * is decoration too.
 */
function isBareRest(rest: string): boolean {
  const left = rest.length > 400 ? rest.slice(0, 400) : rest;
  // (the second run of decoration only after the name: two adjacent runs of the same
  // characters would backtrack quadratically)
  return /^\)?[\s<>:;,.]*(?:(?:\([^()\n]{0,80}\)|"[^"\n]{0,80}")[\s<>:;,.]*)?$/.test(left);
}

/**
 * Only decoration, or a display name, stands before a line's first address. Five words before
 * a '<' are no name when they are a reply's code or help words ("550 5.1.1 Please write to <b@x>").
 */
function leadsLine(lead: string, help: boolean): boolean {
  return LEADS.test(lead) || (!help && NAME_LEAD.test(lead) && !SENDER.test(lead) && !FAILURE.test(lead) && !REPLY_CODE_AT_START.test(lead) && !HELP.test(lead));
}

/** True when line `f` names an address other than `address`. */
function namesAnother(f: LineFacts, address: string): boolean {
  return f.distinct === 2 || (f.distinct === 1 && f.only !== address);
}

/** The text names an address and not `address`. */
function namesOther(text: string, address: string): boolean {
  const named = findAddresses(text);
  return named.length > 0 && !named.includes(address);
}

/** The text states a failure about something: a 4xx/5xx code or a failure predicate. */
function statesFailure(text: string): boolean {
  const words = withoutAddresses(text);
  return CODE_IN_TEXT.test(words) || FAILURE.test(words);
}

// (the blanks after "|" or "+" only when there is one: two runs of blanks side by side try
// every split of a long blank line between them)
const RULER = /^\s*(?:[|+]\s*)?(?:-{3,}|={3,}|_{3,}|\*{3,})/;

/**
 * Line `li` is a bare list entry whose own reason stands above it: a failure sentence that
 * names no address and announces no list, right above the entry or above the list of entries
 * it belongs to (Lotus Notes' "------- Failure Reasons" section).
 */
function reasonAbove(lines: Lines, li: number): boolean {
  if (!lines.of(li).bareEntry) return false;
  // (the list's first line up: several addresses may share the reason above them)
  const h = lines.headingOf(li);
  return h >= 0 && !lines.of(h).heading;
}

/**
 * The failure text belonging to the address at `span` of line `li`: that line (a window of it
 * when it is long), plus the following lines while they are indented or continue the
 * sentence, up to a blank line or the next address line.
 */
/** A line that ends in an alias note's opening, "(expanded from": its address is on the next line. */
const ALIAS_NOTE_OPEN = /\(\s*expanded from:?\s*$/i;

/** A line that ends in an address and a comma: the list of addresses goes on below. */
const LIST_GOES_ON = /@[^\s@,()]{1,255}>?,[ \t]*$/;

function textAround(lines: Lines, li: number, span: AddressSpan): string {
  const line = lines.lines[li];
  const address = span.address;
  const w = lineWindow(line, span.start);
  let out = line.slice(w.start, w.end);
  const here = lines.of(li);
  // this entry has text of its own: on its address's line ("  a@x: 550 5.1.1 User unknown",
  // "  a@x (user not found)") or, once read, below it (not another list entry)
  let own = here.leadsEntry && !here.bareEntry;
  for (let k = li + 1; k < lines.length && k <= li + 6; k++) {
    const f = lines.of(k);
    if (f.blank) {
      // Exim / Courier put the reason one blank line further on only when indented
      if (k + 1 < lines.length && lines.of(k + 1).deepIndented && out.replace(/[<>\s:]/g, '').length <= address.length + 2) continue;
      break;
    }
    // (unless the line above ends in an address and a comma: a list of addresses in one sentence
    // broken across lines, "failed as well: a@x," / "b@y and c@z: 550 5.1.1 User unknown", is one
    // text; after its own reason, "a@x (550 5.1.1 unknown user),", the next address is another's)
    // (a transcript's reply line under the entry is its answer, whatever name it gives: Courier's
    // "<a@x>:" / ">>> DATA" / "<<< 552 5.2.2 <b@y>: Mailbox full")
    if (!f.indented && namesAnother(f, address) && !LIST_GOES_ON.test(lines.lines[k - 1]!) && !ALIAS_NOTE_OPEN.test(lines.lines[k - 1]!) && !REPLY_LINE_HEAD.test(lines.lines[k]!)) break;
    // the next entry of an indented list, once this one has its own lines: Exim writes each
    // failed address at two spaces and its error at four, with no blank line between entries
    // (deliver.c; Sisimai's Lhost/Exim.pm), a layout its translated or relayed reports keep.
    // (Addresses listed before their shared reason, "  a@x,\n  b@x\n    reason", read on.)
    if (own && f.leadsEntry && f.indent <= here.indent && namesAnother(f, address) && !ALIAS_NOTE_OPEN.test(lines.lines[k - 1]!)) break;
    // Lotus Notes writes each entry's reason ABOVE its address ("User not listed in public
    // Name & Address Book" / "a@x" / "Message has exceeded maximum hop count" / "b@x"): when
    // this entry's own reason is the line above it, a sentence followed by another address
    // alone on its line is that address's reason, not this one's
    if (k === li + 1 && reasonAbove(lines, li) && !f.indented && f.spans.length === 0 && k + 1 < lines.length && lines.of(k + 1).bareEntry && namesAnother(lines.of(k + 1), address)) break;
    // A ruler ("----- Original message -----", smail's "|----- Message text follows: -----|",
    // qmail's "--- Below this line ...") bounds a report's sections: the entry ends above it.
    if (RULER.test(lines.lines[k]!)) break;
    // Sendmail's one-line entries ("554 <a@x>... reason" then "550 host (smtp)... reason"):
    // a new reply line starts a new entry
    if (f.reply && here.reply) break;
    // (and so does a transcript line below Sendmail's own line: "550 5.1.1 <a@x>... User
    // unknown" / "<<< 503 5.0.0 Need RCPT" is the next exchange of the session)
    if (here.reply && (REPLY_LINE_HEAD.test(lines.lines[k]!) || SENT_LINE.test(lines.lines[k]!))) break;
    out += '\n' + clipLine(lines.lines[k]);
    own ||= !f.bareEntry;
  }
  return oneLine(out);
}

/**
 * Shape 6: the failing reply a transcript gives after `RCPT TO:<address>` on line `li` ("<<< 550
 * ..." / "Out: 550 ..."), or, when the RCPT was accepted, the failing reply to the DATA that
 * follows (it fails the message for every accepted recipient). The text is the command and its
 * reply, and the MTA's own line for the address right below (Sendmail's "550 <a@b>... User
 * unknown"); for a DATA failure, the reply. Null when the session went through.
 */
function transcriptFailure(lines: Lines, li: number, address: string): { reply: string; command: string } | null {
  let afterRcpt = true;
  // the first reply after this RCPT, before any other command, is its answer; accepted (2xx),
  // a later refusal at RCPT is another recipient's ("250 <a>... Recipient ok", then ">>> RCPT
  // To:<b>" / "<<< 550 <b>... User unknown")
  let accepted = false;
  let commands = 0;
  for (let k = li + 1; k < lines.length && k <= li + 40; k++) {
    const t = lines.of(k).clipped;
    const reply = REPLY_LINE.exec(t);
    if (reply) {
      if (reply[1] !== '4' && reply[1] !== '5') {
        if (commands === 0) accepted = true;
        continue;
      }
      if (!afterRcpt) return { reply: oneLine(t.replace(REPLY_LINE_HEAD, '')), command: 'DATA' };
      // (pipelined commands, sent before this reply: a refusal that names another address is
      // that one's; the first reply right after the RCPT is its own, whoever it names: Postfix
      // refuses the sender at RCPT, "<<< 550 5.7.1 <news@x>: Sender address rejected")
      if (accepted || (commands > 0 && namesOther(t, address))) continue;
      let text = `${lines.of(li).clipped} ${t}`;
      const next = k + 1 < lines.length ? lines.of(k + 1) : null;
      if (next && next.reply && next.only === address) text += ' ' + next.clipped;
      return { reply: oneLine(text), command: 'RCPT' };
    }
    const cmd = SENT_LINE.exec(t);
    if (cmd) {
      commands++;
      const c = cmd[1].toUpperCase();
      // the next recipient's command: this one's answer (accepted) is behind us
      if (c === 'RCPT' && afterRcpt) continue;
      if (c === 'QUIT' || c === 'MAIL' || c === 'RSET') return null;
      if (c === 'DATA' || c === 'BDAT') afterRcpt = false;
    }
  }
  return null;
}

/**
 * The addresses a Sendmail transcript says it will try again ("<a@b>... Deferred: 452 4.3.1
 * Insufficient system storage", the "Deferred:" of Sendmail's temporary failures, as in its
 * delay warnings): still queued, delayed and not failed, whatever else the notice lists. Not an
 * entry of a failure list: the transcript of an address that expired tells its deferrals too
 * ("<a>... Deferred: Connection timed out" / "Message could not be delivered for 5 days").
 */
function deferredEntries(lines: Lines, end: number): Set<string> {
  const out = new Set<string>();
  // (most reports have no such line: the lines' facts are read only when one does)
  let any = false;
  for (let k = 0; k < end && !any; k++) any = lines.lines[k].includes('... Deferred');
  if (!any) return out;
  const listed = new Set<string>();
  for (let k = 0; k < end; k++) {
    const f = lines.of(k);
    if (f.bareEntry && f.only && lines.headingOf(k) >= 0) listed.add(f.only);
    const t = f.clipped;
    const at = t.indexOf('... Deferred');
    if (at <= 0) continue;
    // (one line for every address the same reply deferred: "<a@b>,<c@d>... Deferred: 451 ...")
    for (const part of t.slice(0, at).split(',')) {
      const addr = normalizeAddress(part);
      if (addr && addr.includes('@') && !/\s/.test(addr)) out.add(addr);
    }
  }
  for (const a of listed) out.delete(a);
  return out;
}

/**
 * The text after the address of a Sendmail entry line ("554 <a@b>... Remote protocol error" ->
 * "Remote protocol error"), white space after the dots skipped; null when `text` is not one, or
 * when that text holds a line break (\n, \r, U+2028, U+2029: it reads one line).
 *
 * The rest is taken with [^]* and the line break looked for after: `\s*(.*)$` stopped `.` at a
 * line break and retried every split of the dots and blanks before it (quadratic; it matched
 * the same texts with the same rest, since a text that fails with the first split tried fails
 * with every later one).
 */
export function sendmailOwnText(text: string): string | null {
  const own = /^[45]\d\d <?[^\s<>]+>?\.\.\.\s*([^]*)$/.exec(text);
  return own && !/[\n\r\u2028\u2029]/.test(own[1]) ? own[1] : null;
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
  const own = sendmailOwnText(text);
  if (own === null || /^[45]\d\d\b/.test(own)) return text;
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
      else if (l.startsWith('<<<')) return oneLine(`${command} ${l} ${own}`);
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
  return { text: prose, rest: rest.replace(/[<>*:()[\]-]/g, ' ') };
}

function proseDiagnostic(prose: Prose, address: string): string | null {
  return /[A-Za-z\u0080-\uffff]{3}/.test(prose.rest.split(address).join(' ')) ? prose.text : null;
}

/**
 * The report's one remote reply on a line of its own ("550 5.1.1 User unknown": an RFC 5321
 * reply code of class 4 or 5 leading the line, or after a short label of words, "The response
 * was: 550 ..."), before the returned copy; null when it has none or several (then no single
 * line speaks for every address). Bounded: the first 400 lines.
 */
function soleReplyLine(lines: Lines, end: number): string | null {
  let found: string | null = null;
  for (let i = 0; i < end && i < 400; i++) {
    const l = lines.lines[i];
    const head = l.length > 1000 ? l.slice(0, 1000) : l;
    // (or after a short label of words: "The response was: 550 ...", "Error: 550 ...")
    const m = /^[ \t]*(?:[A-Za-z][A-Za-z ]{0,40}:[ \t]*)?(?=[45]\d\d[ -][ \t]*\S)/.exec(head);
    if (!m) continue;
    if (found !== null) return null;
    found = oneLine(head.slice(m[0].length));
  }
  return found;
}

/**
 * Form-style notices put the cause on a labelled line of the same block as the address
 * ("reject reason: Mailbox full" above "target mail address: x@y"). When the address's own
 * text carries no SMTP code, the block's reason line (up to 3 lines either side, no blank line
 * between) is added to it.
 */
function withReasonLine(lines: Lines, li: number, text: string): string {
  if (li < 0 || findStatusCode(text) || findReplyCode(text)) return text;
  const reason = reasonLineOf(lines, li);
  return reason?.reason && !text.includes(reason.reason) ? oneLine(`${reason.clipped} ${text}`) : text;
}

/**
 * The labelled reason line of line `li`'s block (up to 3 lines either side, no blank between);
 * else the block's first line after one blank line below it, when that line is a labelled
 * reason naming no address ("Failed for: a@x, b@y" / "" / "Reason: 550 5.1.1 ...": the block's
 * reason set apart, not the next entry's, which would name its address first).
 */
function reasonLineOf(lines: Lines, li: number): LineFacts | null {
  let end = li;
  for (const dir of [-1, 1]) {
    for (let k = li + dir; k >= 0 && k < lines.length && Math.abs(k - li) <= 3; k += dir) {
      const f = lines.of(k);
      if (f.blank) break;
      if (f.reason) return f;
      if (dir === 1) end = k;
    }
  }
  if (end + 2 < lines.length && end - li < 3 && lines.of(end + 1).blank) {
    const f = lines.of(end + 2);
    if (f.reason && f.spans.length === 0) return f;
  }
  return null;
}

/** The block of line `li` (up to 3 lines either side, no blank between) states a failure. */
function blockStatesFailure(lines: Lines, li: number): boolean {
  if (reasonLineOf(lines, li)) return true;
  for (const dir of [-1, 1]) {
    for (let k = li + dir; k >= 0 && k < lines.length && Math.abs(k - li) <= 3; k += dir) {
      const f = lines.of(k);
      if (f.blank) break;
      if (f.failure && !f.help) return true;
    }
  }
  return false;
}

/**
 * A line of line `li`'s block (up to 3 lines either side, no blank between) says delivery
 * succeeded, and none says it failed: a 2xx reply or 2.x.x status (RFC 5321 §4.2.1, RFC 3463
 * class 2), "delivered", "successful". A notice that reports every recipient in such blocks
 * ("Delivery Status: DELIVERED" / "Recipient: b@y" / "Status: 250 OK") names the ones that
 * were delivered as well as the ones that failed.
 */
function blockStatesSuccess(lines: Lines, li: number): boolean {
  let success = false;
  for (const dir of [-1, 0, 1]) {
    for (let k = li + dir; k >= 0 && k < lines.length && Math.abs(k - li) <= 3; k += dir) {
      const f = lines.of(k);
      if (f.blank) break;
      if (f.failure) return false;
      success ||= SUCCESS.test(withoutAddresses(f.clipped));
      if (dir === 0) break;
    }
  }
  return success;
}

const NOT_A_FAILURE_SUBJECT = /^\s*(?:read|not read|delivered|relayed|recall|message recall (?:failure|success|report)(?: for message)?)\s*:/i;

/**
 * A list heading that states delivery: Exchange's delivery receipt "Your message has been
 * delivered to the following recipients:", its relay notice "Delivery to these recipients or
 * groups is complete, but no delivery notification was sent by the destination server:".
 */
const DELIVERED_HEADING = /\b(?:has|have|was|were) been (?:successfully )?delivered\b|\bsuccessfully delivered\b|\bdelivery to [^\n]{0,60}\bis complete\b/i;

const SUCCESS = /(?:^|[\s:;(])2\d\d(?:[ -]|$)|(?:^|[^\d.])2\.\d{1,3}\.\d{1,3}(?![\d.])|\bdelivered\b|\bsuccess(?:ful(?:ly)?)?\b/i;

/**
 * The rest of the sentence after the address (at most 200 characters), its addresses blanked.
 * Reports are wrapped at 72-78 columns, so a sentence that the line leaves open ("Your message
 * to a@x was" / "not delivered: 550 5.1.1 ...") reads on into the next line when that line is
 * neither blank nor a new entry naming another address.
 */
function sentenceAfter(lines: Lines, li: number, span: AddressSpan): string {
  const line = lines.lines[li];
  // (names blanked before the cut: a host name cut at the window's edge is no name any more,
  // and its words would be read: "[mx.suspended-mail.exa")
  let rest = withoutAddresses(line.slice(span.end, span.end + 400)).slice(0, 200);
  if (rest.length < 200 && !SENTENCE_END.test(rest) && li + 1 < lines.length) {
    const next = lines.of(li + 1);
    if (!next.blank && !next.leadsEntry) rest += ' ' + withoutAddresses(next.clipped).slice(0, 200 - rest.length);
  }
  return rest.split(SENTENCE_END)[0];
}

const SENTENCE_END = /[.!?](?:\s|$)/;

/** After a list's last address on its line: the joiner that says the list goes on (",", ";", "and", "or", "&"). */
const LIST_JOINER_END = /^[>"'\s]*(?:[,;&]|\b(?:and|or))[\s]*$/i;
/** Before the first address of a line: the joiner that goes on with the list of the line above. */
const JOINER_LEAD = /^[\s]*(?:[,;&]|(?:and|or)\b)[\s<"']*$/i;

/**
 * Line `li` holds nothing but a list of addresses that goes on at the next line: its first
 * address opens it, list gaps stand between them, and a joiner ends it ("a@x, b@y and") or
 * opens the next line ("a@x, b@y" / "and c@z: ...").
 */
function listRunsOn(lines: Lines, li: number): boolean {
  const { spans } = lines.of(li);
  if (!spans.length || li + 1 >= lines.length) return false;
  const line = lines.lines[li];
  if (!LEADS.test(line.slice(0, spans[0].start))) return false;
  for (let k = 1; k < spans.length; k++) if (!LIST_GAP.test(line.slice(spans[k - 1].end, spans[k].start))) return false;
  const tail = line.slice(spans[spans.length - 1].end);
  if (tail.length > 40) return false;
  if (LIST_JOINER_END.test(tail)) return true;
  const next = lines.of(li + 1).spans[0];
  return /^[>"'\s]*$/.test(tail) && next !== undefined && next.start <= 40 && JOINER_LEAD.test(lines.lines[li + 1].slice(0, next.start));
}

/**
 * The role the line above gives an address that opens its line, when the line above leaves
 * its sentence open: a wrapped help sentence ("If you need help, please contact our help desk
 * at" / "helpdesk@x or call ..."), or the sender ("... because the sender" / "news@x is not
 * allowed to ..."). Such an address is never a failed recipient. A help clause counts only as
 * the last clause of the line above (after its last , ; . ! ?), and only when the address's
 * own line is no entry with its own failure ("a@b: 550 ..."); the sender or a new address ("...
 * please try" / "<b@y>") or a message identifier ("Message-ID:" / "<id@host>"), whatever its
 * line says. One blank line may stand between.
 */
function carriedRole(lines: Lines, li: number, depth = 0): 'help' | 'sender' | 'new address' | 'message id' | 'alias' | null {
  if (li === 0) return null;
  // (one blank line may stand between: Exim's "A message sent by" / "" / "  <news@x>")
  let k = li - 1;
  if (k > 0 && lines.of(k).blank) k--;
  const above = lines.of(k);
  // Postfix's and Sendmail's alias note broken by a re-wrap: "<a@x> (expanded from" / "<b@y>):
  // ...": b@y is the address the sender wrote, a@x (the entry above) the one that failed
  if (k === li - 1 && ALIAS_NOTE_OPEN.test(above.clipped)) return 'alias';
  // (a list entry above is another entry, not a sentence leading into this line)
  if (above.blank || above.leadsEntry) return null;
  const text = above.clipped;
  if (/[.!?]$/.test(text)) return null;
  const tail = withoutAddresses(text.slice(Math.max(0, text.length - LEAD_CHARS)));
  if (SENDER.test(tail)) return 'sender';
  if (NEW_ADDRESS.test(tail)) return 'new address';
  // a wrapped "Message-ID:" / "<id@host>"
  if (MESSAGE_ID_LEAD.test(tail)) return 'message id';

  // (a help clause ending a remote server's reply counts as well: "550 5.1.1 mailbox closed.
  // For help write to" / "helpdesk@x". On the line itself, help words inside the reply are not
  // the line's, since the address there stands before the reply; here it is the clause's object)
  const clauses = tail.split(/[,;.!?](?:\s|$)/);
  const last = clauses[clauses.length - 1];
  // (a help clause that names its own web address is closed: "Please visit https://x/y" over
  // the next entry of Exim's list)
  const ownEntry = lines.of(li).failure && ownStatement(lines, li);
  if (HELP.test(last) && !HAS_URL.test(last) && !ownEntry) return 'help';
  // A help sentence that names more than one address goes on over them: "please contact our
  // help desk at" / "helpdesk@x" / "or see https://x/ndr (ticket" / "t-4711@x).": the line
  // above continues the sentence of a help address's line (a re-wrap put each on its own line).
  // Up to MAX_CARRY such steps; a heading or a failure statement ends the sentence.
  if (k === li - 1 && k > 0 && depth < MAX_CARRY && !ownEntry && !above.heading && !above.failure) {
    const j = k - 1;
    const first = lines.of(j);
    if (first.leadsEntry && !/[.!?]$/.test(first.clipped) && carriedRole(lines, j, depth + 1) === 'help') return 'help';
  }
  return null;
}
/** Lines of one help sentence carried over to the address after them (carriedRole): at most this many steps up. */
const MAX_CARRY = 3;
const HAS_URL = /\b(?:https?:\/\/|www\.)/i;
/**
 * The line's first address has its own statement right after it ("a@b: 550 ...", "<a@b>... User
 * unknown", "a@b - mailbox full"): an entry, not the object of a help sentence above; a failure
 * word elsewhere on the line ("support@x (Fehler 550).") is not its own.
 */
function ownStatement(lines: Lines, li: number): boolean {
  const first = lines.of(li).spans[0];
  return first !== undefined && OWN_AFTER.test(lines.lines[li].slice(first.end, first.end + 8));
}
const OWN_AFTER = /^>?[ \t]*(?::|\.\.\.|-[ \t])/;

/** The line is the next line of a multi-line reply, and the line above leaves it a role (a new address, help, the sender). */
function carriedByReply(lines: Lines, li: number, lead: string): boolean {
  return li > 0 && continuesReply(lines.lines[li - 1], lead) && carriedRole(lines, li) !== null;
}

/** Whether `above` is an earlier line of the same multi-line reply as the one `lead` opens ("551-..." above "551 ..."). */
function continuesReply(above: string, lead: string): boolean {
  const code = REPLY_CODE_AT_START.exec(lead);
  const prev = MULTILINE_REPLY_AT_START.exec(above.length > 64 ? above.slice(0, 64) : above);
  return code !== null && prev !== null && code[1] === prev[1];
}
/** A 4xx/5xx reply's code opening a line (after quote marks, Sendmail's "<<<"); the first line of a multi-line one. */
const REPLY_CODE_AT_START = /^[ \t>]*(?:<<<[ \t]*)?([45]\d\d)[ -]/;
const MULTILINE_REPLY_AT_START = /^[ \t>]*(?:<<<[ \t]*)?([45]\d\d)-/;

/**
 * The address stands inside the remote reply that the entry on line `entryLine` (the last
 * address read as one; `previous`, the one just before on the same line) got. On the entry's
 * own line after `said:`: "<a@x>: host mx said: 550 5.1.1 <b@y>: Recipient address rejected"
 * (Postfix's "host <h> said: <reply>"). On the entry's continuation lines: the same reply
 * wrapped, "<a@x>: host mx said: 550 5.1.1" / "    <b@y>: Recipient address rejected";
 * Sendmail's "<a@x>" / "    (reason: 550 5.1.1 <b@y>... User unknown)" and its transcript's
 * ">>> RCPT To:<a@x>" / "<<< 550 5.1.1 <b@y>...". The reply answers a@x; b@y is the name the
 * remote knew it by (an alias, its canonical form), not another failed recipient (issue #13,
 * harm 1). A continuation line is indented deeper than its entry, or is a transcript's command
 * or reply line, or stands under an entry that is an address alone; no blank line and no other
 * address stand between; and the address is the reply's: a reply code before it on its line, or
 * the line above ends in one and only brackets stand before it. One-line entries each with a
 * code of their own ("554 <a@x>... reason" / "550 <b@y>... reason") are not indented under each
 * other: not read so.
 */
function namedByItsReply(lines: Lines, entryLine: number, previous: { span: AddressSpan; c: Candidate } | null, li: number, span: AddressSpan): boolean {
  // (on one line: `said:` between the entry and the address next to it; only that gap is read,
  // so a line of many addresses is read once)
  if (li === entryLine) return previous !== null && previous.c.line === li && SAID.test(lines.lines[li].slice(previous.span.end, span.start));
  if (li < entryLine || li - entryLine > 6) return false;
  const entry = lines.of(entryLine);
  // The entry's own line cut by a relay's re-wrapping ("<a@x>: host mx.example[192.0.2.1]" /
  // "said: 550 5.1.1", the rest at the margin): the lines up to the one that says "said:" are
  // the rest of it, whatever their indentation.
  let cutUntil = -1;
  if (!SAID.test(lines.lines[entryLine])) {
    for (let k = entryLine + 1; k <= li; k++) {
      if (SAID.test(lines.lines[k])) {
        cutUntil = k;
        break;
      }
    }
  }
  for (let k = entryLine + 1; k <= li; k++) {
    const f = lines.of(k);
    if (f.blank || (k < li && f.spans.length > 0)) return false;
    // (under an address alone on its line, "<a@x>:" as qmail writes it and relays copy, the
    // lines up to the next blank one are its block, indented or not)
    const text = lines.lines[k];
    if (!entry.bareEntry && k > cutUntil && f.indent <= entry.indent && !REPLY_LINE_HEAD.test(text) && !SENT_LINE.test(text)) return false;
  }
  const line = lines.lines[li];
  if (REPLY_IN_LEAD.test(line.slice(Math.max(0, span.start - LEAD_CHARS), span.start))) return true;
  return OPENING_ONLY.test(line.slice(0, span.start)) && REPLY_OPENING_ENDS.test(lines.lines[li - 1]);
}
const OPENING_ONLY = /^[\s<("'[]*$/;
/** A line that ends in a reply's code (and enhanced code): the reply goes on on the next line. */
const REPLY_OPENING_ENDS = /(?:^|[\s:;>([])[45]\d\d(?:[ -]#?[245]\.\d{1,3}\.\d{1,3})?[ \t]*$/;

/**
 * A lead without the reply codes inside it: the lines of a multi-line reply (RFC 5321 §4.2.1)
 * joined onto one line keep each line's code ("551-5.1.6 User not local; please try 551 5.1.6").
 */
function withoutJoinedCodes(lead: string): string {
  return lead.includes(' ') ? lead.replace(JOINED_CODE, ' ') : lead;
}
const JOINED_CODE = / [45]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3} )?/g;

const SAID = /\bsaid:/i;

/** The last sentence of a lead. */
function lastSentence(lead: string): string {
  const parts = lead.split(/[.!?](?:\s|$)/);
  return parts[parts.length - 1];
}

/**
 * The failure stated in the block below a bare address line: the first non-blank line after it
 * (at most two blank lines down) when it states a failure, names no address and is no help
 * text.
 */
function failureBelow(lines: Lines, li: number): string | null {
  let blanks = 0;
  for (let k = li + 1; k < lines.length && blanks <= 2; k++) {
    const f = lines.of(k);
    if (f.blank) {
      blanks++;
      continue;
    }
    return f.failure && !f.help && f.spans.length === 0 ? f.clipped : null;
  }
  return null;
}

/** The last stamped line of the transcript session that line `li` opens (at most 60 lines down). */
function sessionEnd(lines: Lines, li: number): string {
  let last = '';
  for (let k = li + 1; k < lines.length && k <= li + 60; k++) {
    const t = lines.of(k).clipped;
    if (!STAMPED.test(t)) break;
    last = t;
  }
  return last;
}

/**
 * How line `li` states that delivery to the address at `span` failed, with the failure text;
 * null when it does not. `previous` is the address accepted just before on the same line.
 */
/**
 * Whether the text before `start` on its line is part of the same web address: the run of
 * characters back to the last blank or bracket (at most 400) holds "://", starts "www.", or
 * holds a path and its query ("/Why?") or a query's first key ("?s=").
 */
function inWebAddress(line: string, start: number): boolean {
  let k = start;
  const stop = Math.max(0, start - 400);
  while (k > stop) {
    const c = line.charCodeAt(k - 1);
    // blank, tab, < > " ' ( ) [ ]
    if (c === 32 || c === 9 || c === 60 || c === 62 || c === 34 || c === 39 || c === 40 || c === 41 || c === 91 || c === 93) break;
    k--;
  }
  if (k === start) return false;
  const run = line.slice(k, start);
  // (or a path or a query before the address: a URL whose start was cut, Sendmail's
  // "S...openspf.net/Why?s=mfrom;id=<sender>", "SPF...Why?s=mfrom;id=<sender>")
  return run.includes('://') || /^www\./i.test(run) || /\/[^/?]*\?/.test(run) || /\?\w*=/.test(run);
}

/**
 * An address named by a remote reply, as that reply's failed recipient; null when the reply
 * answered MAIL FROM. That command carries the sender's address alone (RFC 5321 §3.3), so an
 * address its refusal names is the sender's ("host mx said: 550 5.7.0 <news@x>... Please use the
 * smtp server of your ISP (in reply to MAIL FROM command)", a transcript's "<<< 550 <news@x>..."
 * under ">>> MAIL From:<news@x>"). The entry's own address, which that refusal failed, is read
 * where it leads its line. (An address a transcript or a narration gives as MAIL FROM's is
 * never a recipient: `mailFromAddresses`.)
 */
function ownReply(text: string): { shape: Shape; text: string } | null {
  return findCommand(text) === 'MAIL' ? null : { shape: 'reply', text };
}

function statementOf(
  lines: Lines,
  li: number,
  span: AddressSpan,
  previous: { span: AddressSpan; c: Candidate } | null,
  opening: { failed: boolean },
): { shape: Shape; text: string; command?: string; envelope?: boolean } | null {
  const line = lines.lines[li];
  const f = lines.of(li);
  const lead = line.slice(Math.max(0, span.start - LEAD_CHARS), span.start);
  const around = () => textAround(lines, li, span);
  // a message identifier named as one ("Your message <id@host>", "Message-ID: <id@host>")
  if (MESSAGE_ID_LEAD.test(lead)) return null;
  // part of a web address: an SPF explanation's "http://www.openspf.net/Why?s=mfrom;id=<sender>",
  // an unsubscribe link's "?email=<subscriber>" name no failed recipient
  if (inWebAddress(line, span.start)) return null;
  // 2. a reply line naming the address as its subject; but the last line of a multi-line reply
  //    (RFC 5321 §4.2.1) carries on the line above it: "551-5.1.6 User not local; please try" /
  //    "551 5.1.6 <b@y>" names the new address, as the same words on one line do
  if (REPLY_LEAD.test(lead)) return carriedByReply(lines, li, lead) ? null : ownReply(around());
  // an address opening a line that continues the sentence above as its help or its sender
  if (span.start < LEAD_CHARS && LEADS.test(lead) && carriedRole(lines, li)) return null;
  // 1. the address leads the line (3: a bare entry of a list under a failure heading)
  if (span.start < LEAD_CHARS && leadsLine(lead, f.help)) {
    const t = around();
    if (statesFailure(t)) return { shape: 'leading', text: t };
    const h = f.bareEntry ? lines.headingOf(li) : -1;
    // (a failure sentence right above the list, not a heading announcing it, is the entries'
    // reason: Lotus Notes' "User not listed in public Name & Address Book" over the address)
    if (h >= 0) return { shape: 'list', text: lines.of(h).heading ? t : oneLine(`${lines.of(h).clipped} ${t}`) };
    // an address alone, its failure in the block below it ("kijitora@example.jp" then, after
    // a blank line, "Reason: mailbox full")
    const below = f.bareEntry ? failureBelow(lines, li) : null;
    if (below) return { shape: 'list', text: oneLine(`${t} ${below}`) };
    return null;
  }
  // 6. a transcript's RCPT TO that failed
  if (RCPT_LEAD.test(lead)) {
    const failed = transcriptFailure(lines, li, span.address);
    return failed ? { shape: 'transcript', text: failed.reply, command: failed.command } : null;
  }
  // 6. the envelope summary of a transcript's session, in a notice that states the failure:
  //    the session's last line is how it ended (a reply, or the MTA's own words)
  if (opening.failed && ENVELOPE_TO_LEAD.test(lead)) return { shape: 'list', text: oneLine(`${f.clipped} ${sessionEnd(lines, li)}`), envelope: true };
  // 3. the next address of a list on one line ("a@b, c@d: 550 ...")
  if (previous) {
    const gap = line.slice(previous.span.end, span.start);
    if (LIST_GAP.test(gap)) return { shape: previous.c.shape, text: previous.c.text, command: previous.c.command };
    // each with its own reason in brackets ("a@b (unknown user); c@d (mailbox full)"): the
    // previous entry's text is its own part of the line, and this one's is the rest up to the
    // next address; a bracket that names no failure ("a@b (Alice), c@d: 550 ...") is a name
    const own = gap.length <= 1000 ? OWN_REASON_GAP.exec(gap) : null;
    if (own) {
      if (!statesFailure(own[1])) return { shape: previous.c.shape, text: previous.c.text, command: previous.c.command };
      if (previous.c.line === li) previous.c.text = oneLine(line.slice(previous.span.start, previous.span.end + gap.lastIndexOf(')') + 1));
      const next = spanAfter(f.spans, span);
      let part = line.slice(span.start, next ? next.start : Math.min(line.length, span.end + 1000));
      // a re-wrap broke the list at this entry, the last on its line: its bracket opens on the next
      // line, or opens here and closes there
      if (!next && li + 1 < lines.length) {
        const after = line.slice(span.end);
        const unclosed = after.split('(').length > after.split(')').length;
        if (unclosed || (!after.trim() && /^[ \t>]*\(/.test(lines.lines[li + 1]!))) part += ' ' + lines.of(li + 1).clipped;
      }
      const text = oneLine(withoutListTail(part));
      return { shape: previous.c.shape, text: statesFailure(text) ? text : previous.c.text, command: previous.c.command };
    }
  }
  // 3. Sendmail's "(expanded from: <a>)" under a list entry that is a program or a file ("|/usr/
  //    bin/deliver", "/var/mail/a"): a was the address expanded to it, the recipient that failed
  if (EXPANDED_LEAD.test(lead)) return expandedEntry(lines, li);
  // (the role words read without the codes a multi-line reply joined onto one line repeats:
  // "said: 551-5.1.6 User not local; please try 551 5.1.6 <b@y>", Postfix's smtp(8) quoting)
  const words = withoutJoinedCodes(lead);
  if (f.help || SENDER.test(words) || NEW_ADDRESS.test(words)) return null;
  // help wording in the address's own sentence, even after a quoted reply ("550 5.1.1 user
  // unknown. Please write to new.desk@x instead"): the line's help test stops at the reply
  const own = lastSentence(withoutAddresses(words));
  if (HELP.test(own)) return null;
  // 2. the address inside a quoted reply ("Remote host said: 550 5.1.1 <a@b>... User unknown",
  //    "550 Mailbox a@b is full")
  if (REPLY_IN_LEAD.test(lead)) return carriedByReply(lines, li, lead) ? null : ownReply(around());
  // 4. a failure sentence with the address as its object ("Unable to deliver message to
  //    <a@b>", "Mailbox for a@b is over quota"), its subject ("The mailbox a@b is full"), or in
  //    brackets after it ("User unknown (a@b)"): the failure in the same sentence, before or
  //    after the address, unless it has an object of its own ("your message to list@x could not
  //    be delivered to a member")
  const before = words === lead ? own : lastSentence(withoutAddresses(lead));
  if (BRACKETED_LEAD.test(lead) && FAILURE.test(before)) return { shape: 'sentence', text: around() };
  if (OBJECT_LEAD.test(lead) || NOUN_LEAD.test(lead) || MESSAGE_TO_LEAD.test(lead)) {
    const after = sentenceAfter(lines, li, span);
    if (FAILURE.test(before) || (FAILURE.test(after) && !/\b(?:deliver(?:ed|y)?|sent|forwarded|relayed) to\b/i.test(after))) return { shape: 'sentence', text: around() };
  }
  // 5. a labelled address ("target mail address:", "Recipient:") in a notice that states the
  //    failure in the address's block or in its opening prose
  if (LABEL_LEAD.test(lead) && (blockStatesFailure(lines, li) || (opening.failed && !blockStatesSuccess(lines, li)))) return { shape: 'label', text: around() };
  return null;
}

/** Sendmail's alias note below a list entry: "    (expanded from: <a@b>)". */
const EXPANDED_LEAD = /^[ \t]+\(\s*expanded from:?\s*<?$/i;

/**
 * The list entry an "(expanded from: <a>)" line `li` belongs to: the entry line above it (at
 * most three lines up, past its indented "(reason: ...)" lines), when it is listed under a
 * failure heading; the entry's block is the address's text.
 */
function expandedEntry(lines: Lines, li: number): { shape: Shape; text: string } | null {
  for (let k = li - 1; k >= 0 && k >= li - 3; k--) {
    const up = lines.of(k);
    if (up.blank) return null;
    if (up.indented) continue;
    // an entry that is an address was expanded from an alias or a list the sender wrote
    // ("<jane@x>" / "(expanded from: <team@y>)"): jane@x failed, team@y did not (as RFC 3464's
    // Original-Recipient beside the Final-Recipient); only a program, a file or a local user
    // name has no address of its own to stand for
    if (up.spans.length > 0) return null;
    if (lines.headingOf(k) < 0 || !lines.of(lines.headingOf(k)).heading) return null;
    let text = '';
    for (let i = k; i <= li; i++) text += ' ' + lines.of(i).clipped;
    return { shape: 'list', text: oneLine(text) };
  }
  return null;
}

/** The line of each address's first transcript RCPT TO command (">>> RCPT To:<a>", "In:  RCPT TO:<a>"). */
function transcriptRcptLines(lines: Lines, end: number): Map<string, number> {
  const at = new Map<string, number>();
  for (let i = 0; i < end; i++) {
    const line = lines.lines[i];
    if (line.indexOf('@') < 0 || !/rcpt to/i.test(line)) continue;
    for (const sp of lines.of(i).spans) {
      if (!at.has(sp.address) && RCPT_LEAD.test(line.slice(Math.max(0, sp.start - LEAD_CHARS), sp.start))) at.set(sp.address, i);
    }
  }
  return at;
}

export function detectFallback(view: MailView): DetectorResult | null {
  if (!looksLikeFailure(view)) return null;
  // Outlook's and Exchange's reports that are no delivery failure, by their documented subjects:
  // a read receipt ("Read:", "Not read:"), a delivery or relay receipt ("Delivered:",
  // "Relayed:"), a message recall ("Recall:", "Message Recall Failure:", "Message Recall
  // Success:", "Message Recall Report for message:")
  if (NOT_A_FAILURE_SUBJECT.test(view.subject)) return null;
  let text = textHead(view.reportText, 200_000);
  const own = ownAddresses(view);
  for (const a of mailFromAddresses(text)) own.add(a);
  const lines = new Lines(text);
  // a signature, or a reply attribution over quoted lines, ends what the report says
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    if (SIGNATURE.test(lines.lines[i]) || quotesBelow(lines, i)) {
      end = i;
      text = lines.lines.slice(0, i).join('\n');
      break;
    }
  }
  // an address the report names as the sender, named first and then said to be ("553 5.1.8
  // <news@x>... Domain of sender address news@x does not exist", "<news@x>: Sender address
  // rejected: ..."), is the sender's wherever it stands: Postfix's reject_unverified_sender
  // quotes its probe of the sender's own server, "said: 550 5.1.1 <news@x>: Recipient address
  // rejected"
  for (let i = 0; i < end; i++) {
    if (lines.lines[i].indexOf('@') < 0) continue;
    for (const sp of lines.of(i).spans) if (saysSenderAfter(lines.lines[i], sp)) own.add(sp.address);
  }
  const found = new Map<string, Candidate>();
  // the notice's opening prose says that delivery failed ("Delivery failed.", "your message
  // could not be delivered")
  // (read when a statement first asks: a notice whose lines name no address never does)
  const said = text;
  let openingFailed: boolean | undefined;
  const opening = {
    get failed(): boolean {
      return (openingFailed ??= FAILURE_PROSE.test(oneLine(said.slice(0, 2000))));
    },
  };
  // the line of the last address read as an entry (found now or before): the reply it got may name it otherwise
  let entryLine = -1;
  // Addresses of a list that runs on to the next line ("Delivery to these recipients failed:" /
  // "a@x, b@y and" / "c@z: 550 5.1.1 User unknown": a re-wrap, or an MTA's own wrapping): the
  // lines above that hold only addresses and end in a list's joiner (or whose next line opens
  // with one: listRunsOn), their addresses with no statement of their own. They take the
  // statement of the address that opens the next line.
  let carried: { span: AddressSpan; line: number }[] = [];
  /** The last line such a list ran on from. */
  let ranOn = -2;
  for (let i = 0; i < end; i++) {
    const line = lines.lines[i];
    if (line.indexOf('@') < 0 || HEADER_LIKE.test(line)) {
      carried = [];
      continue;
    }
    const carry = carried;
    carried = [];
    const runOn = ranOn === i - 1;
    const runsOn = listRunsOn(lines, i);
    if (runsOn) ranOn = i;
    let previous: { span: AddressSpan; c: Candidate } | null = null;
    // the line above ends in a quoted-printable soft break left undecoded ("...<mailto:jane.do=" /
    // "e@example.org>"): the line's first word is the rest of a word, not an address of its own
    const broken = i > 0 && SOFT_BREAK_END.test(lines.lines[i - 1]);
    for (const sp of lines.of(i).spans) {
      const a = sp.address;
      if (own.has(a) || SERVICE_LOCAL.test(a) || (broken && sp === lines.of(i).spans[0] && SOFT_BREAK_REST.test(line.slice(0, sp.start)))) {
        // A service address as an entry ("<discuss-owner@lists.x>: host ... said:") is not taken,
        // but the reply under it is still its own: an address named there ("550 5.7.1 Only
        // members may post to discuss@lists.x") is no failed recipient either (issue #13 harm 1).
        if (!own.has(a) && sp === lines.of(i).spans[0] && LEADS.test(line.slice(0, sp.start)) && ownStatement(lines, i)) entryLine = i;
        previous = null;
        continue;
      }
      const known = found.get(a);
      // the address again inside its own bracketed reason ("a@x (550 5.1.1 <a@x> recipient
      // rejected), b@y (...)"): words of that reason, and the next entry's previous is still a@x
      if (known && previous && previous.c === known && previous.span.address === a && insideBracket(line.slice(previous.span.end, sp.start))) continue;
      if (known) {
        // a list entry says only that the address failed; a later section may quote the
        // remote reply that names it (X3's "Technical details:" / "SMTP:RCPT host ...: 553
        // 5.3.0 <a>... No such user here", m-FILTER's "-------server message"): that reply
        // is this address's reason, not the report's prose. Once stated, no further look.
        if (known.shape === 'list' && !statesFailure(known.text)) {
          const st = statementOf(lines, i, sp, null, opening);
          if (st && (st.shape === 'reply' || st.shape === 'sentence') && statesFailure(st.text)) Object.assign(known, { text: st.text, line: i, shape: st.shape, command: st.command });
        }
        if (known.replyOnly && !REPLY_LINE_HEAD.test(line)) known.replyOnly = false;
        previous = { span: sp, c: known };
        entryLine = i;
        continue;
      }
      if (entryLine >= 0 && namedByItsReply(lines, entryLine, previous, i, sp)) {
        previous = null;
        continue;
      }
      let st = statementOf(lines, i, sp, previous, opening);
      // (the list's last address after the joiner that opens this line: "and c@z: 550 ...")
      if (!st && runOn && sp === lines.of(i).spans[0] && JOINER_LEAD.test(line.slice(0, sp.start))) {
        const t = textAround(lines, i, sp);
        if (statesFailure(t)) st = { shape: 'leading', text: t };
      }
      if (!st) {
        if (runsOn) carried.push({ span: sp, line: i });
        previous = null;
        continue;
      }
      if (carry.length && sp === lines.of(i).spans[0] && (LEADS.test(line.slice(0, sp.start)) || JOINER_LEAD.test(line.slice(0, sp.start)))) {
        for (const k of carry) if (!found.has(k.span.address)) found.set(k.span.address, { address: k.span.address, text: st.text, line: k.line, shape: st.shape, command: st.command });
        carry.length = 0;
      }
      const c: Candidate = { address: a, text: st.text, line: i, shape: st.shape, command: st.command, envelope: st.envelope, replyOnly: REPLY_LINE_HEAD.test(line) };
      found.set(a, c);
      previous = { span: sp, c };
      entryLine = i;
    }
    // (a list over three lines and more: what this line carried goes on with its own; added to
    // in place, as a copy per line would be quadratic in a long list)
    if (runsOn && carry.length) {
      for (const k of carried) carry.push(k);
      carried = carry;
    }
  }
  // A transcript's remote reply names the recipient as the remote knows it; the report names the
  // failed recipients in its own places (its entries, the RCPT TO commands): an address on reply
  // lines only, beside such others, is a name the remote gave one of them (Sendmail's transcript,
  // ">>> DATA" / "<<< 550 5.1.1 <b@y>... User unknown" under the list entry "<a@x>"; issue #13
  // harm 1). Alone, it is all the report says of who failed, and stays.
  // (asked once: a transcript of thousands of reply lines must not be read once per address)
  let stated = false;
  for (const c of found.values()) stated ||= !c.replyOnly;
  if (stated) for (const [a, c] of found) if (c.replyOnly) found.delete(a);
  const subject = view.subject;
  // (read when first needed: most notices never ask)
  let delayedMemo: boolean | undefined;
  const delayed = (): boolean => (delayedMemo ??= DELAY.test(subject) || DELAY.test(said.slice(0, 4000)));
  const cands = [...found.values()];
  // the report's own X-Failed-Recipients field (Exim's, which Gmail and other generators copy)
  // states which addresses failed when the text names none of them
  if (!cands.length) {
    const named = new Set<string>();
    for (const v of headerValues(view.headers, 'x-failed-recipients')) {
      for (const a of findAddresses(textHead(v, 4096))) {
        if (own.has(a) || SERVICE_LOCAL.test(a) || named.has(a)) continue;
        named.add(a);
        cands.push({ address: a, text: '', line: -1, shape: 'list' });
      }
    }
  }
  if (!cands.length) {
    // a failure notice that names no failed address: a bounce, but nobody to record
    const from = headerValue(view.headers, 'from') ?? '';
    if ((BOUNCE_FROM.test(from) || BOUNCE_SUBJECT.test(subject)) && FAILURE_PROSE.test(oneLine(text.slice(0, 20000)))) {
      return { kind: delayed() ? 'delay' : 'bounce', recipients: [], warnings: ['no failed recipient named in the report'] };
    }
    return null;
  }

  // A list entry (or any statement without a reply of its own: SecurityGateway's "Failed
  // address: <a>") says only that the address failed; a session transcript in the same report
  // may say how, per address (Sendmail's "permanent fatal errors" list, then ">>> RCPT To:<a>"
  // / "<<< 550 ..." for each): each address takes its own reply, not the report's last one.
  // A remote reply that names the address (Sendmail's "<<< 550 <a>... User unknown", or the
  // "(reason: 550 ...)" under its list entry) has its own text but not its command: the
  // transcript's ">>> RCPT To:<a>" and the reply to it say which (the reply on the address's own
  // line within the transcript's reach of that command, or a list entry's with the same code).
  const bare = (c: Candidate) => c.shape === 'list' || (c.shape !== 'transcript' && findReplyCode(c.text) === null);
  const phaseless = (c: Candidate) => !c.command && c.line >= 0 && c.shape !== 'transcript';
  if (cands.some(bare) || cands.some(phaseless)) {
    const rcptAt = transcriptRcptLines(lines, end);
    const through = new Set<Candidate>();
    for (const c of cands) {
      if (!bare(c)) {
        const at = phaseless(c) ? rcptAt.get(c.address) : undefined;
        if (at === undefined) continue;
        const failed = transcriptFailure(lines, at, c.address);
        const same = at < c.line ? c.line <= at + 40 : failed !== null && findReplyCode(failed.reply) === findReplyCode(c.text);
        if (failed && same) c.command = failed.command;
        continue;
      }
      const at = rcptAt.get(c.address);
      const failed = at === undefined ? null : transcriptFailure(lines, at, c.address);
      if (failed) Object.assign(c, { shape: 'transcript', text: failed.reply, command: failed.command });
      // an envelope summary's recipient whose own RCPT TO went through, the message too: not failed
      else if (at !== undefined && c.envelope) through.add(c);
    }
    if (through.size) {
      cands.splice(0, cands.length, ...cands.filter((c) => !through.has(c)));
      if (!cands.length) return { kind: delayed() ? 'delay' : 'bounce', recipients: [], warnings: ['no failed recipient named in the report'] };
    }
  }
  for (const c of cands) if (c.shape !== 'transcript') c.text = withReasonLine(lines, c.line, sessionReply(lines, c, c.text));
  // (a list entry's previous address shares its text and command)

  let prose: Prose | null = null;
  let sole: string | null | undefined;
  const deferred = deferredEntries(lines, end);
  const recipients: RecipientReport[] = cands.map((c) => {
    // a list entry says only that the address failed: the report's one reply line says why
    // (MailMarshal: "Could not be delivered because of" / "550 5.1.1 User unknown" above "The
    // following recipients were affected:"), else the report's prose may
    const stated = c.text && statesFailure(c.text) ? c.text : null;
    // a sentence that states the failure without the server's reply ("Your message to x was
    // rejected." / "" / "550 5.1.1 User unknown"): the report's one reply line gives it
    const uncoded = stated !== null && !findReplyCode(stated) && !findStatusCode(stated);
    if ((!stated || uncoded) && sole === undefined) sole = soleReplyLine(lines, end);
    // (a reply naming another address is that address's: m-FILTER lists two, quotes one reply)
    const soleHere = sole && namesOther(sole, c.address) ? null : sole;
    const diag = (uncoded && soleHere ? oneLine(`${soleHere} ${stated}`) : stated) ?? soleHere ?? proseDiagnostic((prose ??= readProse(text)), c.address) ?? (c.text || null);
    return newRecipient(normalizeAddress(c.address) ?? c.address, {
      // a delay notice's entry stays delayed unless its own reply is permanent (that first: a
      // permanent reply needs no look for a delay statement)
      action: !statesPermanent(diag) && (deferred.has(c.address) || delayed()) ? 'delayed' : 'failed',
      status: findStatusCode(diag),
      replyCode: findReplyCode(diag),
      diagnosticCode: diag,
      command: c.command ?? findCommand(diag),
    });
  });
  return { kind: recipients.every((r) => r.action === 'delayed') ? 'delay' : 'bounce', recipients };
}

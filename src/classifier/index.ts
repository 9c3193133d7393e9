// The classifier: ParsedReport -> one Verdict per recipient. PURE.
//
// reason    the first tier of ./rules.ts that answers (provider conventions, phrase tables,
//           the status code's registered meaning), after the report kind has spoken for
//           non-bounces. When a reply quotes an inner reply ("554 4.4.7 Message expired ...
//           <421 4.4.2 Connection timed out>", "... -> 550 Unknown user"), the inner one is the
//           informative one: it is decided first, the outer one only when the inner says nothing.
// status    the report's code as reported, else one derived from reply code + reason (statusDerived).
// hardbounce  the address itself is permanently undeliverable: userunknown, hostunknown,
//           hasmoved (permanent by nature once the MTA gave up: Action failed), and notaccept
//           only with a 5xx / 5.x.x failure (a 4xx "not accepting" is a host condition).
// type      hard: failed with 5.x.x / 5xx; soft: failed with 4.x.x (expired after retries);
//           pending: delayed or a 4xx not yet final; none: not a bounce.
// default   nothing said why: a delayed message that never made it has expired; otherwise
//           `onhold` when there was text, `undefined` when there was none.
//
// category (what senders are told), by reason:
//   | reason                                                     | category      |
//   |------------------------------------------------------------|---------------|
//   | userunknown, hostunknown, hasmoved, notaccept               | unknown_user  |
//   | mailboxfull                                                 | mailbox_full  |
//   | contenterror, emailtoolarge, virusdetected, notcompliantrfc | content       |
//   | spamdetected, filtered                                      | spam          |
//   | policyviolation, authfailure, securityerror, blocked,       | policy        |
//   |   badreputation, requireptr, norelaying, rejected,          |               |
//   |   failedstarttls, ratelimited (sender-side fix needed)      |               |
//   | any other reason, permanent                                 | other         |
//   | any other reason, transient (pending or soft)               | temporary     |
//   | delivered, feedback, vacation, or kind unknown              | none          |
// `filtered` is recipient-side filtering (Japanese carriers' sender filters, "user reject"):
// for the sender it behaves like spam filtering, hence `spam`. `rejected` is the sender address
// being refused: a sender-side policy matter.
import type { BounceType, Category, ParsedReport, Reason, RecipientReport, Verdict } from '../report.js';
import { decide, normaliseText, type DecideInput, type RuleMatch } from './rules.js';
import { withoutHostNames } from '../host-name.js';
import { DERIVED_STATUS } from './status.js';

export { decide, ruleEntries } from './rules.js';
export type { DecideInput, RuleEntry, RuleMatch } from './rules.js';

const CATEGORY: Partial<Record<Reason, Category>> = {
  userunknown: 'unknown_user', hostunknown: 'unknown_user', hasmoved: 'unknown_user', notaccept: 'unknown_user',
  mailboxfull: 'mailbox_full',
  contenterror: 'content', emailtoolarge: 'content', virusdetected: 'content', notcompliantrfc: 'content',
  spamdetected: 'spam', filtered: 'spam',
  policyviolation: 'policy', authfailure: 'policy', securityerror: 'policy', blocked: 'policy',
  badreputation: 'policy', requireptr: 'policy', norelaying: 'policy', rejected: 'policy',
  failedstarttls: 'policy', ratelimited: 'policy',
};

const HARD_REASONS = new Set<Reason>(['userunknown', 'hostunknown', 'hasmoved', 'notaccept']);

/** The reply-code prefixes of a multi-line reply with this code, one regex per code (at most 200). */
const REPLY_PREFIX = new Map<string, RegExp>();
function replyPrefix(code: string): RegExp {
  let re = REPLY_PREFIX.get(code);
  if (!re) {
    // global: String.prototype.replace starts it at 0 and leaves it so, whoever used it last
    re = new RegExp(`\\s${code}[ -](?:[245]\\.\\d{1,3}\\.\\d{1,3}\\s)?`, 'g');
    REPLY_PREFIX.set(code, re);
  }
  return re;
}

/**
 * The text rules read: the diagnostic with its type when that type is not plain SMTP
 * (`x-unix; 255` says "local mailer"), and with the reply-code prefixes of multi-line replies
 * removed ("550-5.7.1 Messages with multiple 550 5.7.1 addresses in From:"), also when an MTA's
 * own words come first.
 */
const MULTILINE_OPENING = /(?:^|[\s:])([45]\d\d)-/;

/** `t` with the later line prefixes of a multi-line reply with this code dropped, from `from` on. */
function withoutRepeatedPrefixes(t: string, code: string, from: number): string {
  return t.slice(0, from) + t.slice(from).replace(replyPrefix(code), ' ');
}

function ruleText(diagnostic: string | null, diagnosticType: string | null = null): string {
  if (!diagnostic) return '';
  let t = diagnostic.length > 1500 ? diagnostic.slice(0, 1500) : diagnostic;
  // the reply opens the text, or a multi-line one ("550-") follows an MTA's words ("<a@b>: host
  // mx said: 550-5.7.1 ...", a notice's text that quotes it)
  const first = /^\s*([45]\d\d)[ -]/.exec(t) ?? MULTILINE_OPENING.exec(t);
  if (first) t = withoutRepeatedPrefixes(t, first[1], first.index + first[0].length);
  if (diagnosticType && diagnosticType !== 'smtp') t = `${diagnosticType}; ${t}`;
  return t;
}

// An inner reply quoted by an outer one: a reply code and an enhanced status code after the
// start of the text, behind a quoting mark ("<", "(", "[", "->", "said:", "responded:"). One
// bounded regex, run once over the (at most 1,500 character) text.
// (a "<" of Sendmail's "<<<" transcript mark opens no quote: the line it starts is the session's
// next reply, not one quoted inside this one)
const INNER = /(?:(?<!<)<(?!<)|\(|\[|->|said:|responded:|reply:) ?([45]\d\d)[ -]([45]\.\d{1,3}\.\d{1,3})?/;

/**
 * An outer reply about the sender: its enhanced code says so (RFC 3463 X.1.7 bad sender's
 * mailbox address, X.1.8 bad sender's system address), or its words do (Postfix's
 * smtpd_sender_restrictions, "<sender>: Sender address rejected: ..."). The reply it quotes is
 * then the answer about the sender (Postfix's reject_unverified_sender quotes its probe of the
 * sender's own server: "... said: 550 5.1.1 User unknown"), never about the recipient.
 */
const ABOUT_SENDER = /^[45]\.1\.[78]$/;
const SENDER_WORDS = /sender address rejected|sender verify failed/;

/**
 * The outer reply: at the start of the text, or after the reporting MTA's own words that end in
 * a colon ("<a@b>: host mx[192.0.2.1] said: 554 ...", "SMTP error from remote mail server after
 * end of data: 554 ..."), as plain-text notices quote it: a colon, then white space (a port,
 * "mx.example.org:465 ...", is no such colon). The words before it are at most 300 characters:
 * anchored and bounded, the lazy run tries each colon once.
 */
const OUTER = /^(?:[^\n]{0,300}?:\s+)?([45]\d\d)[ -](?:#?([45]\.\d{1,3}\.\d{1,3}))?/;

/** The inner reply of a nested one, when the text quotes a different reply after its own. */
export function innerReply(normalised: string): { text: string; replyCode: number; status: string | null } | null {
  const outer = OUTER.exec(normalised);
  if (!outer) return null;
  const rest = normalised.slice(outer[0].length);
  const m = INNER.exec(rest);
  if (!m) return null;
  // the same reply repeated ("554 554 5.7.0 ...") is not a nested one
  if (m[1] === outer[1] && (m[2] ?? null) === (outer[2] ?? null)) return null;
  if ((outer[2] && ABOUT_SENDER.test(outer[2])) || SENDER_WORDS.test(normalised.slice(0, outer[0].length + m.index))) return null;
  // (the inner reply's own multi-line prefixes go, as the outer's do in ruleText: "<421-4.7.0
  // ... unusual rate of 421-4.7.0 unsolicited mail ...>")
  const inner = rest.slice(m.index + m[0].indexOf(m[1]));
  return { text: withoutRepeatedPrefixes(inner, m[1], m[1].length + 1), replyCode: Number(m[1]), status: m[2] ?? null };
}

function classOf(r: RecipientReport): 2 | 4 | 5 | null {
  const c = r.status?.[0] ?? (r.replyCode ? String(r.replyCode)[0] : null);
  if (c === '5') return 5;
  if (c === '4') return 4;
  if (c === '2') return 2;
  return null;
}

const GENERIC_STATUS = /^[245]\.0\.0$/;

/**
 * Whether the failure was permanent (5) or transient (4), once the reason is known. The
 * Status field's class, except where it says less than the rest of the report:
 *  - a generic 5.0.0 beside a 4xx reply: the reply says it was transient (Exim writes
 *    `Status: 5.0.0` for every address it gives up on, a 421 that expired included). Not the
 *    other way round: a 4.0.0 beside a 5xx reply is the reporting MTA's decision to treat it
 *    as transient (Postfix after a 5xx greeting, soft_bounce), and the labels keep it so;
 *  - an expiry with no specific code and no permanent reply: the MTA gave up after temporary
 *    failures, a transient failure by nature (RFC 3463 X.4.7 is class 4 in Postfix's and
 *    Sendmail's reports);
 *  - the same for a wording that says the failure is temporary (`transient`, a table's flag:
 *    "Host not found, try again" in a failed notice that has no DSN part; the DSN of the same
 *    failure says 4.4.3, RFC 3463 X.4.3 "directory server failure", transient).
 */
function failureClass(r: RecipientReport, reason: Reason, transient: boolean): 2 | 4 | 5 | null {
  const cls = classOf(r);
  const reply = r.replyCode ? Math.floor(r.replyCode / 100) : null;
  const generic = !r.status || GENERIC_STATUS.test(r.status);
  if (r.status?.[0] === '5' && generic && reply === 4) return 4;
  if ((reason === 'expired' || transient) && generic && reply !== 5) return 4;
  return cls;
}

/**
 * Report families whose reports never say which SMTP command a reply answered: a missing
 * command there says nothing about the phase. OpenSMTPD (usr.sbin/smtpd/bounce.c) lists
 * "address: reply" lines and a generic Status (5.0.0) for RCPT and DATA refusals alike;
 * nullmailer (nullmailer-dsn: the smtp module's reply as the Diagnostic-Code, Status 5.0.0
 * for a reply without an enhanced code) and Haraka (outbound/hmail.js: the reply as the
 * Diagnostic-Code) do the same in RFC 3464 fields.
 */
const PHASE_NOT_REPORTED = new Set(['opensmtpd', 'nullmailer', 'haraka']);

/** What the classifier decides for one recipient; the rest of a Verdict is the report's. */
type Decision = Pick<Verdict, 'status' | 'statusDerived' | 'reason' | 'hardbounce' | 'category' | 'type' | 'rule' | 'matched'>;

/**
 * The verdict: the recipient's and the report's fields, then the decision. Spelled out: the
 * spread `{ ...base, status, reason, ... }` cost V8 (Node 20) microseconds per verdict, the
 * costliest line of a classify run. Every verdict has the same fields (statusDerived included).
 */
function verdictOf(report: ParsedReport, r: RecipientReport, d: Decision): Verdict {
  return {
    recipient: r.finalRecipient,
    kind: report.kind,
    action: r.action ?? null,
    replyCode: r.replyCode ?? null,
    diagnosticCode: r.diagnosticCode ?? null,
    remoteMta: r.remoteMta ?? null,
    reportingMta: report.reportingMta,
    originalMessageId: report.original?.messageId ?? null,
    feedbackType: report.feedback?.feedbackType ?? null,
    detector: report.detector,
    status: d.status,
    statusDerived: d.statusDerived,
    reason: d.reason,
    hardbounce: d.hardbounce,
    category: d.category,
    type: d.type,
    rule: d.rule,
    matched: d.matched,
  };
}

/**
 * `mx.example.jp.` / `mx.example.jp (192.0.2.1)` -> `mx.example.jp`. The trailing dots are
 * matched only from the first dot of a run (the look-behind): a plain /\.+$/ rescans a long run
 * of dots from each of its dots when the run does not end the value, quadratic in a Remote-MTA
 * field a stranger writes (test/security/redos.test.ts).
 */
function refusingHost(v: string | null): string | null {
  const h = v?.trim().split(/[\s[(]/)[0].replace(/(?<!\.)\.+$/, '').toLowerCase();
  return h || null;
}

/**
 * The text with the recipient's own address made neutral (`x@x.x`): an address is a name, not a
 * statement. "550 5.1.6 <userunknown@example.jp>: Recipient mailbox has moved" says the mailbox
 * moved whatever it is called, and a local part such as "nouser", "full" or "spamtrap" must not
 * decide a reason (issue #13 round 3, metamorphic tests: another reply in the same frame).
 */
function withoutRecipient(text: string, r: RecipientReport): string {
  for (const a of [r.finalRecipient, r.originalRecipient]) {
    if (a && a.length > 2 && text.includes(a)) text = text.split(a).join('x@x.x');
    // its local part alone ("unknown user: \"jane.doe\"", a mailbox's path ".../jane.doe"),
    // when it cannot be a word of the text: a digit, '.', '_' or '-' in it
    const local = a ? a.slice(0, a.lastIndexOf('@')) : '';
    if (local.length >= 4 && /[0-9._-]/.test(local)) text = withoutWord(text, local);
  }
  return withoutScanBanners(withoutAttribution(withoutAddresses(text)));
}

/**
 * The banner a mail gateway or desktop scanner stamps on every message it passes, notices
 * included, is no statement about this failure: "This email has been scanned for spam and
 * viruses by <product>" (Proofpoint Essentials, Symantec Email Security.cloud), "... scanned for
 * viruses and dangerous content by MailScanner, and is believed to be clean", "This email has
 * been checked for viruses by Avast antivirus software", "No virus found in this message" (AVG).
 * Their words ("spam", "virus found") decided the reason of a notice that carried one below its
 * own text (the metamorphic harness's gateway-footer: a dead mailbox read `virusdetected`). A
 * sentence goes when it is such a banner: it says "this email / message has been scanned or
 * checked" and nothing found, or that no virus, malware or spam was found. A refusal that
 * reports a finding ("This message has been scanned and found to contain a virus", "... was
 * infected") keeps every word.
 */
const BANNER_CLAIM = /\bthis (?:email|message|mail)\b(?: [a-z]{1,12}){0,4} ha(?:s|ve) been (?:scanned|checked)\b|\bbelieved to be clean\b/;
const NO_FINDING = /\bno (?:viruses|virus|malware|spam) (?:was |were )?(?:found|detected)\b/;
const FINDING = /infect|found|contain|detect|reject|refus|block|quarantin|malicious|suspicious|score|threshold|deleted|removed|not (?:been )?delivered|undeliver/;

function withoutScanBanners(text: string): string {
  if (!BANNER_CLAIM.test(text) && !NO_FINDING.test(text)) return text;
  // (sentences end at ". ", "! ", "? ": a host name's dots, made x.x, end none)
  const sentences = text.split(/(?<=[.!?]) /);
  const kept = sentences.filter((s) => !(NO_FINDING.test(s) || (BANNER_CLAIM.test(s) && !FINDING.test(s))));
  return kept.length === sentences.length ? text : kept.join(' ');
}

/**
 * A relaying MTA's attribution of the reply it quotes ("host mx.example.net[192.0.2.1] said:",
 * Postfix smtp(8); "Remote host said:", qmail-remote) made a bare "said:": it names who spoke,
 * not why, and its "host" must not start a phrase that ends in the reply ("host x.x said: 550
 * user not found" is no unknown host).
 */
const ATTRIBUTION = /\bhost (?:[^ ]{1,300} )?said:/g;

function withoutAttribution(text: string): string {
  return text.includes(' said:') ? text.replace(ATTRIBUTION, 'said:') : text;
}

/** The text with each whole-word occurrence of `word` (not inside a longer name) made `x`. */
function withoutWord(text: string, word: string): string {
  let out = '';
  let done = 0;
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + word.length)) {
    const before = text.charCodeAt(i - 1);
    const after = text.charCodeAt(i + word.length);
    if ((isNameCode(text, i - 1) && before !== 47 /* / */) || (isNameCode(text, i + word.length) && after !== 47 /* / */ && after !== 46 /* . */)) continue;
    out += text.slice(done, i) + 'x';
    done = i + word.length;
  }
  return done === 0 ? text : out + text.slice(done);
}

/** Characters of an address's local part and domain as a reply writes it (no blanks, brackets, quotes). */
const NAME_CHARS = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~@-") NAME_CHARS[c.charCodeAt(0)] = 1;
/** Whether text[i] is one of NAME_CHARS (past either end: no; charCodeAt gives NaN there). */
const isNameCode = (text: string, i: number): boolean => {
  const n = text.charCodeAt(i);
  return n < 128 && NAME_CHARS[n] === 1;
};

/**
 * Every address and host name in the text made neutral too (`x@x.x`, `x.x`): the sender's, a
 * help desk's, a forwarding target's, the refusing server's ("<abuse@blocked.example>",
 * "host relay.spam-guard.example[192.0.2.1] said") are names, not statements, as the
 * recipient's are. Dotted words that are not host names stay (Exchange's
 * "resolver.adr.recipnotfound", "5.1.1", a URL's path). One pass over the words of the text
 * (at most 1,500 characters: ruleText), already lower case (normaliseText).
 */
function withoutAddresses(text: string): string {
  let out = '';
  let done = 0;
  let i = 0;
  while (i < text.length) {
    if (!isNameCode(text, i)) {
      i++;
      continue;
    }
    let end = i;
    while (end < text.length && isNameCode(text, end)) end++;
    // a word ends before the dots and hyphens that end its sentence
    let last = end;
    while (last > i && (text.charCodeAt(last - 1) === 46 /* . */ || text.charCodeAt(last - 1) === 45 /* - */)) last--;
    const word = text.slice(i, last);
    // (a word with neither '@' nor '.' is neither an address nor a host name: kept as it is)
    if (word.indexOf('.') < 0) {
      i = end;
      continue;
    }
    const at = word.lastIndexOf('@');
    // a word without '@' may hold host names among other characters: "'mx.example.org'",
    // "example.org's", a URL's "r=mx.example.org". A URL's own host stays: a provider's link to
    // its page of reply codes is part of its reply's convention ("RCP-P2 http://postmaster.
    // facebook.com/response_codes"), not a party's name.
    const neutral = at > 0 ? (word.indexOf('.', at) > at ? 'x@x.x' : word) : word.startsWith('//') && text[i - 1] === ':' ? word : withoutHostNames(word);
    if (neutral !== word) {
      out += text.slice(done, i) + neutral;
      done = last;
    }
    i = end;
  }
  return done === 0 ? text : out + text.slice(done);
}

/**
 * The frames in which MTAs report a local delivery program's failure when they write no
 * `x-unix` diagnostic type (plain-text reports): Postfix pipe(8) and local(8) "Command died
 * with status N" / "Command output:", Exim's pipe transport "Child process of <transport>
 * transport returned N" and "pipe to |<command>", Sendmail's prog mailer "unknown mailer error
 * N". What the program printed ("procmail: Unknown user") is its own output, not a remote
 * server's statement about the mailbox: the address tables are not read for it (issue #13,
 * false hard bounces). Anchored phrases, one bounded pass.
 */
const LOCAL_PROGRAM = /\bcommand died with status \d|\bcommand output: |\bchild process of \S{1,64} transport returned \d|\bpipe to \||\bunknown mailer error \d/;

/** Reasons that speak of one mailbox: a reply saying one of them answered one recipient only. */
const MAILBOX_REASONS = new Set<Reason>(['userunknown', 'hasmoved', 'mailboxfull', 'suspend']);
/** Reasons that speak of the recipient's whole domain. */
const DOMAIN_REASONS = new Set<Reason>(['hostunknown', 'notaccept']);

/** Can a shared reply giving this reason not be laid on every recipient of the report? */
function unattributable(report: ParsedReport, reason: Reason): boolean {
  const addresses = new Set(report.recipients.map((x) => x.finalRecipient));
  if (addresses.size < 2) return false;
  if (MAILBOX_REASONS.has(reason)) return true;
  if (!DOMAIN_REASONS.has(reason)) return false;
  const domains = new Set([...addresses].map((a) => a.slice(a.lastIndexOf('@') + 1)));
  return domains.size > 1;
}

/**
 * Exim writes its expiry note after the last reply a host gave ("451 4.7.1 Try again later:
 * retry timeout exceeded"). The reply is the cause the server named; the note only says the
 * retries have ended (as "452 4.3.1 Insufficient system storage: retry timeout exceeded" is a
 * full system, reasons/index.ts). So when that reply carries an enhanced code, the reply alone
 * is read first, and it decides when its words or its code name a cause; a reply that names
 * none (4.3.0, 4.7.0: "try again later") leaves the note to decide: expired (issue #13, round
 * 11: rspamd's greylisting "451 4.7.1 Try again later", read as the other senders read it).
 */
const EXPIRY_NOTE = /(?:^|\s)([45]\d\d)[ -]([45]\.\d{1,3}\.\d{1,3}) ([^]{0,1000}?):? retry timeout exceeded$/;

function beforeExpiryNote(input: DecideInput): RuleMatch | null {
  const t = input.text.trimEnd();
  if (!t.endsWith('retry timeout exceeded')) return null;
  const n = EXPIRY_NOTE.exec(t.slice(-1200));
  if (!n) return null;
  const reply = `${n[1]} ${n[2]} ${n[3]}`;
  const m = decide({ ...input, text: reply, replyCode: Number(n[1]), status: n[2] });
  // (not the basic reply code's default, nor a refused MAIL FROM: those say less than the note)
  return m && (m.field === 'diagnosticCode' || m.field === 'status') ? m : null;
}

/** Classifies one recipient of a report. */
export function classifyRecipient(report: ParsedReport, r: RecipientReport): Verdict {
  const none = (reason: Reason, rule: string, field: string, text: string): Verdict =>
    verdictOf(report, r, { status: r.status, statusDerived: false, reason, hardbounce: false, category: 'none', type: 'none', rule, matched: { field, text } });
  if (report.kind === 'complaint') return none('feedback', 'kind.complaint', 'feedbackType', report.feedback?.feedbackType ?? '');
  if (report.kind === 'auto_reply') return none('vacation', 'kind.auto-reply', 'autoReply', report.autoReply ?? '');
  if (r.action === 'delivered' || r.action === 'relayed' || r.action === 'expanded') return none('delivered', `action.${r.action}`, 'action', r.action);
  if (report.kind === 'unknown') return none('undefined', 'kind.unknown', 'kind', 'unknown');

  const cls = classOf(r);
  if (cls === 2) return none('delivered', 'status.2', 'status', r.status ?? String(r.replyCode));
  const text = withoutRecipient(normaliseText(ruleText(r.diagnosticCode, r.diagnosticType)), r);
  const input: DecideInput = {
    text,
    local: /^x-unix$/i.test(r.diagnosticType ?? '') || LOCAL_PROGRAM.test(text),
    host: refusingHost(r.remoteMta ?? report.reportingMta),
    status: r.status,
    replyCode: r.replyCode,
    command: r.command,
    detector: report.detector,
    vendorCategory: r.vendorCategory ?? null,
    delayed: r.action === 'delayed',
  };
  const inner = innerReply(text);
  const m: RuleMatch | null = beforeExpiryNote(input) ?? ((inner && decide({ ...input, ...inner })) || decide(input));
  let reason: Reason;
  let rule: string;
  let matched: Verdict['matched'];
  if (m) {
    reason = m.reason;
    rule = m.id;
    matched = { field: m.field, text: m.text };
  } else {
    // nothing said why: a delayed message that never made it has expired; else undecided
    reason = r.action === 'delayed' ? 'expired' : r.diagnosticCode?.trim() ? 'onhold' : 'undefined';
    rule = 'default.' + reason;
    matched = null;
  }
  // User-unknown wording is proof of a missing mailbox when it answered RCPT TO or came with an
  // addressing code (X.1.x). A refusal after DATA is, by the definition of the reason names we
  // use (Sisimai's `filtered`: "rejected due to a header content after SMTP DATA command"), a
  // recipient-side filter's: the server had accepted the recipient at RCPT. The same holds when
  // the report does not say which command failed and the code says the mailbox exists (X.2.x,
  // RFC 3463 §3.3), names no cause (none, X.0.0) or names a policy (X.7.x, qmail's "badrcptto").
  // Provider conventions (Google, Yahoo, Microsoft ... documented wordings) are final and exempt.
  // A family that never reports the command (PHASE_NOT_REPORTED) gives no such evidence: there
  // the wording is read as written.
  const vague = !r.status || /^\d\.(?:0\.0|2\.\d+|7\.\d+)$/.test(r.status);
  const phaseUnknown = !r.command && PHASE_NOT_REPORTED.has(report.detector);
  if (reason === 'userunknown' && m?.field === 'diagnosticCode' && !m.fixed && r.command !== 'RCPT' && r.command !== 'MAIL' && vague && !phaseUnknown) {
    reason = 'filtered';
    rule += '+not-rcpt';
  }
  // a host that could not be found "for now" (4xx, DNS trouble) is a network problem
  if (reason === 'hostunknown' && classOf(r) === 4) {
    reason = 'networkerror';
    rule += '+temporary';
  }

  // One reply written as every recipient's that names none of them (nullmailer: the first
  // refused RCPT ends the whole message, `sharedReply`): a refusal of one mailbox answered one
  // of them, and the report does not say which. Read as each one's it would suppress addresses
  // that did not fail (issue #13, harm 1), so none of them is taken to have failed for its own
  // sake: the reason stays undecided and the failure not final (soft), for the next message to
  // that address to tell. A refusal of a whole domain is every recipient's when they share it.
  const unattributed = r.sharedReply === true && unattributable(report, reason);
  if (unattributed) {
    reason = 'onhold';
    rule += '+unattributed';
  }

  const failCls = failureClass(r, reason, m?.transient === true);
  let status = r.status;
  let statusDerived = false;
  const permanent = failCls === 5 || (failCls === null && r.action !== 'delayed');
  if (!status) {
    const klass = failCls ?? (r.action === 'delayed' ? 4 : 5);
    status = `${klass}.${DERIVED_STATUS[reason]}`;
    statusDerived = true;
  }

  let type: BounceType;
  if (r.action === 'delayed') type = 'pending';
  else if (permanent) type = 'hard';
  else if (r.action === 'failed') type = 'soft';
  else type = 'pending';

  if (unattributed && type === 'hard') type = 'soft';

  const hardbounce = r.action !== 'delayed' && HARD_REASONS.has(reason) && (reason !== 'notaccept' || permanent);
  const category: Category = CATEGORY[reason] ?? (type === 'hard' ? 'other' : 'temporary');
  return verdictOf(report, r, { status, statusDerived, reason, hardbounce, category, type, rule, matched });
}

/** One verdict per recipient (empty when the report names none). */
export function classify(report: ParsedReport): Verdict[] {
  return report.recipients.map((r) => classifyRecipient(report, r));
}

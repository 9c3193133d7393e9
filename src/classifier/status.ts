// The enhanced status code registry (RFC 3463, kept by IANA under RFC 5248): each code's
// subject and detail as registered, and the reason it implies when the text names no cause.
// PURE data plus two look-ups.
//
// A code is `class.subject.detail`; the class (2 success, 4 persistent transient, 5 permanent)
// says whether to retry, the subject and detail say why. The reason below is read from the
// registered title and description, in Sisimai's reason vocabulary (src/report.ts):
//   X.1.x addressing (whose address: the recipient's, except X.1.7/X.1.8, the sender's)
//   X.2.x the recipient's mailbox (it exists; something about it)
//   X.3.x the receiving mail system
//   X.4.x network and routing
//   X.5.x the SMTP conversation itself
//   X.6.x the content or media of the message
//   X.7.x security or policy
// A detail that is not registered falls back to its subject's default (`subjectDefault`);
// X.0.0 ("other undefined status") and X.5.0 say nothing about a cause: no reason.
import type { Reason } from '../report.js';
import { compilePhrases, type Phrase } from './phrase.js';

export interface StatusEntry {
  /** `subject.detail`, e.g. `1.1` (the class is not part of the meaning). */
  code: string;
  /** The registered title. */
  title: string;
  /** The document that registered it. */
  source: string;
  /** The reason it implies, or null when it names no cause. */
  reason: Reason | null;
  /** Why that reason, when the title alone does not say it. */
  note?: string;
}

const R3463 = 'RFC 3463';
const s = (code: string, title: string, source: string, reason: Reason | null, note?: string): StatusEntry =>
  note === undefined ? { code, title, source, reason } : { code, title, source, reason, note };

export const STATUS_REGISTRY: readonly StatusEntry[] = [
  s('0.0', 'Other undefined Status', `${R3463} §3.1`, null),
  s('1.0', 'Other address status', `${R3463} §3.2`, 'userunknown', 'something about the (recipient) address; most MTAs send it for a refused recipient'),
  s('1.1', 'Bad destination mailbox address', `${R3463} §3.2`, 'userunknown'),
  s('1.2', 'Bad destination system address', `${R3463} §3.2`, 'hostunknown'),
  s('1.3', 'Bad destination mailbox address syntax', `${R3463} §3.2`, 'userunknown', 'the address cannot name a mailbox'),
  s('1.4', 'Destination mailbox address ambiguous', `${R3463} §3.2`, 'filtered', 'the address matches more than one mailbox: mailboxes exist and the destination will not choose (not a missing one; Sisimai\'s status map files it under filtered)'),
  s('1.5', 'Destination address valid', `${R3463} §3.2`, null),
  s('1.6', 'Destination mailbox has moved, No forwarding address', `${R3463} §3.2`, 'hasmoved'),
  s('1.7', "Bad sender's mailbox address syntax", `${R3463} §3.2`, 'rejected'),
  s('1.8', "Bad sender's system address", `${R3463} §3.2`, 'rejected'),
  s('1.9', 'Message relayed to non-compliant mailer', 'RFC 3886', 'systemerror'),
  s('1.10', 'Recipient address has null MX', 'RFC 7505 §4.2', 'notaccept'),
  s('2.0', 'Other or undefined mailbox status', `${R3463} §3.3`, 'filtered', 'the mailbox exists but refused this message: a recipient-side refusal'),
  s('2.1', 'Mailbox disabled, not accepting messages', `${R3463} §3.3`, 'suspend'),
  s('2.2', 'Mailbox full', `${R3463} §3.3`, 'mailboxfull'),
  s('2.3', 'Message length exceeds administrative limit', `${R3463} §3.3`, 'emailtoolarge'),
  // (issue #13, round 11) was filtered ("the list refused to expand it"); the registered text
  // says the list "was unable to be expanded" (an error, "permanent or persistent transient"),
  // not a refusal. OpenSMTPD sends it for an address its virtual table cannot expand ("524
  // 5.2.4 Mailing list expansion problem"), Sympa for its internal server error
  s('2.4', 'Mailing list expansion problem', `${R3463} §3.3`, 'systemerror', 'the receiving system could not expand the list or alias: an error on its side, not a refusal of the message'),
  s('3.0', 'Other or undefined mail system status', `${R3463} §3.4`, 'systemerror'),
  s('3.1', 'Mail system full', `${R3463} §3.4`, 'systemfull'),
  s('3.2', 'System not accepting network messages', `${R3463} §3.4`, 'notaccept'),
  s('3.3', 'System not capable of selected features', `${R3463} §3.4`, 'systemerror'),
  s('3.4', 'Message too big for system', `${R3463} §3.4`, 'emailtoolarge'),
  s('3.5', 'System incorrectly configured', `${R3463} §3.4`, 'systemerror'),
  s('3.6', 'Requested priority was changed', 'RFC 6710', null),
  s('4.0', 'Other or undefined network or routing status', `${R3463} §3.5`, 'networkerror'),
  s('4.1', 'No answer from host', `${R3463} §3.5`, 'networkerror', 'a transient 4.4.1 is `expired`, see TRANSIENT'),
  s('4.2', 'Bad connection', `${R3463} §3.5`, 'networkerror'),
  // (round 16) X.4.3, X.5.4, X.5.5, X.7.15 and a transient X.5.3: the reason definitions whose names
  // we use (Sisimai::SMTP::Status, go-sisimai 2025, the table the labels follow: it reads 5.7.25 as
  // requireptr, as they do) file them so; the category (src/classifier/index.ts) is the same either way
  s('4.3', 'Directory server failure', `${R3463} §3.5`, 'systemerror', 'the directory (DNS) the receiving system needed failed: its fault, as Sisimai::SMTP::Status files it'),
  s('4.4', 'Unable to route', `${R3463} §3.5`, 'hostunknown', 'permanent: no route to the domain exists; a 4.4.4 is a network error (see index.ts)'),
  s('4.5', 'Mail system congestion', `${R3463} §3.5`, 'systemfull'),
  s('4.6', 'Routing loop detected', `${R3463} §3.5`, 'networkerror'),
  s('4.7', 'Delivery time expired', `${R3463} §3.5`, 'expired'),
  s('5.0', 'Other or undefined protocol status', `${R3463} §3.6`, null, 'Sendmail and others send it for any deferral: no cause'),
  s('5.1', 'Invalid command', `${R3463} §3.6`, 'syntaxerror'),
  s('5.2', 'Syntax error', `${R3463} §3.6`, 'syntaxerror'),
  s('5.3', 'Too many recipients', `${R3463} §3.6`, 'ratelimited', 'a per-transaction recipient limit'),
  s('5.4', 'Invalid command arguments', `${R3463} §3.6`, 'systemerror', 'as Sisimai::SMTP::Status files it'),
  s('5.5', 'Wrong protocol version', `${R3463} §3.6`, 'systemerror', 'as Sisimai::SMTP::Status files it'),
  s('5.6', 'Authentication Exchange line is too long', 'RFC 4954', 'syntaxerror'),
  s('6.0', 'Other or undefined media error', `${R3463} §3.7`, 'contenterror'),
  s('6.1', 'Media not supported', `${R3463} §3.7`, 'contenterror'),
  s('6.2', 'Conversion required and prohibited', `${R3463} §3.7`, 'contenterror'),
  s('6.3', 'Conversion required but not supported', `${R3463} §3.7`, 'contenterror'),
  s('6.4', 'Conversion with loss performed', `${R3463} §3.7`, 'contenterror'),
  s('6.5', 'Conversion Failed', `${R3463} §3.7`, 'contenterror'),
  s('6.6', 'Message content not available', 'RFC 4468', 'contenterror'),
  s('6.7', 'Non-ASCII addresses not permitted for that sender/recipient', 'RFC 6531', 'contenterror'),
  s('6.8', 'UTF-8 string reply is required, but not permitted by the SMTP client', 'RFC 6531', 'contenterror'),
  s('6.9', 'UTF-8 header message cannot be transferred to one or more recipients', 'RFC 6531', 'contenterror'),
  s('6.10', 'Reserved (same meaning as X.6.8)', 'RFC 6531', 'contenterror'),
  s('7.0', 'Other or undefined security status', `${R3463} §3.8`, 'securityerror'),
  // 5.7.1 and 5.7.2 name a refusal but not its ground (the sending host, the sender, the
  // content, a list's posters): the reason definitions whose names we use read them as
  // securityerror, as every X.7 detail they do not map (Sisimai::SMTP::Status, and its X.7.*
  // fallback), and their transient twins as blocked (TRANSIENT). A wording that names the ground
  // ("listed at zen.spamhaus.org", "sender rejected") decides before the code does.
  s('7.1', 'Delivery not authorized, message refused', `${R3463} §3.8`, 'securityerror', 'refused on a ground the code does not say (Sisimai::SMTP::Status)'),
  s('7.2', 'Mailing list expansion prohibited', `${R3463} §3.8`, 'securityerror', 'the sender may not post to that list (Sisimai::SMTP::Status)'),
  s('7.3', 'Security conversion required but not possible', `${R3463} §3.8`, 'securityerror'),
  s('7.4', 'Security features not supported', `${R3463} §3.8`, 'securityerror'),
  s('7.5', 'Cryptographic failure', `${R3463} §3.8`, 'securityerror'),
  s('7.6', 'Cryptographic algorithm not supported', `${R3463} §3.8`, 'securityerror'),
  s('7.7', 'Message integrity failure', `${R3463} §3.8`, 'securityerror'),
  s('7.8', 'Authentication credentials invalid', 'RFC 4954', 'securityerror'),
  s('7.9', 'Authentication mechanism is too weak', 'RFC 4954', 'securityerror'),
  s('7.10', 'Encryption Needed', 'RFC 5248', 'securityerror'),
  s('7.11', 'Encryption required for requested authentication mechanism', 'RFC 4954', 'securityerror'),
  s('7.12', 'A password transition is needed', 'RFC 4954', 'securityerror'),
  s('7.13', 'User Account Disabled', 'RFC 5248', 'suspend'),
  s('7.14', 'Trust relationship required', 'RFC 5248', 'securityerror'),
  s('7.15', 'Priority Level is too low', 'RFC 6710', 'securityerror', 'as Sisimai::SMTP::Status files it'),
  s('7.16', 'Message is too big for the specified priority', 'RFC 6710', 'emailtoolarge'),
  s('7.17', 'Mailbox owner has changed', 'RFC 7293', 'hasmoved'),
  s('7.18', 'Domain owner has changed', 'RFC 7293', 'hasmoved'),
  s('7.19', 'RRVS test cannot be completed', 'RFC 7293', 'securityerror'),
  s('7.20', 'No passing DKIM signature found', 'RFC 7372', 'authfailure'),
  s('7.21', 'No acceptable DKIM signature found', 'RFC 7372', 'authfailure'),
  s('7.22', 'No valid author-matched DKIM signature found', 'RFC 7372', 'authfailure'),
  s('7.23', 'SPF validation failed', 'RFC 7372', 'authfailure'),
  s('7.24', 'SPF validation error', 'RFC 7372', 'authfailure'),
  s('7.25', 'Reverse DNS validation failed', 'RFC 7372', 'requireptr'),
  s('7.26', 'Multiple authentication checks failed', 'RFC 7372', 'authfailure'),
  s('7.27', 'Sender address has null MX', 'RFC 7505 §4.2', 'rejected', 'the sender address cannot receive replies'),
  s('7.28', 'Mail flood detected', 'RFC 8689', 'spamdetected'),
  s('7.29', 'ARC validation failure', 'RFC 8617', 'authfailure'),
  s('7.30', 'REQUIRETLS support required', 'RFC 8689', 'failedstarttls'),
];

/**
 * Class-4 codes read differently from their permanent twin, as in Sisimai::SMTP::Status (the
 * reason definitions whose labels the classifier is judged by):
 *  - 4.4.1 "No answer from host": the MTA keeps retrying a host that does not answer (refused,
 *    timed out) until its queue lifetime ends, so a delay notice or a final failure with 4.4.1
 *    is the queue's expiry (the public labels: delayed and failed 4.4.1 are expired); a
 *    permanent 5.4.1 stays a network error;
 *  - 4.3.0, 4.7.0 "other or undefined" with a transient class say only "try again later": no
 *    cause (Sisimai leaves them out of its map; a 451 4.3.0 "try again later" is labelled
 *    onhold), while 5.3.0 / 5.7.0 keep their subject's reading. (4.4.0 stays a network error:
 *    issue #13's nested example, "<421 4.4.0 Unable to lookup DNS ...>", is one.)
 *  - 4.7.1, 4.7.2: a refusal "for now" is a block of the sending host (greylisting, a rate or
 *    reputation deferral), blocked, where the permanent 5.7.1 / 5.7.2 are securityerror;
 *  - 4.5.3 "Too many recipients" for now: the rest are sent in the next transaction (RFC 5321
 *    §4.5.3.1.10), a system condition (systemerror), where a permanent 5.5.3 is a limit.
 */
const TRANSIENT: Record<string, Reason | null> = { '4.1': 'expired', '3.0': null, '7.0': null, '7.1': 'blocked', '7.2': 'blocked', '5.3': 'systemerror' };

/** What a subject says when its detail is not registered (`5.1.99`). */
const SUBJECT_DEFAULT: Record<string, Reason | null> = {
  '0': null, '1': 'userunknown', '2': 'filtered', '3': 'systemerror', '4': 'networkerror',
  '5': 'syntaxerror', '6': 'contenterror', '7': 'securityerror',
};

const BY_CODE = new Map(STATUS_REGISTRY.map((e) => [e.code, e]));

/** `5.1.1` -> `1.1`; null when not a c.s.d code. */
export function subjectDetail(status: string | null): string | null {
  if (!status) return null;
  const m = /^[245]\.(\d{1,3}\.\d{1,3})$/.exec(status);
  return m ? m[1] : null;
}

/**
 * The reason a status implies and the id of the registry line that said it: the registered
 * detail, else its subject's default. Null when the code names no cause (X.0.0, X.5.0).
 */
export function reasonOfStatus(status: string | null): { reason: Reason; id: string } | null {
  const sd = subjectDetail(status);
  if (!sd) return null;
  const t = status!.charCodeAt(0) === 52 ? TRANSIENT[sd] : undefined;
  if (t !== undefined) return t ? { reason: t, id: `status.4.${sd}` } : null;
  const e = BY_CODE.get(sd);
  if (e) return e.reason ? { reason: e.reason, id: `status.x.${e.code}` } : null;
  const subject = sd.split('.')[0];
  const r = SUBJECT_DEFAULT[subject] ?? null;
  return r ? { reason: r, id: `status.x.${subject}.x` } : null;
}

/**
 * Codes precise enough to beat a hinting word of the text ("550 5.1.1 ... access denied" is a
 * missing mailbox): each names exactly one cause.
 */
const PRECISE = new Set([
  '1.1', '1.2', '1.6', '1.10', '2.2', '2.3', '3.4', '4.7', '7.13', '7.17', '7.18',
  '7.20', '7.21', '7.22', '7.23', '7.24', '7.25', '7.26', '7.28', '7.29', '7.30',
  // the sender's own address (RFC 3463 X.1.7, X.1.8): "550 5.1.8 Access denied, bad outbound
  // sender" (Microsoft's NDR reference) is the sender refused, not a block of its IP
  '1.7', '1.8',
]);

/** True when the status is one of the precise codes above. */
export function isPreciseStatus(status: string | null): boolean {
  const sd = subjectDetail(status);
  return sd !== null && PRECISE.has(sd);
}

/** Does `status` (c.s.d) match a rule prefix ('5.1.1', 'x.2.2', '5.7.')? */
export function statusMatches(status: string, prefix: string): boolean {
  // 'x.' prefixes compare from the subject on, whatever the class digit
  const anyClass = prefix.startsWith('x.') && status.charCodeAt(0) >= 48 && status.charCodeAt(0) <= 57;
  const from = anyClass ? 1 : 0;
  if (prefix.endsWith('.')) return status.startsWith(anyClass ? prefix.slice(1) : prefix, from);
  return anyClass ? status.length === prefix.length && status.endsWith(prefix.slice(1)) : status === prefix;
}

/**
 * `(status) => prefixes.some((p) => statusMatches(status, p))`, built once for a rule's list: the
 * same answers without the slices each call of statusMatches makes (the provider rules run on
 * every recipient, issue #20).
 */
export function statusMatcher(prefixes: readonly string[]): (status: string) => boolean {
  const tests = prefixes.map((prefix): ((status: string) => boolean) => {
    const rest = prefix.slice(1);
    const x = prefix.startsWith('x.');
    const anyClass = (status: string) => x && status.charCodeAt(0) >= 48 && status.charCodeAt(0) <= 57;
    if (prefix.endsWith('.')) return (status) => (anyClass(status) ? status.startsWith(rest, 1) : status.startsWith(prefix));
    return (status) => (anyClass(status) ? status.length === prefix.length && status.endsWith(rest) : status === prefix);
  });
  return (status) => {
    for (const t of tests) if (t(status)) return true;
    return false;
  };
}

/**
 * A status derived from the reason when the message carried no code (statusDerived=true): the
 * class from the reply code or the action, subject.detail from this table (the registry's code
 * for that meaning).
 */
export const DERIVED_STATUS: Record<Reason, string> = {
  userunknown: '1.1', hostunknown: '1.2', hasmoved: '1.6', notaccept: '1.10', mailboxfull: '2.2',
  emailtoolarge: '3.4', contenterror: '6.0', spamdetected: '7.1', filtered: '2.0', securityerror: '7.0',
  virusdetected: '7.1', policyviolation: '7.1', authfailure: '7.26', blocked: '7.1', badreputation: '7.1',
  requireptr: '7.25', rejected: '7.1', norelaying: '7.1', notcompliantrfc: '6.0', ratelimited: '7.0',
  networkerror: '4.0', systemerror: '3.0', systemfull: '3.1', mailererror: '3.0', suspend: '2.1',
  expired: '4.7', failedstarttls: '7.10', syntaxerror: '5.0', suppressed: '0.0', onhold: '0.0',
  undefined: '0.0', delivered: '0.0', feedback: '0.0', vacation: '0.0',
};

/**
 * Registered titles whose words are too common in replies about other things to name the code
 * ("Syntax error" in an address, "Invalid command" of a client, "Bad connection" rate): left out
 * of the titles read as text.
 */
const COMMON_TITLES = new Set(['5.1', '5.2', '4.2']);

/**
 * Titles the reason tables already read, under their own sources (reasons/*.ts: "mailbox full",
 * "message too big for system", "spf" ...): listed once there, not twice.
 */
const READ_BY_TABLES = new Set([
  '1.1', '1.3', '1.6', '1.7', '1.8', '1.10', '2.1', '2.2', '2.3', '3.1', '3.2', '3.4', '4.6', '4.7', '5.3', '5.4',
  '7.1', '7.8', '7.11', '7.13', '7.16', '7.20', '7.21', '7.22', '7.23', '7.24', '7.25', '7.27',
]);

/**
 * The registered titles as wordings: a reply that gives a code's registered title without the
 * code ("550 Mailing list expansion problem", "554 Message integrity failure") says what the
 * code would. The part of a title before its first comma, when that part holds three words or
 * more ("Destination mailbox has moved", "Delivery not authorized"). Not the "Other or undefined
 * ..." titles, the reserved one, nor those that name no cause.
 */
export const TITLE_PHRASES: readonly (Phrase & { code: string })[] = STATUS_REGISTRY.filter(
  (e) => e.reason !== null && !/^(?:other|reserved)\b/i.test(e.title) && !COMMON_TITLES.has(e.code) && !READ_BY_TABLES.has(e.code),
).map((e) => {
  const head = e.title.split(',')[0]!;
  const text = (head.split(' ').length >= 3 ? head : e.title).toLowerCase();
  return { text, source: `${e.source}: the registered title of X.${e.code}`, example: `550 ${e.title}`, code: e.code };
});

const TITLE_MATCHER = compilePhrases(TITLE_PHRASES);
const CODE_OF_TITLE = new Map(TITLE_PHRASES.map((t) => [t.text, t.code]));

/**
 * The status a reply's words name by giving its registered title, in the class of the reply
 * (`4` for a 4xx reply, else `5`), with the words that matched; null when no title is there.
 */
export function statusOfTitle(normalised: string, replyClass: 4 | 5): { status: string; text: string } | null {
  const m = TITLE_MATCHER.match(normalised);
  if (!m) return null;
  return { status: `${replyClass}.${CODE_OF_TITLE.get(m.phrase.text)!}`, text: m.text };
}

// Finding one-to-one bounces among the messages of an inbox. PURE: bytes and plain values in,
// plain values out; no I/O, no clock (the message's arrival time is passed in).
//
//   analyseMessage(raw)          parse (the shared parser) + classify (the shared classifier),
//                                and read what ties the message to a sent one
//   lookupKeys(analysis)         what to ask the sent index: Message-IDs, else addresses
//   decide(analysis, sent, opts) the bounces found, each with the method that tied it, or why not
//
// The parser says what a message is (`bounce`, `delay`, `auto_reply`, ...) and which recipients
// failed; the classifier says why (reason, hard/soft, the rule). Nothing here re-decides that:
// this module only ties a failure to a message the inbox's owner sent. Auto-replies and
// out-of-office answers are the parser's `auto_reply` and are never counted (see
// src/parser/detectors/auto-reply.ts for what it recognises and how it tells an NDR carrying
// `Auto-Submitted` from a vacation notice).
import { createHash } from 'node:crypto';
import { classify, classifyRecipient } from '../classifier/index.js';
import { newRecipient } from '../parser/detectors/types.js';
import { parseMessageSync, UnparseableError } from '../parser/index.js';
import { headerValue, headerValues, readMail } from '../parser/mime.js';
import { findAddresses } from '../parser/smtp-text.js';
import type { ParsedReport, Verdict } from '../report.js';
import type { DetectionMethod, SentMessage, SkipReason } from './types.js';

/** How much of a notice's text is searched for addresses and quoted subjects. */
const MAX_TEXT = 64 * 1024;
/** At most this many Message-IDs are taken from References (the newest ones, RFC 5322 §3.6.4). */
const MAX_REFERENCES = 20;
/** At most this many addresses of a notice are looked up. */
const MAX_ADDRESSES = 20;
/** A sent message's Date may be a little after the notice's arrival (clocks differ). */
export const CLOCK_SKEW_MS = 10 * 60 * 1000;
/** Subjects shorter than this are not evidence ("Hi", "Re:"). */
const MIN_SUBJECT = 4;

export interface Analysis {
  /** null: the bytes are not a mail message at all. */
  report: ParsedReport | null;
  /** The failed recipients' verdicts (type hard or soft). */
  failed: Verdict[];
  /** The returned original's Message-ID (a DSN's or NDR's returned headers). */
  returnedIds: string[];
  /** In-Reply-To, then References newest first: the thread the message answers. */
  threadIds: string[];
  /** Addresses named in the notice's text (gateway notices only), lower-cased. */
  mentioned: string[];
  /** Subjects the notice quotes: the returned original's, and `Subject:` lines of its text. */
  quotedSubjects: string[];
  /** The human-readable text and the notice's own subject, normalised for subject matching. */
  searchText: string;
  /** Set when the message can be dismissed without asking the sent index. */
  skip: SkipReason | null;
}

export interface Detected {
  method: DetectionMethod;
  sentMessageId: string;
  recipient: string;
  verdict: Verdict;
  subjectMatched: boolean | null;
}

export type Decision = { found: Detected[]; skip: null } | { found: []; skip: SkipReason };

/** `<a@b>` tokens of a header, in order, without brackets. */
function messageIds(v: string | null, limit: number): string[] {
  if (!v) return [];
  const out: string[] = [];
  const re = /<([^<>\s]{1,998})>/g;
  for (let m = re.exec(v); m; m = re.exec(v)) out.push(m[1]);
  return out.length > limit ? out.slice(out.length - limit) : out;
}

/** Lower case, unified width, single spaces: how subjects are compared. */
export function normaliseSubject(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

const SUBJECT_LINE = /^[ \t>]*subject:[ \t]*(\S[^\n]{0,300})$/gim;

function isFailure(v: Verdict): boolean {
  return (v.type === 'hard' || v.type === 'soft') && Boolean(v.recipient);
}

/** Parses and classifies one inbox message and reads what links it to a sent message. */
export function analyseMessage(raw: Buffer): Analysis {
  const empty: Analysis = { report: null, failed: [], returnedIds: [], threadIds: [], mentioned: [], quotedSubjects: [], searchText: '', skip: null };
  let report: ParsedReport;
  try {
    report = parseMessageSync(raw);
  } catch (err) {
    if (err instanceof UnparseableError) return { ...empty, skip: 'unparseable' };
    throw err;
  }
  if (report.kind === 'auto_reply') return { ...empty, report, skip: 'auto_reply' };
  if (report.kind === 'delay') return { ...empty, report, skip: 'delay' };
  if (report.kind !== 'bounce') return { ...empty, report, skip: 'not_a_bounce' };

  const verdicts = classify(report);
  const failed = verdicts.filter(isFailure);
  // a bounce whose every recipient is still being retried is a delay in all but name
  if (!failed.length && verdicts.length && verdicts.every((v) => v.type === 'pending')) return { ...empty, report, skip: 'delay' };

  // A bounce is rare in an inbox: only now read the headers and text again for the thread
  // references and the quoted subjects (the parser's report does not carry them).
  const view = readMail(raw);
  const threadIds = [
    ...messageIds(headerValue(view.headers, 'in-reply-to'), 1),
    ...messageIds(headerValues(view.headers, 'references').join(' '), MAX_REFERENCES).reverse(),
  ];
  const returnedIds = report.original?.messageId ? [report.original.messageId] : [];
  const text = view.reportText.length > MAX_TEXT ? view.reportText.slice(0, MAX_TEXT) : view.reportText;
  const quotedSubjects: string[] = [];
  if (report.original?.subject) quotedSubjects.push(report.original.subject);
  SUBJECT_LINE.lastIndex = 0;
  for (let m = SUBJECT_LINE.exec(text); m && quotedSubjects.length < 5; m = SUBJECT_LINE.exec(text)) quotedSubjects.push(m[1]);
  return {
    report,
    failed,
    returnedIds,
    threadIds: [...new Set(threadIds)],
    mentioned: failed.length ? [] : findAddresses(text).slice(0, MAX_ADDRESSES),
    quotedSubjects: quotedSubjects.map(normaliseSubject).filter((s) => s.length >= MIN_SUBJECT),
    searchText: normaliseSubject(`${report.subject ?? ''}\n${text}`),
    skip: null,
  };
}

/**
 * What to look up in the sent index. A message that names any Message-ID is looked up by those
 * only: it says which message it is about, and when that is not one of ours it is about another
 * (a newsletter's bounce, mail sent from elsewhere), never to be guessed by address. Only a
 * notice with no reference at all is looked up by the addresses it names.
 */
export function lookupKeys(a: Analysis): { messageIds: string[]; recipients: string[] } {
  if (a.skip) return { messageIds: [], recipients: [] };
  const ids = [...a.returnedIds, ...a.threadIds];
  if (ids.length) return { messageIds: ids, recipients: [] };
  const recipients = new Set<string>();
  for (const v of a.failed) {
    recipients.add(v.recipient!.toLowerCase());
  }
  for (const r of a.report?.recipients ?? []) if (r.originalRecipient) recipients.add(r.originalRecipient.toLowerCase());
  for (const m of a.mentioned) recipients.add(m);
  return { messageIds: [], recipients: [...recipients].slice(0, MAX_ADDRESSES) };
}

function byId(sent: SentMessage[], id: string): SentMessage | undefined {
  const k = id.toLowerCase();
  return sent.find((s) => s.messageId.toLowerCase() === k);
}

/** The failed recipients as the sent message named them (a DSN's Original-Recipient may be the one it used). */
function recipientsOf(a: Analysis, s: SentMessage): { recipient: string; verdict: Verdict }[] {
  const out: { recipient: string; verdict: Verdict }[] = [];
  const failedByAddress = new Map(a.report!.recipients.map((r) => [r.finalRecipient.toLowerCase(), r]));
  for (const v of a.failed) {
    const final = v.recipient!.toLowerCase();
    const original = failedByAddress.get(final)?.originalRecipient?.toLowerCase() ?? null;
    const recipient = s.recipients.includes(final) ? final : original && s.recipients.includes(original) ? original : final;
    if (!out.some((o) => o.recipient === recipient)) out.push({ recipient, verdict: v });
  }
  // A report that names no recipient (an NDR whose text the parser could not read) about a
  // message with one recipient: that recipient failed; the classifier says what it can.
  if (!out.length && !a.report!.recipients.length && s.recipients.length === 1) {
    const verdict = classifyRecipient(a.report!, newRecipient(s.recipients[0], { action: 'failed' }));
    out.push({ recipient: s.recipients[0], verdict });
  }
  return out;
}

export interface DecideOptions {
  /** When the message arrived in the mailbox (its internal date), ms. */
  receivedAt: number;
  /** How far back a gateway notice may refer (e.g. 3 days), ms. */
  windowMs: number;
}

/** How far back a gateway notice's recipients are looked up at least (see gatewayLookupRange). */
const LOOKBACK_MS = 30 * 24 * 3600_000;

/**
 * The sent-time range to look up for a gateway notice received at `receivedAt`: the window,
 * and further back (four windows, at least 30 days) only so that a notice about an older
 * message is counted as `outside_window` rather than `unmatched`; decide() applies the window.
 */
export function gatewayLookupRange(receivedAt: number, windowMs: number): { since: number; until: number } {
  return { since: receivedAt - Math.max(4 * windowMs, LOOKBACK_MS), until: receivedAt + CLOCK_SKEW_MS };
}

/**
 * The bounces in one analysed message, given the sent messages `lookupKeys` led to. Each
 * failed recipient gives at most one bounce; the first method that ties it wins.
 */
export function decide(a: Analysis, sent: SentMessage[], o: DecideOptions): Decision {
  if (a.skip) return { found: [], skip: a.skip };

  // (1) the returned headers name a sent message
  for (const id of a.returnedIds) {
    const s = byId(sent, id);
    if (s) return found(recipientsOf(a, s).map((r) => ({ method: 'dsn_message_id', sentMessageId: s.messageId, ...r, subjectMatched: null })));
  }
  // (2) a non-delivery report in the thread of a sent message
  for (const id of a.threadIds) {
    const s = byId(sent, id);
    if (s) return found(recipientsOf(a, s).map((r) => ({ method: 'reply_reference', sentMessageId: s.messageId, ...r, subjectMatched: null })));
  }
  if (a.returnedIds.length || a.threadIds.length) return { found: [], skip: 'unmatched' };

  // (3) a notice with no reference: a recipient written to within the window
  const since = o.receivedAt - o.windowMs;
  const until = o.receivedAt + CLOCK_SKEW_MS;
  const inWindow = sent.filter((s) => s.sentAt >= since && s.sentAt <= until);
  const named = a.failed.length ? a.failed.map((v) => ({ address: v.recipient!.toLowerCase(), verdict: v as Verdict | null })) : a.mentioned.map((m) => ({ address: m, verdict: null }));
  const out: Detected[] = [];
  let sawRecipient = false;
  let sawSubjectMismatch = false;
  for (const n of named) {
    const candidates = inWindow.filter((s) => s.recipients.includes(n.address));
    if (!candidates.length) continue;
    sawRecipient = true;
    const quoted = candidates.filter((s) => subjectQuoted(a, s));
    let pick: SentMessage | undefined;
    if (quoted.length) pick = latest(quoted);
    else if (a.quotedSubjects.length) sawSubjectMismatch = true; // it quotes another message's subject
    else pick = latest(candidates);
    if (!pick || out.some((d) => d.recipient === n.address)) continue;
    const verdict = n.verdict ?? classifyRecipient(a.report!, newRecipient(n.address, { action: 'failed' }));
    out.push({ method: 'gateway_notice', sentMessageId: pick.messageId, recipient: n.address, verdict, subjectMatched: quoted.length > 0 });
  }
  if (out.length) return found(out);
  if (sawSubjectMismatch) return { found: [], skip: 'subject_mismatch' };
  const namedAnywhere = named.some((n) => sent.some((s) => s.recipients.includes(n.address)));
  return { found: [], skip: sawRecipient || namedAnywhere ? 'outside_window' : 'unmatched' };
}

function found(list: Detected[]): Decision {
  return list.length ? { found: list, skip: null } : { found: [], skip: 'unmatched' };
}

function subjectQuoted(a: Analysis, s: SentMessage): boolean {
  if (!s.subject) return false;
  const subject = normaliseSubject(s.subject);
  if (subject.length < MIN_SUBJECT) return false;
  return a.quotedSubjects.some((q) => q.includes(subject)) || a.searchText.includes(subject);
}

function latest(list: SentMessage[]): SentMessage {
  return list.reduce((a, b) => (b.sentAt > a.sentAt ? b : a));
}

/**
 * The key that makes a found bounce count once whatever re-reads it (a restart, a changed
 * UIDVALIDITY, a copy in another folder): the bounce's own Message-ID, or a hash of its bytes
 * when it has none, with the failed recipient.
 */
export function dedupeKey(bounceMessageId: string | null, raw: Buffer, recipient: string): string {
  const id = bounceMessageId ? `mid:${bounceMessageId.toLowerCase()}` : `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  return createHash('sha256').update(`${id}\n${recipient.toLowerCase()}`).digest('hex');
}

import { classify, classifyRecipient } from '../classifier/index.js';
import { parseMessage, UnparseableError } from '../parser/index.js';
import type { ParsedReport, Verdict } from '../report.js';
// The domain's modules themselves, not its index: this runs in the parse worker, whose heap
// (pipeline.parseMemoryMb) should hold the parser and little else.
import { RECORDED_KINDS } from '../domain/classification.js';
import { stateOfVerdict } from '../domain/delivery.js';
import { RAW_HEAD_BYTES } from '../domain/messages.js';
import type { BounceInput, Evidence } from '../store/contract.js';
import type { MessageOutcome, PendingMessage } from './outcome.js';
import type { VerpCodec, VerpFields } from '../verp/index.js';
import { cutFields, cutText, DEFAULT_OUTPUT_LIMITS, keepVerdicts, MAX_MESSAGE_ID_CHARS, type OutputLimits } from './bounds.js';
import { canonicalAddress } from '../address.js';
import { newRecipient } from '../parser/detectors/types.js';

// From one stored message to what should be written for it. No I/O: the parse worker
// (./parse-worker.ts, where a time budget can stop it) and tests call this, and the
// processor hands the outcome to the store.

export interface Attribution {
  /** Which token decided (for logs). */
  source: 'envelope' | 'original-return-path' | 'original-list-unsubscribe' | 'none';
  fields: VerpFields | null;
  /** The token's signature checked out. */
  signed: boolean;
}

/** Kinds that become bounce records (domain RECORDED_KINDS): delivered notices and auto-replies never do. */
const RECORDED = new Set<string>(RECORDED_KINDS);

/** At most this many List-Unsubscribe entries are tried (RFC 2369 lists one per method). */
const MAX_UNSUBSCRIBE_ENTRIES = 4;

/**
 * The signed unsubscribe tokens of a returned message's List-Unsubscribe (RFC 2369: `<mailto:
 * u+<token>@domain>`, `<https://host/v1/unsubscribe/<token>>`), as decodeUnsubscribe reads them.
 */
export function unsubscribeEntries(value: string | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  // (an entry is at most 2,000 characters: a longer one is nobody's token, and the scan stays linear)
  for (const m of value.matchAll(/<([^<>]{1,2000})>/g)) {
    const entry = m[1]!.trim();
    if (/^mailto:/i.test(entry)) {
      out.push(entry.slice(7).split('?')[0]!);
    } else {
      const at = entry.indexOf('/v1/unsubscribe/');
      if (at >= 0) out.push(entry.slice(at + 16).split(/[?#/]/)[0]!);
    }
    if (out.length >= MAX_UNSUBSCRIBE_ENTRIES) break;
  }
  return out;
}

/**
 * Finds the signed VERP token. The envelope recipient (our bounce address) is authoritative;
 * when it carries none (e.g. a feedback loop sends to a fixed address, or the sender could not
 * set a return path per message), the returned original is tried: its Return-Path, the address
 * the sender put there, then its List-Unsubscribe, whose unsubscribe token (same secret, its
 * own MAC domain) signs the same account, message and recipient. A feedback provider keeps
 * the headers (RFC 5965 §2: the reported message, or its header); a DSN often returns them.
 * Whoever could present either token received that very message and holds the other as well.
 */
export function attribute(rcptTo: string[], report: ParsedReport | null, verp: VerpCodec): Attribution {
  const candidates: Array<[Attribution['source'], string]> = rcptTo.map((r) => ['envelope', r]);
  const rp = report?.original?.returnPath;
  if (rp) candidates.push(['original-return-path', rp]);
  let forged: Attribution | null = null;
  for (const [source, address] of candidates) {
    const d = verp.decode(address);
    if (d.ok) return { source, fields: d.fields, signed: true };
    if (d.error === 'bad-signature' && !forged) forged = { source, fields: d.fields ?? null, signed: false };
  }
  for (const entry of unsubscribeEntries(report?.original?.headers['list-unsubscribe'])) {
    const d = verp.decodeUnsubscribe(entry);
    if (d.ok) return { source: 'original-list-unsubscribe', fields: d.fields, signed: true };
    if (d.error === 'bad-signature' && !forged) forged = { source: 'original-list-unsubscribe', fields: d.fields ?? null, signed: false };
  }
  return forged ?? { source: 'none', fields: null, signed: false };
}

/**
 * A verdict is verified only when the token is genuine AND names this very recipient: a
 * token copied from one bounce cannot be replayed to suppress somebody else.
 */
function isVerified(att: Attribution, recipients: Array<string | null>): boolean {
  if (!att.signed || !att.fields) return false;
  // One address, whatever its spelling (letter case, an IDN domain in Unicode or ASCII).
  const want = canonicalAddress(att.fields.recipient);
  return recipients.some((r) => r !== null && canonicalAddress(r) === want);
}

/**
 * The domain part of an address (after its last @), in canonical spelling; '' for none.
 */
function domainOf(address: string): string {
  const c = canonicalAddress(address);
  const at = c.lastIndexOf('@');
  return at < 0 ? '' : c.slice(at + 1);
}

/**
 * Which verdicts a genuine token vouches for: those naming the token's recipient (as the
 * Final- or Original-Recipient). One answer per verdict. (A feedback report that names nobody
 * the token names may have one verdict stand for the token's recipient: complaintStandIn.)
 */
export function vouchedFor(report: ParsedReport, verdicts: Verdict[], att: Attribution): boolean[] {
  return verdicts.map((v, i) => isVerified(att, [v.recipient, report.recipients[i]?.originalRecipient ?? null]));
}

/**
 * A feedback report (RFC 5965) about a message our genuine token was made for, which does not
 * name the token's recipient because the provider withheld it: RFC 6590 lets a feedback
 * provider redact the recipient's local part (the domain is kept), and many omit
 * Original-Rcpt-To altogether (the complained-of message then names, at best, its To: a list,
 * a Bcc's visible address, or a placeholder). The message went to the token's recipient, so
 * the complaint is theirs; the report's own address stays as the record's reportedRecipient.
 * Nobody else can be named this way: the record is about the token's address, which the token
 * already names (a forger holding it could as well write it into Original-Rcpt-To).
 *
 * Returns the report and verdicts to record (a report naming nobody gets one verdict, with no
 * reported recipient) and the index of the verdict that stands for the token's recipient, or
 * null when the report names the token's recipient, is no complaint, or names in its
 * Original-Rcpt-To only addresses of other domains (a report about somebody else: unverified,
 * as any report naming another address).
 */
export function complaintStandIn(
  report: ParsedReport,
  verdicts: Verdict[],
  att: Attribution,
  vouched: boolean[],
): { report: ParsedReport; verdicts: Verdict[]; standIn: number } | null {
  if (report.kind !== 'complaint' || !att.signed || !att.fields || vouched.includes(true)) return null;
  const token = canonicalAddress(att.fields.recipient);
  if (verdicts.length === 0) {
    const block = newRecipient(token);
    const withBlock: ParsedReport = { ...report, recipients: [block] };
    return { report: withBlock, verdicts: [{ ...classifyRecipient(withBlock, block), recipient: null }], standIn: 0 };
  }
  // Named in Original-Rcpt-To: a redacted address keeps the recipient's domain (RFC 6590).
  // Not named there (or as a bare word, "<redacted>"): the addresses are the reader's guesses
  // from the returned message.
  const named = report.feedback?.originalRcptTo.filter((a) => a.includes('@')).length ?? 0;
  const domain = domainOf(token);
  const standIn = named === 0 ? 0 : verdicts.findIndex((v) => v.recipient !== null && domainOf(v.recipient) === domain);
  return standIn < 0 ? null : { report, verdicts, standIn };
}

/** What a bounce record keeps of a recipient's verdict (every intake path: SMTP, ingest, inboxes). */
export function verdictFields(v: Verdict) {
  return {
    kind: v.kind,
    action: v.action,
    status: v.status,
    reason: v.reason,
    hardbounce: v.hardbounce,
    category: v.category,
    type: v.type,
    rule: v.rule,
    detector: v.detector,
    replyCode: v.replyCode,
    diagnostic: v.diagnosticCode,
    remoteMta: v.remoteMta,
    reportingMta: v.reportingMta,
    originalMessageId: v.originalMessageId,
    feedbackType: v.feedbackType,
  } satisfies Partial<BounceInput>;
}

export function toBounceRecords(
  report: ParsedReport,
  verdicts: Verdict[],
  att: Attribution,
  now: number,
  vouched: boolean[] = vouchedFor(report, verdicts, att),
): BounceInput[] {
  const out: BounceInput[] = [];
  verdicts.forEach((v, i) => {
    if (!RECORDED.has(v.kind)) return;
    const verified = vouched[i]!;
    const reported = v.recipient === null ? null : canonicalAddress(v.recipient);
    out.push({
      createdAt: now,
      // Only a verified token may name the account: a forged one must not even attribute.
      accountId: verified ? att.fields!.account : null,
      messageId: verified ? att.fields!.message : null,
      // A token matched through the Original-Recipient vouches for that address only: the
      // Final-Recipient may be somebody else (an alias's target, or whatever a forger wrote),
      // so a verified record is about the token's recipient; the report's stays beside it.
      recipient: verified ? canonicalAddress(att.fields!.recipient) : reported,
      reportedRecipient: reported,
      ...verdictFields(v),
      verified,
      warning: null,
    });
  });
  return out;
}

/**
 * Delivery evidence from a report: one item per verified recipient whose verdict argues for
 * a state (failed, delayed, delivered). Unverified verdicts are no evidence about anybody's
 * delivery. `bounceIndex` points into the records of toBounceRecords().
 */
export function toEvidence(
  msg: Pick<PendingMessage, 'id' | 'receivedAt'>,
  report: ParsedReport,
  verdicts: Verdict[],
  records: BounceInput[],
  att: Attribution,
  vouched: boolean[] = vouchedFor(report, verdicts, att),
): Array<Evidence & { bounceIndex: number | null }> {
  if (!att.signed || !att.fields) return [];
  const out: Array<Evidence & { bounceIndex: number | null }> = [];
  // toBounceRecords writes one record per verdict of a recorded kind, in verdict order.
  let recordIndex = -1;
  verdicts.forEach((v, i) => {
    const recorded = RECORDED.has(v.kind);
    if (recorded) recordIndex++;
    const state = stateOfVerdict(v.reason, v.type);
    if (!state || !v.recipient) return;
    if (!vouched[i]) return;
    const bounceIndex = recorded && records[recordIndex]?.verified ? recordIndex : -1;
    out.push({
      accountId: att.fields!.account,
      messageId: att.fields!.message,
      // The address the token was made for: the delivery's key, whatever the report calls it.
      recipient: att.fields!.recipient,
      at: msg.receivedAt,
      source: 'dsn',
      state,
      status: v.status,
      reason: v.reason,
      category: v.category,
      diagnostic: v.diagnosticCode,
      qid: null,
      dedupKey: `dsn:${msg.id}:${i}`,
      countsAsSend: false,
      bounceIndex: bounceIndex >= 0 ? bounceIndex : null,
    });
  });
  return out;
}

/**
 * The scope in which a report's Message-ID identifies it: its verified token (account,
 * message, recipient). Anybody can send mail with any Message-ID, so the Message-ID of
 * unverified mail (no token, a forged one, a plain mail to postmaster@) makes nothing a
 * duplicate, and a genuine token replayed by somebody (it names their own address) cannot
 * cancel the report about another recipient. The same report sent again (a relay's Received
 * line on top, a second copy) comes to the same return path: same token, same key.
 */
export function duplicateKey(reportMessageId: string | null, bounces: ReadonlyArray<BounceInput>): string | null {
  if (!reportMessageId) return null;
  const v = bounces.find((b) => b.verified);
  return v ? JSON.stringify([v.accountId, v.messageId, v.recipient, reportMessageId]) : null;
}

/**
 * How much of a message is parsed by default: its head (see RAW_HEAD_BYTES), all the store
 * reads for processing. `pipeline.parseMaxBytes` may lower it.
 */
export const PARSE_LIMIT = RAW_HEAD_BYTES;

/** The processing budget's size part and the output bounds (config `pipeline.*`). */
export interface DecideLimits extends OutputLimits {
  parseMaxBytes: number;
}

export const DEFAULT_DECIDE_LIMITS: DecideLimits = { ...DEFAULT_OUTPUT_LIMITS, parseMaxBytes: PARSE_LIMIT };

/** Record fields that carry the report's own text (the others are ours: rule, reason, ...). */
const RECORD_TEXT_FIELDS = ['diagnostic', 'recipient', 'reportedRecipient', 'action', 'status', 'remoteMta', 'reportingMta', 'originalMessageId', 'feedbackType'] as const;
const EVIDENCE_TEXT_FIELDS = ['diagnostic', 'status'] as const;

export interface Decision {
  outcome: MessageOutcome;
  report: ParsedReport | null;
  attribution: Attribution;
}

/** Parses, classifies and attributes one stored message. Never throws on message content. */
export async function decide(
  msg: Pick<PendingMessage, 'id' | 'receivedAt' | 'rcptTo' | 'raw'>,
  verp: VerpCodec,
  now: number,
  limits: DecideLimits = DEFAULT_DECIDE_LIMITS,
): Promise<Decision> {
  // --- Account policy: List-Unsubscribe mailto: (RFC 2369 / RFC 8058) ---------------------
  // Mail to an address with the unsubscribe prefix is an unsubscribe, whatever its body
  // says, and never a bounce: no parsing, no records, no evidence. Signed tokens are handed
  // to the policy (the settle step, settle.ts) in the settling transaction; forged ones do nothing.
  const unsubscribeRcpts = msg.rcptTo.filter((r) => verp.isUnsubscribeAddress(r));
  if (unsubscribeRcpts.length) {
    const unsubscribes = unsubscribeRcpts.flatMap((r) => {
      const d = verp.decodeUnsubscribe(r);
      return d.ok ? [d.fields] : [];
    });
    return {
      report: null,
      attribution: { source: 'none', fields: null, signed: false },
      outcome: { state: 'processed', kind: 'unknown', detector: 'unsubscribe', reportMessageId: null, bounces: [], evidence: [], unsubscribes },
    };
  }
  // --- end of account policy step ---------------------------------------------------------
  let report: ParsedReport;
  try {
    report = await parseMessage(msg.raw.length > limits.parseMaxBytes ? msg.raw.subarray(0, limits.parseMaxBytes) : msg.raw);
  } catch (err) {
    // Anything the parser throws is the message's fault as far as the sender is concerned:
    // keep it, say why, never drop it.
    const error = err instanceof UnparseableError ? err.message : `parser failed: ${(err as Error)?.message ?? String(err)}`;
    return { outcome: { state: 'unparseable', error: cutText(error, limits.maxTextChars).value! }, report: null, attribution: attribute(msg.rcptTo, null, verp) };
  }
  let verdicts: Verdict[];
  try {
    verdicts = classify(report);
  } catch (err) {
    // A classifier bug must not wedge the queue: keep the message, say why; replay later.
    const error = `classifier failed: ${(err as Error)?.message ?? String(err)}`;
    return { outcome: { state: 'unparseable', error: cutText(error, limits.maxTextChars).value! }, report, attribution: attribute(msg.rcptTo, report, verp) };
  }
  const attribution = attribute(msg.rcptTo, report, verp);
  // A complaint whose provider withheld the recipient is the token's recipient's.
  let vouched = vouchedFor(report, verdicts, attribution);
  const standIn = complaintStandIn(report, verdicts, attribution, vouched);
  const recorded = standIn?.report ?? report;
  if (standIn) {
    verdicts = standIn.verdicts;
    vouched = verdicts.map((_, i) => i === standIn.standIn);
  }
  // Bounded output: at most maxRecords verdicts count, the token's own recipient first. The
  // records and evidence are made from those alone, as if the report had listed only them
  // (their indexes, in evidence keys, are their places among the kept: the selection is the
  // same each time the message is processed).
  const { kept, dropped } = keepVerdicts(verdicts.length, (i) => vouched[i]!, limits.maxRecords);
  const reordered = dropped > 0 || kept.some((k, j) => k !== j);
  const keptReport: ParsedReport = reordered ? { ...recorded, recipients: kept.map((i) => recorded.recipients[i]!) } : recorded;
  const keptVerdicts = reordered ? kept.map((i) => verdicts[i]!) : verdicts;
  const keptVouched = reordered ? kept.map((i) => vouched[i]!) : vouched;
  const bounces = toBounceRecords(keptReport, keptVerdicts, attribution, now, keptVouched);
  const evidence = toEvidence(msg, keptReport, keptVerdicts, bounces, attribution, keptVouched);
  for (const b of bounces) b.warning = cutFields(b, RECORD_TEXT_FIELDS, limits.maxTextChars);
  for (const e of evidence) cutFields(e, EVIDENCE_TEXT_FIELDS, limits.maxTextChars);
  const warnings: string[] = [];
  if (dropped > 0) warnings.push(`${verdicts.length} recipients reported, ${kept.length} kept (pipeline.maxRecordsPerMessage)`);
  let reportMessageId = report.messageId;
  if (reportMessageId !== null && reportMessageId.length > MAX_MESSAGE_ID_CHARS) {
    warnings.push(`report Message-ID of ${reportMessageId.length} characters ignored`);
    reportMessageId = null;
  }
  return {
    report,
    attribution,
    outcome: {
      state: 'processed',
      kind: report.kind,
      detector: report.detector,
      reportMessageId,
      duplicateKey: duplicateKey(reportMessageId, bounces),
      bounces,
      evidence,
      warning: warnings.length ? warnings.join('; ') : null,
    },
  };
}

// PURE: from what a provider said about one recipient (EventFacts) to the evidence a DSN would
// give (EspEvidence). The provider's diagnostic goes through the SAME classifier as a DSN's
// Diagnostic-Code: we build the RecipientReport a DSN block would have made (action, status,
// reply code, the remote server's text) and call classifyRecipient. Then the provider's own
// judgement is applied, in two documented ways:
//
// 1. TYPE. When the provider says permanent or transient, that decides hard / soft / pending,
//    even when the text is vague (SES "Permanent" with "550 Requested action not taken").
//    When it says neither (SES "Undetermined", a Mailgun failure without severity, Postmark
//    "Blocked"), the classifier decides from the status and reply code, as for a DSN; with
//    neither a status nor a reply code, nothing says the failure is permanent: soft (a DSN's
//    explicit "Action: failed" is read as permanent; an ESP's "undetermined" is not).
// 2. REASON HINT. A provider's classification of the cause (SES bounceSubType NoEmail,
//    SendGrid bounce_classification "Invalid Address", Postmark "SpamNotification", ...) is
//    used when the text named no cause (no rule matched: the classifier's `default.*`), and to
//    confirm "user unknown" wording the classifier would otherwise read as a filter because no
//    SMTP command was given (its `+not-rcpt` rule): the provider saw the dialogue, we do not.
//    A specific cause in the text wins over the hint: the remote server's words are the
//    better evidence ("Permanent/NoEmail" with "550 5.7.1 blocked" is blocked).
import { canonicalAddress } from '../address.js';
import { classifyRecipient } from '../classifier/index.js';
import type { BounceType, Category, DsnAction, ParsedReport, Reason, ReportKind, Verdict } from '../report.js';
import { newRecipient } from '../parser/detectors/types.js';
import { parseStatus } from '../parser/detectors/rfc3464.js';
import { findCommand, findReplyCode, findReplyStatus, oneLine } from '../parser/smtp-text.js';
import { cut } from './json.js';
import { attribute, type AccountRule, type TagVerifier } from './tag.js';
import { DEFAULT_LIMITS, type EspEventKind, type EspEvidence, type EspLimits, type EventSkip, type Provider } from './types.js';

/** A provider's classification of a cause: the reason and the category the classifier gives that reason. */
export interface ReasonHint {
  reason: Reason;
  category: Category;
  /** `esp.<provider>.<the provider's word>`: recorded as the verdict's rule when the hint decides. */
  rule: string;
}

/** What one provider event says about one recipient, before attribution and classification. */
export interface EventFacts {
  provider: Provider;
  /** Unique per recipient (see each provider's module for how it is made). */
  eventId: string;
  providerType: string;
  kind: EspEventKind;
  /** As the provider wrote it (canonicalised here). */
  recipient: string;
  at: number;
  providerMessageId: string | null;
  /** The signed tag the sender put on the message, when the event carries one. */
  tag: string | null;
  /** Enhanced status code as the provider gave it (`5.1.1`), if any. */
  status: string | null;
  /** The remote server's text, with or without a `smtp;` type prefix. */
  diagnostic: string | null;
  replyCode: number | null;
  remoteMta: string | null;
  reportingMta: string | null;
  /** Complaints only. */
  feedbackType: string | null;
  /** The provider's permanent / transient / delayed; null: it does not say (the classifier decides). */
  providerBounceType: Exclude<BounceType, 'none'> | null;
  hint: ReasonHint | null;
}

export type EvidenceOutcome = { ok: true; evidence: EspEvidence } | { ok: false; skip: EventSkip };

export interface EvidenceContext extends AccountRule {
  endpointId: string;
  tags: TagVerifier | null;
  limits?: EspLimits;
}

/** `smtp; 550 5.1.1 ...` -> ['smtp', '550 5.1.1 ...'] (RFC 3464 §2.3.6 diagnostic-type; SES, Postmark write it). */
function splitDiagnostic(d: string | null, max: number): { type: string | null; text: string | null } {
  if (!d) return { type: null, text: null };
  const m = /^([A-Za-z][\w-]{0,30})\s*;\s*/.exec(d);
  const text = oneLine(cut(m ? d.slice(m[0].length) : d, max) ?? '');
  return { type: m ? m[1]!.toLowerCase() : null, text: text || null };
}

const ACTION: Record<EspEventKind, DsnAction | null> = { bounce: 'failed', delay: 'delayed', delivery: 'delivered', complaint: null, unsubscribe: null, send: null };
const REPORT_KIND: Record<EspEventKind, ReportKind> = { bounce: 'bounce', delay: 'delay', delivery: 'delivered', complaint: 'complaint', unsubscribe: 'unknown', send: 'unknown' };

/** Bounces and delays: the kinds the provider's type and hints speak about. */
function isFailure(kind: EspEventKind): boolean {
  return kind === 'bounce' || kind === 'delay';
}

/** The classifier's verdict on what the provider said, as a DSN block would have carried it. */
export function classifyFacts(f: EventFacts, limits: EspLimits = DEFAULT_LIMITS): Verdict {
  const { type: diagnosticType, text } = splitDiagnostic(f.diagnostic, limits.maxDiagnosticChars);
  const failure = isFailure(f.kind);
  let status = parseStatus(f.status) ?? findReplyStatus(text);
  let replyCode = f.replyCode ?? findReplyCode(text);
  // a 2xx in a failure is an accepted step of the dialogue, never the failure (as for DSNs)
  if (failure && status?.[0] === '2') status = findReplyStatus(text);
  if (failure && replyCode !== null && (replyCode < 400 || replyCode > 599)) replyCode = findReplyCode(text);
  const action = ACTION[f.kind];
  const rr = newRecipient(f.recipient, {
    action,
    status,
    replyCode,
    diagnosticType: text ? (diagnosticType ?? 'smtp') : null,
    diagnosticCode: text,
    remoteMta: f.remoteMta,
    command: findCommand(text),
  });
  const report: ParsedReport = {
    kind: REPORT_KIND[f.kind],
    detector: `esp-${f.provider}`,
    messageId: null,
    subject: null,
    from: null,
    date: null,
    reportingMta: f.reportingMta,
    arrivalDate: null,
    recipients: [rr],
    original: null,
    feedback:
      f.kind === 'complaint'
        ? { feedbackType: f.feedbackType ?? 'abuse', userAgent: null, version: null, sourceIp: null, originalMailFrom: null, originalRcptTo: [f.recipient], arrivalDate: null, reportingMta: null, reportedDomain: null }
        : null,
    autoReply: null,
    warnings: [],
  };
  return classifyRecipient(report, rr);
}

/** The fields of a verdict once the provider's type and hint are applied (see the top of this file). */
export interface Decided {
  reason: Reason;
  category: Category;
  type: BounceType;
  hardbounce: boolean;
  status: string | null;
  statusDerived: boolean;
  rule: string;
  typeSource: 'provider' | 'classifier';
}

export function decide(f: EventFacts, v: Verdict): Decided {
  let { reason, category, rule } = v;
  let status = v.status;
  const statusDerived = v.statusDerived ?? false;
  const failure = isFailure(f.kind);
  if (failure && f.hint) {
    // the classifier's own defaults (`default.undefined`, `default.onhold`, `default.expired`
    // for a delay): no rule matched, the text named no cause
    const vague = rule.startsWith('default.');
    const confirmsUnknown = f.hint.reason === 'userunknown' && rule.endsWith('+not-rcpt');
    if (vague || confirmsUnknown) {
      reason = f.hint.reason;
      category = f.hint.category;
      rule = vague ? f.hint.rule : `${rule}+${f.hint.rule}`;
    }
  }
  let type = v.type;
  let typeSource: Decided['typeSource'] = 'classifier';
  let target: BounceType = type;
  if (failure && f.providerBounceType) {
    target = f.providerBounceType;
    typeSource = 'provider';
  } else if (failure && type === 'hard' && statusDerived && v.replyCode === null) {
    // the provider does not say, and neither a status nor a reply code came with it: the
    // classifier took "failed" for permanent, as for a DSN; an ESP's "undetermined" failure
    // says less than that. Nothing here is evidence that the address is gone: soft.
    target = 'soft';
  }
  if (failure) {
    type = target;
    // the classifier's fallback categories depend on the type (its CATEGORY maps no reason to
    // these two): permanent is `other`, transient is `temporary`; the same for a hint's
    if (category === 'other' || category === 'temporary') category = type === 'hard' ? 'other' : 'temporary';
    // a status we derived carries the class the classifier assumed: give it the decided one
    if (statusDerived && status) status = `${type === 'hard' ? '5' : '4'}${status.slice(1)}`;
  }
  // as the classifier: the address itself is gone (the unknown_user reasons) and the failure is
  // final ("not accepting mail" only when permanent); a provider that says transient says the
  // address is not gone for good, whatever the text
  const final = typeSource === 'provider' ? type === 'hard' : type !== 'pending';
  const hardbounce = failure && final && category === 'unknown_user' && (reason !== 'notaccept' || type === 'hard');
  return { reason, category, type, hardbounce, status, statusDerived, rule, typeSource };
}

/** Attribution, then classification: the evidence of one event, or why it is none. */
export function toEvidence(f: EventFacts, ctx: EvidenceContext): EvidenceOutcome {
  const limits = ctx.limits ?? DEFAULT_LIMITS;
  const skip = (code: EventSkip['code'], detail: string): EvidenceOutcome => ({ ok: false, skip: { code, eventId: f.eventId, providerType: f.providerType, detail } });
  if (f.recipient.length > limits.maxAddressChars || !/^[^@\s]+@[^@\s]+$/.test(f.recipient)) return skip('malformed', 'the recipient is no address');
  const recipient = canonicalAddress(f.recipient);
  const att = attribute(ctx, f.tag, recipient, ctx.tags);
  if (!att.ok) return skip(att.code, att.detail);
  const base = {
    provider: f.provider,
    endpointId: ctx.endpointId,
    eventId: f.eventId,
    account: att.account,
    accountSource: att.source,
    tag: att.tag,
    messageId: att.fields?.message ?? f.providerMessageId,
    providerMessageId: f.providerMessageId,
    recipient,
    at: f.at,
    kind: f.kind,
    providerType: f.providerType,
  };
  if (f.kind === 'unsubscribe' || f.kind === 'send') {
    // a contact's wish, or the provider's word that it sent: no delivery outcome, nothing for the classifier
    const rule = `esp.${f.provider}.${f.kind}`;
    return {
      ok: true,
      evidence: { ...base, reason: null, category: 'none', type: 'none', hardbounce: false, status: null, statusDerived: false, replyCode: null, diagnostic: null, remoteMta: null, reportingMta: f.reportingMta, feedbackType: null, rule, typeSource: 'classifier' },
    };
  }
  const v = classifyFacts({ ...f, recipient }, limits);
  const d = decide(f, v);
  return {
    ok: true,
    evidence: {
      ...base,
      ...d,
      replyCode: v.replyCode,
      diagnostic: v.diagnosticCode,
      remoteMta: v.remoteMta,
      reportingMta: v.reportingMta,
      feedbackType: f.kind === 'complaint' ? (v.feedbackType ?? 'abuse') : null,
    },
  };
}

// The classifier: ParsedReport -> one Verdict per recipient. PURE.
//
// reason    first rule of ./rules.ts that matches (text over the diagnostic, or the status),
//           after the report kind has spoken for non-bounces.
// status    the report's code, else one derived from reply code + reason (statusDerived).
// hardbounce  the address itself is permanently undeliverable: userunknown, hostunknown,
//           hasmoved (permanent by nature once the MTA gave up: Action failed), and notaccept
//           only with a 5xx / 5.x.x failure (a 4xx "not accepting" is a host condition).
// type      hard: failed with 5.x.x / 5xx; soft: failed with 4.x.x (expired after retries);
//           pending: delayed or a 4xx not yet final; none: not a bounce.
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
import { DERIVED_STATUS, RULES, statusMatches, type MatchContext, type Rule } from './rules.js';

export { RULES } from './rules.js';
export type { MatchContext, Rule } from './rules.js';

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

export interface RuleMatch {
  rule: Rule;
  field: string;
  text: string;
}

/**
 * The text rules read: the diagnostic with its type when that type is not plain SMTP
 * (`x-unix; 255` says "local mailer"), and with the reply-code prefixes of multi-line replies
 * removed ("550-5.7.1 Messages with multiple 550 5.7.1 addresses in From:").
 */
export function ruleText(diagnostic: string | null, diagnosticType: string | null = null): string {
  if (!diagnostic) return '';
  let t = diagnostic.length > 1500 ? diagnostic.slice(0, 1500) : diagnostic;
  const first = /^\s*([45]\d\d)[ -]/.exec(t);
  if (first) {
    const again = new RegExp(`\\s${first[1]}[ -](?:[245]\\.\\d{1,3}\\.\\d{1,3}\\s)?`, 'g');
    t = t.slice(0, first[0].length) + t.slice(first[0].length).replace(again, ' ');
  }
  if (diagnosticType && diagnosticType !== 'smtp') t = `${diagnosticType}; ${t}`;
  return t;
}

/**
 * A rule of the table with every condition present (null when the rule has none). The table's
 * literals come in a dozen shapes (each names only the fields it uses); reading optional fields
 * across all of them in the loop below costs more than most of the regexes it runs.
 */
interface PreparedRule {
  rule: Rule;
  detector: string[] | null;
  command: string[] | null;
  notCommand: string[] | null;
  host: RegExp | null;
  vendorCategory: string[] | null;
  status: string[] | null;
  reply: number[] | null;
  pattern: RegExp | null;
}

const PREPARED: readonly PreparedRule[] = RULES.map((rule) => ({
  rule,
  detector: rule.detector ?? null,
  command: rule.command ?? null,
  notCommand: rule.notCommand ?? null,
  host: rule.host ?? null,
  vendorCategory: rule.vendorCategory ?? null,
  status: rule.status ?? null,
  reply: rule.reply ?? null,
  pattern: rule.pattern ?? null,
}));

/** Does `status` match one of a rule's status prefixes (see statusMatches)? */
function statusMatchesAny(status: string | null, prefixes: string[]): boolean {
  if (!status) return false;
  for (const p of prefixes) if (statusMatches(status, p)) return true;
  return false;
}

/** First rule matching the diagnostic text, the reply code or the status, in table order. */
export function matchRule(text: string, status: string | null, replyCode: number | null = null, command: string | null = null, detector: string | null = null, ctx: MatchContext = {}): RuleMatch | null {
  for (const p of PREPARED) {
    const { rule } = p;
    if (p.detector && (!detector || !p.detector.includes(detector))) continue;
    if (p.command && (!command || !p.command.includes(command))) continue;
    if (p.notCommand && command && p.notCommand.includes(command)) continue;
    if (p.host && !(ctx.host && p.host.test(ctx.host))) continue;
    if (p.vendorCategory) {
      if (!ctx.vendorCategory || !p.vendorCategory.includes(ctx.vendorCategory)) continue;
      if (p.status && !statusMatchesAny(status, p.status)) continue;
      if (!p.pattern) return { rule, field: 'vendorCategory', text: ctx.vendorCategory };
    }
    if (p.pattern) {
      if (!text) continue;
      if (p.status && !statusMatchesAny(status, p.status)) continue;
      const m = p.pattern.exec(text);
      if (m) return { rule, field: 'diagnosticCode', text: m[0] };
    } else if (p.reply) {
      if (replyCode !== null && p.reply.includes(replyCode)) return { rule, field: 'replyCode', text: String(replyCode) };
    } else if (p.status && status) {
      if (statusMatchesAny(status, p.status)) return { rule, field: 'status', text: status };
    }
  }
  return null;
}

function classOf(r: RecipientReport): 2 | 4 | 5 | null {
  const c = r.status?.[0] ?? (r.replyCode ? String(r.replyCode)[0] : null);
  if (c === '5') return 5;
  if (c === '4') return 4;
  if (c === '2') return 2;
  return null;
}

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

/** `mx.example.jp.` / `mx.example.jp (192.0.2.1)` -> `mx.example.jp`. */
function refusingHost(v: string | null): string | null {
  const h = v?.trim().split(/[\s\[(]/)[0].replace(/\.+$/, '').toLowerCase();
  return h || null;
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
  const m = matchRule(ruleText(r.diagnosticCode, r.diagnosticType), r.status, r.replyCode, r.command, report.detector, {
    host: refusingHost(r.remoteMta ?? report.reportingMta),
    vendorCategory: r.vendorCategory ?? null,
  });
  let reason: Reason;
  let rule: string;
  let matched: Verdict['matched'];
  if (m) {
    reason = m.rule.reason;
    rule = m.rule.id;
    matched = { field: m.field, text: m.text };
  } else {
    // nothing said why: a delayed message that never made it has expired; else undecided
    reason = r.action === 'delayed' ? 'expired' : r.diagnosticCode?.trim() ? 'onhold' : 'undefined';
    rule = 'default.' + reason;
    matched = null;
  }
  // "User unknown" wording is only proof of a missing mailbox when it answered RCPT TO (or
  // MAIL) or came with x.1.1. Said after DATA, or by a gateway that does not say when (Japanese
  // carriers, appliances), it is a recipient-side filter's refusal (Sisimai's rule as well).
  // Only when the status does not say otherwise: none, a generic x.0.0, x.2.x (mailbox) or
  // x.7.x (a policy layer refused: "553 ... recipient is in my badrcptto list (#5.7.1)").
  // Vendor-fixed wordings (rules marked `fixed`) are final and exempt.
  const vague = !r.status || /^\d\.(?:0\.0|2\.\d+|7\.\d+)$/.test(r.status);
  if (reason === 'userunknown' && m?.field === 'diagnosticCode' && !m.rule.fixed && r.command !== 'RCPT' && r.command !== 'MAIL' && vague) {
    reason = 'filtered';
    rule += '+not-rcpt';
  }
  // a host that could not be found "for now" (4xx, DNS trouble) is a network problem
  if (reason === 'hostunknown' && classOf(r) === 4) {
    reason = 'networkerror';
    rule += '+temporary';
  }

  let status = r.status;
  let statusDerived = false;
  const permanent = cls === 5 || (cls === null && r.action !== 'delayed');
  if (!status) {
    const klass = cls ?? (r.action === 'delayed' ? 4 : 5);
    status = `${klass}.${DERIVED_STATUS[reason]}`;
    statusDerived = true;
  }

  let type: BounceType;
  if (r.action === 'delayed') type = 'pending';
  else if (permanent) type = 'hard';
  else if (r.action === 'failed') type = 'soft';
  else type = 'pending';

  const hardbounce = r.action !== 'delayed' && HARD_REASONS.has(reason) && (reason !== 'notaccept' || permanent);
  const category: Category = CATEGORY[reason] ?? (type === 'hard' ? 'other' : 'temporary');
  return verdictOf(report, r, { status, statusDerived, reason, hardbounce, category, type, rule, matched });
}

/** One verdict per recipient (empty when the report names none). */
export function classify(report: ParsedReport): Verdict[] {
  return report.recipients.map((r) => classifyRecipient(report, r));
}

// PURE: the account policy's decisions over plain records. No SQL, no clock: `now` is passed
// in. The settle step (src/pipeline/settle.ts) and the service (./service.ts) read what a
// decision needs in their transaction, ask these functions, and write what they decide
// (./apply.ts) in the same transaction. Nothing here reads or writes.

import {
  DAY_MS, eventOfDeliveryChange, isAddressCategory, isSpamFeedback, parseMessageRef, subtractFigures, SUPPRESSION_REASONS,
  type Channel, type ContactReportKind, type DeliveryState, type EventType, type Figures, type HealthStatus,
  type NotificationKind, type PolicyState, type Profile, type SoftBounceLimit, type SuspensionCause, type SuppressionReason, type Tier, type WarningCause,
} from '../domain/index.js';
import type { ContactReport, FailureInput } from '../store/contract.js';
import type { SendDecision } from './contract.js';

export type PolicyConfig = {
  hardBounceLimit: number;
  complaintLimit: number;
  unsubscribeLimit: number;
  warnFraction: number;
  minimumVolume: number;
  globalBounceAccounts: number;
  globalBounceDays: number;
  canarySends: number;
  canaryFraction: number;
  cancelledCampaignsPerMonth: number;
  blocklistSuspendCount: number;
  spamTraps: string[];
  reviewNewAccounts: boolean;
  reviewMonthlySends: number;
  /** The one-to-one channel's own limit (issue #17): its hard bounces / its sends in a month. Default 0.1. */
  oneToOneHardBounceLimit?: number;
  /** One-to-one sends in the month before its rate counts. Default 20. */
  oneToOneMinimumVolume?: number;
};

// ---------------------------------------------------------------------------------------
// Which failures do what.

/**
 * Does this final failure suppress the recipient for the account's marketing mail?
 * default: every permanent failure (hard) does. conservative: only address reasons (the
 * recipient itself is gone, or its mailbox full for good); the content, spam and policy
 * failures count against the account's health instead. Soft and pending never suppress;
 * one-to-one mail never suppresses marketing.
 */
export function suppressesRecipient(profile: Profile, f: { state: string; category: string | null; channel: Channel }): boolean {
  if (f.state !== 'hard' || f.channel !== 'marketing') return false;
  return profile === 'default' ? true : isAddressCategory(f.category);
}

// Repeated soft bounces (issue #19 §2). HubSpot's rule stays the default: a soft bounce
// leaves the contact eligible. An account that chose a SoftBounceLimit has an address
// suppressed (reason soft_bounce_limit) once `bounces` of its marketing deliveries to it
// failed soft within `windowDays` with no delivery in between; a delivery resets the count
// (the window starts again after it), and the suppression is lifted after `suppressDays`.

/** Since when soft bounces count at `now`: the window, cut at the last delivery to the address. */
export function softBounceSince(now: number, limit: SoftBounceLimit, lastDeliveredAt: number | null): number {
  const windowStart = now - limit.windowDays * DAY_MS;
  return lastDeliveredAt === null ? windowStart : Math.max(windowStart, lastDeliveredAt + 1);
}

/** What `softBounces` counted since softBounceSince() call for: null (nothing), or the suppression and its explanation. */
export function softBounceDecision(softBounces: number, limit: SoftBounceLimit | null, now: number): { reason: 'soft_bounce_limit'; source: string; until: number } | null {
  if (!limit || softBounces < limit.bounces) return null;
  const until = now + limit.suppressDays * DAY_MS;
  return {
    reason: 'soft_bounce_limit',
    source: `${softBounces} soft bounces within ${limit.windowDays} days, no delivery between; suppressed for ${limit.suppressDays} days (until ${new Date(until).toISOString().slice(0, 10)})`,
    until,
  };
}

/** A limit an account may choose (null: fine): whole numbers; at least 2 bounces (one soft bounce stays HubSpot's "eligible"). */
export function checkSoftBounceLimit(l: SoftBounceLimit): string | null {
  if (!Number.isInteger(l.bounces) || l.bounces < 2 || l.bounces > 1000) return 'bounces must be a whole number from 2 to 1000';
  if (!Number.isInteger(l.windowDays) || l.windowDays < 1 || l.windowDays > 365) return 'windowDays must be a whole number from 1 to 365';
  if (!Number.isInteger(l.suppressDays) || l.suppressDays < 1 || l.suppressDays > 3650) return 'suppressDays must be a whole number from 1 to 3650';
  return null;
}

/** Enough distinct accounts hard-bounced the address within the window: suppress it for all. */
export function isGlobalBounce(distinctAccounts: number, cfg: Pick<PolicyConfig, 'globalBounceAccounts'>): boolean {
  return distinctAccounts >= cfg.globalBounceAccounts;
}

/** Since when hard bounces of other accounts count toward a global bounce at `now`. */
export function globalBounceSince(now: number, cfg: Pick<PolicyConfig, 'globalBounceDays'>): number {
  return now - cfg.globalBounceDays * DAY_MS;
}

// ---------------------------------------------------------------------------------------
// A delivery that changed state, a complaint, an unsubscribe: what each calls for.

/** A delivery's failure as the policy keeps it (once per delivery; the store counts it). */
export type Failure = FailureInput;

export interface DeliveryChangeInput {
  deliveryId: number;
  /** The state before; null for a delivery this evidence created. */
  previous: DeliveryState | null;
  state: DeliveryState;
  /** This evidence counted the delivery's send (its first attempt line). */
  sendCounted: boolean;
  evidence: { accountId: string; messageId: string; recipient: string; at: number; reason: string | null; category: string | null };
}

/** What a delivery's change calls for; the settle step carries it out in the change's transaction. */
export interface DeliveryEffects {
  /** The event announcing the change (webhooks), or null (a plain delivery, no move). */
  event: EventType | null;
  /** The delivery's send was counted and it belongs to a marketing campaign: one send of that campaign. */
  campaignSend: string | null;
  /** The failure to record (soft or hard), or null. */
  failure: Failure | null;
  /**
   * What else depends on the failure: suppress the recipient (by the account's profile, read
   * only then), check the address for a global bounce, check the campaign's canary. All false
   * but for a hard marketing failure.
   */
  hardMarketing: { addressReason: boolean; campaign: string | null } | null;
  /** Re-evaluate the account's month (a failure counted). */
  evaluate: boolean;
}

/**
 * What a delivery's change of state calls for. `recipient` is the canonical address. A spam
 * trap is a separate question (spamTrapHit): it needs the configuration's list.
 */
export function deliveryEffects(c: DeliveryChangeInput): DeliveryEffects {
  const ref = parseMessageRef(c.evidence.messageId);
  const moved = c.state !== c.previous;
  const campaignSend = c.sendCounted && ref.campaign !== null && ref.channel === 'marketing' ? ref.campaign : null;
  if (!moved || (c.state !== 'soft' && c.state !== 'hard')) {
    return { event: eventOfDeliveryChange(c.previous, c.state), campaignSend, failure: null, hardMarketing: null, evaluate: false };
  }
  const addressReason = c.state === 'hard' && isAddressCategory(c.evidence.category);
  const failure: Failure = {
    deliveryId: c.deliveryId,
    accountId: c.evidence.accountId,
    recipient: c.evidence.recipient,
    channel: ref.channel,
    campaign: ref.campaign,
    state: c.state,
    reason: c.evidence.reason,
    category: c.evidence.category,
    addressReason,
    at: c.evidence.at,
  };
  const hardMarketing = c.state === 'hard' && ref.channel === 'marketing' ? { addressReason, campaign: ref.campaign } : null;
  return { event: eventOfDeliveryChange(c.previous, c.state), campaignSend, failure, hardMarketing, evaluate: true };
}

/** A new delivery to a spam-trap address (canonical): the list is harvested; suspend for fraud. */
export function spamTrapHit(c: Pick<DeliveryChangeInput, 'previous'>, recipient: string, traps: ReadonlySet<string>): boolean {
  return c.previous === null && traps.has(recipient);
}

/** A contact's report about one mail, as the policy keeps it (once per account, kind, message, recipient). */
export type ContactReportInput = ContactReport;

/**
 * The complaint a verified ARF record makes (RFC 5965 feedback type `abuse`), or null: an
 * unverified one names nobody we may act on; `not-spam` is the opposite of a complaint.
 */
export function complaintOf(
  record: { kind: string; verified: boolean; accountId: string | null; recipient: string | null; messageId: string | null; feedbackType: string | null },
  now: number,
  source = 'arf',
): ContactReportInput | null {
  if (record.kind !== 'complaint' || !record.verified || !record.accountId || !record.recipient) return null;
  if (!isSpamFeedback(record.feedbackType)) return null;
  const messageId = record.messageId ?? '';
  const ref = parseMessageRef(messageId);
  return { accountId: record.accountId, kind: 'complaint', messageId, recipient: record.recipient, channel: ref.channel, campaign: ref.campaign, at: now, source };
}

/** The unsubscribe a signed token makes (List-Unsubscribe mailto: or one-click); `recipient` canonical. */
export function unsubscribeOf(fields: { account: string; message: string }, recipient: string, source: string, now: number): ContactReportInput {
  const ref = parseMessageRef(fields.message);
  return { accountId: fields.account, kind: 'unsubscribe', messageId: fields.message, recipient, channel: ref.channel, campaign: ref.campaign, at: now, source };
}

/** The suppression a contact report makes. */
export function suppressionOfReport(kind: ContactReportKind): SuppressionReason {
  return kind === 'complaint' ? 'complaint' : 'unsubscribe';
}

export interface Rate {
  count: number;
  sends: number;
  rate: number;
  limit: number;
  warnAt: number;
}

export function rate(count: number, sends: number, limit: number, cfg: Pick<PolicyConfig, 'warnFraction' | 'minimumVolume'>): Rate {
  const counts = sends > 0 && sends >= cfg.minimumVolume;
  return { count, sends, rate: counts ? count / sends : 0, limit, warnAt: limit * cfg.warnFraction };
}

export function rates(f: Figures, cfg: PolicyConfig): { hardBounce: Rate; complaint: Rate; unsubscribe: Rate } {
  return {
    hardBounce: rate(f.hardBounces, f.sends, cfg.hardBounceLimit, cfg),
    complaint: rate(f.complaints, f.sends, cfg.complaintLimit, cfg),
    unsubscribe: rate(f.unsubscribes, f.sends, cfg.unsubscribeLimit, cfg),
  };
}

export interface Assessment {
  warnings: WarningCause[];
  /** Set when the figures call for a suspension (the caller suspends unless already). */
  suspend: { cause: SuspensionCause; detail: string } | null;
}

const EPS = 1e-12;
const pct = (x: number) => `${(x * 100).toFixed(x < 0.01 ? 2 : 1)} %`;

/**
 * Warnings from the month's figures; suspension from the figures since the last
 * reinstatement (`sinceReinstated`: the same as `month` when never reinstated this month).
 * A rate counts only at or above the minimum volume; it suspends when it passes (>) its
 * limit and warns from warnFraction x limit.
 */
export function assess(month: Figures, sinceReinstated: Figures, cfg: PolicyConfig): Assessment {
  const r = rates(month, cfg);
  const warnings: WarningCause[] = [];
  // EPS: 0.05 x 0.8 is 0.04000000000000001 in binary floating point; 40 in 1,000 must warn.
  const warns = (x: Rate) => x.sends >= cfg.minimumVolume && x.count > 0 && x.rate >= x.warnAt - EPS;
  if (warns(r.hardBounce)) warnings.push('hard_bounce_rate');
  if (warns(r.complaint)) warnings.push('complaint_rate');
  if (warns(r.unsubscribe)) warnings.push('unsubscribe_rate');
  if (month.cancelledCampaigns > 0) warnings.push('campaign_cancelled');
  if (month.blocklistings > 0) warnings.push('blocklisted');

  const s = rates(sinceReinstated, cfg);
  let suspend: Assessment['suspend'] = null;
  for (const [name, x] of [['hard-bounce', s.hardBounce], ['spam complaint', s.complaint], ['unsubscribe', s.unsubscribe]] as const) {
    if (x.sends >= cfg.minimumVolume && x.sends > 0 && x.rate > x.limit + EPS) {
      suspend = { cause: 'rates', detail: `${name} rate ${pct(x.rate)} (${x.count} of ${x.sends} sends) passed the limit of ${pct(x.limit)}` };
      break;
    }
  }
  if (!suspend && sinceReinstated.cancelledCampaigns >= cfg.cancelledCampaignsPerMonth) {
    suspend = { cause: 'campaigns', detail: `${sinceReinstated.cancelledCampaigns} campaigns cancelled by the bounce protection this month` };
  }
  if (!suspend && sinceReinstated.blocklistings >= cfg.blocklistSuspendCount) {
    suspend = { cause: 'blocklist', detail: `${sinceReinstated.blocklistings} bounces this month say the sending IPs or domain are blocklisted` };
  }
  return { warnings, suspend };
}

// ---------------------------------------------------------------------------------------
// Campaign canary.

/** The canary of a campaign: its first canarySends sends, or canaryFraction of its declared size if smaller. */
export function canarySize(planned: number | null, cfg: Pick<PolicyConfig, 'canarySends' | 'canaryFraction'>): number {
  if (!planned || planned <= 0) return cfg.canarySends;
  return Math.max(1, Math.min(cfg.canarySends, Math.ceil(planned * cfg.canaryFraction)));
}

/**
 * Cancel the campaign when its hard bounces already pass the limit measured against
 * max(canary, sends so far): during the canary the whole canary is the denominator (as if
 * every canary mail not yet bounced will be delivered), so the answer never waits for the
 * canary to finish and never cancels on the first unlucky bounces of a large campaign.
 */
export function canaryCancels(c: { hardBounces: number; sends: number; planned: number | null }, cfg: PolicyConfig): boolean {
  const denominator = Math.max(canarySize(c.planned, cfg), c.sends);
  return c.hardBounces / denominator > cfg.hardBounceLimit + EPS;
}

// ---------------------------------------------------------------------------------------
// The pre-send check.

/** The part of an account's state the pre-send check needs (what its one read returns). */
export type AccountState = Pick<PolicyState, 'marketing' | 'suspension' | 'suspendedAt' | 'oneToOne' | 'oneToOneSuspension' | 'oneToOneSuspendedAt' | 'review' | 'updatedAt'>;

export function underReview(s: Pick<PolicyState, 'review'>): boolean {
  return s.review === 'required' || s.review === 'submitted' || s.review === 'denied';
}

/** A suppression row as the check sees it; accountId '*' is global. */
export interface SuppressionHit {
  accountId: string;
  reason: SuppressionReason;
  createdAt: number;
  source: string | null;
}


/**
 * May the account mail the address? Account-level refusals first (suspension, review,
 * cancelled campaign), then the suppressions, most serious first. One-to-one mail is
 * refused only by a suspension of that channel (or fraud); marketing suppressions do not
 * apply to it, and its bounces never suppressed anything.
 */
export function decideSend(
  address: string,
  state: AccountState,
  hits: SuppressionHit[],
  campaign: { cancelledAt: number } | null,
  channel: Channel,
): SendDecision {
  const reasons: SendDecision['reasons'] = [];
  if (channel === 'one_to_one') {
    if (state.oneToOne === 'suspended') {
      reasons.push({ code: 'account_suspended', scope: 'account', since: state.oneToOneSuspendedAt ?? 0, detail: state.oneToOneSuspension ?? undefined });
    } else if (state.marketing === 'suspended' && state.suspension === 'fraud') {
      reasons.push({ code: 'account_suspended', scope: 'account', since: state.suspendedAt ?? 0, detail: 'fraud' });
    }
    return { send: reasons.length === 0, address, reasons };
  }
  if (state.marketing === 'suspended') {
    reasons.push({ code: 'account_suspended', scope: 'account', since: state.suspendedAt ?? 0, detail: state.suspension ?? undefined });
  }
  if (underReview(state)) reasons.push({ code: 'account_under_review', scope: 'account', since: state.updatedAt, detail: state.review });
  if (campaign) reasons.push({ code: 'campaign_cancelled', scope: 'account', since: campaign.cancelledAt });
  // SUPPRESSION_REASONS is in the order the check names them, most serious first.
  const sorted = [...hits].sort((a, b) => SUPPRESSION_REASONS.indexOf(a.reason) - SUPPRESSION_REASONS.indexOf(b.reason));
  for (const h of sorted) {
    reasons.push({ code: h.reason, scope: h.accountId === '*' ? 'global' : 'account', since: h.createdAt, ...(h.source ? { detail: h.source } : {}) });
  }
  return { send: reasons.length === 0, address, reasons };
}

// ---------------------------------------------------------------------------------------
// Health, banner, recommendations.

const RECOMMENDATIONS: Record<WarningCause | SuspensionCause | 'review' | 'sender_failures', string[]> = {
  hard_bounce_rate: [
    'Clean your list: remove addresses that hard-bounced and validate addresses at sign-up (double opt-in).',
    'Remove contacts that never opened or clicked in the last 6 to 12 months.',
    'Do not mail purchased, rented or scraped lists.',
  ],
  complaint_rate: [
    'Mail only people who asked for it, and say who you are in the From and the first lines.',
    'Make unsubscribing easy (one-click List-Unsubscribe) and mail less often.',
    'Import the opt-out list of your previous tool before sending.',
  ],
  unsubscribe_rate: [
    'Import the opt-out list of your previous tool before sending.',
    'Send what people signed up for, and segment: not every contact wants every campaign.',
  ],
  campaign_cancelled: ['A campaign was cancelled because its first sends bounced too much: clean that list before sending it again.'],
  blocklisted: [
    'Your sending IPs or domain appear on a blocklist: check SPF, DKIM and DMARC, and the blocklist\'s delisting procedure.',
  ],
  sender_failures: ['Policy and content bounces: check SPF, DKIM and DMARC alignment for your sending domain, and the content of your mail.'],
  rates: ['Marketing is suspended. Fix the cause above, then file an appeal stating how you cleaned your lists.'],
  campaigns: ['Several campaigns were cancelled by the bounce protection this month: clean your lists, then file an appeal.'],
  blocklist: ['Too many bounces say you are blocklisted: get delisted and check SPF, DKIM and DMARC, then file an appeal.'],
  fraud: ['Mail reached spam-trap addresses: your list contains harvested or very old addresses. Contact the deliverability team.'],
  abuse: ['The abuse desk received a direct complaint about your mail. Contact the deliverability team.'],
  admin: ['An administrator suspended this sending. Contact the deliverability team.'],
  review: ['Tell us where your contacts come from and what you want to send (review form); marketing stays locked until it is approved.'],
};

const WARNING_TEXT: Record<WarningCause, (r: ReturnType<typeof rates>, f: Figures) => string> = {
  hard_bounce_rate: (r) => `hard-bounce rate ${pct(r.hardBounce.rate)} of the limit ${pct(r.hardBounce.limit)}`,
  complaint_rate: (r) => `spam complaint rate ${pct(r.complaint.rate)} of the limit ${pct(r.complaint.limit)}`,
  unsubscribe_rate: (r) => `unsubscribe rate ${pct(r.unsubscribe.rate)} of the limit ${pct(r.unsubscribe.limit)}`,
  campaign_cancelled: (_r, f) => `${f.cancelledCampaigns} campaign(s) cancelled by the bounce protection`,
  blocklisted: (_r, f) => `${f.blocklistings} bounce(s) say your sending IPs or domain are blocklisted`,
};

export interface HealthView {
  status: HealthStatus;
  suspension: string | null;
  banner: string | null;
  recommendations: string[];
  canAppeal: boolean;
}

export function appealTier(tier: Tier): 'form' | 'none' | 'team' {
  if (tier === 'free') return 'none';
  if (tier.startsWith('legacy-')) return 'team';
  return 'form';
}

export function viewHealth(input: {
  tier: Tier;
  state: Pick<PolicyState, 'marketing' | 'suspension' | 'review'>;
  warnings: WarningCause[];
  figures: Figures;
  openAppeal: boolean;
  cfg: PolicyConfig;
}): HealthView {
  const { state, warnings, figures, cfg } = input;
  const r = rates(figures, cfg);
  const recs = new Set<string>();
  const add = (k: keyof typeof RECOMMENDATIONS) => RECOMMENDATIONS[k].forEach((x) => recs.add(x));
  if (figures.senderFailures > 0) add('sender_failures');
  const suspended = state.marketing === 'suspended';
  const tierAppeal = appealTier(input.tier);
  const appealHint = (): string =>
    tierAppeal === 'none'
      ? ' Free accounts cannot appeal: marketing stays locked; everything else keeps working.'
      : tierAppeal === 'team'
        ? ' The deliverability team will write to your primary contact.'
        : input.openAppeal
          ? ' Your appeal is being reviewed.'
          : ' You can file an appeal.';
  if (suspended) {
    const cause = state.suspension as SuspensionCause | null;
    add(cause && cause in RECOMMENDATIONS ? cause : 'rates');
    for (const w of warnings) add(w);
    return {
      status: 'suspended',
      suspension: state.suspension,
      banner: `Marketing sending is suspended (${state.suspension ?? 'policy'}).${appealHint()}`,
      recommendations: [...recs],
      canAppeal: tierAppeal === 'form' && !input.openAppeal,
    };
  }
  if (underReview(state)) {
    add('review');
    const text =
      state.review === 'submitted'
        ? 'Your account is under review: we received your form and will answer soon. Marketing is locked until then.'
        : state.review === 'denied'
          ? 'Your review was not approved: marketing stays locked. Contact the deliverability team.'
          : 'Your account is held for review: submit the review form about your contacts and the mail you want to send. Marketing is locked until an admin approves it.';
    return { status: 'suspended', suspension: 'review', banner: text, recommendations: [...recs], canAppeal: false };
  }
  if (warnings.length) {
    for (const w of warnings) add(w);
    return {
      status: 'warning',
      suspension: null,
      banner: `Warning: ${warnings.map((w) => WARNING_TEXT[w](r, figures)).join('; ')}. Passing a limit suspends marketing sending.`,
      recommendations: [...recs],
      canAppeal: false,
    };
  }
  return { status: 'ok', suspension: null, banner: null, recommendations: [...recs], canAppeal: false };
}

// ---------------------------------------------------------------------------------------
// Appeals.

export interface AppealForm {
  channel: Channel;
  importedOptOutList: true;
  cleanedLists: true;
  contactsSource: string;
  mailedWithinYear: true;
  message: string;
}

/** Checks an appeal form: the three statements must be made (true) and the texts given. */
export function readAppealForm(form: Record<string, unknown>): { ok: true; form: AppealForm } | { ok: false; error: string } {
  const missing: string[] = [];
  for (const k of ['importedOptOutList', 'cleanedLists', 'mailedWithinYear'] as const) if (form[k] !== true) missing.push(k);
  for (const k of ['contactsSource', 'message'] as const) if (typeof form[k] !== 'string' || !(form[k] as string).trim()) missing.push(k);
  const channel = form.channel ?? 'marketing';
  if (channel !== 'marketing' && channel !== 'one_to_one') return { ok: false, error: 'channel must be marketing or one_to_one' };
  if (missing.length) return { ok: false, error: `the appeal form needs: ${missing.join(', ')}` };
  return {
    ok: true,
    form: {
      channel,
      importedOptOutList: true,
      cleanedLists: true,
      contactsSource: (form.contactsSource as string).trim(),
      mailedWithinYear: true,
      message: (form.message as string).trim(),
    },
  };
}

export function appealAllowed(
  tier: Tier,
  suspended: boolean,
  hasOpenAppeal: boolean,
): { ok: true } | { ok: false; error: string; code: 'free_tier' | 'legacy_tier' | 'not_suspended' | 'appeal_open' } {
  const t = appealTier(tier);
  if (t === 'none') return { ok: false, code: 'free_tier', error: 'free accounts cannot appeal: marketing stays locked' };
  if (t === 'team') return { ok: false, code: 'legacy_tier', error: 'legacy plans are not offered the appeal form: the deliverability team will email the primary contact' };
  if (!suspended) return { ok: false, code: 'not_suspended', error: 'the account is not suspended' };
  if (hasOpenAppeal) return { ok: false, code: 'appeal_open', error: 'an appeal is already open for this account' };
  return { ok: true };
}

/** Backoff of the notification outbox: base, 2 x base, 4 x base, ... capped. */
export function retryDelay(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

// ---------------------------------------------------------------------------------------
// The account's month and state: evaluation, suspension, reinstatement, review.

export interface Evaluation {
  figures: Figures;
  assessment: Assessment;
  /** Hold the account for review (its monthly sends passed reviewMonthlySends): why; null: no. */
  hold: string | null;
  /** Suspend marketing now (it is not yet): the cause and the words. */
  suspend: Assessment['suspend'];
  /** Warnings not yet announced this month, to announce now (marketing not suspended, none now). */
  announce: WarningCause[];
}

/**
 * What the month's figures call for, given the account's state: a review by volume, a
 * suspension (once: not when already suspended), warnings not yet announced this month (not
 * when suspended, or suspending now). The figures since a reinstatement this month decide a new
 * suspension, so the failures that suspended it do not suspend it again at once.
 */
export function evaluateMonth(state: PolicyState, figures: Figures, month: string, cfg: PolicyConfig): Evaluation {
  const since = state.baseline?.month === month ? subtractFigures(figures, state.baseline.figures) : figures;
  const assessment = assess(figures, since, cfg);
  const hold =
    cfg.reviewMonthlySends > 0 && state.review === 'none' && figures.sends >= cfg.reviewMonthlySends ? `monthly sends passed ${cfg.reviewMonthlySends}` : null;
  const suspend = assessment.suspend && state.marketing === 'ok' ? assessment.suspend : null;
  const announced = state.warned?.month === month ? state.warned.causes : [];
  const announce = !suspend && state.marketing === 'ok' ? assessment.warnings.filter((w) => !announced.includes(w)) : [];
  return { figures, assessment, hold, suspend, announce };
}

/** The state with these warnings recorded as announced this month. */
export function warnedState(state: PolicyState, month: string, causes: WarningCause[]): PolicyState {
  const announced = state.warned?.month === month ? state.warned.causes : [];
  return { ...state, warned: { month, causes: [...announced, ...causes] } };
}

/** The state after suspending a channel (or both: fraud); null when nothing changes (already suspended). */
export function suspendedState(state: PolicyState, channel: Channel | 'both', cause: string, detail: string, now: number): PolicyState | null {
  const next = { ...state };
  let changed = false;
  if ((channel === 'marketing' || channel === 'both') && state.marketing === 'ok') {
    Object.assign(next, { marketing: 'suspended', suspension: cause, suspensionDetail: detail, suspendedAt: now });
    changed = true;
  }
  if ((channel === 'one_to_one' || channel === 'both') && state.oneToOne === 'ok') {
    Object.assign(next, { oneToOne: 'suspended', oneToOneSuspension: cause, oneToOneSuspendedAt: now });
    changed = true;
  }
  return changed ? next : null;
}

/**
 * The state after lifting a channel's suspension. For marketing the month's figures so far
 * become the baseline: the rates that suspended the account do not suspend it again at
 * once; new failures this month do.
 */
export function reinstatedState(state: PolicyState, channel: Channel, month: string, figures: Figures): PolicyState {
  if (channel === 'one_to_one') return { ...state, oneToOne: 'ok', oneToOneSuspension: null, oneToOneSuspendedAt: null };
  return { ...state, marketing: 'ok', suspension: null, suspensionDetail: null, suspendedAt: null, baseline: { month, figures } };
}

/** The state held for review; null when it is held already (required or submitted). */
export function heldState(state: PolicyState): PolicyState | null {
  if (state.review === 'required' || state.review === 'submitted') return null;
  return { ...state, review: 'required' };
}

// ---------------------------------------------------------------------------------------
// What the account's contact is told (the notifications outbox).

export interface Notice {
  kind: NotificationKind;
  subject: string;
  body: string;
}

export function suspensionNotice(tier: Tier, channel: Channel | 'both', detail: string): Notice {
  const how = appealTier(tier);
  const next =
    how === 'form' ? 'You can file an appeal once you have cleaned your lists.'
      : how === 'team' ? 'The deliverability team will contact you about the next steps.'
        : 'Free accounts cannot appeal: marketing stays locked; the other functions keep working.';
  const what = channel === 'one_to_one' ? 'Sending from your connected inbox (one-to-one mail)' : 'Marketing sending';
  return { kind: 'suspension', subject: `${what} is suspended`, body: `${what} is suspended: ${detail}.\n\n${next}\n` };
}

export function warningNotice(view: Pick<HealthView, 'banner' | 'recommendations'>): Notice {
  return { kind: 'warning', subject: 'Warning about your sending', body: `${view.banner}\n\n${view.recommendations.map((x) => `- ${x}`).join('\n')}\n` };
}

export const REVIEW_NOTICE: Notice = {
  kind: 'review',
  subject: 'Your account is held for review',
  body: 'Before your marketing mail goes out, tell us about your contacts and the mail you want to send (review form). Marketing is locked until an admin approves it.\n',
};

export const OUTREACH_NOTICE: Notice = {
  kind: 'outreach',
  subject: 'About your suspended sending',
  body: 'Your plan does not include the appeal form: a member of the deliverability team will write to you about the suspension and the next steps.\n',
};

export function appealReceivedNotice(appealId: number): Notice {
  return { kind: 'appeal_received', subject: 'We received your appeal', body: `We received your appeal (number ${appealId}). A reviewer will decide; you will hear from us by email.\n` };
}

export function appealDecisionNotice(appealId: number, decision: 'reinstate' | 'deny', reason: string): Notice {
  const body =
    decision === 'reinstate'
      ? `Your appeal ${appealId} was accepted: sending is reinstated. Contacts that bounced, unsubscribed or complained stay suppressed.\n\nReason: ${reason}\n`
      : `Your appeal ${appealId} was denied: sending stays suspended.\n\nReason: ${reason}\n`;
  return { kind: 'decision', subject: `Decision on your appeal ${appealId}`, body };
}

export function reviewDecisionNotice(decision: 'approve' | 'deny', reason: string): Notice {
  return {
    kind: 'decision',
    subject: `Review ${decision === 'approve' ? 'approved' : 'not approved'}`,
    body: decision === 'approve' ? `Your account review was approved: marketing is unlocked.\n\n${reason}\n` : `Your account review was not approved: marketing stays locked.\n\n${reason}\n`,
  };
}

// ---------------------------------------------------------------------------------------
// A profile change replays the stored hard failures.

/**
 * Which recipients a profile suppresses, from the account's stored hard marketing failures
 * (the classifier's category, kept per delivery: no re-parsing). An unbounce stays in force for
 * the failures older than it. Returns, per recipient, the delivery that suppresses it or null.
 */
export function replayProfile(
  profile: Profile,
  failures: ReadonlyArray<{ deliveryId: number; recipient: string; category: string | null; at: number }>,
  unbouncedAt: (recipient: string) => number | null,
): Map<string, number | null> {
  const byRecipient = new Map<string, Array<{ deliveryId: number; category: string | null; at: number }>>();
  for (const f of failures) {
    const list = byRecipient.get(f.recipient) ?? [];
    list.push(f);
    byRecipient.set(f.recipient, list);
  }
  const out = new Map<string, number | null>();
  for (const [recipient, list] of byRecipient) {
    const since = unbouncedAt(recipient) ?? -Infinity;
    const wanting = list.filter((f) => f.at > since && suppressesRecipient(profile, { state: 'hard', category: f.category, channel: 'marketing' }));
    out.set(recipient, wanting.length ? wanting[0]!.deliveryId : null);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The one-to-one channel's own health (issue #17): bounces found in connected inboxes over
// the sends of those inboxes (their Sent folders and the sends reported through the API), per
// UTC month. Marketing figures never enter it, nor it theirs.

/** The warning cause of the one-to-one channel (announced once a month, as marketing's are). */
export const ONE_TO_ONE_WARNING = 'one_to_one_hard_bounce_rate';

export interface OneToOneMonth {
  hardBounces: number;
  sends: number;
}

export interface OneToOneEvaluation {
  rate: Rate;
  /** Suspend one-to-one sending now: the words. */
  suspend: { cause: SuspensionCause; detail: string } | null;
  /** Announce the warning now (not yet this month, nothing suspended). */
  warn: boolean;
}

/**
 * What the one-to-one month calls for. A rate counts from oneToOneMinimumVolume sends; it
 * warns from warnFraction of its limit and suspends one-to-one sending once past (>) it,
 * unless the channel was reinstated this month (an appeal granted: the month's bounces that
 * suspended it do not suspend it again; it still warns, and the next month counts afresh).
 */
export function evaluateOneToOne(state: PolicyState, m: OneToOneMonth, month: string, cfg: PolicyConfig, reinstatedThisMonth: boolean): OneToOneEvaluation {
  const limit = cfg.oneToOneHardBounceLimit ?? 0.1;
  const minimumVolume = cfg.oneToOneMinimumVolume ?? 20;
  const r = rate(m.hardBounces, m.sends, limit, { warnFraction: cfg.warnFraction, minimumVolume });
  const counts = r.sends >= minimumVolume && r.sends > 0;
  if (state.oneToOne !== 'ok' || !counts) return { rate: r, suspend: null, warn: false };
  const suspend =
    r.rate > r.limit + EPS && !reinstatedThisMonth
      ? { cause: 'rates' as const, detail: `one-to-one hard-bounce rate ${pct(r.rate)} (${r.count} of ${r.sends} sends) passed the limit of ${pct(r.limit)}` }
      : null;
  const announced = state.warned?.month === month && state.warned.causes.includes(ONE_TO_ONE_WARNING);
  const warn = !suspend && !announced && r.count > 0 && r.rate >= r.warnAt - EPS;
  return { rate: r, suspend, warn };
}

export function oneToOneWarningNotice(r: Rate): Notice {
  return {
    kind: 'warning',
    subject: 'Warning about the mail sent from your connected inboxes',
    body:
      `The hard-bounce rate of the mail sent from your connected inboxes (one-to-one mail) is ${pct(r.rate)} this month ` +
      `(${r.count} of ${r.sends} sends); one-to-one sending is suspended past ${pct(r.limit)}.\n\n` +
      '- Check the addresses before writing: a typo or an old contact bounces.\n- Remove contacts whose mail bounced.\n',
  };
}

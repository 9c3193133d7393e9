// PURE: the account policy's decisions over plain records. No SQL, no clock: `now` is passed
// in. The service (./service.ts) reads the records, asks these functions, and writes what
// they decide in the same transaction.

import type { Channel, HealthStatus, Profile, SendDecision, SuppressionReason, Tier } from './contract.js';

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
};

export const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------
// Message references: [o2o:]<campaign>/<message> or [o2o:]<message> (see contract.ts).

export interface MessageRef {
  channel: Channel;
  campaign: string | null;
  message: string;
}

export function parseMessageRef(messageId: string): MessageRef {
  let rest = messageId;
  let channel: Channel = 'marketing';
  if (rest.toLowerCase().startsWith('o2o:')) {
    channel = 'one_to_one';
    rest = rest.slice(4);
  }
  const slash = rest.indexOf('/');
  if (slash > 0 && slash < rest.length - 1) return { channel, campaign: rest.slice(0, slash), message: rest.slice(slash + 1) };
  return { channel, campaign: null, message: rest };
}

// ---------------------------------------------------------------------------------------
// Months: calendar months in UTC, like the `sends` days.

export function monthOf(t: number): string {
  return new Date(t).toISOString().slice(0, 7);
}

/** [start, end) of a YYYY-MM month in ms, and its first and next day as YYYY-MM-DD. */
export function monthRange(month: string): { start: number; end: number; firstDay: string; nextFirstDay: string } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const start = Date.UTC(y, m - 1, 1);
  const end = Date.UTC(y, m, 1);
  return { start, end, firstDay: new Date(start).toISOString().slice(0, 10), nextFirstDay: new Date(end).toISOString().slice(0, 10) };
}

// ---------------------------------------------------------------------------------------
// Which failures do what.

/**
 * Address reasons: the recipient itself is gone (unknown user, host, moved, not accepting)
 * or its mailbox is full for good. These are the reasons that count toward a global bounce
 * and the only ones the conservative profile suppresses on.
 */
export function isAddressReason(category: string | null): boolean {
  return category === 'unknown_user' || category === 'mailbox_full';
}

/** Bounces that say the sender (its IP or domain) is on a blocklist. */
export function isBlocklisting(reason: string | null): boolean {
  return reason === 'blocked' || reason === 'badreputation';
}

/** Content, spam and policy failures: the sender's fault, not the recipient's. */
export function isSenderSide(category: string | null): boolean {
  return category === 'content' || category === 'spam' || category === 'policy';
}

/**
 * Does this final failure suppress the recipient for the account's marketing mail?
 * default: every permanent failure (hard) does. conservative: only address reasons; the
 * content, spam and policy failures count against the account's health instead.
 * Soft and pending never suppress; one-to-one mail never suppresses marketing.
 */
export function suppressesRecipient(profile: Profile, f: { state: string; category: string | null; channel: Channel }): boolean {
  if (f.state !== 'hard' || f.channel !== 'marketing') return false;
  return profile === 'default' ? true : isAddressReason(f.category);
}

/** ARF feedback types that are a spam complaint (RFC 5965 §7.3; not-spam is the opposite). */
export function isSpamComplaint(feedbackType: string | null): boolean {
  return feedbackType === 'abuse';
}

/** Enough distinct accounts hard-bounced the address within the window: suppress it for all. */
export function isGlobalBounce(distinctAccounts: number, cfg: Pick<PolicyConfig, 'globalBounceAccounts'>): boolean {
  return distinctAccounts >= cfg.globalBounceAccounts;
}

// ---------------------------------------------------------------------------------------
// Rates, warnings and suspension.

/** What happened in one month (or since a reinstatement): the inputs of the decisions. */
export interface Figures {
  sends: number;
  hardBounces: number;
  complaints: number;
  unsubscribes: number;
  /** Hard bounces that were content, spam or policy failures (the sender's side). */
  senderFailures: number;
  cancelledCampaigns: number;
  blocklistings: number;
}

export const ZERO_FIGURES: Figures = {
  sends: 0, hardBounces: 0, complaints: 0, unsubscribes: 0, senderFailures: 0, cancelledCampaigns: 0, blocklistings: 0,
};

export function subtractFigures(a: Figures, b: Figures | null): Figures {
  if (!b) return a;
  const out = { ...a };
  for (const k of Object.keys(out) as Array<keyof Figures>) out[k] = Math.max(0, a[k] - (b[k] ?? 0));
  return out;
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

export type WarningCause = 'hard_bounce_rate' | 'complaint_rate' | 'unsubscribe_rate' | 'campaign_cancelled' | 'blocklisted';
export type SuspensionCause = 'rates' | 'fraud' | 'campaigns' | 'blocklist' | 'abuse';

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

export interface AccountState {
  marketing: 'ok' | 'suspended';
  suspension: string | null;
  suspendedAt: number | null;
  oneToOne: 'ok' | 'suspended';
  oneToOneSuspension: string | null;
  oneToOneSuspendedAt: number | null;
  review: 'none' | 'required' | 'submitted' | 'approved' | 'denied';
  updatedAt: number;
}

export const DEFAULT_STATE: AccountState = {
  marketing: 'ok', suspension: null, suspendedAt: null,
  oneToOne: 'ok', oneToOneSuspension: null, oneToOneSuspendedAt: null,
  review: 'none', updatedAt: 0,
};

export function underReview(s: AccountState): boolean {
  return s.review === 'required' || s.review === 'submitted' || s.review === 'denied';
}

/** A suppression row as the check sees it; accountId '*' is global. */
export interface SuppressionHit {
  accountId: string;
  reason: SuppressionReason;
  createdAt: number;
  source: string | null;
}

const REASON_ORDER: SuppressionReason[] = ['spam_trap', 'complaint', 'unsubscribe', 'hard_bounce', 'global_bounce', 'manual', 'import'];

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
  const sorted = [...hits].sort((a, b) => REASON_ORDER.indexOf(a.reason) - REASON_ORDER.indexOf(b.reason));
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
  state: AccountState;
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
    add((state.suspension as SuspensionCause) ?? 'rates');
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

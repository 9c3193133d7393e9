import { canonicalAddress } from '../address.js';
import type { Config } from '../config/schema.js';
import type { SqliteStore } from '../store/sqlite.js';
import type { DeliveryChange } from '../store/sqlite-lifecycle.js';
import { GLOBAL, PolicyRepo, type StoredState } from '../store/sqlite-policy.js';
import type { BounceRecord, MessageOutcome } from '../store/types.js';
import type { VerpCodec, VerpFields } from '../verp/index.js';
import type {
  Account, Channel, Health, PolicyService, Profile, SendDecision, SuppressionReason, SuppressionRecord, Tier,
} from './contract.js';
import {
  appealAllowed, appealTier, assess, canaryCancels, DAY_MS, decideSend, isAddressReason, isGlobalBounce, isSpamComplaint,
  monthOf, parseMessageRef, rates, readAppealForm, subtractFigures, suppressesRecipient, viewHealth,
  type Assessment, type Figures, type PolicyConfig, type SuspensionCause,
} from './rules.js';

// The account policy over the store: the in-transaction rules (attached by openPipeline),
// and what the API and the CLI ask (contract.ts). Decisions are the pure functions of
// ./rules.ts; this file reads records, asks them, and writes the outcome, its audit row,
// its event and its notification in one transaction.

import { PROFILES, TIERS } from '../domain/index.js';

/** A caller's mistake (unknown tier, duplicate account, missing reason): a stable code. */
export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The actor recorded for changes the rules make by themselves. */
export const RULES_ACTOR = 'policy';

/** Reasons an unbounce may lift: the account's own bounce and its own lists, never a contact's choice. */
const REMOVABLE: SuppressionReason[] = ['hard_bounce', 'manual', 'import'];

export interface CampaignHealth {
  accountId: string;
  campaign: string;
  state: 'active' | 'cancelled';
  cancelledAt: number | null;
  planned: number | null;
  sends: number;
  hardBounces: number;
  hardBounceRate: number;
  complaints: number;
  complaintRate: number;
  unsubscribes: number;
  unsubscribeRate: number;
  canaryCancels: boolean;
}

/** What an account created by its first signed evidence starts as (what the rules assumed of an unknown id). */
export const IMPLICIT_ACCOUNT = { tier: 'free', profile: 'default' } as const satisfies { tier: Tier; profile: Profile };

export class SqlitePolicyService implements PolicyService {
  readonly repo: PolicyRepo;
  private readonly cfg: PolicyConfig;
  private readonly traps: Set<string>;
  /** Ids known to exist (accounts are never deleted): spares a read per piece of evidence. */
  private readonly known = new Set<string>();

  constructor(
    readonly store: SqliteStore,
    private readonly config: Config,
    private readonly verp: VerpCodec,
  ) {
    this.repo = new PolicyRepo(store.db);
    this.cfg = config.policy;
    this.traps = new Set(config.policy.spamTraps.map(canonicalAddress));
  }

  /** Attaches the in-transaction rules to the store (once per store). */
  attach(): this {
    this.store.lifecycle.onDeliveryChange((c) => this.onDeliveryChange(c));
    this.store.onRecord((r, now) => this.onRecord(r, now));
    this.store.onSettle((row, outcome, now) => this.onSettle(row, outcome, now));
    return this;
  }

  // ---------------------------------------------------------------------------------------
  // The account rule: an account exists before anything is recorded for it. An admin creates
  // it (`accounts create`, POST /v1/accounts), or its first signed evidence does: a verified
  // bounce, log line or unsubscribe carries a token that only bounced's secret can make, so
  // the id came from our own sending side (the application that sent for that account). Such
  // an account starts as IMPLICIT_ACCOUNT, audited, and shows in `accounts list|health` like
  // any other; the admin then sets its tier and contact (`accounts update`). An id typed by
  // hand (the CLI's suppressions, sends, campaigns, abuse desk) has no such proof and must
  // name an existing account (requireAccount): a typo is refused, never a new ghost account.

  /** Creates the account of signed evidence if it does not exist yet (inside the evidence's transaction). */
  ensureAccount(accountId: string, source: string, now: number): void {
    if (this.known.has(accountId)) return;
    if (this.repo.getAccount(accountId)) {
      this.known.add(accountId);
      return;
    }
    // Not remembered as known here: the transaction may yet roll back; the next read finds it.
    const a = { id: accountId, name: null, contactEmail: null, ...IMPLICIT_ACCOUNT };
    this.repo.insertAccount(a, now);
    this.repo.audit(now, RULES_ACTOR, accountId, 'account.create', null, { tier: a.tier, profile: a.profile, implicit: true, source });
    if (this.cfg.reviewNewAccounts) this.holdForReview(accountId, RULES_ACTOR, 'new account (first evidence)', now);
  }

  /** Refuses an id typed by an operator when no such account exists. */
  requireAccount(accountId: string): void {
    if (this.known.has(accountId)) return;
    if (!this.repo.getAccount(accountId)) {
      throw new PolicyError('no_account', `no account ${accountId} (accounts come from \`bounced accounts create\` or from their first verified bounce)`);
    }
    this.known.add(accountId);
  }

  // ---------------------------------------------------------------------------------------
  // In-transaction rules.

  /** A delivery changed state: failures, suppression, global bounce, canary, spam traps. */
  onDeliveryChange(change: DeliveryChange): void {
    const ev = change.evidence;
    const now = change.now;
    const accountId = ev.accountId;
    if (change.previous === null) this.ensureAccount(accountId, `delivery:${ev.source}`, now);
    const recipient = canonicalAddress(ev.recipient);
    const ref = parseMessageRef(ev.messageId);
    // The first sign of a delivery that went out counts as a send of its campaign.
    if (change.previous === null && ev.countsAsSend && ref.campaign && ref.channel === 'marketing') {
      this.repo.addCampaignSends(accountId, ref.campaign, 1, now);
    }
    if (change.previous === null && this.traps.has(recipient)) {
      this.repo.addSuppression(accountId, recipient, 'spam_trap', `delivery:${change.deliveryId}`, now);
      this.suspend(accountId, 'both', 'fraud', `mail to a spam-trap address (delivery ${change.deliveryId})`, RULES_ACTOR, now);
    }
    if (change.state !== 'soft' && change.state !== 'hard') return;
    const addressReason = change.state === 'hard' && isAddressReason(ev.category);
    this.repo.recordFailure({
      deliveryId: change.deliveryId,
      accountId,
      recipient,
      channel: ref.channel,
      campaign: ref.campaign,
      state: change.state,
      reason: ev.reason,
      category: ev.category,
      addressReason,
      at: ev.at,
    });
    if (change.state === 'hard' && ref.channel === 'marketing') {
      const profile = this.repo.getAccount(accountId)?.profile ?? 'default';
      if (suppressesRecipient(profile, { state: 'hard', category: ev.category, channel: ref.channel })) {
        this.repo.addSuppression(accountId, recipient, 'hard_bounce', `delivery:${change.deliveryId}`, now);
      }
      if (addressReason) this.checkGlobal(recipient, now);
      if (ref.campaign) this.checkCanary(accountId, ref.campaign, now);
    }
    this.evaluate(accountId, now, RULES_ACTOR);
  }

  /** ARF complaints: a verified abuse report suppresses the contact and counts. */
  onRecord(record: BounceRecord, now: number): void {
    if (record.verified && record.accountId) this.ensureAccount(record.accountId, `record:${record.kind}`, now);
    if (record.kind !== 'complaint' || !record.verified || !record.accountId || !record.recipient) return;
    if (!isSpamComplaint(record.feedbackType)) return;
    const messageId = record.messageId ?? '';
    const ref = parseMessageRef(messageId);
    const fresh = this.repo.insertReport({
      accountId: record.accountId, kind: 'complaint', messageId, recipient: record.recipient,
      channel: ref.channel, campaign: ref.campaign, at: now, source: 'arf',
    });
    if (!fresh) return;
    this.repo.addSuppression(record.accountId, record.recipient, 'complaint', record.id ? `bounce:${record.id}` : 'arf', now);
    this.store.lifecycle.emitEvent(record.accountId, 'complaint', {
      accountId: record.accountId, messageId, recipient: record.recipient, feedbackType: record.feedbackType, at: now,
    }, now);
    this.evaluate(record.accountId, now, RULES_ACTOR);
  }

  /** Mail to a List-Unsubscribe mailto: address (the pipeline found the tokens). */
  onSettle(_row: number, outcome: Extract<MessageOutcome, { state: 'processed' }>, now: number): void {
    for (const u of outcome.unsubscribes ?? []) this.applyUnsubscribe(u, 'mailto', now);
  }

  private applyUnsubscribe(fields: VerpFields, source: string, now: number): void {
    this.ensureAccount(fields.account, `unsubscribe:${source}`, now);
    const recipient = canonicalAddress(fields.recipient);
    const ref = parseMessageRef(fields.message);
    const fresh = this.repo.insertReport({
      accountId: fields.account, kind: 'unsubscribe', messageId: fields.message, recipient,
      channel: ref.channel, campaign: ref.campaign, at: now, source,
    });
    this.repo.addSuppression(fields.account, recipient, 'unsubscribe', source, now);
    if (!fresh) return;
    this.store.lifecycle.emitEvent(fields.account, 'unsubscribe', { accountId: fields.account, messageId: fields.message, recipient, source, at: now }, now);
    this.evaluate(fields.account, now, RULES_ACTOR);
  }

  private checkGlobal(address: string, now: number): void {
    const n = this.repo.globalBounceAccounts(address, now - this.cfg.globalBounceDays * DAY_MS);
    if (!isGlobalBounce(n, this.cfg)) return;
    if (!this.repo.addSuppression(GLOBAL, address, 'global_bounce', `${n} accounts`, now)) return;
    this.repo.audit(now, RULES_ACTOR, null, 'suppression.global', address, { accounts: n, days: this.cfg.globalBounceDays });
    this.store.lifecycle.emitEvent(null, 'suppression.global', { address, accounts: n, at: now }, now);
  }

  private checkCanary(accountId: string, campaign: string, now: number): void {
    const c = this.repo.getCampaign(accountId, campaign);
    if (!c) {
      this.repo.ensureCampaign(accountId, campaign, now);
      return this.checkCanary(accountId, campaign, now);
    }
    if (c.state !== 'active' || !canaryCancels(c, this.cfg)) return;
    this.repo.cancelCampaign(accountId, campaign, now);
    this.repo.audit(now, RULES_ACTOR, accountId, 'campaign.cancel', campaign, { hardBounces: c.hardBounces, sends: c.sends, planned: c.planned });
  }

  /**
   * Re-reads the month's figures and applies what they call for: a suspension (once), new
   * warnings (announced once a month each), a review by volume. Idempotent; call inside a
   * transaction.
   */
  evaluate(accountId: string, now: number, actor: string): { state: StoredState; figures: Figures; assessment: Assessment } {
    const month = monthOf(now);
    const state = this.repo.getState(accountId);
    const figures = this.repo.figures(accountId, month);
    const since = state.baseline?.month === month ? subtractFigures(figures, state.baseline.figures) : figures;
    const assessment = assess(figures, since, this.cfg);
    if (this.cfg.reviewMonthlySends > 0 && state.review === 'none' && figures.sends >= this.cfg.reviewMonthlySends) {
      this.holdForReview(accountId, actor, `monthly sends passed ${this.cfg.reviewMonthlySends}`, now);
    }
    if (assessment.suspend && state.marketing === 'ok') {
      this.suspend(accountId, 'marketing', assessment.suspend.cause, assessment.suspend.detail, actor, now);
    }
    const fresh = this.repo.getState(accountId);
    const announced = fresh.warned?.month === month ? fresh.warned.causes : [];
    const newCauses = assessment.warnings.filter((w) => !announced.includes(w));
    if (newCauses.length && fresh.marketing === 'ok') {
      fresh.warned = { month, causes: [...announced, ...newCauses] };
      this.repo.saveState(accountId, fresh, now);
      const r = rates(figures, this.cfg);
      const payload = { accountId, causes: newCauses, month, rates: r };
      this.repo.audit(now, actor, accountId, 'account.warning', null, payload);
      this.store.lifecycle.emitEvent(accountId, 'account.warning', payload, now);
      const view = viewHealth({ tier: this.tierOf(accountId), state: fresh, warnings: assessment.warnings, figures, openAppeal: false, cfg: this.cfg });
      this.notify(accountId, 'warning', 'Warning about your sending', `${view.banner}\n\n${view.recommendations.map((x) => `- ${x}`).join('\n')}\n`, now);
    }
    return { state: this.repo.getState(accountId), figures, assessment };
  }

  private tierOf(accountId: string): Tier {
    return this.repo.getAccount(accountId)?.tier ?? 'free';
  }

  /** Suspends a channel (or both: fraud). Does nothing when already suspended. */
  suspend(accountId: string, channel: Channel | 'both', cause: SuspensionCause | string, detail: string, actor: string, now: number): boolean {
    const s = this.repo.getState(accountId);
    let changed = false;
    if ((channel === 'marketing' || channel === 'both') && s.marketing === 'ok') {
      Object.assign(s, { marketing: 'suspended', suspension: cause, suspensionDetail: detail, suspendedAt: now });
      changed = true;
    }
    if ((channel === 'one_to_one' || channel === 'both') && s.oneToOne === 'ok') {
      Object.assign(s, { oneToOne: 'suspended', oneToOneSuspension: cause, oneToOneSuspendedAt: now });
      changed = true;
    }
    if (!changed) return false;
    this.repo.saveState(accountId, s, now);
    const payload = { accountId, channel, cause, detail };
    this.repo.audit(now, actor, accountId, 'account.suspend', channel, payload);
    this.store.lifecycle.emitEvent(accountId, 'account.suspended', payload, now);
    const tier = this.tierOf(accountId);
    const how = appealTier(tier);
    const next =
      how === 'form' ? 'You can file an appeal once you have cleaned your lists.'
        : how === 'team' ? 'The deliverability team will contact you about the next steps.'
          : 'Free accounts cannot appeal: marketing stays locked; the other functions keep working.';
    const what = channel === 'one_to_one' ? 'Sending from your connected inbox (one-to-one mail)' : 'Marketing sending';
    this.notify(accountId, 'suspension', `${what} is suspended`, `${what} is suspended: ${detail}.\n\n${next}\n`, now);
    return true;
  }

  private notify(accountId: string, kind: string, subject: string, body: string, now: number): void {
    const to = this.repo.getAccount(accountId)?.contactEmail;
    if (!to) return;
    this.repo.enqueueNotification({ accountId, kind, recipient: to, subject: `[bounced] ${subject}`, body }, now);
  }

  // ---------------------------------------------------------------------------------------
  // Accounts.

  createAccount(input: { id: string; name?: string; tier: Tier; profile?: Profile; contactEmail?: string }, actor: string, now: number): Account {
    if (!input.id || !/^[^\s\0]{1,200}$/.test(input.id)) throw new PolicyError('invalid_id', 'account id must be 1 to 200 characters without spaces');
    if (!TIERS.includes(input.tier)) throw new PolicyError('invalid_tier', `tier must be one of ${TIERS.join(', ')}`);
    const profile = input.profile ?? 'default';
    if (!PROFILES.includes(profile)) throw new PolicyError('invalid_profile', `profile must be one of ${PROFILES.join(', ')}`);
    return this.store.atomically(() => {
      if (this.repo.getAccount(input.id)) throw new PolicyError('account_exists', `account ${input.id} exists`);
      const a = { id: input.id, name: input.name ?? null, tier: input.tier, profile, contactEmail: input.contactEmail?.toLowerCase() ?? null };
      this.repo.insertAccount(a, now);
      this.repo.audit(now, actor, a.id, 'account.create', null, { tier: a.tier, profile: a.profile });
      if (this.cfg.reviewNewAccounts) this.holdForReview(a.id, actor, 'new account', now);
      return this.repo.getAccount(a.id)!;
    });
  }

  updateAccount(id: string, patch: Partial<Pick<Account, 'name' | 'tier' | 'profile' | 'contactEmail'>>, actor: string, now: number): Account | null {
    if (patch.tier !== undefined && !TIERS.includes(patch.tier)) throw new PolicyError('invalid_tier', `tier must be one of ${TIERS.join(', ')}`);
    if (patch.profile !== undefined && !PROFILES.includes(patch.profile)) throw new PolicyError('invalid_profile', `profile must be one of ${PROFILES.join(', ')}`);
    return this.store.atomically(() => {
      const a = this.repo.getAccount(id);
      if (!a) return null;
      const next = { ...a, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as Account;
      if (next.contactEmail) next.contactEmail = next.contactEmail.toLowerCase();
      this.repo.updateAccount(next, now);
      this.repo.audit(now, actor, id, 'account.update', null, { before: a, after: next });
      if (next.profile !== a.profile) this.replayProfile(id, next.profile, actor, now);
      return this.repo.getAccount(id);
    });
  }

  /**
   * A profile change re-decides the account's hard-bounce suppressions from the stored
   * failures (the classifier's reason and category, kept per delivery): no re-parsing. An
   * unbounce stays in force for failures older than it.
   */
  private replayProfile(accountId: string, profile: Profile, actor: string, now: number): void {
    const byRecipient = new Map<string, Array<{ deliveryId: number; category: string | null; at: number }>>();
    for (const f of this.repo.hardFailures(accountId)) {
      const list = byRecipient.get(f.recipient) ?? [];
      list.push(f);
      byRecipient.set(f.recipient, list);
    }
    let added = 0;
    let removed = 0;
    for (const [recipient, failures] of byRecipient) {
      const unbouncedAt = this.repo.lastAuditAt(accountId, 'suppression.unbounce', recipient) ?? -Infinity;
      const wanting = failures.filter((f) => f.at > unbouncedAt && suppressesRecipient(profile, { state: 'hard', category: f.category, channel: 'marketing' }));
      if (wanting.length) {
        if (this.repo.addSuppression(accountId, recipient, 'hard_bounce', `delivery:${wanting[0]!.deliveryId}`, now)) added++;
      } else if (this.repo.removeSuppression(accountId, recipient, 'hard_bounce')) {
        removed++;
      }
    }
    this.repo.audit(now, actor, accountId, 'account.profile.replay', profile, { added, removed });
  }

  getAccount(id: string): Account | null {
    return this.repo.getAccount(id);
  }

  listAccounts(): Account[] {
    return this.repo.listAccounts();
  }

  // ---------------------------------------------------------------------------------------
  // The pre-send check: one read for the account's state and the suppressions (plus the campaign).

  checkSend(accountId: string, address: string, now: number, opts: { campaign?: string; channel?: Channel } = {}): SendDecision {
    return this.check(accountId, address, now, opts).decision;
  }

  checkSendExisting(accountId: string, address: string, now: number, opts: { campaign?: string; channel?: Channel } = {}): SendDecision | null {
    const r = this.check(accountId, address, now, opts);
    return r.accountExists ? r.decision : null;
  }

  private check(accountId: string, address: string, _now: number, opts: { campaign?: string; channel?: Channel }): { accountExists: boolean; decision: SendDecision } {
    const addr = canonicalAddress(address.trim());
    const { accountExists, state, hits } = this.repo.sendCheck(accountId, addr);
    const cancelledAt = opts.campaign ? this.repo.campaignCancelledAt(accountId, opts.campaign) : null;
    const channel = opts.channel ?? 'marketing';
    return { accountExists, decision: decideSend(addr, state, channel === 'marketing' ? hits : [], cancelledAt === null ? null : { cancelledAt }, channel) };
  }

  checkSendBatch(accountId: string, addresses: string[], _now: number, opts: { campaign?: string; channel?: Channel } = {}): SendDecision[] {
    const state = this.repo.getState(accountId);
    const cancelledAt = opts.campaign ? this.repo.campaignCancelledAt(accountId, opts.campaign) : null;
    const channel = opts.channel ?? 'marketing';
    const campaign = cancelledAt === null ? null : { cancelledAt };
    return this.store.atomically(() =>
      addresses.map((a) => {
        const addr = canonicalAddress(a.trim());
        return decideSend(addr, state, channel === 'marketing' ? this.repo.suppressionHits(accountId, addr) : [], campaign, channel);
      }),
    );
  }

  // ---------------------------------------------------------------------------------------
  // Health.

  health(accountId: string, now: number): Health | null {
    const account = this.repo.getAccount(accountId);
    if (!account) return null;
    const { state, figures, assessment } = this.store.atomically(() => this.evaluate(accountId, now, RULES_ACTOR));
    const openAppeal = this.repo.openAppeal(accountId);
    const view = viewHealth({ tier: account.tier, state, warnings: assessment.warnings, figures, openAppeal: openAppeal !== null, cfg: this.cfg });
    const r = rates(figures, this.cfg);
    return {
      accountId,
      status: view.status,
      suspension: view.suspension,
      suspensionDetail: state.marketing === 'suspended' ? state.suspensionDetail : null,
      channel: { marketing: view.status, oneToOne: state.oneToOne === 'suspended' ? 'suspended' : 'ok' },
      month: monthOf(now),
      rates: { hardBounce: r.hardBounce, complaint: r.complaint, unsubscribe: r.unsubscribe },
      banner: view.banner,
      recommendations: view.recommendations,
      canAppeal: view.canAppeal,
      tier: account.tier,
      profile: account.profile,
      review: state.review,
      openAppealId: openAppeal?.id ?? null,
      figures: {
        sends: figures.sends,
        senderFailures: figures.senderFailures,
        blocklistings: figures.blocklistings,
        cancelledCampaigns: figures.cancelledCampaigns,
      },
    };
  }

  /** Rates of one campaign (all time), and whether the canary cancelled it. */
  campaignHealth(accountId: string, campaign: string): CampaignHealth | null {
    const c = this.repo.getCampaign(accountId, campaign);
    if (!c) return null;
    const r = this.repo.campaignReports(accountId, campaign);
    const of = (n: number) => (c.sends > 0 ? n / c.sends : 0);
    return {
      accountId, campaign, state: c.state, cancelledAt: c.cancelledAt, planned: c.planned, sends: c.sends,
      hardBounces: c.hardBounces, hardBounceRate: of(c.hardBounces),
      complaints: r.complaints, complaintRate: of(r.complaints),
      unsubscribes: r.unsubscribes, unsubscribeRate: of(r.unsubscribes),
      canaryCancels: canaryCancels(c, this.cfg),
    };
  }

  /** Sends of a campaign made through another MTA (the log counts its own), and its declared size. */
  recordCampaignSends(accountId: string, campaign: string, count: number, planned: number | null, now: number): void {
    this.requireAccount(accountId);
    this.store.atomically(() => {
      if (planned !== null) this.repo.setCampaignPlanned(accountId, campaign, planned, now);
      if (count > 0) this.repo.addCampaignSends(accountId, campaign, count, now);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Suppressions.

  listSuppressions(filter: { accountId: string; reason?: SuppressionReason; scope?: 'account' | 'global'; since?: number; cursor?: string; limit?: number }): { items: SuppressionRecord[]; next: string | null } {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const afterId = filter.cursor ? Number(filter.cursor) || 0 : 0;
    const rows = this.repo.listSuppressions({ ...filter, afterId, limit: limit + 1 });
    const items = rows.slice(0, limit);
    const next = rows.length > limit ? String(items[items.length - 1]!.id) : null;
    return { items: items.map(({ id: _id, ...r }) => r), next };
  }

  addSuppressions(accountId: string, addresses: Iterable<string>, reason: 'import' | 'manual' | 'unsubscribe', actor: string, now: number): number {
    this.requireAccount(accountId);
    return this.store.atomically(() => {
      let n = 0;
      for (const a of addresses) {
        const addr = canonicalAddress(a.trim());
        if (addr && this.repo.addSuppression(accountId, addr, reason, actor, now)) n++;
      }
      this.repo.audit(now, actor, accountId, 'suppression.add', reason, { added: n });
      return n;
    });
  }

  removeSuppression(accountId: string, address: string, actor: string, why: string, now: number): boolean {
    if (!why?.trim()) throw new PolicyError('why_required', 'say why the suppression is removed (it is audited)');
    const addr = canonicalAddress(address.trim());
    return this.store.atomically(() => {
      const removed = REMOVABLE.filter((r) => this.repo.removeSuppression(accountId, addr, r));
      if (!removed.length) return false;
      this.repo.audit(now, actor, accountId, 'suppression.unbounce', addr, { why: why.trim(), reasons: removed });
      return true;
    });
  }

  // ---------------------------------------------------------------------------------------
  // Unsubscribes.

  unsubscribe(token: string, now: number): { ok: true; accountId: string; address: string } | { ok: false; error: string } {
    const d = this.verp.decodeUnsubscribe(token);
    if (!d.ok) return { ok: false, error: d.error };
    this.store.atomically(() => this.applyUnsubscribe(d.fields, 'one-click', now));
    return { ok: true, accountId: d.fields.account, address: canonicalAddress(d.fields.recipient) };
  }

  /** The two headers to add to an outgoing marketing mail (RFC 2369, RFC 8058). */
  unsubscribeHeaders(accountId: string, messageId: string, recipient: string, domain = this.config.bounceDomains[0]!): Record<'List-Unsubscribe' | 'List-Unsubscribe-Post', string> {
    const fields = { account: accountId, message: messageId, recipient };
    const url = `${this.config.http.publicUrl.replace(/\/+$/, '')}/v1/unsubscribe/${this.verp.unsubscribeToken(fields)}`;
    return {
      'List-Unsubscribe': `<${url}>, <mailto:${this.verp.encodeUnsubscribe(fields, domain)}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    };
  }

  // ---------------------------------------------------------------------------------------
  // Appeals, review, abuse desk.

  fileAppeal(accountId: string, form: Record<string, unknown>, now: number): { ok: true; appealId: number } | { ok: false; error: string } {
    const account = this.repo.getAccount(accountId);
    if (!account) return { ok: false, error: 'no such account' };
    const read = readAppealForm(form);
    return this.store.atomically(() => {
      const state = this.repo.getState(accountId);
      const channel = read.ok ? read.form.channel : ((form.channel as Channel | undefined) ?? 'marketing');
      const suspended = channel === 'one_to_one' ? state.oneToOne === 'suspended' : state.marketing === 'suspended';
      const allowed = appealAllowed(account.tier, suspended, this.repo.openAppeal(accountId) !== null);
      if (!allowed.ok) {
        if (allowed.code === 'legacy_tier' && suspended && this.repo.lastAuditAt(accountId, 'appeal.outreach', channel) === null) {
          this.repo.audit(now, RULES_ACTOR, accountId, 'appeal.outreach', channel, { tier: account.tier });
          this.notify(accountId, 'outreach', 'About your suspended sending', 'Your plan does not include the appeal form: a member of the deliverability team will write to you about the suspension and the next steps.\n', now);
        }
        return { ok: false, error: allowed.error };
      }
      if (!read.ok) return { ok: false, error: read.error };
      const id = this.repo.insertAppeal(accountId, channel, read.form as unknown as Record<string, unknown>, now);
      this.repo.audit(now, `account:${accountId}`, accountId, 'appeal.file', String(id), { channel });
      this.notify(accountId, 'appeal_received', 'We received your appeal', `We received your appeal (number ${id}). A reviewer will decide; you will hear from us by email.\n`, now);
      return { ok: true, appealId: id };
    });
  }

  decideAppeal(appealId: number, decision: 'reinstate' | 'deny', reason: string, actor: string, now: number): { ok: true } | { ok: false; error: string } {
    if (decision !== 'reinstate' && decision !== 'deny') return { ok: false, error: 'decision must be reinstate or deny' };
    if (!reason?.trim()) return { ok: false, error: 'a reason is required' };
    return this.store.atomically(() => {
      const appeal = this.repo.getAppeal(appealId);
      if (!appeal) return { ok: false, error: 'no such appeal' };
      if (appeal.state !== 'open') return { ok: false, error: `appeal already decided (${appeal.state})` };
      this.repo.decideAppeal(appealId, decision === 'reinstate' ? 'reinstated' : 'denied', actor, reason.trim(), now);
      this.repo.audit(now, actor, appeal.accountId, 'appeal.decide', String(appealId), { decision, reason: reason.trim() });
      if (decision === 'reinstate') this.reinstate(appeal.accountId, appeal.channel, actor, reason.trim(), now);
      const text =
        decision === 'reinstate'
          ? `Your appeal ${appealId} was accepted: sending is reinstated. Contacts that bounced, unsubscribed or complained stay suppressed.\n\nReason: ${reason.trim()}\n`
          : `Your appeal ${appealId} was denied: sending stays suspended.\n\nReason: ${reason.trim()}\n`;
      this.notify(appeal.accountId, 'decision', `Decision on your appeal ${appealId}`, text, now);
      return { ok: true };
    });
  }

  /**
   * Lifts a suspension. Suppressions are untouched. The month's counts so far become the
   * baseline: the rates that suspended the account do not suspend it again at once, new
   * failures this month do.
   */
  reinstate(accountId: string, channel: Channel, actor: string, reason: string, now: number): void {
    const s = this.repo.getState(accountId);
    if (channel === 'one_to_one') {
      Object.assign(s, { oneToOne: 'ok', oneToOneSuspension: null, oneToOneSuspendedAt: null });
    } else {
      const month = monthOf(now);
      Object.assign(s, { marketing: 'ok', suspension: null, suspensionDetail: null, suspendedAt: null, baseline: { month, figures: this.repo.figures(accountId, month) } });
    }
    this.repo.saveState(accountId, s, now);
    const payload = { accountId, channel, reason };
    this.repo.audit(now, actor, accountId, 'account.reinstate', channel, payload);
    this.store.lifecycle.emitEvent(accountId, 'account.reinstated', payload, now);
  }

  /** A direct complaint to the abuse desk, recorded by an admin; may suspend at once. */
  recordAbuseReport(accountId: string, detail: string, suspendNow: boolean, actor: string, now: number): void {
    this.requireAccount(accountId);
    this.store.atomically(() => {
      this.repo.insertAbuseReport(accountId, actor, detail, now);
      this.repo.audit(now, actor, accountId, 'abuse.report', null, { detail, suspend: suspendNow });
      if (suspendNow) this.suspend(accountId, 'marketing', 'abuse', detail, actor, now);
    });
  }

  /** An admin suspension of one channel (e.g. one-to-one for a connected inbox's behaviour). */
  suspendChannel(accountId: string, channel: Channel, detail: string, actor: string, now: number): boolean {
    this.requireAccount(accountId);
    return this.store.atomically(() => this.suspend(accountId, channel, 'admin', detail, actor, now));
  }

  holdForReview(accountId: string, actor: string, why: string, now: number): void {
    const s = this.repo.getState(accountId);
    if (s.review === 'required' || s.review === 'submitted') return;
    s.review = 'required';
    this.repo.saveState(accountId, s, now);
    this.repo.audit(now, actor, accountId, 'review.hold', null, { why });
    this.notify(accountId, 'review', 'Your account is held for review', 'Before your marketing mail goes out, tell us about your contacts and the mail you want to send (review form). Marketing is locked until an admin approves it.\n', now);
  }

  submitReview(accountId: string, form: Record<string, unknown>, now: number): { ok: true } | { ok: false; error: string } {
    if (typeof form.contactsSource !== 'string' || typeof form.emailPurpose !== 'string') {
      return { ok: false, error: 'the review form needs contactsSource and emailPurpose' };
    }
    return this.store.atomically(() => {
      const s = this.repo.getState(accountId);
      if (s.review !== 'required' && s.review !== 'denied') return { ok: false, error: 'the account is not held for review' };
      s.review = 'submitted';
      s.reviewForm = form;
      this.repo.saveState(accountId, s, now);
      this.repo.audit(now, `account:${accountId}`, accountId, 'review.submit', null, null);
      return { ok: true };
    });
  }

  decideReview(accountId: string, decision: 'approve' | 'deny', reason: string, actor: string, now: number): { ok: true } | { ok: false; error: string } {
    if (!reason?.trim()) return { ok: false, error: 'a reason is required' };
    return this.store.atomically(() => {
      const s = this.repo.getState(accountId);
      if (s.review !== 'submitted' && s.review !== 'required') return { ok: false, error: 'no review to decide' };
      s.review = decision === 'approve' ? 'approved' : 'denied';
      this.repo.saveState(accountId, s, now);
      this.repo.audit(now, actor, accountId, 'review.decide', null, { decision, reason });
      this.notify(accountId, 'decision', `Review ${decision === 'approve' ? 'approved' : 'not approved'}`,
        decision === 'approve' ? `Your account review was approved: marketing is unlocked.\n\n${reason}\n` : `Your account review was not approved: marketing stays locked.\n\n${reason}\n`, now);
      return { ok: true };
    });
  }

  /** Re-evaluates every account active this month (the scheduler's evaluate-policy job). */
  evaluateAll(now: number): number {
    const month = monthOf(now);
    const ids = this.repo.activeAccounts(Date.parse(`${month}-01T00:00:00Z`));
    for (const id of ids) this.store.atomically(() => this.evaluate(id, now, RULES_ACTOR));
    return ids.length;
  }
}

/** The policy service over an opened store, with its rules attached. */
export function attachPolicy(store: SqliteStore, config: Config, verp: VerpCodec): SqlitePolicyService {
  return new SqlitePolicyService(store, config, verp).attach();
}

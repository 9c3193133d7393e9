import { canonicalAddress } from '../address.js';
import type { Config } from '../config/schema.js';
import {
  ADDABLE_REASONS, monthOf, PROFILES, REMOVABLE_REASONS, RULES_ACTOR, TIERS, type AddableReason, type CampaignState, type Channel,
  type Profile, type SuppressionReason, type Tier,
} from '../domain/index.js';
import type { Account, Appeal, Notification, Store, SuppressionRepo } from '../store/contract.js';
import type { VerpCodec } from '../verp/index.js';
import { PolicyRules, type PolicyTx } from './apply.js';
import { PolicyError, refuse, type PolicyRefusal } from './errors.js';
import type { Health, PolicyService as PolicyContract, SendDecision, SuppressionRecord } from './contract.js';
import {
  appealAllowed, appealDecisionNotice, appealReceivedNotice, canaryCancels, decideSend, OUTREACH_NOTICE, rates, readAppealForm,
  reinstatedState, replayProfile, reviewDecisionNotice, viewHealth,
} from './rules.js';

// The account policy as the API and the CLI ask it (contract.ts): accounts, the pre-send
// check, health, suppressions, unsubscribes, appeals, reviews, the abuse desk. Each change is
// one transaction (./apply.ts: the writes, with their audit row, event and notification); the
// decisions are the pure functions of ./rules.ts. What evidence does to an account is the
// settle step's (src/pipeline/settle.ts), through the same ./apply.ts.

export { PolicyError } from './errors.js';

export interface CampaignHealth {
  accountId: string;
  campaign: string;
  state: CampaignState;
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

type CheckOptions = { campaign?: string; channel?: Channel };

export class PolicyService implements PolicyContract {
  constructor(
    readonly store: Store,
    private readonly config: Config,
    private readonly verp: VerpCodec,
    readonly rules: PolicyRules = new PolicyRules(config.policy),
    /** The pre-send check's reads: a read replica (database.readUrl), else the store. */
    private readonly presend: Pick<SuppressionRepo, 'preSend' | 'hitsMany'> = store.suppressions,
  ) {}

  private get cfg() {
    return this.rules.cfg;
  }

  /** One transaction with the policy's writes bound to it. */
  private run<T>(now: number, fn: (p: PolicyTx) => Promise<T>): Promise<T> {
    return this.rules.transaction(this.store, now, fn);
  }

  /** Refuses an id typed by an operator when no such account exists (see the account rule in ./apply.ts). */
  async requireAccount(accountId: string): Promise<void> {
    if (this.rules.known.has(accountId)) return;
    if (!(await this.store.accounts.exists(accountId))) {
      throw new PolicyError('no_account', `no account ${accountId} (accounts come from \`bounced accounts create\` or from their first verified bounce)`);
    }
    this.rules.known.add(accountId);
  }

  // ---------------------------------------------------------------------------------------
  // Accounts.

  async createAccount(input: { id: string; name?: string; tier: Tier; profile?: Profile; contactEmail?: string }, actor: string, now: number): Promise<Account> {
    if (!input.id || !/^[^\s\0]{1,200}$/.test(input.id)) throw new PolicyError('invalid_id', 'account id must be 1 to 200 characters without spaces');
    if (!TIERS.includes(input.tier)) throw new PolicyError('invalid_tier', `tier must be one of ${TIERS.join(', ')}`);
    const profile = input.profile ?? 'default';
    if (!PROFILES.includes(profile)) throw new PolicyError('invalid_profile', `profile must be one of ${PROFILES.join(', ')}`);
    return this.run(now, async (p) => {
      if (await p.tx.accounts.exists(input.id)) throw new PolicyError('account_exists', `account ${input.id} exists`);
      const a = { id: input.id, name: input.name ?? null, tier: input.tier, profile, contactEmail: input.contactEmail?.toLowerCase() ?? null };
      await p.tx.accounts.insert(a, now);
      await p.audit(actor, a.id, 'account.create', null, { tier: a.tier, profile: a.profile });
      if (this.cfg.reviewNewAccounts) await p.holdForReview(a.id, actor, 'new account');
      return (await p.account(a.id))!;
    });
  }

  async updateAccount(id: string, patch: Partial<Pick<Account, 'name' | 'tier' | 'profile' | 'contactEmail'>>, actor: string, now: number): Promise<Account | null> {
    if (patch.tier !== undefined && !TIERS.includes(patch.tier)) throw new PolicyError('invalid_tier', `tier must be one of ${TIERS.join(', ')}`);
    if (patch.profile !== undefined && !PROFILES.includes(patch.profile)) throw new PolicyError('invalid_profile', `profile must be one of ${PROFILES.join(', ')}`);
    return this.run(now, async (p) => {
      const a = await p.account(id);
      if (!a) return null;
      const next = { ...a, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as Account;
      if (next.contactEmail) next.contactEmail = next.contactEmail.toLowerCase();
      await p.tx.accounts.update(next, now);
      p.forget(id);
      await p.audit(actor, id, 'account.update', null, { before: a, after: next });
      if (next.profile !== a.profile) await this.replayProfile(p, id, next.profile, actor);
      return p.account(id);
    });
  }

  /**
   * A profile change re-decides the account's hard-bounce suppressions from the stored
   * failures (the classifier's reason and category, kept per delivery): no re-parsing. An
   * unbounce stays in force for failures older than it.
   */
  private async replayProfile(p: PolicyTx, accountId: string, profile: Profile, actor: string): Promise<void> {
    const failures = await p.tx.failures.hardOf(accountId);
    const unbounced = new Map<string, number | null>();
    for (const r of new Set(failures.map((f) => f.recipient))) unbounced.set(r, await p.tx.audit.lastAt(accountId, 'suppression.unbounce', r));
    let added = 0;
    let removed = 0;
    for (const [recipient, deliveryId] of replayProfile(profile, failures, (r) => unbounced.get(r) ?? null)) {
      if (deliveryId !== null) {
        if (await p.tx.suppressions.add(accountId, recipient, 'hard_bounce', `delivery:${deliveryId}`, p.now)) added++;
      } else if (await p.tx.suppressions.remove(accountId, recipient, 'hard_bounce')) {
        removed++;
      }
    }
    await p.audit(actor, accountId, 'account.profile.replay', profile, { added, removed });
  }

  getAccount(id: string): Promise<Account | null> {
    return this.store.accounts.get(id);
  }

  listAccounts(): Promise<Account[]> {
    return this.store.accounts.list();
  }

  // ---------------------------------------------------------------------------------------
  // The pre-send check (the hot path): one read for the account, its state, the address's
  // suppressions and the campaign (store.suppressions.preSend), then the pure decision.

  async checkSend(accountId: string, address: string, _now: number, opts: CheckOptions = {}): Promise<SendDecision> {
    return (await this.check(accountId, address, opts)).decision;
  }

  async checkSendExisting(accountId: string, address: string, _now: number, opts: CheckOptions = {}): Promise<SendDecision | null> {
    const r = await this.check(accountId, address, opts);
    return r.accountExists ? r.decision : null;
  }

  private async check(accountId: string, address: string, opts: CheckOptions): Promise<{ accountExists: boolean; decision: SendDecision }> {
    const addr = canonicalAddress(address.trim());
    const { accountExists, state, hits, campaignCancelledAt } = await this.presend.preSend(accountId, addr, opts.campaign ?? null);
    const channel = opts.channel ?? 'marketing';
    const campaign = campaignCancelledAt === null ? null : { cancelledAt: campaignCancelledAt };
    return { accountExists, decision: decideSend(addr, state, channel === 'marketing' ? hits : [], campaign, channel) };
  }

  async checkSendBatch(accountId: string, addresses: string[], _now: number, opts: CheckOptions = {}): Promise<SendDecision[]> {
    const addrs = addresses.map((a) => canonicalAddress(a.trim()));
    const channel = opts.channel ?? 'marketing';
    const [state, campaign, hits] = await Promise.all([
      this.store.accounts.state(accountId),
      opts.campaign ? this.store.campaigns.get(accountId, opts.campaign) : Promise.resolve(null),
      channel === 'marketing' ? this.presend.hitsMany(accountId, addrs) : Promise.resolve(addrs.map(() => [])),
    ]);
    const cancelled = campaign?.state === 'cancelled' && campaign.cancelledAt !== null ? { cancelledAt: campaign.cancelledAt } : null;
    return addrs.map((addr, i) => decideSend(addr, state, hits[i]!, cancelled, channel));
  }

  // ---------------------------------------------------------------------------------------
  // Health.

  async health(accountId: string, now: number): Promise<Health | null> {
    const result = await this.run(now, async (p) => {
      const account = await p.account(accountId);
      if (!account) return null;
      const e = await p.evaluate(accountId, RULES_ACTOR);
      const openAppeal = await p.tx.appeals.openOf(accountId);
      return { account, e, openAppeal };
    });
    if (!result) return null;
    const { account, e, openAppeal } = result;
    const { state, figures } = e;
    const view = viewHealth({ tier: account.tier, state, warnings: e.assessment.warnings, figures, openAppeal: openAppeal !== null, cfg: this.cfg });
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

  /** Rates of one campaign (all time, from its counters), and whether the canary cancels it. */
  async campaignHealth(accountId: string, campaign: string): Promise<CampaignHealth | null> {
    const c = await this.store.campaigns.get(accountId, campaign);
    if (!c) return null;
    const n = await this.store.counters.campaign(accountId, campaign);
    const of = (x: number) => (c.sends > 0 ? x / c.sends : 0);
    return {
      accountId, campaign, state: c.state, cancelledAt: c.cancelledAt, planned: c.planned, sends: c.sends,
      hardBounces: n.hardBounces, hardBounceRate: of(n.hardBounces),
      complaints: n.complaints, complaintRate: of(n.complaints),
      unsubscribes: n.unsubscribes, unsubscribeRate: of(n.unsubscribes),
      canaryCancels: canaryCancels({ hardBounces: n.hardBounces, sends: c.sends, planned: c.planned }, this.cfg),
    };
  }

  /** Sends of a campaign made through another MTA (the log counts its own), and its declared size. */
  async recordCampaignSends(accountId: string, campaign: string, count: number, planned: number | null, now: number): Promise<void> {
    await this.requireAccount(accountId);
    await this.store.transaction(async (tx) => {
      if (planned !== null) await tx.campaigns.setPlanned(accountId, campaign, planned, now);
      if (count > 0) await tx.campaigns.addSends(accountId, campaign, count, now);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Suppressions.

  async listSuppressions(filter: { accountId: string; reason?: SuppressionReason; scope?: 'account' | 'global'; since?: number; cursor?: string; limit?: number }): Promise<{ items: SuppressionRecord[]; next: string | null }> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const afterId = filter.cursor ? Number(filter.cursor) || 0 : 0;
    const rows = await this.store.suppressions.list({ accountId: filter.accountId, reason: filter.reason, scope: filter.scope, since: filter.since, afterId, limit: limit + 1 });
    const items = rows.slice(0, limit);
    const next = rows.length > limit ? String(items[items.length - 1]!.id) : null;
    return { items: items.map(({ id: _id, ...r }) => r), next };
  }

  async addSuppressions(accountId: string, addresses: Iterable<string>, reason: AddableReason, actor: string, now: number): Promise<number> {
    if (!ADDABLE_REASONS.includes(reason)) throw new PolicyError('invalid_reason', `reason must be one of ${ADDABLE_REASONS.join(', ')}`);
    await this.requireAccount(accountId);
    return this.run(now, async (p) => {
      let n = 0;
      for (const a of addresses) {
        const addr = canonicalAddress(a.trim());
        if (addr && (await p.tx.suppressions.add(accountId, addr, reason, actor, now))) n++;
      }
      await p.audit(actor, accountId, 'suppression.add', reason, { added: n });
      return n;
    });
  }

  async removeSuppression(accountId: string, address: string, actor: string, why: string, now: number): Promise<boolean> {
    if (!why?.trim()) throw new PolicyError('why_required', 'say why the suppression is removed (it is audited)');
    const addr = canonicalAddress(address.trim());
    return this.run(now, async (p) => {
      const removed: SuppressionReason[] = [];
      for (const r of REMOVABLE_REASONS) if (await p.tx.suppressions.remove(accountId, addr, r)) removed.push(r);
      if (!removed.length) return false;
      await p.audit(actor, accountId, 'suppression.unbounce', addr, { why: why.trim(), reasons: removed });
      return true;
    });
  }

  // ---------------------------------------------------------------------------------------
  // Unsubscribes.

  /** Whether an unsubscribe token verifies (MAC and shape), with no change: the confirmation page's check. */
  unsubscribeTokenValid(token: string): boolean {
    return this.verp.decodeUnsubscribe(token).ok;
  }

  async unsubscribe(token: string, now: number): Promise<{ ok: true; accountId: string; address: string } | { ok: false; error: string }> {
    const d = this.verp.decodeUnsubscribe(token);
    if (!d.ok) return { ok: false, error: d.error };
    await this.run(now, (p) => p.unsubscribe(d.fields, 'one-click'));
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

  async fileAppeal(accountId: string, form: Record<string, unknown>, now: number): Promise<{ ok: true; appealId: number } | PolicyRefusal> {
    const read = readAppealForm(form);
    return this.run(now, async (p): Promise<{ ok: true; appealId: number } | PolicyRefusal> => {
      const account = await p.account(accountId);
      if (!account) return refuse('no_account', 'no such account');
      const state = await p.state(accountId);
      const channel = read.ok ? read.form.channel : ((form.channel as Channel | undefined) ?? 'marketing');
      const suspended = channel === 'one_to_one' ? state.oneToOne === 'suspended' : state.marketing === 'suspended';
      const allowed = appealAllowed(account.tier, suspended, (await p.tx.appeals.openOf(accountId)) !== null);
      if (!allowed.ok) {
        if (allowed.code === 'legacy_tier' && suspended && (await p.tx.audit.lastAt(accountId, 'appeal.outreach', channel)) === null) {
          await p.audit(RULES_ACTOR, accountId, 'appeal.outreach', channel, { tier: account.tier });
          await p.notify(accountId, OUTREACH_NOTICE);
        }
        return refuse(allowed.code, allowed.error);
      }
      if (!read.ok) return refuse('invalid_form', read.error);
      const id = await p.tx.appeals.file(accountId, channel, read.form as unknown as Record<string, unknown>, now);
      await p.audit(`account:${accountId}`, accountId, 'appeal.file', String(id), { channel });
      await p.notify(accountId, appealReceivedNotice(id));
      return { ok: true, appealId: id };
    });
  }

  async decideAppeal(appealId: number, decision: 'reinstate' | 'deny', reason: string, actor: string, now: number): Promise<{ ok: true } | PolicyRefusal> {
    if (decision !== 'reinstate' && decision !== 'deny') return refuse('invalid_decision', 'decision must be reinstate or deny');
    if (!reason?.trim()) return refuse('reason_required', 'a reason is required');
    const why = reason.trim();
    return this.run(now, async (p): Promise<{ ok: true } | PolicyRefusal> => {
      const appeal = await p.tx.appeals.get(appealId);
      if (!appeal) return refuse('no_appeal', 'no such appeal');
      if (appeal.state !== 'open') return refuse('appeal_decided', `appeal already decided (${appeal.state})`);
      await p.tx.appeals.decide(appealId, decision === 'reinstate' ? 'reinstated' : 'denied', actor, why, now);
      await p.audit(actor, appeal.accountId, 'appeal.decide', String(appealId), { decision, reason: why });
      if (decision === 'reinstate') await this.reinstate(p, appeal.accountId, appeal.channel, actor, why);
      await p.notify(appeal.accountId, appealDecisionNotice(appealId, decision, why));
      return { ok: true };
    });
  }

  /** Lifts a suspension. Suppressions are untouched; the month so far becomes the baseline (rules.reinstatedState). */
  private async reinstate(p: PolicyTx, accountId: string, channel: Channel, actor: string, reason: string): Promise<void> {
    const month = monthOf(p.now);
    const figures = await p.tx.counters.month(accountId, month, 'marketing');
    await p.saveState(accountId, reinstatedState(await p.state(accountId), channel, month, figures));
    const payload = { accountId, channel, reason };
    await p.audit(actor, accountId, 'account.reinstate', channel, payload);
    await p.event(accountId, 'account.reinstated', payload);
  }

  /** A direct complaint to the abuse desk, recorded by an admin; may suspend at once. */
  async recordAbuseReport(accountId: string, detail: string, suspendNow: boolean, actor: string, now: number): Promise<void> {
    await this.requireAccount(accountId);
    await this.run(now, async (p) => {
      await p.tx.abuse.add(accountId, actor, detail, now);
      await p.audit(actor, accountId, 'abuse.report', null, { detail, suspend: suspendNow });
      if (suspendNow) await p.suspend(accountId, 'marketing', 'abuse', detail, actor);
    });
  }

  /** An admin suspension of one channel (e.g. one-to-one for a connected inbox's behaviour). */
  async suspendChannel(accountId: string, channel: Channel, detail: string, actor: string, now: number): Promise<boolean> {
    await this.requireAccount(accountId);
    return this.run(now, (p) => p.suspend(accountId, channel, 'admin', detail, actor));
  }

  /** Holds an existing account for review (an admin's decision). */
  async holdForReview(accountId: string, actor: string, why: string, now: number): Promise<void> {
    await this.requireAccount(accountId);
    await this.run(now, (p) => p.holdForReview(accountId, actor, why));
  }

  async submitReview(accountId: string, form: Record<string, unknown>, now: number): Promise<{ ok: true } | PolicyRefusal> {
    if (typeof form.contactsSource !== 'string' || typeof form.emailPurpose !== 'string') {
      return refuse('invalid_form', 'the review form needs contactsSource and emailPurpose');
    }
    return this.run(now, async (p): Promise<{ ok: true } | PolicyRefusal> => {
      const s = await p.state(accountId);
      if (s.review !== 'required' && s.review !== 'denied') return refuse('not_held_for_review', 'the account is not held for review');
      await p.saveState(accountId, { ...s, review: 'submitted', reviewForm: form });
      await p.audit(`account:${accountId}`, accountId, 'review.submit', null, null);
      return { ok: true };
    });
  }

  async decideReview(accountId: string, decision: 'approve' | 'deny', reason: string, actor: string, now: number): Promise<{ ok: true } | PolicyRefusal> {
    if (!reason?.trim()) return refuse('reason_required', 'a reason is required');
    return this.run(now, async (p): Promise<{ ok: true } | PolicyRefusal> => {
      const s = await p.state(accountId);
      if (s.review !== 'submitted' && s.review !== 'required') return refuse('no_review', 'no review to decide');
      await p.saveState(accountId, { ...s, review: decision === 'approve' ? 'approved' : 'denied' });
      await p.audit(actor, accountId, 'review.decide', null, { decision, reason });
      await p.notify(accountId, reviewDecisionNotice(decision, reason));
      return { ok: true };
    });
  }

  /** Re-evaluates every account active this month (the scheduler's evaluate-policy job), one transaction each. */
  async evaluateAll(now: number): Promise<number> {
    const ids = await this.store.counters.activeAccounts(monthOf(now));
    for (const id of ids) await this.run(now, (p) => p.evaluate(id, RULES_ACTOR));
    return ids.length;
  }

  // ---------------------------------------------------------------------------------------
  // Listings (CLI).

  listAppeals(accountId?: string): Promise<Appeal[]> {
    return this.store.appeals.list(accountId);
  }

  listNotifications(accountId?: string): Promise<Notification[]> {
    return this.store.notifications.list(accountId);
  }
}

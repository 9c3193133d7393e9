// The account policy's writes, inside one transaction. The decisions are the pure functions
// of ./rules.ts; this module reads what they need through the transaction's repositories,
// asks them, and writes what they decide with its audit row, its event and its notification.
// The settle step (src/pipeline/settle.ts), the log evidence, the pending window and the
// policy service (./service.ts) call it explicitly: nothing is attached to the store.
//
// One PolicyTx per transaction: it reads an account and its policy state at most once (and
// keeps what it writes), so a batch of changes to one account reads its state once.

import { canonicalAddress } from '../address.js';
import {
  GLOBAL_ACCOUNT, monthOf, monthRange, RULES_ACTOR, type WarningCause, type Channel, type DeliveryState, type EventType, type PolicyState, type Profile,
  type ContactReportSource, type SoftBounceLimit, type Tier,
} from '../domain/index.js';
import type { Account, BounceInput, DeliveryChange, Evidence, Store, TransactionOptions, Tx } from '../store/contract.js';
import type { VerpFields } from '../verp/index.js';
import {
  canaryCancels, complaintOf, deliveryEffects, evaluateMonth, evaluateOneToOne, ONE_TO_ONE_WARNING, oneToOneWarningNotice, globalBounceSince, heldState, isGlobalBounce, rates,
  REVIEW_NOTICE, softBounceDecision, softBounceSince, spamTrapHit, suppressesRecipient, suppressionOfReport, suspendedState, suspensionNotice, unsubscribeOf,
  viewHealth, warnedState, warningNotice, type ContactReportInput, type Evaluation, type Notice, type PolicyConfig,
} from './rules.js';

/** What an account created by its first signed evidence starts as (what the rules assumed of an unknown id). */
export const IMPLICIT_ACCOUNT = { tier: 'free', profile: 'default' } as const satisfies { tier: Tier; profile: Profile };

/** The policy's configuration and what it keeps across transactions. */
export class PolicyRules {
  readonly cfg: PolicyConfig;
  /** Spam-trap addresses, canonical. */
  readonly traps: ReadonlySet<string>;
  /** Ids known to exist (accounts are never deleted): spares a read per piece of evidence. */
  readonly known = new Set<string>();

  constructor(cfg: PolicyConfig) {
    this.cfg = cfg;
    this.traps = new Set(cfg.spamTraps.map(canonicalAddress));
  }

  /**
   * Runs `fn` in one transaction of `store` with the policy's writes bound to it. Accounts it
   * found are remembered as existing once the transaction has committed (never before: a
   * rolled-back account must not be taken for one).
   */
  async transaction<T>(store: Store, now: number, fn: (p: PolicyTx) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    let p!: PolicyTx;
    const result = await store.transaction((tx) => fn((p = new PolicyTx(this, tx, now))), opts);
    for (const id of p.found) this.known.add(id);
    return result;
  }
}

export class PolicyTx {
  private readonly accounts = new Map<string, Account | null>();
  private readonly states = new Map<string, PolicyState>();
  private readonly softLimits = new Map<string, SoftBounceLimit | null>();
  /** Accounts this transaction found existing (PolicyRules.transaction remembers them after the commit). */
  readonly found = new Set<string>();

  constructor(
    readonly rules: PolicyRules,
    readonly tx: Tx,
    readonly now: number,
  ) {}

  private get cfg(): PolicyConfig {
    return this.rules.cfg;
  }

  // -------------------------------------------------------------------------------------
  // Reads, once per transaction.

  async account(id: string): Promise<Account | null> {
    if (this.accounts.has(id)) return this.accounts.get(id)!;
    const a = await this.tx.accounts.get(id);
    this.accounts.set(id, a);
    if (a) this.found.add(id);
    return a;
  }

  async state(id: string): Promise<PolicyState> {
    let s = this.states.get(id);
    if (!s) this.states.set(id, (s = await this.tx.accounts.state(id)));
    return s;
  }

  async saveState(id: string, s: PolicyState): Promise<void> {
    await this.tx.accounts.saveState(id, s, this.now);
    this.states.set(id, { ...s, updatedAt: this.now });
  }

  /** Forgets what was read of an account (after the service changed its row). */
  forget(id: string): void {
    this.accounts.delete(id);
  }

  // -------------------------------------------------------------------------------------
  // The account rule: an account exists before anything is recorded for it. An admin creates
  // it (`accounts create`, POST /v1/accounts), or its first signed evidence does: a verified
  // bounce, log line or unsubscribe carries a token that only bounced's secret can make, so
  // the id came from our own sending side (the application that sent for that account). Such
  // an account starts as IMPLICIT_ACCOUNT, audited, and shows in `accounts list|health` like
  // any other; the admin then sets its tier and contact (`accounts update`). An id typed by
  // hand (the CLI's suppressions, sends, campaigns, abuse desk) has no such proof and must
  // name an existing account (PolicyService.requireAccount): a typo is refused, never a new
  // ghost account.

  /** Creates the account of signed evidence if it does not exist yet. */
  async ensureAccount(accountId: string, source: string): Promise<void> {
    if (this.rules.known.has(accountId) || (await this.account(accountId))) return;
    // Not remembered as known here: the transaction may yet roll back; the next read finds it.
    const a = { id: accountId, name: null, contactEmail: null, ...IMPLICIT_ACCOUNT };
    await this.tx.accounts.insert(a, this.now);
    this.accounts.set(accountId, { ...a, createdAt: this.now });
    await this.audit(RULES_ACTOR, accountId, 'account.create', null, { tier: a.tier, profile: a.profile, implicit: true, source });
    if (this.cfg.reviewNewAccounts) await this.holdForReview(accountId, RULES_ACTOR, 'new account (first evidence)');
  }

  // -------------------------------------------------------------------------------------
  // Evidence: a delivery's change, a complaint, an unsubscribe.

  /**
   * Records one piece of evidence and carries out what its delivery's change calls for (the
   * event, the campaign's send, a spam trap, the failure, the suppression, a global bounce,
   * the canary, the month). Null when the evidence was already recorded.
   */
  async recordEvidence(ev: Evidence, bounceId: number | null): Promise<DeliveryChange | null> {
    const change = await this.tx.deliveries.applyEvidence(ev, bounceId, this.now);
    if (change) await this.deliveryChanged(ev, change);
    return change;
  }

  private async deliveryChanged(ev: Evidence, change: DeliveryChange): Promise<void> {
    const accountId = ev.accountId;
    const recipient = canonicalAddress(ev.recipient);
    const effects = deliveryEffects({ deliveryId: change.deliveryId, previous: change.previous, state: change.state, sendCounted: change.sendCounted, evidence: { ...ev, recipient } });
    if (effects.event) await this.event(accountId, effects.event, deliveryPayload(ev, change.previous, change.state));
    if (change.previous === null) await this.ensureAccount(accountId, `delivery:${ev.source}`);
    if (effects.campaignSend) await this.tx.campaigns.addSends(accountId, effects.campaignSend, 1, this.now);
    if (spamTrapHit(change, recipient, this.rules.traps)) {
      await this.tx.suppressions.add(accountId, recipient, 'spam_trap', `delivery:${change.deliveryId}`, this.now);
      await this.suspend(accountId, 'both', 'fraud', `mail to a spam-trap address (delivery ${change.deliveryId})`, RULES_ACTOR);
    }
    if (effects.failure) await this.tx.failures.record(effects.failure);
    if (effects.failure?.state === 'soft' && effects.failure.channel === 'marketing') await this.checkSoftLimit(accountId, recipient);
    const hm = effects.hardMarketing;
    if (hm) {
      // The account is read only here: its profile decides the suppression.
      const profile = (await this.account(accountId))?.profile ?? 'default';
      if (suppressesRecipient(profile, { state: 'hard', category: ev.category, channel: 'marketing' })) {
        await this.tx.suppressions.add(accountId, recipient, 'hard_bounce', `delivery:${change.deliveryId}`, this.now);
      }
      if (hm.addressReason) await this.checkGlobal(recipient);
      if (hm.campaign) await this.checkCanary(accountId, hm.campaign);
    }
    if (effects.evaluate) await this.evaluate(accountId, RULES_ACTOR);
  }

  /**
   * A bounce record written: its account, when verified; a verified ARF abuse report (or a
   * provider's complaint event: `source` esp) is a complaint.
   */
  async recordWritten(record: Pick<BounceInput, 'kind' | 'verified' | 'accountId' | 'recipient' | 'messageId' | 'feedbackType'>, bounceId: number, source: 'arf' | 'esp' = 'arf'): Promise<void> {
    if (record.verified && record.accountId) await this.ensureAccount(record.accountId, `record:${record.kind}`);
    const complaint = complaintOf(record, this.now, source);
    if (!complaint) return;
    if (!(await this.tx.reports.add(complaint))) return;
    await this.tx.suppressions.add(complaint.accountId, complaint.recipient, suppressionOfReport('complaint'), `bounce:${bounceId}`, this.now);
    await this.event(complaint.accountId, 'complaint', {
      accountId: complaint.accountId, messageId: complaint.messageId, recipient: complaint.recipient, feedbackType: record.feedbackType, at: this.now,
    });
    await this.evaluate(complaint.accountId, RULES_ACTOR);
  }

  /** A signed unsubscribe token (List-Unsubscribe mailto: or one-click), or a provider's verified unsubscribe event: suppressed at once, counted once. */
  async unsubscribe(fields: VerpFields, source: Exclude<ContactReportSource, 'arf' | 'api'>): Promise<void> {
    await this.ensureAccount(fields.account, `unsubscribe:${source}`);
    const report: ContactReportInput = unsubscribeOf(fields, canonicalAddress(fields.recipient), source, this.now);
    const fresh = await this.tx.reports.add(report);
    await this.tx.suppressions.add(report.accountId, report.recipient, suppressionOfReport('unsubscribe'), source, this.now);
    if (!fresh) return;
    await this.event(report.accountId, 'unsubscribe', { accountId: report.accountId, messageId: report.messageId, recipient: report.recipient, source, at: this.now });
    await this.evaluate(report.accountId, RULES_ACTOR);
  }

  /** The account's soft-bounce limit (issue #19 §2): read once per transaction, and only on a soft failure. */
  private async checkSoftLimit(accountId: string, address: string): Promise<void> {
    if (!this.softLimits.has(accountId)) this.softLimits.set(accountId, await this.tx.accounts.softBounceLimit(accountId));
    const limit = this.softLimits.get(accountId) ?? null;
    if (!limit) return;
    const since = softBounceSince(this.now, limit, await this.tx.deliveries.lastDeliveredAt(accountId, address));
    const decision = softBounceDecision(await this.tx.failures.softSince(accountId, address, since), limit, this.now);
    if (!decision) return;
    if (!(await this.tx.suppressions.add(accountId, address, decision.reason, decision.source, this.now))) return;
    await this.audit(RULES_ACTOR, accountId, 'suppression.add', address, { reason: decision.reason, detail: decision.source, until: decision.until });
  }

  private async checkGlobal(address: string): Promise<void> {
    const n = await this.tx.failures.globalBounceAccounts(address, globalBounceSince(this.now, this.cfg));
    if (!isGlobalBounce(n, this.cfg)) return;
    if (!(await this.tx.suppressions.add(GLOBAL_ACCOUNT, address, 'global_bounce', `${n} accounts`, this.now))) return;
    await this.audit(RULES_ACTOR, null, 'suppression.global', address, { accounts: n, days: this.cfg.globalBounceDays });
    await this.event(null, 'suppression.global', { address, accounts: n, at: this.now });
  }

  /** The campaign's canary, from its counters (one read), never from its rows. */
  private async checkCanary(accountId: string, campaign: string): Promise<void> {
    let c = await this.tx.campaigns.get(accountId, campaign);
    if (!c) {
      await this.tx.campaigns.ensure(accountId, campaign, this.now);
      c = (await this.tx.campaigns.get(accountId, campaign))!;
    }
    if (c.state !== 'active') return;
    const { hardBounces } = await this.tx.counters.campaign(accountId, campaign);
    if (!canaryCancels({ hardBounces, sends: c.sends, planned: c.planned }, this.cfg)) return;
    await this.tx.campaigns.cancel(accountId, campaign, this.now);
    await this.audit(RULES_ACTOR, accountId, 'campaign.cancel', campaign, { hardBounces, sends: c.sends, planned: c.planned });
  }

  // -------------------------------------------------------------------------------------
  // The account's month and state.

  /**
   * Reads the month's figures (the counters: one read, whatever the month's volume) and
   * applies what they call for: a review by volume, a suspension (once), new warnings
   * (announced once a month each). Idempotent.
   */
  async evaluate(accountId: string, actor: string): Promise<Evaluation & { state: PolicyState }> {
    const month = monthOf(this.now);
    const figures = await this.tx.counters.month(accountId, month, 'marketing');
    const e = evaluateMonth(await this.state(accountId), figures, month, this.cfg);
    if (e.hold) await this.holdForReview(accountId, actor, e.hold);
    if (e.suspend) await this.suspend(accountId, 'marketing', e.suspend.cause, e.suspend.detail, actor);
    if (e.announce.length) {
      const state = warnedState(await this.state(accountId), month, e.announce);
      await this.saveState(accountId, state);
      const payload = { accountId, causes: e.announce, month, rates: rates(figures, this.cfg) };
      await this.audit(actor, accountId, 'account.warning', null, payload);
      await this.event(accountId, 'account.warning', payload);
      const tier = (await this.account(accountId))?.tier ?? 'free';
      await this.notify(accountId, warningNotice(viewHealth({ tier, state, warnings: e.assessment.warnings, figures, openAppeal: false, cfg: this.cfg })));
    }
    await this.evaluateOneToOne(accountId, actor, month);
    return { ...e, state: await this.state(accountId) };
  }

  /**
   * The one-to-one channel's month (issue #17): its hard bounces (the counters) over the
   * sends of the account's connected inboxes; warns, then suspends one-to-one sending. Reads
   * the sends only when the month has one-to-one hard bounces.
   */
  async evaluateOneToOne(accountId: string, actor: string, month = monthOf(this.now)): Promise<void> {
    const state = await this.state(accountId);
    if (state.oneToOne !== 'ok') return;
    const { hardBounces } = await this.tx.counters.month(accountId, month, 'one_to_one');
    if (hardBounces === 0) return;
    const { start, end } = monthRange(month);
    const sends = await this.tx.inboxes.sendsOf(accountId, start, end);
    const reinstatedAt = await this.tx.audit.lastAt(accountId, 'account.reinstate', 'one_to_one');
    const e = evaluateOneToOne(state, { hardBounces, sends }, month, this.cfg, reinstatedAt !== null && monthOf(reinstatedAt) === month);
    if (e.suspend) {
      await this.suspend(accountId, 'one_to_one', e.suspend.cause, e.suspend.detail, actor);
      return;
    }
    if (!e.warn) return;
    await this.saveState(accountId, warnedState(state, month, [ONE_TO_ONE_WARNING as WarningCause]));
    const payload = { accountId, channel: 'one_to_one', causes: [ONE_TO_ONE_WARNING], month, rates: { hardBounce: e.rate } };
    await this.audit(actor, accountId, 'account.warning', 'one_to_one', payload);
    await this.event(accountId, 'account.warning', payload);
    await this.notify(accountId, oneToOneWarningNotice(e.rate));
  }

  /** Suspends a channel (or both: fraud). False when already suspended. */
  async suspend(accountId: string, channel: Channel | 'both', cause: string, detail: string, actor: string): Promise<boolean> {
    const next = suspendedState(await this.state(accountId), channel, cause, detail, this.now);
    if (!next) return false;
    await this.saveState(accountId, next);
    const payload = { accountId, channel, cause, detail };
    await this.audit(actor, accountId, 'account.suspend', channel, payload);
    await this.event(accountId, 'account.suspended', payload);
    await this.notify(accountId, suspensionNotice((await this.account(accountId))?.tier ?? 'free', channel, detail));
    return true;
  }

  /** Holds the account for review (marketing locked until approved); nothing when held already. */
  async holdForReview(accountId: string, actor: string, why: string): Promise<void> {
    const next = heldState(await this.state(accountId));
    if (!next) return;
    await this.saveState(accountId, next);
    await this.audit(actor, accountId, 'review.hold', null, { why });
    await this.notify(accountId, REVIEW_NOTICE);
  }

  // -------------------------------------------------------------------------------------
  // Audit, events, notifications.

  audit(actor: string, accountId: string | null, action: string, subject: string | null, detail: Record<string, unknown> | null): Promise<void> {
    return this.tx.audit.add({ at: this.now, actor, accountId, action, subject, detail });
  }

  async event(accountId: string | null, type: EventType, payload: Record<string, unknown>): Promise<void> {
    await this.tx.events.add(accountId, type, payload, this.now);
  }

  /** Queues a mail to the account's contact (none without a contact address). */
  async notify(accountId: string, n: Notice): Promise<void> {
    const to = (await this.account(accountId))?.contactEmail;
    if (!to) return;
    await this.tx.notifications.enqueue({ accountId, kind: n.kind, recipient: to, subject: `[bounced] ${n.subject}`, body: n.body }, this.now);
  }
}

/** The payload of a delivery's event (webhooks): what the sender needs to act on it. */
function deliveryPayload(ev: Evidence, previous: DeliveryState | null, state: DeliveryState): Record<string, unknown> {
  return {
    accountId: ev.accountId,
    messageId: ev.messageId,
    recipient: ev.recipient.toLowerCase(),
    state,
    previous,
    status: ev.status,
    reason: ev.reason,
    category: ev.category,
    diagnostic: ev.diagnostic,
    at: ev.at,
  };
}

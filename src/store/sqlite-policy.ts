import type Database from 'better-sqlite3';
import type { Account, Channel, Profile, SuppressionReason, SuppressionRecord, Tier } from '../policy/contract.js';
import { DEFAULT_STATE, monthRange, type AccountState, type Figures, type SuppressionHit } from '../policy/rules.js';

// The policy tables (migration 4): accounts' policy columns, account_policy, suppressions,
// delivery_failures, contact_reports, campaigns, abuse_reports, appeals, policy_audit,
// notifications. Synchronous, statements prepared once; callers group writes in
// `SqliteStore.atomically()`. No decisions here: those are in src/policy/rules.ts.

/** account_id of a global suppression. */
export const GLOBAL = '*';

interface AccountRow {
  id: string;
  name: string | null;
  tier: Tier;
  profile: Profile;
  contact_email: string | null;
  created_at: number;
}

const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  name: r.name,
  tier: r.tier,
  profile: r.profile,
  contactEmail: r.contact_email,
  createdAt: r.created_at,
});

interface StateRow {
  account_id: string;
  marketing: 'ok' | 'suspended';
  suspension: string | null;
  suspension_detail: string | null;
  suspended_at: number | null;
  one_to_one: 'ok' | 'suspended';
  one_to_one_suspension: string | null;
  one_to_one_suspended_at: number | null;
  review: AccountState['review'];
  review_form: string | null;
  baseline: string | null;
  warned: string | null;
  updated_at: number;
}

/**
 * A row of the pre-send check, in its column order: account_exists, then account_policy's
 * columns (null without a row), then the suppression's (null without a hit).
 */
type SendCheckRow = [
  accountExists: 0 | 1,
  marketing: 'ok' | 'suspended' | null,
  suspension: string | null,
  suspendedAt: number | null,
  oneToOne: 'ok' | 'suspended' | null,
  oneToOneSuspension: string | null,
  oneToOneSuspendedAt: number | null,
  review: AccountState['review'] | null,
  updatedAt: number | null,
  hitAccountId: string | null,
  reason: SuppressionReason | null,
  createdAt: number | null,
  source: string | null,
];

export interface StoredState extends AccountState {
  suspensionDetail: string | null;
  /** Counts at the last reinstatement, for that month. */
  baseline: { month: string; figures: Figures } | null;
  /** Warnings already announced in a month. */
  warned: { month: string; causes: string[] } | null;
  reviewForm: Record<string, unknown> | null;
}

export interface AppealRecord {
  id: number;
  accountId: string;
  channel: Channel;
  state: 'open' | 'reinstated' | 'denied';
  form: Record<string, unknown>;
  filedAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  decisionReason: string | null;
}

export interface NotificationRecord {
  id: number;
  accountId: string | null;
  kind: string;
  recipient: string;
  subject: string;
  body: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  sentAt: number | null;
  lastError: string | null;
}

export interface AuditRecord {
  id: number;
  at: number;
  actor: string;
  accountId: string | null;
  action: string;
  subject: string | null;
  detail: Record<string, unknown> | null;
}

export interface FailureInput {
  deliveryId: number;
  accountId: string;
  recipient: string;
  channel: Channel;
  campaign: string | null;
  state: 'soft' | 'hard';
  reason: string | null;
  category: string | null;
  addressReason: boolean;
  at: number;
}

/**
 * The pre-send check (the hot path) in one statement: whether the account exists, its state
 * (account_policy) and its own and the global suppressions of the address; one row per hit,
 * or one row without a hit. Each statement outside a transaction takes and drops SQLite's read
 * locks (fcntl calls): three separate reads cost three times that, and were most of the
 * check's time under load. The suppressions are one range read of the unique (address,
 * account_id, reason) index by address, the account filtered on the way: the unary + keeps
 * SQLite from making the IN list two seeks from the root (a fifth of the statement's time on
 * 1 M rows); an address has one row per account suppressing it and reason, a few.
 * Parameters, positional (better-sqlite3 binds them faster than named ones): account,
 * account, address. Rows come as arrays (raw: no object per row), in SendCheckRow order.
 */
export const SEND_CHECK_SQL = `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?) AS account_exists,
          p.marketing, p.suspension, p.suspended_at, p.one_to_one, p.one_to_one_suspension,
          p.one_to_one_suspended_at, p.review, p.updated_at,
          s.account_id, s.reason, s.created_at, s.source
     FROM (SELECT ? AS id) AS a
     LEFT JOIN account_policy AS p ON p.account_id = a.id
     LEFT JOIN suppressions AS s ON s.address = ? AND +s.account_id IN (a.id, '*')`;

export class PolicyRepo {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      getAccount: db.prepare(`SELECT id, name, tier, profile, contact_email, created_at FROM accounts WHERE id = ?`),
      listAccounts: db.prepare(`SELECT id, name, tier, profile, contact_email, created_at FROM accounts ORDER BY id`),
      insertAccount: db.prepare(
        `INSERT INTO accounts (id, name, created_at, tier, profile, contact_email, updated_at)
         VALUES (@id, @name, @now, @tier, @profile, @contactEmail, @now)`,
      ),
      updateAccount: db.prepare(
        `UPDATE accounts SET name = @name, tier = @tier, profile = @profile, contact_email = @contactEmail, updated_at = @now WHERE id = @id`,
      ),
      getState: db.prepare(`SELECT * FROM account_policy WHERE account_id = ?`),
      saveState: db.prepare(
        `INSERT INTO account_policy (account_id, marketing, suspension, suspension_detail, suspended_at, one_to_one,
                one_to_one_suspension, one_to_one_suspended_at, review, review_form, baseline, warned, updated_at)
         VALUES (@accountId, @marketing, @suspension, @suspensionDetail, @suspendedAt, @oneToOne,
                @oneToOneSuspension, @oneToOneSuspendedAt, @review, @reviewForm, @baseline, @warned, @updatedAt)
         ON CONFLICT (account_id) DO UPDATE SET marketing = excluded.marketing, suspension = excluded.suspension,
                suspension_detail = excluded.suspension_detail, suspended_at = excluded.suspended_at,
                one_to_one = excluded.one_to_one, one_to_one_suspension = excluded.one_to_one_suspension,
                one_to_one_suspended_at = excluded.one_to_one_suspended_at, review = excluded.review,
                review_form = excluded.review_form, baseline = excluded.baseline, warned = excluded.warned,
                updated_at = excluded.updated_at`,
      ),
      hits: db.prepare(
        `SELECT account_id, reason, created_at, source FROM suppressions WHERE address = ? AND account_id IN (?, '*')`,
      ),
      sendCheck: db.prepare(SEND_CHECK_SQL).raw(true),
      addSuppression: db.prepare(
        `INSERT INTO suppressions (account_id, address, reason, created_at, source) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (address, account_id, reason) DO NOTHING`,
      ),
      removeSuppression: db.prepare(`DELETE FROM suppressions WHERE address = ? AND account_id = ? AND reason = ?`),
      recordFailure: db.prepare(
        `INSERT INTO delivery_failures (delivery_id, account_id, recipient, channel, campaign, state, reason, category, address_reason, at)
         VALUES (@deliveryId, @accountId, @recipient, @channel, @campaign, @state, @reason, @category, @addressReason, @at)
         ON CONFLICT (delivery_id) DO UPDATE SET state = excluded.state, reason = excluded.reason,
                category = excluded.category, address_reason = excluded.address_reason, at = excluded.at`,
      ),
      globalAccounts: db.prepare(
        `SELECT count(DISTINCT account_id) AS n FROM delivery_failures
          WHERE recipient = ? AND address_reason = 1 AND state = 'hard' AND channel = 'marketing' AND at >= ?`,
      ),
      hardFailures: db.prepare(
        `SELECT delivery_id, recipient, category, at FROM delivery_failures
          WHERE account_id = ? AND state = 'hard' AND channel = 'marketing' ORDER BY delivery_id`,
      ),
      insertReport: db.prepare(
        `INSERT INTO contact_reports (account_id, kind, message_id, recipient, channel, campaign, at, source)
         VALUES (@accountId, @kind, @messageId, @recipient, @channel, @campaign, @at, @source)
         ON CONFLICT (account_id, kind, message_id, recipient) DO NOTHING`,
      ),
      // One read of the month's failures of the account (index account_id, at) for three
      // figures; the reports by their (account_id, kind, at) index.
      figures: db.prepare(
        `SELECT s.sends, f.hardBounces, f.senderFailures, f.blocklistings,
           (SELECT count(*) FROM contact_reports WHERE account_id = @a AND kind = 'complaint' AND at >= @start AND at < @end
               AND channel = @channel) AS complaints,
           (SELECT count(*) FROM contact_reports WHERE account_id = @a AND kind = 'unsubscribe' AND at >= @start AND at < @end
               AND channel = @channel) AS unsubscribes,
           (SELECT count(*) FROM campaigns WHERE account_id = @a AND state = 'cancelled'
               AND cancelled_at >= @start AND cancelled_at < @end) AS cancelledCampaigns
         FROM (SELECT coalesce(sum(count), 0) AS sends FROM sends
                WHERE account_id = @a AND day >= @firstDay AND day < @nextFirstDay) AS s,
              (SELECT coalesce(sum(state = 'hard'), 0) AS hardBounces,
                      coalesce(sum(state = 'hard' AND category IN ('content', 'spam', 'policy')), 0) AS senderFailures,
                      coalesce(sum(reason IN ('blocked', 'badreputation')), 0) AS blocklistings
                 FROM delivery_failures WHERE account_id = @a AND at >= @start AND at < @end AND channel = @channel) AS f`,
      ),
      activeAccounts: db.prepare(
        `SELECT account_id FROM sends WHERE day >= ? GROUP BY account_id
         UNION SELECT account_id FROM delivery_failures WHERE at >= ?
         UNION SELECT account_id FROM contact_reports WHERE at >= ?`,
      ),
      getCampaign: db.prepare(`SELECT * FROM campaigns WHERE account_id = ? AND campaign = ?`),
      ensureCampaign: db.prepare(
        `INSERT INTO campaigns (account_id, campaign, created_at) VALUES (?, ?, ?) ON CONFLICT (account_id, campaign) DO NOTHING`,
      ),
      addCampaignSends: db.prepare(`UPDATE campaigns SET sends = sends + ? WHERE account_id = ? AND campaign = ?`),
      setCampaignPlanned: db.prepare(`UPDATE campaigns SET planned = ? WHERE account_id = ? AND campaign = ?`),
      cancelCampaign: db.prepare(
        `UPDATE campaigns SET state = 'cancelled', cancelled_at = ? WHERE account_id = ? AND campaign = ? AND state = 'active'`,
      ),
      campaignBounces: db.prepare(
        `SELECT count(*) AS n FROM delivery_failures WHERE account_id = ? AND campaign = ? AND state = 'hard' AND channel = 'marketing'`,
      ),
      campaignReports: db.prepare(
        `SELECT coalesce(sum(kind = 'complaint'), 0) AS complaints, coalesce(sum(kind = 'unsubscribe'), 0) AS unsubscribes
           FROM contact_reports WHERE account_id = ? AND campaign = ?`,
      ),
      cancelledCampaign: db.prepare(
        `SELECT cancelled_at FROM campaigns WHERE account_id = ? AND campaign = ? AND state = 'cancelled'`,
      ),
      audit: db.prepare(
        `INSERT INTO policy_audit (at, actor, account_id, action, subject, detail) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      lastAudit: db.prepare(
        `SELECT max(at) AS at FROM policy_audit WHERE account_id = ? AND action = ? AND subject = ?`,
      ),
      listAudit: db.prepare(`SELECT * FROM policy_audit WHERE account_id = ? ORDER BY id`),
      insertAppeal: db.prepare(
        `INSERT INTO appeals (account_id, channel, state, form, filed_at) VALUES (?, ?, 'open', ?, ?)`,
      ),
      getAppeal: db.prepare(`SELECT * FROM appeals WHERE id = ?`),
      openAppeal: db.prepare(`SELECT * FROM appeals WHERE account_id = ? AND state = 'open'`),
      listAppeals: db.prepare(`SELECT * FROM appeals WHERE (@a IS NULL OR account_id = @a) ORDER BY id`),
      decideAppeal: db.prepare(
        `UPDATE appeals SET state = ?, decided_at = ?, decided_by = ?, decision_reason = ? WHERE id = ? AND state = 'open'`,
      ),
      insertAbuse: db.prepare(`INSERT INTO abuse_reports (account_id, at, actor, detail) VALUES (?, ?, ?, ?)`),
      enqueue: db.prepare(
        `INSERT INTO notifications (account_id, kind, recipient, subject, body, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      due: db.prepare(`SELECT * FROM notifications WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?`),
      markSent: db.prepare(`UPDATE notifications SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?`),
      markFailed: db.prepare(`UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`),
      listNotifications: db.prepare(`SELECT * FROM notifications WHERE (@a IS NULL OR account_id = @a) ORDER BY id`),
    };
  }

  // -- accounts ---------------------------------------------------------------------------

  getAccount(id: string): Account | null {
    const r = this.s.getAccount.get(id) as AccountRow | undefined;
    return r ? toAccount(r) : null;
  }

  listAccounts(): Account[] {
    return (this.s.listAccounts.all() as AccountRow[]).map(toAccount);
  }

  insertAccount(a: { id: string; name: string | null; tier: Tier; profile: Profile; contactEmail: string | null }, now: number): void {
    this.s.insertAccount.run({ ...a, now });
  }

  updateAccount(a: Omit<Account, 'createdAt'>, now: number): void {
    this.s.updateAccount.run({ ...a, now });
  }

  // -- state ------------------------------------------------------------------------------

  getState(accountId: string): StoredState {
    const r = this.s.getState.get(accountId) as StateRow | undefined;
    if (!r) return { ...DEFAULT_STATE, suspensionDetail: null, baseline: null, warned: null, reviewForm: null };
    return {
      marketing: r.marketing,
      suspension: r.suspension,
      suspensionDetail: r.suspension_detail,
      suspendedAt: r.suspended_at,
      oneToOne: r.one_to_one,
      oneToOneSuspension: r.one_to_one_suspension,
      oneToOneSuspendedAt: r.one_to_one_suspended_at,
      review: r.review,
      reviewForm: r.review_form ? (JSON.parse(r.review_form) as Record<string, unknown>) : null,
      baseline: r.baseline ? JSON.parse(r.baseline) : null,
      warned: r.warned ? JSON.parse(r.warned) : null,
      updatedAt: r.updated_at,
    };
  }

  saveState(accountId: string, s: StoredState, now: number): void {
    this.s.saveState.run({
      accountId,
      marketing: s.marketing,
      suspension: s.suspension,
      suspensionDetail: s.suspensionDetail,
      suspendedAt: s.suspendedAt,
      oneToOne: s.oneToOne,
      oneToOneSuspension: s.oneToOneSuspension,
      oneToOneSuspendedAt: s.oneToOneSuspendedAt,
      review: s.review,
      reviewForm: s.reviewForm ? JSON.stringify(s.reviewForm) : null,
      baseline: s.baseline ? JSON.stringify(s.baseline) : null,
      warned: s.warned ? JSON.stringify(s.warned) : null,
      updatedAt: now,
    });
  }

  // -- suppressions -----------------------------------------------------------------------

  /** The account's own and the global suppressions of one address (address lower-cased by the caller). */
  suppressionHits(accountId: string, address: string): SuppressionHit[] {
    return (this.s.hits.all(address, accountId) as Array<{ account_id: string; reason: SuppressionReason; created_at: number; source: string | null }>).map(
      (r) => ({ accountId: r.account_id, reason: r.reason, createdAt: r.created_at, source: r.source }),
    );
  }

  /**
   * What the pre-send check reads, in one statement: whether the account exists, the part of
   * its state a decision needs, and its own and the global suppressions of one address
   * (lower-cased by the caller).
   */
  sendCheck(accountId: string, address: string): { accountExists: boolean; state: AccountState; hits: SuppressionHit[] } {
    const rows = this.s.sendCheck.all(accountId, accountId, address) as SendCheckRow[];
    const r = rows[0]!;
    const state: AccountState =
      r[1] === null
        ? DEFAULT_STATE
        : { marketing: r[1], suspension: r[2], suspendedAt: r[3], oneToOne: r[4]!, oneToOneSuspension: r[5], oneToOneSuspendedAt: r[6], review: r[7]!, updatedAt: r[8]! };
    const hits: SuppressionHit[] = [];
    for (const h of rows) {
      if (h[9] !== null) hits.push({ accountId: h[9], reason: h[10]!, createdAt: h[11]!, source: h[12] });
    }
    return { accountExists: r[0] === 1, state, hits };
  }

  /** True when the row is new. */
  addSuppression(accountId: string, address: string, reason: SuppressionReason, source: string | null, now: number): boolean {
    return this.s.addSuppression.run(accountId, address.toLowerCase(), reason, now, source).changes === 1;
  }

  removeSuppression(accountId: string, address: string, reason: SuppressionReason): boolean {
    return this.s.removeSuppression.run(address.toLowerCase(), accountId, reason).changes === 1;
  }

  listSuppressions(filter: { accountId: string; reason?: SuppressionReason; scope?: 'account' | 'global'; since?: number; afterId?: number; limit: number }): Array<SuppressionRecord & { id: number }> {
    const owners = filter.scope === 'account' ? [filter.accountId] : filter.scope === 'global' ? [GLOBAL] : [filter.accountId, GLOBAL];
    const clauses = [`account_id IN (${owners.map(() => '?').join(', ')})`, 'id > ?'];
    const params: unknown[] = [...owners, filter.afterId ?? 0];
    if (filter.reason) {
      clauses.push('reason = ?');
      params.push(filter.reason);
    }
    if (filter.since !== undefined) {
      clauses.push('created_at >= ?');
      params.push(filter.since);
    }
    params.push(filter.limit);
    const rows = this.db
      .prepare(`SELECT * FROM suppressions WHERE ${clauses.join(' AND ')} ORDER BY id LIMIT ?`)
      .all(...params) as Array<{ id: number; account_id: string; address: string; reason: SuppressionReason; created_at: number; source: string | null }>;
    return rows.map((r) => ({
      id: r.id,
      accountId: r.account_id === GLOBAL ? null : r.account_id,
      address: r.address,
      reason: r.reason,
      createdAt: r.created_at,
      source: r.source,
    }));
  }

  // -- failures, reports, campaigns -------------------------------------------------------

  recordFailure(f: FailureInput): void {
    this.s.recordFailure.run({ ...f, recipient: f.recipient.toLowerCase(), addressReason: f.addressReason ? 1 : 0 });
  }

  /** Distinct accounts whose marketing mail hard-bounced the address for an address reason since `since`. */
  globalBounceAccounts(address: string, since: number): number {
    return (this.s.globalAccounts.get(address.toLowerCase(), since) as { n: number }).n;
  }

  hardFailures(accountId: string): Array<{ deliveryId: number; recipient: string; category: string | null; at: number }> {
    return (this.s.hardFailures.all(accountId) as Array<{ delivery_id: number; recipient: string; category: string | null; at: number }>).map((r) => ({
      deliveryId: r.delivery_id,
      recipient: r.recipient,
      category: r.category,
      at: r.at,
    }));
  }

  /** True when the report is new (one per account, kind, message, recipient). */
  insertReport(r: { accountId: string; kind: 'complaint' | 'unsubscribe'; messageId: string; recipient: string; channel: Channel; campaign: string | null; at: number; source: string }): boolean {
    return this.s.insertReport.run({ ...r, recipient: r.recipient.toLowerCase() }).changes === 1;
  }

  figures(accountId: string, month: string, channel: Channel = 'marketing'): Figures {
    const range = monthRange(month);
    return this.s.figures.get({ a: accountId, channel, ...range }) as Figures;
  }

  /** Accounts with sends, failures or reports since `since` (what the evaluate job looks at). */
  activeAccounts(since: number): string[] {
    const day = new Date(since).toISOString().slice(0, 10);
    return (this.s.activeAccounts.all(day, since, since) as Array<{ account_id: string }>).map((r) => r.account_id);
  }

  ensureCampaign(accountId: string, campaign: string, now: number): void {
    this.s.ensureCampaign.run(accountId, campaign, now);
  }

  addCampaignSends(accountId: string, campaign: string, count: number, now: number): void {
    this.s.ensureCampaign.run(accountId, campaign, now);
    this.s.addCampaignSends.run(count, accountId, campaign);
  }

  setCampaignPlanned(accountId: string, campaign: string, planned: number, now: number): void {
    this.s.ensureCampaign.run(accountId, campaign, now);
    this.s.setCampaignPlanned.run(planned, accountId, campaign);
  }

  getCampaign(accountId: string, campaign: string): { planned: number | null; sends: number; state: 'active' | 'cancelled'; cancelledAt: number | null; hardBounces: number } | null {
    const r = this.s.getCampaign.get(accountId, campaign) as { planned: number | null; sends: number; state: 'active' | 'cancelled'; cancelled_at: number | null } | undefined;
    if (!r) return null;
    const n = (this.s.campaignBounces.get(accountId, campaign) as { n: number }).n;
    return { planned: r.planned, sends: r.sends, state: r.state, cancelledAt: r.cancelled_at, hardBounces: n };
  }

  /** Complaints and unsubscribes of a campaign's messages (all time). */
  campaignReports(accountId: string, campaign: string): { complaints: number; unsubscribes: number } {
    return this.s.campaignReports.get(accountId, campaign) as { complaints: number; unsubscribes: number };
  }

  /** The pre-send check's campaign lookup: when the campaign is cancelled, since when. */
  campaignCancelledAt(accountId: string, campaign: string): number | null {
    const r = this.s.cancelledCampaign.get(accountId, campaign) as { cancelled_at: number } | undefined;
    return r ? r.cancelled_at : null;
  }

  cancelCampaign(accountId: string, campaign: string, now: number): boolean {
    return this.s.cancelCampaign.run(now, accountId, campaign).changes === 1;
  }

  // -- audit, appeals, abuse --------------------------------------------------------------

  audit(at: number, actor: string, accountId: string | null, action: string, subject: string | null, detail: Record<string, unknown> | null): void {
    this.s.audit.run(at, actor, accountId, action, subject, detail ? JSON.stringify(detail) : null);
  }

  lastAuditAt(accountId: string, action: string, subject: string): number | null {
    return (this.s.lastAudit.get(accountId, action, subject) as { at: number | null }).at;
  }

  listAudit(accountId: string): AuditRecord[] {
    return (this.s.listAudit.all(accountId) as Array<{ id: number; at: number; actor: string; account_id: string | null; action: string; subject: string | null; detail: string | null }>).map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      accountId: r.account_id,
      action: r.action,
      subject: r.subject,
      detail: r.detail ? JSON.parse(r.detail) : null,
    }));
  }

  insertAppeal(accountId: string, channel: Channel, form: Record<string, unknown>, now: number): number {
    return Number(this.s.insertAppeal.run(accountId, channel, JSON.stringify(form), now).lastInsertRowid);
  }

  getAppeal(id: number): AppealRecord | null {
    const r = this.s.getAppeal.get(id) as AppealRow | undefined;
    return r ? toAppeal(r) : null;
  }

  openAppeal(accountId: string): AppealRecord | null {
    const r = this.s.openAppeal.get(accountId) as AppealRow | undefined;
    return r ? toAppeal(r) : null;
  }

  listAppeals(accountId?: string): AppealRecord[] {
    return (this.s.listAppeals.all({ a: accountId ?? null }) as AppealRow[]).map(toAppeal);
  }

  decideAppeal(id: number, state: 'reinstated' | 'denied', actor: string, reason: string, now: number): boolean {
    return this.s.decideAppeal.run(state, now, actor, reason, id).changes === 1;
  }

  insertAbuseReport(accountId: string, actor: string, detail: string, now: number): void {
    this.s.insertAbuse.run(accountId, now, actor, detail);
  }

  // -- notifications outbox ---------------------------------------------------------------

  enqueueNotification(n: { accountId: string | null; kind: string; recipient: string; subject: string; body: string }, now: number): number {
    return Number(this.s.enqueue.run(n.accountId, n.kind, n.recipient, n.subject, n.body, now, now).lastInsertRowid);
  }

  dueNotifications(now: number, limit = 100): NotificationRecord[] {
    return (this.s.due.all(now, limit) as NotificationRow[]).map(toNotification);
  }

  markNotificationSent(id: number, now: number): void {
    this.s.markSent.run(now, id);
  }

  markNotificationFailed(id: number, nextAttemptAt: number, error: string): void {
    this.s.markFailed.run(nextAttemptAt, error, id);
  }

  listNotifications(accountId?: string): NotificationRecord[] {
    return (this.s.listNotifications.all({ a: accountId ?? null }) as NotificationRow[]).map(toNotification);
  }
}

interface AppealRow {
  id: number;
  account_id: string;
  channel: Channel;
  state: AppealRecord['state'];
  form: string;
  filed_at: number;
  decided_at: number | null;
  decided_by: string | null;
  decision_reason: string | null;
}

const toAppeal = (r: AppealRow): AppealRecord => ({
  id: r.id,
  accountId: r.account_id,
  channel: r.channel,
  state: r.state,
  form: JSON.parse(r.form) as Record<string, unknown>,
  filedAt: r.filed_at,
  decidedAt: r.decided_at,
  decidedBy: r.decided_by,
  decisionReason: r.decision_reason,
});

interface NotificationRow {
  id: number;
  account_id: string | null;
  kind: string;
  recipient: string;
  subject: string;
  body: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  sent_at: number | null;
  last_error: string | null;
}

const toNotification = (r: NotificationRow): NotificationRecord => ({
  id: r.id,
  accountId: r.account_id,
  kind: r.kind,
  recipient: r.recipient,
  subject: r.subject,
  body: r.body,
  createdAt: r.created_at,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  sentAt: r.sent_at,
  lastError: r.last_error,
});

// The policy service's contract: what the API and the CLI may ask of the account policy
// (suppression, global bounces, complaints, unsubscribes, rates, suspension, appeals). The
// implementation is src/policy/service.ts; the pure decisions are ./rules.ts; what evidence
// does to an account is written by the settle step through ./apply.ts.
//
// Message references: the VERP `message` field is the sender's message id, optionally
// carrying a channel and a campaign:
//     [o2o:]<campaign>/<message>    or    [o2o:]<message>
// `o2o:` marks the one-to-one (sales/CRM) channel; without it a message is marketing.

import type { AddableReason, Channel, HealthStatus, Profile, SuppressionReason, Tier } from '../domain/index.js';

export type { Channel, HealthStatus, Profile, SuppressionReason, Tier };

export type { Account } from '../store/contract.js';
import type { PolicyRefusal } from './errors.js';
import type { Account } from '../store/contract.js';

export interface SendDecision {
  send: boolean;
  address: string;
  /** Why not, most important first; empty when send is true. */
  reasons: Array<{
    code: 'account_suspended' | 'account_under_review' | 'campaign_cancelled' | SuppressionReason;
    scope: 'account' | 'global';
    since: number;
    detail?: string;
  }>;
}

export interface RateFigure {
  count: number;
  sends: number;
  /** count / sends, 0 when below the minimum volume. */
  rate: number;
  limit: number;
  warnAt: number;
}

export interface Health {
  accountId: string;
  status: HealthStatus;
  /** Set when suspended: rates, fraud, campaigns, blocklist, abuse, review. */
  suspension: string | null;
  channel: { marketing: HealthStatus; oneToOne: HealthStatus };
  month: string; // YYYY-MM
  rates: { hardBounce: RateFigure; complaint: RateFigure; unsubscribe: RateFigure };
  banner: string | null;
  recommendations: string[];
  canAppeal: boolean;
  // Added by the policy implementation (additive):
  /** Why, in words, when suspended (e.g. "hard-bounce rate 5.1 % (51 of 1000 sends) passed ..."). */
  suspensionDetail?: string | null;
  tier?: Tier;
  profile?: Profile;
  /** none | required | submitted | approved | denied */
  review?: string;
  openAppealId?: number | null;
  /** The month's other evidence. */
  figures?: { sends: number; senderFailures: number; blocklistings: number; cancelledCampaigns: number };
}

export interface SuppressionRecord {
  accountId: string | null; // null: global
  address: string;
  reason: SuppressionReason;
  createdAt: number;
  source: string | null;
}

/** Every method is asynchronous: it reads and writes through the store (src/store/contract.ts). */
export interface PolicyService {
  createAccount(input: { id: string; name?: string; tier: Tier; profile?: Profile; contactEmail?: string }, actor: string, now: number): Promise<Account>;
  updateAccount(id: string, patch: Partial<Pick<Account, 'name' | 'tier' | 'profile' | 'contactEmail'>>, actor: string, now: number): Promise<Account | null>;
  getAccount(id: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;

  /** The hot path: may this account mail this address now? */
  checkSend(accountId: string, address: string, now: number, opts?: { campaign?: string; channel?: Channel }): Promise<SendDecision>;
  /** checkSend for an account that must exist: null when there is no such account (the same single read). */
  checkSendExisting(accountId: string, address: string, now: number, opts?: { campaign?: string; channel?: Channel }): Promise<SendDecision | null>;
  checkSendBatch(accountId: string, addresses: string[], now: number, opts?: { campaign?: string; channel?: Channel }): Promise<SendDecision[]>;

  health(accountId: string, now: number): Promise<Health | null>;

  listSuppressions(filter: { accountId: string; reason?: SuppressionReason; scope?: 'account' | 'global'; since?: number; cursor?: string; limit?: number }): Promise<{ items: SuppressionRecord[]; next: string | null }>;
  addSuppressions(accountId: string, addresses: Iterable<string>, reason: AddableReason, actor: string, now: number): Promise<number>;
  /** Unbounce: lifts the account's own suppression of the address (never a global one); audited. */
  removeSuppression(accountId: string, address: string, actor: string, why: string, now: number): Promise<boolean>;

  /** RFC 8058 one-click and mailto unsubscribes, from a signed token. */
  /** Whether an unsubscribe token verifies, changing nothing (the confirmation page). */
  unsubscribeTokenValid(token: string): boolean;
  unsubscribe(token: string, now: number): Promise<{ ok: true; accountId: string; address: string } | { ok: false; error: string }>;

  fileAppeal(accountId: string, form: Record<string, unknown>, now: number): Promise<{ ok: true; appealId: number } | PolicyRefusal>;
  decideAppeal(appealId: number, decision: 'reinstate' | 'deny', reason: string, actor: string, now: number): Promise<{ ok: true } | PolicyRefusal>;
  /** Holds the account for review (marketing locked until approved); nothing when it is held already. */
  holdForReview(accountId: string, actor: string, why: string, now: number): Promise<void>;
  /** The account's review form (contactsSource, emailPurpose); refused unless it is held for review. */
  submitReview(accountId: string, form: Record<string, unknown>, now: number): Promise<{ ok: true } | PolicyRefusal>;
  /** Approves (marketing unlocked) or denies a review; audited, the account notified. */
  decideReview(accountId: string, decision: 'approve' | 'deny', reason: string, actor: string, now: number): Promise<{ ok: true } | PolicyRefusal>;
}

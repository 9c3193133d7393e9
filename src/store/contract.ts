// The store's contract: what the rest of bounced may ask of its database, whatever the
// database is. SQLite (src/store/sqlite/, the embedded default) and PostgreSQL
// (src/store/postgres/, the shared database of several MX nodes) implement it, and ONE
// contract suite (test/store/contract.test.ts) runs against both.
//
// What it promises:
// - Repositories named for what they hold (messages, bounces, deliveries, suppressions, ...).
//   Every method returns a Promise. No driver handle leaves src/store/.
// - A method called on `store.<repo>` is its own unit of work: it commits (or fails) whole,
//   even when it writes several rows (a message and its bytes, a failure and its counters).
// - `store.transaction(fn, opts)` hands `fn` the same repositories bound to one transaction:
//   they see their own writes; nobody else does until the commit; a throw rolls everything
//   back and rethrows. `fn` may await only these repositories: never a socket, a file, a
//   timer or another transaction (on SQLite the connection is held, and every other caller of
//   this store waits, for as long as `fn` runs). Nested transactions are not supported: use
//   the repositories `fn` was given. A repository call that fails inside a transaction ends
//   it, as a failed statement does on PostgreSQL: later calls fail (`invalid`) and the
//   transaction rolls back and throws the first error even if `fn` caught it and went on.
//   `durable: false` lets the commit return before the disk
//   has it, for derived state that is rebuilt if a power cut loses it (SQLite: synchronous =
//   NORMAL for that commit; PostgreSQL: SET LOCAL synchronous_commit = off). Default durable:
//   nothing acknowledged to a sender is ever written otherwise.
// - Idempotency by unique keys, not by luck: evidence by its dedup key, a contact report per
//   (account, kind, message, recipient), a suppression per (address, account, reason), a
//   message settled once (from `received`), a webhook delivery per (event, endpoint). The same
//   write twice, from one node or two, changes nothing the second time and says so (false/null).
// - Counters: each account's month figures per channel (sends, hard bounces, sender failures,
//   blocklistings, complaints, unsubscribes, cancelled campaigns) and each campaign's counts
//   are kept by the store itself, in the transaction of the write that changes them (a send
//   counted, a failure recorded or moved, a report added, a campaign cancelled). Reading a
//   month is one indexed read, never a sum over its rows (issue #20); `counters.recount`
//   gives the same figures from the rows, for checks. This store must be the only writer of
//   the counted tables (sends, delivery_failures, contact_reports, campaigns).
// - Several nodes on one database: messages are claimed by one node with a lease
//   (`messages.claim`), jobs run under a lease (`jobs.acquire`), webhook deliveries are
//   claimed with a lease (`webhooks.claimDue`); an expired lease is taken over.
// - Errors are StoreError with a stable code (./store-error.ts); the edges map `temporary`
//   codes to SMTP 451 4.3.0, HTTP 503 and exit 75.
// - Addresses are kept in one spelling by the store (src/address.ts: the domain in ASCII, lower
//   case), whatever spelling it is given; times are integer ms (UTC).
//
// Everything one message's settling needs fits one transaction: read the delivery
// (applyEvidence returns the change), the account's policy state and profile, its month's
// counters and the campaign's; write the bounce records, evidence, failures, suppressions,
// reports, events, audit rows and notifications; counters follow by themselves.

import type {
  AppealState, BounceType, CampaignCounts, CampaignState, Category, Channel, ContactReportKind,
  DeliveryState, EventType, EvidenceSource, FailedState, Figures, MessageSource, MessageState, PolicyState, Profile, ReportKind,
  SoftBounceLimit, SuppressionReason, Tier,
} from '../domain/index.js';

import type { InboxSecret, TlsMode } from '../inbox/types.js';

export { DEFAULT_POLICY_STATE, type PolicyState } from '../domain/index.js';

export { StoreError, STORE_ERROR_CODES, TEMPORARY_STORE_ERRORS, isStoreError, type StoreErrorCode } from './store-error.js';

// ---------------------------------------------------------------------------------------
// Messages

/** Where a message came from and for whom, as accepted at the edge. */
export interface Envelope {
  receivedAt: number;
  source: MessageSource;
  /** Envelope sender; '' for the null reverse-path <>. */
  mailFrom: string;
  rcptTo: string[];
  remoteIp: string | null;
  helo: string | null;
}

/** A message as accepted at the edge. A big message's bytes may come as its parts in order. */
export interface IncomingMessage extends Envelope {
  /** The whole message; with `spool`, its head only (at most RAW_HEAD_BYTES, what processing reads). */
  raw: Buffer | readonly Buffer[];
  /** The whole message is in this spool file, durable before the insert (issue #20: src/spool). */
  spool?: SpooledBytes;
}

/** A message's bytes in a spool file: its name in the spool directory, its size and sha256. */
export interface SpooledBytes {
  file: string;
  size: number;
  sha256: string;
}

export interface MessageSummary extends Envelope {
  id: number;
  /** Bytes of the whole message. */
  size: number;
  sha256: string;
  state: MessageState;
  processedAt: number | null;
  /**
   * Processing attempts begun: counted (committed) before each parse starts
   * (`beginAttempts`), so a message whose parse crashes its worker or takes the process down
   * is given up after `pipeline.maxAttempts` instead of being retried for ever.
   */
  attempts: number;
  /** Why it is unparseable; while still `received`, what stopped its last attempt. */
  error: string | null;
  /** What was cut from what it produced (records past the cap, a Message-ID too long). */
  warning: string | null;
  kind: ReportKind | null;
  detector: string | null;
  reportMessageId: string | null;
  duplicateOf: number | null;
  /** The node processing it, while its lease runs (claim). */
  claimedBy: string | null;
  claimedUntil: number | null;
}

/** A claimed message: its metadata and the head of its bytes (RAW_HEAD_BYTES), all processing reads. */
export interface ClaimedMessage extends MessageSummary {
  raw: Buffer;
}

/** How a message was settled: written once, from `received`. */
export type Settlement =
  | {
      state: 'processed';
      kind: ReportKind;
      detector: string;
      reportMessageId: string | null;
      /**
       * What makes a later message a duplicate of this one besides equal bytes: the report
       * Message-ID within its verified token (src/pipeline/decide.ts duplicateKey); null for
       * unverified mail, whose Message-ID anyone can choose.
       */
      duplicateKey?: string | null;
      /** What was cut from its output (src/pipeline/bounds.ts). */
      warning?: string | null;
    }
  | { state: 'unparseable'; error: string }
  | { state: 'duplicate'; duplicateOf: number; kind: ReportKind; reportMessageId: string | null };

export interface MessageFilter {
  state?: MessageState;
  /** Messages with an id greater than this. */
  after?: number;
  limit?: number;
}

export interface ClaimOptions {
  /** At most this many messages. */
  limit: number;
  /** The claim lapses this long after `now`: another node may then take the message. */
  leaseMs: number;
  now: number;
  /** About this many bytes of heads at most (always at least one message). Default 32 MiB. */
  maxBytes?: number;
}

/** A node that processes messages: the daemon's processing thread, `bounced tick`, ... */
export type NodeId = string;

export interface MessageRepo {
  /** Stores messages (and their bytes) and returns their ids, in order; one commit for the batch. */
  insert(batch: readonly IncomingMessage[]): Promise<number[]>;
  /**
   * Takes unprocessed messages (state `received`, unclaimed, with a lapsed claim, or claimed
   * by `node` itself: a node restarted, or retrying after a fault, takes back its own), oldest
   * first, for `node` until `now + leaseMs`. Two claimers never get the same message while a
   * lease runs (PostgreSQL: FOR UPDATE SKIP LOCKED). A node runs one claimer at a time.
   */
  claim(node: NodeId, opts: ClaimOptions): Promise<ClaimedMessage[]>;
  /** Drops the claims `node` holds on messages not yet settled (all, or these); returns how many. */
  release(node: NodeId, ids?: readonly number[]): Promise<number>;
  /**
   * These messages, those still `received`, with the head of their bytes, without claiming
   * them (`bounced ingest` processing the message it has just stored).
   */
  received(ids: readonly number[]): Promise<ClaimedMessage[]>;
  /**
   * Counts a processing attempt of each (still `received`) message, before its parse starts.
   * The commit need not wait for the disk: it must survive the process, not a power cut.
   */
  beginAttempts(ids: readonly number[]): Promise<void>;
  /** Takes back attempts that never ran (a stop before their parse, an outcome not written). */
  refundAttempts(ids: readonly number[]): Promise<void>;
  /** Notes why an attempt of a still `received` message failed (its parse worker crashed). */
  noteFailedAttempt(id: number, error: string): Promise<void>;
  /**
   * Settles a `received` message (its claim ends; its attempts are what beginAttempts
   * counted); false when it was already settled (by this node or another): write nothing for it.
   */
  settle(id: number, settlement: Settlement, now: number): Promise<boolean>;
  /** The earliest other settled message with the same bytes or the same duplicate key (Settlement.duplicateKey). */
  findDuplicate(id: number, sha256: string, duplicateKey: string | null): Promise<number | null>;
  get(id: number): Promise<MessageSummary | null>;
  /**
   * The whole message as received; null when unknown or its bytes were pruned (pruneRaw). A
   * spooled message is read from its file (StoreError `internal` when the file is missing).
   */
  raw(id: number): Promise<Buffer | null>;
  /**
   * Of these spool file names, those a message row names (the orphan sweep keeps them and
   * removes the others: src/spool/sweep.ts).
   */
  spooledFiles(files: readonly string[]): Promise<Set<string>>;
  /**
   * Retention (issue #20): drops the bytes (head and tail) of at most `limit` settled messages
   * received before `before`, oldest first; the message row (envelope, size, sha256, state) and
   * every record made from it stay. A message still `received` keeps its bytes whatever its
   * age (it has yet to be processed). Walks the messages that still have bytes in id order and
   * stops at the first one received at or after `before` (ids follow arrival; after a clock set
   * back a few are pruned late, never early). Returns how many were pruned: call again while
   * it returns `limit`. A spooled message's file is removed after the commit (a crash
   * in between leaves an orphan file for the sweep, never a row without its file).
   */
  pruneRaw(before: number, limit: number): Promise<number>;
  list(filter: MessageFilter): Promise<MessageSummary[]>;
  /** Counts by state: the backlog and its fate. */
  counts(): Promise<Record<MessageState, number>>;
}

// ---------------------------------------------------------------------------------------
// Bounce records

/** One recipient of one report, as classified. */
export interface BounceInput {
  createdAt: number;
  accountId: string | null;
  messageId: string | null;
  /** Verified: the token's recipient (the address the account mailed). Else the report's. */
  recipient: string | null;
  /** The recipient the report itself named (Final-Recipient, ...), which may differ (an alias). */
  reportedRecipient: string | null;
  kind: ReportKind;
  action: string | null;
  status: string | null;
  reason: string;
  hardbounce: boolean;
  category: Category;
  type: BounceType;
  rule: string;
  detector: string;
  replyCode: number | null;
  diagnostic: string | null;
  remoteMta: string | null;
  reportingMta: string | null;
  originalMessageId: string | null;
  feedbackType: string | null;
  verified: boolean;
  /** Text of this record that was cut (pipeline.maxTextChars), e.g. "diagnostic cut to 1000 of 5234 characters". */
  warning: string | null;
}

export interface BounceRecord extends BounceInput {
  id: number;
  messageRow: number;
}

export interface BounceQuery {
  accountId?: string;
  recipient?: string;
  type?: BounceType;
  category?: Category;
  reason?: string;
  since?: number;
  /** Created before this (ms): with `since`, a date range (exports). */
  until?: number;
  /** Bounces with an id greater than this (the previous page's last id). */
  after?: number;
  limit?: number;
}

/** Bounces of one UTC day, of one type and category (the dashboard's trends, issue #16). */
export interface BounceDay {
  /** YYYY-MM-DD (UTC). */
  day: string;
  type: BounceType;
  category: Category;
  count: number;
}

export interface BounceRepo {
  insert(messageRow: number, bounce: BounceInput): Promise<number>;
  /**
   * The account's bounces since `since`, counted per UTC day, type and category, days in order
   * (at most days x types x categories rows, whatever the volume).
   */
  daily(accountId: string, since: number): Promise<BounceDay[]>;
  /**
   * The account's bounces since `since` counted per receiving domain (the recipient's part
   * after the last @), the `limit` largest first (ties by domain); the rest is the caller's
   * "other" (the total from daily() less these).
   */
  domains(accountId: string, since: number, limit: number): Promise<Array<{ domain: string; count: number }>>;
  get(id: number): Promise<BounceRecord | null>;
  list(query: BounceQuery): Promise<BounceRecord[]>;
  /** The delivery evidence recorded from this bounce. */
  evidence(bounceId: number): Promise<Array<EvidenceRecord & { deliveryId: number }>>;
  /** The records made from one stored message, in id order (the order they were written). */
  ofMessage(messageRow: number): Promise<BounceRecord[]>;
  /** Sets a record's classification (`bounced reclassify`); false when there is no such record. */
  reclassify(id: number, c: BounceClassification): Promise<boolean>;
}

/** What the classifier decides of a record (`bounced reclassify` rewrites these, nothing else). */
export type BounceClassification = Pick<BounceInput, 'reason' | 'category' | 'type' | 'hardbounce' | 'rule'>;

// ---------------------------------------------------------------------------------------
// Deliveries and their evidence

/** One piece of evidence about one delivery (account, message, recipient). */
export interface Evidence {
  accountId: string;
  messageId: string;
  recipient: string;
  at: number;
  source: EvidenceSource;
  state: DeliveryState;
  status: string | null;
  reason: string | null;
  category: string | null;
  diagnostic: string | null;
  qid: string | null;
  /** Evidence with a key already recorded changes nothing (replays, duplicates, two nodes). */
  dedupKey: string;
  /** A log line of a delivery attempt: the first such evidence per delivery counts one send. */
  countsAsSend: boolean;
}

export interface DeliveryRecord {
  id: number;
  accountId: string;
  messageId: string;
  recipient: string;
  state: DeliveryState;
  firstAt: number;
  lastAt: number;
  pendingSince: number | null;
  attempts: number;
  /** Filled by list() only (0 elsewhere). */
  evidenceCount: number;
  status: string | null;
  reason: string | null;
  category: string | null;
  diagnostic: string | null;
  updatedAt: number;
}

export interface EvidenceRecord {
  id: number;
  at: number;
  source: EvidenceSource;
  state: DeliveryState;
  status: string | null;
  reason: string | null;
  diagnostic: string | null;
  bounceId: number | null;
  qid: string | null;
}

/** What one recorded piece of evidence did to its delivery. */
export interface DeliveryChange {
  deliveryId: number;
  /** The state before; null for a delivery this evidence created. */
  previous: DeliveryState | null;
  state: DeliveryState;
  /** This evidence counted the delivery's send (one per delivery; the sends counters moved). */
  sendCounted: boolean;
  /** The delivery after the change. */
  delivery: DeliveryRecord;
}

export interface DeliveryFilter {
  accountId?: string;
  state?: DeliveryState;
  /** First evidence (firstAt) at or after, ms. */
  since?: number;
  /** ... and before, ms. */
  until?: number;
  after?: number;
  limit?: number;
}

export interface DeliveryRepo {
  /**
   * Records one piece of evidence and moves its delivery forward (never backwards, see
   * domain/delivery.ts); counts the delivery's send once when the evidence says so. Null
   * when evidence with this dedup key is already recorded (nothing changed).
   */
  applyEvidence(evidence: Evidence, bounceId: number | null, now: number): Promise<DeliveryChange | null>;
  find(accountId: string, messageId: string, recipient: string): Promise<DeliveryRecord | null>;
  list(filter: DeliveryFilter): Promise<DeliveryRecord[]>;
  evidence(deliveryId: number): Promise<EvidenceRecord[]>;
  /** Pending deliveries whose window started at or before `cutoff`, oldest id first. */
  duePending(cutoff: number, limit?: number): Promise<DeliveryRecord[]>;
  /** Pending deliveries with log evidence from this Postfix queue id. */
  pendingByQid(qid: string): Promise<DeliveryRecord[]>;
  /** The latest evidence time of the account's delivered deliveries to the address; null: none (the soft-bounce limit's reset). */
  lastDeliveredAt(accountId: string, recipient: string): Promise<number | null>;
}

// ---------------------------------------------------------------------------------------
// Sends

export interface SendCount {
  accountId: string;
  day: string;
  count: number;
}

export interface SendRepo {
  /** Adds sends of an account on a UTC day (YYYY-MM-DD); the month's counter follows. */
  add(accountId: string, day: string, count: number): Promise<void>;
  list(accountId?: string): Promise<SendCount[]>;
}

// ---------------------------------------------------------------------------------------
// Accounts, their policy state, campaigns

export interface Account {
  id: string;
  name: string | null;
  tier: Tier;
  profile: Profile;
  contactEmail: string | null;
  createdAt: number;
}

export type NewAccount = Omit<Account, 'createdAt'>;

export interface AccountRepo {
  get(id: string): Promise<Account | null>;
  list(): Promise<Account[]>;
  exists(id: string): Promise<boolean>;
  /** StoreError `conflict` when the id exists. Addresses lower-cased. */
  insert(account: NewAccount, now: number): Promise<void>;
  /** False when there is no such account. */
  update(account: NewAccount, now: number): Promise<boolean>;
  /** The account's policy state (the default one when it never changed; any account id). */
  state(accountId: string): Promise<PolicyState>;
  saveState(accountId: string, state: PolicyState, now: number): Promise<void>;
  /** The accounts held for review whose review is one of `states` (the admin's open reviews), oldest change first. */
  reviews(states: readonly string[]): Promise<Array<{ accountId: string; review: string; reviewForm: Record<string, unknown> | null; updatedAt: number }>>;
  /** The account's soft-bounce limit (issue #19 §2); null: none (soft bounces never suppress). */
  softBounceLimit(accountId: string): Promise<SoftBounceLimit | null>;
  /** Sets (or, with null, removes) the account's soft-bounce limit. */
  setSoftBounceLimit(accountId: string, limit: SoftBounceLimit | null, now: number): Promise<void>;
}

export interface Campaign {
  accountId: string;
  campaign: string;
  planned: number | null;
  sends: number;
  state: CampaignState;
  cancelledAt: number | null;
  createdAt: number;
}

export interface CampaignRepo {
  get(accountId: string, campaign: string): Promise<Campaign | null>;
  ensure(accountId: string, campaign: string, now: number): Promise<void>;
  addSends(accountId: string, campaign: string, count: number, now: number): Promise<void>;
  setPlanned(accountId: string, campaign: string, planned: number, now: number): Promise<void>;
  /** Cancels an active campaign (the canary); the month's cancelledCampaigns follows. False when not active. */
  cancel(accountId: string, campaign: string, now: number): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------
// Suppressions and the pre-send check

export interface SuppressionRecord {
  id: number;
  /** null: a global suppression. */
  accountId: string | null;
  address: string;
  reason: SuppressionReason;
  createdAt: number;
  source: string | null;
}

/** A suppression as the pre-send check sees it; accountId '*' is global. */
export interface SuppressionHit {
  accountId: string;
  reason: SuppressionReason;
  createdAt: number;
  source: string | null;
}

/** What the pre-send check reads, in one statement. */
export interface PreSendRead {
  accountExists: boolean;
  /** The part of the account's state the decision needs (the default state without a row). */
  state: Pick<PolicyState, 'marketing' | 'suspension' | 'suspendedAt' | 'oneToOne' | 'oneToOneSuspension' | 'oneToOneSuspendedAt' | 'review' | 'updatedAt'>;
  /** The account's own and the global suppressions of the address. */
  hits: SuppressionHit[];
  /** When the campaign asked about was cancelled; null when it is not (or none was asked). */
  campaignCancelledAt: number | null;
}

export interface SuppressionFilter {
  accountId: string;
  reason?: SuppressionReason;
  /** account: its own; global: the global ones; neither: both. */
  scope?: 'account' | 'global';
  since?: number;
  /** Created before this (ms). */
  until?: number;
  afterId?: number;
  limit: number;
}

export interface SuppressionRepo {
  /** True when the row is new. `accountId` '*' (GLOBAL_ACCOUNT) adds a global suppression. */
  add(accountId: string, address: string, reason: SuppressionReason, source: string | null, now: number): Promise<boolean>;
  remove(accountId: string, address: string, reason: SuppressionReason): Promise<boolean>;
  /** The account's own and the global suppressions of one address. */
  hits(accountId: string, address: string): Promise<SuppressionHit[]>;
  /** hits() for many addresses at once (the batch check), in their order. */
  hitsMany(accountId: string, addresses: readonly string[]): Promise<SuppressionHit[][]>;
  /** The pre-send check's read: the hot path, one statement. */
  preSend(accountId: string, address: string, campaign?: string | null): Promise<PreSendRead>;
  list(filter: SuppressionFilter): Promise<SuppressionRecord[]>;
  counts(): Promise<Record<'account' | 'global', number>>;
  /**
   * Lifts soft_bounce_limit suppressions older than their account's suppressDays at `now`
   * (at most `limit`); returns them (the caller audits).
   */
  expireSoftLimits(now: number, limit?: number): Promise<Array<{ accountId: string; address: string }>>;
}

// ---------------------------------------------------------------------------------------
// Failures, contact reports, counters

/** A delivery that failed for good (soft or hard), once per delivery. */
export interface FailureInput {
  deliveryId: number;
  accountId: string;
  recipient: string;
  channel: Channel;
  campaign: string | null;
  state: FailedState;
  reason: string | null;
  category: string | null;
  /** Unknown user / mailbox full, hard: counts toward a global bounce. */
  addressReason: boolean;
  /** When the evidence that made it so happened (the month it counts in). */
  at: number;
}

export type FailureRecord = FailureInput;

export interface FailureRepo {
  /**
   * Records (or moves: soft -> hard, a later time) a delivery's failure; the month's and the
   * campaign's counters follow, the old contribution taken out and the new one put in.
   */
  record(failure: FailureInput): Promise<void>;
  /** Distinct accounts whose marketing mail hard-bounced the address for an address reason since `since`. */
  globalBounceAccounts(address: string, since: number): Promise<number>;
  /** The account's hard marketing failures (the profile replay). */
  hardOf(accountId: string): Promise<Array<{ deliveryId: number; recipient: string; category: string | null; at: number }>>;
  list(accountId: string): Promise<FailureRecord[]>;
  /** The account's soft failures of the address at or after `since` (the soft-bounce limit's count). */
  softSince(accountId: string, recipient: string, since: number): Promise<number>;
  /**
   * A campaign's failed recipients (the dashboard's "Campaign recipients -> Bounced"), by
   * delivery id, a page at a time: those after `afterDeliveryId`, at most `limit`.
   */
  ofCampaign(accountId: string, campaign: string, afterDeliveryId: number, limit: number): Promise<FailureRecord[]>;
}

export interface ContactReport {
  accountId: string;
  kind: ContactReportKind;
  messageId: string;
  recipient: string;
  channel: Channel;
  campaign: string | null;
  at: number;
  source: string;
}

export interface ReportRepo {
  /** True when new (one per account, kind, message, recipient); the counters follow. */
  add(report: ContactReport): Promise<boolean>;
  list(accountId: string): Promise<ContactReport[]>;
  /** The account's complaints and unsubscribes since `since`, counted per UTC day and kind, days in order. */
  daily(accountId: string, since: number): Promise<Array<{ day: string; kind: ContactReportKind; count: number }>>;
}

export interface CounterRepo {
  /** The account's figures for a month (YYYY-MM) and channel: one indexed read. */
  month(accountId: string, month: string, channel: Channel): Promise<Figures>;
  /** A campaign's counts over its life. */
  campaign(accountId: string, campaign: string): Promise<CampaignCounts>;
  /** Accounts with anything counted in the month (what the evaluate job looks at). */
  activeAccounts(month: string): Promise<string[]>;
  /** month() recomputed from the rows (slow: for checks and repairs, never the hot path). */
  recount(accountId: string, month: string, channel: Channel): Promise<Figures>;
}

// ---------------------------------------------------------------------------------------
// Appeals, abuse reports, audit, notifications

export interface Appeal {
  id: number;
  accountId: string;
  channel: Channel;
  state: AppealState;
  form: Record<string, unknown>;
  filedAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  decisionReason: string | null;
}

export interface AppealRepo {
  /** StoreError `conflict` when the account has an open appeal (one at a time, a unique key). */
  file(accountId: string, channel: Channel, form: Record<string, unknown>, now: number): Promise<number>;
  get(id: number): Promise<Appeal | null>;
  openOf(accountId: string): Promise<Appeal | null>;
  list(accountId?: string): Promise<Appeal[]>;
  /** False when the appeal is not open. */
  decide(id: number, state: Exclude<AppealState, 'open'>, actor: string, reason: string, now: number): Promise<boolean>;
}

export interface AbuseReport {
  id: number;
  accountId: string;
  at: number;
  actor: string;
  detail: string;
}

export interface AbuseRepo {
  add(accountId: string, actor: string, detail: string, now: number): Promise<number>;
  list(accountId: string): Promise<AbuseReport[]>;
}

export interface AuditEntry {
  at: number;
  actor: string;
  accountId: string | null;
  action: string;
  subject: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditRecord extends AuditEntry {
  id: number;
}

export interface AuditRepo {
  add(entry: AuditEntry): Promise<void>;
  /** The time of the latest such entry, or null. */
  lastAt(accountId: string, action: string, subject: string): Promise<number | null>;
  list(accountId: string): Promise<AuditRecord[]>;
}

export interface NewNotification {
  accountId: string | null;
  kind: string;
  recipient: string;
  subject: string;
  body: string;
}

export interface Notification extends NewNotification {
  id: number;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  sentAt: number | null;
  lastError: string | null;
}

export interface NotificationRepo {
  enqueue(n: NewNotification, now: number): Promise<number>;
  due(now: number, limit?: number): Promise<Notification[]>;
  markSent(id: number, now: number): Promise<void>;
  markFailed(id: number, nextAttemptAt: number, error: string): Promise<void>;
  list(accountId?: string): Promise<Notification[]>;
}

// ---------------------------------------------------------------------------------------
// API keys

export interface ApiKeyRecord {
  id: string;
  /** null: an admin key. */
  accountId: string | null;
  prefix: string;
  name: string | null;
  createdAt: number;
  revokedAt: number | null;
}

export interface KeyRepo {
  /** Stores a key by its sha256; StoreError `conflict` for a hash or id already stored. */
  insert(key: { id: string; accountId: string | null; hash: string; prefix: string; name: string | null }, now: number): Promise<ApiKeyRecord>;
  /** Revoked keys included: the caller checks. */
  findByHash(hash: string): Promise<(ApiKeyRecord & { hash: string }) | null>;
  list(accountId: string | null): Promise<ApiKeyRecord[]>;
  revoke(accountId: string | null, keyId: string, now: number): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------
// Dashboard sessions (issue #16): an API key exchanged for a cookie

/**
 * One signed-in dashboard session. The cookie's value is never stored, only its sha256
 * (`idHash`), as API keys are: a copy of the database signs nobody in.
 */
export interface DashboardSession {
  /** The key it was opened with: an api_keys id, or `admin:<fingerprint>` for the config's admin key. */
  keyId: string;
  /** null: an admin session. */
  accountId: string | null;
  /** The token state-changing requests must echo in X-CSRF-Token. */
  csrf: string;
  createdAt: number;
  expiresAt: number;
}

export interface SessionRepo {
  /** StoreError `conflict` for an idHash already stored. */
  insert(idHash: string, session: DashboardSession): Promise<void>;
  /**
   * The session while it runs: null when unknown, expired (`expiresAt <= now`) or opened with
   * an account key that has since been revoked (by the API or `bounced keys revoke` on
   * another process: the session ends with its key).
   */
  find(idHash: string, now: number): Promise<DashboardSession | null>;
  /** Sign-out; false when there was no such session. */
  delete(idHash: string): Promise<boolean>;
  /** Drops the expired sessions; returns how many. */
  prune(now: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------
// Events outbox and webhooks

export interface StoredEvent {
  id: number;
  eventId: string;
  accountId: string | null;
  type: EventType | string;
  payload: Record<string, unknown>;
  createdAt: number;
}

export interface EventRepo {
  /** Appends an event (transactional outbox: call in the transaction of what it reports). */
  add(accountId: string | null, type: EventType, payload: Record<string, unknown>, now: number): Promise<{ id: number; eventId: string }>;
  list(afterId?: number, limit?: number): Promise<StoredEvent[]>;
}

export interface WebhookEndpoint {
  id: string;
  accountId: string;
  url: string;
  /** Event types sent; empty: every type of the account. */
  events: string[];
  createdAt: number;
  disabledAt: number | null;
}

export interface WebhookDelivery {
  id: number;
  endpointId: string;
  eventId: string;
  eventType: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number | null;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
  failedAt: number | null;
}

/** A delivery that did not go through (WebhookRepo.failures): where it was going and why not. */
export interface WebhookFailure extends WebhookDelivery {
  accountId: string;
  url: string;
}

export interface WebhookAttempt {
  at: number;
  status: number | null;
  error: string | null;
  durationMs: number;
}

/** A delivery due now, with what is needed to send it. */
export interface DueDelivery {
  id: number;
  endpointId: string;
  attempts: number;
  createdAt: number;
  url: string;
  secret: string;
  eventId: string;
  eventType: string;
  payload: string;
  eventCreatedAt: number;
}

export interface AttemptOutcome {
  deliveredAt: number | null;
  nextAttemptAt: number | null;
  failedAt: number | null;
}

export interface WebhookRepo {
  /** An endpoint that receives the events written from now on. */
  createEndpoint(e: { id: string; accountId: string; url: string; secret: string; events: string[] }, now: number): Promise<WebhookEndpoint>;
  listEndpoints(accountId: string): Promise<WebhookEndpoint[]>;
  /** The endpoint, only when it belongs to `accountId`. */
  getEndpoint(accountId: string, id: string): Promise<WebhookEndpoint | null>;
  /** Disables it (kept for its history); its waiting deliveries are given up. */
  disableEndpoint(accountId: string, id: string, now: number): Promise<boolean>;
  /**
   * Turns events not yet fanned out into deliveries (one per event and endpoint that takes
   * it, a unique key); returns how many. Safe to run on several nodes at once.
   */
  fanOut(now: number): Promise<number>;
  /** Deliveries due at `now`, leased to `node` until now + leaseMs: no other node gets them meanwhile. */
  claimDue(node: string, now: number, limit: number, leaseMs: number): Promise<DueDelivery[]>;
  /** Moves a waiting delivery to `at` without counting an attempt (and drops its lease). */
  postpone(id: number, at: number): Promise<void>;
  /** When the next delivery is due; null when none waits. */
  nextDueAt(): Promise<number | null>;
  /** Records one attempt and the delivery's new state (and drops its lease). */
  recordAttempt(id: number, attempt: WebhookAttempt, outcome: AttemptOutcome): Promise<void>;
  listDeliveries(endpointId: string, after: number, limit: number): Promise<WebhookDelivery[]>;
  getDelivery(endpointId: string, id: number): Promise<(WebhookDelivery & { attemptLog: WebhookAttempt[] }) | null>;
  /**
   * Deliveries tried and not delivered (retrying, or given up: failedAt set), newest first:
   * those with an id below `beforeId` (the previous page's last), at most `limit`; one
   * account's only when `accountId` is given. With the endpoint's account and URL.
   */
  failures(f: { accountId?: string; beforeId?: number; limit: number }): Promise<WebhookFailure[]>;
  /** Schedules a delivery that is not yet delivered for an attempt now (also after giving up). */
  retry(endpointId: string, id: number, now: number): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------
// Sending providers' events (issue #19: SES, SendGrid, Mailgun, Postmark)

/** One provider event about one recipient, as recorded (src/esp EspEvidence, its identity and place). */
export interface EspEventInput {
  /** ses | sendgrid | mailgun | postmark (src/esp/types.ts PROVIDERS). */
  provider: string;
  /** The provider's id of the event (per recipient). Unique with the provider. */
  eventId: string;
  endpointId: string;
  accountId: string;
  /** bounce | complaint | delivery | delay | unsubscribe | send (src/esp/types.ts ESP_EVENT_KINDS). */
  kind: string;
  recipient: string;
  messageId: string | null;
  at: number;
  receivedAt: number;
  /** The message row holding the request body. */
  messageRow: number;
}

export interface EspEventRecord extends EspEventInput {
  id: number;
}

export interface EspEventQuery {
  accountId?: string;
  provider?: string;
  kind?: string;
  /** Received at or after (ms). */
  since?: number;
  /** Received before (ms). */
  until?: number;
  /** Events with an id greater than this (the previous page's last id). */
  after?: number;
  limit?: number;
}

export interface EspEventRepo {
  /**
   * Records an event once per (provider, eventId): false when it is already recorded (a
   * provider's retry, a replay, another node): write nothing else for it.
   */
  add(e: EspEventInput): Promise<boolean>;
  /** Whether the event is recorded (a read: add() still decides under a race). */
  has(provider: string, eventId: string): Promise<boolean>;
  list(q: EspEventQuery): Promise<EspEventRecord[]>;
}

// ---------------------------------------------------------------------------------------
// Scheduler jobs, log tailing

export interface JobState {
  name: string;
  lastRunAt: number | null;
  nextRunAt: number;
  lastError: string | null;
  /** The node running it, while its lease runs. */
  leaseHolder: string | null;
  leaseUntil: number | null;
}

export interface JobRepo {
  get(name: string): Promise<JobState | null>;
  /**
   * Takes the job for `node` when it is due at `now` (never run, or next run reached) and no
   * other node holds an unexpired lease on it: true means "run it now, once across the cluster".
   */
  acquire(name: string, node: string, now: number, leaseMs: number): Promise<boolean>;
  /** Records the run and drops the lease; false when `node` no longer held it (it lapsed and was taken). */
  finish(name: string, node: string, run: { lastRunAt: number; nextRunAt: number; error: string | null }): Promise<boolean>;
  /** Writes a job's schedule whatever its lease (`bounced tick`, tests). */
  save(name: string, lastRunAt: number | null, nextRunAt: number, error: string | null): Promise<void>;
}

export interface TailCheckpoint {
  path: string;
  inode: number;
  offset: number;
  lines: number;
  unparsed: number;
  /** The first bytes (up to 256) of that file, to recognise it after rotation and compression. */
  head: Buffer | null;
}

export interface TailRepo {
  checkpoint(path: string): Promise<TailCheckpoint | null>;
  /** Call in the transaction of the evidence the lines produced. */
  setCheckpoint(cp: TailCheckpoint, now: number): Promise<void>;
  /** A Postfix queue id's envelope sender (qmgr's from=<...>). */
  rememberSender(qid: string, sender: string, at: number): Promise<void>;
  rememberMessageId(qid: string, messageId: string, at: number): Promise<void>;
  lookupQueue(qid: string): Promise<{ sender: string; messageId: string | null } | null>;
  /** Forgets queue ids seen before `before` (Postfix reuses short ids); returns how many. */
  pruneQueue(before: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------
// Connected inboxes (issue #17): one-to-one mail's bounces, found over IMAP (src/inbox/)

/** A connected inbox as registered. Its secret (the encrypted `v1.` blob) is read apart: `credentials()`. */
export interface InboxRecord {
  id: string;
  accountId: string;
  host: string;
  port: number;
  tls: InboxTls;
  user: string;
  /** What the stored secret is: a password, or an OAuth2 access token (SASL XOAUTH2). */
  auth: InboxAuth;
  sentFolder: string | null;
  moveTo: string | null;
  /** The gateway-notice window in hours; null: the configured default. */
  windowHours: number | null;
  enabled: boolean;
  createdAt: number;
  status: InboxSyncStatus;
  /** The node watching it while its lease runs (several nodes, one database); null: nobody. */
  lease: { node: NodeId; until: number } | null;
}

/** The vocabulary is src/inbox/types.ts's. */
export type InboxTls = TlsMode;
export type InboxAuth = InboxSecret['kind'];

/** What the daemon last saw of an inbox (written after each sync attempt). */
export interface InboxSyncStatus {
  /** `new` until the first attempt; then `ok` or `error`. */
  state: 'new' | 'ok' | 'error';
  errorCode: string | null;
  errorMessage: string | null;
  errorAt: number | null;
  /** Consecutive failed attempts since the last good sync. */
  failures: number;
  /** Not tried again before this (back-off), ms; null: at the next run. */
  nextAttemptAt: number | null;
  lastSyncAt: number | null;
  /** The watcher's counters as of the last attempt (src/inbox/types.ts InboxCounters), or null. */
  counters: Record<string, unknown> | null;
}

export interface NewInbox {
  id: string;
  accountId: string;
  host: string;
  port: number;
  tls: InboxTls;
  user: string;
  auth: InboxAuth;
  /** The secret encrypted (src/inbox/credentials.ts `v1.<iv>.<ct>.<tag>`): the store never sees it in clear. */
  credentials: string;
  sentFolder: string | null;
  moveTo: string | null;
  windowHours: number | null;
}

/** What may change on a registered inbox (the server, port and login make another inbox). */
export interface InboxPatch {
  /** The new secret, encrypted, with its kind. */
  secret?: { auth: InboxAuth; credentials: string };
  enabled?: boolean;
  sentFolder?: string | null;
  moveTo?: string | null;
  windowHours?: number | null;
}

export interface InboxSent {
  /** Message-ID without angle brackets, as the message had it (looked up case-insensitively). */
  messageId: string;
  recipients: string[];
  subject: string | null;
  sentAt: number;
}

/** A found bounce's row: unique per (inbox, dedupe key); the message row it was stored as. */
export interface InboxBounceRow {
  inboxId: string;
  dedupeKey: string;
  folder: string;
  uidValidity: number;
  uid: number;
  method: string;
  sentMessageId: string;
  recipient: string;
  messageRow: number;
  bounceId: number | null;
  receivedAt: number;
}

export interface InboxRepo {
  /** StoreError `conflict` for an id already used. */
  add(inbox: NewInbox, now: number): Promise<InboxRecord>;
  get(id: string): Promise<InboxRecord | null>;
  /** All inboxes, or an account's. */
  list(accountId?: string): Promise<InboxRecord[]>;
  /** The encrypted secret (never the clear one; never in InboxRecord). */
  credentials(id: string): Promise<string | null>;
  /**
   * Changes an account's inbox; false when it has no such inbox. A new secret (credentials
   * and auth together) also clears the back-off, so the next run tries it at once.
   */
  update(accountId: string, id: string, patch: InboxPatch): Promise<boolean>;
  /** Forgets an inbox and its state (checkpoints, sent index, found keys); the bounce records stay. */
  remove(accountId: string, id: string): Promise<boolean>;
  setStatus(id: string, status: InboxSyncStatus): Promise<void>;
  /** Where the watcher is in a folder (UIDVALIDITY, last UID handled). */
  checkpoint(inboxId: string, folder: string): Promise<{ uidValidity: number; lastUid: number } | null>;
  saveCheckpoint(inboxId: string, folder: string, cp: { uidValidity: number; lastUid: number }, now: number): Promise<void>;
  /** Adds to the sent index (one entry per Message-ID, case-insensitive; the first one stays). */
  addSent(inboxId: string, messages: readonly InboxSent[], source: 'imap' | 'api'): Promise<number>;
  sentByMessageId(inboxId: string, messageIds: readonly string[]): Promise<InboxSent[]>;
  /** Sent messages to any of these addresses within [since, until] ms. */
  sentToRecipients(inboxId: string, recipients: readonly string[], since: number, until: number): Promise<InboxSent[]>;
  /** One-to-one sends of an account's inboxes in [since, until) ms: recipients of the sent index (the channel's send count). */
  sendsOf(accountId: string, since: number, until: number): Promise<number>;
  hasBounce(inboxId: string, dedupeKey: string): Promise<boolean>;
  /** The message row already stored for this inbox message (folder, UIDVALIDITY, UID), or null. */
  messageOf(inboxId: string, folder: string, uidValidity: number, uid: number): Promise<number | null>;
  /** True when new; false (nothing written) when (inbox, dedupe key) is already recorded. */
  recordBounce(row: InboxBounceRow, now: number): Promise<boolean>;
  bounces(inboxId: string, limit?: number): Promise<InboxBounceRow[]>;
  /**
   * Takes or renews the inbox's watch lease for `node` until `now + leaseMs`: true when `node`
   * holds it now (it was free, had lapsed, or was its own already); false when another node's
   * lease runs, or there is no such inbox. One node watches or syncs an inbox at a time; a
   * node that dies holds it until it lapses, then another takes it over.
   */
  acquireLease(id: string, node: NodeId, now: number, leaseMs: number): Promise<boolean>;
  /** Gives the lease back (shutdown, the inbox disabled or no longer watched here); false when `node` did not hold it. */
  releaseLease(id: string, node: NodeId): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------
// The store

export interface Repositories {
  readonly messages: MessageRepo;
  readonly bounces: BounceRepo;
  readonly deliveries: DeliveryRepo;
  readonly sends: SendRepo;
  readonly suppressions: SuppressionRepo;
  readonly accounts: AccountRepo;
  readonly campaigns: CampaignRepo;
  readonly counters: CounterRepo;
  readonly reports: ReportRepo;
  readonly failures: FailureRepo;
  readonly appeals: AppealRepo;
  readonly abuse: AbuseRepo;
  readonly audit: AuditRepo;
  readonly notifications: NotificationRepo;
  readonly keys: KeyRepo;
  readonly sessions: SessionRepo;
  readonly events: EventRepo;
  readonly webhooks: WebhookRepo;
  readonly jobs: JobRepo;
  readonly tail: TailRepo;
  readonly inboxes: InboxRepo;
  readonly espEvents: EspEventRepo;
}

/** The repositories bound to one transaction (valid only while its function runs). */
export type Tx = Repositories;

export interface TransactionOptions {
  /**
   * false: the commit need not wait for the disk (derived state rebuilt if lost: settling,
   * the tail checkpoint, the webhook fan-out). Default true.
   */
  durable?: boolean;
}

export type StoreDialect = 'sqlite' | 'postgres';

export interface Store extends Repositories {
  readonly dialect: StoreDialect;
  /** Migrations applied when this store was opened. */
  readonly appliedMigrations: readonly number[];
  /** Runs `fn` in one transaction with repositories bound to it; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /** True when the database answers and takes writes. */
  ping(): Promise<boolean>;
  /**
   * Starts reading what the pre-send check answers from memory (SQLite's store.presendMemory;
   * otherwise the first check starts it), in slices, the statement answering meanwhile. The
   * daemon calls it once its API listens. Absent: the store has no such memory.
   */
  startPresendMemory?(): void;
  /**
   * Readiness: a real write of one row (table write_probe), without waiting for the disk and
   * for a lock no longer than `timeoutMs`: a lock held by another process, read-only or
   * immutable files and a full disk all leave a read working, only a write shows them.
   * Throws the StoreError (busy, readonly, full, unavailable, ...).
   */
  probeWrite(now: number, timeoutMs: number): Promise<void>;
  /** The dialect's schema version (its highest migration applied). */
  schemaVersion(): Promise<number>;
  /** Waits for the transaction in progress, then closes. */
  close(): Promise<void>;
}

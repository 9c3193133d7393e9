// The store's interface: what the rest of bounced may ask of its database. The SQLite
// implementation is the embedded default; another backend implements the same methods.
// Each method is one unit of work (one transaction) so callers never hold a transaction
// open across an await.

import type { BounceType, Category, ReportKind } from '../report.js';
import type { LifecycleRepo } from './sqlite-lifecycle.js';

/** The lifecycle repository's methods (the SQLite class is the reference implementation). */
export type LifecycleStore = Pick<LifecycleRepo, keyof LifecycleRepo>;

export type MessageState = 'received' | 'processed' | 'unparseable' | 'duplicate';
export type MessageSource = 'smtp' | 'ingest';

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

/**
 * A message as accepted at the edge, before anything is known of its content. A big
 * message's bytes may come as its parts in order (never joined into one buffer).
 */
export interface IncomingMessage extends Envelope {
  raw: Buffer | readonly Buffer[];
}

/**
 * The first bytes of a message, kept in one piece: everything a report says (the
 * notification, the delivery-status or feedback part, the returned original's headers) comes
 * first, and what makes a bounce big is the original's attachments at its end. Processing
 * reads only this head, so a 25 MB bounce costs it no more than a 4 MB one.
 */
export const RAW_HEAD_BYTES = 1024 * 1024;

export interface StoredMessage extends Envelope {
  id: number;
  /** The whole message; read for processing (pendingMessages), only its head. */
  raw: Buffer;
  /** Bytes of the whole message. */
  size: number;
  sha256: string;
  state: MessageState;
  processedAt: number | null;
  /**
   * Processing attempts begun: counted (committed) before each parse starts, so a message
   * whose parse crashes its worker or takes the process down is given up after
   * `pipeline.maxAttempts` instead of being retried for ever.
   */
  attempts: number;
  /** Why it is unparseable; while still `received`, what stopped its last attempt. */
  error: string | null;
  /** Something was cut from what it produced (records past the cap, a Message-ID too long). */
  warning: string | null;
  kind: ReportKind | null;
  detector: string | null;
  reportMessageId: string | null;
  duplicateOf: number | null;
}

/** A stored message's metadata, without the raw bytes (for listings). */
export type MessageSummary = Omit<StoredMessage, 'raw'>;

export interface BounceRecord {
  id?: number;
  messageRow: number;
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
  warning?: string | null;
}

/** What the pipeline decided for one stored message; written in one transaction. */
export type MessageOutcome =
  | {
      state: 'processed';
      kind: ReportKind;
      detector: string;
      reportMessageId: string | null;
      /**
       * What makes a later message a duplicate of this one besides equal bytes: the report
       * Message-ID within its verified token (null for unverified mail, which anyone can send).
       */
      duplicateKey?: string | null;
      bounces: Omit<BounceRecord, 'messageRow' | 'id'>[];
      /** Delivery evidence from this report; `bounceIndex` links it to its bounce record. */
      evidence: Array<Evidence & { bounceIndex: number | null }>;
      /** Signed List-Unsubscribe mailto: tokens this message was sent to (account policy). */
      unsubscribes?: Array<{ account: string; message: string; recipient: string }>;
      /** What was cut from the output (bounds.ts), stored on the message. */
      warning?: string | null;
    }
  | { state: 'unparseable'; error: string }
  /** A report already seen (same bytes, or same report Message-ID and verified token): no records of its own. */
  | { state: 'duplicate'; duplicateOf: number; kind: ReportKind; reportMessageId: string | null };

export interface BounceFilter {
  accountId?: string;
  recipient?: string;
  type?: BounceType;
  since?: number;
  limit?: number;
}

export interface MessageFilter {
  state?: MessageState;
  limit?: number;
}

export interface Store {
  /** Deliveries, evidence, sends, queue ids, checkpoints, jobs. */
  readonly lifecycle: LifecycleStore;
  /** Runs `fn` in one transaction (synchronous: never await inside). */
  atomically<T>(fn: () => T): T;
  /** Like atomically, for derived state that is rebuilt if a power cut loses it: no fsync wait. */
  withoutSync<T>(fn: () => T): T;
  /** Called for every bounce record written, inside its transaction. */
  onRecord(listener: (record: BounceRecord, now: number) => void): void;
  /** Called for every message settled as processed, inside its transaction, after its records. */
  onSettle(listener: (messageRow: number, outcome: Extract<MessageOutcome, { state: 'processed' }>, now: number) => void): void;
  /** Stores a batch of messages durably (one commit) and returns their ids, in order. */
  insertMessages(batch: IncomingMessage[]): number[];
  /** Messages still in state `received`, oldest first, at most `limit` and about `maxBytes` of raw bytes. */
  pendingMessages(limit: number, maxBytes?: number): StoredMessage[];
  /** One message if it is still `received`, with the head of its bytes (as pendingMessages). */
  pendingMessage(id: number): StoredMessage | null;
  /**
   * Counts a processing attempt of each message, before its parse starts (a commit that
   * needs no fsync: it must survive the process, not a power cut).
   */
  beginAttempts(ids: number[]): void;
  /** Takes back attempts that never ran (a graceful stop before their parse). */
  refundAttempts(ids: number[]): void;
  /** Notes why an attempt of a still `received` message failed (its parse worker crashed). */
  noteFailedAttempt(id: number, error: string): void;
  /** Earlier settled message with the same bytes or the same duplicate key, if any. */
  findDuplicate(id: number, sha256: string, duplicateKey: string | null): number | null;
  /** Writes outcomes of several messages in one transaction; a message is settled once. */
  settleMessages(outcomes: Array<{ id: number; outcome: MessageOutcome }>, now: number): void;
  getMessage(id: number): StoredMessage | null;
  listMessages(filter: MessageFilter): MessageSummary[];
  listBounces(filter: BounceFilter): BounceRecord[];
  /** Counts by state: the backlog and its fate. */
  countMessages(): Record<MessageState, number>;
  /** True when the database answers and is writable. */
  ping(): boolean;
  close(): void;
}

export type DeliveryState = 'pending' | 'delivered' | 'soft' | 'hard';

/** One piece of evidence about one delivery (account, message, recipient). */
export interface Evidence {
  accountId: string;
  messageId: string;
  recipient: string;
  at: number;
  source: 'dsn' | 'log' | 'window';
  state: DeliveryState;
  status: string | null;
  reason: string | null;
  category: string | null;
  diagnostic: string | null;
  qid: string | null;
  /** Evidence with a key already recorded changes nothing (replays, duplicates). */
  dedupKey: string;
  /** A log line of a delivery attempt: the first one per delivery counts as a send. */
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
  source: Evidence['source'];
  state: DeliveryState;
  status: string | null;
  reason: string | null;
  diagnostic: string | null;
  bounceId: number | null;
  qid: string | null;
}

export interface DeliveryFilter {
  accountId?: string;
  state?: DeliveryState;
  limit?: number;
}

export interface TailCheckpoint {
  path: string;
  inode: number;
  offset: number;
  lines: number;
  unparsed: number;
  /** The first bytes (up to 256) of that file, to recognise it after rotation and compression. */
  head?: Buffer | null;
}

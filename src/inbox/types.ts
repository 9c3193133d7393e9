// Connected inboxes (issue #17): the vocabulary, said once. One-to-one mail (sales, support) is
// sent from people's own mailboxes, so its bounces land there; bounced reads those mailboxes
// over IMAP, learns what was sent from the Sent folder, and finds the bounces in the inbox.
import type { Verdict } from '../report.js';

/**
 * How the connection is protected. `implicit`: TLS from the first byte (IMAPS, RFC 8314, port
 * 993). `starttls`: plain connect, then STARTTLS is required (RFC 3501 §6.2.1; a server that
 * does not offer it is an error, never a silent fallback). `none`: cleartext, loopback hosts
 * only (a local bridge or a test server).
 */
export const TLS_MODES = ['implicit', 'starttls', 'none'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/**
 * How a bounce was tied to a sent message, most reliable first:
 *  - `dsn_message_id`: a DSN/NDR whose returned headers carry the Message-ID of a sent message;
 *  - `reply_reference`: a non-delivery report whose In-Reply-To/References name a sent message
 *    (RFC 5322 §3.6.4) but which returned no headers of it;
 *  - `gateway_notice`: a separate notice with no reference at all (security gateways send their
 *    refusals as new messages) naming a recipient of a message sent within the time window,
 *    its quoted subject choosing among several.
 */
export const DETECTION_METHODS = ['dsn_message_id', 'reply_reference', 'gateway_notice'] as const;
export type DetectionMethod = (typeof DETECTION_METHODS)[number];

/** Why an inbox message was not taken for a bounce (counted, never acted on). */
export const SKIP_REASONS = [
  'not_a_bounce', // ordinary mail, a delivery report of success, a complaint
  'auto_reply', // out-of-office and other auto-replies: never a bounce
  'delay', // a delayed-delivery warning: the MTA still retries
  'unmatched', // a bounce about a message not in the sent index (another message, another sender)
  'outside_window', // a gateway notice for a recipient not written to within the window
  'subject_mismatch', // a gateway notice quoting a subject none of the candidate messages had
  'unparseable', // not a mail message at all
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** What a watcher is doing. */
export const WATCHER_STATES = ['starting', 'syncing', 'idle', 'polling', 'error', 'stopped'] as const;
export type WatcherState = (typeof WATCHER_STATES)[number];

/**
 * Why an inbox is in the `error` state. Credential problems (`auth_failed`, `token_rejected`,
 * `credentials_unreadable`) are retried slowly: the user has to act. The others back off
 * exponentially.
 */
export const INBOX_ERROR_CODES = [
  'auth_failed', // the server refused the password
  'token_rejected', // the server refused the OAuth2 access token (expired or revoked)
  'credentials_unreadable', // the stored credentials cannot be decrypted with the configured key
  'unreachable', // no connection, connection refused or lost, DNS, time-out
  'tls_failed', // TLS handshake or certificate verification failed, or STARTTLS not offered
  'throttled', // the server asked us to slow down
  'mailbox_error', // INBOX or the Sent/move folder cannot be opened or created
  'state_failed', // the injected InboxState failed (the store)
  'sink_failed', // the injected sink failed to take a found bounce
  'protocol_error', // anything else the server or the client library said
] as const;
export type InboxErrorCode = (typeof INBOX_ERROR_CODES)[number];

/** A connected inbox, as registered (the secret is kept apart, encrypted). */
export interface InboxAccount {
  /** Stable id (the store's); names the inbox in logs, state and found bounces. */
  id: string;
  host: string;
  port: number;
  tls: TlsMode;
  user: string;
  /** Extra trusted CA certificates (PEM) for a server with a private CA. */
  ca?: string | Buffer | null;
  /** The Sent folder's path when the server marks none with `\Sent` and the name is unusual. */
  sentFolder?: string | null;
  /** Move found bounces to this folder (created when missing). Absent: they stay where they are. */
  moveTo?: string | null;
}

/** The decrypted secret: a password, or an OAuth2 access token for SASL XOAUTH2. */
export type InboxSecret = { kind: 'password'; password: string } | { kind: 'xoauth2'; accessToken: string };

/** One message of the Sent folder (or reported by the sending application). */
export interface SentMessage {
  /** Message-ID without angle brackets. */
  messageId: string;
  /** To, Cc and Bcc, lower-cased, deduplicated. */
  recipients: string[];
  subject: string | null;
  /** When it was sent (its Date header; the folder's internal date when that is missing or bad), ms. */
  sentAt: number;
}

/** Where a watcher is in one folder. UIDs only mean something within one UIDVALIDITY (RFC 3501 §2.3.1.1). */
export interface FolderCheckpoint {
  uidValidity: number;
  /** Every message with a UID up to this one has been handled. */
  lastUid: number;
}

/** A bounce found in an inbox, handed to the sink. */
export interface FoundBounce {
  inboxId: string;
  folder: string;
  uid: number;
  uidValidity: number;
  method: DetectionMethod;
  /** The sent message it is about. */
  sentMessageId: string;
  /** The recipient that failed (as the sent message named it when it could be matched). */
  recipient: string;
  /** The classifier's verdict for that recipient. */
  verdict: Verdict;
  /** Message-ID of the bounce message itself, when it has one. */
  bounceMessageId: string | null;
  /** Stable over re-reads (restart, UIDVALIDITY change): the bounce's Message-ID or content hash, and the recipient. */
  dedupeKey: string;
  /** The bounce's internal date (arrival in the mailbox), ms. */
  receivedAt: number;
  /** gateway_notice only: the notice quoted the sent message's subject. */
  subjectMatched: boolean | null;
}

/**
 * What a watcher keeps between runs, injected. Phase B backs it by the store (tables for
 * checkpoints, the sent index and the found-bounce keys); MemoryInboxState serves the tests.
 * Every method may reject: the watcher then reports `state_failed` and retries.
 */
export interface InboxState {
  checkpoint(inboxId: string, folder: string): Promise<FolderCheckpoint | null>;
  saveCheckpoint(inboxId: string, folder: string, cp: FolderCheckpoint): Promise<void>;
  /** Adds to the sent index; the same Message-ID twice keeps one entry. */
  addSent(inboxId: string, messages: SentMessage[]): Promise<void>;
  /** Sent messages with these Message-IDs (compared case-insensitively). */
  sentByMessageId(inboxId: string, messageIds: string[]): Promise<SentMessage[]>;
  /** Sent messages to any of these addresses, sent within [since, until] (ms). */
  sentToRecipients(inboxId: string, recipients: string[], since: number, until: number): Promise<SentMessage[]>;
  hasBounce(inboxId: string, dedupeKey: string): Promise<boolean>;
  rememberBounce(inboxId: string, dedupeKey: string): Promise<void>;
}

/**
 * Takes found bounces. Called before the watcher remembers the bounce's key, so a crash in
 * between hands the same bounce over again after a restart: phase B records the bounce and
 * its key in one store transaction (or makes the record idempotent on `dedupeKey`).
 * `raw` is the bounce as fetched (at most `maxMessageBytes`), for the pipeline to store.
 */
export type BounceSink = (bounce: FoundBounce, raw: Buffer) => Promise<void>;

/** Per-inbox counters (phase B exports them as metrics). */
export interface InboxCounters {
  /** Completed syncs (Sent and INBOX read up to their end). */
  syncs: number;
  /** Inbox messages read (parsed). */
  scanned: number;
  /** Sent messages indexed. */
  sentIndexed: number;
  bounces: Record<DetectionMethod, number>;
  skipped: Record<SkipReason, number>;
  /** Bounces found again (restart, UIDVALIDITY change) and not handed over twice. */
  duplicates: number;
  moved: number;
  errors: number;
}

export interface InboxError {
  code: InboxErrorCode;
  /** The server's or the library's words; never a credential. */
  message: string;
  at: number;
}

export interface InboxStatus {
  inboxId: string;
  state: WatcherState;
  /** `idle` when the server offers IDLE (RFC 2177), else `poll`; null before the first connect. */
  mode: 'idle' | 'poll' | null;
  error: InboxError | null;
  /** Consecutive failures since the last good sync. */
  failures: number;
  nextRetryAt: number | null;
  lastSyncAt: number | null;
  /** The Sent folder in use, null when none was found (only the API-reported sends then). */
  sentFolder: string | null;
  /** INBOX UIDs not read yet as of the last sync (a bounded sync leaves the rest for the next): the lag. */
  pendingUids: number;
  counters: InboxCounters;
}

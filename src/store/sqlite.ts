import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BounceType, Category, ReportKind } from '../report.js';
import { sqliteMigrations as migrations } from './sqlite/migrations.js';
import { LifecycleRepo } from './sqlite-lifecycle.js';
import { RAW_HEAD_BYTES } from './types.js';
import type {
  BounceFilter,
  BounceRecord,
  IncomingMessage,
  MessageFilter,
  MessageOutcome,
  MessageState,
  MessageSummary,
  Store,
  StoredMessage,
} from './types.js';
import { canonicalAddress } from '../address.js';

export interface SqliteOptions {
  /** FULL fsyncs the WAL at every commit: an acknowledged message survives power loss. */
  synchronous?: 'FULL' | 'NORMAL';
  busyTimeoutMs?: number;
  /**
   * A write lock shared by the connections of one process (WriteTurn.create()), taken before
   * SQLite's: see writeTransaction.
   */
  writeTurn?: WriteTurn;
}

export const DB_FILE = 'bounced.db';

export type RecordListener = (record: BounceRecord, now: number) => void;
export type SettleListener = (messageRow: number, outcome: Extract<MessageOutcome, { state: 'processed' }>, now: number) => void;

/** Opens (creating if needed) <dataDir>/bounced.db and brings its schema up to date. */
export function openSqliteStore(dataDir: string, opts: SqliteOptions = {}): SqliteStore {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, DB_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  if (opts.writeTurn) turns.set(db, { turn: opts.writeTurn, timeoutMs: opts.busyTimeoutMs ?? 5000 });
  const applied = migrate(db);
  return new SqliteStore(db, applied);
}

/**
 * Runs `fn` in one write transaction, begun IMMEDIATE: the daemon writes from two connections
 * (the SMTP thread's and the pipeline worker's), and a transaction that reads first and then
 * writes would fail with SQLITE_BUSY_SNAPSHOT if the other wrote in between; IMMEDIATE takes
 * the write lock at BEGIN, where busy_timeout waits for it. Nested calls become savepoints.
 */
export function writeTransaction<T>(db: Database.Database, fn: () => T, turnTimeoutMs?: number): T {
  const t = turns.get(db);
  if (!t || db.inTransaction) return db.transaction(fn).immediate();
  // `turnTimeoutMs`: a caller with a shorter busy timeout of its own (the readiness probe)
  // waits no longer for the turn than for SQLite's lock.
  const held = t.turn.take(turnTimeoutMs ?? t.timeoutMs);
  try {
    return db.transaction(fn).immediate();
  } finally {
    if (held) t.turn.give();
  }
}

/**
 * The daemon writes through three connections of one process: the intake thread's, the
 * processing thread's and the SMTP/API thread's. When one finds SQLite's write lock taken,
 * SQLite's busy handler sleeps 1, 2, 5, 10, 15, 20, 25 ms ... between tries, far longer than a
 * commit holds the lock (one fsync, 1-3 ms): under a stream of intake commits the processing
 * side fell seconds behind, and each wait delayed a 250 by whole sleeps. So these connections
 * first take their turn here, a lock in shared memory that the holder hands on the moment it
 * commits (Atomics.notify wakes the next at once); SQLite's own lock and busy handler then only
 * stand between this process and others (`ingest`, the CLI). A turn not given within the busy
 * timeout (a thread that died holding it) is taken anyway.
 */
export class WriteTurn {
  private constructor(private readonly cell: Int32Array) {}

  /** A new turn, to pass (its `shared` buffer) to every thread that writes. */
  static create(): WriteTurn {
    return new WriteTurn(new Int32Array(new SharedArrayBuffer(4)));
  }

  /** The same turn in another thread, from the buffer it was sent. */
  static from(shared: SharedArrayBuffer): WriteTurn {
    return new WriteTurn(new Int32Array(shared));
  }

  get shared(): SharedArrayBuffer {
    return this.cell.buffer as SharedArrayBuffer;
  }

  /** Waits for the turn (blocking this thread); false when it was not had within `timeoutMs`. */
  take(timeoutMs: number): boolean {
    const deadline = performance.now() + timeoutMs;
    while (Atomics.compareExchange(this.cell, 0, 0, 1) !== 0) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.cell, 0, 1, left);
    }
    return true;
  }

  give(): void {
    Atomics.store(this.cell, 0, 0);
    Atomics.notify(this.cell, 0, 1);
  }
}

const turns = new WeakMap<Database.Database, { turn: WriteTurn; timeoutMs: number }>();

/**
 * The earliest settled message with the same bytes, or the same duplicate key (the report
 * Message-ID within one verified token: see duplicateKey in src/pipeline/decide.ts).
 */
export const DUPLICATE_SQL = {
  bySha: `SELECT id FROM messages WHERE sha256 = ? AND id <> ? AND state IN ('processed', 'duplicate') ORDER BY id LIMIT 1`,
  byKey: `SELECT id FROM messages WHERE duplicate_key = ? AND id <> ? AND state IN ('processed', 'duplicate') ORDER BY id LIMIT 1`,
};

/**
 * A write transaction whose commit does not wait for an fsync (synchronous=NORMAL for its
 * length); see SqliteStore.withoutSync for when that is safe.
 */
export function withoutSync<T>(db: Database.Database, fn: () => T, turnTimeoutMs?: number): T {
  const level = db.pragma('synchronous', { simple: true }) as number;
  if (level < SYNCHRONOUS_FULL) return writeTransaction(db, fn, turnTimeoutMs);
  db.pragma('synchronous = NORMAL');
  try {
    return writeTransaction(db, fn, turnTimeoutMs);
  } finally {
    db.pragma(`synchronous = ${level}`);
  }
}
const SYNCHRONOUS_FULL = 2;

/** Applies the migrations newer than the database's user_version; returns the versions applied. */
export function migrate(db: Database.Database): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  // Migrations that respell stored addresses call the same code as everything else.
  db.function('canonical_address', { deterministic: true }, (a: unknown) => (typeof a === 'string' ? canonicalAddress(a) : a));
  const applied: number[] = [];
  // In version order whatever the order of the array (migrations are written concurrently).
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    writeTransaction(db, () => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    });
    applied.push(m.version);
  }
  return applied;
}

interface MessageRow {
  id: number;
  received_at: number;
  source: string;
  mail_from: string;
  rcpt_to: string;
  remote_ip: string | null;
  helo: string | null;
  size: number;
  sha256: string;
  raw?: Buffer;
  state: string;
  processed_at: number | null;
  attempts: number;
  error: string | null;
  warning: string | null;
  kind: string | null;
  detector: string | null;
  report_message_id: string | null;
  duplicate_of: number | null;
}

export interface BounceRow {
  id: number;
  message_row: number;
  created_at: number;
  account_id: string | null;
  message_id: string | null;
  recipient: string | null;
  reported_recipient: string | null;
  kind: string;
  action: string | null;
  status: string | null;
  reason: string;
  hardbounce: number;
  category: string;
  type: string;
  rule: string;
  detector: string;
  reply_code: number | null;
  diagnostic: string | null;
  remote_mta: string | null;
  reporting_mta: string | null;
  original_message_id: string | null;
  feedback_type: string | null;
  verified: number;
  warning: string | null;
}

const SUMMARY_COLUMNS =
  'id, received_at, source, mail_from, rcpt_to, remote_ip, helo, size, sha256, state, processed_at, attempts, error, warning, kind, detector, report_message_id, duplicate_of';

function toSummary(r: MessageRow): MessageSummary {
  return {
    id: r.id,
    receivedAt: r.received_at,
    source: r.source as StoredMessage['source'],
    mailFrom: r.mail_from,
    rcptTo: JSON.parse(r.rcpt_to) as string[],
    remoteIp: r.remote_ip,
    helo: r.helo,
    size: r.size,
    sha256: r.sha256,
    state: r.state as MessageState,
    processedAt: r.processed_at,
    attempts: r.attempts,
    error: r.error,
    warning: r.warning ?? null,
    kind: r.kind as ReportKind | null,
    detector: r.detector,
    reportMessageId: r.report_message_id,
    duplicateOf: r.duplicate_of,
  };
}

/** A bounces row as the store hands it out (shared by every repository reading that table). */
export function toBounce(r: BounceRow): BounceRecord {
  return {
    id: r.id,
    messageRow: r.message_row,
    createdAt: r.created_at,
    accountId: r.account_id,
    messageId: r.message_id,
    recipient: r.recipient,
    reportedRecipient: r.reported_recipient,
    kind: r.kind as ReportKind,
    action: r.action,
    status: r.status,
    reason: r.reason,
    hardbounce: r.hardbounce === 1,
    category: r.category as Category,
    type: r.type as BounceType,
    rule: r.rule,
    detector: r.detector,
    replyCode: r.reply_code,
    diagnostic: r.diagnostic,
    remoteMta: r.remote_mta,
    reportingMta: r.reporting_mta,
    originalMessageId: r.original_message_id,
    feedbackType: r.feedback_type,
    verified: r.verified === 1,
    warning: r.warning ?? null,
  };
}

export class SqliteStore implements Store {
  private readonly stmt;
  readonly lifecycle: LifecycleRepo;
  private readonly recordListeners: RecordListener[] = [];
  private readonly settleListeners: SettleListener[] = [];

  constructor(
    readonly db: Database.Database,
    /** Migrations applied when this store was opened. */
    readonly appliedMigrations: number[] = [],
  ) {
    this.lifecycle = new LifecycleRepo(db);
    // Prepared once; better-sqlite3 statements are reusable and cheap to run.
    this.stmt = {
      insertMessage: db.prepare(
        `INSERT INTO messages (received_at, source, mail_from, rcpt_to, remote_ip, helo, size, sha256)
         VALUES (@receivedAt, @source, @mailFrom, @rcptTo, @remoteIp, @helo, @size, @sha256)`,
      ),
      insertRaw: db.prepare(`INSERT INTO message_raw (message_id, raw) VALUES (?, ?)`),
      insertRawTail: db.prepare(`INSERT INTO message_raw_tail (message_id, seq, bytes) VALUES (?, ?, ?)`),
      rawTail: db.prepare(`SELECT bytes FROM message_raw_tail WHERE message_id = ? ORDER BY seq`).pluck(),
      pending: db.prepare(
        `SELECT m.*, r.raw FROM messages m JOIN message_raw r ON r.message_id = m.id
          WHERE m.state = 'received' ORDER BY m.id LIMIT ?`,
      ),
      pendingOne: db.prepare(
        `SELECT m.*, r.raw FROM messages m JOIN message_raw r ON r.message_id = m.id
          WHERE m.id = ? AND m.state = 'received'`,
      ),
      beginAttempt: db.prepare(`UPDATE messages SET attempts = attempts + 1 WHERE id = ? AND state = 'received'`),
      refundAttempt: db.prepare(`UPDATE messages SET attempts = attempts - 1 WHERE id = ? AND state = 'received' AND attempts > 0`),
      noteFailedAttempt: db.prepare(`UPDATE messages SET error = ? WHERE id = ? AND state = 'received'`),
      // One statement per key, each walking its index in id order to the first match: with
      // `sha256 = ? OR duplicate_key = ?` SQLite gathers every match of both and sorts
      // them, which made a report received thousands of times quadratic.
      duplicateBySha: db.prepare(DUPLICATE_SQL.bySha).pluck(),
      duplicateByKey: db.prepare(DUPLICATE_SQL.byKey).pluck(),
      settle: db.prepare(
        `UPDATE messages SET state = @state, processed_at = @now, error = @error, kind = @kind,
                detector = @detector, report_message_id = @rmid, duplicate_of = @duplicateOf, duplicate_key = @duplicateKey,
                warning = @warning
          WHERE id = @id AND state = 'received'`,
      ),
      insertBounce: db.prepare(
        `INSERT INTO bounces (message_row, created_at, account_id, message_id, recipient, kind, action, status,
                reason, hardbounce, category, type, rule, detector, reply_code, diagnostic, remote_mta,
                reporting_mta, original_message_id, feedback_type, verified, reported_recipient, warning)
         VALUES (@messageRow, @createdAt, @accountId, @messageId, @recipient, @kind, @action, @status,
                @reason, @hardbounce, @category, @type, @rule, @detector, @replyCode, @diagnostic, @remoteMta,
                @reportingMta, @originalMessageId, @feedbackType, @verified, @reportedRecipient, @warning)`,
      ),
      getMessage: db.prepare(`SELECT m.*, r.raw FROM messages m JOIN message_raw r ON r.message_id = m.id WHERE m.id = ?`),
      counts: db.prepare(`SELECT state, count(*) AS n FROM messages GROUP BY state`),
    };
  }

  insertMessages(batch: IncomingMessage[]): number[] {
    return writeTransaction(this.db, () =>
      batch.map((m) => {
        const parts = Buffer.isBuffer(m.raw) ? [m.raw] : m.raw;
        const hash = createHash('sha256');
        let size = 0;
        for (const p of parts) {
          hash.update(p);
          size += p.length;
        }
        const id = Number(
          this.stmt.insertMessage.run({
            receivedAt: m.receivedAt,
            source: m.source,
            mailFrom: m.mailFrom.toLowerCase(),
            rcptTo: JSON.stringify(m.rcptTo.map((r) => r.toLowerCase())),
            remoteIp: m.remoteIp,
            helo: m.helo,
            size,
            sha256: hash.digest('hex'),
          }).lastInsertRowid,
        );
        const { head, tail } = splitRaw(parts, RAW_HEAD_BYTES);
        this.stmt.insertRaw.run(id, head);
        tail.forEach((bytes, seq) => this.stmt.insertRawTail.run(id, seq, bytes));
        return id;
      }),
    );
  }

  /** Messages awaiting processing, oldest first, each with only the head of its bytes. */
  pendingMessages(limit: number, maxBytes = 32 * 1024 * 1024): StoredMessage[] {
    // Rows are read one at a time, so a backlog of big messages never loads more than about
    // maxBytes of raw bytes at once (always at least one message).
    const out: StoredMessage[] = [];
    let bytes = 0;
    for (const r of this.stmt.pending.iterate(limit) as IterableIterator<MessageRow>) {
      out.push({ ...toSummary(r), raw: r.raw! });
      bytes += r.raw!.length;
      if (bytes >= maxBytes) break;
    }
    return out;
  }

  pendingMessage(id: number): StoredMessage | null {
    const r = this.stmt.pendingOne.get(id) as MessageRow | undefined;
    return r ? { ...toSummary(r), raw: r.raw! } : null;
  }

  beginAttempts(ids: number[]): void {
    if (ids.length) this.withoutSync(() => ids.forEach((id) => this.stmt.beginAttempt.run(id)));
  }

  refundAttempts(ids: number[]): void {
    if (ids.length) this.withoutSync(() => ids.forEach((id) => this.stmt.refundAttempt.run(id)));
  }

  noteFailedAttempt(id: number, error: string): void {
    this.withoutSync(() => this.stmt.noteFailedAttempt.run(error, id));
  }

  findDuplicate(id: number, sha256: string, duplicateKey: string | null): number | null {
    const bySha = this.stmt.duplicateBySha.get(sha256, id) as number | undefined;
    const byKey = duplicateKey === null ? undefined : (this.stmt.duplicateByKey.get(duplicateKey, id) as number | undefined);
    if (bySha === undefined) return byKey ?? null;
    return byKey === undefined ? bySha : Math.min(bySha, byKey);
  }

  settleMessages(outcomes: Array<{ id: number; outcome: MessageOutcome }>, now: number): void {
    this.withoutSync(() => this.settleNow(outcomes, now));
  }

  /**
   * Runs a transaction whose commit need not wait for the disk: derived state that is
   * rebuilt if lost. A power cut may undo it, leaving the message `received` (processed
   * again, idempotently) or the tail checkpoint older (lines re-read, deduplicated); the
   * next FULL commit (the next message received) syncs it along. Halves the fsyncs per
   * message on the hot path.
   */
  withoutSync<T>(fn: () => T): T {
    return withoutSync(this.db, fn);
  }

  private settleNow(outcomes: Array<{ id: number; outcome: MessageOutcome }>, now: number): void {
    writeTransaction(this.db, () => {
      for (const { id, outcome } of outcomes) {
        const changed = this.stmt.settle.run({
          id,
          now,
          state: outcome.state,
          error: outcome.state === 'unparseable' ? outcome.error : null,
          kind: outcome.state === 'unparseable' ? null : outcome.kind,
          detector: outcome.state === 'processed' ? outcome.detector : null,
          rmid: outcome.state === 'unparseable' ? null : outcome.reportMessageId,
          duplicateOf: outcome.state === 'duplicate' ? outcome.duplicateOf : null,
          duplicateKey: outcome.state === 'processed' ? (outcome.duplicateKey ?? null) : null,
          warning: outcome.state === 'processed' ? (outcome.warning ?? null) : null,
        }).changes;
        // Already settled (another worker, or a replay after a crash): write nothing twice.
        if (changed === 0 || outcome.state !== 'processed') continue;
        const bounceIds = outcome.bounces.map((b) => {
          const bounceId = Number(this.stmt.insertBounce.run({ ...b, messageRow: id, hardbounce: b.hardbounce ? 1 : 0, verified: b.verified ? 1 : 0, warning: b.warning ?? null }).lastInsertRowid);
          for (const l of this.recordListeners) l({ ...b, id: bounceId, messageRow: id }, now);
          return bounceId;
        });
        for (const ev of outcome.evidence) {
          this.lifecycle.applyEvidence(ev, ev.bounceIndex === null ? null : (bounceIds[ev.bounceIndex] ?? null), now);
        }
        for (const l of this.settleListeners) l(id, outcome, now);
      }
    });
  }

  /** Called for every bounce record written, inside its transaction (complaints, unsubscribes). */
  onRecord(listener: RecordListener): void {
    this.recordListeners.push(listener);
  }

  /** Called for every message settled as processed, inside its transaction (unsubscribe mail). */
  onSettle(listener: SettleListener): void {
    this.settleListeners.push(listener);
  }

  /** Runs `fn` in one transaction (synchronous: never await inside). */
  atomically<T>(fn: () => T): T {
    return writeTransaction(this.db, fn);
  }


  getMessage(id: number): StoredMessage | null {
    const r = this.stmt.getMessage.get(id) as MessageRow | undefined;
    if (!r) return null;
    const tail = r.size > r.raw!.length ? (this.stmt.rawTail.all(id) as Buffer[]) : [];
    return { ...toSummary(r), raw: tail.length ? Buffer.concat([r.raw!, ...tail], r.size) : r.raw! };
  }

  listMessages(filter: MessageFilter): MessageSummary[] {
    const where = filter.state ? 'WHERE state = @state' : '';
    const rows = this.db
      .prepare(`SELECT ${SUMMARY_COLUMNS} FROM messages ${where} ORDER BY id LIMIT @limit`)
      .all({ state: filter.state, limit: filter.limit ?? 1000 }) as MessageRow[];
    return rows.map(toSummary);
  }

  listBounces(filter: BounceFilter): BounceRecord[] {
    const clauses: string[] = [];
    if (filter.accountId !== undefined) clauses.push('account_id = @accountId');
    if (filter.recipient !== undefined) clauses.push('recipient = @recipient');
    if (filter.type !== undefined) clauses.push('type = @type');
    if (filter.since !== undefined) clauses.push('created_at >= @since');
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    const rows = this.db
      .prepare(`SELECT * FROM bounces ${where} ORDER BY id LIMIT @limit`)
      .all({ ...filter, recipient: filter.recipient === undefined ? undefined : canonicalAddress(filter.recipient), limit: filter.limit ?? 1000 }) as BounceRow[];
    return rows.map(toBounce);
  }

  countMessages(): Record<MessageState, number> {
    const counts: Record<MessageState, number> = { received: 0, processed: 0, unparseable: 0, duplicate: 0 };
    for (const r of this.stmt.counts.all() as Array<{ state: MessageState; n: number }>) counts[r.state] = r.n;
    return counts;
  }

  /** True once any message was ever stored (cheap: the first row of the table). */
  hasMessages(): boolean {
    return this.db.prepare('SELECT 1 FROM messages LIMIT 1').get() !== undefined;
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  ping(): boolean {
    try {
      this.db.prepare('SELECT 1').get();
      return !this.db.readonly;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Tail parts are at most this big: each is one row, bound (copied) by SQLite on its own. */
const TAIL_PART_BYTES = 1024 * 1024;

/**
 * Cuts a message's parts into its head (the first `headBytes`, one buffer) and the rest (in
 * pieces of at most TAIL_PART_BYTES). Only the head may be a copy; the rest are views.
 */
export function splitRaw(parts: readonly Buffer[], headBytes: number): { head: Buffer; tail: Buffer[] } {
  const views: Buffer[] = [];
  let headLen = 0;
  const headParts: Buffer[] = [];
  for (const p of parts) {
    const take = Math.min(p.length, headBytes - headLen);
    if (take > 0) {
      headParts.push(take === p.length ? p : p.subarray(0, take));
      headLen += take;
    }
    for (let at = Math.max(take, 0); at < p.length; at += TAIL_PART_BYTES) views.push(p.subarray(at, at + TAIL_PART_BYTES));
  }
  const head = headParts.length === 1 ? headParts[0]! : Buffer.concat(headParts, headLen);
  return { head, tail: views };
}

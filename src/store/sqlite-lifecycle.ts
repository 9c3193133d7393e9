import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { advance } from '../domain/index.js';
import type { DeliveryFilter, DeliveryRecord, DeliveryState, Evidence, EvidenceRecord, TailCheckpoint } from './types.js';

// The lifecycle tables: deliveries and their evidence, sends, the Postfix queue-id memory,
// tail checkpoints and scheduler jobs. Methods are synchronous and never open their own
// transaction except where said: callers group them in `SqliteStore.atomically()`.

interface DeliveryRow {
  id: number;
  account_id: string;
  message_id: string;
  recipient: string;
  state: DeliveryState;
  first_at: number;
  last_at: number;
  pending_since: number | null;
  attempts: number;
  status: string | null;
  reason: string | null;
  category: string | null;
  diagnostic: string | null;
  send_counted: number;
  updated_at: number;
  evidence_count?: number;
}

const toDelivery = (r: DeliveryRow): DeliveryRecord => ({
  id: r.id,
  accountId: r.account_id,
  messageId: r.message_id,
  recipient: r.recipient,
  state: r.state,
  firstAt: r.first_at,
  lastAt: r.last_at,
  pendingSince: r.pending_since,
  attempts: r.attempts,
  evidenceCount: r.evidence_count ?? 0,
  status: r.status,
  reason: r.reason,
  category: r.category,
  diagnostic: r.diagnostic,
  updatedAt: r.updated_at,
});

export function utcDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

export interface ApplyResult {
  /** False when the evidence was already recorded (same dedup key). */
  recorded: boolean;
  deliveryId: number;
  state: DeliveryState;
  /** The state before, null for a new delivery. */
  previous: DeliveryState | null;
}

/** A delivery that changed state, handed to listeners inside the same transaction. */
export interface DeliveryChange {
  deliveryId: number;
  previous: DeliveryState | null;
  state: DeliveryState;
  evidence: Evidence;
  bounceId: number | null;
  /** The time of the transaction (processing time; evidence.at is when it happened). */
  now: number;
}

export type DeliveryListener = (change: DeliveryChange) => void;

/** Event types the lifecycle itself emits; policy and API add their own. */
const EVENT_OF_STATE: Partial<Record<DeliveryState, string>> = { hard: 'bounce.hard', soft: 'bounce.soft', pending: 'bounce.pending' };

export class LifecycleRepo {
  private readonly s;
  private readonly listeners: DeliveryListener[] = [];

  constructor(private readonly db: Database.Database) {
    this.s = {
      evidenceExists: db.prepare(`SELECT 1 FROM evidence WHERE dedup_key = ?`),
      findDelivery: db.prepare(`SELECT * FROM deliveries WHERE account_id = ? AND message_id = ? AND recipient = ?`),
      insertDelivery: db.prepare(
        `INSERT INTO deliveries (account_id, message_id, recipient, state, first_at, last_at, pending_since, attempts,
                                 status, reason, category, diagnostic, updated_at)
         VALUES (@accountId, @messageId, @recipient, @state, @at, @at, @pendingSince, @attempts,
                 @status, @reason, @category, @diagnostic, @now)`,
      ),
      updateDelivery: db.prepare(
        `UPDATE deliveries SET state = @state, first_at = min(first_at, @at), last_at = max(last_at, @at),
                pending_since = @pendingSince, attempts = attempts + @attempts,
                status = @status, reason = @reason, category = @category, diagnostic = @diagnostic, updated_at = @now
          WHERE id = @id`,
      ),
      markSendCounted: db.prepare(`UPDATE deliveries SET send_counted = 1 WHERE id = ? AND send_counted = 0`),
      insertEvidence: db.prepare(
        `INSERT INTO evidence (delivery_id, at, source, state, status, reason, diagnostic, bounce_id, qid, dedup_key)
         VALUES (@deliveryId, @at, @source, @state, @status, @reason, @diagnostic, @bounceId, @qid, @dedupKey)`,
      ),
      addSends: db.prepare(
        `INSERT INTO sends (account_id, day, count) VALUES (?, ?, ?)
         ON CONFLICT (account_id, day) DO UPDATE SET count = count + excluded.count`,
      ),
      duePending: db.prepare(`SELECT * FROM deliveries WHERE state = 'pending' AND pending_since <= ? ORDER BY id LIMIT 1000`),
      pendingByQid: db.prepare(
        `SELECT DISTINCT d.* FROM evidence e JOIN deliveries d ON d.id = e.delivery_id
          WHERE e.qid = ? AND d.state = 'pending'`,
      ),
      evidenceOf: db.prepare(`SELECT * FROM evidence WHERE delivery_id = ? ORDER BY id`),
      rememberSender: db.prepare(
        `INSERT INTO log_queue (qid, sender, seen_at) VALUES (?, ?, ?)
         ON CONFLICT (qid) DO UPDATE SET sender = excluded.sender, seen_at = excluded.seen_at`,
      ),
      rememberMessageId: db.prepare(
        `INSERT INTO log_queue (qid, sender, message_id, seen_at) VALUES (?, '', ?, ?)
         ON CONFLICT (qid) DO UPDATE SET message_id = excluded.message_id`,
      ),
      lookupQueue: db.prepare(`SELECT sender, message_id FROM log_queue WHERE qid = ?`),
      pruneQueue: db.prepare(`DELETE FROM log_queue WHERE seen_at < ?`),
      getCheckpoint: db.prepare(`SELECT * FROM tail_checkpoints WHERE path = ?`),
      setCheckpoint: db.prepare(
        `INSERT INTO tail_checkpoints (path, inode, offset, lines, unparsed, head, updated_at) VALUES (@path, @inode, @offset, @lines, @unparsed, @head, @now)
         ON CONFLICT (path) DO UPDATE SET inode = excluded.inode, offset = excluded.offset, lines = excluded.lines,
                                          unparsed = excluded.unparsed, head = excluded.head, updated_at = excluded.updated_at`,
      ),
      insertEvent: db.prepare(
        `INSERT INTO events (event_id, account_id, type, payload, created_at) VALUES (?, ?, ?, ?, ?)`,
      ),
      getJob: db.prepare(`SELECT * FROM jobs WHERE name = ?`),
      saveJob: db.prepare(
        `INSERT INTO jobs (name, last_run_at, next_run_at, last_error) VALUES (@name, @lastRunAt, @nextRunAt, @error)
         ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at, next_run_at = excluded.next_run_at,
                                          last_error = excluded.last_error`,
      ),
    };
  }

  /**
   * Records one piece of evidence and moves its delivery forward (never backwards).
   * Call inside a transaction when it must be atomic with other writes.
   */
  applyEvidence(ev: Evidence, bounceId: number | null, now: number): ApplyResult | null {
    if (this.s.evidenceExists.get(ev.dedupKey)) return null;
    const recipient = ev.recipient.toLowerCase();
    const row = this.s.findDelivery.get(ev.accountId, ev.messageId, recipient) as DeliveryRow | undefined;
    let deliveryId: number;
    let previous: DeliveryState | null = null;
    let state: DeliveryState;
    const attempts = ev.source === 'window' ? 0 : 1;
    if (!row) {
      state = ev.state;
      deliveryId = Number(
        this.s.insertDelivery.run({
          ...ev,
          recipient,
          state,
          pendingSince: ev.state === 'pending' ? ev.at : null,
          attempts,
          now,
        }).lastInsertRowid,
      );
    } else {
      previous = row.state;
      state = advance(row.state, ev.state);
      const moved = state !== row.state;
      // The window starts at the earliest deferral, whatever order the evidence came in.
      const pendingSince =
        ev.state === 'pending' ? Math.min(row.pending_since ?? ev.at, ev.at) : row.pending_since;
      this.s.updateDelivery.run({
        id: row.id,
        at: ev.at,
        state,
        pendingSince,
        attempts,
        // The details shown are those of the evidence that decided the state.
        status: moved ? ev.status : row.status,
        reason: moved ? ev.reason : row.reason,
        category: moved ? ev.category : row.category,
        diagnostic: moved ? ev.diagnostic : row.diagnostic,
        now,
      });
      deliveryId = row.id;
    }
    this.s.insertEvidence.run({ ...ev, deliveryId, bounceId });
    if (ev.countsAsSend && this.s.markSendCounted.run(deliveryId).changes === 1) {
      this.s.addSends.run(ev.accountId, utcDay(ev.at), 1);
    }
    if (state !== previous) {
      const type = previous === 'pending' && state === 'delivered' ? 'delivery.resolved' : EVENT_OF_STATE[state];
      if (type) {
        this.emitEvent(ev.accountId, type, {
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
        }, now);
      }
      const change: DeliveryChange = { deliveryId, previous, state, evidence: ev, bounceId, now };
      for (const l of this.listeners) l(change);
    }
    return { recorded: true, deliveryId, state, previous };
  }

  /** Listeners run inside the transaction of the change (they must be synchronous). */
  onDeliveryChange(listener: DeliveryListener): void {
    this.listeners.push(listener);
  }

  /** Appends an event to the outbox; call inside the transaction of what it reports. */
  emitEvent(accountId: string | null, type: string, payload: Record<string, unknown>, now: number): string {
    const eventId = randomUUID();
    this.s.insertEvent.run(eventId, accountId, type, JSON.stringify(payload), now);
    return eventId;
  }

  listEvents(afterId = 0, limit = 1000): Array<{ id: number; eventId: string; accountId: string | null; type: string; payload: Record<string, unknown>; createdAt: number }> {
    const rows = this.db.prepare(`SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?`).all(afterId, limit) as Array<{
      id: number; event_id: string; account_id: string | null; type: string; payload: string; created_at: number;
    }>;
    return rows.map((r) => ({ id: r.id, eventId: r.event_id, accountId: r.account_id, type: r.type, payload: JSON.parse(r.payload), createdAt: r.created_at }));
  }

  /** Pending deliveries whose window started at or before `cutoff`. */
  duePending(cutoff: number): DeliveryRecord[] {
    return (this.s.duePending.all(cutoff) as DeliveryRow[]).map(toDelivery);
  }

  /** Pending deliveries that have log evidence from this Postfix queue id. */
  pendingByQid(qid: string): DeliveryRecord[] {
    return (this.s.pendingByQid.all(qid) as DeliveryRow[]).map(toDelivery);
  }

  addSends(accountId: string, day: string, count: number): void {
    this.s.addSends.run(accountId, day, count);
  }

  listSends(accountId?: string): Array<{ accountId: string; day: string; count: number }> {
    const rows = (
      accountId === undefined
        ? this.db.prepare(`SELECT * FROM sends ORDER BY account_id, day`).all()
        : this.db.prepare(`SELECT * FROM sends WHERE account_id = ? ORDER BY day`).all(accountId)
    ) as Array<{ account_id: string; day: string; count: number }>;
    return rows.map((r) => ({ accountId: r.account_id, day: r.day, count: r.count }));
  }

  listDeliveries(filter: DeliveryFilter): DeliveryRecord[] {
    const clauses: string[] = [];
    const params: Record<string, unknown> = { limit: filter.limit ?? 1000 };
    if (filter.accountId !== undefined) {
      clauses.push('d.account_id = @accountId');
      params.accountId = filter.accountId;
    }
    if (filter.state !== undefined) {
      clauses.push('d.state = @state');
      params.state = filter.state;
    }
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    const rows = this.db
      .prepare(
        `SELECT d.*, (SELECT count(*) FROM evidence e WHERE e.delivery_id = d.id) AS evidence_count
           FROM deliveries d ${where} ORDER BY d.id LIMIT @limit`,
      )
      .all(params) as DeliveryRow[];
    return rows.map(toDelivery);
  }

  evidenceOf(deliveryId: number): EvidenceRecord[] {
    return (this.s.evidenceOf.all(deliveryId) as Array<Record<string, unknown>>).map((r) => ({
      id: r.id as number,
      at: r.at as number,
      source: r.source as EvidenceRecord['source'],
      state: r.state as DeliveryState,
      status: r.status as string | null,
      reason: r.reason as string | null,
      diagnostic: r.diagnostic as string | null,
      bounceId: r.bounce_id as number | null,
      qid: r.qid as string | null,
    }));
  }

  rememberSender(qid: string, sender: string, at: number): void {
    this.s.rememberSender.run(qid, sender, at);
  }

  rememberMessageId(qid: string, messageId: string, at: number): void {
    this.s.rememberMessageId.run(qid, messageId, at);
  }

  lookupQueue(qid: string): { sender: string; messageId: string | null } | null {
    const r = this.s.lookupQueue.get(qid) as { sender: string; message_id: string | null } | undefined;
    return r ? { sender: r.sender, messageId: r.message_id } : null;
  }

  /** Forgets queue ids older than `before` (Postfix reuses short ids). */
  pruneQueue(before: number): number {
    return this.s.pruneQueue.run(before).changes;
  }

  getCheckpoint(path: string): TailCheckpoint | null {
    const r = this.s.getCheckpoint.get(path) as TailCheckpoint | undefined;
    return r ? { path: r.path, inode: r.inode, offset: r.offset, lines: r.lines, unparsed: r.unparsed, head: r.head ?? null } : null;
  }

  setCheckpoint(cp: TailCheckpoint, now: number): void {
    this.s.setCheckpoint.run({ ...cp, head: cp.head ?? null, now });
  }

  getJob(name: string): { lastRunAt: number | null; nextRunAt: number; lastError: string | null } | null {
    const r = this.s.getJob.get(name) as { last_run_at: number | null; next_run_at: number; last_error: string | null } | undefined;
    return r ? { lastRunAt: r.last_run_at, nextRunAt: r.next_run_at, lastError: r.last_error } : null;
  }

  saveJob(name: string, lastRunAt: number | null, nextRunAt: number, error: string | null): void {
    this.s.saveJob.run({ name, lastRunAt, nextRunAt, error });
  }
}

import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { BounceType, Category } from '../report.js';
import { toBounce, withoutSync, writeTransaction, type BounceRow } from './sqlite.js';
import type { BounceRecord, EvidenceRecord } from './types.js';
import { canonicalAddress } from '../address.js';

// The HTTP API's tables (migration 5): API keys, webhook endpoints, webhook deliveries and
// their attempts, and the read side of bounces the API needs (filters, cursor pages).
// Statements are prepared once; each method is one unit of work.

export interface ApiKeyRecord {
  id: string;
  /** null: an admin key. */
  accountId: string | null;
  prefix: string;
  name: string | null;
  createdAt: number;
  revokedAt: number | null;
}

export interface WebhookEndpoint {
  id: string;
  accountId: string;
  url: string;
  /** Event types sent; empty: every type. */
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

export interface BounceQuery {
  accountId?: string;
  recipient?: string;
  type?: BounceType;
  category?: Category;
  reason?: string;
  since?: number;
  /** Bounces with an id greater than this (the previous page's last id). */
  after?: number;
  limit: number;
}

/** sha256 (hex) of an API key: what is stored and looked up. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new API key: `bnd_` + 32 random bytes (base64url). */
export function newKey(): string {
  return `bnd_${randomBytes(32).toString('base64url')}`;
}

const KEY_PREFIX_CHARS = 12;

interface KeyRow {
  id: string;
  account_id: string | null;
  hash: string;
  prefix: string;
  name: string | null;
  created_at: number;
  revoked_at: number | null;
}

const toKey = (r: KeyRow): ApiKeyRecord => ({
  id: r.id,
  accountId: r.account_id,
  prefix: r.prefix,
  name: r.name,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

interface EndpointRow {
  id: string;
  account_id: string;
  url: string;
  secret: string;
  events: string;
  from_event_row: number;
  created_at: number;
  disabled_at: number | null;
}

const toEndpoint = (r: EndpointRow): WebhookEndpoint => ({
  id: r.id,
  accountId: r.account_id,
  url: r.url,
  events: JSON.parse(r.events) as string[],
  createdAt: r.created_at,
  disabledAt: r.disabled_at,
});

interface DeliveryRow {
  id: number;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
  failed_at: number | null;
}

const toDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  endpointId: r.endpoint_id,
  eventId: r.event_id,
  eventType: r.event_type,
  createdAt: r.created_at,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastAttemptAt: r.last_attempt_at,
  lastStatus: r.last_status,
  lastError: r.last_error,
  deliveredAt: r.delivered_at,
  failedAt: r.failed_at,
});


const DELIVERY_COLUMNS = `d.id, d.endpoint_id, e.event_id, e.type AS event_type, d.created_at, d.attempts, d.next_attempt_at,
  d.last_attempt_at, d.last_status, d.last_error, d.delivered_at, d.failed_at`;

export class ApiRepo {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      insertKey: db.prepare(
        `INSERT INTO api_keys (id, account_id, hash, prefix, name, created_at) VALUES (@id, @accountId, @hash, @prefix, @name, @now)`,
      ),
      keyByHash: db.prepare(`SELECT * FROM api_keys WHERE hash = ?`),
      keysOf: db.prepare(`SELECT * FROM api_keys WHERE account_id IS ? ORDER BY created_at, id`),
      revokeKey: db.prepare(`UPDATE api_keys SET revoked_at = @now WHERE id = @id AND account_id IS @accountId AND revoked_at IS NULL`),
      accountExists: db.prepare(`SELECT 1 FROM accounts WHERE id = ?`),
      getBounce: db.prepare(`SELECT * FROM bounces WHERE id = ?`),
      evidenceOfBounce: db.prepare(`SELECT * FROM evidence WHERE bounce_id = ? ORDER BY id`),
      maxEventRow: db.prepare(`SELECT coalesce(max(id), 0) AS n FROM events`),
      insertEndpoint: db.prepare(
        `INSERT INTO webhook_endpoints (id, account_id, url, secret, events, from_event_row, created_at)
         VALUES (@id, @accountId, @url, @secret, @events, @fromEventRow, @now)`,
      ),
      endpointsOf: db.prepare(`SELECT * FROM webhook_endpoints WHERE account_id = ? AND disabled_at IS NULL ORDER BY created_at, id`),
      getEndpoint: db.prepare(`SELECT * FROM webhook_endpoints WHERE id = ? AND account_id = ?`),
      disableEndpoint: db.prepare(`UPDATE webhook_endpoints SET disabled_at = @now WHERE id = @id AND account_id = @accountId AND disabled_at IS NULL`),
      abandonDeliveries: db.prepare(
        `UPDATE webhook_deliveries SET next_attempt_at = NULL, failed_at = @now, last_error = 'endpoint removed'
          WHERE endpoint_id = @id AND next_attempt_at IS NOT NULL`,
      ),
      getCursor: db.prepare(`SELECT last_event_row FROM webhook_cursor WHERE name = 'fanout'`),
      anyEndpoint: db.prepare(`SELECT 1 FROM webhook_endpoints WHERE disabled_at IS NULL LIMIT 1`),
      setCursor: db.prepare(
        `INSERT INTO webhook_cursor (name, last_event_row) VALUES ('fanout', ?)
         ON CONFLICT (name) DO UPDATE SET last_event_row = excluded.last_event_row`,
      ),
      // An event goes to its account's endpoints that take its type; an event of no account
      // (a global suppression) only to endpoints that asked for that type by name.
      fanOut: db.prepare(
        `INSERT OR IGNORE INTO webhook_deliveries (event_row, endpoint_id, created_at, next_attempt_at)
         SELECT e.id, w.id, @now, @now
           FROM events e JOIN webhook_endpoints w ON w.account_id = e.account_id OR e.account_id IS NULL
          WHERE e.id > @after AND e.id <= @upto AND e.id > w.from_event_row AND w.disabled_at IS NULL
            AND ((e.account_id IS NOT NULL AND w.events = '[]')
                 OR EXISTS (SELECT 1 FROM json_each(w.events) j WHERE j.value = e.type))`,
      ),
      due: db.prepare(
        `SELECT d.id, d.endpoint_id, d.attempts, d.created_at, w.url, w.secret, e.event_id, e.type AS event_type, e.payload,
                e.created_at AS event_created_at
           FROM webhook_deliveries d
           JOIN webhook_endpoints w ON w.id = d.endpoint_id
           JOIN events e ON e.id = d.event_row
          WHERE d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= ?
          ORDER BY d.next_attempt_at, d.id LIMIT ?`,
      ),
      postpone: db.prepare(`UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ? AND next_attempt_at IS NOT NULL`),
      nextDue: db.prepare(`SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL`),
      insertAttempt: db.prepare(
        `INSERT INTO webhook_attempts (delivery_id, at, status, error, duration_ms) VALUES (@id, @at, @status, @error, @durationMs)`,
      ),
      settleAttempt: db.prepare(
        `UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = @at, last_status = @status, last_error = @error,
                next_attempt_at = @nextAttemptAt, delivered_at = @deliveredAt, failed_at = @failedAt
          WHERE id = @id AND next_attempt_at IS NOT NULL`,
      ),
      deliveriesOf: db.prepare(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_row
          WHERE d.endpoint_id = ? AND d.id > ? ORDER BY d.id LIMIT ?`,
      ),
      getDelivery: db.prepare(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_row WHERE d.id = ? AND d.endpoint_id = ?`,
      ),
      attemptsOf: db.prepare(`SELECT at, status, error, duration_ms FROM webhook_attempts WHERE delivery_id = ? ORDER BY id`),
      retryNow: db.prepare(
        `UPDATE webhook_deliveries SET next_attempt_at = @now, failed_at = NULL
          WHERE id = @id AND endpoint_id = @endpointId AND delivered_at IS NULL`,
      ),
    };
  }

  // --- API keys ---

  /** Creates a key; the key itself is returned here and never again. */
  createKey(accountId: string | null, name: string | null, now: number): { record: ApiKeyRecord; key: string } {
    const key = newKey();
    const id = `key_${randomBytes(8).toString('hex')}`;
    const prefix = key.slice(0, KEY_PREFIX_CHARS);
    this.s.insertKey.run({ id, accountId, hash: hashKey(key), prefix, name, now });
    return { record: { id, accountId, prefix, name, createdAt: now, revokedAt: null }, key };
  }

  /** The key whose sha256 is `hash` (revoked ones included: the caller checks). */
  findKeyByHash(hash: string): (ApiKeyRecord & { hash: string }) | null {
    const r = this.s.keyByHash.get(hash) as KeyRow | undefined;
    return r ? { ...toKey(r), hash: r.hash } : null;
  }

  listKeys(accountId: string | null): ApiKeyRecord[] {
    return (this.s.keysOf.all(accountId) as KeyRow[]).map(toKey);
  }

  revokeKey(accountId: string | null, keyId: string, now: number): boolean {
    return this.s.revokeKey.run({ id: keyId, accountId, now }).changes === 1;
  }

  /** True when the account row exists (accounts table of migration 1). */
  accountExists(id: string): boolean {
    return this.s.accountExists.get(id) !== undefined;
  }

  /** Suppressions by scope (the policy's table of migration 4; empty before it exists). */
  countSuppressions(): Record<'account' | 'global', number> {
    const counts = { account: 0, global: 0 };
    try {
      const rows = this.db.prepare(`SELECT account_id = '*' AS global, count(*) AS n FROM suppressions GROUP BY 1`).all() as Array<{ global: number; n: number }>;
      for (const r of rows) counts[r.global ? 'global' : 'account'] = r.n;
    } catch {
      // no suppressions table yet
    }
    return counts;
  }

  // --- bounces (read side) ---

  listBounces(q: BounceQuery): BounceRecord[] {
    const clauses: string[] = ['id > @after'];
    if (q.accountId !== undefined) clauses.push('account_id = @accountId');
    if (q.recipient !== undefined) clauses.push('recipient = @recipient');
    if (q.type !== undefined) clauses.push('type = @type');
    if (q.category !== undefined) clauses.push('category = @category');
    if (q.reason !== undefined) clauses.push('reason = @reason');
    if (q.since !== undefined) clauses.push('created_at >= @since');
    const rows = this.db
      .prepare(`SELECT * FROM bounces WHERE ${clauses.join(' AND ')} ORDER BY id LIMIT @limit`)
      .all({ ...q, after: q.after ?? 0, recipient: q.recipient === undefined ? undefined : canonicalAddress(q.recipient) }) as BounceRow[];
    return rows.map(toBounce);
  }

  getBounce(id: number): BounceRecord | null {
    const r = this.s.getBounce.get(id) as BounceRow | undefined;
    return r ? toBounce(r) : null;
  }

  /** Delivery evidence recorded from this bounce. */
  evidenceOfBounce(id: number): Array<EvidenceRecord & { deliveryId: number }> {
    return (this.s.evidenceOfBounce.all(id) as Array<Record<string, unknown>>).map((r) => ({
      id: r.id as number,
      deliveryId: r.delivery_id as number,
      at: r.at as number,
      source: r.source as EvidenceRecord['source'],
      state: r.state as EvidenceRecord['state'],
      status: r.status as string | null,
      reason: r.reason as string | null,
      diagnostic: r.diagnostic as string | null,
      bounceId: r.bounce_id as number | null,
      qid: r.qid as string | null,
    }));
  }

  // --- webhook endpoints ---

  /** Creates an endpoint that receives the events written from now on; returns its secret once. */
  createEndpoint(accountId: string, url: string, events: string[], now: number): { endpoint: WebhookEndpoint; secret: string } {
    const id = `wh_${randomBytes(8).toString('hex')}`;
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const fromEventRow = (this.s.maxEventRow.get() as { n: number }).n;
    this.s.insertEndpoint.run({ id, accountId, url, secret, events: JSON.stringify(events), fromEventRow, now });
    return { endpoint: { id, accountId, url, events, createdAt: now, disabledAt: null }, secret };
  }

  listEndpoints(accountId: string): WebhookEndpoint[] {
    return (this.s.endpointsOf.all(accountId) as EndpointRow[]).map(toEndpoint);
  }

  /** The endpoint, only when it belongs to `accountId`. */
  getEndpoint(accountId: string, id: string): WebhookEndpoint | null {
    const r = this.s.getEndpoint.get(id, accountId) as EndpointRow | undefined;
    return r ? toEndpoint(r) : null;
  }

  /** Removes an endpoint (kept, disabled, for its delivery history); its pending deliveries stop. */
  disableEndpoint(accountId: string, id: string, now: number): boolean {
    return writeTransaction(this.db, () => {
      if (this.s.disableEndpoint.run({ id, accountId, now }).changes === 0) return false;
      this.s.abandonDeliveries.run({ id, now });
      return true;
    });
  }

  // --- webhook deliveries ---

  /**
   * Turns the events written since the last call into deliveries (one transaction). Returns how
   * many. It runs on the SMTP thread after every settled batch: most calls find nothing to do
   * (no new event, or no endpoint at all; then the cursor may stay behind, as an endpoint only
   * takes events after its creation), which reads tell without taking the write lock; and the
   * commit does not wait for an fsync (lost in a power cut, the same fan-out is redone from
   * the older cursor, and INSERT OR IGNORE keeps it single).
   */
  fanOut(now: number): number {
    const cursor = (this.s.getCursor.get() as { last_event_row: number } | undefined)?.last_event_row ?? 0;
    if ((this.s.maxEventRow.get() as { n: number }).n <= cursor || !this.s.anyEndpoint.get()) return 0;
    return withoutSync(this.db, () => {
      const after = (this.s.getCursor.get() as { last_event_row: number } | undefined)?.last_event_row ?? 0;
      const upto = (this.s.maxEventRow.get() as { n: number }).n;
      if (upto <= after) return 0;
      const n = this.s.fanOut.run({ after, upto, now }).changes;
      this.s.setCursor.run(upto);
      return n;
    });
  }

  dueDeliveries(now: number, limit: number): DueDelivery[] {
    return (this.s.due.all(now, limit) as Array<Record<string, unknown>>).map((r) => ({
      id: r.id as number,
      endpointId: r.endpoint_id as string,
      attempts: r.attempts as number,
      createdAt: r.created_at as number,
      url: r.url as string,
      secret: r.secret as string,
      eventId: r.event_id as string,
      eventType: r.event_type as string,
      payload: r.payload as string,
      eventCreatedAt: r.event_created_at as number,
    }));
  }

  /** Moves a waiting delivery to `at` without counting an attempt. */
  postponeDelivery(id: number, at: number): void {
    this.s.postpone.run(at, id);
  }

  /** When the next delivery is due; null when none is waiting. */
  nextDueAt(): number | null {
    return (this.s.nextDue.get() as { at: number | null }).at;
  }

  /** Records one attempt and the delivery's new state, in one transaction. */
  recordAttempt(
    id: number,
    attempt: WebhookAttempt,
    outcome: { deliveredAt: number | null; nextAttemptAt: number | null; failedAt: number | null },
  ): void {
    writeTransaction(this.db, () => {
      this.s.insertAttempt.run({ id, ...attempt });
      this.s.settleAttempt.run({ id, at: attempt.at, status: attempt.status, error: attempt.error, ...outcome });
    });
  }

  listDeliveries(endpointId: string, after: number, limit: number): WebhookDelivery[] {
    return (this.s.deliveriesOf.all(endpointId, after, limit) as DeliveryRow[]).map(toDelivery);
  }

  getDelivery(endpointId: string, id: number): (WebhookDelivery & { attemptLog: WebhookAttempt[] }) | null {
    const r = this.s.getDelivery.get(id, endpointId) as DeliveryRow | undefined;
    if (!r) return null;
    const attemptLog = (this.s.attemptsOf.all(id) as Array<{ at: number; status: number | null; error: string | null; duration_ms: number }>).map(
      (a) => ({ at: a.at, status: a.status, error: a.error, durationMs: a.duration_ms }),
    );
    return { ...toDelivery(r), attemptLog };
  }

  /** Schedules a delivery that is not yet delivered for an attempt now (also after giving up). */
  retryDelivery(endpointId: string, id: number, now: number): boolean {
    return this.s.retryNow.run({ id, endpointId, now }).changes === 1;
  }
}

export type ApiStore = Pick<ApiRepo, keyof ApiRepo>;

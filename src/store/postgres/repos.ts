// The PostgreSQL repositories: the same contract as ../sqlite/repos.ts, in SQL a second
// writer cannot break. Where SQLite relies on one writer at a time, here unique keys and row
// locks decide: a new delivery is inserted ON CONFLICT DO NOTHING and otherwise locked
// FOR UPDATE before it is moved; a failure row likewise before its counters move; claims of
// messages and webhook deliveries take rows FOR UPDATE SKIP LOCKED; counters are upserts
// (x = x + delta) under the row's lock. Every statement is prepared (postgres.js names and
// caches them per connection).
import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import {
  advance, CONTACT_REPORT_KINDS, GLOBAL_ACCOUNT, monthOf, monthOfDay, monthRange, utcDay, MESSAGE_STATES,
  type Channel, type ContactReportKind, type DeliveryState, type EventType, type Figures, type MessageState, type SoftBounceLimit, type SuppressionReason,
} from '../../domain/index.js';
import { canonicalAddress } from '../../address.js';
import type * as C from '../contract.js';
import { failureCounts } from '../counting.js';
import { layoutRaw, layoutSpooled, readSpooled, removeSpooled } from '../raw.js';
import * as R from '../rows.js';
import { StoreError } from '../store-error.js';
import { pgError } from './errors.js';
import { PgInboxes } from './inboxes.js';
import { PgEspEvents } from './esp-events.js';

/** The contact-report kinds as an SQL list (the daily counts read both ranges of one index). */
const REPORT_KINDS = CONTACT_REPORT_KINDS.map((k) => `'${k}'`).join(', ');

export type Q = postgres.Sql | postgres.TransactionSql;

/** A transaction's state as its repositories see it. */
export interface TxState {
  open: boolean;
  failed: StoreError | null;
}

/** Runs repository SQL on the store's pool or inside one transaction. */
export class PgCtx {
  constructor(
    readonly q: Q,
    /** null: the pool (each call its own unit); otherwise the transaction's state. */
    readonly tx: TxState | null,
    /** Where spooled messages' files are (shared storage, spool.dir); null: none. */
    readonly spoolDir: string | null = null,
  ) {}

  async run<T>(fn: (q: Q) => Promise<T>): Promise<T> {
    const tx = this.tx;
    if (tx && !tx.open) throw new StoreError('invalid', 'a repository of a finished transaction was used');
    if (tx?.failed) throw new StoreError('invalid', `the transaction failed earlier (${tx.failed.code}: ${tx.failed.message}); it will roll back`, null, { cause: tx.failed });
    try {
      return await fn(this.q);
    } catch (err) {
      const e = pgError(err);
      // A failed statement aborts a PostgreSQL transaction: it rolls back whatever fn does next.
      if (tx) tx.failed = e;
      throw e;
    }
  }

  /**
   * Several statements as one unit: a transaction of their own on the pool; inside a
   * transaction, as they are (a failure ends the whole transaction, see run()).
   */
  unit<T>(fn: (q: Q) => Promise<T>, durable = true): Promise<T> {
    if (this.tx) return this.run(fn);
    return this.run(
      (q) =>
        (q as postgres.Sql).begin(async (t) => {
          if (!durable) await t.unsafe('SET LOCAL synchronous_commit = off');
          return fn(t);
        }) as Promise<T>,
    );
  }
}

export const all = (q: Q, text: string, params: unknown[] = []): Promise<R.Row[]> =>
  q.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }) as unknown as Promise<R.Row[]>;
const one = async (q: Q, text: string, params: unknown[] = []): Promise<R.Row | undefined> => (await all(q, text, params))[0];
const count = async (q: Q, text: string, params: unknown[] = []): Promise<number> =>
  ((await q.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })) as unknown as { count: number }).count;

const lower = (s: string) => s.toLowerCase();
/** Addresses in the one spelling bounced stores and compares (src/address.ts: IDNA domain, lower case). */
const addr = canonicalAddress;
const ids = (xs: number[]) => xs.join(',');

// ---------------------------------------------------------------------------------------
// Counters (inside the unit of the change)

const BUMP_MONTH = `INSERT INTO account_months (account_id, month, sends, cancelled_campaigns) VALUES ($1, $2, $3, $4)
  ON CONFLICT (account_id, month) DO UPDATE SET sends = account_months.sends + excluded.sends,
         cancelled_campaigns = account_months.cancelled_campaigns + excluded.cancelled_campaigns`;
const BUMP_CHANNEL = `INSERT INTO account_month_channels (account_id, month, channel, hard_bounces, sender_failures, blocklistings, complaints, unsubscribes)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (account_id, month, channel) DO UPDATE SET hard_bounces = account_month_channels.hard_bounces + excluded.hard_bounces,
         sender_failures = account_month_channels.sender_failures + excluded.sender_failures,
         blocklistings = account_month_channels.blocklistings + excluded.blocklistings,
         complaints = account_month_channels.complaints + excluded.complaints,
         unsubscribes = account_month_channels.unsubscribes + excluded.unsubscribes`;
const BUMP_CAMPAIGN = `INSERT INTO campaign_counts (account_id, campaign, hard_bounces, complaints, unsubscribes) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (account_id, campaign) DO UPDATE SET hard_bounces = campaign_counts.hard_bounces + excluded.hard_bounces,
         complaints = campaign_counts.complaints + excluded.complaints, unsubscribes = campaign_counts.unsubscribes + excluded.unsubscribes`;
const ADD_SENDS = `INSERT INTO sends (account_id, day, count) VALUES ($1, $2, $3)
  ON CONFLICT (account_id, day) DO UPDATE SET count = sends.count + excluded.count`;

async function addSendsCounted(q: Q, accountId: string, day: string, n: number): Promise<void> {
  await all(q, ADD_SENDS, [accountId, day, n]);
  await all(q, BUMP_MONTH, [accountId, monthOfDay(day), n, 0]);
}

async function moveFailure(q: Q, f: C.FailureInput, sign: 1 | -1): Promise<void> {
  const n = failureCounts(f);
  if (n.hardBounces || n.senderFailures || n.blocklistings) {
    await all(q, BUMP_CHANNEL, [f.accountId, monthOf(f.at), f.channel, sign * n.hardBounces, sign * n.senderFailures, sign * n.blocklistings, 0, 0]);
  }
  if (n.campaignHardBounces) await all(q, BUMP_CAMPAIGN, [f.accountId, f.campaign, sign, 0, 0]);
}

// ---------------------------------------------------------------------------------------

export class PgMessages implements C.MessageRepo {
  constructor(private readonly c: PgCtx) {}

  insert(batch: readonly C.IncomingMessage[]): Promise<number[]> {
    if (!batch.length) return Promise.resolve([]);
    return this.c.unit(async (q) => {
      const layouts = batch.map((m) => (m.spool ? layoutSpooled(m.raw, m.spool, this.c.spoolDir) : layoutRaw(m.raw)));
      // The batch's ids first, in one round trip, so that all of its rows then go in one
      // pipeline: postgres.js writes statements issued without waiting for each other together
      // and reads their answers in order (a transaction keeps to one connection). One at a
      // time, a batch of n messages cost 2n round trips before its commit (issue #20).
      const ids = (await all(q, `SELECT nextval(pg_get_serial_sequence('messages', 'id')) AS id FROM generate_series(1, $1) ORDER BY id`, [batch.length])).map(
        (r) => r.id as number,
      );
      const writes: Promise<unknown>[] = [];
      batch.forEach((m, i) => {
        const raw = layouts[i]!;
        const id = ids[i]!;
        writes.push(
          all(
            q,
            `INSERT INTO messages (id, received_at, source, mail_from, rcpt_to, remote_ip, helo, size, sha256)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
            [id, m.receivedAt, m.source, lower(m.mailFrom), JSON.stringify(m.rcptTo.map(lower)), m.remoteIp, m.helo, raw.size, raw.sha256],
          ),
          all(q, `INSERT INTO message_raw (message_id, raw, spool_file) VALUES ($1, $2, $3)`, [id, raw.head, 'file' in raw ? raw.file : null]),
        );
        raw.tail.forEach((bytes, seq) => writes.push(all(q, `INSERT INTO message_raw_tail (message_id, seq, bytes) VALUES ($1, $2, $3)`, [id, seq, bytes])));
      });
      await Promise.all(writes);
      return ids;
    });
  }

  claim(node: string, opts: C.ClaimOptions): Promise<C.ClaimedMessage[]> {
    const maxBytes = opts.maxBytes ?? 32 * 1024 * 1024;
    return this.c.unit(async (q) => {
      // Rows another node is claiming right now are skipped, not waited for.
      const candidates = await all(
        q,
        `SELECT m.id, octet_length(r.raw) AS n FROM messages m JOIN message_raw r ON r.message_id = m.id
          WHERE m.state = 'received' AND (m.claimed_until IS NULL OR m.claimed_until <= $1 OR m.claimed_by = $3)
          ORDER BY m.id LIMIT $2 FOR UPDATE OF m SKIP LOCKED`,
        [opts.now, opts.limit, node],
      );
      const take: number[] = [];
      let bytes = 0;
      for (const c of candidates) {
        take.push(c.id as number);
        bytes += c.n as number;
        if (bytes >= maxBytes) break;
      }
      if (!take.length) return [];
      const rows = await all(
        q,
        `UPDATE messages SET claimed_by = $1, claimed_until = $2 WHERE id = ANY(string_to_array($3, ',')::bigint[])
         RETURNING ${R.MESSAGE_COLUMNS}`,
        [node, opts.now + opts.leaseMs, ids(take)],
      );
      const raws = await all(q, `SELECT message_id, raw FROM message_raw WHERE message_id = ANY(string_to_array($1, ',')::bigint[])`, [ids(take)]);
      const rawOf = new Map(raws.map((r) => [r.message_id as number, r.raw as Buffer]));
      return rows.map((r) => ({ ...R.toMessage(r), raw: rawOf.get(r.id as number)! })).sort((a, b) => a.id - b.id);
    }, false);
  }

  release(node: string, only?: readonly number[]): Promise<number> {
    if (only === undefined) {
      return this.c.run((q) => count(q, `UPDATE messages SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1 AND state = 'received'`, [node]));
    }
    if (!only.length) return Promise.resolve(0);
    return this.c.run((q) =>
      count(
        q,
        `UPDATE messages SET claimed_by = NULL, claimed_until = NULL
          WHERE claimed_by = $1 AND state = 'received' AND id = ANY(string_to_array($2, ',')::bigint[])`,
        [node, ids([...only])],
      ),
    );
  }

  received(only: readonly number[]): Promise<C.ClaimedMessage[]> {
    if (!only.length) return Promise.resolve([]);
    return this.c.run(async (q) => {
      const rows = await all(
        q,
        `SELECT ${R.MESSAGE_COLUMNS.split(', ').map((c) => `m.${c}`).join(', ')}, r.raw
           FROM messages m JOIN message_raw r ON r.message_id = m.id
          WHERE m.state = 'received' AND m.id = ANY(string_to_array($1, ',')::bigint[]) ORDER BY m.id`,
        [ids([...only])],
      );
      const byId = new Map(rows.map((r) => [r.id as number, { ...R.toMessage(r), raw: r.raw as Buffer }]));
      return only.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
    });
  }

  beginAttempts(only: readonly number[]): Promise<void> {
    if (!only.length) return Promise.resolve();
    return this.c.unit(async (q) => {
      await all(q, `UPDATE messages SET attempts = attempts + 1 WHERE state = 'received' AND id = ANY(string_to_array($1, ',')::bigint[])`, [ids([...only])]);
    }, false);
  }

  refundAttempts(only: readonly number[]): Promise<void> {
    if (!only.length) return Promise.resolve();
    return this.c.unit(async (q) => {
      await all(
        q,
        `UPDATE messages SET attempts = attempts - 1 WHERE state = 'received' AND attempts > 0 AND id = ANY(string_to_array($1, ',')::bigint[])`,
        [ids([...only])],
      );
    }, false);
  }

  noteFailedAttempt(id: number, error: string): Promise<void> {
    return this.c.unit(async (q) => {
      await all(q, `UPDATE messages SET error = $2 WHERE id = $1 AND state = 'received'`, [id, error]);
    }, false);
  }

  settle(id: number, st: C.Settlement, now: number): Promise<boolean> {
    if (st.state === 'processed') return this.settleProcessed(id, st, now);
    return this.c.run(async (q) =>
      (await count(
        q,
        `UPDATE messages SET state = $2, processed_at = $3, error = $4, kind = $5, detector = $6, report_message_id = $7,
                duplicate_of = $8, duplicate_key = $9, warning = $10, claimed_by = NULL, claimed_until = NULL
          WHERE id = $1 AND state = 'received'`,
        [
          id,
          st.state,
          now,
          st.state === 'unparseable' ? st.error : null,
          st.state === 'unparseable' ? null : st.kind,
          null, // detector: processed only
          st.state === 'unparseable' ? null : st.reportMessageId,
          st.state === 'duplicate' ? st.duplicateOf : null,
          null, // duplicate_key, warning: processed only
          null,
        ],
      )) === 1,
    );
  }

  /**
   * Two nodes may settle copies of one report at once (the same DSN sent to both MX hosts):
   * the processor's duplicate check ran before this transaction, so it is made again here,
   * under transaction-level advisory locks on the report's identity (its bytes, its duplicate
   * key), which the other copy's transaction waits for until this one commits. The later
   * copy is settled as the duplicate of the earlier and false says "write nothing for it".
   */
  private settleProcessed(id: number, st: Extract<C.Settlement, { state: 'processed' }>, now: number): Promise<boolean> {
    return this.c.unit(async (q) => {
      const m = await one(q, `SELECT sha256 FROM messages WHERE id = $1 AND state = 'received'`, [id]);
      if (!m) return false;
      const key = st.duplicateKey ?? null;
      // Always the bytes first, then the key: one order, fewer deadlocks (PostgreSQL breaks any, 40P01 -> busy, retried).
      await all(q, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`bounced:dup:sha:${m.sha256 as string}`]);
      if (key !== null) await all(q, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`bounced:dup:key:${key}`]);
      const earlier = await this.duplicateOf(q, id, m.sha256 as string, key);
      if (earlier !== null) {
        await all(
          q,
          `UPDATE messages SET state = 'duplicate', processed_at = $2, kind = $3, report_message_id = $4, duplicate_of = $5, claimed_by = NULL, claimed_until = NULL
            WHERE id = $1 AND state = 'received'`,
          [id, now, st.kind, st.reportMessageId, earlier],
        );
        return false;
      }
      return (
        (await count(
          q,
          `UPDATE messages SET state = 'processed', processed_at = $2, error = NULL, kind = $3, detector = $4, report_message_id = $5,
                  duplicate_of = NULL, duplicate_key = $6, warning = $7, claimed_by = NULL, claimed_until = NULL
            WHERE id = $1 AND state = 'received'`,
          [id, now, st.kind, st.detector, st.reportMessageId, key, st.warning ?? null],
        )) === 1
      );
    });
  }

  private async duplicateOf(q: Q, id: number, sha256: string, duplicateKey: string | null): Promise<number | null> {
    const bySha = (await one(q, `SELECT id FROM messages WHERE sha256 = $1 AND id <> $2 AND state IN ('processed', 'duplicate') ORDER BY id LIMIT 1`, [sha256, id]))?.id as number | undefined;
    const byKey =
      duplicateKey === null
        ? undefined
        : ((await one(q, `SELECT id FROM messages WHERE duplicate_key = $1 AND id <> $2 AND state IN ('processed', 'duplicate') ORDER BY id LIMIT 1`, [duplicateKey, id]))?.id as number | undefined);
    if (bySha === undefined) return byKey ?? null;
    return byKey === undefined ? bySha : Math.min(bySha, byKey);
  }

  findDuplicate(id: number, sha256: string, duplicateKey: string | null): Promise<number | null> {
    return this.c.run(async (q) => this.duplicateOf(q, id, sha256, duplicateKey));
  }

  get(id: number): Promise<C.MessageSummary | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT ${R.MESSAGE_COLUMNS} FROM messages WHERE id = $1`, [id]);
      return r ? R.toMessage(r) : null;
    });
  }

  raw(id: number): Promise<Buffer | null> {
    return this.c.run(async (q) => {
      const head = await one(q, `SELECT raw, spool_file FROM message_raw WHERE message_id = $1`, [id]);
      if (!head) return null;
      if (head.spool_file !== null) return readSpooled(this.c.spoolDir, head.spool_file as string);
      const tail = await all(q, `SELECT bytes FROM message_raw_tail WHERE message_id = $1 ORDER BY seq`, [id]);
      return tail.length ? Buffer.concat([head.raw as Buffer, ...tail.map((t) => t.bytes as Buffer)]) : (head.raw as Buffer);
    });
  }

  spooledFiles(files: readonly string[]): Promise<Set<string>> {
    if (!files.length) return Promise.resolve(new Set());
    return this.c.run(async (q) => {
      const rows = await all(q, `SELECT spool_file FROM message_raw WHERE spool_file = ANY($1::text[])`, [files as string[]]);
      return new Set(rows.map((r) => r.spool_file as string));
    });
  }

  async pruneRaw(before: number, limit: number): Promise<number> {
    const files: string[] = [];
    const n = await this.pruneRows(before, limit, files);
    // After the commit; inside a caller's transaction the files are left to the orphan sweep
    // (src/spool/sweep.ts), since that commit may still roll back.
    if (this.c.tx === null) await removeSpooled(this.c.spoolDir, files);
    return n;
  }

  private pruneRows(before: number, limit: number, files: string[]): Promise<number> {
    // The walk of the SQLite store (pruneWalk), in pages: the settled messages received before
    // `before`, oldest first, until the first newer one. A deletion that another node made
    // meanwhile deletes nothing here: pruning is idempotent.
    return this.c.unit(async (q) => {
      const take: number[] = [];
      let after = 0;
      let visited = 0;
      walk: for (;;) {
        const rows = await all(
          q,
          `SELECT r.message_id AS id, m.received_at AS at, m.state FROM message_raw r JOIN messages m ON m.id = r.message_id
            WHERE r.message_id > $1 ORDER BY r.message_id LIMIT $2`,
          [after, Math.min(256, limit * 4)],
        );
        if (!rows.length) break;
        for (const r of rows) {
          if (Number(r.at) >= before) break walk;
          after = Number(r.id);
          if (r.state !== 'received') take.push(after);
          if (take.length >= limit || ++visited >= limit * 4) break walk;
        }
      }
      if (take.length) {
        const spooled = await all(q, `SELECT spool_file FROM message_raw WHERE message_id = ANY(string_to_array($1, ',')::bigint[]) AND spool_file IS NOT NULL`, [ids(take)]);
        files.push(...spooled.map((r) => r.spool_file as string));
        await all(q, `DELETE FROM message_raw_tail WHERE message_id = ANY(string_to_array($1, ',')::bigint[])`, [ids(take)]);
        await all(q, `DELETE FROM message_raw WHERE message_id = ANY(string_to_array($1, ',')::bigint[])`, [ids(take)]);
      }
      return take.length;
    }, false);
  }

  list(f: C.MessageFilter): Promise<C.MessageSummary[]> {
    return this.c.run(async (q) =>
      (
        await all(
          q,
          `SELECT ${R.MESSAGE_COLUMNS} FROM messages WHERE id > $1 AND ($2::text IS NULL OR state = $2) ORDER BY id LIMIT $3`,
          [f.after ?? 0, f.state ?? null, f.limit ?? 1000],
        )
      ).map(R.toMessage),
    );
  }

  counts(): Promise<Record<MessageState, number>> {
    return this.c.run(async (q) => {
      const counts = Object.fromEntries(MESSAGE_STATES.map((k) => [k, 0])) as Record<MessageState, number>;
      for (const r of await all(q, `SELECT state, count(*) AS n FROM messages GROUP BY state`)) counts[r.state as MessageState] = r.n;
      return counts;
    });
  }
}

// ---------------------------------------------------------------------------------------

export class PgBounces implements C.BounceRepo {
  constructor(private readonly c: PgCtx) {}

  insert(messageRow: number, b: C.BounceInput): Promise<number> {
    return this.c.run(async (q) =>
      (await one(
        q,
        `INSERT INTO bounces (message_row, created_at, account_id, message_id, recipient, kind, action, status, reason, hardbounce,
                category, type, rule, detector, reply_code, diagnostic, remote_mta, reporting_mta, original_message_id, feedback_type, verified,
                reported_recipient, warning)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) RETURNING id`,
        [
          messageRow, b.createdAt, b.accountId, b.messageId, b.recipient === null ? null : addr(b.recipient), b.kind, b.action, b.status, b.reason,
          b.hardbounce, b.category, b.type, b.rule, b.detector, b.replyCode, b.diagnostic, b.remoteMta, b.reportingMta,
          b.originalMessageId, b.feedbackType, b.verified,
          b.reportedRecipient === null || b.reportedRecipient === undefined ? null : addr(b.reportedRecipient), b.warning ?? null,
        ],
      ))!.id as number,
    );
  }

  get(id: number): Promise<C.BounceRecord | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT * FROM bounces WHERE id = $1`, [id]);
      return r ? R.toBounce(r) : null;
    });
  }

  ofMessage(messageRow: number): Promise<C.BounceRecord[]> {
    return this.c.run(async (q) => (await all(q, `SELECT * FROM bounces WHERE message_row = $1 ORDER BY id`, [messageRow])).map(R.toBounce));
  }

  reclassify(id: number, c: C.BounceClassification): Promise<boolean> {
    return this.c.run(async (q) => (await count(q, `UPDATE bounces SET reason = $1, category = $2, type = $3, hardbounce = $4, rule = $5 WHERE id = $6`, [c.reason, c.category, c.type, c.hardbounce, c.rule, id])) > 0);
  }

  list(b: C.BounceQuery): Promise<C.BounceRecord[]> {
    return this.c.run(async (q) =>
      (
        await all(
          q,
          `SELECT * FROM bounces WHERE id > $1 AND ($2::text IS NULL OR account_id = $2) AND ($3::text IS NULL OR recipient = $3)
              AND ($4::text IS NULL OR type = $4) AND ($5::text IS NULL OR category = $5) AND ($6::text IS NULL OR reason = $6)
              AND ($7::bigint IS NULL OR created_at >= $7) AND ($9::bigint IS NULL OR created_at < $9)
            ORDER BY id LIMIT $8`,
          [b.after ?? 0, b.accountId ?? null, b.recipient === undefined ? null : addr(b.recipient), b.type ?? null, b.category ?? null, b.reason ?? null, b.since ?? null, b.limit ?? 1000, b.until ?? null],
        )
      ).map(R.toBounce),
    );
  }

  daily(accountId: string, since: number): Promise<C.BounceDay[]> {
    return this.c.run(async (q) =>
      (
        await all(
          q,
          `SELECT to_char(to_timestamp(created_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, type, category, count(*)::int AS n
             FROM bounces WHERE account_id = $1 AND created_at >= $2 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
          [accountId, since],
        )
      ).map((r) => ({ day: r.day as string, type: r.type as C.BounceDay['type'], category: r.category as C.BounceDay['category'], count: Number(r.n) })),
    );
  }

  domains(accountId: string, since: number, limit: number): Promise<Array<{ domain: string; count: number }>> {
    // As SQLite: the range of bounces_account_created; the domain after the last @.
    return this.c.run(async (q) =>
      (
        await all(
          q,
          `SELECT lower(substring(recipient from '[^@]*$')) AS domain, count(*)::int AS n
             FROM bounces WHERE account_id = $1 AND created_at >= $2 AND recipient IS NOT NULL AND strpos(recipient, '@') > 0
            GROUP BY 1 ORDER BY n DESC, domain LIMIT ${Math.max(1, Math.trunc(limit) || 1)}`,
          [accountId, since],
        )
      ).map((r) => ({ domain: r.domain as string, count: Number(r.n) })),
    );
  }

  evidence(bounceId: number): Promise<Array<C.EvidenceRecord & { deliveryId: number }>> {
    return this.c.run(async (q) =>
      (await all(q, `SELECT * FROM evidence WHERE bounce_id = $1 ORDER BY id`, [bounceId])).map((r) => ({ ...R.toEvidence(r), deliveryId: r.delivery_id as number })),
    );
  }
}

// ---------------------------------------------------------------------------------------

export class PgDeliveries implements C.DeliveryRepo {
  constructor(private readonly c: PgCtx) {}

  applyEvidence(ev: C.Evidence, bounceId: number | null, now: number): Promise<C.DeliveryChange | null> {
    return this.c.unit(async (q) => {
      if (await one(q, `SELECT 1 FROM evidence WHERE dedup_key = $1`, [ev.dedupKey])) return null;
      const recipient = addr(ev.recipient);
      const attempts = ev.source === 'window' ? 0 : 1;
      let after = await one(
        q,
        `INSERT INTO deliveries (account_id, message_id, recipient, state, first_at, last_at, pending_since, attempts,
                                 status, reason, category, diagnostic, send_counted, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (account_id, message_id, recipient) DO NOTHING RETURNING *`,
        [ev.accountId, ev.messageId, recipient, ev.state, ev.at, ev.state === 'pending' ? ev.at : null, attempts, ev.status, ev.reason, ev.category, ev.diagnostic, ev.countsAsSend, now],
      );
      let previous: DeliveryState | null = null;
      let sendCounted = ev.countsAsSend;
      if (!after) {
        // Another transaction may be moving the same delivery: wait for it, then re-check the
        // dedup key (the same evidence from two nodes is recorded once).
        const row = (await one(q, `SELECT * FROM deliveries WHERE account_id = $1 AND message_id = $2 AND recipient = $3 FOR UPDATE`, [ev.accountId, ev.messageId, recipient]))!;
        if (await one(q, `SELECT 1 FROM evidence WHERE dedup_key = $1`, [ev.dedupKey])) return null;
        previous = row.state as DeliveryState;
        const state = advance(previous, ev.state);
        const moved = state !== previous;
        sendCounted = ev.countsAsSend && !row.send_counted;
        after = await one(
          q,
          `UPDATE deliveries SET state = $2, first_at = least(first_at, $3), last_at = greatest(last_at, $3), pending_since = $4,
                  attempts = attempts + $5, send_counted = send_counted OR $6, status = $7, reason = $8, category = $9,
                  diagnostic = $10, updated_at = $11
            WHERE id = $1 RETURNING *`,
          [
            row.id, state, ev.at,
            // The window starts at the earliest deferral, whatever order the evidence came in.
            ev.state === 'pending' ? Math.min((row.pending_since as number | null) ?? ev.at, ev.at) : row.pending_since,
            attempts, sendCounted,
            // The details shown are those of the evidence that decided the state.
            moved ? ev.status : row.status, moved ? ev.reason : row.reason, moved ? ev.category : row.category, moved ? ev.diagnostic : row.diagnostic,
            now,
          ],
        );
      }
      await all(
        q,
        `INSERT INTO evidence (delivery_id, at, source, state, status, reason, diagnostic, bounce_id, qid, dedup_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [after!.id, ev.at, ev.source, ev.state, ev.status, ev.reason, ev.diagnostic, bounceId, ev.qid, ev.dedupKey],
      );
      if (sendCounted) await addSendsCounted(q, ev.accountId, utcDay(ev.at), 1);
      const delivery = R.toDelivery(after!);
      return { deliveryId: delivery.id, previous, state: delivery.state, sendCounted, delivery };
    });
  }

  find(accountId: string, messageId: string, recipient: string): Promise<C.DeliveryRecord | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT * FROM deliveries WHERE account_id = $1 AND message_id = $2 AND recipient = $3`, [accountId, messageId, addr(recipient)]);
      return r ? R.toDelivery(r) : null;
    });
  }

  list(f: C.DeliveryFilter): Promise<C.DeliveryRecord[]> {
    return this.c.run(async (q) =>
      (
        await all(
          q,
          `SELECT d.*, (SELECT count(*) FROM evidence e WHERE e.delivery_id = d.id) AS evidence_count
             FROM deliveries d WHERE d.id > $1 AND ($2::text IS NULL OR d.account_id = $2) AND ($3::text IS NULL OR d.state = $3)
              AND ($5::bigint IS NULL OR d.first_at >= $5) AND ($6::bigint IS NULL OR d.first_at < $6)
            ORDER BY d.id LIMIT $4`,
          [f.after ?? 0, f.accountId ?? null, f.state ?? null, f.limit ?? 1000, f.since ?? null, f.until ?? null],
        )
      ).map(R.toDelivery),
    );
  }

  evidence(deliveryId: number): Promise<C.EvidenceRecord[]> {
    return this.c.run(async (q) => (await all(q, `SELECT * FROM evidence WHERE delivery_id = $1 ORDER BY id`, [deliveryId])).map(R.toEvidence));
  }

  duePending(cutoff: number, limit = 1000): Promise<C.DeliveryRecord[]> {
    return this.c.run(async (q) =>
      (await all(q, `SELECT * FROM deliveries WHERE state = 'pending' AND pending_since <= $1 ORDER BY pending_since, id LIMIT $2`, [cutoff, limit])).map(R.toDelivery),
    );
  }

  lastDeliveredAt(accountId: string, recipient: string): Promise<number | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT max(last_at) AS at FROM deliveries WHERE account_id = $1 AND recipient = $2 AND state = 'delivered'`, [accountId, addr(recipient)]);
      return r?.at ?? null;
    });
  }

  pendingByQid(qid: string): Promise<C.DeliveryRecord[]> {
    return this.c.run(async (q) =>
      (
        await all(q, `SELECT DISTINCT d.* FROM evidence e JOIN deliveries d ON d.id = e.delivery_id WHERE e.qid = $1 AND d.state = 'pending' ORDER BY d.id`, [qid])
      ).map(R.toDelivery),
    );
  }
}

// ---------------------------------------------------------------------------------------

export class PgSends implements C.SendRepo {
  constructor(private readonly c: PgCtx) {}

  add(accountId: string, day: string, n: number): Promise<void> {
    return this.c.unit((q) => addSendsCounted(q, accountId, day, n));
  }

  list(accountId?: string): Promise<C.SendCount[]> {
    return this.c.run(async (q) =>
      (
        await all(q, `SELECT account_id, day, count FROM sends WHERE ($1::text IS NULL OR account_id = $1) ORDER BY account_id, day`, [accountId ?? null])
      ).map((r) => ({ accountId: r.account_id, day: r.day, count: r.count })),
    );
  }
}

export class PgAccounts implements C.AccountRepo {
  constructor(private readonly c: PgCtx) {}

  get(id: string): Promise<C.Account | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT id, name, tier, profile, contact_email, created_at FROM accounts WHERE id = $1`, [id]);
      return r ? R.toAccount(r) : null;
    });
  }

  list(): Promise<C.Account[]> {
    return this.c.run(async (q) => (await all(q, `SELECT id, name, tier, profile, contact_email, created_at FROM accounts ORDER BY id`)).map(R.toAccount));
  }

  exists(id: string): Promise<boolean> {
    return this.c.run(async (q) => (await one(q, `SELECT 1 FROM accounts WHERE id = $1`, [id])) !== undefined);
  }

  insert(a: C.NewAccount, now: number): Promise<void> {
    return this.c.run(async (q) => {
      await all(
        q,
        `INSERT INTO accounts (id, name, created_at, tier, profile, contact_email, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $3)`,
        [a.id, a.name, now, a.tier, a.profile, a.contactEmail === null ? null : lower(a.contactEmail)],
      );
    });
  }

  update(a: C.NewAccount, now: number): Promise<boolean> {
    return this.c.run(
      async (q) =>
        (await count(q, `UPDATE accounts SET name = $2, tier = $3, profile = $4, contact_email = $5, updated_at = $6 WHERE id = $1`, [
          a.id, a.name, a.tier, a.profile, a.contactEmail === null ? null : lower(a.contactEmail), now,
        ])) === 1,
    );
  }

  state(accountId: string): Promise<C.PolicyState> {
    return this.c.run(async (q) => R.toPolicyState(await one(q, `SELECT * FROM account_policy WHERE account_id = $1`, [accountId])));
  }

  reviews(states: readonly string[]): Promise<Array<{ accountId: string; review: string; reviewForm: Record<string, unknown> | null; updatedAt: number }>> {
    return this.c.run(async (q) =>
      (await all(q, `SELECT * FROM account_policy WHERE review = ANY($1::text[]) ORDER BY updated_at, account_id`, [states as string[]])).map((r) => {
        const st = R.toPolicyState(r);
        return { accountId: r.account_id as string, review: st.review, reviewForm: (st.reviewForm as Record<string, unknown> | null | undefined) ?? null, updatedAt: st.updatedAt };
      }),
    );
  }

  softBounceLimit(accountId: string): Promise<SoftBounceLimit | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT bounces, window_days, suppress_days FROM account_soft_limits WHERE account_id = $1`, [accountId]);
      return r ? { bounces: r.bounces, windowDays: r.window_days, suppressDays: r.suppress_days } : null;
    });
  }

  setSoftBounceLimit(accountId: string, limit: SoftBounceLimit | null, now: number): Promise<void> {
    return this.c.run(async (q) => {
      if (!limit) await all(q, `DELETE FROM account_soft_limits WHERE account_id = $1`, [accountId]);
      else
        await all(
          q,
          `INSERT INTO account_soft_limits (account_id, bounces, window_days, suppress_days, updated_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (account_id) DO UPDATE SET bounces = excluded.bounces, window_days = excluded.window_days, suppress_days = excluded.suppress_days, updated_at = excluded.updated_at`,
          [accountId, limit.bounces, limit.windowDays, limit.suppressDays, now],
        );
    });
  }

  saveState(accountId: string, st: C.PolicyState, now: number): Promise<void> {
    const p = R.policyStateParams(accountId, st, now);
    return this.c.run(async (q) => {
      await all(
        q,
        `INSERT INTO account_policy (account_id, marketing, suspension, suspension_detail, suspended_at, one_to_one,
                one_to_one_suspension, one_to_one_suspended_at, review, review_form, baseline, warned, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (account_id) DO UPDATE SET marketing = excluded.marketing, suspension = excluded.suspension,
                suspension_detail = excluded.suspension_detail, suspended_at = excluded.suspended_at,
                one_to_one = excluded.one_to_one, one_to_one_suspension = excluded.one_to_one_suspension,
                one_to_one_suspended_at = excluded.one_to_one_suspended_at, review = excluded.review,
                review_form = excluded.review_form, baseline = excluded.baseline, warned = excluded.warned, updated_at = excluded.updated_at`,
        [p.accountId, p.marketing, p.suspension, p.suspensionDetail, p.suspendedAt, p.oneToOne, p.oneToOneSuspension, p.oneToOneSuspendedAt, p.review, p.reviewForm, p.baseline, p.warned, p.updatedAt],
      );
    });
  }
}

export class PgCampaigns implements C.CampaignRepo {
  constructor(private readonly c: PgCtx) {}

  get(accountId: string, campaign: string): Promise<C.Campaign | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT * FROM campaigns WHERE account_id = $1 AND campaign = $2`, [accountId, campaign]);
      return r ? R.toCampaign(r) : null;
    });
  }

  ensure(accountId: string, campaign: string, now: number): Promise<void> {
    return this.c.run(async (q) => void (await all(q, ENSURE_CAMPAIGN, [accountId, campaign, now])));
  }

  addSends(accountId: string, campaign: string, n: number, now: number): Promise<void> {
    return this.c.run(async (q) => {
      await all(
        q,
        `INSERT INTO campaigns (account_id, campaign, created_at, sends) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id, campaign) DO UPDATE SET sends = campaigns.sends + excluded.sends`,
        [accountId, campaign, now, n],
      );
    });
  }

  setPlanned(accountId: string, campaign: string, planned: number, now: number): Promise<void> {
    return this.c.run(async (q) => {
      await all(
        q,
        `INSERT INTO campaigns (account_id, campaign, created_at, planned) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id, campaign) DO UPDATE SET planned = excluded.planned`,
        [accountId, campaign, now, planned],
      );
    });
  }

  cancel(accountId: string, campaign: string, now: number): Promise<boolean> {
    return this.c.unit(async (q) => {
      const r = await one(
        q,
        `UPDATE campaigns SET state = 'cancelled', cancelled_at = $3 WHERE account_id = $1 AND campaign = $2 AND state = 'active' RETURNING 1 AS ok`,
        [accountId, campaign, now],
      );
      if (!r) return false;
      await all(q, BUMP_MONTH, [accountId, monthOf(now), 0, 1]);
      return true;
    });
  }
}

const ENSURE_CAMPAIGN = `INSERT INTO campaigns (account_id, campaign, created_at) VALUES ($1, $2, $3) ON CONFLICT (account_id, campaign) DO NOTHING`;

// ---------------------------------------------------------------------------------------

/** The pre-send check in one statement (see ../sqlite/statements.ts PRESEND_SQL); $3 the campaign or null. */
export const PG_PRESEND_SQL = `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1) AS account_exists,
          p.marketing, p.suspension, p.suspended_at, p.one_to_one, p.one_to_one_suspension,
          p.one_to_one_suspended_at, p.review, p.updated_at,
          s.account_id AS hit_account_id, s.reason, s.created_at, s.source,
          (SELECT cancelled_at FROM campaigns WHERE account_id = $1 AND campaign = $3 AND state = 'cancelled') AS campaign_cancelled_at
     FROM (SELECT $1::text AS id) AS a
     LEFT JOIN account_policy AS p ON p.account_id = a.id
     LEFT JOIN suppressions AS s ON s.address = $2 AND s.account_id IN (a.id, '*')`;

export class PgSuppressions implements C.SuppressionRepo {
  constructor(private readonly c: PgCtx) {}

  add(accountId: string, address: string, reason: SuppressionReason, source: string | null, now: number): Promise<boolean> {
    return this.c.run(
      async (q) =>
        (await count(
          q,
          `INSERT INTO suppressions (account_id, address, reason, created_at, source) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (address, account_id, reason) DO NOTHING`,
          [accountId, addr(address), reason, now, source],
        )) === 1,
    );
  }

  remove(accountId: string, address: string, reason: SuppressionReason): Promise<boolean> {
    return this.c.run(async (q) => (await count(q, `DELETE FROM suppressions WHERE address = $1 AND account_id = $2 AND reason = $3`, [addr(address), accountId, reason])) === 1);
  }

  hits(accountId: string, address: string): Promise<C.SuppressionHit[]> {
    return this.c.run((q) => hitsOf(q, accountId, address));
  }

  hitsMany(accountId: string, addresses: readonly string[]): Promise<C.SuppressionHit[][]> {
    return this.c.run(async (q) => {
      if (!addresses.length) return [];
      const wanted = addresses.map(addr);
      const rows = await all(
        q,
        `SELECT address, account_id, reason, created_at, source FROM suppressions
          WHERE address = ANY(ARRAY(SELECT jsonb_array_elements_text($1::jsonb))) AND account_id IN ($2, '*')`,
        [wanted, accountId],
      );
      const by = new Map<string, C.SuppressionHit[]>();
      for (const r of rows) {
        const list = by.get(r.address as string) ?? [];
        list.push(R.toHit(r));
        by.set(r.address as string, list);
      }
      return wanted.map((a) => by.get(a) ?? []);
    });
  }

  preSend(accountId: string, address: string, campaign: string | null = null): Promise<C.PreSendRead> {
    return this.c.run(async (q) => {
      const rows = await all(q, PG_PRESEND_SQL, [accountId, addr(address), campaign]);
      const r = rows[0]!;
      const state: C.PreSendRead['state'] =
        r.marketing === null
          ? { marketing: 'ok', suspension: null, suspendedAt: null, oneToOne: 'ok', oneToOneSuspension: null, oneToOneSuspendedAt: null, review: 'none', updatedAt: 0 }
          : {
              marketing: r.marketing, suspension: r.suspension, suspendedAt: r.suspended_at, oneToOne: r.one_to_one,
              oneToOneSuspension: r.one_to_one_suspension, oneToOneSuspendedAt: r.one_to_one_suspended_at, review: r.review, updatedAt: r.updated_at,
            };
      const hits: C.SuppressionHit[] = [];
      for (const h of rows) if (h.hit_account_id !== null) hits.push({ accountId: h.hit_account_id, reason: h.reason, createdAt: h.created_at, source: h.source });
      return { accountExists: r.account_exists === true, state, hits, campaignCancelledAt: r.campaign_cancelled_at ?? null };
    });
  }

  list(f: C.SuppressionFilter): Promise<C.SuppressionRecord[]> {
    const owners = f.scope === 'account' ? [f.accountId] : f.scope === 'global' ? [GLOBAL_ACCOUNT] : [f.accountId, GLOBAL_ACCOUNT];
    // As in SQLite: one page per owner read in index order and cut at the limit, then merged.
    // Each page is written so that only its index gives its order: with `account_id = $o ...
    // ORDER BY id` the planner may walk the primary key instead, filtering, and where an
    // owner's rows come late in id order that read every other row first (200-700 ms a page
    // at 1 M rows, bench/suppression-filter.mjs). A row comparison starts the index scan at the
    // cursor; the upper bound on the leading column(s) ends it. The limit is a literal (a
    // checked integer) so the planner knows the page is small.
    const limit = Math.max(1, Math.trunc(Number(f.limit)) || 1);
    const params: unknown[] = [f.afterId ?? 0];
    const bind = (v: unknown) => `$${params.push(v)}`;
    const extra: string[] = [];
    if (f.since !== undefined) extra.push(`created_at >= ${bind(f.since)}`);
    if (f.until !== undefined) extra.push(`created_at < ${bind(f.until)}`);
    const page = (owner: string) => {
      const o = bind(owner);
      const where = f.reason
        ? (() => {
            const r = bind(f.reason);
            return [`account_id = ${o}`, `(reason, id) > (${r}, $1)`, `reason <= ${r}`];
          })()
        : [`(account_id, id) > (${o}, $1)`, `account_id <= ${o}`];
      const order = f.reason ? 'reason, id' : 'account_id, id';
      return `(SELECT * FROM suppressions WHERE ${[...where, ...extra].join(' AND ')} ORDER BY ${order} LIMIT ${limit})`;
    };
    const sql = owners.length === 1 ? page(owners[0]!) : `SELECT * FROM (${owners.map(page).join(' UNION ALL ')}) s ORDER BY id LIMIT ${limit}`;
    return this.c.run(async (q) => (await all(q, sql, params)).map(R.toSuppression));
  }

  expireSoftLimits(now: number, limit = 1000): Promise<Array<{ accountId: string; address: string }>> {
    return this.c.run(async (q) =>
      (
        await all(
          q,
          `DELETE FROM suppressions WHERE id IN (
             SELECT s.id FROM suppressions s JOIN account_soft_limits l ON l.account_id = s.account_id
              WHERE s.reason = 'soft_bounce_limit' AND s.created_at + l.suppress_days * 86400000::bigint <= $1 LIMIT $2 FOR UPDATE OF s SKIP LOCKED)
           RETURNING account_id, address`,
          [now, limit],
        )
      ).map((r) => ({ accountId: r.account_id, address: r.address })),
    );
  }

  counts(): Promise<Record<'account' | 'global', number>> {
    return this.c.run(async (q) => {
      const counts = { account: 0, global: 0 };
      for (const r of await all(q, `SELECT account_id = '*' AS global, count(*) AS n FROM suppressions GROUP BY 1`)) counts[r.global ? 'global' : 'account'] = r.n;
      return counts;
    });
  }
}

async function hitsOf(q: Q, accountId: string, address: string): Promise<C.SuppressionHit[]> {
  return (await all(q, `SELECT account_id, reason, created_at, source FROM suppressions WHERE address = $1 AND account_id IN ($2, '*')`, [addr(address), accountId])).map(R.toHit);
}

// ---------------------------------------------------------------------------------------

export class PgFailures implements C.FailureRepo {
  constructor(private readonly c: PgCtx) {}

  record(f: C.FailureInput): Promise<void> {
    const next = { ...f, recipient: addr(f.recipient) };
    const params = [next.deliveryId, next.accountId, next.recipient, next.channel, next.campaign, next.state, next.reason, next.category, next.addressReason, next.at];
    return this.c.unit(async (q) => {
      const inserted = await one(
        q,
        `INSERT INTO delivery_failures (delivery_id, account_id, recipient, channel, campaign, state, reason, category, address_reason, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id`,
        params,
      );
      if (!inserted) {
        // Locked, so that the contribution taken out is the one in the counters.
        const old = (await one(q, `SELECT * FROM delivery_failures WHERE delivery_id = $1 FOR UPDATE`, [f.deliveryId]))!;
        await all(
          q,
          `UPDATE delivery_failures SET account_id = $2, recipient = $3, channel = $4, campaign = $5, state = $6, reason = $7,
                  category = $8, address_reason = $9, at = $10 WHERE delivery_id = $1`,
          params,
        );
        await moveFailure(q, R.toFailure(old), -1);
      }
      await moveFailure(q, next, 1);
    });
  }

  globalBounceAccounts(address: string, since: number): Promise<number> {
    return this.c.run(async (q) =>
      (await one(
        q,
        `SELECT count(DISTINCT account_id) AS n FROM delivery_failures
          WHERE recipient = $1 AND address_reason AND state = 'hard' AND channel = 'marketing' AND at >= $2`,
        [addr(address), since],
      ))!.n as number,
    );
  }

  hardOf(accountId: string): Promise<Array<{ deliveryId: number; recipient: string; category: string | null; at: number }>> {
    return this.c.run(async (q) =>
      (
        await all(
          q,
          `SELECT delivery_id, recipient, category, at FROM delivery_failures
            WHERE account_id = $1 AND state = 'hard' AND channel = 'marketing' ORDER BY delivery_id`,
          [accountId],
        )
      ).map((r) => ({ deliveryId: r.delivery_id, recipient: r.recipient, category: r.category, at: r.at })),
    );
  }

  softSince(accountId: string, recipient: string, since: number): Promise<number> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT count(*) AS n FROM delivery_failures WHERE account_id = $1 AND recipient = $2 AND state = 'soft' AND at >= $3`, [accountId, addr(recipient), since]);
      return Number(r?.n ?? 0);
    });
  }

  list(accountId: string): Promise<C.FailureRecord[]> {
    return this.c.run(async (q) => (await all(q, `SELECT * FROM delivery_failures WHERE account_id = $1 ORDER BY delivery_id`, [accountId])).map(R.toFailure));
  }

  ofCampaign(accountId: string, campaign: string, afterDeliveryId: number, limit: number): Promise<C.FailureRecord[]> {
    return this.c.run(async (q) =>
      (
        await all(q, `SELECT * FROM delivery_failures WHERE account_id = $1 AND campaign = $2 AND delivery_id > $3 ORDER BY delivery_id LIMIT $4`, [
          accountId, campaign, afterDeliveryId, limit,
        ])
      ).map(R.toFailure),
    );
  }
}

export class PgReports implements C.ReportRepo {
  constructor(private readonly c: PgCtx) {}

  add(r: C.ContactReport): Promise<boolean> {
    return this.c.unit(async (q) => {
      const inserted = await one(
        q,
        `INSERT INTO contact_reports (account_id, kind, message_id, recipient, channel, campaign, at, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (account_id, kind, message_id, recipient) DO NOTHING RETURNING id`,
        [r.accountId, r.kind, r.messageId, addr(r.recipient), r.channel, r.campaign, r.at, r.source],
      );
      if (!inserted) return false;
      const complaint = r.kind === 'complaint' ? 1 : 0;
      await all(q, BUMP_CHANNEL, [r.accountId, monthOf(r.at), r.channel, 0, 0, 0, complaint, 1 - complaint]);
      if (r.campaign !== null) await all(q, BUMP_CAMPAIGN, [r.accountId, r.campaign, 0, complaint, 1 - complaint]);
      return true;
    });
  }

  list(accountId: string): Promise<C.ContactReport[]> {
    return this.c.run(async (q) => (await all(q, `SELECT * FROM contact_reports WHERE account_id = $1 ORDER BY id`, [accountId])).map(R.toReport));
  }

  daily(accountId: string, since: number): Promise<Array<{ day: string; kind: ContactReportKind; count: number }>> {
    return this.c.run(async (q) =>
      (
        await all(
          q,
          `SELECT to_char(to_timestamp(at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, kind, count(*)::int AS n
             FROM contact_reports WHERE account_id = $1 AND kind IN (${REPORT_KINDS}) AND at >= $2 GROUP BY 1, 2 ORDER BY 1, 2`,
          [accountId, since],
        )
      ).map((r) => ({ day: r.day as string, kind: r.kind as ContactReportKind, count: Number(r.n) })),
    );
  }
}

const toFigures = (r: R.Row): Figures => ({
  sends: r.sends, hardBounces: r.hard_bounces, complaints: r.complaints, unsubscribes: r.unsubscribes,
  senderFailures: r.sender_failures, cancelledCampaigns: r.cancelled_campaigns, blocklistings: r.blocklistings,
});

export class PgCounters implements C.CounterRepo {
  constructor(private readonly c: PgCtx) {}

  month(accountId: string, month: string, channel: Channel): Promise<Figures> {
    return this.c.run(async (q) =>
      toFigures(
        (await one(
          q,
          `SELECT coalesce(m.sends, 0) AS sends, coalesce(c.hard_bounces, 0) AS hard_bounces, coalesce(c.complaints, 0) AS complaints,
                  coalesce(c.unsubscribes, 0) AS unsubscribes, coalesce(c.sender_failures, 0) AS sender_failures,
                  coalesce(m.cancelled_campaigns, 0) AS cancelled_campaigns, coalesce(c.blocklistings, 0) AS blocklistings
             FROM (SELECT $1::text AS a, $2::text AS mo, $3::text AS ch) AS k
             LEFT JOIN account_months AS m ON m.account_id = k.a AND m.month = k.mo
             LEFT JOIN account_month_channels AS c ON c.account_id = k.a AND c.month = k.mo AND c.channel = k.ch`,
          [accountId, month, channel],
        ))!,
      ),
    );
  }

  campaign(accountId: string, campaign: string): Promise<{ hardBounces: number; complaints: number; unsubscribes: number }> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT hard_bounces, complaints, unsubscribes FROM campaign_counts WHERE account_id = $1 AND campaign = $2`, [accountId, campaign]);
      return r ? { hardBounces: r.hard_bounces, complaints: r.complaints, unsubscribes: r.unsubscribes } : { hardBounces: 0, complaints: 0, unsubscribes: 0 };
    });
  }

  activeAccounts(month: string): Promise<string[]> {
    return this.c.run(async (q) =>
      (await all(q, `SELECT account_id FROM account_months WHERE month = $1 UNION SELECT account_id FROM account_month_channels WHERE month = $1 ORDER BY 1`, [month])).map(
        (r) => r.account_id as string,
      ),
    );
  }

  recount(accountId: string, month: string, channel: Channel): Promise<Figures> {
    const r = monthRange(month);
    return this.c.run(async (q) =>
      toFigures(
        (await one(
          q,
          `SELECT (SELECT coalesce(sum(count), 0) FROM sends WHERE account_id = $1 AND day >= $2 AND day < $3)::bigint AS sends,
                  f.hard_bounces, f.sender_failures, f.blocklistings, rp.complaints, rp.unsubscribes,
                  (SELECT count(*) FROM campaigns WHERE account_id = $1 AND state = 'cancelled' AND cancelled_at >= $4 AND cancelled_at < $5) AS cancelled_campaigns
             FROM (SELECT count(*) FILTER (WHERE state = 'hard') AS hard_bounces,
                          count(*) FILTER (WHERE state = 'hard' AND category IN (${R.SQL_SENDER_SIDE_CATEGORIES})) AS sender_failures,
                          count(*) FILTER (WHERE reason IN (${R.SQL_BLOCKLIST_REASONS})) AS blocklistings
                     FROM delivery_failures WHERE account_id = $1 AND at >= $4 AND at < $5 AND channel = $6) AS f,
                  (SELECT count(*) FILTER (WHERE kind = 'complaint') AS complaints, count(*) FILTER (WHERE kind = 'unsubscribe') AS unsubscribes
                     FROM contact_reports WHERE account_id = $1 AND at >= $4 AND at < $5 AND channel = $6) AS rp`,
          [accountId, r.firstDay, r.nextFirstDay, r.start, r.end, channel],
        ))!,
      ),
    );
  }
}

// ---------------------------------------------------------------------------------------

export class PgAppeals implements C.AppealRepo {
  constructor(private readonly c: PgCtx) {}

  file(accountId: string, channel: Channel, form: Record<string, unknown>, now: number): Promise<number> {
    return this.c.run(async (q) =>
      (await one(q, `INSERT INTO appeals (account_id, channel, state, form, filed_at) VALUES ($1, $2, 'open', $3, $4) RETURNING id`, [accountId, channel, JSON.stringify(form), now]))!
        .id as number,
    );
  }

  get(id: number): Promise<C.Appeal | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT * FROM appeals WHERE id = $1`, [id]);
      return r ? R.toAppeal(r) : null;
    });
  }

  openOf(accountId: string): Promise<C.Appeal | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT * FROM appeals WHERE account_id = $1 AND state = 'open'`, [accountId]);
      return r ? R.toAppeal(r) : null;
    });
  }

  list(accountId?: string): Promise<C.Appeal[]> {
    return this.c.run(async (q) => (await all(q, `SELECT * FROM appeals WHERE ($1::text IS NULL OR account_id = $1) ORDER BY id`, [accountId ?? null])).map(R.toAppeal));
  }

  decide(id: number, state: 'reinstated' | 'denied', actor: string, reason: string, now: number): Promise<boolean> {
    return this.c.run(
      async (q) =>
        (await count(q, `UPDATE appeals SET state = $2, decided_at = $3, decided_by = $4, decision_reason = $5 WHERE id = $1 AND state = 'open'`, [id, state, now, actor, reason])) === 1,
    );
  }
}

export class PgAbuse implements C.AbuseRepo {
  constructor(private readonly c: PgCtx) {}

  add(accountId: string, actor: string, detail: string, now: number): Promise<number> {
    return this.c.run(async (q) => (await one(q, `INSERT INTO abuse_reports (account_id, at, actor, detail) VALUES ($1, $2, $3, $4) RETURNING id`, [accountId, now, actor, detail]))!.id as number);
  }

  list(accountId: string): Promise<C.AbuseReport[]> {
    return this.c.run(async (q) => (await all(q, `SELECT * FROM abuse_reports WHERE account_id = $1 ORDER BY id`, [accountId])).map(R.toAbuse));
  }
}

export class PgAudit implements C.AuditRepo {
  constructor(private readonly c: PgCtx) {}

  add(e: C.AuditEntry): Promise<void> {
    return this.c.run(async (q) => {
      await all(q, `INSERT INTO policy_audit (at, actor, account_id, action, subject, detail) VALUES ($1, $2, $3, $4, $5, $6)`, [
        e.at, e.actor, e.accountId, e.action, e.subject, e.detail ? JSON.stringify(e.detail) : null,
      ]);
    });
  }

  lastAt(accountId: string, action: string, subject: string): Promise<number | null> {
    return this.c.run(async (q) => ((await one(q, `SELECT max(at) AS at FROM policy_audit WHERE account_id = $1 AND action = $2 AND subject = $3`, [accountId, action, subject]))!.at as number | null) ?? null);
  }

  list(accountId: string): Promise<C.AuditRecord[]> {
    return this.c.run(async (q) => (await all(q, `SELECT * FROM policy_audit WHERE account_id = $1 ORDER BY id`, [accountId])).map(R.toAudit));
  }
}

export class PgNotifications implements C.NotificationRepo {
  constructor(private readonly c: PgCtx) {}

  enqueue(n: C.NewNotification, now: number): Promise<number> {
    return this.c.run(async (q) =>
      (await one(
        q,
        `INSERT INTO notifications (account_id, kind, recipient, subject, body, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
        [n.accountId, n.kind, n.recipient, n.subject, n.body, now],
      ))!.id as number,
    );
  }

  due(now: number, limit = 100): Promise<C.Notification[]> {
    return this.c.run(async (q) => (await all(q, `SELECT * FROM notifications WHERE sent_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2`, [now, limit])).map(R.toNotification));
  }

  markSent(id: number, now: number): Promise<void> {
    return this.c.run(async (q) => void (await all(q, `UPDATE notifications SET sent_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1`, [id, now])));
  }

  markFailed(id: number, nextAttemptAt: number, error: string): Promise<void> {
    return this.c.run(async (q) => void (await all(q, `UPDATE notifications SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3 WHERE id = $1`, [id, nextAttemptAt, error])));
  }

  list(accountId?: string): Promise<C.Notification[]> {
    return this.c.run(async (q) => (await all(q, `SELECT * FROM notifications WHERE ($1::text IS NULL OR account_id = $1) ORDER BY id`, [accountId ?? null])).map(R.toNotification));
  }
}

export class PgKeys implements C.KeyRepo {
  constructor(private readonly c: PgCtx) {}

  insert(k: { id: string; accountId: string | null; hash: string; prefix: string; name: string | null }, now: number): Promise<C.ApiKeyRecord> {
    return this.c.run(async (q) => {
      await all(q, `INSERT INTO api_keys (id, account_id, hash, prefix, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)`, [k.id, k.accountId, k.hash, k.prefix, k.name, now]);
      return { id: k.id, accountId: k.accountId, prefix: k.prefix, name: k.name, createdAt: now, revokedAt: null };
    });
  }

  findByHash(hash: string): Promise<(C.ApiKeyRecord & { hash: string }) | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT * FROM api_keys WHERE hash = $1`, [hash]);
      return r ? { ...R.toKey(r), hash: r.hash as string } : null;
    });
  }

  list(accountId: string | null): Promise<C.ApiKeyRecord[]> {
    return this.c.run(async (q) => (await all(q, `SELECT * FROM api_keys WHERE account_id IS NOT DISTINCT FROM $1 ORDER BY created_at, id`, [accountId])).map(R.toKey));
  }

  revoke(accountId: string | null, keyId: string, now: number): Promise<boolean> {
    return this.c.run(
      async (q) => (await count(q, `UPDATE api_keys SET revoked_at = $3 WHERE id = $2 AND account_id IS NOT DISTINCT FROM $1 AND revoked_at IS NULL`, [accountId, keyId, now])) === 1,
    );
  }
}

// ---------------------------------------------------------------------------------------

export class PgSessions implements C.SessionRepo {
  constructor(private readonly c: PgCtx) {}

  insert(idHash: string, x: C.DashboardSession): Promise<void> {
    return this.c.run(async (q) => {
      await all(q, `INSERT INTO dashboard_sessions (id_hash, key_id, account_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
        idHash, x.keyId, x.accountId, x.csrf, x.createdAt, x.expiresAt,
      ]);
    });
  }

  find(idHash: string, now: number): Promise<C.DashboardSession | null> {
    return this.c.run(async (q) => {
      // An account session lives only while its key does (admin sessions have no api_keys row).
      const r = await one(
        q,
        `SELECT s.* FROM dashboard_sessions s LEFT JOIN api_keys k ON k.id = s.key_id
          WHERE s.id_hash = $1 AND s.expires_at > $2 AND (s.account_id IS NULL OR (k.id IS NOT NULL AND k.revoked_at IS NULL))`,
        [idHash, now],
      );
      return r ? R.toSession(r) : null;
    });
  }

  delete(idHash: string): Promise<boolean> {
    return this.c.run(async (q) => (await count(q, `DELETE FROM dashboard_sessions WHERE id_hash = $1`, [idHash])) === 1);
  }

  prune(now: number): Promise<number> {
    return this.c.run((q) => count(q, `DELETE FROM dashboard_sessions WHERE expires_at <= $1`, [now]));
  }
}

// ---------------------------------------------------------------------------------------

export class PgEvents implements C.EventRepo {
  constructor(private readonly c: PgCtx) {}

  add(accountId: string | null, type: EventType, payload: Record<string, unknown>, now: number): Promise<{ id: number; eventId: string }> {
    return this.c.run(async (q) => {
      const eventId = randomUUID();
      const r = await one(q, `INSERT INTO events (event_id, account_id, type, payload, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [eventId, accountId, type, JSON.stringify(payload), now]);
      return { id: r!.id as number, eventId };
    });
  }

  list(afterId = 0, limit = 1000): Promise<C.StoredEvent[]> {
    return this.c.run(async (q) => (await all(q, `SELECT * FROM events WHERE id > $1 ORDER BY id LIMIT $2`, [afterId, limit])).map(R.toEvent));
  }
}

const FANOUT_BATCH = 1000;

export class PgWebhooks implements C.WebhookRepo {
  constructor(private readonly c: PgCtx) {}

  createEndpoint(e: { id: string; accountId: string; url: string; secret: string; events: string[] }, now: number): Promise<C.WebhookEndpoint> {
    return this.c.run(async (q) => {
      await all(
        q,
        `INSERT INTO webhook_endpoints (id, account_id, url, secret, events, from_event_row, created_at)
         VALUES ($1, $2, $3, $4, $5, (SELECT coalesce(max(id), 0) FROM events), $6)`,
        [e.id, e.accountId, e.url, e.secret, JSON.stringify(e.events), now],
      );
      return { id: e.id, accountId: e.accountId, url: e.url, events: e.events, createdAt: now, disabledAt: null };
    });
  }

  listEndpoints(accountId: string): Promise<C.WebhookEndpoint[]> {
    return this.c.run(async (q) => (await all(q, `SELECT * FROM webhook_endpoints WHERE account_id = $1 AND disabled_at IS NULL ORDER BY created_at, id`, [accountId])).map(R.toEndpoint));
  }

  getEndpoint(accountId: string, id: string): Promise<C.WebhookEndpoint | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT * FROM webhook_endpoints WHERE id = $1 AND account_id = $2`, [id, accountId]);
      return r ? R.toEndpoint(r) : null;
    });
  }

  disableEndpoint(accountId: string, id: string, now: number): Promise<boolean> {
    return this.c.unit(async (q) => {
      if ((await count(q, `UPDATE webhook_endpoints SET disabled_at = $3 WHERE id = $1 AND account_id = $2 AND disabled_at IS NULL`, [id, accountId, now])) === 0) return false;
      await all(
        q,
        `UPDATE webhook_deliveries SET next_attempt_at = NULL, failed_at = $2, last_error = 'endpoint removed', claimed_by = NULL, claimed_until = NULL
          WHERE endpoint_id = $1 AND next_attempt_at IS NOT NULL`,
        [id, now],
      );
      return true;
    });
  }

  /**
   * Events not yet fanned out, a batch at a time, taken FOR UPDATE SKIP LOCKED: two nodes
   * fanning out at once take different events, and the unique (event, endpoint) keeps a
   * delivery single if a fan-out is redone.
   */
  async fanOut(now: number): Promise<number> {
    let total = 0;
    for (;;) {
      const r = await this.c.unit(
        (q) =>
          one(
            q,
            `WITH ev AS (SELECT id, account_id, type FROM events WHERE NOT fanned_out ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED),
                  ins AS (
                    INSERT INTO webhook_deliveries (event_row, endpoint_id, created_at, next_attempt_at)
                    SELECT ev.id, w.id, $1, $1
                      FROM ev JOIN webhook_endpoints w ON w.account_id = ev.account_id OR ev.account_id IS NULL
                     WHERE ev.id > w.from_event_row AND w.disabled_at IS NULL
                       AND ((ev.account_id IS NOT NULL AND w.events = '[]')
                            OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(w.events::jsonb) j WHERE j = ev.type))
                    ON CONFLICT (event_row, endpoint_id) DO NOTHING RETURNING 1),
                  done AS (UPDATE events SET fanned_out = true WHERE id IN (SELECT id FROM ev) RETURNING 1)
             SELECT (SELECT count(*) FROM ins) AS inserted, (SELECT count(*) FROM done) AS events`,
            [now, FANOUT_BATCH],
          ),
        false,
      );
      total += r!.inserted as number;
      if ((r!.events as number) < FANOUT_BATCH) return total;
    }
  }

  claimDue(node: string, now: number, limit: number, leaseMs: number): Promise<C.DueDelivery[]> {
    return this.c.unit(async (q) => {
      const rows = await all(
        q,
        `WITH due AS (SELECT d.id FROM webhook_deliveries d
                        WHERE d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= $1 AND (d.claimed_until IS NULL OR d.claimed_until <= $1)
                        ORDER BY d.next_attempt_at, d.id LIMIT $2 FOR UPDATE SKIP LOCKED),
              c AS (UPDATE webhook_deliveries d SET claimed_by = $3, claimed_until = $4 FROM due WHERE d.id = due.id RETURNING d.id)
         SELECT ${R.DUE_DELIVERY_COLUMNS}, d.next_attempt_at
           FROM c JOIN webhook_deliveries d ON d.id = c.id
           JOIN webhook_endpoints w ON w.id = d.endpoint_id
           JOIN events e ON e.id = d.event_row
          ORDER BY d.next_attempt_at, d.id`,
        [now, limit, node, now + leaseMs],
      );
      return rows.map(R.toDue);
    }, false);
  }

  postpone(id: number, at: number): Promise<void> {
    return this.c.run(async (q) => void (await all(q, `UPDATE webhook_deliveries SET next_attempt_at = $2, claimed_by = NULL, claimed_until = NULL WHERE id = $1 AND next_attempt_at IS NOT NULL`, [id, at])));
  }

  nextDueAt(): Promise<number | null> {
    return this.c.run(async (q) => ((await one(q, `SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL`))!.at as number | null) ?? null);
  }

  recordAttempt(id: number, a: C.WebhookAttempt, o: C.AttemptOutcome): Promise<void> {
    return this.c.unit(async (q) => {
      await all(q, `INSERT INTO webhook_attempts (delivery_id, at, status, error, duration_ms) VALUES ($1, $2, $3, $4, $5)`, [id, a.at, a.status, a.error, a.durationMs]);
      await all(
        q,
        `UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = $2, last_status = $3, last_error = $4,
                next_attempt_at = $5, delivered_at = $6, failed_at = $7, claimed_by = NULL, claimed_until = NULL
          WHERE id = $1 AND next_attempt_at IS NOT NULL`,
        [id, a.at, a.status, a.error, o.nextAttemptAt, o.deliveredAt, o.failedAt],
      );
    });
  }

  failures(f: { accountId?: string; beforeId?: number; limit: number }): Promise<C.WebhookFailure[]> {
    const params: unknown[] = [f.beforeId ?? Number.MAX_SAFE_INTEGER, f.limit];
    if (f.accountId !== undefined) params.push(f.accountId);
    return this.c.run(async (q) =>
      (
        await all(
          q,
          `SELECT ${R.WEBHOOK_DELIVERY_COLUMNS}, w.account_id, w.url FROM webhook_deliveries d
             JOIN webhook_endpoints w ON w.id = d.endpoint_id JOIN events e ON e.id = d.event_row
            WHERE d.delivered_at IS NULL AND d.attempts > 0 AND d.id < $1${f.accountId === undefined ? '' : ' AND w.account_id = $3'}
            ORDER BY d.id DESC LIMIT $2`,
          params,
        )
      ).map((r) => ({ ...R.toWebhookDelivery(r), accountId: r.account_id as string, url: r.url as string })),
    );
  }

  listDeliveries(endpointId: string, after: number, limit: number): Promise<C.WebhookDelivery[]> {
    return this.c.run(async (q) =>
      (
        await all(q, `SELECT ${R.WEBHOOK_DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_row WHERE d.endpoint_id = $1 AND d.id > $2 ORDER BY d.id LIMIT $3`, [
          endpointId, after, limit,
        ])
      ).map(R.toWebhookDelivery),
    );
  }

  getDelivery(endpointId: string, id: number): Promise<(C.WebhookDelivery & { attemptLog: C.WebhookAttempt[] }) | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT ${R.WEBHOOK_DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_row WHERE d.id = $1 AND d.endpoint_id = $2`, [id, endpointId]);
      if (!r) return null;
      const attemptLog = (await all(q, `SELECT at, status, error, duration_ms FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id`, [id])).map((a) => ({
        at: a.at, status: a.status, error: a.error, durationMs: a.duration_ms,
      }));
      return { ...R.toWebhookDelivery(r), attemptLog };
    });
  }

  retry(endpointId: string, id: number, now: number): Promise<boolean> {
    return this.c.run(
      async (q) =>
        (await count(
          q,
          `UPDATE webhook_deliveries SET next_attempt_at = $3, failed_at = NULL, claimed_by = NULL, claimed_until = NULL
            WHERE id = $1 AND endpoint_id = $2 AND delivered_at IS NULL`,
          [id, endpointId, now],
        )) === 1,
    );
  }
}

// ---------------------------------------------------------------------------------------

export class PgJobs implements C.JobRepo {
  constructor(private readonly c: PgCtx) {}

  get(name: string): Promise<C.JobState | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT * FROM jobs WHERE name = $1`, [name]);
      return r ? R.toJob(r) : null;
    });
  }

  acquire(name: string, node: string, now: number, leaseMs: number): Promise<boolean> {
    return this.c.run(
      async (q) =>
        (await one(
          q,
          `INSERT INTO jobs (name, last_run_at, next_run_at, last_error, lease_holder, lease_until) VALUES ($1, NULL, $3, NULL, $2, $4)
           ON CONFLICT (name) DO UPDATE SET lease_holder = excluded.lease_holder, lease_until = excluded.lease_until
            WHERE jobs.next_run_at <= $3 AND (jobs.lease_until IS NULL OR jobs.lease_until <= $3 OR jobs.lease_holder = $2)
           RETURNING name`,
          [name, node, now, now + leaseMs],
        )) !== undefined,
    );
  }

  finish(name: string, node: string, run: { lastRunAt: number; nextRunAt: number; error: string | null }): Promise<boolean> {
    return this.c.run(
      async (q) =>
        (await count(
          q,
          `UPDATE jobs SET last_run_at = $3, next_run_at = $4, last_error = $5, lease_holder = NULL, lease_until = NULL WHERE name = $1 AND lease_holder = $2`,
          [name, node, run.lastRunAt, run.nextRunAt, run.error],
        )) === 1,
    );
  }

  save(name: string, lastRunAt: number | null, nextRunAt: number, error: string | null): Promise<void> {
    return this.c.run(async (q) => {
      await all(
        q,
        `INSERT INTO jobs (name, last_run_at, next_run_at, last_error) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at, next_run_at = excluded.next_run_at, last_error = excluded.last_error`,
        [name, lastRunAt, nextRunAt, error],
      );
    });
  }
}

export class PgTail implements C.TailRepo {
  constructor(private readonly c: PgCtx) {}

  checkpoint(path: string): Promise<C.TailCheckpoint | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT * FROM tail_checkpoints WHERE path = $1`, [path]);
      return r ? R.toCheckpoint(r) : null;
    });
  }

  setCheckpoint(cp: C.TailCheckpoint, now: number): Promise<void> {
    return this.c.run(async (q) => {
      await all(
        q,
        `INSERT INTO tail_checkpoints (path, inode, "offset", lines, unparsed, head, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (path) DO UPDATE SET inode = excluded.inode, "offset" = excluded."offset", lines = excluded.lines,
                                          unparsed = excluded.unparsed, head = excluded.head, updated_at = excluded.updated_at`,
        [cp.path, cp.inode, cp.offset, cp.lines, cp.unparsed, cp.head ?? null, now],
      );
    });
  }

  rememberSender(qid: string, sender: string, at: number): Promise<void> {
    return this.c.run(async (q) => {
      await all(q, `INSERT INTO log_queue (qid, sender, seen_at) VALUES ($1, $2, $3) ON CONFLICT (qid) DO UPDATE SET sender = excluded.sender, seen_at = excluded.seen_at`, [qid, sender, at]);
    });
  }

  rememberMessageId(qid: string, messageId: string, at: number): Promise<void> {
    return this.c.run(async (q) => {
      await all(q, `INSERT INTO log_queue (qid, sender, message_id, seen_at) VALUES ($1, '', $2, $3) ON CONFLICT (qid) DO UPDATE SET message_id = excluded.message_id`, [qid, messageId, at]);
    });
  }

  lookupQueue(qid: string): Promise<{ sender: string; messageId: string | null } | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT sender, message_id FROM log_queue WHERE qid = $1`, [qid]);
      return r ? { sender: r.sender, messageId: r.message_id } : null;
    });
  }

  pruneQueue(before: number): Promise<number> {
    return this.c.run((q) => count(q, `DELETE FROM log_queue WHERE seen_at < $1`, [before]));
  }
}

/** The repositories over one context (the pool's, or one transaction's), made on first use. */
export class PgRepositories implements C.Repositories {
  private m?: PgMessages;
  private b?: PgBounces;
  private d?: PgDeliveries;
  private se?: PgSends;
  private su?: PgSuppressions;
  private a?: PgAccounts;
  private ca?: PgCampaigns;
  private co?: PgCounters;
  private r?: PgReports;
  private f?: PgFailures;
  private ap?: PgAppeals;
  private ab?: PgAbuse;
  private au?: PgAudit;
  private n?: PgNotifications;
  private k?: PgKeys;
  private ss?: PgSessions;
  private e?: PgEvents;
  private w?: PgWebhooks;
  private j?: PgJobs;
  private t?: PgTail;
  private ib?: PgInboxes;

  constructor(protected readonly ctx: PgCtx) {}

  get messages() { return (this.m ??= new PgMessages(this.ctx)); }
  get bounces() { return (this.b ??= new PgBounces(this.ctx)); }
  get deliveries() { return (this.d ??= new PgDeliveries(this.ctx)); }
  get sends() { return (this.se ??= new PgSends(this.ctx)); }
  get suppressions() { return (this.su ??= new PgSuppressions(this.ctx)); }
  get accounts() { return (this.a ??= new PgAccounts(this.ctx)); }
  get campaigns() { return (this.ca ??= new PgCampaigns(this.ctx)); }
  get counters() { return (this.co ??= new PgCounters(this.ctx)); }
  get reports() { return (this.r ??= new PgReports(this.ctx)); }
  get failures() { return (this.f ??= new PgFailures(this.ctx)); }
  get appeals() { return (this.ap ??= new PgAppeals(this.ctx)); }
  get abuse() { return (this.ab ??= new PgAbuse(this.ctx)); }
  get audit() { return (this.au ??= new PgAudit(this.ctx)); }
  get notifications() { return (this.n ??= new PgNotifications(this.ctx)); }
  get keys() { return (this.k ??= new PgKeys(this.ctx)); }
  get sessions() { return (this.ss ??= new PgSessions(this.ctx)); }
  get events() { return (this.e ??= new PgEvents(this.ctx)); }
  get webhooks() { return (this.w ??= new PgWebhooks(this.ctx)); }
  get jobs() { return (this.j ??= new PgJobs(this.ctx)); }
  get tail() { return (this.t ??= new PgTail(this.ctx)); }
  get inboxes() { return (this.ib ??= new PgInboxes(this.ctx)); }
  private es?: PgEspEvents;
  get espEvents() { return (this.es ??= new PgEspEvents(this.ctx)); }
}

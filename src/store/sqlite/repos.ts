// The SQLite repositories: synchronous better-sqlite3 statements (./statements.ts) behind the
// asynchronous contract (../contract.ts), run through a Gate (./gate.ts): on their own
// outside a transaction, inside it when handed to `store.transaction(fn)`.
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  advance, CONTACT_REPORT_KINDS, GLOBAL_ACCOUNT, monthOf, monthOfDay, monthRange, utcDay, MESSAGE_STATES, ZERO_FIGURES,
  type Channel, type ChannelState, type ContactReportKind, type DeliveryState, type EventType, type Figures, type MessageState, type SoftBounceLimit, type SuppressionReason,
} from '../../domain/index.js';
import { canonicalAddress } from '../../address.js';
import type * as C from '../contract.js';
import { failureCounts, type ChannelDelta } from '../counting.js';
import { layoutRaw, layoutSpooled, readSpooled, removeSpooled } from '../raw.js';
import * as R from '../rows.js';
import { TxGate, type Gate } from './gate.js';
import type { PresendMemory } from './presend-memory.js';
import type { Statements } from './statements.js';
import { SqliteInboxes } from './inboxes.js';
import { SqliteEspEvents } from './esp-events.js';

/** The contact-report kinds as an SQL list (the daily counts read both ranges of one index). */
const REPORT_KINDS = CONTACT_REPORT_KINDS.map((k) => `'${k}'`).join(', ');

export interface Ctx {
  s: Statements;
  g: Gate;
  /** A statement whose text depends on the filters, prepared on first use and kept. */
  cached(sql: string): Database.Statement;
  /** Where spooled messages' files are (src/spool/dir.ts); null: none. */
  spoolDir: string | null;
  /** The pre-send check's memory (./presend-memory.ts), outside transactions only; absent: off. */
  presend?: PresendMemory | null;
}

const lower = (s: string) => s.toLowerCase();
/** Addresses in the one spelling bounced stores and compares (src/address.ts: IDNA domain, lower case). */
const addr = canonicalAddress;

/** Counter moves shared by the repositories that change counted rows (inside their unit). */
function bumpChannel(s: Statements, accountId: string, month: string, channel: Channel, d: Partial<Omit<ChannelDelta, 'accountId' | 'month' | 'channel'>>): void {
  s.bumpChannel.run(accountId, month, channel, d.hardBounces ?? 0, d.senderFailures ?? 0, d.blocklistings ?? 0, d.complaints ?? 0, d.unsubscribes ?? 0);
}

function addSendsCounted(s: Statements, accountId: string, day: string, count: number): void {
  s.addSends.run(accountId, day, count);
  s.bumpMonth.run(accountId, monthOfDay(day), count, 0);
}

/** A message that still has bytes, as the retention walk sees it. */
interface RawWalkRow {
  id: number;
  at: number;
  state: string;
}

/**
 * The retention walk (PostgreSQL's pruneRaw does the same): pages of messages with bytes in id order,
 * from the first; prunes the settled ones received before `before`, skips those still
 * `received`, stops at the first received at or after `before`, after `limit` pruned, or after
 * visiting 4 x `limit` (a short unit whatever is in the way). Returns how many were pruned.
 */
function pruneWalk(limit: number, page: (after: number, n: number) => RawWalkRow[], before: number, prune: (id: number) => void): number {
  let pruned = 0;
  let visited = 0;
  let after = 0;
  for (;;) {
    const rows = page(after, Math.min(256, limit * 4));
    if (!rows.length) return pruned;
    for (const r of rows) {
      if (Number(r.at) >= before) return pruned;
      after = Number(r.id);
      if (r.state !== 'received') {
        prune(after);
        if (++pruned >= limit) return pruned;
      }
      if (++visited >= limit * 4) return pruned;
    }
  }
}

// ---------------------------------------------------------------------------------------

export class SqliteMessages implements C.MessageRepo {
  constructor(private readonly c: Ctx) {}

  insert(batch: readonly C.IncomingMessage[]): Promise<number[]> {
    const { s } = this.c;
    return this.c.g.write(() =>
      batch.map((m) => {
        const raw = m.spool ? layoutSpooled(m.raw, m.spool, this.c.spoolDir) : layoutRaw(m.raw);
        const id = Number(
          s.insertMessage.run(m.receivedAt, m.source, lower(m.mailFrom), JSON.stringify(m.rcptTo.map(lower)), m.remoteIp, m.helo, raw.size, raw.sha256).lastInsertRowid,
        );
        if ('file' in raw) s.insertRawSpooled.run(id, raw.head, raw.file);
        else s.insertRaw.run(id, raw.head);
        raw.tail.forEach((bytes, seq) => s.insertRawTail.run(id, seq, bytes));
        return id;
      }),
    );
  }

  claim(node: string, opts: C.ClaimOptions): Promise<C.ClaimedMessage[]> {
    const { s } = this.c;
    const maxBytes = opts.maxBytes ?? 32 * 1024 * 1024;
    return this.c.g.write(() => {
      // Rows are read one at a time, so a backlog of big messages never loads more than about
      // maxBytes of heads at once (always at least one message).
      const out: C.ClaimedMessage[] = [];
      let bytes = 0;
      for (const r of s.claimable.iterate({ now: opts.now, node, limit: opts.limit }) as IterableIterator<R.Row>) {
        out.push({ ...R.toMessage(r), raw: r.raw as Buffer });
        bytes += (r.raw as Buffer).length;
        if (bytes >= maxBytes) break;
      }
      const until = opts.now + opts.leaseMs;
      for (const m of out) {
        s.claimOne.run(node, until, m.id);
        m.claimedBy = node;
        m.claimedUntil = until;
      }
      return out;
    }, false);
  }

  release(node: string, ids?: readonly number[]): Promise<number> {
    const { s } = this.c;
    if (ids === undefined) return this.c.g.read(() => s.release.run(node).changes);
    return this.c.g.write(() => ids.reduce((n, id) => n + s.releaseOne.run(node, id).changes, 0), false);
  }

  received(ids: readonly number[]): Promise<C.ClaimedMessage[]> {
    const { s } = this.c;
    return this.c.g.read(() =>
      ids.flatMap((id) => {
        const r = s.receivedOne.get(id) as R.Row | undefined;
        return r ? [{ ...R.toMessage(r), raw: r.raw as Buffer }] : [];
      }),
    );
  }

  beginAttempts(ids: readonly number[]): Promise<void> {
    const { s } = this.c;
    if (!ids.length) return Promise.resolve();
    return this.c.g.write(() => ids.forEach((id) => s.beginAttempt.run(id)), false);
  }

  refundAttempts(ids: readonly number[]): Promise<void> {
    const { s } = this.c;
    if (!ids.length) return Promise.resolve();
    return this.c.g.write(() => ids.forEach((id) => s.refundAttempt.run(id)), false);
  }

  noteFailedAttempt(id: number, error: string): Promise<void> {
    return this.c.g.write(() => void this.c.s.noteFailedAttempt.run(error, id), false);
  }

  settle(id: number, st: C.Settlement, now: number): Promise<boolean> {
    const { s } = this.c;
    return this.c.g.read(() => {
      // The duplicate check again, in the settling transaction (PostgreSQL's settleProcessed
      // says why): a copy settled meanwhile by another process makes this one its duplicate.
      if (st.state === 'processed') {
        const sha = s.receivedSha.get(id) as string | undefined;
        if (sha === undefined) return false;
        const bySha = s.duplicateBySha.get(sha, id) as number | undefined;
        const byKey = st.duplicateKey ? (s.duplicateByKey.get(st.duplicateKey, id) as number | undefined) : undefined;
        const earlier = bySha === undefined ? byKey : byKey === undefined ? bySha : Math.min(bySha, byKey);
        if (earlier !== undefined) {
          s.settle.run({ id, now, state: 'duplicate', error: null, kind: st.kind, detector: null, rmid: st.reportMessageId, duplicateOf: earlier, duplicateKey: null, warning: null });
          return false;
        }
      }
      return (
        s.settle.run({
          id,
          now,
          state: st.state,
          error: st.state === 'unparseable' ? st.error : null,
          kind: st.state === 'unparseable' ? null : st.kind,
          detector: st.state === 'processed' ? st.detector : null,
          rmid: st.state === 'unparseable' ? null : st.reportMessageId,
          duplicateOf: st.state === 'duplicate' ? st.duplicateOf : null,
          duplicateKey: st.state === 'processed' ? (st.duplicateKey ?? null) : null,
          warning: st.state === 'processed' ? (st.warning ?? null) : null,
        }).changes === 1
      );
    });
  }

  findDuplicate(id: number, sha256: string, duplicateKey: string | null): Promise<number | null> {
    const { s } = this.c;
    return this.c.g.read(() => {
      const bySha = s.duplicateBySha.get(sha256, id) as number | undefined;
      const byKey = duplicateKey === null ? undefined : (s.duplicateByKey.get(duplicateKey, id) as number | undefined);
      if (bySha === undefined) return byKey ?? null;
      return byKey === undefined ? bySha : Math.min(bySha, byKey);
    });
  }

  get(id: number): Promise<C.MessageSummary | null> {
    return this.c.g.read(() => {
      const r = this.c.s.getMessage.get(id) as R.Row | undefined;
      return r ? R.toMessage(r) : null;
    });
  }

  async raw(id: number): Promise<Buffer | null> {
    const { s } = this.c;
    const found = await this.c.g.read(() => {
      const head = s.rawHead.get(id) as { raw: Buffer; spoolFile: string | null } | undefined;
      if (!head) return null;
      if (head.spoolFile !== null) return head.spoolFile;
      const tail = s.rawTail.all(id) as Buffer[];
      return tail.length ? Buffer.concat([head.raw, ...tail]) : head.raw;
    });
    // A spooled message: read from its file, outside the gate (no file I/O holds the connection).
    return typeof found === 'string' ? readSpooled(this.c.spoolDir, found) : found;
  }

  spooledFiles(files: readonly string[]): Promise<Set<string>> {
    const { s } = this.c;
    return this.c.g.read(() => new Set(files.filter((f) => s.spooledFile.get(f) !== undefined)));
  }

  async pruneRaw(before: number, limit: number): Promise<number> {
    const { s } = this.c;
    const files: string[] = [];
    // Derived from the policy of retention, not from a sender: a commit lost to a power cut is
    // pruned again by the next run, so it need not wait for the disk.
    const n = await this.c.g.write(() => pruneWalk(limit, (after, n) => s.rawWalk.all(after, n) as RawWalkRow[], before, (id) => {
      const file = s.rawSpoolFile.get(id) as string | null | undefined;
      if (file) files.push(file);
      s.deleteRawTail.run(id);
      s.deleteRaw.run(id);
    }), false);
    // The files go after the commit. Inside a caller's transaction the commit is still to
    // come (and may roll back): the files are left to the orphan sweep (src/spool/sweep.ts).
    if (!(this.c.g instanceof TxGate)) await removeSpooled(this.c.spoolDir, files);
    return n;
  }

  list(f: C.MessageFilter): Promise<C.MessageSummary[]> {
    const where = ['id > ?'];
    const params: unknown[] = [f.after ?? 0];
    if (f.state) {
      where.push('state = ?');
      params.push(f.state);
    }
    params.push(f.limit ?? 1000);
    const sql = `SELECT ${R.MESSAGE_COLUMNS} FROM messages WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`;
    return this.c.g.read(() => (this.c.cached(sql).all(...params) as R.Row[]).map(R.toMessage));
  }

  counts(): Promise<Record<MessageState, number>> {
    return this.c.g.read(() => {
      const counts = Object.fromEntries(MESSAGE_STATES.map((k) => [k, 0])) as Record<MessageState, number>;
      for (const r of this.c.s.messageCounts.all() as Array<{ state: MessageState; n: number }>) counts[r.state] = r.n;
      return counts;
    });
  }
}

// ---------------------------------------------------------------------------------------

export class SqliteBounces implements C.BounceRepo {
  constructor(private readonly c: Ctx) {}

  insert(messageRow: number, b: C.BounceInput): Promise<number> {
    return this.c.g.read(() =>
      Number(
        this.c.s.insertBounce.run({
          ...b,
          messageRow,
          recipient: b.recipient === null ? null : addr(b.recipient),
          reportedRecipient: b.reportedRecipient === null || b.reportedRecipient === undefined ? null : addr(b.reportedRecipient),
          warning: b.warning ?? null,
          hardbounce: b.hardbounce ? 1 : 0,
          verified: b.verified ? 1 : 0,
        }).lastInsertRowid,
      ),
    );
  }

  get(id: number): Promise<C.BounceRecord | null> {
    return this.c.g.read(() => {
      const r = this.c.s.getBounce.get(id) as R.Row | undefined;
      return r ? R.toBounce(r) : null;
    });
  }

  ofMessage(messageRow: number): Promise<C.BounceRecord[]> {
    return this.c.g.read(() => (this.c.cached('SELECT * FROM bounces WHERE message_row = ? ORDER BY id').all(messageRow) as R.Row[]).map(R.toBounce));
  }

  reclassify(id: number, c: C.BounceClassification): Promise<boolean> {
    return this.c.g.write(
      () =>
        this.c.cached('UPDATE bounces SET reason = ?, category = ?, type = ?, hardbounce = ?, rule = ? WHERE id = ?').run(c.reason, c.category, c.type, c.hardbounce ? 1 : 0, c.rule, id).changes > 0,
    );
  }

  list(q: C.BounceQuery): Promise<C.BounceRecord[]> {
    const where = ['id > ?'];
    const params: unknown[] = [q.after ?? 0];
    const add = (clause: string, v: unknown) => {
      where.push(clause);
      params.push(v);
    };
    if (q.accountId !== undefined) add('account_id = ?', q.accountId);
    if (q.recipient !== undefined) add('recipient = ?', addr(q.recipient));
    if (q.type !== undefined) add('type = ?', q.type);
    if (q.category !== undefined) add('category = ?', q.category);
    if (q.reason !== undefined) add('reason = ?', q.reason);
    if (q.since !== undefined) add('created_at >= ?', q.since);
    if (q.until !== undefined) add('created_at < ?', q.until);
    params.push(q.limit ?? 1000);
    const sql = `SELECT * FROM bounces WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`;
    return this.c.g.read(() => (this.c.cached(sql).all(...params) as R.Row[]).map(R.toBounce));
  }

  daily(accountId: string, since: number): Promise<C.BounceDay[]> {
    return this.c.g.read(() =>
      (this.c.s.bouncesDaily.all(accountId, since) as Array<{ day: string; type: C.BounceDay['type']; category: C.BounceDay['category']; n: number }>).map((r) => ({
        day: r.day,
        type: r.type,
        category: r.category,
        count: r.n,
      })),
    );
  }

  domains(accountId: string, since: number, limit: number): Promise<Array<{ domain: string; count: number }>> {
    // The range of bounces_account_created; the domain after the last @. After the first @
    // almost always (one instr); a quoted local part may hold another @ (RFC 5321 4.1.2), then
    // the slower rtrim() finds the last one.
    const sql = `SELECT lower(CASE WHEN instr(substr(recipient, instr(recipient, '@') + 1), '@') = 0 THEN substr(recipient, instr(recipient, '@') + 1)
                              ELSE substr(recipient, length(rtrim(recipient, replace(recipient, '@', ''))) + 1) END) AS domain, count(*) AS n
                   FROM bounces WHERE account_id = ? AND created_at >= ? AND recipient IS NOT NULL AND instr(recipient, '@') > 0
                  GROUP BY 1 ORDER BY n DESC, domain LIMIT ?`;
    return this.c.g.read(() => (this.c.cached(sql).all(accountId, since, limit) as Array<{ domain: string; n: number }>).map((r) => ({ domain: r.domain, count: r.n })));
  }

  evidence(bounceId: number): Promise<Array<C.EvidenceRecord & { deliveryId: number }>> {
    return this.c.g.read(() =>
      (this.c.s.evidenceOfBounce.all(bounceId) as R.Row[]).map((r) => ({ ...R.toEvidence(r), deliveryId: r.delivery_id as number })),
    );
  }
}

// ---------------------------------------------------------------------------------------

export class SqliteDeliveries implements C.DeliveryRepo {
  constructor(private readonly c: Ctx) {}

  applyEvidence(ev: C.Evidence, bounceId: number | null, now: number): Promise<C.DeliveryChange | null> {
    const { s } = this.c;
    return this.c.g.write(() => {
      if (s.evidenceExists.get(ev.dedupKey)) return null;
      const recipient = addr(ev.recipient);
      const row = s.findDelivery.get(ev.accountId, ev.messageId, recipient) as R.Row | undefined;
      const attempts = ev.source === 'window' ? 0 : 1;
      let after: R.Row;
      let previous: DeliveryState | null = null;
      let sendCounted: boolean;
      if (!row) {
        sendCounted = ev.countsAsSend;
        after = s.insertDelivery.get({
          ...ev,
          recipient,
          pendingSince: ev.state === 'pending' ? ev.at : null,
          attempts,
          sendCounted: sendCounted ? 1 : 0,
          now,
        }) as R.Row;
      } else {
        previous = row.state as DeliveryState;
        const state = advance(previous, ev.state);
        const moved = state !== previous;
        sendCounted = ev.countsAsSend && row.send_counted === 0;
        after = s.updateDelivery.get({
          id: row.id,
          at: ev.at,
          state,
          // The window starts at the earliest deferral, whatever order the evidence came in.
          pendingSince: ev.state === 'pending' ? Math.min(row.pending_since ?? ev.at, ev.at) : row.pending_since,
          attempts,
          sendCounted: sendCounted ? 1 : 0,
          // The details shown are those of the evidence that decided the state.
          status: moved ? ev.status : row.status,
          reason: moved ? ev.reason : row.reason,
          category: moved ? ev.category : row.category,
          diagnostic: moved ? ev.diagnostic : row.diagnostic,
          now,
        }) as R.Row;
      }
      s.insertEvidence.run({ ...ev, deliveryId: after.id, bounceId });
      if (sendCounted) addSendsCounted(s, ev.accountId, utcDay(ev.at), 1);
      const delivery = R.toDelivery(after);
      return { deliveryId: delivery.id, previous, state: delivery.state, sendCounted, delivery };
    });
  }

  find(accountId: string, messageId: string, recipient: string): Promise<C.DeliveryRecord | null> {
    return this.c.g.read(() => {
      const r = this.c.s.findDelivery.get(accountId, messageId, addr(recipient)) as R.Row | undefined;
      return r ? R.toDelivery(r) : null;
    });
  }

  list(f: C.DeliveryFilter): Promise<C.DeliveryRecord[]> {
    const where = ['d.id > ?'];
    const params: unknown[] = [f.after ?? 0];
    if (f.accountId !== undefined) {
      where.push('d.account_id = ?');
      params.push(f.accountId);
    }
    if (f.state !== undefined) {
      where.push('d.state = ?');
      params.push(f.state);
    }
    if (f.since !== undefined) {
      where.push('d.first_at >= ?');
      params.push(f.since);
    }
    if (f.until !== undefined) {
      where.push('d.first_at < ?');
      params.push(f.until);
    }
    params.push(f.limit ?? 1000);
    const sql = `SELECT d.*, (SELECT count(*) FROM evidence e WHERE e.delivery_id = d.id) AS evidence_count
                   FROM deliveries d WHERE ${where.join(' AND ')} ORDER BY d.id LIMIT ?`;
    return this.c.g.read(() => (this.c.cached(sql).all(...params) as R.Row[]).map(R.toDelivery));
  }

  evidence(deliveryId: number): Promise<C.EvidenceRecord[]> {
    return this.c.g.read(() => (this.c.s.evidenceOf.all(deliveryId) as R.Row[]).map(R.toEvidence));
  }

  duePending(cutoff: number, limit = 1000): Promise<C.DeliveryRecord[]> {
    return this.c.g.read(() => (this.c.s.duePending.all(cutoff, limit) as R.Row[]).map(R.toDelivery));
  }

  lastDeliveredAt(accountId: string, recipient: string): Promise<number | null> {
    const sql = `SELECT max(last_at) FROM deliveries WHERE account_id = ? AND recipient = ? AND state = 'delivered'`;
    return this.c.g.read(() => (this.c.cached(sql).pluck().get(accountId, addr(recipient)) as number | null) ?? null);
  }

  pendingByQid(qid: string): Promise<C.DeliveryRecord[]> {
    return this.c.g.read(() => (this.c.s.pendingByQid.all(qid) as R.Row[]).map(R.toDelivery));
  }
}

// ---------------------------------------------------------------------------------------

export class SqliteSends implements C.SendRepo {
  constructor(private readonly c: Ctx) {}

  add(accountId: string, day: string, count: number): Promise<void> {
    return this.c.g.write(() => addSendsCounted(this.c.s, accountId, day, count));
  }

  list(accountId?: string): Promise<C.SendCount[]> {
    const { s } = this.c;
    return this.c.g.read(() =>
      ((accountId === undefined ? s.listSendsAll.all() : s.listSendsOf.all(accountId)) as R.Row[]).map((r) => ({ accountId: r.account_id, day: r.day, count: r.count })),
    );
  }
}

export class SqliteAccounts implements C.AccountRepo {
  constructor(private readonly c: Ctx) {}

  get(id: string): Promise<C.Account | null> {
    return this.c.g.read(() => {
      const r = this.c.s.getAccount.get(id) as R.Row | undefined;
      return r ? R.toAccount(r) : null;
    });
  }

  list(): Promise<C.Account[]> {
    return this.c.g.read(() => (this.c.s.listAccounts.all() as R.Row[]).map(R.toAccount));
  }

  exists(id: string): Promise<boolean> {
    return this.c.g.read(() => this.c.s.accountExists.get(id) !== undefined);
  }

  insert(a: C.NewAccount, now: number): Promise<void> {
    return this.c.g.read(() => void this.c.s.insertAccount.run({ ...a, contactEmail: a.contactEmail === null ? null : lower(a.contactEmail), now }));
  }

  update(a: C.NewAccount, now: number): Promise<boolean> {
    return this.c.g.read(() => this.c.s.updateAccount.run({ ...a, contactEmail: a.contactEmail === null ? null : lower(a.contactEmail), now }).changes === 1);
  }

  state(accountId: string): Promise<C.PolicyState> {
    return this.c.g.read(() => R.toPolicyState(this.c.s.getState.get(accountId) as R.Row | undefined));
  }

  reviews(states: readonly string[]): Promise<Array<{ accountId: string; review: string; reviewForm: Record<string, unknown> | null; updatedAt: number }>> {
    if (!states.length) return Promise.resolve([]);
    const sql = `SELECT * FROM account_policy WHERE review IN (${states.map(() => '?').join(', ')}) ORDER BY updated_at, account_id`;
    return this.c.g.read(() =>
      (this.c.cached(sql).all(...states) as R.Row[]).map((r) => {
        const st = R.toPolicyState(r);
        return { accountId: r.account_id as string, review: st.review, reviewForm: (st.reviewForm as Record<string, unknown> | null | undefined) ?? null, updatedAt: st.updatedAt };
      }),
    );
  }

  softBounceLimit(accountId: string): Promise<SoftBounceLimit | null> {
    const sql = `SELECT bounces, window_days, suppress_days FROM account_soft_limits WHERE account_id = ?`;
    return this.c.g.read(() => {
      const r = this.c.cached(sql).get(accountId) as R.Row | undefined;
      return r ? { bounces: r.bounces, windowDays: r.window_days, suppressDays: r.suppress_days } : null;
    });
  }

  setSoftBounceLimit(accountId: string, limit: SoftBounceLimit | null, now: number): Promise<void> {
    if (!limit) return this.c.g.write(() => void this.c.cached(`DELETE FROM account_soft_limits WHERE account_id = ?`).run(accountId));
    const sql = `INSERT INTO account_soft_limits (account_id, bounces, window_days, suppress_days, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (account_id) DO UPDATE SET bounces = excluded.bounces, window_days = excluded.window_days, suppress_days = excluded.suppress_days, updated_at = excluded.updated_at`;
    return this.c.g.write(() => void this.c.cached(sql).run(accountId, limit.bounces, limit.windowDays, limit.suppressDays, now));
  }

  saveState(accountId: string, st: C.PolicyState, now: number): Promise<void> {
    return this.c.g.read(() => void this.c.s.saveState.run(R.policyStateParams(accountId, st, now)));
  }
}

export class SqliteCampaigns implements C.CampaignRepo {
  constructor(private readonly c: Ctx) {}

  get(accountId: string, campaign: string): Promise<C.Campaign | null> {
    return this.c.g.read(() => {
      const r = this.c.s.getCampaign.get(accountId, campaign) as R.Row | undefined;
      return r ? R.toCampaign(r) : null;
    });
  }

  ensure(accountId: string, campaign: string, now: number): Promise<void> {
    return this.c.g.read(() => void this.c.s.ensureCampaign.run(accountId, campaign, now));
  }

  addSends(accountId: string, campaign: string, count: number, now: number): Promise<void> {
    const { s } = this.c;
    return this.c.g.write(() => {
      s.ensureCampaign.run(accountId, campaign, now);
      s.addCampaignSends.run(count, accountId, campaign);
    });
  }

  setPlanned(accountId: string, campaign: string, planned: number, now: number): Promise<void> {
    const { s } = this.c;
    return this.c.g.write(() => {
      s.ensureCampaign.run(accountId, campaign, now);
      s.setCampaignPlanned.run(planned, accountId, campaign);
    });
  }

  cancel(accountId: string, campaign: string, now: number): Promise<boolean> {
    const { s } = this.c;
    return this.c.g.write(() => {
      if (s.cancelCampaign.run(now, accountId, campaign).changes !== 1) return false;
      s.bumpMonth.run(accountId, monthOf(now), 0, 1);
      return true;
    });
  }
}

// ---------------------------------------------------------------------------------------

type HitsManyRow = [address: string, accountId: string, reason: SuppressionReason, createdAt: number, source: string | null];

/** What a row of the pre-send statement (PRESEND_SQL in ./statements.ts) holds: its first column. */
const PRESEND_ROW = { policy: 0, account: 1, hit: 2, campaign: 3 } as const;

type PreSendRow =
  | [
      kind: typeof PRESEND_ROW.policy,
      marketing: ChannelState,
      suspension: string | null,
      suspendedAt: number | null,
      oneToOne: ChannelState,
      oneToOneSuspension: string | null,
      oneToOneSuspendedAt: number | null,
      review: C.PolicyState['review'],
      updatedAt: number,
    ]
  | [kind: typeof PRESEND_ROW.account, ...unused: null[]]
  | [kind: typeof PRESEND_ROW.hit, accountId: string, reason: SuppressionReason, createdAt: number, source: string | null, ...unused: null[]]
  | [kind: typeof PRESEND_ROW.campaign, cancelledAt: number | null, ...unused: null[]];

const DEFAULT_PRESEND_STATE: C.PreSendRead['state'] = {
  marketing: 'ok', suspension: null, suspendedAt: null, oneToOne: 'ok', oneToOneSuspension: null, oneToOneSuspendedAt: null, review: 'none', updatedAt: 0,
};

/** The pre-send check's rows (PRESEND_SQL) as a PreSendRead. */
export function readPreSend(rows: PreSendRow[]): C.PreSendRead {
  let state = DEFAULT_PRESEND_STATE;
  let accountExists = false;
  let campaignCancelledAt: number | null = null;
  const hits: C.SuppressionHit[] = [];
  for (const r of rows) {
    switch (r[0]) {
      case PRESEND_ROW.policy:
        state = { marketing: r[1], suspension: r[2], suspendedAt: r[3], oneToOne: r[4], oneToOneSuspension: r[5], oneToOneSuspendedAt: r[6], review: r[7], updatedAt: r[8] };
        break;
      case PRESEND_ROW.account:
        accountExists = true;
        break;
      case PRESEND_ROW.hit:
        hits.push({ accountId: r[1], reason: r[2], createdAt: r[3], source: r[4] });
        break;
      case PRESEND_ROW.campaign:
        campaignCancelledAt = r[1];
        break;
    }
  }
  return { accountExists, state, hits, campaignCancelledAt };
}

export class SqliteSuppressions implements C.SuppressionRepo {
  constructor(private readonly c: Ctx) {}

  add(accountId: string, address: string, reason: SuppressionReason, source: string | null, now: number): Promise<boolean> {
    return this.c.g.read(() => this.c.s.addSuppression.run(accountId, addr(address), reason, now, source).changes === 1);
  }

  remove(accountId: string, address: string, reason: SuppressionReason): Promise<boolean> {
    return this.c.g.read(() => this.c.s.removeSuppression.run(addr(address), accountId, reason).changes === 1);
  }

  hits(accountId: string, address: string): Promise<C.SuppressionHit[]> {
    return this.c.g.read(() => (this.c.s.hits.all(addr(address), accountId) as R.Row[]).map(R.toHit));
  }

  hitsMany(accountId: string, addresses: readonly string[]): Promise<C.SuppressionHit[][]> {
    const { s, presend } = this.c;
    const wanted = addresses.map(addr);
    // One set-based statement for the whole list (HITS_MANY_SQL): 2.7 us an address against 4.6
    // for one statement per address, at 1 M suppressions (issue #20, the batch check). With the
    // pre-send memory current, only the addresses its filter may hold are asked.
    return this.c.g.read(() => {
      const maybe = presend ? presend.maybeHits(accountId, wanted) : null;
      const asked = maybe ? wanted.filter((_, i) => maybe[i]) : wanted;
      const by = new Map<string, C.SuppressionHit[]>();
      const rows = asked.length === 0 ? [] : (s.hitsMany.all(JSON.stringify(asked), accountId) as HitsManyRow[]);
      for (const r of rows) {
        const hit = { accountId: r[1], reason: r[2], createdAt: r[3], source: r[4] };
        const list = by.get(r[0]);
        if (list) list.push(hit);
        else by.set(r[0], [hit]);
      }
      // A fresh array per entry: an address asked twice gets two lists, as before.
      return wanted.map((a) => by.get(a)?.slice() ?? []);
    });
  }

  preSend(accountId: string, address: string, campaign: string | null = null): Promise<C.PreSendRead> {
    const { s, presend } = this.c;
    const a = addr(address);
    // From memory when nothing it holds changed and the address is surely not suppressed
    // (./presend-memory.ts); else the statement.
    return this.c.g.read(
      () =>
        presend?.preSend(accountId, a, campaign) ??
        readPreSend(
          (campaign === null
            ? s.preSend.all(accountId, accountId, a, accountId)
            : s.preSendCampaign.all(accountId, accountId, accountId, campaign, a, accountId)) as PreSendRow[],
        ),
    );
  }

  list(f: C.SuppressionFilter): Promise<C.SuppressionRecord[]> {
    const owners = f.scope === 'account' ? [f.accountId] : f.scope === 'global' ? [GLOBAL_ACCOUNT] : [f.accountId, GLOBAL_ACCOUNT];
    // One page per owner, each read in id order from suppressions_account_reason (or
    // suppressions_account) and cut at the limit, then merged: `account_id IN (a, '*') AND
    // reason = ?` read the account's every row in id order and kept the few of a rare reason
    // (211 ms for the first page of complaints among 1 M rows; bench/suppression-filter.mjs).
    const where = ['account_id = ?', 'id > ?'];
    const tail: unknown[] = [f.afterId ?? 0];
    if (f.reason) {
      where.push('reason = ?');
      tail.push(f.reason);
    }
    if (f.since !== undefined) {
      where.push('created_at >= ?');
      tail.push(f.since);
    }
    if (f.until !== undefined) {
      where.push('created_at < ?');
      tail.push(f.until);
    }
    const one = `SELECT * FROM (SELECT * FROM suppressions WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?)`;
    const sql = `${owners.map(() => one).join(' UNION ALL ')} ORDER BY id LIMIT ?`;
    const params = [...owners.flatMap((o) => [o, ...tail, f.limit]), f.limit];
    return this.c.g.read(() => (this.c.cached(sql).all(...params) as R.Row[]).map(R.toSuppression));
  }

  expireSoftLimits(now: number, limit = 1000): Promise<Array<{ accountId: string; address: string }>> {
    // An account that dropped its limit keeps its suppressions until an unbounce (no expiry known).
    const sql = `DELETE FROM suppressions WHERE id IN (
        SELECT s.id FROM suppressions s JOIN account_soft_limits l ON l.account_id = s.account_id
         WHERE s.reason = 'soft_bounce_limit' AND s.created_at + l.suppress_days * 86400000 <= ? LIMIT ?)
      RETURNING account_id, address`;
    return this.c.g.write(() => (this.c.cached(sql).all(now, limit) as R.Row[]).map((r) => ({ accountId: r.account_id, address: r.address })));
  }

  counts(): Promise<Record<'account' | 'global', number>> {
    return this.c.g.read(() => {
      const counts = { account: 0, global: 0 };
      for (const r of this.c.s.suppressionCounts.all() as Array<{ global: number; n: number }>) counts[r.global ? 'global' : 'account'] = r.n;
      return counts;
    });
  }
}

// ---------------------------------------------------------------------------------------

export class SqliteFailures implements C.FailureRepo {
  constructor(private readonly c: Ctx) {}

  record(f: C.FailureInput): Promise<void> {
    const { s } = this.c;
    return this.c.g.write(() => {
      const old = s.getFailure.get(f.deliveryId) as R.Row | undefined;
      const next = { ...f, recipient: addr(f.recipient) };
      s.recordFailure.run({ ...next, addressReason: f.addressReason ? 1 : 0 });
      if (old) moveFailure(s, R.toFailure(old), -1);
      moveFailure(s, next, 1);
    });
  }

  globalBounceAccounts(address: string, since: number): Promise<number> {
    return this.c.g.read(() => this.c.s.globalAccounts.get(addr(address), since) as number);
  }

  hardOf(accountId: string): Promise<Array<{ deliveryId: number; recipient: string; category: string | null; at: number }>> {
    return this.c.g.read(() =>
      (this.c.s.hardFailures.all(accountId) as R.Row[]).map((r) => ({ deliveryId: r.delivery_id, recipient: r.recipient, category: r.category, at: r.at })),
    );
  }

  softSince(accountId: string, recipient: string, since: number): Promise<number> {
    const sql = `SELECT count(*) FROM delivery_failures WHERE account_id = ? AND recipient = ? AND state = 'soft' AND at >= ?`;
    return this.c.g.read(() => this.c.cached(sql).pluck().get(accountId, addr(recipient), since) as number);
  }

  list(accountId: string): Promise<C.FailureRecord[]> {
    return this.c.g.read(() => (this.c.s.listFailures.all(accountId) as R.Row[]).map(R.toFailure));
  }

  ofCampaign(accountId: string, campaign: string, afterDeliveryId: number, limit: number): Promise<C.FailureRecord[]> {
    return this.c.g.read(() => (this.c.s.campaignFailures.all(accountId, campaign, afterDeliveryId, limit) as R.Row[]).map(R.toFailure));
  }
}

/** Adds (sign 1) or takes out (sign -1) a failure row's contribution to the counters. */
function moveFailure(s: Statements, f: C.FailureInput, sign: 1 | -1): void {
  const n = failureCounts(f);
  if (n.hardBounces || n.senderFailures || n.blocklistings) {
    bumpChannel(s, f.accountId, monthOf(f.at), f.channel, { hardBounces: sign * n.hardBounces, senderFailures: sign * n.senderFailures, blocklistings: sign * n.blocklistings });
  }
  if (n.campaignHardBounces) s.bumpCampaign.run(f.accountId, f.campaign, sign, 0, 0);
}

export class SqliteReports implements C.ReportRepo {
  constructor(private readonly c: Ctx) {}

  add(r: C.ContactReport): Promise<boolean> {
    const { s } = this.c;
    return this.c.g.write(() => {
      if (s.insertReport.run({ ...r, recipient: addr(r.recipient) }).changes !== 1) return false;
      const complaint = r.kind === 'complaint' ? 1 : 0;
      bumpChannel(s, r.accountId, monthOf(r.at), r.channel, { complaints: complaint, unsubscribes: 1 - complaint });
      if (r.campaign !== null) s.bumpCampaign.run(r.accountId, r.campaign, 0, complaint, 1 - complaint);
      return true;
    });
  }

  list(accountId: string): Promise<C.ContactReport[]> {
    return this.c.g.read(() => (this.c.s.listReports.all(accountId) as R.Row[]).map(R.toReport));
  }

  daily(accountId: string, since: number): Promise<Array<{ day: string; kind: ContactReportKind; count: number }>> {
    // Two ranges of contact_reports_account_at (account, kind, at).
    const sql = `SELECT strftime('%Y-%m-%d', at / 1000, 'unixepoch') AS day, kind, count(*) AS n
                   FROM contact_reports WHERE account_id = ? AND kind IN (${REPORT_KINDS}) AND at >= ? GROUP BY 1, 2 ORDER BY 1, 2`;
    return this.c.g.read(() => (this.c.cached(sql).all(accountId, since) as Array<{ day: string; kind: ContactReportKind; n: number }>).map((r) => ({ day: r.day, kind: r.kind, count: r.n })));
  }
}

type FigureRow = [number, number, number, number, number, number, number];
const toFigures = (r: FigureRow): Figures => ({
  sends: r[0], hardBounces: r[1], complaints: r[2], unsubscribes: r[3], senderFailures: r[4], cancelledCampaigns: r[5], blocklistings: r[6],
});

export class SqliteCounters implements C.CounterRepo {
  constructor(private readonly c: Ctx) {}

  month(accountId: string, month: string, channel: Channel): Promise<Figures> {
    return this.c.g.read(() => toFigures(this.c.s.month.get(accountId, month, channel) as FigureRow));
  }

  campaign(accountId: string, campaign: string): Promise<{ hardBounces: number; complaints: number; unsubscribes: number }> {
    return this.c.g.read(() => {
      const r = this.c.s.campaignCounts.get(accountId, campaign) as R.Row | undefined;
      return r ? { hardBounces: r.hard_bounces, complaints: r.complaints, unsubscribes: r.unsubscribes } : { hardBounces: 0, complaints: 0, unsubscribes: 0 };
    });
  }

  activeAccounts(month: string): Promise<string[]> {
    return this.c.g.read(() => this.c.s.activeAccounts.all(month, month) as string[]);
  }

  recount(accountId: string, month: string, channel: Channel): Promise<Figures> {
    return this.c.g.read(() => {
      const r = this.c.s.recount.get({ a: accountId, channel, ...monthRange(month) }) as FigureRow | undefined;
      return r ? toFigures(r) : { ...ZERO_FIGURES };
    });
  }
}

// ---------------------------------------------------------------------------------------

export class SqliteAppeals implements C.AppealRepo {
  constructor(private readonly c: Ctx) {}

  file(accountId: string, channel: Channel, form: Record<string, unknown>, now: number): Promise<number> {
    return this.c.g.read(() => Number(this.c.s.insertAppeal.run(accountId, channel, JSON.stringify(form), now).lastInsertRowid));
  }

  get(id: number): Promise<C.Appeal | null> {
    return this.c.g.read(() => {
      const r = this.c.s.getAppeal.get(id) as R.Row | undefined;
      return r ? R.toAppeal(r) : null;
    });
  }

  openOf(accountId: string): Promise<C.Appeal | null> {
    return this.c.g.read(() => {
      const r = this.c.s.openAppeal.get(accountId) as R.Row | undefined;
      return r ? R.toAppeal(r) : null;
    });
  }

  list(accountId?: string): Promise<C.Appeal[]> {
    const { s } = this.c;
    return this.c.g.read(() => ((accountId === undefined ? s.listAppealsAll.all() : s.listAppealsOf.all(accountId)) as R.Row[]).map(R.toAppeal));
  }

  decide(id: number, state: 'reinstated' | 'denied', actor: string, reason: string, now: number): Promise<boolean> {
    return this.c.g.read(() => this.c.s.decideAppeal.run(state, now, actor, reason, id).changes === 1);
  }
}

export class SqliteAbuse implements C.AbuseRepo {
  constructor(private readonly c: Ctx) {}

  add(accountId: string, actor: string, detail: string, now: number): Promise<number> {
    return this.c.g.read(() => Number(this.c.s.insertAbuse.run(accountId, now, actor, detail).lastInsertRowid));
  }

  list(accountId: string): Promise<C.AbuseReport[]> {
    return this.c.g.read(() => (this.c.s.listAbuse.all(accountId) as R.Row[]).map(R.toAbuse));
  }
}

export class SqliteAudit implements C.AuditRepo {
  constructor(private readonly c: Ctx) {}

  add(e: C.AuditEntry): Promise<void> {
    return this.c.g.read(() => void this.c.s.audit.run(e.at, e.actor, e.accountId, e.action, e.subject, e.detail ? JSON.stringify(e.detail) : null));
  }

  lastAt(accountId: string, action: string, subject: string): Promise<number | null> {
    return this.c.g.read(() => (this.c.s.lastAudit.get(accountId, action, subject) as number | null) ?? null);
  }

  list(accountId: string): Promise<C.AuditRecord[]> {
    return this.c.g.read(() => (this.c.s.listAudit.all(accountId) as R.Row[]).map(R.toAudit));
  }
}

export class SqliteNotifications implements C.NotificationRepo {
  constructor(private readonly c: Ctx) {}

  enqueue(n: C.NewNotification, now: number): Promise<number> {
    return this.c.g.read(() => Number(this.c.s.enqueue.run(n.accountId, n.kind, n.recipient, n.subject, n.body, now, now).lastInsertRowid));
  }

  due(now: number, limit = 100): Promise<C.Notification[]> {
    return this.c.g.read(() => (this.c.s.dueNotifications.all(now, limit) as R.Row[]).map(R.toNotification));
  }

  markSent(id: number, now: number): Promise<void> {
    return this.c.g.read(() => void this.c.s.markSent.run(now, id));
  }

  markFailed(id: number, nextAttemptAt: number, error: string): Promise<void> {
    return this.c.g.read(() => void this.c.s.markFailed.run(nextAttemptAt, error, id));
  }

  list(accountId?: string): Promise<C.Notification[]> {
    const { s } = this.c;
    return this.c.g.read(() =>
      ((accountId === undefined ? s.listNotificationsAll.all() : s.listNotificationsOf.all(accountId)) as R.Row[]).map(R.toNotification),
    );
  }
}

export class SqliteKeys implements C.KeyRepo {
  constructor(private readonly c: Ctx) {}

  insert(k: { id: string; accountId: string | null; hash: string; prefix: string; name: string | null }, now: number): Promise<C.ApiKeyRecord> {
    return this.c.g.read(() => {
      this.c.s.insertKey.run(k.id, k.accountId, k.hash, k.prefix, k.name, now);
      return { id: k.id, accountId: k.accountId, prefix: k.prefix, name: k.name, createdAt: now, revokedAt: null };
    });
  }

  findByHash(hash: string): Promise<(C.ApiKeyRecord & { hash: string }) | null> {
    return this.c.g.read(() => {
      const r = this.c.s.keyByHash.get(hash) as R.Row | undefined;
      return r ? { ...R.toKey(r), hash: r.hash as string } : null;
    });
  }

  list(accountId: string | null): Promise<C.ApiKeyRecord[]> {
    return this.c.g.read(() => (this.c.s.keysOf.all(accountId) as R.Row[]).map(R.toKey));
  }

  revoke(accountId: string | null, keyId: string, now: number): Promise<boolean> {
    return this.c.g.read(() => this.c.s.revokeKey.run(now, keyId, accountId).changes === 1);
  }
}

// ---------------------------------------------------------------------------------------

export class SqliteSessions implements C.SessionRepo {
  constructor(private readonly c: Ctx) {}

  insert(idHash: string, x: C.DashboardSession): Promise<void> {
    return this.c.g.read(() => {
      this.c.s.insertSession.run(idHash, x.keyId, x.accountId, x.csrf, x.createdAt, x.expiresAt);
    });
  }

  find(idHash: string, now: number): Promise<C.DashboardSession | null> {
    return this.c.g.read(() => {
      const r = this.c.s.findSession.get(idHash, now) as R.Row | undefined;
      return r ? R.toSession(r) : null;
    });
  }

  delete(idHash: string): Promise<boolean> {
    return this.c.g.read(() => this.c.s.deleteSession.run(idHash).changes === 1);
  }

  prune(now: number): Promise<number> {
    return this.c.g.read(() => this.c.s.pruneSessions.run(now).changes);
  }
}

// ---------------------------------------------------------------------------------------

export class SqliteEvents implements C.EventRepo {
  constructor(private readonly c: Ctx) {}

  add(accountId: string | null, type: EventType, payload: Record<string, unknown>, now: number): Promise<{ id: number; eventId: string }> {
    return this.c.g.read(() => {
      const eventId = randomUUID();
      const id = Number(this.c.s.insertEvent.run(eventId, accountId, type, JSON.stringify(payload), now).lastInsertRowid);
      return { id, eventId };
    });
  }

  list(afterId = 0, limit = 1000): Promise<C.StoredEvent[]> {
    return this.c.g.read(() => (this.c.s.listEvents.all(afterId, limit) as R.Row[]).map(R.toEvent));
  }
}

export class SqliteWebhooks implements C.WebhookRepo {
  constructor(private readonly c: Ctx) {}

  createEndpoint(e: { id: string; accountId: string; url: string; secret: string; events: string[] }, now: number): Promise<C.WebhookEndpoint> {
    const { s } = this.c;
    return this.c.g.write(() => {
      const fromEventRow = s.maxEventRow.get() as number;
      s.insertEndpoint.run(e.id, e.accountId, e.url, e.secret, JSON.stringify(e.events), fromEventRow, now);
      return { id: e.id, accountId: e.accountId, url: e.url, events: e.events, createdAt: now, disabledAt: null };
    });
  }

  listEndpoints(accountId: string): Promise<C.WebhookEndpoint[]> {
    return this.c.g.read(() => (this.c.s.endpointsOf.all(accountId) as R.Row[]).map(R.toEndpoint));
  }

  getEndpoint(accountId: string, id: string): Promise<C.WebhookEndpoint | null> {
    return this.c.g.read(() => {
      const r = this.c.s.getEndpoint.get(id, accountId) as R.Row | undefined;
      return r ? R.toEndpoint(r) : null;
    });
  }

  disableEndpoint(accountId: string, id: string, now: number): Promise<boolean> {
    const { s } = this.c;
    return this.c.g.write(() => {
      if (s.disableEndpoint.run(now, id, accountId).changes === 0) return false;
      s.abandonDeliveries.run(now, id);
      return true;
    });
  }

  /**
   * Most calls find nothing to do (no new event, or no endpoint): reads tell without taking
   * the write lock. The commit need not wait for the disk: lost in a power cut, the same
   * fan-out is redone from the older cursor, and the unique (event, endpoint) keeps it single.
   */
  fanOut(now: number): Promise<number> {
    const { s } = this.c;
    return this.c.g.read(() => {
      const cursor = (s.getCursor.get() as number | undefined) ?? 0;
      return (s.maxEventRow.get() as number) > cursor && s.anyEndpoint.get() !== undefined;
    }).then((work) =>
      !work
        ? 0
        : this.c.g.write(() => {
            const after = (s.getCursor.get() as number | undefined) ?? 0;
            const upto = s.maxEventRow.get() as number;
            if (upto <= after) return 0;
            const n = s.fanOut.run({ after, upto, now }).changes;
            s.setCursor.run(upto);
            return n;
          }, false),
    );
  }

  /**
   * The dispatcher asks after every settled batch (up to 10 times a second under load) and
   * almost always nothing is due: a read says so without taking the write lock that intake's
   * commits wait on. Only when something is due is it selected again and claimed in one write.
   */
  claimDue(node: string, now: number, limit: number, leaseMs: number): Promise<C.DueDelivery[]> {
    const { s } = this.c;
    return this.c.g.read(() => s.anyDue.get(now, now) !== undefined).then((work) => (work ? this.claim(node, now, limit, leaseMs) : []));
  }

  private claim(node: string, now: number, limit: number, leaseMs: number): Promise<C.DueDelivery[]> {
    const { s } = this.c;
    return this.c.g.write(() => {
      const due = (s.dueDeliveries.all(now, now, limit) as R.Row[]).map(R.toDue);
      for (const d of due) s.claimDelivery.run(node, now + leaseMs, d.id);
      return due;
    }, false);
  }

  postpone(id: number, at: number): Promise<void> {
    return this.c.g.read(() => void this.c.s.postpone.run(at, id));
  }

  nextDueAt(): Promise<number | null> {
    return this.c.g.read(() => (this.c.s.nextDue.get() as number | null) ?? null);
  }

  recordAttempt(id: number, a: C.WebhookAttempt, o: C.AttemptOutcome): Promise<void> {
    const { s } = this.c;
    return this.c.g.write(() => {
      s.insertAttempt.run(id, a.at, a.status, a.error, a.durationMs);
      s.settleAttempt.run({ id, at: a.at, status: a.status, error: a.error, ...o });
    });
  }

  failures(f: { accountId?: string; beforeId?: number; limit: number }): Promise<C.WebhookFailure[]> {
    // webhook_deliveries_failing (id) WHERE delivered_at IS NULL AND attempts > 0, newest first.
    const sql = `SELECT ${R.WEBHOOK_DELIVERY_COLUMNS}, w.account_id, w.url FROM webhook_deliveries d
                   JOIN webhook_endpoints w ON w.id = d.endpoint_id JOIN events e ON e.id = d.event_row
                  WHERE d.delivered_at IS NULL AND d.attempts > 0 AND d.id < ?${f.accountId === undefined ? '' : ' AND w.account_id = ?'}
                  ORDER BY d.id DESC LIMIT ?`;
    const params = [f.beforeId ?? Number.MAX_SAFE_INTEGER, ...(f.accountId === undefined ? [] : [f.accountId]), f.limit];
    return this.c.g.read(() => (this.c.cached(sql).all(...params) as R.Row[]).map((r) => ({ ...R.toWebhookDelivery(r), accountId: r.account_id as string, url: r.url as string })));
  }

  listDeliveries(endpointId: string, after: number, limit: number): Promise<C.WebhookDelivery[]> {
    return this.c.g.read(() => (this.c.s.deliveriesOf.all(endpointId, after, limit) as R.Row[]).map(R.toWebhookDelivery));
  }

  getDelivery(endpointId: string, id: number): Promise<(C.WebhookDelivery & { attemptLog: C.WebhookAttempt[] }) | null> {
    const { s } = this.c;
    return this.c.g.read(() => {
      const r = s.getWebhookDelivery.get(id, endpointId) as R.Row | undefined;
      if (!r) return null;
      const attemptLog = (s.attemptsOf.all(id) as R.Row[]).map((a) => ({ at: a.at, status: a.status, error: a.error, durationMs: a.duration_ms }));
      return { ...R.toWebhookDelivery(r), attemptLog };
    });
  }

  retry(endpointId: string, id: number, now: number): Promise<boolean> {
    return this.c.g.read(() => this.c.s.retryNow.run(now, id, endpointId).changes === 1);
  }
}

// ---------------------------------------------------------------------------------------

export class SqliteJobs implements C.JobRepo {
  constructor(private readonly c: Ctx) {}

  get(name: string): Promise<C.JobState | null> {
    return this.c.g.read(() => {
      const r = this.c.s.getJob.get(name) as R.Row | undefined;
      return r ? R.toJob(r) : null;
    });
  }

  acquire(name: string, node: string, now: number, leaseMs: number): Promise<boolean> {
    return this.c.g.read(() => this.c.s.acquireJob.get({ name, node, now, until: now + leaseMs }) !== undefined);
  }

  finish(name: string, node: string, run: { lastRunAt: number; nextRunAt: number; error: string | null }): Promise<boolean> {
    return this.c.g.read(() => this.c.s.finishJob.run({ name, node, ...run }).changes === 1);
  }

  save(name: string, lastRunAt: number | null, nextRunAt: number, error: string | null): Promise<void> {
    return this.c.g.read(() => void this.c.s.saveJob.run(name, lastRunAt, nextRunAt, error));
  }
}

export class SqliteTail implements C.TailRepo {
  constructor(private readonly c: Ctx) {}

  checkpoint(path: string): Promise<C.TailCheckpoint | null> {
    return this.c.g.read(() => {
      const r = this.c.s.getCheckpoint.get(path) as R.Row | undefined;
      return r ? R.toCheckpoint(r) : null;
    });
  }

  setCheckpoint(cp: C.TailCheckpoint, now: number): Promise<void> {
    return this.c.g.read(() => void this.c.s.setCheckpoint.run(cp.path, cp.inode, cp.offset, cp.lines, cp.unparsed, cp.head ?? null, now));
  }

  rememberSender(qid: string, sender: string, at: number): Promise<void> {
    return this.c.g.read(() => void this.c.s.rememberSender.run(qid, sender, at));
  }

  rememberMessageId(qid: string, messageId: string, at: number): Promise<void> {
    return this.c.g.read(() => void this.c.s.rememberMessageId.run(qid, messageId, at));
  }

  lookupQueue(qid: string): Promise<{ sender: string; messageId: string | null } | null> {
    return this.c.g.read(() => {
      const r = this.c.s.lookupQueue.get(qid) as R.Row | undefined;
      return r ? { sender: r.sender, messageId: r.message_id } : null;
    });
  }

  pruneQueue(before: number): Promise<number> {
    return this.c.g.read(() => this.c.s.pruneQueue.run(before).changes);
  }
}

/** The repositories over one context (the store's own, or one transaction's), made on first use. */
export class SqliteRepositories implements C.Repositories {
  private m?: SqliteMessages;
  private b?: SqliteBounces;
  private d?: SqliteDeliveries;
  private se?: SqliteSends;
  private su?: SqliteSuppressions;
  private a?: SqliteAccounts;
  private ca?: SqliteCampaigns;
  private co?: SqliteCounters;
  private r?: SqliteReports;
  private f?: SqliteFailures;
  private ap?: SqliteAppeals;
  private ab?: SqliteAbuse;
  private au?: SqliteAudit;
  private n?: SqliteNotifications;
  private k?: SqliteKeys;
  private ss?: SqliteSessions;
  private e?: SqliteEvents;
  private w?: SqliteWebhooks;
  private j?: SqliteJobs;
  private t?: SqliteTail;
  private ib?: SqliteInboxes;

  constructor(protected readonly ctx: Ctx) {}

  get messages() { return (this.m ??= new SqliteMessages(this.ctx)); }
  get bounces() { return (this.b ??= new SqliteBounces(this.ctx)); }
  get deliveries() { return (this.d ??= new SqliteDeliveries(this.ctx)); }
  get sends() { return (this.se ??= new SqliteSends(this.ctx)); }
  get suppressions() { return (this.su ??= new SqliteSuppressions(this.ctx)); }
  get accounts() { return (this.a ??= new SqliteAccounts(this.ctx)); }
  get campaigns() { return (this.ca ??= new SqliteCampaigns(this.ctx)); }
  get counters() { return (this.co ??= new SqliteCounters(this.ctx)); }
  get reports() { return (this.r ??= new SqliteReports(this.ctx)); }
  get failures() { return (this.f ??= new SqliteFailures(this.ctx)); }
  get appeals() { return (this.ap ??= new SqliteAppeals(this.ctx)); }
  get abuse() { return (this.ab ??= new SqliteAbuse(this.ctx)); }
  get audit() { return (this.au ??= new SqliteAudit(this.ctx)); }
  get notifications() { return (this.n ??= new SqliteNotifications(this.ctx)); }
  get keys() { return (this.k ??= new SqliteKeys(this.ctx)); }
  get sessions() { return (this.ss ??= new SqliteSessions(this.ctx)); }
  get events() { return (this.e ??= new SqliteEvents(this.ctx)); }
  get webhooks() { return (this.w ??= new SqliteWebhooks(this.ctx)); }
  get jobs() { return (this.j ??= new SqliteJobs(this.ctx)); }
  get tail() { return (this.t ??= new SqliteTail(this.ctx)); }
  get inboxes() { return (this.ib ??= new SqliteInboxes(this.ctx)); }
  private es?: SqliteEspEvents;
  get espEvents() { return (this.es ??= new SqliteEspEvents(this.ctx)); }
}

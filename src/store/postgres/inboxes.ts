// Connected inboxes on PostgreSQL (contract: InboxRepo): the SQL of ../sqlite/inboxes.ts; a
// found bounce and a sent message are kept once by their unique keys (ON CONFLICT DO NOTHING),
// whichever node writes them first.
import { canonicalAddress } from '../../address.js';
import type * as C from '../contract.js';
import { INBOX_COLUMNS, patchSql, sentKey, toInbox, toInboxBounce, toInboxSent } from '../inbox-rows.js';
import { all, type PgCtx, type Q } from './repos.js';

const one = async (q: Q, text: string, params: unknown[] = []) => (await all(q, text, params))[0];

export class PgInboxes implements C.InboxRepo {
  constructor(private readonly c: PgCtx) {}

  add(i: C.NewInbox, now: number): Promise<C.InboxRecord> {
    return this.c.run(async (q) => {
      const r = await one(
        q,
        `INSERT INTO inboxes (id, account_id, host, port, tls, username, auth, credentials, sent_folder, move_to, window_hours, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${INBOX_COLUMNS}`,
        [i.id, i.accountId, i.host, i.port, i.tls, i.user, i.auth, i.credentials, i.sentFolder, i.moveTo, i.windowHours, now],
      );
      return toInbox(r!);
    });
  }

  get(id: string): Promise<C.InboxRecord | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT ${INBOX_COLUMNS} FROM inboxes WHERE id = $1`, [id]);
      return r ? toInbox(r) : null;
    });
  }

  list(accountId?: string): Promise<C.InboxRecord[]> {
    return this.c.run(async (q) => {
      const rows = accountId === undefined
        ? await all(q, `SELECT ${INBOX_COLUMNS} FROM inboxes ORDER BY created_at, id`)
        : await all(q, `SELECT ${INBOX_COLUMNS} FROM inboxes WHERE account_id = $1 ORDER BY created_at, id`, [accountId]);
      return rows.map(toInbox);
    });
  }

  credentials(id: string): Promise<string | null> {
    return this.c.run(async (q) => (await one(q, `SELECT credentials FROM inboxes WHERE id = $1`, [id]))?.credentials ?? null);
  }

  update(accountId: string, id: string, p: C.InboxPatch): Promise<boolean> {
    let n = 0;
    const { sets, values } = patchSql(p, () => `$${++n}`);
    if (!sets.length) return this.get(id).then((i) => i !== null && i.accountId === accountId);
    return this.c.run(async (q) => (await all(q, `UPDATE inboxes SET ${sets.join(', ')} WHERE id = $${++n} AND account_id = $${++n} RETURNING id`, [...values, id, accountId])).length === 1);
  }

  remove(accountId: string, id: string): Promise<boolean> {
    return this.c.run(async (q) => (await all(q, `DELETE FROM inboxes WHERE id = $1 AND account_id = $2 RETURNING id`, [id, accountId])).length === 1);
  }

  setStatus(id: string, s: C.InboxSyncStatus): Promise<void> {
    return this.c.run(async (q) => {
      await all(
        q,
        `UPDATE inboxes SET state = $1, error_code = $2, error_message = $3, error_at = $4, failures = $5, next_attempt_at = $6,
                last_sync_at = $7, counters = $8 WHERE id = $9`,
        [s.state, s.errorCode, s.errorMessage, s.errorAt, s.failures, s.nextAttemptAt, s.lastSyncAt, s.counters ? JSON.stringify(s.counters) : null, id],
      );
    });
  }

  checkpoint(inboxId: string, folder: string): Promise<{ uidValidity: number; lastUid: number } | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT uid_validity, last_uid FROM inbox_checkpoints WHERE inbox_id = $1 AND folder = $2`, [inboxId, folder]);
      return r ? { uidValidity: Number(r.uid_validity), lastUid: Number(r.last_uid) } : null;
    });
  }

  saveCheckpoint(inboxId: string, folder: string, cp: { uidValidity: number; lastUid: number }, now: number): Promise<void> {
    return this.c.run(async (q) => {
      await all(
        q,
        `INSERT INTO inbox_checkpoints (inbox_id, folder, uid_validity, last_uid, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (inbox_id, folder) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid, updated_at = excluded.updated_at`,
        [inboxId, folder, cp.uidValidity, cp.lastUid, now],
      );
    });
  }

  addSent(inboxId: string, messages: readonly C.InboxSent[], source: 'imap' | 'api'): Promise<number> {
    if (!messages.length) return Promise.resolve(0);
    return this.c.unit(async (q) => {
      let added = 0;
      for (const m of messages) {
        const recipients = [...new Set(m.recipients.map(canonicalAddress))];
        const ins = await all(
          q,
          `INSERT INTO inbox_sent (inbox_id, message_key, message_id, subject, sent_at, recipients, source) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (inbox_id, message_key) DO NOTHING RETURNING message_key`,
          [inboxId, sentKey(m.messageId), m.messageId, m.subject, m.sentAt, JSON.stringify(recipients), source],
        );
        if (!ins.length) continue;
        added++;
        for (const r of recipients) {
          await all(q, `INSERT INTO inbox_sent_recipients (inbox_id, recipient, sent_at, message_key) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
            inboxId, r, m.sentAt, sentKey(m.messageId),
          ]);
        }
      }
      return added;
    });
  }

  sentByMessageId(inboxId: string, messageIds: readonly string[]): Promise<C.InboxSent[]> {
    return this.c.run(async (q) => {
      const out: C.InboxSent[] = [];
      for (const key of new Set(messageIds.map(sentKey))) {
        const r = await one(q, `SELECT message_id, subject, sent_at, recipients FROM inbox_sent WHERE inbox_id = $1 AND message_key = $2`, [inboxId, key]);
        if (r) out.push(toInboxSent(r));
      }
      return out;
    });
  }

  sentToRecipients(inboxId: string, recipients: readonly string[], since: number, until: number): Promise<C.InboxSent[]> {
    return this.c.run(async (q) => {
      const seen = new Map<string, C.InboxSent>();
      for (const a of new Set(recipients.map(canonicalAddress))) {
        const rows = await all(
          q,
          `SELECT s.message_key, s.message_id, s.subject, s.sent_at, s.recipients FROM inbox_sent_recipients r
             JOIN inbox_sent s ON s.inbox_id = r.inbox_id AND s.message_key = r.message_key
            WHERE r.inbox_id = $1 AND r.recipient = $2 AND r.sent_at BETWEEN $3 AND $4 ORDER BY r.sent_at, r.message_key`,
          [inboxId, a, since, until],
        );
        for (const r of rows) if (!seen.has(r.message_key)) seen.set(r.message_key, toInboxSent(r));
      }
      return [...seen.values()];
    });
  }

  sendsOf(accountId: string, since: number, until: number): Promise<number> {
    return this.c.run(async (q) => {
      const r = await one(
        q,
        `SELECT count(*) AS n FROM inbox_sent_recipients r JOIN inboxes i ON i.id = r.inbox_id WHERE i.account_id = $1 AND r.sent_at >= $2 AND r.sent_at < $3`,
        [accountId, since, until],
      );
      return Number(r!.n);
    });
  }

  hasBounce(inboxId: string, dedupeKey: string): Promise<boolean> {
    return this.c.run(async (q) => (await one(q, `SELECT 1 AS x FROM inbox_bounces WHERE inbox_id = $1 AND dedupe_key = $2`, [inboxId, dedupeKey])) !== undefined);
  }

  messageOf(inboxId: string, folder: string, uidValidity: number, uid: number): Promise<number | null> {
    return this.c.run(async (q) => {
      const r = await one(q, `SELECT message_row FROM inbox_bounces WHERE inbox_id = $1 AND folder = $2 AND uid_validity = $3 AND uid = $4 LIMIT 1`, [
        inboxId, folder, uidValidity, uid,
      ]);
      return r ? Number(r.message_row) : null;
    });
  }

  recordBounce(b: C.InboxBounceRow, now: number): Promise<boolean> {
    return this.c.run(async (q) => {
      const r = await all(
        q,
        `INSERT INTO inbox_bounces (inbox_id, dedupe_key, folder, uid_validity, uid, method, sent_message_id, recipient, message_row, bounce_id, received_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (inbox_id, dedupe_key) DO NOTHING RETURNING id`,
        [b.inboxId, b.dedupeKey, b.folder, b.uidValidity, b.uid, b.method, b.sentMessageId, canonicalAddress(b.recipient), b.messageRow, b.bounceId, b.receivedAt, now],
      );
      return r.length === 1;
    });
  }

  bounces(inboxId: string, limit = 100): Promise<C.InboxBounceRow[]> {
    return this.c.run(async (q) => (await all(q, `SELECT * FROM inbox_bounces WHERE inbox_id = $1 ORDER BY id LIMIT $2`, [inboxId, limit])).map(toInboxBounce));
  }

  acquireLease(id: string, node: string, now: number, leaseMs: number): Promise<boolean> {
    // one statement: the row lock makes two nodes' takes of a lapsed lease one after the other
    return this.c.run(
      async (q) =>
        (await all(
          q,
          `UPDATE inboxes SET lease_holder = $2, lease_until = $4
            WHERE id = $1 AND (lease_holder IS NULL OR lease_until <= $3 OR lease_holder = $2) RETURNING id`,
          [id, node, now, now + leaseMs],
        )).length === 1,
    );
  }

  releaseLease(id: string, node: string): Promise<boolean> {
    return this.c.run(async (q) => (await all(q, `UPDATE inboxes SET lease_holder = NULL, lease_until = NULL WHERE id = $1 AND lease_holder = $2 RETURNING id`, [id, node])).length === 1);
  }
}

// Connected inboxes on SQLite (contract: InboxRepo). Statements are prepared on first use
// (Ctx.cached) and kept with the connection.
import { canonicalAddress } from '../../address.js';
import type * as C from '../contract.js';
import { INBOX_COLUMNS, patchSql, sentKey, toInbox, toInboxBounce, toInboxSent } from '../inbox-rows.js';
import type { Row } from '../rows.js';
import type { Ctx } from './repos.js';

const STATUS_SQL = `UPDATE inboxes SET state = ?, error_code = ?, error_message = ?, error_at = ?, failures = ?, next_attempt_at = ?,
  last_sync_at = ?, counters = ? WHERE id = ?`;

// Free, lapsed or already ours: taken (or renewed) in one statement, so two nodes never both win.
const LEASE_SET = `lease_holder = @node, lease_until = @until
  WHERE id = @id AND (lease_holder IS NULL OR lease_until <= @now OR lease_holder = @node)`;

export class SqliteInboxes implements C.InboxRepo {
  constructor(private readonly c: Ctx) {}

  add(i: C.NewInbox, now: number): Promise<C.InboxRecord> {
    return this.c.g.read(() => {
      this.c
        .cached(
          `INSERT INTO inboxes (id, account_id, host, port, tls, username, auth, credentials, sent_folder, move_to, window_hours, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(i.id, i.accountId, i.host, i.port, i.tls, i.user, i.auth, i.credentials, i.sentFolder, i.moveTo, i.windowHours, now);
      return toInbox(this.c.cached(`SELECT ${INBOX_COLUMNS} FROM inboxes WHERE id = ?`).get(i.id) as Row);
    });
  }

  get(id: string): Promise<C.InboxRecord | null> {
    return this.c.g.read(() => {
      const r = this.c.cached(`SELECT ${INBOX_COLUMNS} FROM inboxes WHERE id = ?`).get(id) as Row | undefined;
      return r ? toInbox(r) : null;
    });
  }

  list(accountId?: string): Promise<C.InboxRecord[]> {
    return this.c.g.read(() => {
      const rows = accountId === undefined
        ? this.c.cached(`SELECT ${INBOX_COLUMNS} FROM inboxes ORDER BY created_at, id`).all()
        : this.c.cached(`SELECT ${INBOX_COLUMNS} FROM inboxes WHERE account_id = ? ORDER BY created_at, id`).all(accountId);
      return (rows as Row[]).map(toInbox);
    });
  }

  credentials(id: string): Promise<string | null> {
    return this.c.g.read(() => (this.c.cached(`SELECT credentials FROM inboxes WHERE id = ?`).get(id) as Row | undefined)?.credentials ?? null);
  }

  update(accountId: string, id: string, p: C.InboxPatch): Promise<boolean> {
    const { sets, values } = patchSql(p, () => '?');
    if (!sets.length) return this.get(id).then((i) => i !== null && i.accountId === accountId);
    return this.c.g.read(() => this.c.cached(`UPDATE inboxes SET ${sets.join(', ')} WHERE id = ? AND account_id = ?`).run(...values.map((v) => (typeof v === 'boolean' ? Number(v) : v)), id, accountId).changes === 1);
  }

  remove(accountId: string, id: string): Promise<boolean> {
    // the child rows go by ON DELETE CASCADE (foreign_keys=ON); messages and bounce records stay
    return this.c.g.write(() => this.c.cached(`DELETE FROM inboxes WHERE id = ? AND account_id = ?`).run(id, accountId).changes === 1);
  }

  setStatus(id: string, s: C.InboxSyncStatus): Promise<void> {
    return this.c.g.read(
      () => void this.c.cached(STATUS_SQL).run(s.state, s.errorCode, s.errorMessage, s.errorAt, s.failures, s.nextAttemptAt, s.lastSyncAt, s.counters ? JSON.stringify(s.counters) : null, id),
    );
  }

  checkpoint(inboxId: string, folder: string): Promise<{ uidValidity: number; lastUid: number } | null> {
    return this.c.g.read(() => {
      const r = this.c.cached(`SELECT uid_validity, last_uid FROM inbox_checkpoints WHERE inbox_id = ? AND folder = ?`).get(inboxId, folder) as Row | undefined;
      return r ? { uidValidity: Number(r.uid_validity), lastUid: Number(r.last_uid) } : null;
    });
  }

  saveCheckpoint(inboxId: string, folder: string, cp: { uidValidity: number; lastUid: number }, now: number): Promise<void> {
    return this.c.g.read(
      () =>
        void this.c
          .cached(
            `INSERT INTO inbox_checkpoints (inbox_id, folder, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (inbox_id, folder) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid, updated_at = excluded.updated_at`,
          )
          .run(inboxId, folder, cp.uidValidity, cp.lastUid, now),
    );
  }

  addSent(inboxId: string, messages: readonly C.InboxSent[], source: 'imap' | 'api'): Promise<number> {
    if (!messages.length) return Promise.resolve(0);
    return this.c.g.write(() => {
      const ins = this.c.cached(
        `INSERT INTO inbox_sent (inbox_id, message_key, message_id, subject, sent_at, recipients, source) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (inbox_id, message_key) DO NOTHING`,
      );
      const rcpt = this.c.cached(`INSERT INTO inbox_sent_recipients (inbox_id, recipient, sent_at, message_key) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`);
      let added = 0;
      for (const m of messages) {
        const recipients = [...new Set(m.recipients.map(canonicalAddress))];
        if (ins.run(inboxId, sentKey(m.messageId), m.messageId, m.subject, m.sentAt, JSON.stringify(recipients), source).changes !== 1) continue;
        added++;
        for (const r of recipients) rcpt.run(inboxId, r, m.sentAt, sentKey(m.messageId));
      }
      return added;
    });
  }

  sentByMessageId(inboxId: string, messageIds: readonly string[]): Promise<C.InboxSent[]> {
    return this.c.g.read(() => {
      const st = this.c.cached(`SELECT message_id, subject, sent_at, recipients FROM inbox_sent WHERE inbox_id = ? AND message_key = ?`);
      const out: C.InboxSent[] = [];
      for (const key of new Set(messageIds.map(sentKey))) {
        const r = st.get(inboxId, key) as Row | undefined;
        if (r) out.push(toInboxSent(r));
      }
      return out;
    });
  }

  sentToRecipients(inboxId: string, recipients: readonly string[], since: number, until: number): Promise<C.InboxSent[]> {
    return this.c.g.read(() => {
      const st = this.c.cached(
        `SELECT s.message_key, s.message_id, s.subject, s.sent_at, s.recipients FROM inbox_sent_recipients r
           JOIN inbox_sent s ON s.inbox_id = r.inbox_id AND s.message_key = r.message_key
          WHERE r.inbox_id = ? AND r.recipient = ? AND r.sent_at BETWEEN ? AND ? ORDER BY r.sent_at, r.message_key`,
      );
      const seen = new Map<string, C.InboxSent>();
      for (const a of new Set(recipients.map(canonicalAddress))) {
        for (const r of st.all(inboxId, a, since, until) as Row[]) if (!seen.has(r.message_key)) seen.set(r.message_key, toInboxSent(r));
      }
      return [...seen.values()];
    });
  }

  sendsOf(accountId: string, since: number, until: number): Promise<number> {
    return this.c.g.read(() => {
      const r = this.c
        .cached(
          `SELECT count(*) AS n FROM inbox_sent_recipients r JOIN inboxes i ON i.id = r.inbox_id
            WHERE i.account_id = ? AND r.sent_at >= ? AND r.sent_at < ?`,
        )
        .get(accountId, since, until) as Row;
      return Number(r.n);
    });
  }

  hasBounce(inboxId: string, dedupeKey: string): Promise<boolean> {
    return this.c.g.read(() => this.c.cached(`SELECT 1 FROM inbox_bounces WHERE inbox_id = ? AND dedupe_key = ?`).get(inboxId, dedupeKey) !== undefined);
  }

  messageOf(inboxId: string, folder: string, uidValidity: number, uid: number): Promise<number | null> {
    return this.c.g.read(() => {
      const r = this.c
        .cached(`SELECT message_row FROM inbox_bounces WHERE inbox_id = ? AND folder = ? AND uid_validity = ? AND uid = ? LIMIT 1`)
        .get(inboxId, folder, uidValidity, uid) as Row | undefined;
      return r ? Number(r.message_row) : null;
    });
  }

  recordBounce(b: C.InboxBounceRow, now: number): Promise<boolean> {
    return this.c.g.read(
      () =>
        this.c
          .cached(
            `INSERT INTO inbox_bounces (inbox_id, dedupe_key, folder, uid_validity, uid, method, sent_message_id, recipient, message_row, bounce_id, received_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (inbox_id, dedupe_key) DO NOTHING`,
          )
          .run(b.inboxId, b.dedupeKey, b.folder, b.uidValidity, b.uid, b.method, b.sentMessageId, canonicalAddress(b.recipient), b.messageRow, b.bounceId, b.receivedAt, now)
          .changes === 1,
    );
  }

  bounces(inboxId: string, limit = 100): Promise<C.InboxBounceRow[]> {
    return this.c.g.read(() => (this.c.cached(`SELECT * FROM inbox_bounces WHERE inbox_id = ? ORDER BY id LIMIT ?`).all(inboxId, limit) as Row[]).map(toInboxBounce));
  }

  acquireLease(id: string, node: string, now: number, leaseMs: number): Promise<boolean> {
    return this.c.g.read(
      () => this.c.cached(`UPDATE inboxes SET ${LEASE_SET}`).run({ id, node, now, until: now + leaseMs }).changes === 1,
    );
  }

  releaseLease(id: string, node: string): Promise<boolean> {
    return this.c.g.read(() => this.c.cached(`UPDATE inboxes SET lease_holder = NULL, lease_until = NULL WHERE id = ? AND lease_holder = ?`).run(id, node).changes === 1);
  }
}

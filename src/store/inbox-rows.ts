// Connected inboxes' rows (both backends: the same columns) -> the contract's records.
import type { InboxBounceRow, InboxPatch, InboxRecord, InboxSent } from './contract.js';
import type { Row } from './rows.js';

/** The columns of an inbox record: every one but `credentials` (read only by InboxRepo.credentials). */
export const INBOX_COLUMNS = `id, account_id, host, port, tls, username, auth, sent_folder, move_to, window_hours, enabled, created_at,
  state, error_code, error_message, error_at, failures, next_attempt_at, last_sync_at, counters, lease_holder, lease_until`;

export function toInbox(r: Row): InboxRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    host: r.host,
    port: Number(r.port),
    tls: r.tls,
    user: r.username,
    auth: r.auth,
    sentFolder: r.sent_folder ?? null,
    moveTo: r.move_to ?? null,
    windowHours: r.window_hours === null || r.window_hours === undefined ? null : Number(r.window_hours),
    enabled: Boolean(r.enabled),
    createdAt: Number(r.created_at),
    status: {
      state: r.state,
      errorCode: r.error_code ?? null,
      errorMessage: r.error_message ?? null,
      errorAt: r.error_at === null ? null : Number(r.error_at),
      failures: Number(r.failures),
      nextAttemptAt: r.next_attempt_at === null ? null : Number(r.next_attempt_at),
      lastSyncAt: r.last_sync_at === null ? null : Number(r.last_sync_at),
      counters: r.counters ? (JSON.parse(r.counters) as Record<string, unknown>) : null,
    },
    lease: r.lease_holder === null || r.lease_holder === undefined ? null : { node: r.lease_holder, until: Number(r.lease_until) },
  };
}

export function toInboxSent(r: Row): InboxSent {
  return { messageId: r.message_id, recipients: JSON.parse(r.recipients) as string[], subject: r.subject ?? null, sentAt: Number(r.sent_at) };
}

export function toInboxBounce(r: Row): InboxBounceRow {
  return {
    inboxId: r.inbox_id,
    dedupeKey: r.dedupe_key,
    folder: r.folder,
    uidValidity: Number(r.uid_validity),
    uid: Number(r.uid),
    method: r.method,
    sentMessageId: r.sent_message_id,
    recipient: r.recipient,
    messageRow: Number(r.message_row),
    bounceId: r.bounce_id === null ? null : Number(r.bounce_id),
    receivedAt: Number(r.received_at),
  };
}

/** Message-IDs and addresses as the sent index keys them. */
export const sentKey = (messageId: string): string => messageId.toLowerCase();

/**
 * The SET list of an inbox update, in a fixed column order (so each backend's statement text
 * is one of few, prepared once); `param` names the next placeholder (`?` or `$n`). A new
 * secret clears the back-off and the failure count.
 */
export function patchSql(p: InboxPatch, param: () => string): { sets: string[]; values: unknown[] } {
  const sets: string[] = [];
  const values: unknown[] = [];
  const set = (col: string, v: unknown) => {
    sets.push(`${col} = ${param()}`);
    values.push(v);
  };
  if (p.secret) {
    set('auth', p.secret.auth);
    set('credentials', p.secret.credentials);
    sets.push('next_attempt_at = NULL', 'failures = 0');
  }
  if (p.enabled !== undefined) set('enabled', p.enabled);
  if (p.sentFolder !== undefined) set('sent_folder', p.sentFolder);
  if (p.moveTo !== undefined) set('move_to', p.moveTo);
  if (p.windowHours !== undefined) set('window_hours', p.windowHours);
  return { sets, values };
}

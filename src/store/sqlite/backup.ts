// The SQLite half of `bounced backup` (src/commands/backup.ts): the online copy (SqliteStore.
// backup, SQLite's backup API from one read snapshot) and the check of the copy, here so that
// no driver handle leaves src/store.
import Database from 'better-sqlite3';
import { sqliteError } from './gate.js';

/**
 * Makes a copy self-contained and checks it: journal_mode=DELETE (one file, no -wal to carry
 * along), then quick_check. Returns its schema version; throws when the check fails.
 */
export function finishCopy(file: string): { schemaVersion: number } {
  let copy: Database.Database;
  try {
    copy = new Database(file);
  } catch (err) {
    throw sqliteError(err);
  }
  try {
    copy.pragma('journal_mode = DELETE');
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`the copy failed quick_check: ${String(check)}`);
    return { schemaVersion: copy.pragma('user_version', { simple: true }) as number };
  } finally {
    copy.close();
  }
}

/** The spool files a copy's rows name (`bounced backup` copies them beside it). */
export function spooledFilesOf(file: string): string[] {
  const copy = new Database(file, { readonly: true });
  try {
    return copy.prepare('SELECT spool_file FROM message_raw WHERE spool_file IS NOT NULL ORDER BY message_id').pluck().all() as string[];
  } finally {
    copy.close();
  }
}

/**
 * Drops from a copy the bytes of spooled messages whose file is gone: pruned (retention) after
 * the copy's snapshot was taken, before its file could be copied. As after a prune, the rows
 * stay and their bytes are no longer stored; no row of the copy names a missing file.
 */
export function dropSpooled(file: string, missing: readonly string[]): void {
  if (!missing.length) return;
  const copy = new Database(file);
  try {
    const get = copy.prepare('SELECT message_id FROM message_raw WHERE spool_file = ?').pluck();
    const delTail = copy.prepare('DELETE FROM message_raw_tail WHERE message_id = ?');
    const del = copy.prepare('DELETE FROM message_raw WHERE message_id = ?');
    copy.transaction(() => {
      for (const f of missing) {
        const id = get.get(f);
        if (id === undefined) continue;
        delTail.run(id);
        del.run(id);
      }
    })();
  } finally {
    copy.close();
  }
}

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

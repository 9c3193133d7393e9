// `bounced backup FILE`: an online copy of the SQLite database, safe while the daemon runs.
//
// SQLite's backup API (better-sqlite3's db.backup) copies pages from a read transaction. In
// WAL mode a reader never blocks the writer, so the daemon keeps taking mail. Copied in small
// steps, a backup restarts whenever another connection writes between two steps, and a busy
// daemon could keep it restarting; so all pages go in one step, from one snapshot.
//
// The copy is written beside FILE under a temporary name, switched to journal_mode=DELETE (one
// self-contained file, no -wal to carry along), checked, and only then renamed to FILE: a
// half-written or damaged backup never sits under the name an operator will restore from.
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config/schema.js';
import { openStore } from '../store/index.js';
import { DB_FILE } from '../store/sqlite.js';

/** sysexits.h EX_CANTCREAT: the output file cannot be created. */
export const EX_CANTCREAT = 73;

export interface BackupOptions {
  /** Replace FILE when it exists. */
  force: boolean;
}

export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
  schemaVersion: number;
  /** Migrations that opening the store applied first (a newer bounced on an older database). */
  migrated: number[];
}

export class BackupError extends Error {
  override name = 'BackupError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export async function runBackup(config: Config, file: string, opts: BackupOptions): Promise<BackupResult> {
  const target = resolve(file);
  const source = resolve(config.dataDir, DB_FILE);
  if (target === source) throw new BackupError(`refusing to back up ${source} onto itself`, EX_CANTCREAT);
  if (!existsSync(dirname(target))) throw new BackupError(`directory ${dirname(target)} does not exist`, EX_CANTCREAT);
  if (existsSync(target) && !opts.force) throw new BackupError(`${target} exists (--force replaces it)`, EX_CANTCREAT);

  const tmp = `${target}.tmp-${process.pid}`;
  const store = openStore(config);
  try {
    const progress = await store.db.backup(tmp, { progress: () => 0x7fffffff });
    const copy = new Database(tmp);
    let schemaVersion: number;
    try {
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new BackupError(`the copy failed quick_check: ${String(check)}`, 1);
      schemaVersion = copy.pragma('user_version', { simple: true }) as number;
    } finally {
      copy.close();
    }
    renameSync(tmp, target);
    return { file: target, bytes: statSync(target).size, pages: progress.totalPages, schemaVersion, migrated: store.appliedMigrations };
  } catch (err) {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-journal`, { force: true });
    throw err;
  } finally {
    store.close();
  }
}

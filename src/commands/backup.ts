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
import { chmodSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { buildPipeline } from '../pipeline/build.js';
import { finishCopy } from '../store/sqlite/backup.js';
import { DB_FILE, SqliteStore } from '../store/sqlite/open.js';

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

/** A refusal the operator can fix (the output file), with its exit code; store failures throw. */
export type BackupOutcome = ({ ok: true } & BackupResult) | { ok: false; error: string; exitCode: number };

export async function runBackup(config: Config, file: string, opts: BackupOptions): Promise<BackupOutcome> {
  const target = resolve(file);
  const source = resolve(config.dataDir, DB_FILE);
  const refuse = (error: string) => ({ ok: false as const, error, exitCode: EX_CANTCREAT });
  if (target === source) return refuse(`refusing to back up ${source} onto itself`);
  if (!existsSync(dirname(target))) return refuse(`directory ${dirname(target)} does not exist`);
  if (existsSync(target) && !opts.force) return refuse(`${target} exists (--force replaces it)`);

  const tmp = `${target}.tmp-${process.pid}`;
  const { store, close } = await buildPipeline(config);
  try {
    // SQLite's file; a PostgreSQL database is copied with its own tools (or `bounced store copy`, phase B2).
    if (!(store instanceof SqliteStore)) return { ok: false, error: 'backup copies the SQLite database; this one is PostgreSQL (use pg_dump)', exitCode: EX_CANTCREAT };
    const pages = await store.backup(tmp);
    const { schemaVersion } = finishCopy(tmp);
    // The messages are personal data: the copy is for its owner only.
    chmodSync(tmp, 0o600);
    renameSync(tmp, target);
    return { ok: true, file: target, bytes: statSync(target).size, pages, schemaVersion, migrated: [...store.appliedMigrations] };
  } catch (err) {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-journal`, { force: true });
    throw err;
  } finally {
    await close();
  }
}

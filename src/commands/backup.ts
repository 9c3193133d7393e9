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
import { chmodSync, closeSync, constants, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { buildPipeline } from '../pipeline/build.js';
import { spoolDirOf, syncDirSync } from '../spool/dir.js';
import { dropSpooled, finishCopy, spooledFilesOf } from '../store/sqlite/backup.js';
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
  /** Big messages' spool files the copy names, copied to `spoolDir` (FILE.spool). */
  spool: { dir: string; files: number; bytes: number } | null;
}

/** Where the spool files of a backup FILE go: beside it, restored as <dataDir>/spool. */
export function backupSpoolDir(file: string): string {
  return `${resolve(file)}.spool`;
}

/**
 * Copies the spool files the copy's rows name into `to` (each fsynced, then the directory).
 * Spool files never change once named, so a file copied after the snapshot is the file the
 * snapshot meant; one pruned in between is gone, and its row's bytes are dropped from the copy
 * as a prune would have (dropSpooled). Returns what was copied.
 */
function copySpool(copyFile: string, from: string, to: string): { files: number; bytes: number } {
  const names = spooledFilesOf(copyFile);
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { mode: 0o700 });
  const missing: string[] = [];
  let bytes = 0;
  for (const name of names) {
    try {
      // A clone where the filesystem can (reflink), a copy otherwise.
      copyFileSync(join(from, name), join(to, name), constants.COPYFILE_FICLONE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        missing.push(name);
        continue;
      }
      throw err;
    }
    const fd = openSync(join(to, name), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(join(to, name), 0o600);
    bytes += statSync(join(to, name)).size;
  }
  syncDirSync(to);
  dropSpooled(copyFile, missing);
  return { files: names.length - missing.length, bytes };
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
  if (existsSync(backupSpoolDir(target)) && !opts.force) return refuse(`${backupSpoolDir(target)} exists (--force replaces it)`);

  const tmp = `${target}.tmp-${process.pid}`;
  const { store, close } = await buildPipeline(config);
  try {
    // SQLite's file; a PostgreSQL database is copied with its own tools (or `bounced store copy`, phase B2).
    if (!(store instanceof SqliteStore)) return { ok: false, error: 'backup copies the SQLite database; this one is PostgreSQL (use pg_dump)', exitCode: EX_CANTCREAT };
    const pages = await store.backup(tmp);
    const { schemaVersion } = finishCopy(tmp);
    // Big messages' bytes are in spool files (issue #20): copied beside the file, and the copy
    // says nothing of a file it does not carry. Renamed into place before the database file,
    // so that a FILE never sits beside a spool that lacks its files.
    const from = spoolDirOf(config);
    const spool = from === null ? null : { dir: backupSpoolDir(target), ...copySpool(tmp, from, `${tmp}.spool`) };
    if (spool) {
      rmSync(spool.dir, { recursive: true, force: true });
      renameSync(`${tmp}.spool`, spool.dir);
    }
    // The messages are personal data: the copy is for its owner only.
    chmodSync(tmp, 0o600);
    renameSync(tmp, target);
    return { ok: true, file: target, bytes: statSync(target).size, pages, schemaVersion, migrated: [...store.appliedMigrations], spool };
  } catch (err) {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-journal`, { force: true });
    rmSync(`${tmp}.spool`, { recursive: true, force: true });
    throw err;
  } finally {
    await close();
  }
}

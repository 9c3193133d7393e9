// Where spool files live and what they are called (issue #20: big messages go to a spool
// file). One file per message, written once and never changed: the database row names it
// (message_raw.spool_file) and only a committed row keeps it. A file no row names is an
// orphan (a crash between its fsync and the commit, a refused or broken session): the
// sweep (./sweep.ts) removes it; the sender had no 250 and sends the message again.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';

/**
 * The spool directory of a configuration, or null (no spooling): spool.dir when set; else
 * <dataDir>/spool with SQLite; with PostgreSQL nothing, since a node-local directory is not
 * shared by the other nodes that read the same rows (the bytes then go into the database).
 */
export function spoolDirOf(config: Pick<Config, 'dataDir' | 'spool' | 'database'>): string | null {
  if (config.spool.dir) return resolve(config.spool.dir);
  if (/^postgres(ql)?:\/\//i.test(config.database.url)) return null;
  return resolve(config.dataDir, 'spool');
}

/** Whether the listener spools at all under this configuration. */
export function spoolAbove(config: Pick<Config, 'dataDir' | 'spool' | 'database'>): number | null {
  return config.spool.aboveBytes > 0 && spoolDirOf(config) !== null ? config.spool.aboveBytes : null;
}

/** `<ms>-<16 hex>.eml`: sortable by arrival, unguessable, no path separators. */
const NAME = /^\d{13,}-[0-9a-f]{16}\.eml$/;

export function newSpoolName(now = Date.now()): string {
  return `${now}-${randomBytes(8).toString('hex')}.eml`;
}

/** Whether a name read from the directory (or a row) is one of ours: nothing else is touched or opened. */
export function isSpoolName(name: string): boolean {
  return NAME.test(name);
}

/**
 * fsync of a directory: a new file's name is durable only once its directory is synced
 * (POSIX leaves the entry to the directory; Postfix syncs its queue directories the same way).
 */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The same, synchronously (start-up, commands). */
export function syncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

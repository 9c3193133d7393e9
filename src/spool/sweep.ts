// The orphan sweep (issue #20). A spool file is made durable before its row is committed, so
// a crash between the two, a commit that failed, or a file whose message was pruned inside a
// transaction leaves a file no row names. Such a message was never acknowledged (no 250), so
// its sender still has it and retries: the orphan is removed, never adopted. The reverse (a
// row without its file) cannot happen: rows are written after their file, files are removed
// after their row.
//
// A file being written right now has no row yet either. At the daemon's start on a node-local
// spool no session runs, so every orphan goes; otherwise (the hourly job, a spool shared by
// several nodes) only files untouched for longer than a session can last are looked at.
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageRepo } from '../store/contract.js';
import { isSpoolName } from './dir.js';

/** Files asked about per store call. */
const BATCH = 256;

export interface SweepResult {
  /** Spool files a row names. */
  kept: number;
  /** Orphans removed. */
  removed: string[];
}

/**
 * Removes the spool files in `dir` that no message row names, of those last modified before
 * `olderThan` (ms). Names that are not spool names are never touched.
 */
export async function sweepSpool(messages: Pick<MessageRepo, 'spooledFiles'>, dir: string, olderThan: number): Promise<SweepResult> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isSpoolName);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kept: 0, removed: [] };
    throw err;
  }
  const result: SweepResult = { kept: 0, removed: [] };
  for (let at = 0; at < names.length; at += BATCH) {
    const old: string[] = [];
    for (const name of names.slice(at, at + BATCH)) {
      const st = await stat(join(dir, name)).catch(() => null);
      if (st && st.mtimeMs < olderThan) old.push(name);
    }
    const named = await messages.spooledFiles(old);
    result.kept += names.slice(at, at + BATCH).length - old.length + named.size;
    for (const name of old) {
      if (named.has(name)) continue;
      await unlink(join(dir, name)).catch(() => {});
      result.removed.push(name);
    }
  }
  return result;
}

/**
 * How old an unnamed file must be before the hourly sweep removes it: longer than any session
 * (smtp.maxSessionMs) plus the wait of its commit (store.busyTimeoutMs) and a minute.
 */
export function orphanAgeMs(config: { smtp: { maxSessionMs: number }; store: { busyTimeoutMs: number } }): number {
  return config.smtp.maxSessionMs + config.store.busyTimeoutMs + 60_000;
}

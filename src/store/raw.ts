// How a message's bytes are kept, the same in every backend: the head (RAW_HEAD_BYTES, all
// processing reads) in one row, the rest in parts of at most TAIL_PART_BYTES in order, so
// that neither storing nor processing a big message needs it whole in one buffer; or, for a
// message the listener spooled (src/spool), the head in that row and the whole in its file.
import { createHash } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RAW_HEAD_BYTES } from '../domain/index.js';
import { isSpoolName } from '../spool/dir.js';
import type { SpooledBytes } from './contract.js';
import { StoreError } from './store-error.js';

/** Tail parts are at most this big: each is one row, bound (copied) by the driver on its own. */
export const TAIL_PART_BYTES = 1024 * 1024;

export interface RawLayout {
  size: number;
  sha256: string;
  head: Buffer;
  tail: Buffer[];
}

/** The size, digest, head and tail parts of a message given as one buffer or its parts. */
export function layoutRaw(raw: Buffer | readonly Buffer[], headBytes = RAW_HEAD_BYTES): RawLayout {
  const parts = Buffer.isBuffer(raw) ? [raw] : raw;
  const hash = createHash('sha256');
  let size = 0;
  const headParts: Buffer[] = [];
  let headLen = 0;
  const tail: Buffer[] = [];
  for (const p of parts) {
    hash.update(p);
    size += p.length;
    const take = Math.min(p.length, headBytes - headLen);
    if (take > 0) {
      headParts.push(take === p.length ? p : p.subarray(0, take));
      headLen += take;
    }
    for (let at = Math.max(take, 0); at < p.length; at += TAIL_PART_BYTES) tail.push(p.subarray(at, at + TAIL_PART_BYTES));
  }
  const head = headParts.length === 1 ? headParts[0]! : Buffer.concat(headParts, headLen);
  return { size, sha256: hash.digest('hex'), head, tail };
}

// ---------------------------------------------------------------------------------------
// Spooled messages (issue #20, src/spool): the file holds the whole message, the database its
// head and the file's name. Both backends use these.

/** The layout of a spooled message: size and digest as the listener measured the file, the head given. */
export function layoutSpooled(raw: Buffer | readonly Buffer[], spool: SpooledBytes, spoolDir: string | null): RawLayout & { file: string } {
  if (spoolDir === null) throw new StoreError('invalid', 'a spooled message reached a store without a spool directory (spool.dir)');
  if (!isSpoolName(spool.file)) throw new StoreError('invalid', `not a spool file name: ${JSON.stringify(spool.file)}`);
  const head = Buffer.isBuffer(raw) ? raw : Buffer.concat(raw);
  if (head.length > RAW_HEAD_BYTES) throw new StoreError('invalid', `a spooled message's head is at most ${RAW_HEAD_BYTES} bytes`);
  return { size: spool.size, sha256: spool.sha256, head, tail: [], file: spool.file };
}

/** A spooled message's bytes; a missing or unreadable file is the store's fault (StoreError internal). */
export async function readSpooled(spoolDir: string | null, file: string): Promise<Buffer> {
  if (spoolDir === null || !isSpoolName(file)) throw new StoreError('internal', `message bytes in spool file ${file}, but no spool directory is configured (spool.dir)`);
  try {
    return await readFile(join(spoolDir, file));
  } catch (err) {
    throw new StoreError('internal', `cannot read spool file ${file}: ${(err as Error).message}`, (err as NodeJS.ErrnoException).code ?? null, { cause: err });
  }
}

/**
 * Removes the files of pruned messages, after their rows' commit: a crash before leaves
 * orphans for the sweep. A file already gone (another node pruned it) is no fault.
 */
export async function removeSpooled(spoolDir: string | null, files: readonly string[]): Promise<void> {
  if (spoolDir === null) return;
  for (const f of files) if (isSpoolName(f)) await unlink(join(spoolDir, f)).catch(() => {});
}

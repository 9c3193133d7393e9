// How a message's bytes are kept, the same in every backend: the head (RAW_HEAD_BYTES, all
// processing reads) in one row, the rest in parts of at most TAIL_PART_BYTES in order, so
// that neither storing nor processing a big message needs it whole in one buffer.
import { createHash } from 'node:crypto';
import { RAW_HEAD_BYTES } from '../domain/index.js';

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

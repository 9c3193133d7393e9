// One SMTP message's bytes while its DATA arrives (src/listener/message-bytes.ts), on a real
// spool directory: a message past spool.aboveBytes lands in its file whole and in order, its
// head is the message's first RAW_HEAD_BYTES in one buffer of its own (the intake thread takes
// it over without a copy), and what stays in memory counts against the budget.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RAW_HEAD_BYTES } from '../../src/domain/index.js';
import { ByteBudget } from '../../src/listener/data-budget.js';
import { HEAD_FROM_BYTES, MessageBytes } from '../../src/listener/message-bytes.js';
import { SpoolWriter } from '../../src/spool/writer.js';
import { tmpDir } from '../helpers/env.js';

const MB = 1024 * 1024;

/** Feeds `message` in chunks of `size` bytes (the last one shorter), as socket reads arrive. */
function feed(bytes: MessageBytes, message: Buffer, size: number): void {
  for (let at = 0; at < message.length; at += size) bytes.add(message.subarray(at, at + size));
}

function spoolDir(): string {
  const dir = join(tmpDir('bounced-msgbytes-'), 'spool');
  SpoolWriter.prepare(dir);
  return dir;
}

describe('message bytes', () => {
  for (const chunk of [65536, 1000, 3 * MB]) {
    it(`a message past spool.aboveBytes goes to its file whole; the head is its first bytes in one buffer of its own (chunks of ${chunk})`, async () => {
      const dir = spoolDir();
      const budget = new ByteBudget(64 * MB);
      const bytes = new MessageBytes({ dir, above: MB }, budget.open(), () => {});
      const message = randomBytes(5 * MB + 12345);
      feed(bytes, message, chunk);
      expect(bytes.spooling).toBe(true);
      expect(bytes.heldInMemory).toBe(false);
      // Only the head stays in memory, and only it counts.
      expect(budget.inFlight).toBe(RAW_HEAD_BYTES);
      const held = await bytes.finish();
      const head = held.raw as Buffer;
      expect(Buffer.isBuffer(head)).toBe(true);
      expect(head.equals(message.subarray(0, RAW_HEAD_BYTES))).toBe(true);
      // Its own ArrayBuffer, whole: movable to the intake thread (src/pipeline/remote.ts).
      expect(head.byteOffset).toBe(0);
      expect(head.buffer.byteLength).toBe(head.length);
      // One V8 maps itself (a maxByteLength), not one from malloc's per-thread arenas.
      expect((head.buffer as ArrayBuffer & { maxByteLength: number }).maxByteLength).toBe(RAW_HEAD_BYTES);
      expect(held.spool).toEqual({ file: held.spool!.file, size: message.length, sha256: createHash('sha256').update(message).digest('hex') });
      expect(readFileSync(join(dir, held.spool!.file)).equals(message)).toBe(true);
    });
  }

  it('spooled past a threshold below the head: the head is what arrived up to RAW_HEAD_BYTES, a buffer of its exact length', async () => {
    const dir = spoolDir();
    const bytes = new MessageBytes({ dir, above: 100_000 }, new ByteBudget(64 * MB).open(), () => {});
    const message = randomBytes(600_000);
    feed(bytes, message, 65536);
    const held = await bytes.finish();
    const head = held.raw as Buffer;
    expect(head.length).toBe(message.length);
    expect(head.equals(message)).toBe(true);
    expect(readFileSync(join(dir, held.spool!.file)).equals(message)).toBe(true);
  });

  it('a message under spool.aboveBytes stays in memory, in parts, and counts whole', async () => {
    const budget = new ByteBudget(64 * MB);
    const bytes = new MessageBytes({ dir: spoolDir(), above: 4 * MB }, budget.open(), () => {});
    const message = randomBytes(3 * MB + 7);
    feed(bytes, message, 65536);
    expect(bytes.spooling).toBe(false);
    expect(bytes.heldInMemory).toBe(true);
    expect(budget.inFlight).toBe(message.length);
    const held = await bytes.finish();
    expect(held.spool).toBeUndefined();
    expect(Buffer.concat(held.raw as Buffer[]).equals(message)).toBe(true);
  });

  it('a dropped message holds nothing: no memory counted, its file removed', async () => {
    const dir = spoolDir();
    const budget = new ByteBudget(64 * MB);
    const bytes = new MessageBytes({ dir, above: MB }, budget.open(), () => {});
    feed(bytes, randomBytes(3 * MB), 65536);
    bytes.drop();
    expect(bytes.heldInMemory).toBe(false);
    expect(budget.inFlight).toBe(0);
    await bytes.discard();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a message between HEAD_FROM_BYTES and spool.aboveBytes is gathered in its head buffer: its exact bytes, in a buffer of its own, no file', async () => {
    const dir = spoolDir();
    const budget = new ByteBudget(64 * MB);
    const bytes = new MessageBytes({ dir, above: MB }, budget.open(), () => {});
    const message = randomBytes(HEAD_FROM_BYTES * 5 + 3);
    feed(bytes, message.subarray(0, HEAD_FROM_BYTES), 4000);
    // Up to HEAD_FROM_BYTES a message is its chunks, counted by their size.
    expect(budget.inFlight).toBe(HEAD_FROM_BYTES);
    feed(bytes, message.subarray(HEAD_FROM_BYTES), 65536);
    // Then the head buffer counts, whatever the message's size up to it.
    expect(budget.inFlight).toBe(RAW_HEAD_BYTES);
    expect(bytes.heldInMemory).toBe(true);
    expect(bytes.spooling).toBe(false);
    const held = await bytes.finish();
    const raw = held.raw as Buffer;
    expect(held.spool).toBeUndefined();
    expect(raw.equals(message)).toBe(true);
    expect(raw.byteOffset).toBe(0);
    expect(raw.buffer.byteLength).toBe(message.length);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a message gathered in its head and then spooled lands in its file whole, whatever the chunk at the switch', async () => {
    for (const chunk of [65536, 65535, 333_333]) {
      const dir = spoolDir();
      const budget = new ByteBudget(64 * MB);
      const bytes = new MessageBytes({ dir, above: 700_000 }, budget.open(), () => {});
      const message = randomBytes(2 * MB + 17);
      feed(bytes, message, chunk);
      expect(bytes.spooling).toBe(true);
      expect(budget.inFlight).toBe(RAW_HEAD_BYTES);
      const held = await bytes.finish();
      expect((held.raw as Buffer).equals(message.subarray(0, RAW_HEAD_BYTES))).toBe(true);
      expect(readFileSync(join(dir, held.spool!.file)).equals(message)).toBe(true);
    }
  });
});

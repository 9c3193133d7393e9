// The spool writer (src/spool/writer.ts) on a real directory: chunks handed over while a write
// is on its way go to the disk together (one writev), in order; the session is paused past
// HIGH_WATER bytes waiting and resumed once they are written; finish() reports what the row keeps.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HIGH_WATER, SpoolWriter } from '../../src/spool/writer.js';
import { tmpDir } from '../helpers/env.js';

describe('spool writer', () => {
  it('writes many chunks handed over at once in order, pausing the session while they wait', async () => {
    const dir = join(tmpDir('bounced-spoolwriter-'), 'spool');
    SpoolWriter.prepare(dir);
    const pauses: boolean[] = [];
    const writer = new SpoolWriter(dir, (paused) => pauses.push(paused));
    // Socket reads and the parser's held-back bytes, as the DATA stream hands them over.
    const chunks: Buffer[] = [];
    for (let i = 0; i < 64; i++) chunks.push(randomBytes(i % 2 ? 4 : 16_000 + i));
    for (const c of chunks) writer.write(c);
    expect(pauses).toEqual([true]);
    const done = await writer.finish();
    expect(pauses).toEqual([true, false]);
    const whole = Buffer.concat(chunks);
    expect(readFileSync(join(dir, writer.name)).equals(whole)).toBe(true);
    expect(done).toEqual({ file: writer.name, size: whole.length, sha256: createHash('sha256').update(whole).digest('hex') });
  });

  it('takes chunks that come while a write runs, in order; every pause is followed by a resume', async () => {
    const dir = join(tmpDir('bounced-spoolwriter-'), 'spool');
    SpoolWriter.prepare(dir);
    const pauses: boolean[] = [];
    const writer = new SpoolWriter(dir, (paused) => pauses.push(paused));
    const chunks: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      const c = randomBytes(HIGH_WATER / 4);
      chunks.push(c);
      writer.write(c);
      if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await writer.finish();
    expect(readFileSync(join(dir, writer.name)).equals(Buffer.concat(chunks))).toBe(true);
    expect(pauses.filter((p) => p).length).toBe(pauses.filter((p) => !p).length);
  });
});

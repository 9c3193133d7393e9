// `bounced classify`'s read-ahead thread (src/commands/classify-reader.ts): every file's bytes,
// or the error its reading threw, exactly as reading it on the classifying thread gives them,
// in order, over batches, with files of every size (a batch's buffer grows and is reused) and
// files that cannot be read; and the same when there is no thread.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileReused } from '../../src/commands/classify.js';
import { FileReadAhead } from '../../src/commands/classify-reader.js';
import { tmpDir } from '../helpers/env.js';

let dir: string;
const files: string[] = [];

/** What reading each file here gives: a copy of its bytes, or the error message. */
function readAllHere(): ({ bytes: Buffer; error: null } | { bytes: null; error: string })[] {
  return files.map((f) => {
    try {
      return { bytes: Buffer.from(readFileReused(f)), error: null };
    } catch (err) {
      return { bytes: null, error: (err as Error).message };
    }
  });
}

beforeAll(() => {
  dir = tmpDir('bounced-classify-reader-');
  // 700 files over 11 batches: small ones, empty ones, some past a batch's first buffer (256 KB)
  // and one past the size of buffer the thread keeps, a directory (EISDIR) and missing files
  for (let i = 0; i < 700; i++) {
    const f = join(dir, `m${String(i).padStart(4, '0')}`);
    if (i % 97 === 5) {
      files.push(f + '-missing');
      continue;
    }
    if (i === 300) {
      mkdirSync(f);
      files.push(f);
      continue;
    }
    const size = i % 50 === 0 ? 0 : i === 400 ? 5 * 1024 * 1024 + 1 : i % 120 === 7 ? 300_000 + i : 200 + ((i * 131) % 9000);
    const bytes = Buffer.alloc(size);
    for (let k = 0; k < size; k += 97) bytes[k] = (k + i) & 0xff;
    writeFileSync(f, bytes);
    files.push(f);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('classify: reading ahead on a thread', () => {
  for (const thread of [true, false]) {
    it(`gives each file's bytes or reading error as reading it here does (${thread ? 'with' : 'without'} the thread)`, async () => {
      const expected = readAllHere();
      expect(expected.filter((e) => e.error).length).toBeGreaterThan(5);
      const ahead = new FileReadAhead(files, readFileReused, thread);
      try {
        for (let i = 0; i < files.length; i++) {
          const got = await ahead.take(i);
          const want = expected[i];
          expect(got.error, files[i]).toBe(want.error);
          if (want.bytes) expect(got.bytes && Buffer.compare(got.bytes, want.bytes), files[i]).toBe(0);
        }
      } finally {
        await ahead.close();
      }
    });
  }
});

// How `bounced classify` finds and reads its files (issue #20, speed): the listing takes each
// entry's type from readdir and stats only what readdir could not type, and the files are read
// into one reused buffer. Both must answer as the plain ways (statSync per entry, readFileSync)
// did, on a real directory tree with links, dot files, a FIFO and files of every size.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, readFileReused } from '../../src/commands/classify.js';
import { tmpDir } from '../helpers/env.js';

let dir: string;

/** The listing as it was made before: a stat(2) per entry, names sorted. */
function listByStat(paths: string[], missing: string[]): string[] {
  const out: string[] = [];
  const visit = (p: string, top: boolean) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      if (top) missing.push(p);
      return;
    }
    if (st.isDirectory()) {
      for (const n of readdirSync(p).sort()) if (!n.startsWith('.')) visit(join(p, n), false);
    } else if (st.isFile()) out.push(p);
  };
  for (const p of paths) visit(p, true);
  return out;
}

beforeAll(() => {
  dir = tmpDir('bounced-classify-read-');
  mkdirSync(join(dir, 'b', 'inner'), { recursive: true });
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, '.hidden'));
  writeFileSync(join(dir, '.hidden', 'x.eml'), 'Subject: hidden\n\n');
  writeFileSync(join(dir, 'a', 'Z.eml'), 'Subject: Z\n\n');
  writeFileSync(join(dir, 'a', 'a.eml'), 'Subject: a\n\n');
  writeFileSync(join(dir, 'a', '.dot.eml'), 'Subject: dot\n\n');
  writeFileSync(join(dir, 'a', 'é.eml'), 'Subject: e\n\n');
  writeFileSync(join(dir, 'b', 'inner', 'deep.eml'), 'Subject: deep\n\n');
  symlinkSync(join(dir, 'a', 'a.eml'), join(dir, 'b', 'link-to-file'));
  symlinkSync(join(dir, 'a'), join(dir, 'b', 'link-to-dir'));
  symlinkSync(join(dir, 'nowhere'), join(dir, 'b', 'broken-link'));
  execFileSync('mkfifo', [join(dir, 'b', 'fifo')]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('classify: listing', () => {
  it('lists what a stat per entry lists, in the same order, links followed, FIFOs and dot files skipped', () => {
    const missingA: string[] = [];
    const missingB: string[] = [];
    const paths = [dir, join(dir, 'a', 'a.eml'), join(dir, 'no-such')];
    const got = listFiles(paths, missingA);
    expect(got).toEqual(listByStat(paths, missingB));
    expect(missingA).toEqual([join(dir, 'no-such')]);
    expect(got).toContain(join(dir, 'b', 'link-to-file'));
    expect(got).toContain(join(dir, 'b', 'link-to-dir', 'Z.eml'));
    expect(got.some((f) => f.includes('.hidden') || f.includes('.dot') || f.endsWith('fifo') || f.endsWith('broken-link'))).toBe(false);
    // 'Z' (0x5a) sorts before 'a' (0x61), and 'é' after both: code-unit order
    expect(got.slice(0, 3)).toEqual([join(dir, 'a', 'Z.eml'), join(dir, 'a', 'a.eml'), join(dir, 'a', 'é.eml')]);
  });
});

describe('classify: reading', () => {
  it('gives readFileSync\'s bytes for files from empty to past the buffer, a large one between small ones', () => {
    const sizes = [0, 1, 65535, 65536, 65537, 200_000, 10, 5 * 1024 * 1024 + 3, 7, 64 * 1024];
    sizes.forEach((n, i) => {
      const f = join(dir, `size-${i}`);
      const bytes = Buffer.alloc(n);
      for (let k = 0; k < n; k++) bytes[k] = (k * 31 + i) & 0xff;
      writeFileSync(f, bytes);
    });
    sizes.forEach((n, i) => {
      const f = join(dir, `size-${i}`);
      const got = readFileReused(f);
      expect(got.length).toBe(n);
      expect(got.equals(readFileSync(f))).toBe(true);
    });
  });

  it('throws what readFileSync throws for a missing file', () => {
    const f = join(dir, 'missing.eml');
    let expected = '';
    try {
      readFileSync(f);
    } catch (err) {
      expected = (err as Error).message;
    }
    expect(() => readFileReused(f)).toThrow(expected);
  });
});

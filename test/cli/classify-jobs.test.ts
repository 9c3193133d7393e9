// `bounced classify --jobs N` (issue #20): many files classified on several threads print
// exactly what one thread prints, in input order, in every format. The built CLI
// (dist/cli.js) in child processes over the repository's fixtures (every file of them, the
// README and generator scripts included: records of kind unknown).
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/child.js';
import { fixturesDir, tmpDir } from '../helpers/env.js';

const bounced = (...args: string[]) => runCli(process.env, args, 120_000);

let many: string;

beforeAll(() => {
  // three copies of the fixtures (about 1,900 files): enough for three threads, as a thread
  // is started only for every 500 files; plus an empty file (an error record)
  many = tmpDir('bounced-classify-jobs-');
  for (const copy of ['a', 'b', 'c']) cpSync(fixturesDir, join(many, copy), { recursive: true });
  writeFileSync(join(many, 'b', 'zz-empty.eml'), '');
});

afterAll(() => rmSync(many, { recursive: true, force: true }));

describe('classify --jobs', () => {
  it('three threads print byte for byte what one prints, in input order (jsonl, --explain)', () => {
    const one = bounced('classify', '--jobs', '1', '--explain', many);
    expect(one.code, one.err).toBe(0);
    const three = bounced('classify', '--jobs', '3', '--explain', many);
    expect(three.code, three.err).toBe(0);
    expect(three.err).toBe('');
    expect(three.out).toBe(one.out);
    const files = one.out.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { file: string }).file);
    expect(new Set(files).size).toBeGreaterThan(1500);
    // input order: the copies one after the other
    expect(files[0]).toContain(join(many, 'a'));
    expect(files.at(-1)).toContain(join(many, 'c'));
  });

  it('json and table formats too; a missing path still exits 1 with the rest printed', () => {
    for (const format of ['json', 'table']) {
      const one = bounced('classify', '--jobs', '1', '--format', format, many, join(many, 'no-such-file'));
      const two = bounced('classify', '--jobs', '2', '--format', format, many, join(many, 'no-such-file'));
      expect(one.code).toBe(1);
      expect(two.code).toBe(1);
      expect(two.err).toBe(one.err);
      expect(two.out).toBe(one.out);
    }
  });

  it('refuses --jobs 0 as a usage error', () => {
    const r = bounced('classify', '--jobs', '0', many);
    expect(r.code).toBe(64);
    expect(r.err).toMatch(/--jobs/);
  });
});

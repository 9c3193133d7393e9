// Folders for the data, the spool and the compile cache are made one level at a time
// (src/make-dirs.ts): Node 22's recursive mkdir spins for ever on a path under /proc, where a
// daemon given such a folder must fail with the reason instead of hanging at its start.
import { spawnSync } from 'node:child_process';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirs } from '../../src/make-dirs.js';
import { childEnv, runCli } from '../helpers/child.js';
import { repoRoot, tmpDir } from '../helpers/env.js';

describe('makeDirs', () => {
  it('makes every missing level with the mode, as mkdir -p; an existing folder is fine', () => {
    const root = tmpDir();
    try {
      const deep = join(root, 'a', 'b', 'c');
      makeDirs(deep, 0o700);
      for (const d of [join(root, 'a'), join(root, 'a', 'b'), deep]) {
        expect(statSync(d).isDirectory()).toBe(true);
        expect(statSync(d).mode & 0o777).toBe(0o700);
      }
      makeDirs(deep, 0o700);
      makeDirs(join(root, 'a'));
      expect(statSync(deep).isDirectory()).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a file in the way is an error, at the folder or above it', () => {
    const root = tmpDir();
    try {
      writeFileSync(join(root, 'f'), 'x');
      expect(() => makeDirs(join(root, 'f'))).toThrow(/EEXIST/);
      expect(() => makeDirs(join(root, 'f', 'sub'))).toThrow(/ENOTDIR/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a folder that cannot be made under /proc throws ENOENT at once (in a child: a spin would be killed)', () => {
    const script = `import('${join(repoRoot, 'dist/make-dirs.js')}').then(({ makeDirs }) => { try { makeDirs('/proc/bounced-test/data'); console.log('made'); } catch (e) { console.log(e.code); } })`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.stdout.trim()).toBe('ENOENT');
  }, 60_000);

  it('`bounced migrate` with its data folder under /proc says why and exits', () => {
    const r = runCli(childEnv({ BOUNCED_DATA_DIR: '/proc/bounced-test/data' }), ['migrate'], 30_000);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull(); // null: killed by the timeout, i.e. it hung
    expect(r.err).toMatch(/ENOENT[^\n]*mkdir '\/proc\/bounced-test'/);
  }, 60_000);
});

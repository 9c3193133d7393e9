// The installed command, dist/bin.js (package.json "bin"): `bounced classify ...` runs the
// single-file build of that one command (dist/classify-main.js, bundled by
// scripts/bundle-classify.mjs as `npm run build` does), everything else the whole command line
// (dist/cli.js). Both must answer alike: same output, same errors, same exit codes.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/child.js';
import { fixturesDir, repoRoot } from '../helpers/env.js';

const BIN = join(repoRoot, 'dist/bin.js');
const viaBin = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const viaCli = (...args: string[]) => runCli(process.env, args, 120_000);

beforeAll(() => {
  // the test setup built dist/ with tsc alone: bundle classify-main.js as `npm run build` does
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts/bundle-classify.mjs')], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
}, 120_000);

describe('dist/bin.js', () => {
  it('the build leaves it executable: `npx bounced` in a clone runs it by its shebang', () => {
    // as tsc leaves a file it creates; the build's bundle step must set the execute bits
    chmodSync(BIN, 0o644);
    const b = spawnSync(process.execPath, [join(repoRoot, 'scripts/bundle-classify.mjs')], { encoding: 'utf8', timeout: 120_000 });
    expect(b.status, b.stderr).toBe(0);
    expect(statSync(BIN).mode & 0o111).toBe(0o111);
    const r = spawnSync(BIN, ['--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.error).toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 120_000);

  it('classify runs one bundled module holding commander, the parser and the classifier', () => {
    const src = readFileSync(join(repoRoot, 'dist/classify-main.js'), 'utf8');
    const staticImports = [...src.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(staticImports.length).toBeGreaterThan(0);
    expect(staticImports.every((s) => s!.startsWith('node:')), staticImports.join(' ')).toBe(true);
  });

  it('the bundle carries the regex source of every phrase table: none is built at run time', () => {
    // a copy whose trie builder throws: a table not prebuilt would turn into error records
    const src = readFileSync(join(repoRoot, 'dist/classify-main.js'), 'utf8');
    const sabotaged = src.replace(/^function trieSource\(phrases\) \{/m, '$& throw new Error("built at run time");');
    expect(sabotaged).not.toBe(src);
    const copy = join(repoRoot, 'dist/.classify-main-test.js');
    writeFileSync(copy, sabotaged);
    try {
      const r = spawnSync(process.execPath, [copy, 'classify', fixturesDir], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('built at run time');
      expect(r.stdout).toBe(viaCli('classify', fixturesDir).out);
    } finally {
      rmSync(copy, { force: true });
    }
  });

  it('classify prints what dist/cli.js prints, in every format, with --explain', () => {
    for (const args of [['--explain'], ['--format', 'table'], ['--format', 'json', '--explain']]) {
      const bin = viaBin('classify', ...args, fixturesDir);
      const cli = viaCli('classify', ...args, fixturesDir);
      expect(bin.code, bin.err).toBe(0);
      expect(bin.err).toBe('');
      expect(bin.out).toBe(cli.out);
      expect(bin.out.length).toBeGreaterThan(10_000);
    }
  });

  it('classify errors, help and usage answer alike (exit codes 1, 0, 64)', () => {
    const cases = [
      ['classify', join(fixturesDir, 'no-such-file.eml'), join(fixturesDir, 'postfix')],
      ['classify', '--help'],
      ['classify'],
      ['classify', '--format', 'xml', fixturesDir],
      ['classify', '--bogus', fixturesDir],
      ['classify', '--jobs', 'two', fixturesDir],
    ];
    for (const args of cases) {
      const bin = viaBin(...args);
      const cli = viaCli(...args);
      expect({ args, code: bin.code, err: bin.err, out: bin.out }).toEqual({ args, code: cli.code, err: cli.err, out: cli.out });
    }
    expect(viaBin('classify', join(fixturesDir, 'no-such-file.eml')).code).toBe(1);
    expect(viaBin('classify').code).toBe(64);
  });

  it('every other command line goes to the whole program', () => {
    const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
    expect(viaBin('--version').out.trim()).toBe(version);
    const help = viaBin('--help');
    expect(help.code).toBe(0);
    expect(help.out).toBe(viaCli('--help').out);
    expect(help.out).toMatch(/\bserve\b/);
    expect(viaBin('frobnicate').code).toBe(64);
  });
});

describe('the compile cache (V8 code of our modules kept between runs)', () => {
  const FILE = join(fixturesDir, 'postfix/s01-local-unknown--failed.eml');
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [BIN, 'classify', '--format', 'jsonl', FILE], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_COMPILE_CACHE: '', ...env } });

  it('is kept in the user cache folder, private, and changes no answer; BOUNCED_COMPILE_CACHE=off keeps none', () => {
    const home = mkdtempSync(join(tmpdir(), 'bounced-cc-'));
    try {
      const off = run({ XDG_CACHE_HOME: join(home, 'off'), BOUNCED_COMPILE_CACHE: 'off' });
      expect(off.status, off.stderr).toBe(0);
      expect(existsSync(join(home, 'off'))).toBe(false);
      const first = run({ XDG_CACHE_HOME: join(home, 'on') });
      const second = run({ XDG_CACHE_HOME: join(home, 'on') });
      for (const r of [first, second]) {
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toBe(off.stdout);
      }
      expect(off.stdout).toContain('"recipient":');
      const dir = join(home, 'on', 'bounced', 'compile');
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      const versions = readdirSync(dir);
      expect(versions.length).toBe(1);
      expect(readdirSync(join(dir, versions[0]!)).length).toBeGreaterThan(0);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);

  it('a cache folder that cannot be made costs only the gain: the run neither fails nor hangs', () => {
    // under /proc a mkdir fails with ENOENT below a parent that exists, where Node 22's
    // recursive mkdir spins for ever (the spawn's timeout would end the run with a signal)
    const r = run({ XDG_CACHE_HOME: '/proc/bounced-compile-cache-test' });
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(run({ BOUNCED_COMPILE_CACHE: 'off' }).stdout);
  }, 120_000);
});

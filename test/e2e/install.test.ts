// Installing on a host, not in Docker: the tarball `npm pack` makes, installed with
// `npm install -g`, puts a working `bounced` on the PATH (what Postfix's pipe(8) runs for
// `ingest`), and the shipped systemd unit runs the file that install put in place.
// A registry install of the dependencies takes a while, so the test runs in CI and with
// BOUNCED_TEST_PACKAGE=1; elsewhere it skips and says so.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv } from '../helpers/child.js';
import { inCI, repoRoot, tmpDir } from '../helpers/env.js';

const run = process.env.BOUNCED_TEST_PACKAGE === '1' || inCI;
if (!run) console.warn('SKIPPED: host-install test (test/e2e/install.test.ts): runs in CI or with BOUNCED_TEST_PACKAGE=1 (npm pack + npm install -g)');

describe.skipIf(!run)('npm install -g of the packed tarball', () => {
  const work = tmpDir('bounced-install-');
  const prefix = join(work, 'prefix');
  const unit = readFileSync(join(repoRoot, 'config/systemd/bounced.service'), 'utf8');
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const bin = join(prefix, 'bin/bounced');

  beforeAll(() => {
    const tgz = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], { cwd: repoRoot, encoding: 'utf8' }).trim().split('\n').pop()!;
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', join(work, tgz)], { cwd: work, stdio: 'inherit' });
  }, 600_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('puts bounced on the PATH: --version, and classify of a real DSN', () => {
    const env = childEnv({ PATH: `${join(prefix, 'bin')}:${process.env.PATH}` });
    expect(execFileSync('bounced', ['--version'], { env, encoding: 'utf8' }).trim()).toBe(pkg.version);
    const out = execFileSync('bounced', ['classify', '--format', 'jsonl', join(repoRoot, 'fixtures/postfix/s02-remote-rcpt550--failed.eml')], { env, encoding: 'utf8' });
    const row = JSON.parse(out.trim().split('\n')[0]!) as { reason: string; type: string };
    expect(row).toMatchObject({ reason: 'userunknown', type: 'hard' });
  });

  it('ingest from the installed command stores a message (the pipe transport path)', () => {
    const dataDir = join(work, 'data');
    const res = spawnSync(bin, ['ingest', join(repoRoot, 'fixtures/postfix/s02-remote-rcpt550--failed.eml')], {
      env: childEnv({ BOUNCED_DATA_DIR: dataDir }),
      encoding: 'utf8',
    });
    expect(res.status, res.stderr).toBe(0);
    expect(existsSync(join(dataDir, 'bounced.db'))).toBe(true);
  });

  it('the systemd unit starts the installed daemon file, and systemd accepts the unit', () => {
    const exec = /^ExecStart=.*?(\/\S+\/lib\/node_modules\/bounced\/dist\/cli\.js) serve$/m.exec(unit);
    expect(exec, 'ExecStart runs <prefix>/lib/node_modules/bounced/dist/cli.js serve').not.toBeNull();
    const installed = exec![1]!.replace(/^\/usr/, prefix);
    expect(existsSync(installed), installed).toBe(true);
    const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (analyze.status !== 0) return console.warn('systemd-analyze absent: the unit was not verified by systemd');
    const copy = join(work, 'bounced.service');
    writeFileSync(copy, unit);
    const verify = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr).not.toMatch(/bounced\.service:\d+: (Unknown|Failed|Invalid)/);
  });
});

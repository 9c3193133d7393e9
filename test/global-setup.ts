import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './helpers/env.js';

// Tests that run `bounced` as a child process (crash, ingest, Postfix) run dist/cli.js:
// build it once from the current sources so they never test stale code. A type error
// fails the run (tsc still emits; ALLOW_TYPE_ERRORS=1 keeps going while editing).
//
// Every temporary directory the run makes (tmpDir(), mkdtemp under os.tmpdir(), and what the
// daemons, PostgreSQL and Postfix instances it starts put there) goes under one directory of
// this run, removed when the run ends: a full run made about 280 of them and left them all
// behind. Set BOUNCED_TEST_KEEP_TMP=1 to keep it (its path is printed).
export default function setup(): () => void {
  const tsc = spawnSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(repoRoot, 'tsconfig.json')], {
    stdio: 'inherit',
  });
  if (!existsSync(join(repoRoot, 'dist/cli.js'))) throw new Error('build failed: no dist/cli.js');
  if (tsc.status !== 0 && process.env.ALLOW_TYPE_ERRORS !== '1') throw new Error('type errors (see above)');

  const root = mkdtempSync(join(tmpdir(), 'bounced-run-'));
  // Like /tmp: the servers some tests start as another user (PostgreSQL as `postgres` or
  // `nobody`, Postfix's daemons) reach their own directories through it.
  chmodSync(root, 0o1777);
  // Read by os.tmpdir() in this process and in the test workers and child processes started after it.
  process.env.TMPDIR = root;
  const keep = process.env.BOUNCED_TEST_KEEP_TMP === '1';
  if (keep) console.log(`temporary directories of this run: ${root}`);
  return () => {
    if (keep) return;
    try {
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      // Never fails a run that passed: say what is left.
      console.warn(`could not remove ${root}: ${(err as Error).message}`);
    }
  };
}

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers/env.js';

// Tests that run `bounced` as a child process (crash, ingest, Postfix) run dist/cli.js:
// build it once from the current sources so they never test stale code. A type error
// fails the run (tsc still emits; ALLOW_TYPE_ERRORS=1 keeps going while editing).
export default function setup(): void {
  const tsc = spawnSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(repoRoot, 'tsconfig.json')], {
    stdio: 'inherit',
  });
  if (!existsSync(join(repoRoot, 'dist/cli.js'))) throw new Error('build failed: no dist/cli.js');
  if (tsc.status !== 0 && process.env.ALLOW_TYPE_ERRORS !== '1') throw new Error('type errors (see above)');
}

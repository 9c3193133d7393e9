#!/usr/bin/env node
// The installed `bounced` command (package.json "bin"). A command line whose command is
// `classify` runs the single-file build of that command (./classify-main.ts), which starts in
// about half the time of the whole command line; everything else runs ./cli.ts. Both define
// `classify` with the same code (commands/classify-cli.ts) and answer alike.
// (the namespace, not the name: Node before 22.1 has no enableCompileCache, and a named import
// of it would stop the program there before it can say which Node it needs)
import * as nodeModule from 'node:module';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { makeDirs } from './make-dirs.js';

/**
 * V8's compiled code of our modules kept between runs (Node's compile cache): a one-file
 * `bounced classify` starts with about 7 ms less CPU (issue #20, start-up; bench/README.md).
 * It lives in the user's own cache folder, never in a shared /tmp one: a cache another user
 * can write is code we would run. `BOUNCED_COMPILE_CACHE=off` (or Node's own
 * NODE_DISABLE_COMPILE_CACHE) turns it off; a folder that cannot be made only costs the gain.
 */
function compileCacheDir(): string | null {
  if (process.env.BOUNCED_COMPILE_CACHE === 'off') return null;
  try {
    const xdg = process.env.XDG_CACHE_HOME; // (a relative one is to be ignored: XDG base directory spec)
    const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
    return join(base, 'bounced', 'compile');
  } catch {
    return null; // no home folder
  }
}

const cacheDir = compileCacheDir();
if (cacheDir) {
  try {
    // made here first, private, and not by Node's recursive mkdir (which its compile cache
    // uses): that one spins for ever on a path under /proc (see make-dirs.ts)
    makeDirs(cacheDir, 0o700);
    nodeModule.enableCompileCache?.(cacheDir);
  } catch {
    // no cache folder: the run only costs the gain
  }
}

if (process.argv[2] === 'classify') await import('./classify-main.js');
else await import('./cli.js');

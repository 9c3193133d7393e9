// Folders made one level at a time, as `mkdir -p` does. Node 22's own
// `mkdirSync(dir, { recursive: true })` spins for ever where a parent exists and the child's
// mkdir fails with ENOENT (every path under /proc): a daemon given such a data folder would
// hang at its start instead of saying why, and `bounced classify` on such a cache folder would
// never answer. A plain mkdir reports the error; this walks up to the first folder that exists
// and back down, and throws the first error that is not "already there".
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Makes `dir` and its missing parents, each with `mode` (umask applies) when given. */
export function makeDirs(dir: string, mode?: number): void {
  const opts = mode === undefined ? {} : { mode };
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    try {
      mkdirSync(at, opts);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        // the folder asked for exists: done, unless it is not a folder
        if (missing.length === 0 && !statSync(at).isDirectory()) throw err;
        break;
      }
      const parent = dirname(at);
      if (code !== 'ENOENT' || parent === at) throw err;
      missing.push(at);
      at = parent;
    }
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i]!, opts);
    } catch (err) {
      // made meanwhile by another process is as good
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

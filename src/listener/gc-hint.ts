// Keeps the garbage of big DATA transfers from piling up (issue #20: RSS growth ≤ 1× an
// accepted message, ≤ 0.1× a refused one).
//
// Each socket read is a Buffer whose memory lies outside V8's heap (64 KiB, malloc'ed), and
// smtp-server copies it once more while it unescapes the DATA's dot-stuffing. Once a chunk is
// spooled or dropped, only its small JS wrapper is garbage, and V8 frees the memory behind it
// when a GC finds the wrapper dead. A transfer makes few JS objects, so no young-generation GC
// comes on its own; V8 then waits for tens of MB of external memory (measured: a refused 25 MB
// message grew RSS by 31 MB with nothing held, a spooled one by 39 MB) before it collects.
// Asking for a young-generation GC (a scavenge: ~1 ms, only the young objects) after every
// EVERY_BYTES of DATA bounds that garbage to about EVERY_BYTES, whatever the size of messages.
//
// The hook is V8's own `gc` function (what --expose-gc installs), taken once at start-up
// through v8.setFlagsFromString and a fresh context, as Node's documentation of
// setFlagsFromString shows; where it cannot be had, nothing is done (only memory is at stake).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** DATA bytes between two young-generation collections. */
export const EVERY_BYTES = 1024 * 1024;

type GcFn = (opts?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;

function v8Gc(): GcFn | null {
  const existing = (globalThis as { gc?: GcFn }).gc;
  if (typeof existing === 'function') return existing;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as GcFn) : null;
  } catch {
    return null;
  }
}

/** Counts DATA bytes (all sessions); runs a scavenge each time `every` more have passed. */
export function dataGcHint(every = EVERY_BYTES): (bytes: number) => void {
  const gc = v8Gc();
  if (!gc) return () => {};
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < every) return;
    since = 0;
    gc({ type: 'minor' });
  };
}

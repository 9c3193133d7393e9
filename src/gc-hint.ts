// Returns the memory of big buffers once they are garbage (issue #20: <= 2 MB of RSS per
// concurrent big-message session above the parse head).
//
// A Buffer's bytes lie outside V8's heap; V8 frees them only when a collection finds the
// Buffer dead. Big messages make many such bytes and few JS objects: a spooled message's DATA
// chunks (64 KiB socket reads, written to the spool file as they are), its 1 MiB head as it moves
// from the SMTP thread to the intake thread, the processing thread and the parse worker. A
// chunk waits in the session's streams and its spool write long enough to outlive two
// young-generation collections, so it is promoted, and only a full (mark-compact) collection
// frees it. V8 starts one by itself only after 64 MB of external memory has piled up since the
// last (its kExternalAllocationSoftLimit), per thread: measured, the SMTP thread's garbage went
// up and down between 30 and 95 MB while 20 sessions each sent 30 MB, and each worker kept the
// heads it had finished with until its next collection, which an idle thread never makes.
//
// So each place that drops big buffers counts their bytes and asks for a collection each time
// `every` more have been dropped: the garbage of a thread stays under about `every`, whatever
// the number of sessions (./listener/gc-hint.ts for the SMTP thread's DATA). A full collection
// asked for this way is atomic (V8's own are incremental and concurrent): a few ms on a
// worker's ~10 MB heap, more on the SMTP thread's (bench/README.md "Round 6" has the cost).
//
// The hook is V8's own `gc` function (what --expose-gc installs), taken once per thread
// through v8.setFlagsFromString and a fresh context, as Node's documentation of
// setFlagsFromString shows; where it cannot be had, nothing is done (only memory is at stake,
// never a message).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFn = (opts?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;

let cached: GcFn | null | undefined;

/** V8's collector for this thread (each worker has its own), or null where it is not available. */
export function v8Gc(): GcFn | null {
  if (cached !== undefined) return cached;
  const existing = (globalThis as { gc?: GcFn }).gc;
  if (typeof existing === 'function') return (cached = existing);
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    cached = typeof gc === 'function' ? (gc as GcFn) : null;
  } catch {
    cached = null;
  }
  return cached;
}

/**
 * Buffers from this size up are counted by the workers' hints: a spooled message's head
 * (1 MiB), a big message held in memory. Smaller ones are V8's business: ordinary reports
 * make enough JS objects for its own collections, and a full collection per few hundred of
 * them would cost more than it returns.
 */
export const BIG_BYTES = 256 * 1024;

/** A worker's hint: a full collection per MiB of big buffers dropped (its heap is small: 1-3 ms). */
export const WORKER_EVERY_BYTES = 1024 * 1024;

/**
 * Counts bytes of buffers dropped (this thread); once `every` more have been, runs a full
 * collection on the next turn of the event loop (so that what the current turn drops goes
 * too, and many drops in one turn make one collection).
 */
export function releaseHint(every: number): (bytes: number) => void {
  const gc = v8Gc();
  if (!gc) return () => {};
  let since = 0;
  let queued = false;
  return (bytes) => {
    since += bytes;
    if (since < every || queued) return;
    since = 0;
    queued = true;
    setImmediate(() => {
      queued = false;
      gc({ type: 'major' });
    });
  };
}

/** A worker's hint over whole buffers: counts those of BIG_BYTES and more. */
export function bigBufferHint(every = WORKER_EVERY_BYTES): (buffers: readonly { length: number }[]) => void {
  const hint = releaseHint(every);
  return (buffers) => {
    let big = 0;
    for (const b of buffers) if (b.length >= BIG_BYTES) big += b.length;
    if (big > 0) hint(big);
  };
}

// The process's write turn: a lock in shared memory taken before SQLite's write lock by every
// connection of this process that writes (the intake thread's, the processing thread's, the
// SMTP/API thread's).
//
// Why: when a connection finds SQLite's write lock taken it can only retry after a sleep
// (SQLite's busy handler sleeps 1, 2, 5, 10, 15, 20, 25 ms ... between tries, and so does the
// store's asynchronous retry in ./gate.ts), far longer than a commit holds the lock (one fsync,
// 1-3 ms): under a stream of intake commits the processing side fell seconds behind, and each
// wait delayed a 250 by whole sleeps. The turn is handed on the moment its holder commits
// (Atomics.notify wakes the next at once), so SQLite's own lock and the retries only stand
// between this process and others (`ingest`, the CLI). A turn not given within the wait allowed
// (a thread that died holding it) is taken anyway.
//
// Waiting never blocks a thread: Atomics.waitAsync resolves a promise when the turn is given,
// so the SMTP/API thread keeps serving while one of its writes waits.

/** Atomics.waitAsync (Node 16+; typed from lib es2024, beyond this project's target). */
type WaitAsync = (
  cell: Int32Array,
  index: number,
  value: number,
  timeoutMs?: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export class WriteTurn {
  private constructor(private readonly cell: Int32Array) {}

  /** A new turn, to pass (its `shared` buffer) to every thread that writes. */
  static create(): WriteTurn {
    return new WriteTurn(new Int32Array(new SharedArrayBuffer(4)));
  }

  /** The same turn in another thread, from the buffer it was sent. */
  static from(shared: SharedArrayBuffer): WriteTurn {
    return new WriteTurn(new Int32Array(shared));
  }

  get shared(): SharedArrayBuffer {
    return this.cell.buffer as SharedArrayBuffer;
  }

  /** Takes the turn if it is free now. */
  tryTake(): boolean {
    return Atomics.compareExchange(this.cell, 0, 0, 1) === 0;
  }

  /** Waits for the turn; false when it was not had within `timeoutMs` (the caller goes on without it). */
  async take(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!this.tryTake()) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      const w = waitAsync(this.cell, 0, 1, left);
      if (w.async) await w.value;
    }
    return true;
  }

  give(): void {
    Atomics.store(this.cell, 0, 0);
    Atomics.notify(this.cell, 0, 1);
  }
}

import type { Logger } from '../log.js';
import { repeated } from '../log-repeat.js';
import type { IncomingMessage, Store } from '../store/contract.js';

// Group commit. Every edge (SMTP sessions, `ingest`) hands its message here and waits for
// the id; messages that arrive while one commit is being written go into the next one, so
// concurrent sessions share an fsync (as Postfix's queue manager would not, but a database
// can). The caller may acknowledge (250 / exit 0) only once the promise resolves. Nothing
// else runs on the intake's thread in the daemon (intake-worker.ts): no parse, no settling.
// Up to `maxInFlight` commits are in flight at a time; what arrives meanwhile goes into the
// next. SQLite takes one writer at a time, so a second commit there would only wait for the
// write turn: 1. PostgreSQL commits in parallel on separate connections, and each commit is
// round trips plus a WAL flush during which this node would otherwise send nothing: several
// (intakeCommitsInFlight). Ids are not committed in their order then; nothing reads them as a
// high-water mark (messages are claimed by state, `messages.claim`).

/** Commits in flight for a store: the configured number on PostgreSQL, 1 on SQLite (one writer). */
export function commitsInFlight(store: Store, configured: number): number {
  return store.dialect === 'postgres' ? configured : 1;
}

interface Waiting {
  message: IncomingMessage;
  resolve: (id: number) => void;
  reject: (err: Error) => void;
}

export class Intake {
  private queue: Waiting[] = [];
  private scheduled = false;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly maxBatch: number,
    /** Called after each commit, e.g. to wake the processor (which runs elsewhere). */
    private readonly onCommitted: () => void = () => {},
    /**
     * How long the first message of a batch waits for others to join it. Each commit waits
     * for an fsync (several ms on these disks) during which this thread reads no socket; a
     * short window lets the sessions whose 250s just went out send their next message into
     * the same commit. 0: commit as soon as the current I/O has been handled.
     */
    private readonly windowMs = 0,
    /** Commits in flight at once (intakeCommitsInFlight: 1 on SQLite). */
    private readonly maxInFlight = 1,
  ) {}

  /** Resolves with the message's row id once it is durably stored; rejects if the store fails. */
  accept(message: IncomingMessage): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      // With every commit slot taken, the first commit to end takes what is queued.
      if (this.inFlight >= this.maxInFlight) return;
      if (this.queue.length >= this.maxBatch) {
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        this.scheduled = true;
        setImmediate(() => this.flush());
      } else if (!this.scheduled) {
        this.scheduled = true;
        if (this.windowMs > 0) this.timer = setTimeout(() => this.flush(), this.windowMs);
        // setImmediate: waits only for the I/O already ready (other sessions' final DATA chunks).
        else setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.scheduled = false;
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) void this.commit(this.queue.splice(0, this.maxBatch));
  }

  private async commit(batch: Waiting[]): Promise<void> {
    this.inFlight++;
    try {
      const ids = await this.store.messages.insert(batch.map((w) => w.message));
      batch.forEach((w, i) => w.resolve(ids[i]!));
    } catch (err) {
      repeated.log(this.log, 'error', { evt: 'STORE_WRITE_FAILED', err, count: batch.length }, 'could not store received messages');
      for (const w of batch) w.reject(err as Error);
    } finally {
      this.inFlight--;
    }
    // What queued meanwhile goes now, without waiting for a turn of the event loop (as one
    // commit after another did); once nothing is queued, the processor is told.
    if (this.queue.length > 0) this.flush();
    else this.onCommitted();
  }
}

import type { Logger } from '../log.js';
import type { IncomingMessage, Store } from '../store/types.js';

// Group commit. Every edge (SMTP sessions, `ingest`) hands its message here and waits for
// the id; messages that arrive while one commit is being written go into the next one, so
// concurrent sessions share an fsync (as Postfix's queue manager would not, but a database
// can). The caller may acknowledge (250 / exit 0) only once the promise resolves.

interface Waiting {
  message: IncomingMessage;
  resolve: (id: number) => void;
  reject: (err: Error) => void;
}

export class Intake {
  private queue: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly maxBatch: number,
    /** Called after each commit, e.g. to wake the processor. */
    private readonly onCommitted: () => void = () => {},
  ) {}

  /** Resolves with the message's row id once it is durably stored; rejects if the store fails. */
  accept(message: IncomingMessage): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate, not a timer: waits only for the I/O already ready (other sessions'
        // final DATA chunks), adding no latency when the daemon is idle.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const ids = this.store.insertMessages(batch.map((w) => w.message));
        batch.forEach((w, i) => w.resolve(ids[i]!));
      } catch (err) {
        this.log.error({ evt: 'STORE_WRITE_FAILED', err, count: batch.length }, 'could not store received messages');
        for (const w of batch) w.reject(err as Error);
      }
    }
    this.onCommitted();
  }
}

// `bounced classify` on one thread over many files: the files are read ahead by a small thread
// of their own, so that open(2), read(2) and close(2) (about a tenth of a run's time, measured:
// bench/README.md, round 10) happen beside the parsing instead of between two messages. The
// reading thread runs no parser and no classifier: a few lines of code, nothing to compile.
// Batches of BATCH_FILES files, at most AHEAD batches read and not yet taken: what is held stays
// bounded. A batch comes back as one buffer (the files' bytes end to end, transferred, not
// copied) and, per file, its length or the error its reading threw. If the thread cannot be
// started or dies, the batches it has not answered are read here, as before: same bytes, same
// error messages (the same system calls in the same order, readFileReused's).
import { Worker } from 'node:worker_threads';

const BATCH_FILES = 64;
const AHEAD = 4;

/** A file's bytes, or why it could not be read (the message readFileReused throws). */
export type ReadResult = { bytes: Buffer; error: null } | { bytes: null; error: string };

interface BatchAnswer {
  id: number;
  buffer: ArrayBuffer;
  /** per file: its length, or -1 when `errors` holds its error message */
  lengths: number[];
  errors: (string | null)[];
}

// The reading thread: readFileReused's loop (classify.ts) for each file of a batch, the bytes
// appended to one growing buffer. CommonJS, run from this string (no module file to find, in
// the single-file build or outside it).
const READER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
parentPort.on('message', ({ id, files, recycled }) => {
  // the buffer of a batch already used, sent back: no new memory per batch (a fresh buffer
  // per batch piles up about 64 MB of dead ones before their collection, measured)
  let ab = recycled && recycled.byteLength <= 4 * 1024 * 1024 ? recycled : new ArrayBuffer(256 * 1024);
  let buf = Buffer.from(ab);
  let len = 0;
  const lengths = [];
  const errors = [];
  for (const file of files) {
    const start = len;
    try {
      const fd = openSync(file, 'r');
      try {
        for (;;) {
          if (len === buf.length) {
            const bigger = new ArrayBuffer(ab.byteLength * 2);
            const nb = Buffer.from(bigger);
            buf.copy(nb, 0, 0, len);
            ab = bigger;
            buf = nb;
          }
          const n = readSync(fd, buf, len, buf.length - len, null);
          if (n === 0) break;
          len += n;
        }
      } finally {
        closeSync(fd);
      }
      lengths.push(len - start);
      errors.push(null);
    } catch (err) {
      len = start;
      lengths.push(-1);
      errors.push(String((err && err.message) || err));
    }
  }
  parentPort.postMessage({ id, buffer: ab, lengths, errors }, [ab]);
});
`;

/**
 * Reads `files` ahead on a thread of its own; `take(i)` gives file i's bytes (in order: each
 * index once, ascending). `readHere` reads a file on this thread when the reader cannot.
 */
export class FileReadAhead {
  private readonly worker: Worker | null;
  private readonly answers = new Map<number, BatchAnswer>();
  private readonly waiting = new Map<number, (a: BatchAnswer | null) => void>();
  private failed = false;
  private requested = 0; // batches asked for
  private current: { id: number; answer: BatchAnswer | null; offsets: number[] } | null = null;
  /** The buffer of the batch last used, to go back with the next request. */
  private spare: ArrayBuffer | null = null;

  constructor(
    private readonly files: readonly string[],
    private readonly readHere: (file: string) => Buffer,
    /** false: no thread, every file read here (tests: the path taken when the thread fails) */
    thread = true,
  ) {
    let worker: Worker | null = null;
    try {
      if (!thread) throw new Error('no reading thread');
      worker = new Worker(READER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 } });
      worker.on('message', (a: BatchAnswer) => this.settle(a.id, a));
      worker.on('error', () => this.fail());
      worker.on('exit', () => this.fail());
    } catch {
      this.failed = true;
    }
    this.worker = worker;
    for (let k = 0; k < AHEAD; k++) this.request();
  }

  private get batches(): number {
    return Math.ceil(this.files.length / BATCH_FILES);
  }

  private request(): void {
    if (this.failed || !this.worker || this.requested >= this.batches) return;
    const id = this.requested++;
    const files = this.files.slice(id * BATCH_FILES, (id + 1) * BATCH_FILES);
    const recycled = this.spare;
    this.spare = null;
    // (transferred: the bytes of the batch it held are parsed already and no longer referenced)
    if (recycled) this.worker.postMessage({ id, files, recycled }, [recycled]);
    else this.worker.postMessage({ id, files });
  }

  private settle(id: number, a: BatchAnswer | null): void {
    const w = this.waiting.get(id);
    if (w) {
      this.waiting.delete(id);
      w(a);
    } else if (a) this.answers.set(id, a);
  }

  /** The thread is gone: whatever it has not answered is read here. */
  private fail(): void {
    if (this.failed) return;
    this.failed = true;
    for (const [id, w] of this.waiting) {
      this.waiting.delete(id);
      w(null);
    }
  }

  private async batch(id: number): Promise<BatchAnswer | null> {
    const a = this.answers.get(id);
    if (a) {
      this.answers.delete(id);
      return a;
    }
    if (this.failed || id >= this.requested) return null;
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  /** File i's bytes (valid until the next call) or its reading error. */
  async take(i: number): Promise<ReadResult> {
    const id = Math.floor(i / BATCH_FILES);
    if (this.current?.id !== id) {
      if (this.current?.answer) this.spare = this.current.answer.buffer;
      const answer = await this.batch(id);
      const offsets: number[] = [];
      if (answer) {
        let at = 0;
        for (const n of answer.lengths) {
          offsets.push(at);
          if (n > 0) at += n;
        }
      }
      this.current = { id, answer, offsets };
      this.request(); // one batch taken: one more read ahead
    }
    const { answer, offsets } = this.current!;
    const k = i - id * BATCH_FILES;
    if (!answer) {
      try {
        return { bytes: this.readHere(this.files[i]), error: null };
      } catch (err) {
        return { bytes: null, error: (err as Error)?.message ?? String(err) };
      }
    }
    const n = answer.lengths[k];
    if (n < 0) return { bytes: null, error: answer.errors[k] ?? 'read failed' };
    return { bytes: Buffer.from(answer.buffer, offsets[k], n), error: null };
  }

  /** Stops the thread (the run is over, or stopped early). */
  async close(): Promise<void> {
    this.failed = true;
    if (this.worker) await this.worker.terminate();
  }
}

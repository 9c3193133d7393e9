import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { SettledSummary } from './processor.js';
import type { IncomingMessage } from '../store/types.js';
import type { ToWorker } from './worker.js';

// The SMTP thread's handle on the pipeline worker (./worker.ts): `accept()` resolves with the
// row id once the message is durably stored, exactly like Intake.accept() in-process.

type FromWorker =
  | { type: 'ready'; backlog: number }
  | { type: 'stored'; reqId: number; id: number }
  | { type: 'failed'; reqId: number; error: string }
  | { type: 'drained'; reqId: number }
  | { type: 'settled'; settled: SettledSummary[] }
  | { type: 'stopped' };

/**
 * A buffer that owns its whole memory (Buffer.concat allocates one for each part of a big
 * message) is moved to the worker, not copied; small ones share Node's pool and are copied.
 */
function movable(raw: Buffer | readonly Buffer[]): ArrayBuffer[] {
  const owned = (b: Buffer) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
  return (Buffer.isBuffer(raw) ? [raw] : raw).filter(owned).map((b) => b.buffer as ArrayBuffer);
}

/** The built worker. Under the test runner (TypeScript sources) its twin in dist/ runs. */
function workerUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/pipeline/worker.js', import.meta.url);
}

export class PipelineWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: number) => void; reject: (e: Error) => void }>();
  private stopping = false;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly onSettled: (settled: SettledSummary[]) => void = () => {},
  ) {}

  /** Starts the worker; resolves with the backlog it found (what a crash left unprocessed). */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(workerUrl(), { workerData: { config: this.config } });
      this.worker = worker;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') resolve(m.backlog);
        else this.onMessage(m);
      });
      worker.once('error', (err) => {
        this.log.error({ evt: 'PIPELINE_WORKER_FAILED', err }, 'pipeline worker failed');
        reject(err);
      });
      worker.once('exit', (code) => this.onExit(code));
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'stored' || m.type === 'failed' || m.type === 'drained') {
      const w = this.waiting.get(m.reqId);
      this.waiting.delete(m.reqId);
      if (!w) return;
      if (m.type === 'failed') w.reject(new Error(m.error));
      else w.resolve(m.type === 'stored' ? m.id : 0);
    } else if (m.type === 'settled') {
      this.onSettled(m.settled);
    }
  }

  /** A worker that died takes its pending requests with it: they fail (SMTP 451), the
   * senders retry, and a new worker takes over (it processes what was committed). */
  private onExit(code: number): void {
    this.worker = null;
    for (const w of this.waiting.values()) w.reject(new Error(`pipeline worker exited (${code})`));
    this.waiting.clear();
    if (this.stopping) return;
    this.log.error({ evt: 'PIPELINE_WORKER_EXITED', code }, 'pipeline worker exited; restarting it');
    this.start().catch(() => {});
  }

  private request(msg: ToWorker & { reqId: number }, transfer: ArrayBuffer[] = []): Promise<number> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error('pipeline worker not running'));
    return new Promise((resolve, reject) => {
      this.waiting.set(msg.reqId, { resolve, reject });
      worker.postMessage(msg, transfer);
    });
  }

  /** Resolves with the row id once the message is durably stored; rejects if it is not. */
  accept(message: IncomingMessage): Promise<number> {
    return this.request({ type: 'store', reqId: this.nextId++, message }, movable(message.raw));
  }

  /** Resolves when every stored message has been processed. */
  async drain(): Promise<void> {
    await this.request({ type: 'drain', reqId: this.nextId++ });
  }

  kick(): void {
    this.worker?.postMessage({ type: 'kick' } satisfies ToWorker);
  }

  /** Finishes the batch in hand and closes the worker's database connection. */
  stop(): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => resolve();
      worker.once('exit', done);
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'stopped') void worker.terminate().then(done, done);
      });
      worker.postMessage({ type: 'stop' } satisfies ToWorker);
    });
  }
}

import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { IncomingMessage } from '../store/contract.js';
import type { FromIntakeWorker, ToIntakeWorker } from './intake-worker.js';
import type { FromProcessingWorker, ToProcessingWorker } from './processing-worker.js';
import type { SettledSummary } from './processor.js';
import { threadUrl } from './thread-url.js';

// The SMTP thread's handles on the pipeline's two threads: the intake (./intake-worker.ts:
// `accept()` resolves with the row id once the message is durably stored, exactly like
// Intake.accept() in-process) and the processing (./processing-worker.ts: kick, drain).
// A thread that dies is started again; the requests it took with it fail (SMTP 451) and
// the senders retry.

type Reply = { type: string; reqId?: number };

/** What both pipeline threads are started with. */
export interface PipelineWorkerData {
  config: Config;
  writeTurn: SharedArrayBuffer;
}

/** One worker thread with request/reply by id, restarted if it exits unasked. */
class ThreadHandle<To extends object, From extends Reply> {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (m: From) => void; reject: (e: Error) => void }>();
  private stopping = false;

  constructor(
    private readonly name: 'intake-worker' | 'processing-worker',
    private readonly config: Config,
    /** The process's write turn (WriteTurn.shared), taken before each write transaction. */
    private readonly writeTurn: SharedArrayBuffer,
    protected readonly log: Logger,
    /** Messages that answer no request (ready, settled, ...). */
    private readonly onEvent: (m: From) => void,
  ) {}

  /** Starts the thread; resolves with its `ready` message. */
  start(): Promise<From> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(threadUrl(this.name), { workerData: { config: this.config, writeTurn: this.writeTurn } satisfies PipelineWorkerData });
      this.worker = worker;
      worker.on('message', (m: From) => {
        if (m.type === 'ready') resolve(m);
        else if (m.reqId !== undefined && this.waiting.has(m.reqId)) {
          const w = this.waiting.get(m.reqId)!;
          this.waiting.delete(m.reqId);
          w.resolve(m);
        } else this.onEvent(m);
      });
      worker.once('error', (err) => {
        this.log.error({ evt: 'PIPELINE_WORKER_FAILED', thread: this.name, err }, 'pipeline thread failed');
        reject(err);
      });
      worker.once('exit', (code) => this.onExit(worker, code));
    });
  }

  private onExit(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    this.worker = null;
    for (const w of this.waiting.values()) w.reject(new Error(`${this.name} exited (${code})`));
    this.waiting.clear();
    if (this.stopping) return;
    this.log.error({ evt: 'PIPELINE_WORKER_EXITED', thread: this.name, code }, 'pipeline thread exited; restarting it');
    this.start().catch(() => {});
  }

  protected request(msg: To & { reqId?: number }, transfer: ArrayBuffer[] = []): Promise<From> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error(`${this.name} not running`));
    const reqId = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(reqId, { resolve, reject });
      worker.postMessage({ ...msg, reqId }, transfer);
    });
  }

  protected post(msg: To): void {
    this.worker?.postMessage(msg);
  }

  /** Asks the thread to finish and close its database connection; waits for it to exit. */
  stop(): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => resolve();
      worker.once('exit', done);
      worker.on('message', (m: From) => {
        if (m.type === 'stopped') void worker.terminate().then(done, done);
      });
      worker.postMessage({ type: 'stop' });
    });
  }
}

/**
 * A buffer that owns its whole memory (Buffer.concat allocates one for each part of a big
 * message) is moved to the worker, not copied; small ones share Node's pool and are copied.
 */
function movable(raw: Buffer | readonly Buffer[]): ArrayBuffer[] {
  const owned = (b: Buffer) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
  return (Buffer.isBuffer(raw) ? [raw] : raw).filter(owned).map((b) => b.buffer as ArrayBuffer);
}

/** The intake thread: durable commits only. */
export class IntakeThread extends ThreadHandle<ToIntakeWorker, FromIntakeWorker> {
  constructor(
    config: Config,
    writeTurn: SharedArrayBuffer,
    log: Logger,
    /** Called after each message is committed (wakes the processing thread). */
    private readonly onStored: () => void = () => {},
  ) {
    super('intake-worker', config, writeTurn, log, () => {});
  }

  /** Resolves with the row id once the message is durably stored; rejects if it is not. */
  async accept(message: IncomingMessage): Promise<number> {
    const m = await this.request({ type: 'store', message } as ToIntakeWorker, movable(message.raw));
    if (m.type === 'failed') throw new Error(m.error);
    if (m.type !== 'stored') throw new Error(`intake worker answered ${m.type}`);
    this.onStored();
    return m.id;
  }
}

/** The processing thread: works off the stored messages, parses in its own parse worker. */
export class ProcessingThread extends ThreadHandle<ToProcessingWorker, FromProcessingWorker> {
  private kickQueued = false;

  constructor(
    config: Config,
    writeTurn: SharedArrayBuffer,
    log: Logger,
    events: { onSettled?: (s: SettledSummary[]) => void; onAbandoned?: (cause: 'budget' | 'crash') => void } = {},
  ) {
    super('processing-worker', config, writeTurn, log, (m) => {
      if (m.type === 'settled') events.onSettled?.(m.settled);
      else if (m.type === 'abandoned') events.onAbandoned?.(m.cause);
    });
  }

  /** Starts the thread; resolves with the backlog it found (what a crash left unprocessed). */
  async begin(): Promise<number> {
    const m = await this.start();
    return m.type === 'ready' ? m.backlog : 0;
  }

  /** Asks for a pass over the backlog; many kicks in one turn of the event loop make one message. */
  kick(): void {
    if (this.kickQueued) return;
    this.kickQueued = true;
    setImmediate(() => {
      this.kickQueued = false;
      this.post({ type: 'kick' });
    });
  }

  /** Resolves when every stored message has been processed (or is waiting for a retry). */
  async drain(): Promise<void> {
    await this.request({ type: 'drain' } as ToProcessingWorker);
  }
}

import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { MessageOutcome, StoredMessage } from '../store/types.js';
import { resolveVerpSecret } from '../verp/secret.js';
import type { VerpCodec } from '../verp/index.js';
import { decide, DEFAULT_DECIDE_LIMITS, type DecideLimits } from './decide.js';
import type { FromParseWorker, ParseWorkerData, ToParseWorker } from './parse-worker.js';
import { threadUrl } from './thread-url.js';

// The processing side's handle on the parse worker (./parse-worker.ts): one message at a
// time, each within the processing budget. A parse past `budgetMs` is abandoned: the worker
// is terminated (the only way to stop a running JavaScript function) and a fresh one is
// started at once, warmed up, for the next message. A worker that dies during a parse (out
// of memory past pipeline.parseMemoryMb, an abort) is replaced the same way; the processor
// decides what becomes of the message (processor.ts: attempts).

/** Why a parse gave no outcome. */
export type AbandonCause = 'budget' | 'crash' | 'stopped';

export type ParseResult = { ok: true; outcome: MessageOutcome } | { ok: false; cause: AbandonCause; error: string };

/** What the processor asks of a parser. */
export interface ParseRunner {
  /** Resolves once a parser can take a message (starting one if needed); rejects if none can start. */
  ready(): Promise<void>;
  /** Parses, classifies and attributes one message; never rejects for the message's content. */
  decide(msg: StoredMessage, now: number): Promise<ParseResult>;
  /** Stops the parser; a parse in flight resolves with cause `stopped`. */
  close(): Promise<void>;
}

export interface ParseHostOptions {
  verp: ParseWorkerData['verp'];
  limits: DecideLimits;
  /** Time budget of one message, from hand-over to outcome. */
  budgetMs: number;
  /** Heap limit of the parse worker (V8 old generation), MB. */
  memoryMb: number;
  log: Logger;
  /** Called when a worker is given up on (budget, crash): metrics. */
  onAbandoned?: (cause: 'budget' | 'crash') => void;
}

/** The parse host's options from the configuration (`pipeline.*`, the VERP secret). */
export function parseHostOptions(config: Config, log: Logger, onAbandoned?: ParseHostOptions['onAbandoned']): ParseHostOptions {
  return {
    verp: { secret: resolveVerpSecret(config), prefix: config.verp.prefix, unsubscribePrefix: config.verp.unsubscribePrefix },
    limits: decideLimits(config),
    budgetMs: config.pipeline.parseBudgetMs,
    memoryMb: config.pipeline.parseMemoryMb,
    log,
    onAbandoned,
  };
}

export function decideLimits(config: Config): DecideLimits {
  return {
    parseMaxBytes: config.pipeline.parseMaxBytes,
    maxRecords: config.pipeline.maxRecordsPerMessage,
    maxTextChars: config.pipeline.maxTextChars,
  };
}

interface InFlight {
  reqId: number;
  id: number;
  resolve: (r: ParseResult) => void;
  timer: NodeJS.Timeout;
}

export class ParseHost implements ParseRunner {
  private worker: Worker | null = null;
  private starting: Promise<Worker> | null = null;
  private inFlight: InFlight | null = null;
  private nextReq = 1;
  private closed = false;
  /** Workers started, the first included (tests and logs: a replacement is a new one). */
  started = 0;

  constructor(private readonly opts: ParseHostOptions) {}

  ready(): Promise<void> {
    return this.start().then(() => undefined);
  }

  async decide(msg: StoredMessage, now: number): Promise<ParseResult> {
    if (this.inFlight) throw new Error('ParseHost: one message at a time');
    const worker = await this.start();
    // One copy of the bytes to parse, moved (not copied again) to the worker.
    const len = Math.min(msg.raw.length, this.opts.limits.parseMaxBytes);
    const raw = new Uint8Array(len);
    raw.set(msg.raw.subarray(0, len));
    return new Promise<ParseResult>((resolve) => {
      const reqId = this.nextReq++;
      const timer = setTimeout(() => this.abandon('budget', `processing budget exceeded: ${this.opts.budgetMs} ms`), this.opts.budgetMs);
      this.inFlight = { reqId, id: msg.id, resolve, timer };
      const request: ToParseWorker = { type: 'decide', reqId, message: { id: msg.id, receivedAt: msg.receivedAt, rcptTo: msg.rcptTo, raw }, now };
      worker.postMessage(request, [raw.buffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.finish({ ok: false, cause: 'stopped', error: 'processing stopped' });
    const pending = this.starting;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
    if (pending) await pending.then((late) => late.terminate(), () => {});
  }

  private start(): Promise<Worker> {
    if (this.closed) return Promise.reject(new Error('parse host closed'));
    if (this.worker) return Promise.resolve(this.worker);
    if (this.starting) return this.starting;
    const data: ParseWorkerData = { verp: this.opts.verp, limits: this.opts.limits };
    this.starting = new Promise<Worker>((resolve, reject) => {
      const w = new Worker(threadUrl('parse-worker'), { workerData: data, resourceLimits: { maxOldGenerationSizeMb: this.opts.memoryMb } });
      this.started++;
      let isReady = false;
      w.on('message', (m: FromParseWorker) => {
        if (m.type === 'ready') {
          isReady = true;
          if (this.closed) {
            void w.terminate();
            reject(new Error('parse host closed'));
            return;
          }
          this.worker = w;
          resolve(w);
        } else if (m.type === 'decided' && this.inFlight?.reqId === m.reqId) {
          this.finish({ ok: true, outcome: m.outcome });
        }
      });
      w.on('error', (err) => {
        if (!isReady) reject(err);
        else this.lost(w, `parse worker crashed: ${err.message}`);
      });
      w.on('exit', (code) => {
        if (!isReady) reject(new Error(`parse worker exited (${code}) before it was ready`));
        else this.lost(w, `parse worker exited (${code})`);
      });
    }).finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  /** The worker died on its own (not terminated by us): the message in flight is why. */
  private lost(w: Worker, error: string): void {
    if (this.worker !== w) return;
    this.worker = null;
    const id = this.inFlight?.id;
    if (!this.inFlight) return;
    this.opts.log.error({ evt: 'PARSE_WORKER_CRASHED', msgRow: id, error }, 'parse worker died during a parse; replacing it');
    this.opts.onAbandoned?.('crash');
    this.finish({ ok: false, cause: 'crash', error });
    this.replace();
  }

  private abandon(cause: 'budget', error: string): void {
    const id = this.inFlight?.id;
    const w = this.worker;
    this.worker = null;
    this.opts.log.warn({ evt: 'PARSE_BUDGET_EXCEEDED', msgRow: id, budgetMs: this.opts.budgetMs }, 'parse abandoned past its budget; replacing the parse worker');
    this.opts.onAbandoned?.(cause);
    this.finish({ ok: false, cause, error });
    if (w) void w.terminate();
    this.replace();
  }

  /** A fresh worker at once, so that it is warm when the next message comes. */
  private replace(): void {
    if (this.closed) return;
    this.start().catch((err: Error) => this.opts.log.error({ evt: 'PARSE_WORKER_START_FAILED', err }, 'could not start a parse worker'));
  }

  private finish(result: ParseResult): void {
    const f = this.inFlight;
    if (!f) return;
    this.inFlight = null;
    clearTimeout(f.timer);
    f.resolve(result);
  }
}

/**
 * Parses on the calling thread, with no budget and no isolation: for tests of other parts
 * and tools over trusted input. The daemon, `ingest` and `tick` use a ParseHost.
 */
export class InlineParser implements ParseRunner {
  constructor(
    private readonly verp: VerpCodec,
    private readonly limits: DecideLimits = DEFAULT_DECIDE_LIMITS,
  ) {}

  ready(): Promise<void> {
    return Promise.resolve();
  }

  async decide(msg: StoredMessage, now: number): Promise<ParseResult> {
    return { ok: true, outcome: (await decide(msg, this.verp, now, this.limits)).outcome };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

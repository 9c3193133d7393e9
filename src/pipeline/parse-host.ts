import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { MessageOutcome, PendingMessage } from './outcome.js';
import { resolveVerpSecret } from '../verp/secret.js';
import type { VerpCodec } from '../verp/index.js';
import { decide, DEFAULT_DECIDE_LIMITS, type DecideLimits } from './decide.js';
import type { FromParseWorker, ParseWorkerData, ToParseWorker } from './parse-worker.js';
import { ThreadCpuClock, TICK_MS } from './thread-cpu.js';
import { threadUrl } from './thread-url.js';

/**
 * A parse is abandoned when its thread has used `budgetMs` of CPU time for it, or when this
 * many times `budgetMs` of wall-clock time have passed (a thread kept from the CPU that long
 * is not worth waiting for either; where CPU time cannot be read, the budget is wall time).
 */
const WALL_FACTOR = 4;

// The processing side's handle on the parse worker (./parse-worker.ts): messages in order,
// a batch at a time, each within the processing budget. A parse past its budget (WALL_FACTOR
// above) is abandoned: the worker is terminated (the only way to stop a running JavaScript
// function) and a spare already warmed up takes over at once, with the rest of the batch. A
// worker that dies during a parse (out of memory past pipeline.parseMemoryMb, an abort) is
// replaced the same way; the processor decides what becomes of the message (processor.ts:
// attempts).

/** Why a parse gave no outcome. */
export type AbandonCause = 'budget' | 'crash' | 'stopped';

export type ParseResult = { ok: true; outcome: MessageOutcome } | { ok: false; cause: AbandonCause; error: string };

/** What the processor asks of a parser. */
export interface ParseRunner {
  /** Resolves once a parser can take a message (starting one if needed); rejects if none can start. */
  ready(): Promise<void>;
  /** Parses, classifies and attributes one message; never rejects for the message's content. */
  decide(msg: PendingMessage, now: number): Promise<ParseResult>;
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
  /**
   * Keep a second worker started and warm, so that an abandoned one is replaced at once
   * rather than after a thread start and warm-up (about 50-300 ms): the daemon, which may
   * meet one hostile message after another. One-shot commands need none.
   */
  spare?: boolean;
}

/** The parse host's options from the configuration (`pipeline.*`, the VERP secret). */
export function parseHostOptions(config: Config, log: Logger, onAbandoned?: ParseHostOptions['onAbandoned'], spare = false): ParseHostOptions {
  return {
    spare,
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

/** A message handed to the parse host, in order; `posted` once the current worker has it. */
interface Request {
  reqId: number;
  msg: PendingMessage;
  now: number;
  resolve: (r: ParseResult) => void;
  reject: (err: Error) => void;
  posted: boolean;
}

export class ParseHost implements ParseRunner {
  private worker: Worker | null = null;
  private starting: Promise<Worker> | null = null;
  /** A second worker kept warm (ParseHostOptions.spare), to replace an abandoned one at once. */
  private spare: Promise<Worker> | null = null;
  private spareWorker: Worker | null = null;
  /** Where each worker's answers arrive (read synchronously when a budget runs out). */
  private readonly answers = new WeakMap<Worker, MessagePort>();
  /** Requests not yet answered, oldest first; the worker answers them in this order. */
  private queue: Request[] = [];
  /** The budget of the request at the head of the queue: when it started, in wall and CPU time. */
  private timer: NodeJS.Timeout | null = null;
  private headStart = { wall: 0, cpu: null as number | null };
  /** Each worker's CPU clock (null where it cannot be read). */
  private readonly clocks = new WeakMap<Worker, ThreadCpuClock | null>();
  private nextReq = 1;
  private closed = false;
  /** Workers started, the first included (tests and logs: a replacement is a new one). */
  started = 0;

  constructor(private readonly opts: ParseHostOptions) {}

  ready(): Promise<void> {
    return this.start().then(() => undefined);
  }

  /**
   * Queues one message. Several may be queued at once (a batch): the worker always has the
   * next one at hand, and no message waits for a round trip between threads. Each one's
   * budget runs from the moment the one before it is answered.
   */
  decide(msg: PendingMessage, now: number): Promise<ParseResult> {
    if (this.closed) return Promise.resolve({ ok: false, cause: 'stopped', error: 'processing stopped' });
    return new Promise<ParseResult>((resolve, reject) => {
      this.queue.push({ reqId: this.nextReq++, msg, now, resolve, reject, posted: false });
      if (this.worker) this.post(this.worker);
      else this.replace();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    for (const r of this.queue.splice(0)) r.resolve({ ok: false, cause: 'stopped', error: 'processing stopped' });
    const pending = [this.starting, this.spare];
    this.spare = null;
    this.spareWorker = null;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
    for (const p of pending) if (p) await p.then((late) => late.terminate(), () => {});
  }

  /** Hands the worker what it does not have yet, and starts the head's budget. */
  private post(worker: Worker): void {
    for (const r of this.queue) {
      if (r.posted) continue;
      // One copy of the bytes to parse, moved (not copied again) to the worker.
      const len = Math.min(r.msg.raw.length, this.opts.limits.parseMaxBytes);
      const raw = new Uint8Array(len);
      raw.set(r.msg.raw.subarray(0, len));
      const request: ToParseWorker = { type: 'decide', reqId: r.reqId, message: { id: r.msg.id, receivedAt: r.msg.receivedAt, rcptTo: r.msg.rcptTo, raw }, now: r.now };
      worker.postMessage(request, [raw.buffer]);
      r.posted = true;
    }
    this.armTimer();
  }

  private armTimer(): void {
    if (this.timer || !this.queue[0]?.posted) return;
    const clock = this.worker ? this.clocks.get(this.worker) : null;
    this.headStart = { wall: performance.now(), cpu: clock?.read() ?? null };
    this.timer = setTimeout(() => this.checkBudget(), this.opts.budgetMs);
  }

  /** The head's time is up by the wall clock: has its thread really worked that long? */
  private checkBudget(): void {
    this.timer = null;
    // An answer that is already here is taken, not abandoned.
    const w = this.worker;
    const port = w && this.answers.get(w);
    const head = this.queue[0];
    for (let m; port && (m = receiveMessageOnPort(port)); ) this.answered(w!, m.message as FromParseWorker);
    if (this.queue[0] !== head || !head) return;
    const cpu = w ? this.clocks.get(w)?.read() : null;
    const wall = performance.now() - this.headStart.wall;
    if (cpu != null && this.headStart.cpu !== null && wall < this.opts.budgetMs * WALL_FACTOR) {
      const used = cpu - this.headStart.cpu;
      // Kept from the CPU (a loaded machine), not working: wait for the rest of its budget.
      if (used + TICK_MS < this.opts.budgetMs) {
        this.timer = setTimeout(() => this.checkBudget(), Math.max(this.opts.budgetMs - used, TICK_MS));
        return;
      }
    }
    this.abandon();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private start(): Promise<Worker> {
    if (this.closed) return Promise.reject(new Error('parse host closed'));
    if (this.worker) return Promise.resolve(this.worker);
    if (this.starting) return this.starting;
    // A spare already warm takes over at once; the next spare starts behind it.
    const next = this.spare ?? this.spawn();
    this.spare = null;
    this.spareWorker = null;
    this.starting = next
      .then((w) => {
        if (this.closed) {
          void w.terminate();
          throw new Error('parse host closed');
        }
        this.worker = w;
        this.post(w);
        return w;
      })
      .finally(() => {
        this.starting = null;
      });
    if (this.opts.spare) {
      const spare = this.spawn();
      this.spare = spare;
      spare.then(
        (w) => {
          if (this.spare === spare) this.spareWorker = w;
        },
        () => {},
      );
    }
    return this.starting;
  }

  /** A new worker; resolves once it is warmed up and ready. */
  private spawn(): Promise<Worker> {
    // Answers come on a channel of their own, so that a budget running out can first take an
    // answer that arrived meanwhile (receiveMessageOnPort): a timer and a message that are
    // both due are run timer first, and a busy thread would then abandon a finished parse.
    const { port1: answers, port2 } = new MessageChannel();
    const data: ParseWorkerData = { verp: this.opts.verp, limits: this.opts.limits, answers: port2 };
    const spawned = new Promise<Worker>((resolve, reject) => {
      const w = new Worker(threadUrl('parse-worker'), { workerData: data, transferList: [port2], resourceLimits: { maxOldGenerationSizeMb: this.opts.memoryMb } });
      this.started++;
      this.answers.set(w, answers);
      let isReady = false;
      answers.on('message', (m: FromParseWorker) => this.answered(w, m));
      w.once('exit', () => answers.close());
      w.on('message', (m: FromParseWorker) => {
        if (m.type === 'ready') {
          isReady = true;
          const clock = m.tid === null ? null : new ThreadCpuClock(m.tid);
          this.clocks.set(w, clock);
          w.once('exit', () => clock?.close());
          resolve(w);
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
    });
    // A spare that fails to start is simply not there: the next start spawns a worker itself.
    spawned.catch(() => {
      if (this.spare === spawned) this.spare = null;
    });
    return spawned;
  }

  /** The worker died on its own (not terminated by us): the message at the head is why. */
  private lost(w: Worker, error: string): void {
    if (this.spareWorker === w) {
      // The spare died idle: nobody's fault; the next start spawns one.
      this.spare = null;
      this.spareWorker = null;
      return;
    }
    if (this.worker !== w) return;
    this.worker = null;
    this.clearTimer();
    const head = this.queue[0]?.posted ? this.queue.shift()! : null;
    for (const r of this.queue) r.posted = false;
    if (head) {
      this.opts.log.error({ evt: 'PARSE_WORKER_CRASHED', msgRow: head.msg.id, error }, 'parse worker died during a parse; replacing it');
      this.opts.onAbandoned?.('crash');
      head.resolve({ ok: false, cause: 'crash', error });
    }
    this.replace();
  }

  /** The head is past its budget: terminate the worker, answer for it, and go on with a new one. */
  private answered(w: Worker, m: FromParseWorker): void {
    if (m.type === 'decided' && this.worker === w && this.queue[0]?.reqId === m.reqId) {
      this.clearTimer();
      this.queue.shift()!.resolve({ ok: true, outcome: m.outcome });
      this.armTimer();
    }
  }

  private abandon(): void {
    const head = this.queue.shift();
    const w = this.worker;
    this.worker = null;
    for (const r of this.queue) r.posted = false;
    if (w) void w.terminate();
    if (head) {
      this.opts.log.warn({ evt: 'PARSE_BUDGET_EXCEEDED', msgRow: head.msg.id, budgetMs: this.opts.budgetMs }, 'parse abandoned past its budget; replacing the parse worker');
      this.opts.onAbandoned?.('budget');
      head.resolve({ ok: false, cause: 'budget', error: `processing budget exceeded: ${this.opts.budgetMs} ms` });
    }
    this.replace();
  }

  /** A fresh worker at once, so that it is warm when the next message comes; it takes the queue. */
  private replace(): void {
    if (this.closed) return;
    this.start().catch((err: Error) => {
      if (this.closed) return;
      this.opts.log.error({ evt: 'PARSE_WORKER_START_FAILED', err }, 'could not start a parse worker');
      // Not the messages' fault: they are handed back (the processor retries later).
      for (const r of this.queue.splice(0)) r.reject(err);
    });
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

  async decide(msg: PendingMessage, now: number): Promise<ParseResult> {
    return { ok: true, outcome: (await decide(msg, this.verp, now, this.limits)).outcome };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

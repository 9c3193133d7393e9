import type { Logger } from '../log.js';
import { repeated } from '../log-repeat.js';
import type { MessageOutcome, Store } from '../store/types.js';
import type { VerpCodec } from '../verp/index.js';
import { decide } from './decide.js';

// Works off the messages in state `received`: at start-up (what a crash left behind) and
// after every intake commit. Parsing is async, so a batch is parsed first and then all its
// outcomes are written in ONE transaction (no await inside it). Settling is idempotent:
// a message already settled is skipped by the store, so a replay never doubles records.

/**
 * What the daemon's SMTP thread needs to know of a settled message (its metrics): what
 * crosses from the pipeline worker, rather than whole outcomes with every record.
 */
export interface SettledSummary {
  state: MessageOutcome['state'];
  kind: string;
  bounces: Array<{ type: string; reason: string }>;
}

export function summarizeSettled(outcomes: ReadonlyArray<{ outcome: MessageOutcome }>): SettledSummary[] {
  return outcomes.map(({ outcome }) =>
    outcome.state === 'unparseable'
      ? { state: outcome.state, kind: 'unknown', bounces: [] }
      : {
          state: outcome.state,
          kind: outcome.kind,
          bounces: outcome.state === 'processed' ? outcome.bounces.map((b) => ({ type: b.type, reason: b.reason })) : [],
        },
  );
}

export interface ProcessorOptions {
  batchSize?: number;
  now?: () => number;
  /**
   * Called between steps of processing (each message, each settle): work on the same thread
   * that must not wait behind processing, i.e. the intake's commits that senders wait on.
   */
  yieldTo?: () => void;
  /** Called after a batch is settled (metrics, tests). */
  onSettled?: (outcomes: Array<{ id: number; outcome: MessageOutcome }>) => void;
}

export class Processor {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly batchSize: number;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly verp: VerpCodec,
    private readonly log: Logger,
    private readonly opts: ProcessorOptions = {},
  ) {
    this.batchSize = opts.batchSize ?? 20;
    this.now = opts.now ?? Date.now;
  }

  /** Asks for a pass over the backlog; coalesces with a pass already running. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Processes until the backlog is empty (used by `ingest`, tests and shutdown). */
  async drain(): Promise<void> {
    this.kick();
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      let batch;
      try {
        batch = this.store.pendingMessages(this.batchSize);
      } catch (err) {
        this.scheduleRetry(err);
        return;
      }
      if (batch.length === 0) return;
      const now = this.now();
      const outcomes: Array<{ id: number; outcome: MessageOutcome }> = [];
      // Duplicates inside one batch are not yet visible in the store: remember them here.
      const seen = new Map<string, number>();
      for (const msg of batch) {
        // Parsing is CPU work: let the thread's other work (SMTP sessions without the worker,
        // the intake's commits with it) move between messages.
        await new Promise<void>((r) => setImmediate(r));
        this.opts.yieldTo?.();
        const { outcome } = await decide(msg, this.verp, now);
        // Equal bytes, or the same report Message-ID within one verified token (decide.ts).
        const dupKey = outcome.state === 'processed' ? (outcome.duplicateKey ?? null) : null;
        const keys = [`sha:${msg.sha256}`];
        if (dupKey) keys.push(`key:${dupKey}`);
        const earlier =
          outcome.state === 'unparseable'
            ? null
            : (keys.map((k) => seen.get(k)).find((v) => v !== undefined) ?? this.store.findDuplicate(msg.id, msg.sha256, dupKey));
        if (earlier != null && outcome.state === 'processed') {
          outcomes.push({ id: msg.id, outcome: { state: 'duplicate', duplicateOf: earlier, kind: outcome.kind, reportMessageId: outcome.reportMessageId } });
          continue;
        }
        for (const k of keys) if (!seen.has(k)) seen.set(k, msg.id);
        outcomes.push({ id: msg.id, outcome });
      }
      this.opts.yieldTo?.();
      try {
        this.store.settleMessages(outcomes, now);
      } catch (err) {
        this.scheduleRetry(err);
        return;
      }
      for (const { id, outcome } of outcomes) this.logOutcome(id, outcome);
      this.opts.onSettled?.(outcomes);
    }
  }

  private logOutcome(id: number, outcome: MessageOutcome): void {
    if (outcome.state === 'unparseable') {
      this.log.warn({ evt: 'MESSAGE_UNPARSEABLE', msgRow: id, error: outcome.error }, 'stored message could not be parsed');
    } else if (outcome.state === 'duplicate') {
      this.log.info({ evt: 'MESSAGE_DUPLICATE', msgRow: id, duplicateOf: outcome.duplicateOf }, 'report already seen');
    } else {
      const verified = outcome.bounces.filter((b) => b.verified).length;
      this.log.info(
        { evt: 'MESSAGE_PROCESSED', msgRow: id, kind: outcome.kind, detector: outcome.detector, records: outcome.bounces.length, verified },
        'message processed',
      );
    }
  }

  /** The store failed (locked, disk full): keep the messages `received` and try again later. */
  private scheduleRetry(err: unknown): void {
    repeated.log(this.log, 'error', { evt: 'PROCESS_STORE_FAILED', err }, 'could not read or settle messages; retrying in 5 s');
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, 5000);
    this.retryTimer.unref();
  }
}

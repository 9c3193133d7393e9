import { bigBufferHint } from '../gc-hint.js';
import type { Logger } from '../log.js';
import { repeated } from '../log-repeat.js';
import type { NodeId, Store } from '../store/contract.js';
import type { VerpCodec } from '../verp/index.js';
import type { MessageOutcome, PendingMessage } from './outcome.js';
import { InlineParser, type ParseRunner } from './parse-host.js';
import type { SettleItem } from './settle.js';

// Works off the messages in state `received`: at start-up (what a crash left behind) and
// after every intake commit. Messages are claimed for this node (store.messages.claim: no
// other node takes them while the lease runs; this node takes back its own after a restart).
// Each message is parsed in the parse worker within its budget (parse-host.ts), never on this
// thread; a batch's outcomes are then settled (settle.ts) in short transactions (no parse while
// one is open). Settling is idempotent: a message already settled is skipped by the store, so
// a replay never doubles records.
//
// Attempts. Before a batch is parsed its messages' attempts are counted in the store, so a
// message whose parse crashes the parse worker, or that is being parsed when the process is
// killed, is known at the next pass. Such a message is then tried alone (so that it alone is
// charged if it fails again), and after `maxAttempts` it is settled `unparseable` without
// another parse: never retried in a loop. A graceful stop refunds the attempts that never ran.

/**
 * What the daemon's SMTP thread needs to know of a settled message (its metrics): what
 * crosses from the processing thread, rather than whole outcomes with every record.
 */
export interface SettledSummary {
  state: MessageOutcome['state'];
  kind: string;
  bounces: Array<{ type: string; reason: string }>;
  /** Parse and decision time (absent when it was given up without a parse). */
  parseSeconds?: number;
}

export function summarizeSettled(outcomes: ReadonlyArray<SettleItem>): SettledSummary[] {
  return outcomes.map(({ outcome, parseSeconds }) => ({
    ...(outcome.state === 'unparseable'
      ? { state: outcome.state, kind: 'unknown', bounces: [] }
      : {
          state: outcome.state,
          kind: outcome.kind,
          bounces: outcome.state === 'processed' ? outcome.bounces.map((b) => ({ type: b.type, reason: b.reason })) : [],
        }),
    ...(parseSeconds !== undefined ? { parseSeconds } : {}),
  }));
}

/**
 * Bounce records written per settling transaction, about: the intake's commits wait for the
 * write lock while one is open, so a batch of big reports is settled in several.
 */
const RECORDS_PER_SETTLE = 256;

/**
 * Bytes of heads one batch claims at most (ClaimOptions.maxBytes; always at least one message).
 * A batch's heads are held here and once more in the parse worker's queue: 20 big messages
 * stored at once would be 2 x 20 MiB (issue #20: <= 2 MB per concurrent session above the parse
 * head). Ordinary reports (a batch of 20 x 20 KB) are far under it; big ones go a few at a time.
 */
export const BATCH_HEAD_BYTES = 4 * 1024 * 1024;

/** A batch split before its parse: the messages to parse, and those given up after their attempts. */
interface BatchPlan {
  toParse: PendingMessage[];
  givenUp: SettleItem[];
}

/** What one claim took: its plan, and whether it took everything claimable then. */
interface ClaimStep {
  plan: BatchPlan;
  exhausted: boolean;
}

/** Messages claimed and parsed at a time. */
export const DEFAULT_BATCH = 20;

/** What writes a batch's outcomes (settle.ts Settler): one transaction; the ids settled now. */
export interface SettleStep {
  settle(items: readonly SettleItem[], now: number): Promise<number[]>;
}

export interface ProcessorOptions {
  /** The node claiming messages (store.messages.claim); one processor per node. */
  node: NodeId;
  /** The settle step (pipeline/build.ts makes it). */
  settler: SettleStep;
  batchSize?: number;
  /**
   * How long a claim holds messages against other nodes. This node takes back its own at any
   * time; another node takes them over after it (this one died). pipeline/build.ts sets it
   * from the parse budget (claimLeaseMs); the default assumes the default budget.
   */
  leaseMs?: number;
  now?: () => number;
  /** Where messages are parsed: a ParseHost (the daemon, ingest, tick); by default on this thread. */
  parser?: ParseRunner;
  /** Parses begun per message before it is given up (pipeline.maxAttempts). */
  maxAttempts?: number;
  /**
   * How long a kick waits before its pass when none is running, so that the messages stored
   * meanwhile share one claim and one settling transaction (pipeline.processWindowMs). 0: at
   * once. A pass already running takes what arrives without waiting.
   */
  windowMs?: number;
  /** Called after a batch is settled (metrics, tests). */
  onSettled?: (outcomes: SettleItem[]) => void;
}

export class Processor {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Wakes this processor when another node's claim lapses (several nodes on one database). */
  private leaseTimer: NodeJS.Timeout | null = null;
  /** A kick waiting for its window to close (windowMs). */
  private windowTimer: NodeJS.Timeout | null = null;
  private readonly windowMs: number;
  /** Full collections once big heads are dropped (../gc-hint.ts): a big message's is 1 MiB. */
  private readonly dropped = bigBufferHint();
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly now: () => number;
  private readonly parser: ParseRunner;
  private readonly maxAttempts: number;
  /** Whether this processor claimed messages (released on stop). */
  private claimed = false;
  /**
   * Attempts counted in the store that are still this process's own: their outcome could
   * not be written (a store fault) and the refund failed too. The retry reuses them, so a
   * long store fault never uses up a message's attempts.
   */
  private readonly openAttempts = new Set<number>();

  constructor(
    private readonly store: Store,
    verp: VerpCodec,
    private readonly log: Logger,
    private readonly opts: ProcessorOptions,
  ) {
    this.batchSize = opts.batchSize ?? DEFAULT_BATCH;
    this.leaseMs = opts.leaseMs ?? 60_000 + this.batchSize * 4 * 2_000;
    this.now = opts.now ?? Date.now;
    this.parser = opts.parser ?? new InlineParser(verp);
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.windowMs = opts.windowMs ?? 0;
  }

  /**
   * Asks for a pass over the backlog; coalesces with a pass already running, or with the
   * others of its window (windowMs) when none is.
   */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.windowMs > 0) {
      if (!this.windowTimer) {
        this.windowTimer = setTimeout(() => this.start(), this.windowMs);
        this.windowTimer.unref();
      }
      return;
    }
    this.start();
  }

  /** Starts a pass now (or marks one to follow the pass running). */
  private start(): void {
    if (this.windowTimer) clearTimeout(this.windowTimer);
    this.windowTimer = null;
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

  /** Processes until the backlog is empty (tests, shutdown, the process-spool job): no window. */
  async drain(): Promise<void> {
    this.start();
    while (this.running || this.windowTimer) {
      if (this.running) await this.running;
      else this.start();
    }
  }

  /**
   * Processes these messages only, if still `received` (`ingest`: its own message, never
   * the backlog). Resolves when they are settled or their attempt has failed.
   */
  async processOnly(ids: number[]): Promise<void> {
    while (this.running) await this.running;
    await this.parser.ready();
    let batch: PendingMessage[];
    try {
      batch = await this.store.messages.received(ids);
    } catch (err) {
      this.log.warn({ evt: 'PROCESS_STORE_FAILED', err }, 'could not read the messages to process; they stay received');
      return;
    }
    if (!batch.length) return;
    const plan = this.plan(batch);
    try {
      await this.store.messages.beginAttempts(plan.toParse.filter((m) => !this.openAttempts.has(m.id)).map((m) => m.id));
    } catch (err) {
      this.scheduleRetry(err);
      return;
    }
    for (const m of plan.toParse) this.openAttempts.add(m.id);
    await this.process(plan);
  }

  /** Stops after the message in hand: its parse is abandoned, its attempt refunded, its claim released. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    if (this.windowTimer) clearTimeout(this.windowTimer);
    this.windowTimer = null;
    const closing = this.parser.close();
    if (this.running) await this.running;
    await closing;
    // Claims on messages left unsettled go back, so that another node need not wait for the lease.
    if (this.claimed) await this.store.messages.release(this.opts.node).catch(() => {});
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      try {
        // A parser first: a message is charged an attempt only when it can be parsed at once.
        await this.parser.ready();
      } catch (err) {
        if (!this.stopped) this.scheduleRetry(err, 'PARSER_START_FAILED');
        return;
      }
      if (this.stopped) return;
      let step: ClaimStep | null;
      try {
        step = await this.claimBatch();
      } catch (err) {
        this.scheduleRetry(err);
        return;
      }
      if (!step) {
        await this.watchOthersClaims();
        return;
      }
      for (const m of step.plan.toParse) this.openAttempts.add(m.id);
      const result = await this.process(step.plan);
      // The batch's heads are garbage now (../gc-hint.ts): a big message's is 1 MiB.
      this.dropped(step.plan.toParse.map((m) => m.raw));
      if (result === 'failed') return;
      // Everything claimable was in this claim (fewer than a batch, none left out, not cut at
      // the byte limit) and settled: a message stored since comes with a kick of its own (the
      // intake kicks after its commit), so another claim now would find nothing. At one
      // message at a time that empty claim was a write transaction per message. (A crashed
      // parse leaves its message received, to be tried again alone at once: claim again.)
      if (step.exhausted && result === 'settled') {
        await this.watchOthersClaims();
        return;
      }
    }
  }

  /**
   * Claims the next batch and counts its attempts, in one transaction (one commit, one write
   * turn, instead of three: the claim, the release of what waits for another pass, the
   * attempts). Null when nothing is claimable.
   */
  private claimBatch(): Promise<ClaimStep | null> {
    return this.store.transaction(
      async (tx) => {
        const claimed = await tx.messages.claim(this.opts.node, { limit: this.batchSize, leaseMs: this.leaseMs, now: this.now(), maxBytes: BATCH_HEAD_BYTES });
        if (claimed.length === 0) return null;
        // A message tried before and never settled goes alone; the others go together.
        const tried = (m: PendingMessage) => this.pastAttempts(m) > 0;
        const untried = claimed.findIndex(tried);
        const batch = tried(claimed[0]!) ? [claimed[0]!] : untried < 0 ? claimed : claimed.slice(0, untried);
        // The rest is claimed again in the next pass (or by another node meanwhile).
        if (batch.length < claimed.length) await tx.messages.release(this.opts.node, claimed.slice(batch.length).map((m) => m.id));
        const plan = this.plan(batch);
        await tx.messages.beginAttempts(plan.toParse.filter((m) => !this.openAttempts.has(m.id)).map((m) => m.id));
        this.claimed = true;
        const bytes = claimed.reduce((n, m) => n + m.raw.length, 0);
        return { plan, exhausted: batch.length === claimed.length && claimed.length < this.batchSize && bytes < BATCH_HEAD_BYTES };
      },
      // Claims and attempts must survive the process, not a power cut (MessageRepo.beginAttempts).
      { durable: false },
    );
  }

  /** Splits a batch: past its attempts, a message is given up without another parse. */
  private plan(batch: readonly PendingMessage[]): BatchPlan {
    const givenUp: SettleItem[] = [];
    const toParse: PendingMessage[] = [];
    for (const msg of batch) {
      const past = this.pastAttempts(msg);
      if (past >= this.maxAttempts) {
        const last = msg.error ? `; last: ${msg.error}` : '; the process stopped during each';
        givenUp.push({ id: msg.id, outcome: { state: 'unparseable', error: `given up after ${past} processing attempts${last}` } });
      } else toParse.push(msg);
    }
    return { givenUp, toParse };
  }

  /**
   * Parses and settles one batch (its attempts counted): 'failed' when the store failed (a
   * retry is scheduled) or on stop, 'crashed' when a parse crashed (its message stays
   * received, to be tried again alone), else 'settled'.
   */
  private async process(plan: BatchPlan): Promise<'settled' | 'crashed' | 'failed'> {
    const now = this.now();
    const outcomes: SettleItem[] = [...plan.givenUp];
    const toParse = plan.toParse;
    // Duplicates inside one batch are not yet visible in the store: remember them here.
    const seen = new Map<string, number>();
    const crashed = new Set<number>();
    // The whole batch is handed to the parser at once; the answers come in order.
    const results = toParse.map((msg) => this.parser.decide(msg, now));
    for (const r of results) r.catch(() => {});
    // The parser answers in order, one message at a time: a message's time is from the
    // previous answer (or the batch's start) to its own.
    let mark = performance.now();
    for (const [i, msg] of toParse.entries()) {
      if (this.stopped) break;
      let result;
      let parseSeconds: number;
      try {
        result = await results[i]!;
        const t = performance.now();
        parseSeconds = (t - mark) / 1000;
        mark = t;
      } catch (err) {
        // No parser could be started (the machine is out of threads or memory): not the
        // message's fault; what is left of the batch waits for the retry.
        this.scheduleRetry(err, 'PARSER_START_FAILED');
        break;
      }
      if (!result.ok && result.cause === 'stopped') break;
      if (!result.ok && result.cause === 'crash') {
        crashed.add(msg.id);
        // Stays `received` with its attempt counted; the next pass tries it alone.
        this.log.warn({ evt: 'PARSE_ATTEMPT_FAILED', msgRow: msg.id, attempt: msg.attempts + 1, maxAttempts: this.maxAttempts, error: result.error }, 'parse crashed; the message will be tried again alone');
        // The attempt is counted already; the note is only for the operator.
        await this.store.messages.noteFailedAttempt(msg.id, result.error).catch(() => {});
        continue;
      }
      const outcome: MessageOutcome = result.ok ? result.outcome : { state: 'unparseable', error: result.error };
      // Equal bytes, or the same report Message-ID within one verified token (decide.ts).
      const dupKey = outcome.state === 'processed' ? (outcome.duplicateKey ?? null) : null;
      const keys = [`sha:${msg.sha256}`];
      if (dupKey) keys.push(`key:${dupKey}`);
      let earlier: number | null | undefined = null;
      if (outcome.state !== 'unparseable') {
        earlier = keys.map((k) => seen.get(k)).find((v) => v !== undefined);
        if (earlier === undefined) {
          try {
            earlier = await this.store.messages.findDuplicate(msg.id, msg.sha256, dupKey);
          } catch (err) {
            // Settled without knowing would be a second set of records: leave it for the retry.
            this.scheduleRetry(err);
            break;
          }
        }
      }
      if (earlier != null && outcome.state === 'processed') {
        outcomes.push({ id: msg.id, outcome: { state: 'duplicate', duplicateOf: earlier, kind: outcome.kind, reportMessageId: outcome.reportMessageId }, parseSeconds });
        continue;
      }
      for (const k of keys) if (!seen.has(k)) seen.set(k, msg.id);
      outcomes.push({ id: msg.id, outcome, parseSeconds });
    }
    const settled = await this.settle(outcomes, now);
    for (const id of [...settled, ...crashed]) this.openAttempts.delete(id);
    // An attempt that was not the message's doing is taken back: its parse never ran (a
    // stop), or its outcome could not be written (a store fault). Crashes stay counted.
    const refund = toParse.filter((m) => !settled.has(m.id) && !crashed.has(m.id)).map((m) => m.id);
    if (refund.length) {
      try {
        await this.store.messages.refundAttempts(refund);
        for (const id of refund) this.openAttempts.delete(id);
      } catch (err) {
        this.log.warn({ evt: 'ATTEMPT_REFUND_FAILED', err, count: refund.length }, 'could not take back the attempts of messages left unsettled; the retry reuses them');
      }
    }
    if (settled.size !== outcomes.length || refund.length > 0 || this.stopped) return 'failed';
    return crashed.size > 0 ? 'crashed' : 'settled';
  }

  /** Attempts of a message that ended without an outcome (this process's open one not counted). */
  private pastAttempts(m: PendingMessage): number {
    return m.attempts - (this.openAttempts.has(m.id) ? 1 : 0);
  }

  /** Settles in transactions of about RECORDS_PER_SETTLE records each; returns the ids settled. */
  private async settle(outcomes: SettleItem[], now: number): Promise<Set<number>> {
    const settled = new Set<number>();
    let from = 0;
    while (from < outcomes.length) {
      let to = from;
      let records = 0;
      do {
        const o = outcomes[to]!.outcome;
        records += o.state === 'processed' ? Math.max(1, o.bounces.length) : 1;
        to++;
      } while (to < outcomes.length && records < RECORDS_PER_SETTLE);
      const chunk = outcomes.slice(from, to);
      try {
        await this.opts.settler.settle(chunk, now);
      } catch (err) {
        this.scheduleRetry(err);
        return settled;
      }
      for (const { id, outcome } of chunk) {
        settled.add(id);
        this.logOutcome(id, outcome);
      }
      this.opts.onSettled?.(chunk);
      from = to;
    }
    return settled;
  }

  private logOutcome(id: number, outcome: MessageOutcome): void {
    if (outcome.state === 'unparseable') {
      this.log.warn({ evt: 'MESSAGE_UNPARSEABLE', msgRow: id, error: outcome.error }, 'stored message could not be parsed');
    } else if (outcome.state === 'duplicate') {
      this.log.info({ evt: 'MESSAGE_DUPLICATE', msgRow: id, duplicateOf: outcome.duplicateOf }, 'report already seen');
    } else {
      const verified = outcome.bounces.filter((b) => b.verified).length;
      this.log.info(
        { evt: 'MESSAGE_PROCESSED', msgRow: id, kind: outcome.kind, detector: outcome.detector, records: outcome.bounces.length, verified, warning: outcome.warning ?? undefined },
        'message processed',
      );
    }
  }

  /**
   * Nothing to claim, yet messages may wait under another node's claim: a node that died
   * mid-batch holds them until its lease lapses, and nothing else would wake this processor
   * then (no new mail here, the process-spool job a minute later at best). So when the oldest
   * unsettled message is claimed by another node, a pass is asked for just after its lease.
   */
  private async watchOthersClaims(): Promise<void> {
    if (this.stopped || this.leaseTimer) return;
    let first;
    try {
      [first] = await this.store.messages.list({ state: 'received', limit: 1 });
    } catch {
      return; // the next pass (a kick, the process-spool job) asks again
    }
    if (!first || first.claimedBy === null || first.claimedBy === this.opts.node || first.claimedUntil === null) return;
    const wait = Math.min(Math.max(first.claimedUntil - this.now(), 0), this.leaseMs) + 100;
    this.leaseTimer = setTimeout(() => {
      this.leaseTimer = null;
      this.kick();
    }, wait);
    this.leaseTimer.unref();
  }

  /** The store failed (locked, disk full) or no parser could start: keep the messages `received` and try again later. */
  private scheduleRetry(err: unknown, evt: 'PROCESS_STORE_FAILED' | 'PARSER_START_FAILED' = 'PROCESS_STORE_FAILED'): void {
    repeated.log(this.log, 'error', { evt, err }, evt === 'PROCESS_STORE_FAILED' ? 'could not read or settle messages; retrying in 5 s' : 'could not start a parse worker; retrying in 5 s');
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, 5000);
    this.retryTimer.unref();
  }
}

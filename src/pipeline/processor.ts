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

/** Messages claimed and parsed at a time. */
export const DEFAULT_BATCH = 20;

/**
 * Bytes of heads one batch claims at most (always at least one message). A batch's heads are
 * held here and once more in the parse worker's queue: 20 big messages stored at once would be
 * 2 x 20 MiB (issue #20: <= 2 MB per concurrent session above the parse head). Ordinary reports
 * (a batch of 20 x 20 KB) are far under it; big ones go a few at a time.
 */
export const BATCH_HEAD_BYTES = 4 * 1024 * 1024;

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
  private readonly dropped = bigBufferHint();

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

  /** Processes until the backlog is empty (tests, shutdown, the process-spool job). */
  async drain(): Promise<void> {
    this.kick();
    while (this.running) await this.running;
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
    if (batch.length) await this.process(batch);
  }

  /** Stops after the message in hand: its parse is abandoned, its attempt refunded, its claim released. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    const closing = this.parser.close();
    if (this.running) await this.running;
    await closing;
    // Claims on messages left unsettled go back, so that another node need not wait for the lease.
    if (this.claimed) await this.store.messages.release(this.opts.node).catch(() => {});
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      let claimed: PendingMessage[];
      try {
        // A parser first: a message is charged an attempt only when it can be parsed at once.
        await this.parser.ready();
      } catch (err) {
        if (!this.stopped) this.scheduleRetry(err, 'PARSER_START_FAILED');
        return;
      }
      if (this.stopped) return;
      try {
        claimed = await this.store.messages.claim(this.opts.node, { limit: this.batchSize, maxBytes: BATCH_HEAD_BYTES, leaseMs: this.leaseMs, now: this.now() });
        this.claimed ||= claimed.length > 0;
      } catch (err) {
        this.scheduleRetry(err);
        return;
      }
      if (claimed.length === 0) {
        await this.watchOthersClaims();
        return;
      }
      // A message tried before and never settled goes alone; the others go together.
      const tried = (m: PendingMessage) => this.pastAttempts(m) > 0;
      const untried = claimed.findIndex(tried);
      const batch = tried(claimed[0]!) ? [claimed[0]!] : untried < 0 ? claimed : claimed.slice(0, untried);
      if (batch.length < claimed.length) {
        // The rest is claimed again in the next pass (or by another node meanwhile).
        try {
          await this.store.messages.release(this.opts.node, claimed.slice(batch.length).map((m) => m.id));
        } catch (err) {
          this.scheduleRetry(err);
          return;
        }
      }
      const done = await this.process(batch);
      // The batch's heads are garbage now (../gc-hint.ts): a big message's is 1 MiB.
      this.dropped(batch.map((m) => m.raw));
      if (!done) return;
    }
  }

  /** Parses and settles one batch; false when the store failed (a retry is scheduled) or on stop. */
  private async process(batch: PendingMessage[]): Promise<boolean> {
    const now = this.now();
    const outcomes: SettleItem[] = [];
    // Past its attempts: given up without another parse.
    const toParse: PendingMessage[] = [];
    for (const msg of batch) {
      const past = this.pastAttempts(msg);
      if (past >= this.maxAttempts) {
        const last = msg.error ? `; last: ${msg.error}` : '; the process stopped during each';
        outcomes.push({ id: msg.id, outcome: { state: 'unparseable', error: `given up after ${past} processing attempts${last}` } });
      } else toParse.push(msg);
    }
    try {
      await this.store.messages.beginAttempts(toParse.filter((m) => !this.openAttempts.has(m.id)).map((m) => m.id));
    } catch (err) {
      this.scheduleRetry(err);
      return false;
    }
    for (const m of toParse) this.openAttempts.add(m.id);
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
    return settled.size === outcomes.length && refund.length === 0 && !this.stopped;
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

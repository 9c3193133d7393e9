// The settle step: what the pipeline decided for stored messages (outcome.ts), written in one
// transaction per batch. For each message: settle it (once: a message already settled by
// this node or another writes nothing), write its bounce records (each one's account and
// complaint handled as it is written), its delivery evidence with what each delivery's change
// calls for, and its unsubscribes. The decisions are the policy's pure functions
// (src/policy/rules.ts); src/policy/apply.ts reads what they need in the same transaction
// (the account and its state once, the month's and the campaign's counters: one read each,
// whatever their volume) and writes their outcome (failures, suppressions, reports,
// campaigns, events, audit rows, notifications). Nothing reaches in from elsewhere.
import type { PolicyRules, PolicyTx } from '../policy/apply.js';
import type { Store } from '../store/contract.js';
import { settlementOf, type MessageOutcome } from './outcome.js';

export interface SettleItem {
  id: number;
  outcome: MessageOutcome;
  /** Seconds its parse and decision took (its turn in the parse worker); for the metrics. */
  parseSeconds?: number;
}

/** Settles the messages in the transaction of `p`; returns the ids settled now (the others were already). */
export async function settleMessages(p: PolicyTx, items: readonly SettleItem[]): Promise<number[]> {
  const settled: number[] = [];
  for (const { id, outcome } of items) {
    if (!(await p.tx.messages.settle(id, settlementOf(outcome), p.now))) continue;
    settled.push(id);
    if (outcome.state === 'processed') await writeOutcome(p, id, outcome);
  }
  return settled;
}

/**
 * What a processed message produces: its bounce records (each one's account and complaint
 * handled as it is written), its delivery evidence with what each delivery's change calls
 * for, its unsubscribes. Returns the records' ids in order. settleMessages calls it once per
 * message it settles; the inbox intake (./inbox-intake.ts) also for the further bounces one
 * inbox message holds.
 */
export async function writeOutcome(p: PolicyTx, id: number, outcome: Extract<MessageOutcome, { state: 'processed' }>): Promise<number[]> {
  const bounceIds: number[] = [];
  for (const b of outcome.bounces) {
    const bounceId = await p.tx.bounces.insert(id, b);
    bounceIds.push(bounceId);
    await p.recordWritten(b, bounceId);
  }
  for (const { bounceIndex, ...ev } of outcome.evidence) {
    await p.recordEvidence(ev, bounceIndex === null ? null : (bounceIds[bounceIndex] ?? null));
  }
  for (const u of outcome.unsubscribes ?? []) await p.unsubscribe(u, 'mailto');
  return bounceIds;
}

/** Settles batches of messages, each in one transaction (the processor's store side). */
export class Settler {
  constructor(
    private readonly store: Store,
    private readonly rules: PolicyRules,
  ) {}

  /**
   * One transaction whose commit need not wait for the disk: settling is derived state. A
   * power cut may undo it, leaving the messages `received` (processed again, idempotently);
   * the next durable commit (the next message received) syncs it along.
   */
  settle(items: readonly SettleItem[], now: number): Promise<number[]> {
    return this.rules.transaction(this.store, now, (p) => settleMessages(p, items), { durable: false });
  }
}

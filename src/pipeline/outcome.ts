// What the pipeline decides for one stored message (decide.ts, in the parse worker), and what
// the settle step (settle.ts) writes for it in one transaction.
import type { BounceInput, ClaimedMessage, Evidence, Settlement } from '../store/contract.js';
import type { VerpFields } from '../verp/index.js';

/** A stored message as the pipeline reads it: its metadata and the head of its bytes. */
export type PendingMessage = ClaimedMessage;

/**
 * What processing made of a message: its settlement (written once, from `received`) and, when
 * processed, the records, evidence and opt-outs the settle step writes with it.
 */
export type MessageOutcome =
  | (Extract<Settlement, { state: 'processed' }> & {
      /** One per recipient of a recorded kind (bounce, delay, complaint). */
      bounces: BounceInput[];
      /** Delivery evidence from this report; `bounceIndex` links it to its bounce record. */
      evidence: Array<Evidence & { bounceIndex: number | null }>;
      /** Signed List-Unsubscribe mailto: tokens this message was sent to (account policy). */
      unsubscribes?: VerpFields[];
    })
  | Exclude<Settlement, { state: 'processed' }>;

/** How the store settles a message with this outcome. */
export function settlementOf(o: MessageOutcome): Settlement {
  switch (o.state) {
    case 'processed':
      return { state: 'processed', kind: o.kind, detector: o.detector, reportMessageId: o.reportMessageId, duplicateKey: o.duplicateKey ?? null, warning: o.warning ?? null };
    case 'unparseable':
      return { state: 'unparseable', error: o.error };
    case 'duplicate':
      return { state: 'duplicate', duplicateOf: o.duplicateOf, kind: o.kind, reportMessageId: o.reportMessageId };
  }
}

// What the pipeline decides for one stored message (decide.ts, in the parse worker), and what
// the settle step (settle.ts) writes for it in one transaction.
import type { ReportKind } from '../domain/index.js';
import type { BounceInput, ClaimedMessage, Evidence, Settlement } from '../store/contract.js';
import type { VerpFields } from '../verp/index.js';

/** A stored message as the pipeline reads it: its metadata and the head of its bytes. */
export type PendingMessage = ClaimedMessage;

export type MessageOutcome =
  | {
      state: 'processed';
      kind: ReportKind;
      detector: string;
      reportMessageId: string | null;
      /**
       * What makes a later message a duplicate of this one besides equal bytes: the report
       * Message-ID within its verified token (null for unverified mail, which anyone can send).
       */
      duplicateKey?: string | null;
      /** One per recipient of a recorded kind (bounce, delay, complaint). */
      bounces: BounceInput[];
      /** Delivery evidence from this report; `bounceIndex` links it to its bounce record. */
      evidence: Array<Evidence & { bounceIndex: number | null }>;
      /** Signed List-Unsubscribe mailto: tokens this message was sent to (account policy). */
      unsubscribes?: VerpFields[];
      /** What was cut from the output (bounds.ts), stored on the message. */
      warning?: string | null;
    }
  | { state: 'unparseable'; error: string }
  /** A report already seen (same bytes, or same report Message-ID and verified token): no records of its own. */
  | { state: 'duplicate'; duplicateOf: number; kind: ReportKind; reportMessageId: string | null };

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

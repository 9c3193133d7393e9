import type { Config } from '../config/schema.js';
import type { Processor } from '../pipeline/processor.js';
import type { Store } from '../store/types.js';
import type { Job } from './index.js';

/** Pending deliveries whose window has run out at `now` become soft bounces. Returns how many. */
export function expirePending(store: Store, windowMs: number, now: number): number {
  let total = 0;
  for (;;) {
    const due = store.lifecycle.duePending(now - windowMs);
    if (!due.length) return total;
    store.atomically(() => {
      for (const d of due) {
        store.lifecycle.applyEvidence(
          {
            accountId: d.accountId,
            messageId: d.messageId,
            recipient: d.recipient,
            at: now,
            source: 'window',
            state: 'soft',
            // What kept it from being delivered is still the best reason we have.
            status: d.status,
            reason: d.reason ?? 'expired',
            category: d.category ?? 'temporary',
            diagnostic: d.diagnostic,
            qid: null,
            dedupKey: `window:${d.id}`,
            countsAsSend: false,
          },
          null,
          now,
        );
      }
    });
    total += due.length;
  }
}

export const QUEUE_ID_MEMORY_MS = 7 * 86_400_000;

export function standardJobs(config: Config, store: Store, processor: Processor): Job[] {
  const windowMs = config.lifecycle.pendingWindowHours * 3_600_000;
  return [
    // The processor is woken by every commit; this catches what a fault left behind.
    { name: 'process-spool', cadenceMs: 60_000, run: () => processor.drain() },
    { name: 'expire-pending', cadenceMs: 5 * 60_000, run: (now) => void expirePending(store, windowMs, now) },
    // Postfix reuses short queue ids: forget them once no status line can still come.
    { name: 'prune-queue-ids', cadenceMs: 3_600_000, run: (now) => void store.lifecycle.pruneQueue(now - QUEUE_ID_MEMORY_MS) },
  ];
}

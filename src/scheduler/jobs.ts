import type { Config } from '../config/schema.js';
import type { Store } from '../store/types.js';
import type { Job } from './index.js';
import type { Logger } from '../log.js';
import { sendDueNotifications } from '../policy/notify.js';
import type { SqlitePolicyService } from '../policy/service.js';

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

export function standardJobs(config: Config, store: Store, processor: { drain(): Promise<void> }, webhooks?: { run(now: number): Promise<unknown> }): Job[] {
  const windowMs = config.lifecycle.pendingWindowHours * 3_600_000;
  return [
    // The processor is woken by every commit; this catches what a fault left behind.
    { name: 'process-spool', cadenceMs: 60_000, run: () => processor.drain() },
    { name: 'expire-pending', cadenceMs: 5 * 60_000, run: (now) => void expirePending(store, windowMs, now) },
    // Postfix reuses short queue ids: forget them once no status line can still come.
    { name: 'prune-queue-ids', cadenceMs: 3_600_000, run: (now) => void store.lifecycle.pruneQueue(now - QUEUE_ID_MEMORY_MS) },
    // Fans new events out to webhook endpoints and sends what is due (retries included);
    // commits also kick the dispatcher at once, this catches the rest.
    ...(webhooks ? [{ name: 'deliver-webhooks', cadenceMs: 10_000, run: (now: number) => webhooks.run(now).then(() => undefined) }] : []),
  ];
}

/** The account policy's jobs (appended to standardJobs by the daemon and `bounced tick`). */
export function policyJobs(config: Config, policy: SqlitePolicyService, log?: Logger): Job[] {
  return [
    // Sends counted after the bounces (bounced sends add, POST /v1/sends) can change a rate.
    { name: 'evaluate-policy', cadenceMs: 5 * 60_000, run: (now) => void policy.evaluateAll(now) },
    // The notifications outbox (warnings, suspensions, appeals) to the configured relay.
    { name: 'send-notifications', cadenceMs: 60_000, run: (now) => sendDueNotifications(policy.repo, config, now, log).then(() => undefined) },
  ];
}

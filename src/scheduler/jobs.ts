import type { Config } from '../config/schema.js';
import { spoolDirOf } from '../spool/dir.js';
import { orphanAgeMs, sweepSpool } from '../spool/sweep.js';
import { HOUR_MS, RULES_ACTOR } from '../domain/index.js';
import type { Logger } from '../log.js';
import type { PolicyRules } from '../policy/apply.js';
import { sendDueNotifications } from '../policy/notify.js';
import type { PolicyService } from '../policy/service.js';
import type { Store } from '../store/contract.js';
import type { Job } from './index.js';

/** Deliveries expired per transaction. */
const EXPIRE_BATCH = 1000;

/**
 * Pending deliveries whose window has run out at `now` become soft bounces, through the same
 * policy step as any other evidence (failures, the month). Returns how many.
 */
export async function expirePending(store: Store, rules: PolicyRules, windowMs: number, now: number): Promise<number> {
  let total = 0;
  for (;;) {
    const due = await store.deliveries.duePending(now - windowMs, EXPIRE_BATCH);
    if (!due.length) return total;
    await rules.transaction(store, now, async (p) => {
      for (const d of due) {
        await p.recordEvidence(
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
        );
      }
    });
    total += due.length;
  }
}

export const QUEUE_ID_MEMORY_MS = 7 * 24 * HOUR_MS;

/**
 * Lifts the soft_bounce_limit suppressions whose account's suppressDays have passed (issue
 * #19 §2), each audited in the transaction that lifts it. Returns how many.
 */
export async function expireSoftLimits(store: Store, now: number): Promise<number> {
  let total = 0;
  for (;;) {
    const lifted = await store.transaction(async (tx) => {
      const rows = await tx.suppressions.expireSoftLimits(now, EXPIRE_BATCH);
      for (const r of rows) await tx.audit.add({ at: now, actor: RULES_ACTOR, accountId: r.accountId, action: 'suppression.unbounce', subject: r.address, detail: { reason: 'soft_bounce_limit', expired: true } });
      return rows.length;
    });
    total += lifted;
    if (lifted < EXPIRE_BATCH) return total;
  }
}

/** Messages whose bytes are dropped per unit (a short write: intake commits go between). */
const PRUNE_BATCH = 200;

/**
 * Retention (config retention.rawDays): drops the bytes of settled messages received more
 * than `days` days before `now`, in short units, oldest first; records stay. Returns how many.
 */
export async function pruneRawMessages(store: Store, days: number, now: number): Promise<number> {
  if (!(days > 0)) return 0;
  const before = now - days * 24 * HOUR_MS;
  let total = 0;
  for (;;) {
    const n = await store.messages.pruneRaw(before, PRUNE_BATCH);
    total += n;
    if (n < PRUNE_BATCH) return total;
  }
}

export function standardJobs(
  config: Config,
  p: { store: Store; rules: PolicyRules },
  processor: { drain(): Promise<void> },
  webhooks?: { run(now: number): Promise<unknown> },
): Job[] {
  const windowMs = config.lifecycle.pendingWindowHours * HOUR_MS;
  return [
    // The processor is woken by every commit; this catches what a fault left behind.
    { name: 'process-spool', cadenceMs: 60_000, run: () => processor.drain() },
    { name: 'expire-pending', cadenceMs: 5 * 60_000, run: (now) => expirePending(p.store, p.rules, windowMs, now).then(() => undefined) },
    // Postfix reuses short queue ids: forget them once no status line can still come.
    // A soft-bounce limit suppresses for a time (the pre-send check sees it until this runs).
    { name: 'expire-soft-limits', cadenceMs: 60_000, run: (now) => expireSoftLimits(p.store, now).then(() => undefined) },
    { name: 'prune-queue-ids', cadenceMs: 3_600_000, run: (now) => p.store.tail.pruneQueue(now - QUEUE_ID_MEMORY_MS).then(() => undefined) },
    // Retention: the raw bytes of old settled messages (records stay).
    ...(config.retention.rawDays > 0
      ? [{ name: 'prune-raw', cadenceMs: 3_600_000, run: (now: number) => pruneRawMessages(p.store, config.retention.rawDays, now).then(() => undefined) }]
      : []),
    // Spool files that no row names (a crash between a file's fsync and its commit, a failed
    // commit): removed once older than any session could be (src/spool/sweep.ts).
    ...(spoolDirOf(config) !== null
      ? [{ name: 'sweep-spool', cadenceMs: 3_600_000, run: (now: number) => sweepSpool(p.store.messages, spoolDirOf(config)!, now - orphanAgeMs(config)).then(() => undefined) }]
      : []),
    // Fans new events out to webhook endpoints and sends what is due (retries included);
    // commits also kick the dispatcher at once, this catches the rest.
    ...(webhooks ? [{ name: 'deliver-webhooks', cadenceMs: 10_000, run: (now: number) => webhooks.run(now).then(() => undefined) }] : []),
  ];
}

/** The account policy's jobs (appended to standardJobs by the daemon and `bounced tick`). */
export function policyJobs(config: Config, policy: PolicyService, store: Store, log?: Logger): Job[] {
  return [
    // Sends counted after the bounces (bounced sends add, POST /v1/sends) can change a rate.
    { name: 'evaluate-policy', cadenceMs: 5 * 60_000, run: (now) => policy.evaluateAll(now).then(() => undefined) },
    // The notifications outbox (warnings, suspensions, appeals) to the configured relay.
    { name: 'send-notifications', cadenceMs: 60_000, run: (now) => sendDueNotifications(store.notifications, config, now, log).then(() => undefined) },
  ];
}

// The daemon's wiring of connected inboxes: the scheduler's job, the metrics, the readiness
// note. Labels come from fixed vocabularies (methods, skip reasons, error codes): never an
// inbox id, an address or an account (per-inbox figures are in the API and `inboxes list`).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReadinessCheck } from '../api/app.js';
import type { Job } from '../scheduler/index.js';
import type { Store } from '../store/contract.js';
import type { InboxService } from './service.js';
import { DETECTION_METHODS, SKIP_REASONS, type InboxCounters, type InboxStatus } from './types.js';
import type { SyncOutcome } from './watcher.js';

/** How often the scheduler looks for inboxes due (each has its own interval, inboxes.pollIntervalSeconds). */
export const INBOX_SYNC_CADENCE_MS = 15_000;

/** The inbox-sync job (only where inboxes are configured): starts due syncs and returns. */
export function inboxJob(service: InboxService): Job[] {
  if (!service.configured) return [];
  return [{ name: 'inbox-sync', cadenceMs: INBOX_SYNC_CADENCE_MS, run: (now) => service.kick(now).then(() => undefined) }];
}

/** Most inboxes named in /readyz. */
const READY_LIST_MAX = 50;

/**
 * /readyz's note on inboxes: those in `error` with their code. Always ok: a wrong password
 * in one mailbox is that inbox's state (and its owner's to fix), not the daemon's.
 */
export async function inboxReadiness(store: Pick<Store, 'inboxes'>): Promise<ReadinessCheck> {
  const failing = (await store.inboxes.list()).filter((i) => i.enabled && i.status.state === 'error');
  return {
    ok: true,
    ...(failing.length
      ? { detail: { inError: failing.length, inboxes: failing.slice(0, READY_LIST_MAX).map((i) => ({ id: i.id, accountId: i.accountId, code: i.status.errorCode, since: i.status.errorAt })) } }
      : {}),
  };
}

export class InboxMetrics {
  private readonly syncs: Counter<'result'>;
  private readonly scanned: Counter;
  private readonly sentIndexed: Counter;
  private readonly bounces: Counter<'method'>;
  private readonly skipped: Counter<'reason'>;
  private readonly duplicates: Counter;
  private readonly errors: Counter<'code'>;

  constructor(registry: Registry, store: Pick<Store, 'inboxes'>, now: () => number = Date.now) {
    const registers = [registry];
    this.syncs = new Counter({ name: 'bounced_inbox_syncs_total', help: 'Inbox syncs by result (ok, error)', labelNames: ['result'] as const, registers });
    this.scanned = new Counter({ name: 'bounced_inbox_messages_scanned_total', help: 'Inbox messages fetched and read', registers });
    this.sentIndexed = new Counter({ name: 'bounced_inbox_sent_indexed_total', help: 'Sent-folder messages added to the sent index', registers });
    this.bounces = new Counter({ name: 'bounced_inbox_bounces_total', help: 'Bounces found and recorded, by detection method', labelNames: ['method'] as const, registers });
    this.skipped = new Counter({ name: 'bounced_inbox_skipped_total', help: 'Inbox messages not taken for a bounce, by reason', labelNames: ['reason'] as const, registers });
    this.duplicates = new Counter({ name: 'bounced_inbox_duplicates_total', help: 'Bounces found again (restart, UIDVALIDITY change) and not recorded twice', registers });
    this.errors = new Counter({ name: 'bounced_inbox_errors_total', help: 'Failed inbox syncs by error code', labelNames: ['code'] as const, registers });
    for (const m of DETECTION_METHODS) this.bounces.inc({ method: m }, 0);
    for (const r of SKIP_REASONS) this.skipped.inc({ reason: r }, 0);
    new Gauge({
      name: 'bounced_inboxes',
      help: 'Connected inboxes by the state of their last sync (new, ok, error)',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        const by = { new: 0, ok: 0, error: 0 };
        for (const i of await store.inboxes.list()) if (i.enabled) by[i.status.state]++;
        for (const [state, n] of Object.entries(by)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'bounced_inbox_lag_seconds',
      help: 'The longest time since an enabled inbox was last synced successfully (since it was added, if never)',
      registers,
      async collect() {
        const t = now();
        let lag = 0;
        for (const i of await store.inboxes.list()) if (i.enabled) lag = Math.max(lag, (t - (i.status.lastSyncAt ?? i.createdAt)) / 1000);
        this.set(lag);
      },
    });
    new Gauge({
      name: 'bounced_inbox_pending_messages',
      help: 'INBOX messages (UIDs) left for the next syncs, over all inboxes (a sync reads at most inboxes.maxMessagesPerSync)',
      registers,
      async collect() {
        let n = 0;
        for (const i of await store.inboxes.list()) n += Number((i.status.counters as { pendingUids?: number } | null)?.pendingUids ?? 0);
        this.set(n);
      },
    });
  }

  /** InboxService's onSynced: what the sync added to the watcher's counters. */
  readonly synced = (before: InboxStatus | null, after: InboxStatus, outcome: SyncOutcome): void => {
    const b: InboxCounters | null = before?.counters ?? null;
    const a = after.counters;
    this.syncs.inc({ result: outcome.ok ? 'ok' : 'error' });
    if (!outcome.ok) this.errors.inc({ code: outcome.error.code });
    this.scanned.inc(a.scanned - (b?.scanned ?? 0));
    this.sentIndexed.inc(a.sentIndexed - (b?.sentIndexed ?? 0));
    this.duplicates.inc(a.duplicates - (b?.duplicates ?? 0));
    for (const m of DETECTION_METHODS) this.bounces.inc({ method: m }, a.bounces[m] - (b?.bounces[m] ?? 0));
    for (const r of SKIP_REASONS) this.skipped.inc({ reason: r }, a.skipped[r] - (b?.skipped[r] ?? 0));
  };
}

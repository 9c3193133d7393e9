// The daemon's wiring of connected inboxes: the metrics and the readiness note (the watching
// itself is InboxService.start()).
//
// Metric labels: the per-inbox figures the issue asks for (messages scanned, bounces by
// method, errors, syncs, up) carry the inbox's id, an opaque `ibx_<uuid>`: never its user,
// host or account, which may name a person and grow without bound. The label set is bounded
// by the registered inboxes: a removed inbox's series go at the next reconcile (`keepOnly`).
// The other labels come from fixed vocabularies (methods, skip reasons, error codes).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReadinessCheck } from '../api/context.js';
import type { Store } from '../store/contract.js';
import { DETECTION_METHODS, SKIP_REASONS, type InboxCounters, type InboxStatus } from './types.js';
import type { SyncOutcome } from './watcher.js';

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
  private readonly syncs: Counter<'inbox' | 'result'>;
  private readonly scanned: Counter<'inbox'>;
  private readonly sentIndexed: Counter<'inbox'>;
  private readonly bounces: Counter<'inbox' | 'method'>;
  private readonly skipped: Counter<'reason'>;
  private readonly duplicates: Counter;
  private readonly errors: Counter<'inbox' | 'code'>;
  /** Inbox ids with series now (removed with the inbox). */
  private readonly known = new Set<string>();

  constructor(registry: Registry, store: Pick<Store, 'inboxes'>, now: () => number = Date.now, connections?: () => number) {
    const registers = [registry];
    this.syncs = new Counter({ name: 'bounced_inbox_syncs_total', help: 'Inbox syncs by inbox id and result (ok, error)', labelNames: ['inbox', 'result'] as const, registers });
    this.scanned = new Counter({ name: 'bounced_inbox_messages_scanned_total', help: 'Inbox messages fetched and read, by inbox id', labelNames: ['inbox'] as const, registers });
    this.sentIndexed = new Counter({ name: 'bounced_inbox_sent_indexed_total', help: 'Sent-folder messages added to the sent index, by inbox id', labelNames: ['inbox'] as const, registers });
    this.bounces = new Counter({ name: 'bounced_inbox_bounces_total', help: 'Bounces found and recorded, by inbox id and detection method', labelNames: ['inbox', 'method'] as const, registers });
    this.skipped = new Counter({ name: 'bounced_inbox_skipped_total', help: 'Inbox messages not taken for a bounce, by reason (all inboxes)', labelNames: ['reason'] as const, registers });
    this.duplicates = new Counter({ name: 'bounced_inbox_duplicates_total', help: 'Bounces found again (restart, UIDVALIDITY change) and not recorded twice', registers });
    this.errors = new Counter({ name: 'bounced_inbox_errors_total', help: 'Failed inbox syncs and connection attempts, by inbox id and error code', labelNames: ['inbox', 'code'] as const, registers });
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
      name: 'bounced_inbox_up',
      help: 'Per enabled inbox id: 1 when its last sync succeeded (or none was tried yet), 0 while it is in error',
      labelNames: ['inbox'] as const,
      registers,
      async collect() {
        this.reset();
        for (const i of await store.inboxes.list()) if (i.enabled) this.set({ inbox: i.id }, i.status.state === 'error' ? 0 : 1);
      },
    });
    if (connections) {
      new Gauge({
        name: 'bounced_inbox_connections',
        help: 'IMAP connections this node holds or is opening (watched inboxes, syncs in turn); at most inboxes.maxConnections',
        registers,
        collect() {
          this.set(connections());
        },
      });
    }
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

  /** The series of an inbox seen for the first time, at 0 (so rate() sees its first bounce). */
  private see(inbox: string): void {
    if (this.known.has(inbox)) return;
    this.known.add(inbox);
    this.scanned.inc({ inbox }, 0);
    this.sentIndexed.inc({ inbox }, 0);
    for (const method of DETECTION_METHODS) this.bounces.inc({ inbox, method }, 0);
  }

  /** InboxService's onInboxes: drops the series of inboxes no longer registered. */
  readonly keepOnly = async (ids: ReadonlySet<string>): Promise<void> => {
    const gone = [...this.known].filter((inbox) => !ids.has(inbox));
    if (!gone.length) return;
    for (const inbox of gone) this.known.delete(inbox);
    // remove() takes a series' whole label set: each series of those inboxes, whatever its other labels
    for (const m of [this.syncs, this.scanned, this.sentIndexed, this.bounces, this.errors] as Counter<string>[]) {
      for (const v of (await m.get()).values) if (typeof v.labels.inbox === 'string' && gone.includes(v.labels.inbox)) m.remove(v.labels as Record<string, string>);
    }
  };

  /** InboxService's onSynced: what the sync added to the watcher's counters. */
  readonly synced = (before: InboxStatus | null, after: InboxStatus, outcome: SyncOutcome): void => {
    const inbox = after.inboxId;
    this.see(inbox);
    const b: InboxCounters | null = before?.counters ?? null;
    const a = after.counters;
    this.syncs.inc({ inbox, result: outcome.ok ? 'ok' : 'error' });
    if (!outcome.ok) this.errors.inc({ inbox, code: outcome.error.code });
    this.scanned.inc({ inbox }, a.scanned - (b?.scanned ?? 0));
    this.sentIndexed.inc({ inbox }, a.sentIndexed - (b?.sentIndexed ?? 0));
    this.duplicates.inc(a.duplicates - (b?.duplicates ?? 0));
    for (const m of DETECTION_METHODS) this.bounces.inc({ inbox, method: m }, a.bounces[m] - (b?.bounces[m] ?? 0));
    for (const r of SKIP_REASONS) this.skipped.inc({ reason: r }, a.skipped[r] - (b?.skipped[r] ?? 0));
  };
}

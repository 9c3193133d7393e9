import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { repeated } from '../log-repeat.js';
import { checkDestination, guardedFetch, REFUSED_CODE } from './destination.js';
import type { DueDelivery, NodeId, WebhookRepo } from '../store/contract.js';
import { signedHeaders } from './sign.js';

// Webhook delivery from the events outbox. Events are written in the transaction of the
// change they report (events.add); this dispatcher fans each new event out to its account's
// endpoints (one `webhook_deliveries` row per event and endpoint, a unique key) and POSTs the
// due ones, each claimed for this node while it is attempted (webhooks.claimDue). A 2xx marks a delivery done; anything
// else is retried with exponential backoff until `retryForMs` after the event (72 h by
// default, never less than 24 h), so a receiver that is down for a day loses nothing.
// Delivery is at least once: a crash between the receiver's 2xx and our commit sends that
// one again, with the same `webhook-id`, which receivers de-duplicate on.

export const MIN_RETRY_MS = 24 * 3_600_000;
export const FIRST_RETRY_MS = 30_000;
export const MAX_RETRY_GAP_MS = 3 * 3_600_000;
export const KICK_INTERVAL_MS = 100;

/** Wait after the n-th failed attempt (n >= 1): 30 s, 1 min, 2 min, ... capped at 3 h. */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_GAP_MS);
}

export type AttemptResult = 'delivered' | 'failed' | 'gave_up';

/** How long a claimed delivery is this node's: longer than a pass's attempts of it take. */
export const CLAIM_LEASE_MS = 5 * 60_000;

export interface DispatcherOptions {
  webhooks: WebhookRepo;
  /** This node (claims). */
  node: NodeId;
  log: Logger;
  now?: () => number;
  /** How long after an event its delivery is still tried (>= 24 h). */
  retryForMs?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  timeoutMs?: number;
  /** Called after every attempt (metrics). */
  onAttempt?: (result: AttemptResult, seconds: number) => void;
  fetch?: typeof fetch;
  /** Refuses a destination before any request (null: allowed). See ./destination.ts. */
  checkDestination?: (url: string) => Promise<string | null>;
}

export class WebhookDispatcher {
  /** Passes run one after another (a scheduled pass and a kick never send the same delivery twice). */
  private chain: Promise<unknown> = Promise.resolve();
  private kickQueued = false;
  private kickTimer: NodeJS.Timeout | null = null;
  private lastKickAt = -Infinity;
  private stopped = false;
  private readonly retryForMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: DispatcherOptions) {
    this.retryForMs = Math.max(opts.retryForMs ?? 3 * MIN_RETRY_MS, MIN_RETRY_MS);
    this.now = opts.now ?? Date.now;
  }

  /**
   * Asks for a pass soon (after a commit that may have written events); coalesces. Under a
   * bounce storm every settled batch kicks, and a pass runs on the SMTP thread: kicked passes
   * start at most one per KICK_INTERVAL_MS, so an event waits at most that long.
   */
  kick(): void {
    if (this.stopped || this.kickQueued) return;
    this.kickQueued = true;
    const run = () => {
      this.kickTimer = null;
      this.lastKickAt = performance.now();
      this.enqueue(() => {
        this.kickQueued = false;
        return this.now();
      }).catch((err) => repeated.log(this.opts.log, 'error', { evt: 'WEBHOOK_DISPATCH_FAILED', err }, 'webhook dispatch failed'));
    };
    const wait = this.lastKickAt + KICK_INTERVAL_MS - performance.now();
    if (wait <= 0) run();
    else {
      this.kickTimer = setTimeout(run, wait);
      this.kickTimer.unref();
    }
  }

  /** Fans out new events and attempts every delivery due at `now` once (the scheduler job). */
  run(now: number): Promise<{ fannedOut: number; attempted: number; delivered: number }> {
    return this.enqueue(() => now);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.kickTimer) clearTimeout(this.kickTimer);
    await this.chain;
  }

  private enqueue(at: () => number): Promise<{ fannedOut: number; attempted: number; delivered: number }> {
    const pass = this.chain.then(() => this.pass(at()));
    this.chain = pass.catch(() => undefined);
    return pass;
  }

  private async pass(now: number): Promise<{ fannedOut: number; attempted: number; delivered: number }> {
    if (this.stopped) return { fannedOut: 0, attempted: 0, delivered: 0 };
    const fannedOut = await this.opts.webhooks.fanOut(now);
    let attempted = 0;
    let delivered = 0;
    const concurrency = this.opts.concurrency ?? 8;
    // An endpoint that did not answer at all (refused, timed out) is not tried again in this
    // pass: its other deliveries wait FIRST_RETRY_MS uncounted, so one dead receiver with a
    // backlog does not spend the pass on time-outs while other receivers wait.
    const unreachable = new Set<string>();
    // Every attempt moves its delivery past `now` (or settles it), so this loop ends.
    for (;;) {
      if (this.stopped) break;
      const due = await this.opts.webhooks.claimDue(this.opts.node, now, 100, CLAIM_LEASE_MS);
      if (!due.length) break;
      for (let i = 0; i < due.length; i += concurrency) {
        const batch: DueDelivery[] = [];
        for (const d of due.slice(i, i + concurrency)) {
          // Stopping, or its endpoint did not answer: it waits, uncounted (and unclaimed).
          if (this.stopped) await this.opts.webhooks.postpone(d.id, now);
          else if (unreachable.has(d.endpointId)) await this.opts.webhooks.postpone(d.id, now + FIRST_RETRY_MS);
          else batch.push(d);
        }
        const results = await Promise.all(batch.map((d) => this.attempt(d, now)));
        attempted += results.length;
        results.forEach((r, k) => {
          if (r.result === 'delivered') delivered++;
          else if (r.status === null) unreachable.add(batch[k]!.endpointId);
        });
      }
    }
    return { fannedOut, attempted, delivered };
  }

  /** The body of an event: the same bytes on every attempt. */
  static body(d: Pick<DueDelivery, 'eventId' | 'eventType' | 'eventCreatedAt' | 'payload'>): string {
    return `{"id":${JSON.stringify(d.eventId)},"type":${JSON.stringify(d.eventType)},"timestamp":${JSON.stringify(new Date(d.eventCreatedAt).toISOString())},"data":${d.payload}}`;
  }

  private async attempt(d: DueDelivery, now: number): Promise<{ result: AttemptResult; status: number | null }> {
    const body = WebhookDispatcher.body(d);
    const headers = signedHeaders(d.secret, d.eventId, Math.floor(now / 1000), body);
    const t0 = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    let refused = false;
    try {
      const refusal = this.opts.checkDestination ? await this.opts.checkDestination(d.url) : null;
      if (refusal) throw Object.assign(new Error(refusal), { code: REFUSED_CODE });
      const res = await (this.opts.fetch ?? fetch)(d.url, {
        method: 'POST',
        headers: { ...headers, 'user-agent': 'bounced-webhooks/1' },
        body,
        // A redirect is an answer we do not follow (it could point anywhere).
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
      });
      status = res.status;
      await res.body?.cancel().catch(() => {});
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (err) {
      const cause = (err as Error)?.cause as NodeJS.ErrnoException | undefined;
      refused = (err as NodeJS.ErrnoException)?.code === REFUSED_CODE || cause?.code === REFUSED_CODE;
      error = cause?.message ?? (err as Error)?.message ?? String(err);
    }
    const seconds = (performance.now() - t0) / 1000;
    const attempts = d.attempts + 1;
    let result: AttemptResult;
    let outcome: { deliveredAt: number | null; nextAttemptAt: number | null; failedAt: number | null };
    if (error === null) {
      result = 'delivered';
      outcome = { deliveredAt: now, nextAttemptAt: null, failedAt: null };
    } else {
      const next = now + retryDelayMs(attempts);
      if (next > d.createdAt + this.retryForMs) {
        result = 'gave_up';
        outcome = { deliveredAt: null, nextAttemptAt: null, failedAt: now };
      } else {
        result = 'failed';
        outcome = { deliveredAt: null, nextAttemptAt: next, failedAt: null };
      }
    }
    await this.opts.webhooks.recordAttempt(d.id, { at: now, status, error, durationMs: Math.round(seconds * 1000) }, outcome);
    this.opts.onAttempt?.(result, seconds);
    // The endpoint's URL may carry a token in its query: log the delivery, not the URL. A
    // failure is an operator's business (a receiver down, a destination refused): warn.
    const fields = { delivery: d.id, endpoint: d.endpointId, eventId: d.eventId, attempts, status, error };
    if (result === 'gave_up') {
      this.opts.log.warn({ evt: 'WEBHOOK_GAVE_UP', ...fields, refused }, 'webhook delivery given up');
    } else if (refused) {
      this.opts.log.warn({ evt: 'WEBHOOK_DESTINATION_REFUSED', ...fields }, 'webhook destination is not a public address; not sent');
    } else if (error !== null) {
      this.opts.log.warn({ evt: 'WEBHOOK_ATTEMPT_FAILED', ...fields }, 'webhook attempt failed; will retry');
    } else {
      this.opts.log.debug({ evt: 'WEBHOOK_ATTEMPT', ...fields }, 'webhook delivered');
    }
    return { result, status };
  }
}

/** The dispatcher as the daemon and `bounced tick` run it: the configured destination rule. */
export function configuredDispatcher(
  config: Pick<Config, 'http'>,
  p: { webhooks: WebhookRepo; node: NodeId },
  log: Logger,
  onAttempt?: DispatcherOptions['onAttempt'],
): WebhookDispatcher {
  return new WebhookDispatcher({
    webhooks: p.webhooks,
    node: p.node,
    log,
    onAttempt,
    ...(config.http.webhookAllowPrivateDestinations ? {} : { checkDestination, fetch: guardedFetch }),
  });
}

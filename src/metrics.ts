import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TailStats } from './logtail/tailer.js';
import type { SettledSummary } from './pipeline/processor.js';

// One registry per daemon (never prom-client's global one, so tests can build several).
// Names follow bounced_<noun>_<unit|total>. Labels take values from small fixed sets
// (states, kinds, types, Sisimai reasons, job names): never an address, account or key.

export type ListenerEvent =
  | 'accepted' | 'rejected_rcpt' | 'rejected_size' | 'rejected_client_limit' | 'rejected_idle_commands'
  | 'rejected_budget' | 'store_failed';

export class Metrics {
  readonly registry = new Registry();

  readonly smtpReceived = new Counter({
    name: 'bounced_smtp_messages_received_total',
    help: 'Messages accepted over SMTP (stored before the 250)',
    registers: [this.registry],
  });
  readonly smtpRejected = new Counter({
    name: 'bounced_smtp_rejected_total',
    help: 'SMTP refusals by cause (rcpt: not a bounce domain; size: over the limit; budget: 452 4.3.1, smtp.maxBytesInFlight reached; store_failed: 451)',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  readonly messagesProcessed = new Counter({
    name: 'bounced_messages_processed_total',
    help: 'Stored messages settled by the pipeline, by state and report kind',
    labelNames: ['state', 'kind'] as const,
    registers: [this.registry],
  });
  readonly bounces = new Counter({
    name: 'bounced_bounces_total',
    help: 'Bounce records written, by type and reason',
    labelNames: ['type', 'reason'] as const,
    registers: [this.registry],
  });
  readonly logLines = new Counter({
    name: 'bounced_log_lines_total',
    help: 'Postfix log lines read by the tailer, by outcome (matched, duplicate, unmatched, foreign, ignored, unsupported)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'bounced_job_duration_seconds',
    help: 'Scheduler job run time',
    labelNames: ['job', 'result'] as const,
    buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'bounced_webhook_deliveries_total',
    help: 'Webhook delivery attempts by result (delivered, failed: retried later, gave_up)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly webhookDuration = new Histogram({
    name: 'bounced_webhook_request_seconds',
    help: 'Webhook request time, receiver answer included',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  readonly parseAbandoned = new Counter({
    name: 'bounced_parse_abandoned_total',
    help: 'Parses abandoned and their parse worker replaced, by cause (budget: past pipeline.parseBudgetMs; crash: the worker died)',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  readonly messageProcessing = new Histogram({
    name: 'bounced_message_processing_seconds',
    help: 'Parse and decision time of one stored message (its turn in the parse worker), by outcome state',
    labelNames: ['state'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly smtpData = new Histogram({
    name: 'bounced_smtp_data_seconds',
    help: 'SMTP DATA transaction time, from its first byte to the final reply (the message stored before a 250), by result',
    labelNames: ['result'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'bounced_http_request_duration_seconds',
    help: 'HTTP API request time until the answer is sent, by route pattern (never the URL), method and status class',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly httpRateLimited = new Counter({
    name: 'bounced_http_rate_limited_total',
    help: 'API requests refused with 429',
    registers: [this.registry],
  });

  // -- Sending providers' events (issue #19, src/api/routes/esp.ts). Labels: provider, code,
  // kind, result: small fixed sets (never an endpoint, account or address).
  readonly espRequests = new Counter({
    name: 'bounced_esp_requests_total',
    help: 'Provider event requests (SES/SNS, SendGrid, Mailgun, Postmark) by provider and result (accepted, refused)',
    labelNames: ['provider', 'result'] as const,
    registers: [this.registry],
  });
  readonly espRefused = new Counter({
    name: 'bounced_esp_refused_total',
    help: 'Provider event requests refused, by provider and code (signature_invalid, replayed, auth_failed, ...; src/esp/types.ts)',
    labelNames: ['provider', 'code'] as const,
    registers: [this.registry],
  });
  readonly espEvents = new Counter({
    name: 'bounced_esp_events_total',
    help: 'Provider events recorded, by provider and kind (bounce, complaint, delivery, delay, unsubscribe)',
    labelNames: ['provider', 'kind'] as const,
    registers: [this.registry],
  });
  readonly espSkipped = new Counter({
    name: 'bounced_esp_skipped_total',
    help: 'Events of verified requests not recorded, by provider and code (unsupported_type, no_account, ...)',
    labelNames: ['provider', 'code'] as const,
    registers: [this.registry],
  });
  readonly espDuplicates = new Counter({
    name: 'bounced_esp_duplicates_total',
    help: 'Provider events already recorded (retries, replays, another node): nothing written',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  readonly espCertFetches = new Counter({
    name: 'bounced_esp_cert_fetches_total',
    help: 'SNS signing certificate fetches by result (ok, unavailable, invalid)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly espSubscriptions = new Counter({
    name: 'bounced_esp_subscriptions_total',
    help: 'SNS subscription confirmations by result (confirmed, failed, not_visited)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly espRequestSeconds = new Histogram({
    name: 'bounced_esp_request_seconds',
    help: 'Provider event request time: verification, mapping and recording',
    labelNames: ['provider'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  /**
   * `suppressions` answers the current number of suppressions (by scope) at scrape time;
   * `messages` the stored messages by state (the backlog is `received`: stored, not yet processed).
   */
  constructor(opts: { suppressions?: () => Promise<Record<string, number>>; messages?: () => Promise<Record<string, number>>; defaults?: boolean } = {}) {
    if (opts.messages) {
      const counts = opts.messages;
      new Gauge({
        name: 'bounced_messages_backlog',
        help: 'Stored messages not yet processed (received, waiting for the pipeline): should stay near 0',
        registers: [this.registry],
        async collect() {
          this.set((await counts()).received ?? 0);
        },
      });
    }
    if (opts.suppressions) {
      const count = opts.suppressions;
      new Gauge({
        name: 'bounced_suppressions',
        help: 'Suppressed addresses, by scope (account, global)',
        labelNames: ['scope'] as const,
        registers: [this.registry],
        async collect() {
          for (const [scope, n] of Object.entries(await count())) this.set({ scope }, n);
        },
      });
    }
    if (opts.defaults ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'bounced_' });
  }

  /** bounced_ready{check}: 1 while a readiness check passes (the same checks as /readyz), read at scrape time. */
  watchReadiness(readiness: () => Promise<Record<string, { ok: boolean }>>): void {
    new Gauge({
      name: 'bounced_ready',
      help: 'Readiness checks (database, smtp, tailer): 1 passing, 0 failing (GET /readyz says why)',
      labelNames: ['check'] as const,
      registers: [this.registry],
      async collect() {
        for (const [check, r] of Object.entries(await readiness())) this.set({ check }, r.ok ? 1 : 0);
      },
    });
  }

  /** bounced_tailer_failing{code}: 1 while the tailer cannot follow its log, labelled with the error code (EACCES, ...). */
  watchTailer(health: () => { ok: boolean; code?: string; state: string }): void {
    new Gauge({
      name: 'bounced_tailer_failing',
      help: 'The log tailer cannot follow its log (1), by error code (EACCES, EISDIR, NOT_A_FILE, SQLITE_BUSY, ...); it retries with back-off',
      labelNames: ['code'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const h = health();
        if (h.state === 'failing') this.set({ code: h.code ?? 'ERROR' }, 1);
      },
    });
  }

  readonly tailUnread = new Counter({
    name: 'bounced_log_unread_total',
    help: 'Parts of rotated logs that could not be read while catching up (not found, damaged compressed file): their lines are not recorded',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });

  /** Tailer hook (TailerOptions.onUnread). */
  readonly countTailUnread = (report: { file: string | null }): void => {
    this.tailUnread.inc({ cause: report.file === null ? 'not_found' : 'damaged' });
  };

  /** bounced_tailer_lag_bytes: bytes of the followed log not read yet (null: not known now, e.g. the file is gone). */
  watchTailerLag(lag: () => number | null): void {
    new Gauge({
      name: 'bounced_tailer_lag_bytes',
      help: 'Bytes of the followed Postfix log written but not yet read by the tailer (its size minus the read offset)',
      registers: [this.registry],
      collect() {
        const n = lag();
        if (n === null) this.reset();
        else this.set(n);
      },
    });
  }

  /** bounced_smtp_bytes_in_flight: message bytes held in memory by SMTP sessions now (bounded by smtp.maxBytesInFlight). */
  watchBytesInFlight(read: () => number): void {
    new Gauge({
      name: 'bounced_smtp_bytes_in_flight',
      help: 'Message bytes held in memory by SMTP sessions until stored (at most smtp.maxBytesInFlight)',
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** Listener hook (ListenerDeps.count). */
  readonly countListener = (event: ListenerEvent): void => {
    if (event === 'accepted') this.smtpReceived.inc();
    else this.smtpRejected.inc({ cause: event.replace('rejected_', '') });
  };

  /** Processor hook (ProcessorOptions.onSettled, through summarizeSettled). */
  readonly countSettled = (settled: SettledSummary[]): void => {
    for (const m of settled) {
      this.messagesProcessed.inc({ state: m.state, kind: m.kind });
      if (m.parseSeconds !== undefined) this.messageProcessing.observe({ state: m.state }, m.parseSeconds);
      for (const b of m.bounces) this.bounces.inc({ type: b.type, reason: b.reason });
    }
  };

  /** Parse host hook (ParseHostOptions.onAbandoned). */
  readonly countAbandoned = (cause: 'budget' | 'crash'): void => {
    this.parseAbandoned.inc({ cause });
  };

  /** Tailer hook (TailerOptions.onBatch). */
  readonly countTailBatch = (stats: TailStats): void => {
    for (const [outcome, n] of Object.entries(stats.outcomes)) if (n) this.logLines.inc({ outcome }, n);
    if (stats.unparsed) this.logLines.inc({ outcome: 'unsupported' }, stats.unparsed);
  };

  /** Scheduler hook. */
  readonly observeJob = (job: string, seconds: number, error: string | null): void => {
    this.jobDuration.observe({ job, result: error ? 'error' : 'ok' }, seconds);
  };

  /** Webhook dispatcher hook. */
  readonly countWebhook = (result: string, seconds: number): void => {
    this.webhookDeliveries.inc({ result });
    this.webhookDuration.observe(seconds);
  };

  /** HTTP hook (api/app.ts, on every response of a route). */
  readonly observeHttp = (route: string, method: string, status: number, seconds: number): void => {
    this.httpDuration.observe({ route, method, status: `${Math.floor(status / 100)}xx` }, seconds);
  };

  /** Listener hook (ListenerDeps.timeData). */
  readonly observeSmtpData = (result: 'accepted' | 'refused', seconds: number): void => {
    this.smtpData.observe({ result }, seconds);
  };
}

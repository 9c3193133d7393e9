import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ReadinessCheck } from './api/app.js';
import { Metrics } from './metrics.js';
import { configuredDispatcher } from './webhooks/dispatcher.js';
import { maskUrlPassword, redactConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import { Listener, type ListenerDeps } from './listener/index.js';
import { LogTailer } from './logtail/tailer.js';
import { Scheduler } from './scheduler/index.js';
import { policyJobs, standardJobs } from './scheduler/jobs.js';
import { buildPipeline } from './pipeline/build.js';
import { buildEsp } from './pipeline/esp-settle.js';
import { isPostgresUrl } from './store/connect.js';
import { spoolDirOf } from './spool/dir.js';
import { orphanAgeMs, sweepSpool } from './spool/sweep.js';
import { SpoolWriter } from './spool/writer.js';
import { Intake, commitsInFlight } from './pipeline/intake.js';
import { ParseHost, parseHostOptions } from './pipeline/parse-host.js';
import { summarizeSettled, type SettledSummary } from './pipeline/processor.js';
import { IntakeThread, ProcessingThread } from './pipeline/remote.js';
import type { Store } from './store/contract.js';
import { DB_FILE } from './store/sqlite/open.js';
import { WriteTurn } from './store/sqlite/write-turn.js';
import { DatabaseHealth } from './store/write-probe.js';
import { describeVerpSecret } from './verp/secret.js';
import { credentialKeys, InboxService } from './inbox/service.js';
import { InboxMetrics, inboxReadiness } from './inbox/daemon.js';

// Wiring only: open the store, start the services, and stop them in reverse order.

/** Processing of received messages, on this thread or the pipeline worker's. */
export interface Pipeline {
  kick(): void;
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export interface Daemon {
  store: Store;
  processor: Pipeline;
  tailer: LogTailer | null;
  smtpAddress: { host: string; port: number };
  httpAddress: { host: string; port: number };
  stop(): Promise<void>;
}

export async function startDaemon(config: Config, log: Logger): Promise<Daemon> {
  log.info({ evt: 'STARTING', config: redactConfig(config) }, 'bounced starting');
  // One write turn for every connection of this process (src/store/sqlite/write-turn.ts).
  const writeTurn = WriteTurn.create();
  const built = await buildPipeline(config, { log: log.child({ mod: 'verp' }), writeTurn });
  const { store, verp, policy, rules } = built;
  // Sending providers' signed events (issue #19): a bad endpoint stops the start (exit 78).
  let esp: ReturnType<typeof buildEsp>;
  try {
    esp = buildEsp(config, verp, store, rules);
  } catch (err) {
    await store.close();
    throw err;
  }
  // dataDir defaults to ./data of the current directory: say which database and which VERP
  // secret this daemon uses (the secret's source, never the secret).
  const database = config.database.url ? maskUrlPassword(config.database.url) : resolve(config.dataDir, DB_FILE);
  log.info({ evt: 'DATA_IN_USE', database, node: built.node, verpSecret: describeVerpSecret(config) }, 'database and VERP secret in use');
  // Big messages' spool (issue #20): the directory exists before the first session, and what a
  // crash left unnamed is removed before any session can be writing (a node-local spool; a
  // shared one only of files older than any session: other nodes are writing theirs).
  const spoolDir = spoolDirOf(config);
  if (spoolDir !== null) {
    try {
      SpoolWriter.prepare(spoolDir);
      const shared = isPostgresUrl(config.database.url);
      const swept = await sweepSpool(store.messages, spoolDir, shared ? Date.now() - orphanAgeMs(config) : Date.now() + 1);
      log.info({ evt: 'SPOOL_IN_USE', dir: spoolDir, files: swept.kept, orphansRemoved: swept.removed.length }, 'spool directory in use');
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  const metrics = new Metrics({ suppressions: () => store.suppressions.counts(), messages: () => store.messages.counts() });
  const webhooks = configuredDispatcher(config, { webhooks: store.webhooks, node: built.node }, log.child({ mod: 'webhooks' }), metrics.countWebhook);
  const onSettled = (settled: SettledSummary[]) => {
    metrics.countSettled(settled);
    webhooks.kick();
  };
  // Received messages are committed by the intake thread (src/pipeline/intake-worker.ts), so
  // that no fsync holds up an SMTP session, and processed by the processing thread
  // (processing-worker.ts) with its own connection, so that no parse holds up a commit. Every
  // parse runs in a parse worker within its budget (parse-host.ts). With pipeline.worker off,
  // the intake commits and the settling run on this thread; the parse is still in its worker.
  let processor: Pipeline;
  let intake: ListenerDeps['intake'];
  let intakeThread: IntakeThread | null = null;
  if (config.pipeline.worker) {
    const processing = new ProcessingThread(config, writeTurn.shared, log.child({ mod: 'pipeline' }), { onSettled, onAbandoned: metrics.countAbandoned });
    const backlog = await processing.begin();
    if (backlog > 0) log.info({ evt: 'RECOVERING_BACKLOG', count: backlog }, 'processing messages stored before the last stop');
    intakeThread = new IntakeThread(config, writeTurn.shared, log.child({ mod: 'intake' }), () => processing.kick());
    try {
      await intakeThread.start();
    } catch (err) {
      await processing.stop();
      await store.close();
      throw err;
    }
    processor = processing;
    intake = intakeThread;
  } else {
    const pipelineLog = log.child({ mod: 'pipeline' });
    const local = built.processor(pipelineLog, {
      parser: new ParseHost(parseHostOptions(config, pipelineLog, metrics.countAbandoned, true)),
      maxAttempts: config.pipeline.maxAttempts,
      windowMs: config.pipeline.processWindowMs,
      onSettled: (outcomes) => onSettled(summarizeSettled(outcomes)),
    });
    intake = new Intake(store, log.child({ mod: 'intake' }), config.store.groupCommitMax, () => local.kick(), config.store.groupCommitWindowMs, commitsInFlight(store, config.store.commitsInFlight));
    // What a crash left `received` is processed first.
    const backlog = (await store.messages.counts()).received;
    if (backlog > 0) log.info({ evt: 'RECOVERING_BACKLOG', count: backlog }, 'processing messages stored before the last stop');
    local.kick();
    processor = local;
  }

  // Connected inboxes (issue #17): watched (IDLE or polling) under a lease per inbox, from start-up.
  // (the connections gauge is read at scrape time, once `inboxes` exists)
  const inboxMetrics: InboxMetrics = new InboxMetrics(metrics.registry, store, Date.now, (): number => inboxes.connections());
  const inboxes: InboxService = new InboxService({
    store, rules, log: log.child({ mod: 'inbox' }), config: config.inboxes, node: built.node,
    onRecorded: () => webhooks.kick(), onSynced: inboxMetrics.synced, onInboxes: inboxMetrics.keepOnly,
  });
  const scheduler = new Scheduler(
    store.jobs,
    [...standardJobs(config, built, processor, webhooks), ...policyJobs(config, policy, store, log.child({ mod: 'notify' }))],
    log.child({ mod: 'scheduler' }),
    { node: built.node, onRan: metrics.observeJob },
  );
  const tailer = config.tail.file
    ? new LogTailer({
        path: config.tail.file,
        store,
        rules,
        verp,
        log: log.child({ mod: 'logtail' }),
        pollMs: config.tail.pollMs,
        onBatch: (stats) => {
          metrics.countTailBatch(stats);
          webhooks.kick();
        },
        onUnread: metrics.countTailUnread,
      })
    : null;
  // Readiness: a real write now and then, and the outcomes of the writes of received mail.
  const dbHealth = new DatabaseHealth(store);
  const countListener: ListenerDeps['count'] = (event, error) => {
    metrics.countListener(event);
    if (event === 'accepted') dbHealth.noteWrite(true);
    else if (event === 'store_failed') dbHealth.noteWrite(false, error);
  };
  const listener = new Listener({ config, intake, log: log.child({ mod: 'listener' }), count: countListener, timeData: metrics.observeSmtpData });
  metrics.watchBytesInFlight(() => listener.budget.inFlight);
  let smtpListening = false;
  // A tailer that cannot read its log degrades (failing, retrying), never stops the daemon.
  const readiness = async (): Promise<Record<string, ReadinessCheck>> => ({
    database: await dbHealth.check(),
    smtp: smtpListening ? { ok: true } : { ok: false, reason: 'the SMTP listener is not bound' },
    ...(tailer ? { tailer: tailer.health() } : {}),
    ...(inboxes.configured ? { inboxes: await inboxReadiness(store) } : {}),
  });
  metrics.watchReadiness(readiness);
  if (tailer) {
    metrics.watchTailer(() => tailer.health());
    metrics.watchTailerLag(() => tailer.lagBytes());
  }
  let api: FastifyInstance | null = null;
  try {
    await tailer?.start();
    scheduler.start(config.scheduler.tickMs);
    inboxes.start();
    const smtp = await listener.listen(config.smtp.host, config.smtp.port);
    smtpListening = true;
    api = buildApi({
      store,
      log: log.child({ mod: 'api' }),
      smtpListening: () => smtpListening,
      tailing: tailer ? () => tailer.health().ok : null,
      readiness,
      policy,
      adminKey: config.adminKey,
      metrics,
      onEvents: () => webhooks.kick(),
      webhookAllowPrivateDestinations: config.http.webhookAllowPrivateDestinations,
      rateLimit: { perSecond: config.http.rateLimitPerSecond, burst: config.http.rateLimitBurst },
      clientLimits: { perSecond: config.http.ipRateLimitPerSecond, burst: config.http.ipRateLimitBurst, authFailuresPerMinute: config.http.authFailuresPerMinute },
      trustProxy: config.http.trustProxy,
      inboxes: { keys: credentialKeys(config.inboxes), service: inboxes },
      esp,
    });
    await api.listen({ host: config.http.host, port: config.http.port });
    // The pre-send memory is read in slices beside the first requests, not before readiness.
    store.startPresendMemory?.();
    const http = api.server.address() as { address: string; port: number };
    log.info({ evt: 'READY', smtp: `${smtp.address}:${smtp.port}`, http: `${http.address}:${http.port}` }, 'bounced ready');

    let stopping: Promise<void> | null = null;
    return {
      store,
      processor,
      tailer,
      smtpAddress: { host: smtp.address, port: smtp.port },
      httpAddress: { host: http.address, port: http.port },
      stop: () =>
        (stopping ??= (async () => {
          log.info({ evt: 'STOPPING' }, 'bounced stopping');
          // Stop taking mail, let open sessions finish (bounded by smtp.closeTimeoutMs),
          // finish the batch in hand, and close the database last.
          await listener.close();
          smtpListening = false;
          await api?.close();
          await scheduler.stop();
          await inboxes.stop();
          await webhooks.stop();
          // The tailer's last batch is committed with its checkpoint before the DB closes.
          await tailer?.stop();
          await intakeThread?.stop();
          await processor.stop();
          await store.close();
          log.info({ evt: 'STOPPED' }, 'bounced stopped');
        })()),
    };
  } catch (err) {
    await listener.close().catch(() => {});
    await api?.close().catch(() => {});
    await scheduler.stop();
    await inboxes.stop();
    await webhooks.stop();
    await tailer?.stop().catch(() => {});
    await intakeThread?.stop();
    await processor.stop();
    await store.close();
    throw err;
  }
}

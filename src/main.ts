import type { FastifyInstance } from 'fastify';
import { buildApi } from './api/app.js';
import { redactConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import { Listener } from './listener/index.js';
import { LogTailer } from './logtail/tailer.js';
import { Scheduler } from './scheduler/index.js';
import { standardJobs } from './scheduler/jobs.js';
import { Intake } from './pipeline/intake.js';
import { Processor } from './pipeline/processor.js';
import { openPipeline } from './pipeline/open.js';
import type { Store } from './store/types.js';

// Wiring only: open the store, start the services, and stop them in reverse order.

export interface Daemon {
  store: Store;
  processor: Processor;
  tailer: LogTailer | null;
  smtpAddress: { host: string; port: number };
  httpAddress: { host: string; port: number };
  stop(): Promise<void>;
}

export async function startDaemon(config: Config, log: Logger): Promise<Daemon> {
  log.info({ evt: 'STARTING', config: redactConfig(config) }, 'bounced starting');
  const { store, verp } = openPipeline(config);
  const processor = new Processor(store, verp, log.child({ mod: 'pipeline' }));
  const intake = new Intake(store, log.child({ mod: 'intake' }), config.store.groupCommitMax, () => processor.kick());

  // What a crash left `received` is processed first.
  const backlog = store.countMessages().received;
  if (backlog > 0) log.info({ evt: 'RECOVERING_BACKLOG', count: backlog }, 'processing messages stored before the last stop');
  processor.kick();

  const scheduler = new Scheduler(store.lifecycle, standardJobs(config, store, processor), log.child({ mod: 'scheduler' }));
  const tailer = config.tail.file
    ? new LogTailer({ path: config.tail.file, store, verp, log: log.child({ mod: 'logtail' }), pollMs: config.tail.pollMs })
    : null;
  const listener = new Listener({ config, intake, log: log.child({ mod: 'listener' }) });
  let smtpListening = false;
  let tailing = false;
  let api: FastifyInstance | null = null;
  try {
    if (tailer) {
      await tailer.start();
      tailing = true;
    }
    scheduler.start(config.scheduler.tickMs);
    const smtp = await listener.listen(config.smtp.host, config.smtp.port);
    smtpListening = true;
    api = buildApi({ store, log: log.child({ mod: 'api' }), smtpListening: () => smtpListening, tailing: tailer ? () => tailing : null });
    await api.listen({ host: config.http.host, port: config.http.port });
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
          // The tailer's last batch is committed with its checkpoint before the DB closes.
          await tailer?.stop();
          tailing = false;
          await processor.stop();
          store.close();
          log.info({ evt: 'STOPPED' }, 'bounced stopped');
        })()),
    };
  } catch (err) {
    await listener.close().catch(() => {});
    await api?.close().catch(() => {});
    await scheduler.stop();
    await tailer?.stop().catch(() => {});
    await processor.stop();
    store.close();
    throw err;
  }
}

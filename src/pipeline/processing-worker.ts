// The processing thread: works off the stored messages (processor.ts) with its own database
// connection, apart from the intake thread, so that a stall here delays records, never a
// 250. It parses nothing itself: each message goes to the parse worker (parse-host.ts)
// within its budget, and the outcomes are settled here in short transactions.
//
// Protocol (main <-> processing worker), all plain objects:
//   main  -> { type: 'kick' }                       (after intake commits)
//   main  -> { type: 'drain', reqId }               worker -> { type: 'drained', reqId }
//   main  -> { type: 'stop' }                       worker -> { type: 'stopped' }
//                                                   worker -> { type: 'ready', backlog }
//                                                   worker -> { type: 'settled', settled }
//                                                   worker -> { type: 'abandoned', cause }
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../log.js';
import { WriteTurn } from '../store/sqlite/write-turn.js';
import { buildPipeline, CHECKPOINT_EVERY_MS, WAL_BACKSTOP_PAGES } from './build.js';
import type { PipelineWorkerData } from './remote.js';
import { ParseHost, parseHostOptions } from './parse-host.js';
import { summarizeSettled, type SettledSummary } from './processor.js';

export type ToProcessingWorker = { type: 'kick' } | { type: 'drain'; reqId: number } | { type: 'stop' };
export type FromProcessingWorker =
  | { type: 'ready'; backlog: number }
  | { type: 'drained'; reqId: number }
  | { type: 'settled'; settled: SettledSummary[] }
  | { type: 'abandoned'; cause: 'budget' | 'crash' }
  | { type: 'stopped' };

if (parentPort) {
  const port = parentPort;
  const { config, writeTurn } = workerData as PipelineWorkerData;
  const log = createLogger(config.logLevel).child({ mod: 'pipeline' });
  const post = (m: FromProcessingWorker) => port.postMessage(m);
  // The WAL's checkpoints are made here, after settling, outside the write turn (build.ts).
  const built = await buildPipeline(config, { writeTurn: WriteTurn.from(writeTurn), walAutocheckpointPages: WAL_BACKSTOP_PAGES, checkpointEveryMs: CHECKPOINT_EVERY_MS });
  const parser = new ParseHost(parseHostOptions(config, log, (cause) => post({ type: 'abandoned', cause }), true));
  const processor = built.processor(log, {
    parser,
    maxAttempts: config.pipeline.maxAttempts,
    windowMs: config.pipeline.processWindowMs,
    onSettled: (outcomes) => post({ type: 'settled', settled: summarizeSettled(outcomes) }),
  });

  port.on('message', (m: ToProcessingWorker) => {
    switch (m.type) {
      case 'kick':
        processor.kick();
        break;
      case 'drain':
        // Answered either way: the host waits for it. What a failed drain left undone stays
        // in the store as received, and the next kick (or start) works it off.
        processor.drain().then(
          () => post({ type: 'drained', reqId: m.reqId }),
          (err: unknown) => {
            log.error({ evt: 'PIPELINE_DRAIN_FAILED', err }, 'draining the backlog failed; the messages stay stored');
            post({ type: 'drained', reqId: m.reqId });
          },
        );
        break;
      case 'stop':
        void processor
          .stop()
          .then(() => built.close())
          .finally(() => {
            log.flush();
            post({ type: 'stopped' });
            port.close();
          });
        break;
    }
  });

  post({ type: 'ready', backlog: (await built.store.messages.counts()).received });
  processor.kick();
}

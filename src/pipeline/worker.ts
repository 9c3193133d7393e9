// The pipeline worker thread: owns the writes of received messages and their processing.
//
// Why a thread: a durable commit (synchronous=FULL) waits for an fsync, several ms on these
// disks, and better-sqlite3 waits synchronously. On the SMTP thread that wait stops every
// session; here it stops nobody, and the messages that arrive meanwhile queue up and share
// the next commit: real group commit, at any load, with no timer. Parsing and
// classification (CPU) run here too, off the SMTP thread.
//
// Protocol (main <-> worker), all plain objects:
//   main  -> { type: 'store', reqId, message }      worker -> { type: 'stored', reqId, id } | { type: 'failed', reqId, error }
//   main  -> { type: 'drain', reqId }               worker -> { type: 'drained', reqId }
//   main  -> { type: 'kick' }
//   main  -> { type: 'stop' }                       worker -> { type: 'stopped' }
//                                                   worker -> { type: 'ready', backlog } | { type: 'settled', settled }
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { createLogger } from '../log.js';
import type { IncomingMessage } from '../store/types.js';
import { Intake } from './intake.js';
import { openPipeline } from './open.js';
import { Processor, summarizeSettled } from './processor.js';

export type ToWorker =
  | { type: 'store'; reqId: number; message: IncomingMessage }
  | { type: 'drain'; reqId: number }
  | { type: 'kick' }
  | { type: 'stop' };

/** Buffers arrive as Uint8Array (moved or cloned): view them as Buffers, no copy. */
function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function asBuffers(raw: Uint8Array | readonly Uint8Array[]): Buffer[] {
  return raw instanceof Uint8Array ? [asBuffer(raw)] : raw.map(asBuffer);
}

if (parentPort) {
  const port = parentPort;
  const config = (workerData as { config: Config }).config;
  const log = createLogger(config.logLevel).child({ mod: 'pipeline' });
  const { store, verp } = openPipeline(config);
  // The Intake batches what arrived while the last commit was being written; processing
  // yields to it between steps, so a sender's 250 never waits behind a classification.
  const intake: Intake = new Intake(store, log, config.store.groupCommitMax, () => processor.kick(), 0);
  const processor = new Processor(store, verp, log, {
    yieldTo: () => intake.flushPending(),
    onSettled: (outcomes) => port.postMessage({ type: 'settled', settled: summarizeSettled(outcomes) }),
  });

  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'store':
        intake.accept({ ...m.message, raw: asBuffers(m.message.raw) }).then(
          (id) => port.postMessage({ type: 'stored', reqId: m.reqId, id }),
          (err: Error) => port.postMessage({ type: 'failed', reqId: m.reqId, error: err.message }),
        );
        break;
      case 'drain':
        processor.drain().then(() => port.postMessage({ type: 'drained', reqId: m.reqId }));
        break;
      case 'kick':
        processor.kick();
        break;
      case 'stop':
        processor.stop().then(() => {
          store.close();
          log.flush();
          port.postMessage({ type: 'stopped' });
          port.close();
        });
        break;
    }
  });

  const backlog = store.countMessages().received;
  port.postMessage({ type: 'ready', backlog });
  processor.kick();
}

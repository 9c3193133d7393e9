// The intake thread: the durable commit of received messages, and nothing else.
//
// Why a thread: a durable commit (synchronous=FULL) waits for an fsync, several ms on these
// disks, and better-sqlite3 waits synchronously. On the SMTP thread that wait stops every
// session; here it stops nobody, and the messages that arrive meanwhile queue up and share
// the next commit: real group commit, at any load, with no timer. Why nothing else: a 250
// waits for this thread, so no parse (processing-worker.ts) and no settling share it; the
// only thing it can wait for is SQLite's write lock, which the processing side holds only
// for short settling transactions, never across a parse.
//
// Protocol (main <-> intake worker), all plain objects:
//   main  -> { type: 'store', reqId, message }      worker -> { type: 'stored', reqId, id } | { type: 'failed', reqId, error }
//   main  -> { type: 'stop' }                       worker -> { type: 'stopped' }
//                                                   worker -> { type: 'ready' }
import { parentPort, workerData } from 'node:worker_threads';
import { bigBufferHint } from '../gc-hint.js';
import { createLogger } from '../log.js';
import type { IncomingMessage } from '../store/contract.js';
import { WriteTurn } from '../store/sqlite/write-turn.js';
import { buildPipeline, WAL_BACKSTOP_PAGES } from './build.js';
import type { PipelineWorkerData } from './remote.js';
import { Intake, commitsInFlight } from './intake.js';

export type ToIntakeWorker = { type: 'store'; reqId: number; message: IncomingMessage } | { type: 'stop' };
export type FromIntakeWorker =
  | { type: 'ready' }
  | { type: 'stored'; reqId: number; id: number }
  | { type: 'failed'; reqId: number; error: string }
  | { type: 'stopped' };

/** Buffers arrive as Uint8Array (moved or cloned): view them as Buffers, no copy. */
function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function asBuffers(raw: Uint8Array | readonly Uint8Array[]): Buffer[] {
  return raw instanceof Uint8Array ? [asBuffer(raw)] : raw.map(asBuffer);
}

if (parentPort) {
  const port = parentPort;
  const { config, writeTurn } = workerData as PipelineWorkerData;
  const log = createLogger(config.logLevel).child({ mod: 'intake' });
  // Only the store is used here: inserting messages settles nothing. Its commits hold up
  // 250s, so they leave the WAL's checkpoints to the processing thread (build.ts
  // CHECKPOINT_EVERY_MS); 16 MiB of WAL is the backstop.
  const { store } = await buildPipeline(config, { writeTurn: WriteTurn.from(writeTurn), walAutocheckpointPages: WAL_BACKSTOP_PAGES });
  const intake = new Intake(store, log, config.store.groupCommitMax, () => {}, 0, commitsInFlight(store, config.store.commitsInFlight));
  const post = (m: FromIntakeWorker) => port.postMessage(m);
  // A stored (or failed) message's bytes are garbage here: a spooled one's head is 1 MiB (../gc-hint.ts).
  const dropped = bigBufferHint();

  port.on('message', (m: ToIntakeWorker) => {
    if (m.type === 'store') {
      const raw = asBuffers(m.message.raw);
      intake
        .accept({ ...m.message, raw })
        .then(
          (id) => post({ type: 'stored', reqId: m.reqId, id }),
          (err: Error) => post({ type: 'failed', reqId: m.reqId, error: err.message }),
        )
        .finally(() => dropped(raw));
    } else if (m.type === 'stop') {
      // After the commit already scheduled (setImmediate, first in line) has run.
      setImmediate(() => {
        void store.close().finally(() => {
          log.flush();
          post({ type: 'stopped' });
          port.close();
        });
      });
    }
  });
  post({ type: 'ready' });
}

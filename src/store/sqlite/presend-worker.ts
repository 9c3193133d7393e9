// The pre-send memory's build from nothing, in a thread of its own (./presend-memory.ts,
// PresendMemory.buildInWorker): the same class on a read-only connection to the same file,
// slicing as it would in the daemon's API thread, then the memory handed over whole (the
// filter's bits transferred, not copied). Any failure ends the thread without a message: the
// API thread then builds in slices itself.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { PresendMemory, type PresendMemoryOptions } from './presend-memory.js';

const { file, options } = workerData as { file: string; options: PresendMemoryOptions };
const db = new Database(file, { readonly: true, fileMustExist: true });
// the native module is loaded: the API thread may terminate this thread from now on
parentPort!.postMessage('ready');
try {
  db.pragma('busy_timeout = 5000');
  const memory = new PresendMemory(db, async (fn) => fn(), { ...options, worker: false, shm: false });
  const snapshot = await memory.snapshotNow();
  if (snapshot) parentPort!.postMessage(snapshot, [snapshot.bits.buffer as ArrayBuffer]);
} finally {
  db.close();
}

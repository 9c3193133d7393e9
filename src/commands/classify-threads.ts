// `bounced classify --jobs N`: many files (./classify.ts PARALLEL_MIN_FILES) classified on N threads (this one and N-1 workers,
// ./classify-worker.ts), printed in input order. The files go out in batches of BATCH_FILES,
// handed to whichever thread is free (a file can take 50 times another's time); each worker
// holds at most IN_FLIGHT batches, and no batch is handed out more than WINDOW batches past the
// first one not yet printed, so the results waiting for a slow earlier batch stay bounded.
// Every thread runs the same pure parse + classify on its own files: the output is the
// sequential run's, byte for byte.
import { Worker } from 'node:worker_threads';
import { threadUrl } from '../pipeline/thread-url.js';

const BATCH_FILES = 32;
const IN_FLIGHT = 2;

/** What a worker is sent and answers (./classify-worker.ts). */
export interface BatchRequest {
  id: number;
  files: string[];
  format: 'json' | 'jsonl' | 'table';
  explain: boolean;
}
export interface BatchResult {
  id: number;
  lines: string[];
}

interface Options {
  format: BatchRequest['format'];
  explain: boolean;
}

/**
 * Classifies `files` on `jobs` threads; `classifyHere` does a batch on this thread, `emit`
 * receives each batch's printed records in input order (and may wait for the output).
 */
export async function classifyInThreads(
  files: readonly string[],
  opts: Options,
  jobs: number,
  classifyHere: (files: string[]) => string[],
  emit: (lines: string[], nFiles: number) => Promise<void>,
): Promise<void> {
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += BATCH_FILES) batches.push(files.slice(i, i + BATCH_FILES));
  const results = new Map<number, string[]>();
  const window = jobs * IN_FLIGHT * 2;
  const retry: number[] = []; // batches of a worker that failed: done here
  let next = 0; // the next batch nobody has taken
  let written = 0; // batches emitted so far
  let wake: (() => void) | null = null;
  const settled = () => {
    wake?.();
    wake = null;
  };

  const room = () => next < batches.length && next - written < window;
  const feeders: (() => void)[] = [];
  const workers = Array.from({ length: jobs - 1 }, () => {
    const worker = new Worker(threadUrl('classify-worker', 'commands'));
    const held = new Set<number>();
    let dead = false;
    const feed = () => {
      while (!dead && held.size < IN_FLIGHT && room()) {
        const id = next++;
        held.add(id);
        worker.postMessage({ id, files: batches[id], format: opts.format, explain: opts.explain } satisfies BatchRequest);
      }
    };
    worker.on('message', (m: BatchResult) => {
      held.delete(m.id);
      results.set(m.id, m.lines);
      feed();
      settled();
    });
    // A worker that dies (a bug, memory) loses nothing: its batches are done on this thread.
    const fail = (why: string) => {
      if (dead) return;
      dead = true;
      if (!held.size) return;
      process.stderr.write(`bounced classify: a worker thread stopped (${why}); its files are classified on the main thread\n`);
      retry.push(...held);
      held.clear();
      settled();
    };
    worker.on('error', (err) => fail(err?.message ?? String(err)));
    worker.on('exit', (code) => fail(`exit ${code}`));
    feeders.push(feed);
    feed();
    return worker;
  });

  try {
    while (written < batches.length) {
      // emit what is ready, in order
      while (results.has(written)) {
        const lines = results.get(written)!;
        results.delete(written);
        await emit(lines, batches[written].length);
        written++;
      }
      for (const feed of feeders) feed(); // the window moved on
      if (written >= batches.length) break;
      // then one batch here, if any is left; else wait for a worker's answer
      const id = retry.length ? retry.shift()! : room() ? next++ : -1;
      if (id >= 0) {
        results.set(id, classifyHere(batches[id]));
        // let the workers' answers in (and hand them their next batches) between batches
        await new Promise<void>((resolve) => setImmediate(resolve));
      } else if (!results.has(written)) await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    for (const w of workers) w.removeAllListeners('exit');
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

// A worker thread of `bounced classify --jobs N` (./classify-threads.ts): classifies the batches
// of files it is sent and answers with their printed records, in order.
import { parentPort } from 'node:worker_threads';
import { classifyFiles } from './classify.js';
import type { BatchRequest, BatchResult } from './classify-threads.js';

parentPort?.on('message', (m: BatchRequest) => {
  parentPort?.postMessage({ id: m.id, lines: classifyFiles(m.files, m.format, m.explain) } satisfies BatchResult);
});

// The parse worker: a thread that only parses, classifies and attributes messages
// (decide.ts: PURE, no database, no sockets), one at a time, for ./parse-host.ts. It exists so
// that a message can be abandoned: JavaScript cannot interrupt a running function, but a
// thread can be terminated, so a parse that overruns its budget costs a thread, never the
// daemon. Its heap is limited (pipeline.parseMemoryMb): a parse that needs more ends this
// thread with ERR_WORKER_OUT_OF_MEMORY, not the process.
//
// Protocol (host <-> parse worker), plain objects:
//   host -> { type: 'decide', reqId, message, now }    worker -> { type: 'decided', reqId, outcome } (on workerData.answers)
//                                                       worker -> { type: 'ready', tid } once warmed up
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { MessageOutcome, PendingMessage } from './outcome.js';
import { VerpCodec } from '../verp/index.js';
import { decide, type DecideLimits } from './decide.js';
import { currentThreadId } from './thread-cpu.js';
import { bigBufferHint } from '../gc-hint.js';

export interface ParseWorkerData {
  verp: { secret: string; prefix: string; unsubscribePrefix: string };
  limits: DecideLimits;
  /** Where the answers ('decided') go; 'ready' goes to the parent port. */
  answers: MessagePort;
}

/** What decide() reads of a stored message; `raw` is at most limits.parseMaxBytes. */
export type ParseInput = Pick<PendingMessage, 'id' | 'receivedAt' | 'rcptTo'> & { raw: Uint8Array };

export type ToParseWorker = { type: 'decide'; reqId: number; message: ParseInput; now: number };
export type FromParseWorker = { type: 'ready'; tid: number | null } | { type: 'decided'; reqId: number; outcome: MessageOutcome };

/**
 * A small RFC 3464 report parsed a few times before the worker says it is ready: the first
 * parse in a fresh thread compiles the parser (10-20 ms here), which should not count against
 * the budget of the first real message after a replacement.
 */
const WARM_UP = Buffer.from(
  [
    'From: MAILER-DAEMON@mx.example.org',
    'To: postmaster@bounces.invalid',
    'Subject: Undelivered Mail Returned to Sender',
    'Message-Id: <warm-up@mx.example.org>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '--b',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.org',
    '',
    'Final-Recipient: rfc822; nobody@example.org',
    'Action: failed',
    'Status: 5.1.1',
    'Remote-MTA: dns; mx.example.org',
    'Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown',
    '',
    'Final-Recipient: rfc822; full@example.net',
    'Original-Recipient: rfc822; full@example.net',
    'Action: failed',
    'Status: 5.2.2',
    'Diagnostic-Code: smtp; 552 5.2.2 Mailbox full',
    '',
    'Final-Recipient: rfc822; later@example.com',
    'Action: delayed',
    'Status: 4.4.1',
    'Diagnostic-Code: X-Postfix; connect to mx.example.com[192.0.2.1]:25: Connection timed out',
    '',
    '--b',
    'Content-Type: text/rfc822-headers',
    '',
    'From: sender@example.com',
    'To: nobody@example.org',
    'Subject: hello',
    '',
    '--b--',
    '',
  ].join('\r\n'),
);

if (parentPort) {
  const port = parentPort;
  const data = workerData as ParseWorkerData;
  const verp = new VerpCodec(data.verp.secret, data.verp.prefix, data.verp.unsubscribePrefix);
  const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

  const warmUp = async () => {
    for (let i = 0; i < 20; i++) await decide({ id: 0, receivedAt: 0, rcptTo: [], raw: WARM_UP }, verp, 0, data.limits);
  };

  // One message at a time, in the order received: the host times each from the answer to
  // the one before it.
  let chain: Promise<void> = Promise.resolve();
  // A parsed head is garbage here once decided (../gc-hint.ts).
  const dropped = bigBufferHint();
  const handle = (m: ToParseWorker) =>
    decide({ ...m.message, raw: asBuffer(m.message.raw) }, verp, m.now, data.limits)
      .finally(() => dropped([m.message.raw]))
      .then(
      ({ outcome }) => data.answers.postMessage({ type: 'decided', reqId: m.reqId, outcome } satisfies FromParseWorker),
      // decide() catches what the parser and classifier throw; anything else is still this
      // message's fault, never a reason to lose the thread.
      (err: unknown) =>
        data.answers.postMessage({
          type: 'decided',
          reqId: m.reqId,
          outcome: { state: 'unparseable', error: `parser failed: ${String((err as Error)?.message ?? err).slice(0, data.limits.maxTextChars)}` },
        } satisfies FromParseWorker),
    );
  port.on('message', (m: ToParseWorker) => {
    if (m.type === 'decide') chain = chain.then(() => handle(m));
  });

  // The thread's kernel id: the host times each parse in this thread's CPU time (thread-cpu.ts).
  void warmUp().finally(() => port.postMessage({ type: 'ready', tid: currentThreadId() } satisfies FromParseWorker));
}

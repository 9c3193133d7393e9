#!/usr/bin/env node
// A small SMTP load client over raw sockets, for what Postfix's smtp-source cannot do:
// smtp-source -F sends ONE file (the same bytes every time: bounced would store duplicates)
// and reports no latency. This client sends a mix of real message files round-robin, makes
// each copy a distinct report (a Received line and a fresh Message-ID, as a real MTA's bounce
// would have), and measures the time from the end of DATA (the final ".") to the reply.
//
//   node bench/smtp-load.mjs --port 2601 --sessions 10 [--reuse] [--count N] [--duration MS]
//        [--files LIST.json] [--rcpt ADDR] [--no-unique] [--declare-size]
// Prints one JSON object on stdout. No pipelining (like smtp-source): one command, one reply.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs, percentile, RCPT, round, smtpMixFiles } from './lib/common.mjs';
import { openSession } from './lib/smtp-client.mjs';

const args = parseArgs();
const port = Number(args.port ?? 2601);
const host = '127.0.0.1';
const sessions = Number(args.sessions ?? 1);
const reuse = Boolean(args.reuse);
const maxCount = Number(args.count ?? 1000);
const durationMs = Number(args.duration ?? 0) || Infinity;
const rcpt = args.rcpt ?? RCPT;
const unique = !args['no-unique'];
const declareSize = Boolean(args['declare-size']);
const runId = Date.now().toString(36);

// ---- messages: CRLF line ends, dot-stuffed, split around the Message-ID header -----------
const files = args.files ? JSON.parse(readFileSync(args.files, 'utf8')) : smtpMixFiles().all;
if (!files.length) throw new Error('no message files');

function prepare(buf) {
  // latin1 keeps every byte as one char, so 8-bit content survives the round trip.
  const lines = buf.toString('latin1').split(/\r\n|\r|\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const stuffed = lines.map((l) => (l.startsWith('.') ? '.' + l : l));
  const headerEnd = stuffed.indexOf('');
  const hdrCount = headerEnd < 0 ? stuffed.length : headerEnd;
  // Find the top-level Message-ID header (and its continuation lines).
  let midStart = -1;
  let midEnd = -1;
  for (let i = 0; i < hdrCount; i++) {
    if (/^message-id\s*:/i.test(stuffed[i])) {
      midStart = i;
      midEnd = i + 1;
      while (midEnd < hdrCount && /^[ \t]/.test(stuffed[midEnd])) midEnd++;
      break;
    }
  }
  const join = (a) => (a.length ? Buffer.from(a.join('\r\n') + '\r\n', 'latin1') : Buffer.alloc(0));
  if (midStart < 0) return { before: Buffer.alloc(0), after: join(stuffed), size: buf.length };
  return { before: join(stuffed.slice(0, midStart)), after: join(stuffed.slice(midEnd)), size: buf.length };
}
const messages = files.map((f) => prepare(readFileSync(f)));
const END = Buffer.from('.\r\n');

let seq = 0;
function nextMessage() {
  const n = seq++;
  const m = messages[n % messages.length];
  if (!unique) {
    return [m.before, Buffer.from(''), m.after];
  }
  const stamp = new Date().toUTCString().replace('GMT', '+0000');
  const head = Buffer.from(
    `Received: from mta.bench.test (localhost [127.0.0.1])\r\n\tby bench.test with ESMTP id B${runId}${n}; ${stamp}\r\n`,
    'latin1',
  );
  const mid = Buffer.from(`Message-ID: <bench-${runId}-${n}@mta.bench.test>\r\n`, 'latin1');
  return [head, m.before, mid, m.after];
}

// ---- load ------------------------------------------------------------------------------
const latencies = []; // ms, end of DATA -> reply, accepted messages only
const codes = {};
let issued = 0;
let ok = 0;
let failed = 0;
let connErrors = 0;
let bytes = 0;
const t0 = performance.now();
const deadline = t0 + durationMs;
const take = () => issued < maxCount && performance.now() < deadline && (issued++, true);
const note = (code) => (codes[code] = (codes[code] ?? 0) + 1);

const open = () => openSession({ port, host });

/** One transaction on an open connection; returns false when the connection is unusable. */
async function transaction(c) {
  const parts = nextMessage();
  const size = parts.reduce((n, p) => n + p.length, 0);
  const mail = await c.cmd(`MAIL FROM:<>${declareSize ? ` SIZE=${size}` : ''}`);
  if (mail.code !== 250) return note(mail.code), failed++, true;
  const rc = await c.cmd(`RCPT TO:<${rcpt}>`);
  if (rc.code !== 250) {
    note(rc.code);
    failed++;
    await c.cmd('RSET');
    return true;
  }
  const data = await c.cmd('DATA');
  if (data.code !== 354) return note(data.code), failed++, true;
  c.sock.cork();
  for (const p of parts) c.sock.write(p);
  c.sock.uncork();
  // Latency is measured from the moment the final "." is handed to the kernel.
  await new Promise((r) => c.sock.write(END, r));
  const ts = performance.now();
  const r = await c.reply();
  const dt = performance.now() - ts;
  note(r.code);
  if (r.code === 250) {
    ok++;
    bytes += size;
    latencies.push(dt);
  } else failed++;
  return r.code < 400 || r.code >= 500;
}

async function session() {
  let c = null;
  while (take()) {
    try {
      if (!c) c = await open();
      const usable = await transaction(c);
      if (!reuse || !usable) {
        await c.cmd('QUIT').catch(() => {});
        c.end();
        c = null;
      }
    } catch (err) {
      connErrors++;
      failed++;
      if (err.code) note(err.code);
      else note('conn');
      c?.end();
      c = null;
    }
  }
  if (c) {
    await c.cmd('QUIT').catch(() => {});
    c.end();
  }
}

const wallStart = Date.now();
await Promise.all(Array.from({ length: sessions }, () => session()));
const elapsed = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    port,
    sessions,
    reuse,
    files: files.length,
    sent: issued,
    ok,
    failed,
    connErrors,
    codes,
    bytes,
    startedAt: wallStart,
    endedAt: Date.now(),
    elapsedS: round(elapsed, 3),
    msgsPerSec: round(ok / elapsed, 1),
    latencyMs: {
      p50: round(percentile(latencies, 50), 2),
      p90: round(percentile(latencies, 90), 2),
      p99: round(percentile(latencies, 99), 2),
      max: round(latencies[latencies.length - 1] ?? null, 2),
    },
  }),
);

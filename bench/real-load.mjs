#!/usr/bin/env node
// The load client of the real-mix bench (bench/real.mjs): builds every message of the plan
// first (bench/lib/mix.mjs; the clock starts after), then sends them in plan order over
// `--sessions` concurrent SMTP sessions, one message per connection or reused connections, and
// times the end of DATA (the final "." handed to the kernel) to the reply.
//
//   node bench/real-load.mjs --port 2681 --sessions 10 [--reuse] [--pipelining] --stream mix|verified
//        --size 2048|20480 --count N [--duration MS] [--accounts 1000] [--big-share 0.5]
//        [--seed 1] [--run-tag T] [--acks FILE]
//
// Prints one JSON object on stdout. `--acks FILE` also writes, per message of the plan, the
// time of its reply (ms after the start) and its latency, as two Float64Arrays (NaN: not 250),
// for the growth figure.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs, percentile, round } from './lib/common.mjs';
import { makeMix } from './lib/mix.mjs';
import { openSession } from './lib/smtp-client.mjs';

const args = parseArgs();
const port = Number(args.port ?? 2681);
const sessions = Number(args.sessions ?? 1);
const reuse = Boolean(args.reuse);
const count = Number(args.count ?? 1000);
const durationMs = Number(args.duration ?? 0) || Infinity;
// MAIL, RCPT and DATA in one write (RFC 2920), as Postfix's smtp client sends them to a server
// that offers PIPELINING; without it, one command at a time, like smtp-source.
const pipelining = Boolean(args.pipelining);
const spec = {
  stream: String(args.stream ?? 'mix'),
  size: Number(args.size ?? 2048),
  count,
  accounts: Number(args.accounts ?? 1000),
  bigShare: Number(args['big-share'] ?? 0),
  seed: Number(args.seed ?? 1),
  runTag: String(args['run-tag'] ?? Date.now().toString(36)),
};

const g0 = performance.now();
const { messages } = await makeMix(spec);
const genMs = performance.now() - g0;
const END = Buffer.from('.\r\n');

const ackAt = new Float64Array(count).fill(NaN);
const latency = new Float64Array(count).fill(NaN);
const lat = [];
const codes = {};
const failedIdx = [];
let issued = 0;
let ok = 0;
let failed = 0;
let connErrors = 0;
let bytes = 0;
const note = (code) => (codes[code] = (codes[code] ?? 0) + 1);

const t0 = performance.now();
const startedAt = Date.now();
const deadline = t0 + durationMs;
const take = () => (issued < count && performance.now() < deadline ? issued++ : -1);

/** One transaction on an open connection; returns false when the connection is unusable. */
async function transaction(c, i) {
  const m = messages[i];
  let mail, rc, data;
  if (pipelining) {
    [mail, rc, data] = await c.cmds([`MAIL FROM:<${m.from}>`, `RCPT TO:<${m.rcpt}>`, 'DATA']);
    if (data.code === 354 && (mail.code !== 250 || rc.code !== 250)) throw new Error('354 after a refused MAIL or RCPT');
  } else {
    mail = await c.cmd(`MAIL FROM:<${m.from}>`);
  }
  if (mail.code !== 250) return note(mail.code), failed++, failedIdx.push(i), mail.code < 400 || mail.code >= 500;
  if (!pipelining) rc = await c.cmd(`RCPT TO:<${m.rcpt}>`);
  if (rc.code !== 250) {
    note(rc.code);
    failed++;
    failedIdx.push(i);
    await c.cmd('RSET');
    return true;
  }
  if (!pipelining) data = await c.cmd('DATA');
  if (data.code !== 354) return note(data.code), failed++, failedIdx.push(i), false;
  c.sock.cork();
  c.sock.write(m.data);
  c.sock.uncork();
  await new Promise((r) => c.sock.write(END, r));
  const ts = performance.now();
  const r = await c.reply();
  const now = performance.now();
  note(r.code);
  if (r.code === 250) {
    ok++;
    bytes += m.data.length;
    lat.push(now - ts);
    ackAt[i] = now - t0;
    latency[i] = now - ts;
  } else {
    failed++;
    failedIdx.push(i);
  }
  return r.code < 400 || r.code >= 500;
}

async function session() {
  let c = null;
  for (let i = take(); i >= 0; i = take()) {
    try {
      if (!c) c = await openSession({ port });
      const usable = await transaction(c, i);
      if (!reuse || !usable) {
        await c.cmd('QUIT').catch(() => {});
        c.end();
        c = null;
      }
    } catch (err) {
      connErrors++;
      failed++;
      failedIdx.push(i);
      note(err.code ?? 'conn');
      c?.end();
      c = null;
    }
  }
  if (c) {
    await c.cmd('QUIT').catch(() => {});
    c.end();
  }
}

await Promise.all(Array.from({ length: sessions }, () => session()));
const elapsed = (performance.now() - t0) / 1000;
const endedAt = Date.now();
lat.sort((a, b) => a - b);
if (args.acks) {
  writeFileSync(String(args.acks), Buffer.concat([Buffer.from(ackAt.buffer), Buffer.from(latency.buffer)]));
}
console.log(
  JSON.stringify({
    port, sessions, reuse, pipelining, ...spec,
    genMs: round(genMs, 0),
    sent: issued, ok, failed, connErrors, codes,
    failedIdx: failedIdx.slice(0, 10000),
    bytes, meanBytes: ok ? Math.round(bytes / ok) : null,
    startedAt, endedAt,
    elapsedS: round(elapsed, 3),
    msgsPerSec: round(ok / elapsed, 1),
    latencyMs: {
      p50: round(percentile(lat, 50), 2),
      p90: round(percentile(lat, 90), 2),
      p99: round(percentile(lat, 99), 2),
      max: round(lat[lat.length - 1] ?? null, 2),
    },
  }),
);

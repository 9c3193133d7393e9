#!/usr/bin/env node
// One account's month as it grows (issue #20: "the cost of a message independent of what the
// account has stored"): `bounced serve` (dist/) on a fresh data dir takes distinct verified
// DSNs of ONE account over SMTP (10 sessions, reused connections; each DSN a real Postfix
// report for its own recipient, with a signed VERP token for that recipient, so that each
// makes a record, a delivery, a failure, a suppression and an event), in segments. The rate
// of a segment is its messages over the time from its first MAIL to the moment none of them
// is `received` any more (stored and settled). The first segment is measured at an empty
// month, the last after --fill messages of the same account.
//
//   node bench/account-growth.mjs [--segment 1000] [--fill 10000] [--sessions 10] [--smtp-port 2690] [--http-port 2691]
//
// Prints the rate of the first and of the last segment and their ratio (flat: about 1).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { BOUNCE_DOMAIN, freshDir, log, parseArgs, POSTFIX_FIXTURES, round, sleep, startBounced } from './lib/common.mjs';
import { connectSmtp } from './lib/smtp-client.mjs';
import { VerpCodec } from '../dist/verp/index.js';

const args = parseArgs();
const SEGMENT = Number(args.segment ?? 1000);
const FILL = Number(args.fill ?? 10_000);
const SESSIONS = Number(args.sessions ?? 10);
const SMTP_PORT = Number(args['smtp-port'] ?? 2690);
const HTTP_PORT = Number(args['http-port'] ?? 2691);
const SECRET = 'bench-secret-bench-secret-bench-secret'; // startBounced's
const verp = new VerpCodec(SECRET, 'b');

// s02: Postfix's DSN for rcpt-550-5.1.1@reject.test (550 5.1.1): each copy names its own recipient.
const template = readFileSync(join(POSTFIX_FIXTURES, 's02-remote-rcpt550--failed.eml'), 'latin1');
const FINAL = 'rcpt-550-5.1.1@reject.test';
function dsn(n) {
  const rcpt = `user${n}@reject.test`;
  const text = template
    .replaceAll(FINAL, rcpt)
    .replace(/^Message-Id: <([^>]+)>/im, `Message-Id: <growth-${n}.$1>`)
    .split(/\r\n|\r|\n/)
    .map((l) => (l.startsWith('.') ? '.' + l : l))
    .join('\r\n');
  return { to: verp.encode({ account: 'acme', message: `spring/m-${n}`, recipient: rcpt }, BOUNCE_DOMAIN), data: Buffer.from(text.replace(/(\r\n)*$/, '\r\n'), 'latin1') };
}

async function send(from, count) {
  let next = from;
  const end = from + count;
  let failed = 0;
  await Promise.all(
    Array.from({ length: SESSIONS }, async () => {
      const c = await connectSmtp(SMTP_PORT);
      await c.reply();
      await c.cmd('EHLO mta.bench.test');
      while (next < end) {
        const { to, data } = dsn(next++);
        await c.cmd('MAIL FROM:<>');
        await c.cmd(`RCPT TO:<${to}>`);
        await c.cmd('DATA');
        c.sock.write(data);
        const r = await c.cmd('.');
        if (r.code !== 250) failed++;
      }
      await c.cmd('QUIT').catch(() => {});
      c.end();
    }),
  );
  if (failed) throw new Error(`${failed} messages refused`);
}

const dataDir = freshDir('account-growth');
const daemon = await startBounced({ smtpPort: SMTP_PORT, httpPort: HTTP_PORT, dataDir });
const db = new Database(join(dataDir, 'bounced.db'), { readonly: true });
const backlog = db.prepare(`SELECT count(*) FROM messages WHERE state = 'received'`).pluck();
async function segment(from) {
  const t0 = performance.now();
  await send(from, SEGMENT);
  const acked = performance.now();
  while (backlog.get() > 0) await sleep(20);
  const settled = performance.now();
  log(`  ${from}-${from + SEGMENT}: acknowledged at ${round(SEGMENT / ((acked - t0) / 1000))} msgs/s, settled ${Math.round(settled - acked)} ms after the last 250`);
  return SEGMENT / ((settled - t0) / 1000);
}
try {
  const first = await segment(0);
  log(`segment 1 (an empty month): ${round(first)} msgs/s stored and settled`);
  for (let sent = SEGMENT; sent < SEGMENT + FILL; sent += SEGMENT) await segment(sent);
  const last = await segment(SEGMENT + FILL);
  const failures = db.prepare(`SELECT count(*) FROM delivery_failures WHERE account_id = 'acme'`).pluck().get();
  log(`segment after ${FILL.toLocaleString()} more (the month holds ${failures.toLocaleString()} failures): ${round(last)} msgs/s`);
  log(`last / first: ${round(last / first, 2)} (flat: about 1)`);
  console.log(JSON.stringify({ bench: 'account-growth', segment: SEGMENT, fill: FILL, sessions: SESSIONS, first: round(first), last: round(last), ratio: round(last / first, 2), failures }));
} finally {
  db.close();
  await daemon.stop();
}

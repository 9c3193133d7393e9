// Hostile input: real messages mutated with a fixed seed, fed to the parser and classifier
// (and a sample through SMTP and the whole pipeline). Nothing may crash, hang or grow without
// bound; every message ends processed or unparseable with an error. `npm run soak` runs
// 100,000 cases (SOAK=1); CI runs a few thousand.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { createLogger } from '../../src/log.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { parseMessage, UnparseableError } from '../../src/parser/index.js';
import { BOUNCE_DOMAIN, corpusDir, fixturesDir, haveCorpus, testConfig } from '../helpers/env.js';
import { sendRaw } from '../helpers/smtp.js';
import { rng } from '../../scripts/prng.mjs';

const SOAK = process.env.SOAK === '1';
const CASES = SOAK ? 100_000 : 3_000;
/** A message must finish well within this; it is a hang guard, not a speed target. */
const PER_MESSAGE_MS = 3_000;

function seeds(): Buffer[] {
  const out: Buffer[] = [];
  const postfix = join(fixturesDir, 'postfix');
  for (const f of readdirSync(postfix)) if (f.endsWith('.eml')) out.push(readFileSync(join(postfix, f)));
  if (haveCorpus) {
    for (const dir of ['bsd', 'mac']) {
      const d = join(corpusDir, 'maildir', dir);
      for (const f of readdirSync(d).slice(0, 120)) out.push(readFileSync(join(d, f)));
    }
  }
  return out;
}

const HEADERS = 'From: MAILER-DAEMON@example.org\r\nTo: b@bounces.test\r\nSubject: Undelivered\r\n';

/** Structural attacks, each a whole message. */
const BUILDERS: Array<(r: () => number) => Buffer> = [
  // multipart nested 100 deep
  () => {
    let body = 'Content-Type: text/plain\r\n\r\nbottom\r\n';
    for (let i = 0; i < 100; i++) body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}\r\n--b${i}--\r\n`;
    return Buffer.from(HEADERS + 'MIME-Version: 1.0\r\n' + body);
  },
  // a DSN with 10,000 recipient blocks
  () => {
    let ds = 'Reporting-MTA: dns; mx.example.org\r\n\r\n';
    for (let i = 0; i < 10_000; i++) ds += `Final-Recipient: rfc822; user${i}@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 unknown\r\n\r\n`;
    return Buffer.from(
      HEADERS +
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="x"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\n' +
        ds +
        '--x--\r\n',
    );
  },
  // a 1 MB header line
  (r) => Buffer.from(`${HEADERS}X-Long: ${'a'.repeat(1 << 20)}\r\n\r\nbody ${r()}\r\n`),
  // 1 MB of white space and dashes (regex backtracking bait)
  () => Buffer.from(`${HEADERS}\r\n${' \t-'.repeat(350_000)}\r\n`),
  // invalid charset and encodings
  () => Buffer.from(`${HEADERS}Content-Type: text/plain; charset="x-no-such-charset"\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@@not base64!!!!\r\n`),
  // overlong base64 in a delivery-status part
  () =>
    Buffer.from(
      HEADERS +
        'Content-Type: multipart/report; report-type=delivery-status; boundary="y"\r\n\r\n--y\r\nContent-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
        'QUFB'.repeat(500_000) +
        '\r\n--y--\r\n',
    ),
  // NUL bytes everywhere
  (r) => Buffer.from(HEADERS.replace(/ /g, '\u0000') + '\r\n' + '\u0000'.repeat(1000 + Math.floor(r() * 1000))),
  // unterminated boundaries and an unclosed encoded word
  () => Buffer.from(`${HEADERS}Subject: =?utf-8?B?${'A'.repeat(10000)}\r\nContent-Type: multipart/mixed; boundary="never"\r\n\r\n--never\r\nContent-Type: message/rfc822\r\n\r\n--never\r\n`),
];

function mutate(seed: Buffer, r: () => number): Buffer {
  const buf = Buffer.from(seed);
  switch (Math.floor(r() * 6)) {
    case 0: // truncate anywhere
      return buf.subarray(0, Math.floor(r() * buf.length));
    case 1: // random bytes
      for (let i = 0; i < 1 + r() * 40; i++) buf[Math.floor(r() * buf.length)] = Math.floor(r() * 256);
      return buf;
    case 2: {
      // break MIME boundaries
      const s = buf.toString('latin1').replace(/boundary="?([^";\r\n]+)"?/gi, () => `boundary="${r().toString(36)}"`);
      return Buffer.from(s, 'latin1');
    }
    case 3: // splice two messages
      return Buffer.concat([buf.subarray(0, Math.floor(r() * buf.length)), buf.subarray(Math.floor(r() * buf.length))]);
    case 4: // delete line ends
      return Buffer.from(buf.toString('latin1').replace(/\r?\n/g, () => (r() < 0.3 ? '' : '\n')), 'latin1');
    default: // duplicate a random slice many times
      {
        const a = Math.floor(r() * buf.length);
        const slice = buf.subarray(a, a + Math.floor(r() * 200));
        return Buffer.concat([buf, ...Array.from({ length: 50 }, () => slice)]);
      }
  }
}

function cases(n: number): Array<() => Buffer> {
  const r = rng(20261123);
  const base = seeds();
  return Array.from({ length: n }, (_, i) => {
    const pick = r();
    const seed = base[Math.floor(r() * base.length)]!;
    const b = BUILDERS[i % BUILDERS.length]!;
    const own = rng(i + 1);
    // Every 25th case is a structural attack; the rest mutate real messages.
    return i % 25 === 0 ? () => b(own) : () => mutate(seed, rng(Math.floor(pick * 2 ** 31)));
  });
}

describe('hostile input', () => {
  it(`parses and classifies ${CASES} mutated messages without a crash, a hang or unbounded memory`, async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    let parsed = 0;
    let unparseable = 0;
    let slowest = 0;
    for (const make of cases(CASES)) {
      const raw = make();
      // CPU time of this process, not the wall clock: a case preempted by other processes on a
      // shared machine is not a slow parse
      const t0 = process.cpuUsage();
      try {
        const report = await parseMessage(raw);
        classify(report);
        parsed++;
      } catch (err) {
        // The only acceptable failure is the parser saying clearly: not a mail message.
        expect(err).toBeInstanceOf(UnparseableError);
        expect((err as Error).message.length).toBeGreaterThan(0);
        unparseable++;
      }
      const used = process.cpuUsage(t0);
      const ms = (used.user + used.system) / 1000;
      slowest = Math.max(slowest, ms);
      expect(ms, `case took ${ms.toFixed(0)} ms`).toBeLessThan(PER_MESSAGE_MS);
    }
    expect(parsed + unparseable).toBe(CASES);
    expect(parsed).toBeGreaterThan(CASES / 2);
    globalThis.gc?.();
    // Nothing retained across messages: the heap does not grow with the number of cases.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);
  }, 600_000);

  let daemon: Daemon | null = null;
  afterAll(async () => daemon?.stop());

  it('through SMTP and the pipeline, every hostile message ends stored as processed or unparseable', async () => {
    daemon = await startDaemon(testConfig({ smtp: { port: 0, maxMessageBytes: 12 * 1024 * 1024 } }), createLogger('silent'));
    const all = cases(SOAK ? 2000 : 150);
    let accepted = 0;
    for (const make of all) {
      const res = await sendRaw(daemon.smtpAddress.port, { from: '', to: [`postmaster@${BOUNCE_DOMAIN}`] }, make());
      // Refusals are allowed only for size; never a 4xx/5xx for content.
      if (res.code === 250) accepted++;
      else expect(res.code, res.response).toBe(552);
    }
    await daemon.processor.drain();
    const counts = await daemon.store.messages.counts();
    expect(counts.received).toBe(0);
    expect(counts.processed + counts.unparseable + counts.duplicate).toBe(accepted);
    for (const m of await daemon.store.messages.list({ state: 'unparseable', limit: 100_000 })) expect(m.error).toBeTruthy();
  }, 600_000);
});

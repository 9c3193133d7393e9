// Damaged input never throws (the product's promise: a malformed message is stored and marked
// unparseable, never dropped, and the daemon never crashes on input). The metamorphic test
// changes messages in ways that keep their meaning; this one breaks them the way transport,
// storage and hostile senders do, and asks only that the parser and the classifier answer:
// parseMessageSync either returns a report or throws its own UnparseableError (which the
// pipeline stores as `unparseable`), and classify() returns a verdict per recipient.
//
// Seeded byte-level damage of every readable message (the public corpus's dev part, read in
// place, and fixtures/): cut short anywhere, a MIME or DSN fragment inserted (boundaries,
// encoded words, charset switches, NUL and 0xFF bytes, long runs of blanks, "@" and letters), a
// slice repeated up to 30 times, bytes overwritten, a slice deleted; one to four of these per
// message. No timing is asserted here (the growth tests in linear.test.ts and `npm run bench
// -- --only hostile` do that). FUZZ_SEED=<n> draws another sample, FUZZ_RUNS=<n> sets its size.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusSources } from '../../scripts/metamorphic-lib.mjs';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync, UnparseableError } from '../../src/parser/index.js';
import { repoRoot } from '../helpers/env.js';
import { rng } from '../../scripts/prng.mjs';

const SEED = Number(process.env.FUZZ_SEED ?? 20261205);
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

const FRAGMENTS = [
  '\r\n', '\n\n', '--', '\n--b\n', 'Content-Type: multipart/mixed; boundary="b"\n', 'Content-Type: message/delivery-status\n\n',
  '=?utf-8?B?', '=?iso-2022-jp?Q?=1B$B', '?=', '<', '>', '@', '"', '\\', '(', 'Final-Recipient: rfc822; ', 'Action: failed\n',
  'Status: 5.', 'Diagnostic-Code: smtp; 550 ', 'RCPT TO:<', '>>> DATA\n<<< 554 ', '=\n', '=3D', '\x00', '\xff\xfe', '\x1b$B',
  'Content-Transfer-Encoding: base64\n', 'Content-Transfer-Encoding: quoted-printable\n', 'charset=iso-2022-jp', ' '.repeat(5000),
  '@'.repeat(3000), 'a'.repeat(20000), '<'.repeat(2000), '\n '.repeat(2000),
].map((f) => Buffer.from(f, 'latin1'));

function damage(raw: Buffer, next: () => number): Buffer {
  let b = raw;
  const ops = 1 + Math.floor(next() * 4);
  for (let k = 0; k < ops; k++) {
    const at = Math.floor(next() * (b.length + 1));
    switch (Math.floor(next() * 5)) {
      case 0:
        b = b.subarray(0, at);
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), FRAGMENTS[Math.floor(next() * FRAGMENTS.length)], b.subarray(at)]);
        break;
      case 2: {
        const slice = b.subarray(at, at + Math.floor(next() * 2000));
        b = Buffer.concat([b.subarray(0, at), ...Array.from({ length: 1 + Math.floor(next() * 30) }, () => slice), b.subarray(at)]);
        break;
      }
      case 3:
        b = Buffer.from(b);
        for (let j = 0; j < 10 && b.length; j++) b[Math.floor(next() * b.length)] = Math.floor(next() * 256);
        break;
      default:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + Math.floor(next() * 500))]);
    }
  }
  return b;
}

describe('damaged messages: the parser answers or says unparseable, the classifier always answers', () => {
  const sources = corpusSources(repoRoot);
  if (!sources.some((s) => s.origin === 'public-dev')) console.warn('fuzz: the public corpus (../shared/corpus) is absent: fixtures/ only');
  const originals = sources.map((s) => ({ name: s.name, raw: readFileSync(s.file) }));

  it(`${RUNS} damaged copies of ${originals.length} messages (seed ${SEED})`, () => {
    expect(originals.length).toBeGreaterThan(500);
    const next = rng(SEED);
    const failures: string[] = [];
    let parsed = 0;
    let unparseable = 0;
    for (let i = 0; i < RUNS; i++) {
      const src = originals[Math.floor(next() * originals.length)];
      const raw = damage(src.raw, next);
      try {
        const report = parseMessageSync(raw);
        const verdicts = classify(report);
        expect(verdicts).toHaveLength(report.recipients.length);
        parsed++;
      } catch (e) {
        if (e instanceof UnparseableError) unparseable++;
        else failures.push(`#${i} ${src.name}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
      }
    }
    expect(failures).toEqual([]);
    // (most damage leaves a readable message: the sample exercises the readers, not only the gate)
    expect(parsed).toBeGreaterThan(RUNS * 0.9);
    expect(parsed + unparseable).toBe(RUNS);
  });
});

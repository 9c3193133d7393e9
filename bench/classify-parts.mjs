#!/usr/bin/env node
// Where `bounced classify`'s CPU goes, part by part, in one process on messages held in memory
// (no file reading, no output, no start-up, warm): the MIME read (readMail), the whole parse
// (the MIME read and the detectors), the classifier on the parsed reports, and the records as the
// command makes them (recordsFor: parse, classify, records). µs of CPU a message, the median of
// the passes after two discarded ones. Run it on two builds to compare them part by part
// (`--dist` another tree's dist/, built with `npm run build` or `npx tsc`); the bench of record
// for the command as a user runs it is classify.mjs.
//
//   node bench/classify-parts.mjs [--dist DIR] [--passes 12]
//
// Messages: the public corpus (../shared/corpus/public/maildir, its three line-end copies),
// read in place and only timed: nothing of a message is printed.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listFiles, parseArgs } from './lib/common.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = parseArgs();
const dist = resolve(String(args.dist ?? join(ROOT, 'dist')));
const passes = Math.max(4, Number(args.passes ?? 12));
const corpus = join(ROOT, '..', 'shared', 'corpus', 'public', 'maildir');
if (!existsSync(join(dist, 'commands', 'classify.js'))) {
  console.error(`${dist}/commands/classify.js not found: build first`);
  process.exit(2);
}
if (!existsSync(corpus)) {
  console.log(`skipped: no public corpus at ${corpus}`);
  process.exit(0);
}
const { readMail } = await import(join(dist, 'parser', 'mime', 'read-mail.js'));
const { parseMessageSync } = await import(join(dist, 'parser', 'index.js'));
const { classify } = await import(join(dist, 'classifier', 'index.js'));
const { recordsFor } = await import(join(dist, 'commands', 'classify.js'));

const files = listFiles(corpus).map((f) => readFileSync(f));
const tryParse = (b) => {
  try {
    return parseMessageSync(b);
  } catch {
    return null;
  }
};
const reports = files.map(tryParse).filter(Boolean);

/** CPU µs of each pass of `fn`, the first two dropped, sorted. */
function cpu(fn) {
  const out = [];
  for (let k = 0; k < passes + 2; k++) {
    const t0 = process.cpuUsage();
    fn();
    const t = process.cpuUsage(t0);
    if (k >= 2) out.push(t.user + t.system);
  }
  return out.sort((a, b) => a - b);
}
const median = (a) => a[a.length >> 1];
const perMessage = (a, n) => (median(a) / n).toFixed(1);

const read = cpu(() => {
  for (const b of files) {
    try {
      readMail(b);
    } catch {
      /* not a mail message: the parse says so too */
    }
  }
});
const parse = cpu(() => {
  for (const b of files) tryParse(b);
});
const cls = cpu(() => {
  for (const r of reports) classify(r);
});
const records = cpu(() => {
  for (const b of files) recordsFor('m', b, false);
});
const n = files.length;
console.log(`${dist}: ${n} messages, ${passes} passes, µs of CPU a message (median)`);
console.log(`  MIME read (readMail)        ${perMessage(read, n)}`);
console.log(`  parse (read + detectors)    ${perMessage(parse, n)}   detectors and the rest: ${((median(parse) - median(read)) / n).toFixed(1)}`);
console.log(`  classify (parsed reports)   ${perMessage(cls, reports.length)}`);
console.log(`  recordsFor (the command's)  ${perMessage(records, n)}`);

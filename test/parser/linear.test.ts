// Linear time on anything a stranger sends (issue #14 §1). Each case builds generated inputs of
// doubling size (long runs without separators, many addresses on one line, many recipients,
// deep nesting, many and long header lines, many encoded words ...) and feeds them to one
// detector through parseMessageSync, or straight to a hot helper. The case fails when time
// grows faster than about x2.5 per doubling: the slope of log(time) over log(size), fitted over
// five sizes (four doublings) from the median of several runs each, must stay under
// log2(2.5). Linear code fits at about 1, quadratic code at 2. A run that takes longer than
// RUN_BUDGET_MS stops the case at once: no linear path comes near it at these sizes.
//
// This is a growth-rate test, not a speed target: times are CPU times, a run repeats the call
// until the smallest size takes about MIN_MS, so the figures hold on a fast or a slow (shared)
// machine.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { withoutHostNames } from '../../src/host-name.js';
import { classify, decide } from '../../src/classifier/index.js';
import { normaliseText } from '../../src/classifier/phrase.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { decodeHeaderValue, htmlToText, readMail, unflow } from '../../src/parser/mime.js';
import { unquoteBlocks } from '../../src/parser/mime/quoted.js';
import { parseLogLine, readStatus } from '../../src/logtail/parse.js';
import { sendmailOwnText } from '../../src/parser/detectors/fallback.js';
import { splitEntity } from '../../src/parser/mime/headers.js';
import { withoutLinkWrappers } from '../../src/parser/mime/link-wrappers.js';
import { findAddresses, findReplyStatus, findStatusCode, mailboxesNamed, normalizeAddress, transcriptRefusedRcpts } from '../../src/parser/smtp-text.js';
import { dsn, returnedTo, statusBody, textNdr, type DsnRecipient } from '../helpers/ndr-builders.js';

// A collection before each round of runs, so that a run does not pay for the garbage of the
// case before (the heap grows with the sizes measured). V8 exposes `gc` to a new context once
// the flag is set.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

const DOUBLINGS = 4;
/** A timed run repeats the call until the smallest size takes at least this long (CPU time). */
const MIN_MS = 2;
/** Rounds over all sizes; the median of a size's runs is its time. */
const ROUNDS = 5;
const RUN_BUDGET_MS = 1_500;
const MAX_SLOPE = Math.log2(2.5);

interface Growth {
  sizes: number[];
  medians: number[];
  slope: number;
  /** Calls per timed run. */
  reps: number;
  /** Why the case stopped early, when it did. */
  aborted: string | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Least-squares slope of log2(time) over log2(size). */
function slopeOf(sizes: number[], times: number[]): number {
  const xs = sizes.map(Math.log2);
  const ys = times.map((t) => Math.log2(Math.max(t, 1e-3)));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return num / den;
}

/**
 * One timed run of `reps` calls: the CPU time of the process (ms), not the wall clock, so that
 * other processes competing for the cores (the test machines run several suites at once) do
 * not count.
 */
function timeOnce<T>(input: T, run: (x: T) => unknown, reps: number): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) run(input);
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

/**
 * Times `run` on inputs of sizes n0, 2·n0, ... 16·n0. The sizes are the caller's: a detector
 * reads a bounded prefix of the text (50-200 kB), and its growth only shows below that bound,
 * so each case keeps its largest input under it. Short runs are repeated (`reps`, the same for
 * every size) so that the smallest size is timed above clock and scheduling noise.
 */
async function growth<T>(make: (n: number) => T | Promise<T>, run: (x: T) => unknown, n0: number): Promise<Growth> {
  const sizes = Array.from({ length: DOUBLINGS + 1 }, (_, k) => n0 * 2 ** k);
  const inputs: T[] = [];
  for (const size of sizes) inputs.push(await make(size));
  // warm up the JIT on the smallest input, then find how many calls make a run of MIN_MS
  run(inputs[0]);
  let reps = 1;
  for (let k = 0; k < 12; k++) {
    collect();
    // the least of three: the first runs still pay for compiling
    const t = Math.min(timeOnce(inputs[0], run, reps), timeOnce(inputs[0], run, reps), timeOnce(inputs[0], run, reps));
    if (t >= MIN_MS || t * 16 > RUN_BUDGET_MS) break;
    reps *= 2;
  }
  // rounds over the sizes, smallest first: a burst of load on the machine then falls on every
  // size alike instead of on one of them
  const times: number[][] = sizes.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    collect();
    for (let k = 0; k < sizes.length; k++) {
      const t = timeOnce(inputs[k], run, reps);
      times[k].push(t);
      if (t > RUN_BUDGET_MS) {
        const medians = times.slice(0, k + 1).map((ts) => median(ts));
        const slope = k ? slopeOf(sizes.slice(0, k + 1), medians) : Infinity;
        return { sizes: sizes.slice(0, k + 1), medians, slope, reps, aborted: `size ${sizes[k]} took ${t.toFixed(0)} ms` };
      }
    }
  }
  const medians = times.map((ts) => median(ts));
  return { sizes, medians, slope: slopeOf(sizes, medians), reps, aborted: null };
}

function describeGrowth(g: Growth): string {
  const ratios = g.medians.slice(1).map((t, i) => (t / g.medians[i]).toFixed(2));
  return `sizes ${g.sizes.join(', ')} (x${g.reps}); median ms ${g.medians.map((t) => t.toFixed(2)).join(', ')}; ratios ${ratios.join(', ')}; slope ${g.slope.toFixed(2)}${g.aborted ? `; stopped: ${g.aborted}` : ''}`;
}

async function expectLinear<T>(make: (n: number) => T | Promise<T>, run: (x: T) => unknown, n0: number): Promise<void> {
  let g = await growth(make, run, n0);
  // a shared machine is noisy: a case that fails is measured once more and the better of the
  // two taken (a super-linear path fails both times; a stray pause of the machine does not)
  if (!g.aborted && g.slope > MAX_SLOPE) {
    const again = await growth(make, run, n0);
    if (!again.aborted && again.slope < g.slope) g = again;
  }
  const summary = describeGrowth(g);
  if (process.env.LINEAR_REPORT) console.log(`${expect.getState().currentTestName}: ${summary}`);
  expect(g.aborted, summary).toBeNull();
  expect(g.slope, summary).toBeLessThanOrEqual(MAX_SLOPE);
}

const parse = (raw: Buffer) => parseMessageSync(raw);

/** `n` distinct addresses. */
const addrs = (n: number, domain = 'example.com') => Array.from({ length: n }, (_, i) => `user${i}@d${i % 97}.${domain}`);

const POSTMASTER = { from: 'MAILER-DAEMON@mta.test (Mail Delivery System)', subject: 'Undelivered Mail Returned to Sender' };

// ---------------------------------------------------------------------------------------------

describe('hot helpers grow linearly', () => {
  it('withoutLinkWrappers: many wrapped links, and a wrapper-like run with no parameter end (round 29)', async () => {
    await expectLinear(
      (n) => ('https://a.safelinks.protection.outlook.com/?' + 'x&'.repeat(100) + ' https://urldefense.proofpoint.com/v2/url?u=https-3A__a' + '-2D'.repeat(100) + '&e=. ').repeat(n),
      withoutLinkWrappers,
      100,
    );
  });
  it('withoutHostNames: a long dotted word, many host names, a long run of hyphens', async () => {
    await expectLinear((n) => 'a.'.repeat(n) + 'org', withoutHostNames, 2_000);
    await expectLinear((n) => 'mx.example.org '.repeat(n), withoutHostNames, 1_000);
    await expectLinear((n) => 'a' + '-'.repeat(n) + '.org', withoutHostNames, 2_000);
  });
  it('splitEntity with lost folds: lines without a colon between fields, long ones, and no field after them (round 30)', async () => {
    // (each line that is no field looks a few lines ahead for the block going on)
    await expectLinear((n) => 'X-A: v\n' + 'folded part of a value\n'.repeat(7).concat('X-B: w\n').repeat(n) + 'b='.repeat(n * 10) + '\n' + 'no field here\n'.repeat(n) + '\nbody', (s) => splitEntity(s, false, true), 200);
  });
  it('the classifier\'s phrase matching: many near-miss words (moved from test/classifier/rules.test.ts, a bare timer)', async () => {
    await expectLinear((n) => ('mailbox ' + 'a'.repeat(39) + ' ').repeat(n), (text) => decide({ text: normaliseText(text), status: null }), 400);
  });
  it('normalizeAddress: a long run without "@" and one blank', async () => {
    await expectLinear((n) => 'x'.repeat(n) + ' y', normalizeAddress, 2_000);
  });
  it('normalizeAddress: "<" then many "@" and no ">"', async () => {
    await expectLinear((n) => '<' + 'a@'.repeat(n), normalizeAddress, 1_000);
  });
  it('normalizeAddress: a run of closing punctuation that does not end the value', async () => {
    await expectLinear((n) => 'a@b.example' + ').'.repeat(n) + 'x y', normalizeAddress, 1_000);
  });
  it('normalizeAddress: an opening quote, then a long run of escaped characters', async () => {
    await expectLinear((n) => 'rfc822; "' + '\\a'.repeat(n) + '@example.org', normalizeAddress, 1_000);
  });
  it('findAddresses: many distinct addresses', async () => {
    await expectLinear((n) => addrs(n).join(', '), findAddresses, 500);
  });
  it('transcriptRefusedRcpts: many RCPT lines, answered or not, and one long unanswered line', async () => {
    await expectLinear((n) => ' >>> RCPT TO:<a@b.example> X\n <<< 550 no\n>>> RCPT TO:<c@d.example>\n'.repeat(n) + '>>> RCPT TO:<' + 'x'.repeat(n * 10), transcriptRefusedRcpts, 500);
  });
  it('findAddresses: many quoted local parts, closed and unclosed, in one line', async () => {
    await expectLinear((n) => '"a b"@example.com x"@y.org "'.repeat(n) + '"@z.org', findAddresses, 500);
  });
  it('findAddresses: a long run of dots and quotes inside a local part', async () => {
    await expectLinear((n) => 'a' + ".'-".repeat(n) + 'b@example.com', findAddresses, 1_000);
  });
  it('mailboxesNamed: many addresses, each after help, sender or new-address words, and long runs between them', async () => {
    // (each address reads a bounded look-back: the words since the previous address)
    await expectLinear((n) => addrs(n).map((a, i) => ['contact ', 'mail from ', 'please try <', ', '][i % 4] + a + (i % 5 ? '' : ' ' + 'x,'.repeat(200))).join(' '), mailboxesNamed, 300);
  });
  it('mailboxesNamed: one address after a long run without a clause separator', async () => {
    await expectLinear((n) => 'please write to ' + 'word '.repeat(n) + 'a@b.example', mailboxesNamed, 2_000);
  });
  it('findStatusCode: many distinct status codes', async () => {
    await expectLinear((n) => Array.from({ length: n }, (_, i) => `5.${i % 1000}.${(i / 1000) | 0}`).join(' '), findStatusCode, 1_000);
  });
  it('findReplyStatus: a long run of digits and dots after a reply', async () => {
    await expectLinear((n) => '550 5.1.1' + '.1'.repeat(n), findReplyStatus, 2_000);
  });
  it('decodeHeaderValue: many encoded words', async () => {
    await expectLinear((n) => '=?utf-8?B?w6TDtsO8?= =?iso-8859-1?Q?caf=E9?= '.repeat(n), decodeHeaderValue, 200);
  });
  it('htmlToText: many tags, and many "<" without ">"', async () => {
    await expectLinear((n) => '<p>a <b>b</b></p><br>'.repeat(n) + '<'.repeat(n) + '<script>'.repeat(n), htmlToText, 200);
  });
  it('htmlToText: many <pre> blocks, many "<pre" without "</pre", runs of white space and &nbsp;', async () => {
    await expectLinear((n) => '<pre>a\n  b</pre>\n\n'.repeat(n) + '<pre>'.repeat(n) + ' \n\t'.repeat(n) + '&nbsp;'.repeat(n), htmlToText, 200);
  });
  it('unquoteBlocks: a long quoted block three levels deep, many short runs of ">" lines, and ">>> " transcript lines', async () => {
    await expectLinear((n) => '> > > a quoted line\n'.repeat(n) + 'x\n> a\n> b\nx\n'.repeat(n) + '>>> RCPT To:<a@b.example>\n'.repeat(n), unquoteBlocks, 200);
  });
  it('unflow: many soft line breaks, quote marks and stuffed lines (RFC 3676)', async () => {
    await expectLinear((n) => 'a soft line \n>> quoted \n stuffed \n'.repeat(n) + 'x '.repeat(n), (t: string) => unflow(t, true), 500);
  });
});

describe('the MIME layer grows linearly', () => {
  const dsnOf = (text: string, headers: Record<string, string> = {}) =>
    dsn({ ...POSTMASTER, headers, text, recipients: [{ final: 'kijitora@example.jp', diagnostic: '550 5.1.1 User unknown' }] });

  it('deep multipart nesting', async () => {
    await expectLinear((n) => {
      let body = 'Content-Type: text/plain\n\nUser unknown: kijitora@example.jp\n';
      for (let i = 0; i < n; i++) body = `Content-Type: multipart/mixed; boundary="b${i}"\n\n--b${i}\n${body}\n--b${i}--\n`;
      return Buffer.from(`From: MAILER-DAEMON@mta.test\nSubject: Undelivered Mail\nMIME-Version: 1.0\n${body}`);
    }, parse, 16);
  });
  it('many header lines', async () => {
    const base = dsnOf('failed');
    await expectLinear(async (n) => {
      const fields = Array.from({ length: n }, (_, i) => `X-Trace-${i}: hop ${i} by relay${i}.example.net\n`).join('');
      return Buffer.concat([Buffer.from(fields), await base]);
    }, parse, 200);
  });
  it('one long, folded header line (Received)', async () => {
    await expectLinear(async (n) => {
      const raw = (await dsnOf('failed')).toString('latin1');
      return Buffer.from(`Received: from relay.example.net${'\n  by relay.example.net (x) with ESMTP id abc'.repeat(n)}\n` + raw, 'latin1');
    }, parse, 200);
  });
  it('header lines read in place: a long field name without a colon, long blank-looking lines', async () => {
    // splitEntity scans each line in the message string (fieldColon, blankLine): a name run
    // that never reaches a colon, and lines of blanks that end in one printable character
    await expectLinear(async (n) => {
      const raw = (await dsnOf('failed')).toString('latin1');
      const lines = `X-A: 1\n${' '.repeat(n)}x\n${'\t '.repeat(n)}y\n`;
      return Buffer.from(lines + `${'N'.repeat(n)} \t\n` + raw, 'latin1');
    }, parse, 2000);
  });
  it('many encoded words in a Subject', async () => {
    await expectLinear(async (n) => {
      const raw = (await dsnOf('failed')).toString('latin1');
      return Buffer.from(`Subject: ${'=?utf-8?B?w6TDtsO8?= '.repeat(n)}\n` + raw, 'latin1');
    }, parse, 200);
  });
  it('many MIME parts', async () => {
    await expectLinear((n) => {
      const parts = Array.from({ length: n }, (_, i) => `--p\nContent-Type: text/plain\n\npart ${i}\n`).join('');
      return Buffer.from(`From: MAILER-DAEMON@mta.test\nSubject: Undelivered Mail\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=p\n\n${parts}--p--\n`);
    }, parse, 100);
  });
  it('a pasted header block whose lines start with a long indent', async () => {
    await expectLinear(
      (n) => textNdr({ ...POSTMASTER, text: `Delivery to kijitora@example.jp failed.\n\n${' '.repeat(n)}>From: a@example.net\n${' '.repeat(n)}>To: b@example.net\n${' '.repeat(n)}>Subject: x\n` }),
      parse,
      2_000,
    );
  });
  it('an HTML-only notice with many tags', async () => {
    await expectLinear((n) => textNdr({ ...POSTMASTER, html: true, text: '<p>Delivery to <b>kijitora@example.jp</b> failed: 550 5.1.1 User unknown</p>\n'.repeat(n) }), parse, 50);
  });
  it('a quoted-printable and a base64 body', async () => {
    await expectLinear((n) => {
      const qp = 'Delivery failed =\n'.repeat(n) + '=3D\n';
      const b64 = Buffer.from('kijitora@example.jp: 550 5.1.1 User unknown\n'.repeat(n)).toString('base64').replace(/.{76}/g, '$&\n');
      return Buffer.from(
        `From: MAILER-DAEMON@mta.test\nSubject: Undelivered Mail\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=p\n\n--p\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n${qp}\n--p\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${b64}\n--p--\n`,
      );
    }, parse, 200);
  });
  it('a base64 body with CRLF line breaks, a flowed part, and many HTML parts beside a plain one', async () => {
    await expectLinear((n) => {
      const b64 = Buffer.from('kijitora@example.jp: 550 5.1.1 User unknown\r\n'.repeat(n)).toString('base64').replace(/.{76}/g, '$&\n');
      const flowed = 'kijitora@example.jp: host mx.example.jp said: 550 \n 5.1.1 User \nunknown\n'.repeat(n);
      const html = `--p\nContent-Type: text/html\n\n<p>Delivery to<br>\n&nbsp;&nbsp;a${n}@example.jp failed</p>\n`.repeat(Math.max(1, n >> 4));
      return Buffer.from(
        `From: MAILER-DAEMON@mta.test\nSubject: Undelivered Mail\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=p\n\n--p\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${b64}\n--p\nContent-Type: text/plain; format=flowed; delsp=yes\n\n${flowed}\n${html}--p--\n`,
      );
    }, parse, 100);
  });
});

describe('each detector grows linearly', () => {
  // --- RFC 3464 -------------------------------------------------------------------------------
  it('rfc3464: a Final-Recipient holding a long run without "@" and one blank', async () => {
    await expectLinear((n) => dsn({ ...POSTMASTER, text: 'failed', recipients: [{ final: 'x'.repeat(n) + ' y', diagnostic: '550 5.1.1 unknown' }] }), parse, 2_000);
  });
  it('rfc3464: the returned message\'s Return-Path holding a long run without "@" and one blank', async () => {
    await expectLinear(
      (n) =>
        dsn({
          ...POSTMASTER,
          text: 'failed',
          recipients: [{ final: 'kijitora@example.jp', diagnostic: '550 5.1.1 unknown' }],
          returned: { headers: [`Return-Path: ${'r'.repeat(n)} s`, 'From: a@example.net', 'Subject: x', 'Message-ID: <m@example.net>'], body: 'hi\n' },
        }),
      parse,
      2_000,
    );
  });
  const many = (n: number, diagnostic: boolean, listed: boolean) =>
    dsn({
      ...POSTMASTER,
      text:
        'This is the mail system at host mta.test.\n\n' +
        (listed
          ? addrs(n).map((a) => `<${a}>: host mx.example.com said: 550 5.1.1 User unknown (in reply to RCPT TO command)\n`).join('\n')
          : 'Your message could not be delivered to one or more recipients. Please contact your system administrator.\n'.repeat(n)),
      recipients: addrs(n).map((a): DsnRecipient => ({ final: a, original: a, ...(diagnostic ? { diagnostic: `550 5.1.1 <${a}>: User unknown` } : {}) })),
    });
  it('rfc3464: many recipients without Diagnostic-Code, listed in the prose', async () => {
    await expectLinear((n) => many(n, false, true), parse, 50);
  });
  it('rfc3464: many recipients without Diagnostic-Code, not in the prose', async () => {
    await expectLinear((n) => many(n, false, false), parse, 50);
  });
  it('rfc3464: many recipients with Diagnostic-Code', async () => {
    await expectLinear((n) => many(n, true, true), parse, 50);
  });
  it('rfc3464: many recipients on one long line of prose', async () => {
    await expectLinear(
      (n) => dsn({ ...POSTMASTER, text: `Delivery failed for: ${addrs(n).join(' ')}\n`, recipients: addrs(n).map((a) => ({ final: a })) }),
      parse,
      50,
    );
  });
  it('rfc3464: many blocks without a recipient before the first one', async () => {
    await expectLinear(
      (n) => {
        const pre = Array.from({ length: n }, (_, i) => `X-Field-${i}: v`).join('\n\n');
        return dsn({ ...POSTMASTER, text: 'failed', recipients: [], status: `Reporting-MTA: dns; mta.test\n\n${pre}\n\nFinal-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1\n` });
      },
      parse,
      100,
    );
  });
  it('sendmail: many recipients without Diagnostic-Code and a long transcript', async () => {
    await expectLinear(
      (n) =>
        dsn({
          ...POSTMASTER,
          text:
            'The original message was received at Mon, 23 Nov 2026 from localhost\n\n   ----- The following addresses had permanent fatal errors -----\n' +
            addrs(n).map((a) => `<${a}>`).join('\n') +
            '\n\n   ----- Transcript of session follows -----\n' +
            addrs(n).map((a) => `... while talking to mx.example.com.:\n>>> RCPT To:<${a}>\n<<< 550 5.1.1 <${a}>... User unknown\n`).join(''),
          recipients: addrs(n).map((a) => ({ final: a })),
        }),
      parse,
      10,
    );
  });

  // --- the generic fallback -------------------------------------------------------------------
  it('fallback: many addresses on one line', async () => {
    await expectLinear((n) => textNdr({ ...POSTMASTER, text: `Delivery to these recipients failed: ${addrs(n).join(', ')}: 550 5.1.1 User unknown\n` }), parse, 400);
  });
  it('fallback: a list of addresses running on over many lines, each ending in a joiner (round 29)', async () => {
    await expectLinear((n) => textNdr({ ...POSTMASTER, text: `These recipients failed:\n${addrs(n).join(',\n')}: 550 5.1.1 User unknown\n` }), parse, 250);
  });
  it('fallback: a list of addresses running on over many lines, each next line opening with a joiner (round 29)', async () => {
    await expectLinear((n) => textNdr({ ...POSTMASTER, text: `These recipients failed:\n${addrs(n).join('\nand ')}: 550 5.1.1 User unknown\n` }), parse, 250);
  });
  it('fallback: a help sentence carried over many address lines (round 29)', async () => {
    await expectLinear(
      (n) => textNdr({ ...POSTMASTER, text: 'Delivery failed.\nIf you need help, please contact our help desk at\n' + addrs(n).map((a) => `${a}\nor see https://help.example.net (ticket\n`).join('') + 'x@example.org: 550 5.1.1 User unknown\n' }),
      parse,
      200,
    );
  });
  it('fallback: many addresses on one line, each with its own reason in brackets', async () => {
    await expectLinear((n) => textNdr({ ...POSTMASTER, text: `Delivery failed for ${addrs(n).map((a) => `${a} (550 5.1.1 unknown user (x))`).join('; ')}.\n` }), parse, 300);
  });
  it('fallback: many address lines, each with its failure', async () => {
    await expectLinear((n) => textNdr({ ...POSTMASTER, text: addrs(n).map((a) => `${a}: 550 5.1.1 User unknown\n`).join('') }), parse, 250);
  });
  it('fallback: many Sendmail V5 lines without a remote reply', async () => {
    await expectLinear((n) => textNdr({ ...POSTMASTER, text: addrs(n).map((a) => `554 <${a}>... Remote protocol error\n`).join('') }), parse, 200);
  });
  it('fallback: a long bare list under a heading, with display names', async () => {
    await expectLinear(
      (n) => textNdr({ ...POSTMASTER, text: '---The following addresses had delivery errors---\n\n' + addrs(n).map((a, i) => (i % 2 ? `   * ${a}\n` : `Neko ${i} <${a}>\n`)).join('') }),
      parse,
      200,
    );
  });
  it('fallback: a transcript with many accepted RCPT TO and a failed DATA', async () => {
    await expectLinear(
      (n) => textNdr({ ...POSTMASTER, text: 'Transcript of session follows.\n' + addrs(n).map((a) => ` In:  RCPT TO:<${a}>\n Out: 250 2.1.5 Ok\n`).join('') + ' In:  DATA\n Out: 451 4.3.0 Error: queue file write error\n' }),
      parse,
      100,
    );
  });
  it('fallback: many stamped transcript sessions (MDaemon "*  To:" summaries, "-->"/"<--" lines), each accepted, and a long stamped run', async () => {
    const st = 'Sat 2026-12-05 11:20:46: ';
    await expectLinear(
      (n) =>
        textNdr({
          from: '"MDaemon at mta.test" <MDaemon@mta.test>',
          subject: 'Permanent Delivery Failure',
          text:
            'The attached message had PERMANENT fatal delivery errors.\n\n--- Session Transcript ---\n' +
            addrs(n).map((a) => `${st}*  To: ${a}\n${st}--> RCPT To:<${a}>\n${st}<-- 250 2.1.5 Ok\n${st}--> DATA\n${st}<-- 250 2.0.0 Ok\n`).join('') +
            `${st}*  To: last@example.org\n` +
            `${st}<-- ${'4'.repeat(n * 10)}\n`.repeat(70) +
            '--- End Transcript ---\n',
        }),
      parse,
      100,
    );
  });
  it('fallback: many help and sender lines naming addresses', async () => {
    await expectLinear(
      (n) => textNdr({ ...POSTMASTER, text: 'Delivery failed.\n' + addrs(n).map((a, i) => (i % 2 ? `For help contact ${a} or visit https://help.example.net\n` : `The server is not accepting mail from ${a}.\n`)).join('') }),
      parse,
      200,
    );
  });
  it('fallback: many addresses on one line before a long reply with help wording', async () => {
    await expectLinear(
      (n) => textNdr({ ...POSTMASTER, text: `Delivery to these recipients failed: ${addrs(n).join(', ')}: 552-5.3.4 ${'For more information, go to https://support.example.com/x '.repeat(n)}\n` }),
      parse,
      200,
    );
  });
  it('fallback: many Notes entries, each under its own reason line (the reason above the address)', async () => {
    await expectLinear(
      (n) => textNdr({ from: 'Postmaster <postmaster@notes.test>', subject: 'Undeliverable message', text: '------- Failure Reasons  --------\n\n' + addrs(n).map((a, i) => (i % 3 ? `${a}\n` : `User not listed in public Name & Address Book\n${a}\n`)).join('') }),
      parse,
      200,
    );
  });
  it('fallback: a long bare list, each address named again later in its own reply (X3 technical details)', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          ...POSTMASTER,
          text: 'Delivery to the following recipients failed permanently:\n\n' + addrs(n).map((a) => `  * ${a}\n`).join('') + '\nTechnical details:\n\n' + addrs(n).map((a) => `SMTP:RCPT host 192.0.2.8: 553 5.3.0 <${a}>... No such user here\n`).join(''),
        }),
      parse,
      150,
    );
  });
  it('fallback: a long bare list named again many times without a reply, and one reply naming another address', async () => {
    await expectLinear(
      (n) => textNdr({ ...POSTMASTER, text: 'The following addresses failed:\n' + addrs(n).map((a) => `${a}\n`).join('') + '\n' + addrs(n).map((a) => `See ${a}.\n`).join('') + '550 5.1.1 unknown user <other@example.org>\n' }),
      parse,
      150,
    );
  });
  it('fallback: many program entries, each with its "(expanded from: <a>)" line', async () => {
    await expectLinear(
      (n) => textNdr({ ...POSTMASTER, text: '   ----- The following addresses had permanent fatal errors -----\n' + addrs(n).map((a, i) => `"|/usr/bin/deliver ${i}"\n    (reason: 255)\n    (expanded from: <${a}>)\n`).join('') + '\n554 5.3.0 unknown mailer error 255\n' }),
      parse,
      150,
    );
  });
  it('fallback: a long indented list, entries back to back, each with its error below (Exim layout)', async () => {
    await expectLinear(
      (n) => textNdr({ ...POSTMASTER, text: 'Die folgenden Adressen sind fehlgeschlagen:\n\n' + addrs(n).map((a, i) => (i % 3 ? `  ${a}\n    host mx.example.net [192.0.2.1]: 550 5.1.1 <${a}>... User unknown\n` : `  ${a},\n`)).join('') }),
      parse,
      150,
    );
  });
  // (round 27) addresses named only on a transcript's reply lines: with no entry of the report's
  // own beside them they stay, and with one they go (each reply line looks back for its entry)
  for (const entry of ['', '<kijitora@example.jp>\n']) {
    it(`fallback: a transcript of many reply lines, each naming another address, ${entry ? 'below one list entry' : 'and no entry'}`, async () => {
      await expectLinear(
        (n) => textNdr({ ...POSTMASTER, text: `   ----- The following addresses had permanent fatal errors -----\n${entry}\n   ----- Transcript of session follows -----\n>>> DATA\n` + addrs(n).map((a) => `<<< 550 5.1.1 <${a}>... User unknown\n`).join('') }),
        parse,
        150,
      );
    });
  }
  it('fallback: many entries, each with its reply wrapped onto the next line naming another address', async () => {
    await expectLinear(
      (n) => textNdr({ ...POSTMASTER, text: addrs(n).map((a, i) => `<${a}>: host mx.example.net[192.0.2.1] said: 550 5.1.1\n    <alias${i}@mail.example.net>: Recipient address rejected\n\n`).join('') }),
      parse,
      150,
    );
  });
  it('fallback: a line of many "@" signs and dots', async () => {
    await expectLinear((n) => textNdr({ ...POSTMASTER, text: `Delivery failed: ${'a@b.'.repeat(n)}\n` }), parse, 3_000);
  });

  // --- family detectors -----------------------------------------------------------------------
  it('exim: many address blocks, and many bare local parts with X-Failed-Recipients', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Mail Delivery System <Mailer-Daemon@mta.test>',
          subject: 'Mail delivery failed: returning message to sender',
          headers: { 'X-Failed-Recipients': addrs(n).join(', ') },
          text:
            'This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n' +
            addrs(n)
              .map((a, i) => (i % 2 ? `  ${a}\n    SMTP error from remote mail server after RCPT TO:<${a}>:\n    host mx.example.com [192.0.2.1]: 550 5.1.1 User unknown\n` : `  ${a.split('@')[0]}\n    unknown local part\n`))
              .join('\n'),
        }),
      parse,
      70,
    );
  });
  it('nullmailer: a shared reply that names many addresses in other roles', async () => {
    await expectLinear(
      (n) => {
        const reply = `550 5.1.1 <${addrs(1)[0]}>: Recipient address rejected; ` + addrs(n, 'example.org').map((a) => `please write to ${a}`).join(', ');
        return dsn({
          from: 'Mail Delivery System <MAILER-DAEMON@nm.test>',
          subject: 'Returned mail: Could not send message',
          text: 'This is the nullmailer delivery system.  The message attached below\ncould not be delivered to one or more of the intended recipients:\n',
          recipients: addrs(2).map((a) => ({ final: a, action: 'failed', status: '5.1.1', diagnostic: `SMTP; ${reply}` })),
        });
      },
      parse,
      200,
    );
  });
  it('exim: an address line of a long run of blanks before a U+2028', async () => {
    // `.*` stops at a U+2028 (a JS line terminator, left in a decoded line), and the blanks
    // before it were tried split every way between the message and the trailing blanks
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Mail Delivery System <Mailer-Daemon@mta.test>',
          subject: 'Mail delivery failed: returning message to sender',
          text:
            'This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n' +
            `  kijitora@example.jp: x${' '.repeat(n)}\u2028x\n    host mx.example.com [192.0.2.1]: 550 5.1.1 User unknown\n`,
        }),
      parse,
      2_000,
    );
  });
  it('qmail: many blocks, and an address line of many "@" without ">"', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          subject: 'failure notice',
          text:
            "Hi. This is the qmail-send program at mta.test.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n" +
            addrs(n).map((a) => `<${a}>:\n192.0.2.1 does not like recipient.\nRemote host said: 550 5.1.1 User unknown\nGiving up on 192.0.2.1.\n`).join('\n') +
            `\n<${'a@'.repeat(n * 20)}\n`,
        }),
      parse,
      40,
    );
  });
  it('qmail clones (lhost5): many clone openings and blocks, an opening\'s words run on without a line start', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          subject: 'Failure Notice',
          text:
            'x Unfortunately, your mail was not delivered to the following address'.repeat(n) +
            '\nSorry, we were unable to deliver your message to the following address.\n\n' +
            addrs(n).map((a) => `<${a}>:\nRemote host said: 550 5.1.1 User unknown\n`).join('\n') +
            'Su mensaje no pudo ser entregado\n'.repeat(n),
        }),
      parse,
      40,
    );
  });
  it('mimecast (lhost5): many "-- " address and text lines, a long "-- " line of spaces, many "@" in one token', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          subject: '[Postmaster] Email Delivery Failure',
          text:
            'An email that you attempted to send to the following address could not be delivered:\n' +
            addrs(n).map((a) => `-- ${a}\n`).join('') +
            '-- Recipient email address is possibly incorrect\n'.repeat(n) +
            `-- 550 5.1.1${' '.repeat(n * 20)}x\n` +
            `-- ${'a@'.repeat(n * 20)}\n`,
        }),
      parse,
      40,
    );
  });
  it('exchange2007: many recipients, a reply line with a long blank run, "<mailto:" without ">"', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@example.com>',
          subject: 'Undeliverable: Newsletter',
          text:
            'Delivery has failed to these recipients or groups:\n\n' +
            addrs(n).map((a) => `Neko<mailto:${a}>\nThe e-mail address you entered couldn't be found.\n`).join('\n') +
            '\n\nDiagnostic information for administrators:\n\nGenerating server: mta.example.com\n\n' +
            addrs(n).map((a) => `${a}\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n`).join('\n') +
            `\nkijitora@example.jp\n#550 5.1.1 not found${' '.repeat(n * 20)}x ##\n` +
            `\nkijitora@example.jp\nRemote Server returned '${"returned '".repeat(n)}\n` +
            '<mailto:'.repeat(n) +
            '\n',
        }),
      parse,
      30,
    );
  });
  it('exchange2003: many recipients', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'System Administrator <postmaster@example.com>',
          subject: 'Undeliverable: Newsletter',
          headers: { 'X-MS-Embedded-Report': '' },
          text:
            'Your message\n\n  To:      kijitora@example.jp\n  Subject: Newsletter\n\ndid not reach the following recipient(s):\n\n' +
            addrs(n).map((a) => `${a} on Thu, 29 Apr 2007 16:51:51 -0500\n    The recipient name is not recognized\n    MSEXCH:IMS:KIJITORA CAT:EXAMPLE:EXCHANGE 0 (000C05A6) Unknown Recipient\n`).join('\n'),
        }),
      parse,
      35,
    );
  });
  it('gmail (classic): many addresses', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
          subject: 'Delivery Status Notification (Failure)',
          text:
            'This is an automatically generated Delivery Status Notification\n\nDelivery to the following recipient failed permanently:\n\n' +
            addrs(n).map((a) => `     ${a}\n`).join('') +
            '\nTechnical details of permanent failure:\nGoogle tried to deliver your message, but it was rejected by the server for the recipient domain example.com by mx.example.com. [192.0.2.1].\n\nThe error that the other server returned was:\n550 5.1.1 User unknown (state 14).\n',
        }),
      parse,
      200,
    );
  });
  it('gmail (current): many X-Failed-Recipients, a long response, "wasn\'t delivered to" many "@"', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
          subject: 'Delivery Status Notification (Failure)',
          headers: { 'X-Failed-Recipients': addrs(n).join(', ') },
          text:
            `** Address not found **\n\nYour message wasn't delivered to ${'a@'.repeat(n * 10)} because the address couldn't be found.\n\nThe response was:\n\n550 5.1.1 ${'The email account that you tried to reach does not exist. '.repeat(n)}\n`,
        }),
      parse,
      75,
    );
  });
  it('domino: many addresses', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Mail Router <postmaster@example.com>',
          subject: 'DELIVERY FAILURE: User kijitora not listed in Domino Directory',
          text: 'Your message\n\n  Subject: Newsletter\n\nwas not delivered to:\n\n' + addrs(n).map((a) => `  ${a}\n`).join('') + '\nbecause:\n\n  User kijitora (kijitora@example.jp) not listed in Domino Directory\n',
        }),
      parse,
      100,
    );
  });
  it('ezweb: many recipients after a long statement', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Postmaster@ezweb.ne.jp',
          subject: 'Mail System Error - Returned Mail',
          text: 'The user(s) account is disabled.\n'.repeat(n) + '\n' + addrs(n, 'ezweb.ne.jp').map((a) => `<${a}>: 550 user unknown (in reply to RCPT TO command)\n`).join(''),
        }),
      parse,
      28,
    );
  });
  it('1&1: many addresses sharing one reason', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Mail Delivery System <mailer-daemon@kundenserver.de>',
          subject: 'Mail delivery failed: returning message to sender',
          text:
            'This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of\nits recipients. This is a permanent error. The following address failed:\n\n' +
            addrs(n).map((a) => `${a}\n`).join('') +
            `\nFor the following reason:\n\n${'Mail size limit exceeded. '.repeat(n)}\n\n--- The header of the original message is following. ---\n`,
        }),
      parse,
      120,
    );
  });
  it('biglobe: many addresses', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'postmaster@biglobe.ne.jp',
          subject: 'Returned mail: User unknown',
          text: '   ----- The following addresses had delivery problems -----\n' + addrs(n).map((a) => `${a}\n`).join('') + `\n   ----- Non-delivered information -----\n${'The number of messages in recipient\'s mailbox exceeded the local limit. '.repeat(n)}\n`,
        }),
      parse,
      30,
    );
  });
  it('amazonses: many bounced recipients', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'no-reply@sns.amazonaws.com',
          subject: 'AWS Notification Message',
          headers: { 'x-amz-sns-message-id': 'abc' },
          text: JSON.stringify({
            notificationType: 'Bounce',
            bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: addrs(n).map((a) => ({ emailAddress: a, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' })) },
            mail: { messageId: 'x', source: 'sender@example.net', destination: addrs(n) },
          }),
        }),
      parse,
      300,
    );
  });
  it('apachejames: many RCPT TO addresses', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          subject: 'Returned mail',
          text: `Error: Invalid user address\n\nError message below:\n550 - Requested action not taken: no such user here\n\nMessage details:\n  Subject: Test\n  MAIL FROM: sender@example.net\n  RCPT TO: ${addrs(n).join(',\n      ')}\n  From: sender@example.net\n`,
        }),
      parse,
      100,
    );
  });
  it('fml: a paragraph of many "@" inside "<" without ">"', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'list-admin@example.org',
          subject: 'Rejected post',
          headers: { 'X-MLServer': 'fml [fml 8.0]' },
          text: `You are not a member of this mailing list <${'a@'.repeat(n)}\n`,
        }),
      parse,
      600,
    );
  });
  it('fml: many lines, each naming a list address', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'list-admin@example.org',
          subject: 'Rejected post',
          headers: { 'X-MLServer': 'fml [fml 8.0]' },
          text: addrs(n).map((a) => `You are not a member of this mailing list <${a}>.`).join('\n') + '\n',
        }),
      parse,
      100,
    );
  });
  it('apachejames: many RCPT TO lines', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          subject: '[BOUNCE]',
          text: `Error message below:\n550 - Requested action not taken: no such user here\n\nMessage details:\n  Subject: Test\n${addrs(n).map((a) => `  RCPT TO: ${a}`).join('\n')}\n  From: sender@example.net\n`,
        }),
      parse,
      100,
    );
  });
  it('messagingserver: many recipient blocks, a long label value of spaces', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          subject: 'Delivery Notification: Delivery has failed',
          text:
            'This report relates to a message you sent with the following header fields:\n\n  To: sender@example.net\n\nYour message cannot be delivered to the following recipients:\n\n' +
            addrs(n).map((a) => `  Recipient address: ${a}\n  Original address: alias-${a}\n  Reason: ${' '.repeat(20)}Remote SMTP server has rejected address${' '.repeat(20)}x\n  Diagnostic code: smtp;550 5.1.1 <${a}>... User Unknown\n  Remote system: dns;mx.example.com (TCP|192.0.2.1|25)\n`).join('\n') +
            `\n  Reason: ${' '.repeat(n * 20)}x\nYour message ${'x '.repeat(n * 10)}\n`,
        }),
      parse,
      100,
    );
  });
  it('imailserver: many cause lines, a long reply', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          subject: 'Undeliverable Mail',
          headers: { 'X-Mailer': '<SMTP32 v8.22>' },
          text: `Body of message generated response:\n552 5.2.2 ${'Mailbox quota exceeded '.repeat(n)}\n\n` + addrs(n).map((a) => `Unknown user: ${a}\nundeliverable to ${a}`).join('\n') + `\nUnknown user:${' '.repeat(n * 10)}x\n`,
        }),
      parse,
      100,
    );
  });
  it('imailserver: many cause lines each with a "Reason:" line below, and a long reason', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          subject: 'Undeliverable Mail',
          text: 'Could not deliver message to the following recipient(s):\n\n' + addrs(n).map((a) => `Failed Recipient: ${a}\nReason: The mailbox is full\nReason: again\n`).join('\n') + `\nFailed Recipient: x@y.example\nReason:${' '.repeat(n * 10)}${'full '.repeat(n * 10)}\n`,
        }),
      parse,
      100,
    );
  });
  it('imailserver: many help and sender lines ("<words>: a@b"), a long run of words before a colon', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          subject: 'Undeliverable Mail',
          headers: { 'X-Mailer': '<SMTP32 v8.22>' },
          text: 'Unknown user: kijitora@example.com\n' + addrs(n).map((a, i) => (i % 2 ? `For assistance please contact: ${a}` : `The mail was sent by: ${a}`)).join('\n') + `\n${'please try from '.repeat(n * 3)}x: a@b.example\n`,
        }),
      parse,
      100,
    );
  });
  it('exim: many prose lines after the list, each pointing to help or the sender above an indented address', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Mail Delivery System <Mailer-Daemon@mta.test>',
          subject: 'Mail delivery failed: returning message to sender',
          text:
            'This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  kijitora@example.jp\n    550 5.1.1 User unknown\n\n' +
            addrs(n)
              .map((a, i) => (i % 2 ? `If you need help, contact the administrators at\n  ${a}\n` : `The message was sent from\n\n  ${a}\n`))
              .join('\n') +
            `${'contact from '.repeat(n * 3)}${' '.repeat(n * 10)}x\n  last@example.jp\n`,
        }),
      parse,
      70,
    );
  });
  it('fml: many paragraphs, each pointing to a command address, and the notice signed by its sender', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'list-admin@example.org',
          subject: 'Rejected post',
          headers: { 'X-MLServer': 'fml [fml 8.0]' },
          text:
            'You are not a member of this mailing list <list@example.org>.\n\n' +
            addrs(n).map((a) => `please send mail with the mail body\n   guide\nto the address\n   <${a}>\n\nThe list administrator <list-admin@example.org>.\n`).join('\n'),
        }),
      parse,
      100,
    );
  });
  it('gmail (with a DSN): many bare reply codes, the text without a matching reply line', async () => {
    await expectLinear(
      (n) =>
        dsn({
          from: 'Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
          subject: 'Delivery Status Notification (Failure)',
          text: `Die Nachricht konnte nicht zugestellt werden.\n\n${'550x '.repeat(n * 10)}\n${addrs(n).map((a) => `  ${a}`).join('\n')}\n`,
          recipients: addrs(n).map((a, i) => ({ final: a, status: '5.0.0', diagnostic: String(500 + (i % 50)) })),
        }),
      parse,
      50,
    );
  });
  it('rfc3464: status fields pasted into an HTML-only report', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          html: true,
          subject: 'Delivery Status Notification (Failure)',
          text: '<html><body>Technical report:<br>\n<br>\n' + addrs(n).map((a) => `Action: failed<br>\nFinal-Recipient: rfc822; ${a}<br>\nStatus: 5.1.1<br>\n<br>\n`).join('') + '</body></html>\n',
        }),
      parse,
      100,
    );
  });
  it('ezweb (KDDI notice): many recipients, a long indented reason', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'no-reply@app.dion.ne.jp',
          subject: 'Mail Delivery Failure',
          text: `Your mail sent on: Fri, 04 Dec 2026 11:04:47 +0900\n${addrs(n).map((a) => `    Could not be delivered to: <${a}>\n    As their mailbox is full.`).join('\n')}\n    ${'x '.repeat(n * 10)}\n    Could not be delivered to: <${'a@'.repeat(n)}\n`,
        }),
      parse,
      100,
    );
  });
  it('exchange2007: a "#550 ... ##" reply cut with "=" on many lines', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Microsoft Exchange <postmaster@exch.example.com>',
          subject: 'Undeliverable: Letter',
          headers: { 'Content-Language': 'en-US' },
          text: 'Delivery has failed to these recipients or groups:\n\nDiagnostic information for administrators:\n\nGenerating server: exch.example.com\n\n' + addrs(n).map((a) => `${a}\n#550 5.2.2 ${'x'.repeat(30)}=\n${'y'.repeat(30)}=\n${'z'.repeat(30)} ##\n`).join('\n') + '\n',
        }),
      parse,
      100,
    );
  });
  it('mailmarshal: many recipients, a long reason', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          subject: 'Undeliverable Mail: "Letter"',
          text: `Your message:\n   From:    sender@example.net\n\nCould not be delivered because of\n\n550 5.1.1 ${'User unknown '.repeat(n)}\n\nThe following recipients were affected:\n${addrs(n).map((a) => `    ${a}`).join('\n')}\n`,
        }),
      parse,
      100,
    );
  });
  it('googlegroups: many X-Failed-Recipients', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
          subject: 'Delivery Status Notification (Failure)',
          headers: { 'X-Failed-Recipients': addrs(n).join(', ') },
          text: "Hello sender@example.net,\n\nWe're writing to let you know that the group you tried to contact may not exist.\n\nIf you have questions visit the Help Center at https://groups.google.com/support/.\n",
        }),
      parse,
      100,
    );
  });
  it('opensmtpd: many "address: error" lines, and one long error', async () => {
    const intro = '    Hi!\n\n    This is the MAILER-DAEMON, please DO NOT REPLY to this email.\n\n    An error has occurred while attempting to deliver a message for\n    the following list of recipients:\n\n';
    await expectLinear(
      (n) =>
        textNdr({
          text: intro + Array.from({ length: n }, (_, i) => `user${i}@example.jp: 550 5.1.1 <user${i}@example.jp>... User Unknown\n`).join('') + `last@example.jp: 550 ${'Mailbox full '.repeat(n)}\n\n    Below is a copy of the original message:\n`,
        }),
      parse,
      150,
    );
  });
  it('dragonfly: a long error text', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          text: `This is the DragonFly Mail Agent v0.13 at df.example.jp.\n\nThere was an error delivering your mail to <kijitora@example.com>.\n\nmx.example.com [192.0.2.25] did not like our RCPT TO:\n552 5.2.2 ${'Mailbox full '.repeat(n)}\n\nMessage headers follow.\n`,
        }),
      parse,
      220,
    );
  });
  it('courier: many recipient blocks, headers without a log between them, long replies', async () => {
    const head = 'This is a delivery status notification from mta.example.jp,\nrunning the Courier mail server, version 1.0.16.\n\nYour message to the following recipients cannot be delivered:\n\n';
    await expectLinear(
      (n) => {
        const rs = addrs(n);
        const blocks = rs.map((a, i) => (i % 3 === 0 ? `<${a}>:\n` : `<${a}>:\n     mx.example.jp [192.0.2.25]:\n >>> RCPT TO:<${a}>\n <<< 550 5.1.1 ${'User unknown '.repeat(i % 7)}\n\n`)).join('');
        return dsn({ ...POSTMASTER, text: head + blocks + `<last@example.jp>:\n >>> DATA\n${' <<< 554 5.7.1 spam\n'.repeat(n)}\n`, recipients: [...rs, 'last@example.jp'].map((final) => ({ final, status: '5.0.0' })) });
      },
      parse,
      60,
    );
  });
  it('mdn-reject: a long reason and many fields', async () => {
    await expectLinear(
      (n) =>
        Buffer.from(
          `From: Postmaster <postmaster@mx.example.jp>\nSubject: Rejected: x\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n--b\nContent-Type: text/plain\n\nYour message to <kijitora@example.jp> was automatically rejected:\n${'I do not accept mail. '.repeat(n)}\n--b\nContent-Type: message/disposition-notification\n\nReporting-UA: mx.example.jp; Dovecot Mail Delivery Agent\n${'X-Field: v\n'.repeat(n)}Final-Recipient: rfc822; kijitora@example.jp\nDisposition: automatic-action/MDN-sent-automatically; deleted\n--b--\n`,
        ),
      parse,
      400,
    );
  });
  it('arf: many Original-Rcpt-To', async () => {
    await expectLinear(
      (n) => {
        const fields = `Feedback-Type: abuse\nUser-Agent: ExampleFBL/1.0\nVersion: 1\n${addrs(n).map((a) => `Original-Rcpt-To: <${a}>`).join('\n')}\n`;
        return Buffer.from(
          `From: fbl@isp.example\nSubject: Complaint\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=b\n\n--b\nContent-Type: text/plain\n\nabuse report\n--b\nContent-Type: message/feedback-report\n\n${fields}\n--b--\n`,
        );
      },
      parse,
      200,
    );
  });
  it('challenge-response: a long challenge', async () => {
    await expectLinear(
      (n) => textNdr({ from: 'Kijitora <kijitora@example.jp>', subject: 'Please confirm your message', headers: { 'Auto-Submitted': 'auto-replied' }, text: 'Please confirm that you are a human to be added to my approved senders. '.repeat(n) }),
      parse,
      200,
    );
  });
  it('auto-reply: a long vacation notice', async () => {
    await expectLinear(
      (n) => textNdr({ from: 'Kijitora <kijitora@example.jp>', subject: 'Out of Office: Newsletter', headers: { 'Auto-Submitted': 'auto-replied' }, text: 'I am away until Monday. '.repeat(n) }),
      parse,
      200,
    );
  });
});

// Regexes test/security/redos.test.ts (recheck) found super-linear, on the path where they
// run, with recheck's attack shape: each case fails without its fix.
describe('regexes fixed after the ReDoS check grow linearly on their path', () => {
  it('classify: a Remote-MTA of a long run of dots that does not end the value (refusingHost)', async () => {
    await expectLinear(
      (n) => dsn({ ...POSTMASTER, text: 'failed', recipients: [{ final: 'kijitora@example.jp', diagnostic: '550 5.1.1 User unknown', remoteMta: `mx${'.'.repeat(n)}x.` }] }),
      (raw: Buffer) => classify(parse(raw)),
      2_000,
    );
  });
  it('gmail (current): "wasn\'t delivered to" a token with a long run of commas inside', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
          subject: 'Delivery Status Notification (Failure)',
          text: `** Address not found **\n\nYour message wasn't delivered to kijitora@example.jp${','.repeat(n)}x, because the address couldn't be found.\n\nThe response was:\n\n550 5.1.1 User unknown\n`,
        }),
      parse,
      2_000,
    );
  });
  it('domino: many lines of blanks before "Your message" (a run of white space across lines)', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Mail Router <postmaster@example.com>',
          subject: 'DELIVERY FAILURE: User kijitora not listed in Domino Directory',
          text: `x\n${' \n'.repeat(n)}Your message x\n\nwas not delivered to:\n\n  kijitora@example.jp\n\nbecause:\n\n  User kijitora (kijitora@example.jp) not listed in Domino Directory\n`,
        }),
      parse,
      1_000,
    );
  });
  it('1&1: a "Reason" line with a long run of blanks that is not a heading', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Mail Delivery System <mailer-daemon@kundenserver.de>',
          subject: 'Mail delivery failed: returning message to sender',
          text:
            'This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of\nits recipients. This is a permanent error. The following address failed:\n\nkijitora@example.jp\n\n' +
            `Reason${' '.repeat(n)}x\nFor the following reason:\n\nMail size limit exceeded.\n\n--- The header of the original message is following. ---\n`,
        }),
      parse,
      2_000,
    );
  });
  it('gmail (classic): a heading line followed by a long run of blanks and a word', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
          subject: 'Delivery Status Notification (Failure)',
          text:
            `This is an automatically generated Delivery Status Notification\n\nDelivery to the following recipient failed permanently${'\t'.repeat(n)}x\nDelivery to the following recipient failed permanently:\n\n     kijitora@example.com\n` +
            '\nTechnical details of permanent failure:\nGoogle tried to deliver your message, but it was rejected by the server for the recipient domain example.com by mx.example.com. [192.0.2.1].\n\nThe error that the other server returned was:\n550 5.1.1 User unknown (state 14).\n',
        }),
      parse,
      2_000,
    );
  });
  it('mdn-reject: a Final-Recipient line of a long run of blanks', async () => {
    await expectLinear(
      (n) =>
        Buffer.from(
          `From: Postmaster <postmaster@mx.example.jp>\nSubject: Rejected: x\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n--b\nContent-Type: text/plain\n\nYour message to <kijitora@example.jp> was automatically rejected:\nI do not accept mail.\n--b\nContent-Type: message/disposition-notification\n\nReporting-UA: mx.example.jp; Dovecot Mail Delivery Agent\nOriginal-Recipient:${'\t'.repeat(n)}\nFinal-Recipient:${'\t'.repeat(n)}\nFinal-Recipient: rfc822; kijitora@example.jp\nDisposition: automatic-action/MDN-sent-automatically; deleted\n--b--\n`,
        ),
      parse,
      2_000,
    );
  });
  it('mdn-reject: fields folded over many lines (the folds undone before reading)', async () => {
    await expectLinear(
      (n) =>
        Buffer.from(
          `From: Postmaster <postmaster@mx.example.jp>\nSubject: Rejected: x\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n--b\nContent-Type: text/plain\n\nYour message was automatically rejected:\nplease write to new@example.net\n--b\nContent-Type: message/disposition-notification\n\nReporting-UA: mx.example.jp; Sieve\nX-Note: a${'\r\n b'.repeat(n)}\nFinal-Recipient: rfc822;${'\n\t'.repeat(n)}kijitora@example.jp\nDisposition: automatic-action/MDN-sent-automatically;\n deleted\n--b--\n`,
        ),
      parse,
      2_000,
    );
  });
  it('exchange2007: a "Recipient Address:" line of many "@" and a trailing word', async () => {
    await expectLinear(
      (n) =>
        textNdr({
          from: 'Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@example.com>',
          subject: 'Undeliverable: Newsletter',
          text:
            'Delivery has failed to these recipients or groups:\n\nkijitora@example.jp\nThe e-mail address you entered couldn\'t be found.\n\nDiagnostic information for administrators:\n\nGenerating server: mta.example.com\n\n' +
            `Recipient Address: ${'a@'.repeat(n)} x\nRecipient Address: kijitora@example.jp\nReported error: 550 5.1.1 RESOLVER.ADR.RecipNotFound; not found\n`,
        }),
      parse,
      1_000,
    );
  });
  it('challenge-response: a From display name of many "-confirm-" and no "@" after them', async () => {
    await expectLinear(
      (n) =>
        Buffer.from(
          `From: ${'x-confirm-'.repeat(n)} <kijitora@example.jp>\nSubject: Please confirm your message\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\nContent-Type: text/plain\n\nPlease confirm that you are a human to be added to my approved senders.\n`,
        ),
      parse,
      1_000,
    );
  });
  it('fallback: a line of a long run of blanks and a word below an entry (not a ruler)', async () => {
    await expectLinear(
      (n) => textNdr({ ...POSTMASTER, text: `The following address failed:\n\nkijitora@example.jp\n${'\t'.repeat(n)}x\n\n550 5.1.1 User unknown\n` }),
      parse,
      2_000,
    );
  });
});

describe('the PENDING regexes of the ReDoS check grow linearly (helper and path)', () => {
  // sendmailOwnText is the first step of the fallback's sessionReply. On that path the text is
  // a candidate's text, made one line by oneLine: no line break reaches it, so the path case
  // below is linear with the earlier regex too; the helper case is what the earlier regex
  // (`\s*(.*)$` after the dots) failed: every split of the dots and blanks retried.
  it('sendmailOwnText: a long run of dots and blanks, then a line break', async () => {
    await expectLinear((n) => '550 a' + '...'.repeat(n) + ' '.repeat(n) + 'x\u2028', sendmailOwnText, 1_000);
  });
  it('fallback: Sendmail V5 lines with long runs of dots and blanks, and a U+2028', async () => {
    await expectLinear(
      (n) => textNdr({ ...POSTMASTER, text: `554 <kijitora@example.jp${'...'.repeat(n)}>...${' '.repeat(n)}x\u2028y\n554 kijitora@example.jp${'.'.repeat(n)} Remote protocol error\n` }),
      parse,
      1_000,
    );
  });
  // bounced tail: each line of the local Postfix's log. A remote server's reply can be in a
  // line (after status=), and anything that writes to the mail log can write a line.
  const maillog = (message: string) => `Nov 23 02:44:41 mta postfix/smtp[23810]: ${message}`;
  const now = new Date(2026, 10, 23, 12, 0, 0).getTime();
  it('logtail: a line whose message starts with a long run of z (the long queue id form)', async () => {
    // recheck's attack on QID_RE: every 'z' of the run was tried as the id's separator
    await expectLinear((n) => maillog('00GGG0GGz0' + 'zz'.repeat(n)), (line: string) => parseLogLine(line, now), 1_000);
  });
  it('logtail: a status= line with a long run of blanks before its text', async () => {
    await expectLinear((n) => maillog(`EED1F2168D3: to=<kijitora@example.jp>, relay=none, dsn=5.1.1, status=bounced${'\t'.repeat(n)}u x`), (line: string) => parseLogLine(line, now), 2_000);
  });
  it('readStatus: a long run of blanks, then a line break', async () => {
    // recheck's attack on the earlier form; parseLogLine never passes a line break (its stamp
    // pattern takes the message with (.*)$), readStatus keeps the same answer without it
    await expectLinear((n) => 'status=sent\t' + '\t'.repeat(n) + 'u\n', readStatus, 2_000);
  });
});

describe('regexes recheck could not decide grow linearly on their path (adversarial inputs)', () => {
  // Exim's lead-in (splitLeadIn): an attempt starts only at "SMTP error from remote" / "LMTP
  // error"; its unbounded parts stop at the next ':' (the parameters after MAIL FROM:<...>, a
  // command's [A-Z]+ words) or the next '<' / '>' (the address), each retried against the
  // bounded gap [^:]{0,80} before the ':'
  const eximNdr = (block: string) =>
    textNdr({
      from: 'Mail Delivery System <Mailer-Daemon@mta.test>',
      subject: 'Mail delivery failed: returning message to sender',
      text:
        'This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n' +
        `  kijitora@example.jp\n    host mx.example.com [192.0.2.1]\n    ${block}\n`,
    });
  const LEAD = 'SMTP error from remote mail server after';
  it('exim: a lead-in whose MAIL FROM parameters run on without a colon', async () => {
    await expectLinear((n) => eximNdr(`${LEAD} MAIL FROM:<a@b.example>${' SIZE=1'.repeat(n)}`), parse, 1_000);
  });
  it('exim: a lead-in with a command of a long run of capitals and no colon', async () => {
    await expectLinear((n) => eximNdr(`${LEAD} XXXX ${'A'.repeat(n)} B`), parse, 4_000);
  });
  it('exim: a lead-in whose address has no closing ">"', async () => {
    await expectLinear((n) => eximNdr(`${LEAD} RCPT TO:<${'a'.repeat(n)} x`), parse, 4_000);
  });
  it('exim: many lead-ins on one line, each a near miss of an alternative', async () => {
    await expectLinear(
      (n) => eximNdr(`${LEAD} MAIL FROM:<a ${LEAD} RCPT TO:<a> x ${LEAD} DATA x LMTP error after RCPT TO:<a> LMTP error from remote mailer after end of data x `.repeat(n) + 'y'),
      parse,
      50,
    );
  });
  // the inline original's copy marker (readMail): an anchored attempt per line; a leading run
  // of marks, then one of the phrases (literals), then at most 40 characters and a trailing run
  // of marks to the end of the line
  const marked = (line: string) => textNdr({ ...POSTMASTER, text: `The following address failed:\n\n  kijitora@example.jp: 550 5.1.1 User unknown\n\n${line}\n` });
  it('copy marker: "original message" then a long run of marks that does not end the line', async () => {
    await expectLinear((n) => marked(`original message${'-='.repeat(n)}x`), parse, 2_000);
  });
  it('copy marker: a long run of leading marks before no phrase', async () => {
    await expectLinear((n) => marked(`${'>-'.repeat(n)}original massage`), parse, 2_000);
  });
  it('copy marker: many lines, each a near miss of a phrase ("Original Message Details", "returned mail" and a long tail)', async () => {
    await expectLinear(
      (n) => marked('----- Original Message Details -----\n>> returned mail: see the transcript below for what happened -x\n== the original message follows? ==\nthis is a copy of the messages\n'.repeat(n)),
      parse,
      100,
    );
  });
  // the fallback's phrase tables (a line's failure words and list headings): each entry is
  // decided linear by recheck on its own; near misses of every entry, on many lines
  it('fallback: many lines of near misses of the failure predicates and list headings', async () => {
    const near =
      'unknowns no suchs not founds not yet been delivere doesn\'t have a example.jp accoun invalids rejecte fail errorsx disable fulls unreachabl could nots undeliverabl loops deferre moved size limi authorize terminate host unknow ' +
      'followin addresse failed recipient follow could not be delivered to x folgenden empfange nicht zugestell unbekann inconnus no existe sconosciut onbekende';
    await expectLinear((n) => textNdr({ ...POSTMASTER, text: `kijitora@example.jp ${near}\n`.repeat(n) }), parse, 20);
  });
  it('fallback: a line of one long word run after "doesn\'t have a"', async () => {
    await expectLinear((n) => textNdr({ ...POSTMASTER, text: `kijitora@example.jp doesn't have a ${'example.'.repeat(n)}jp\n` }), parse, 500);
  });
});

describe('the status part of a DSN reads the same as the generic builder writes', () => {
  // guards the builder the cases above rely on
  it('statusBody + readMail give the recipients back', async () => {
    const raw = await dsn({ ...POSTMASTER, text: 'failed', recipients: [{ final: 'a@example.com', diagnostic: '550 5.1.1 x' }], returned: returnedTo('a@example.com') });
    expect(readMail(raw).deliveryStatus[0]).toBe(statusBody('mta.test', [{ final: 'a@example.com', diagnostic: '550 5.1.1 x' }]));
    expect(parse(raw).recipients.map((r) => r.finalRecipient)).toEqual(['a@example.com']);
  });
});

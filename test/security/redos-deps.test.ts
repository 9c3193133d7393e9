// The regular expressions of the dependency code that runs on a stranger's bytes before (or
// beside) ours, checked for super-linear backtracking with recheck as test/security/
// redos.test.ts checks our own: we cannot edit node_modules, so a flagged one needs the bound
// its input has on the way in (ALLOWED below), or a guard in our listener.
//
// Which dependency code reads received data (checked with grep over src/ and the packages):
//  - smtp-server (the SMTP session: every command line, the address of MAIL FROM / RCPT TO and
//    their parameters, EHLO/HELO names, the PROXY and XCLIENT/XFORWARD lines, SASL): its whole
//    build, as the listener loads it (`smtp-server` and `smtp-server/lib/*.js` resolve to
//    dist/esm/ under Node's import conditions; the CommonJS copy in dist/cjs is the same
//    source compiled otherwise and is never loaded);
//  - punycode.js, which smtp-server calls on a received domain (toUnicode, SMTPUTF8);
//  - not nodemailer: smtp-server takes only getLogger from nodemailer/lib/shared, which passes
//    each line to the logger we give (none below debug, src/listener/index.ts) without a
//    regex; nodemailer itself only sends our notices (src/policy/notify.ts). Not mailparser
//    (a dev dependency, tests only). The message's bytes go to our own MIME layer (src/parser),
//    checked by redos.test.ts; so does FastDataStream, our parser of the session's bytes.
//
// The input bound on that path: smtp-server reads one command line at a time, and answers a
// line (or a remainder without a line break) longer than maxCommandLength with 421 and closes
// (smtp-stream.js, _commandTooLong; default 16 * 1024 characters there and in our
// FastDataStream, which takes the same option; the listener does not set it). Every regex
// below that reads a command or part of one reads at most 16,384 characters (the last test
// checks it over loopback).
import { createRequire } from 'node:module';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { check, type Diagnostics } from 'recheck';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon } from '../../src/main.js';
import { BOUNCE_DOMAIN, repoRoot, testConfig } from '../helpers/env.js';
import { rawSession } from '../helpers/smtp.js';
import { fileRegexes, type FoundRegex } from './regexes.js';

interface Allowed {
  where: string;
  source: string;
  /** The most characters the dependency lets the regex read on our path, and where it is set. */
  bound: string;
  why: string;
}

// None flagged with smtp-server 3.21.6 and punycode.js 2.3.1: every regex below is decided safe.
const ALLOWED: Allowed[] = [];

/** The dependency files that run on received data (see above). */
function dependencyFiles(): string[] {
  const require = createRequire(join(repoRoot, 'package.json'));
  // the ESM build: what `import ... from 'smtp-server'` loads (package.json "exports", "import")
  const esm = join(dirname(require.resolve('smtp-server/package.json')), 'dist', 'esm');
  const files = readdirSync(esm)
    .filter((f) => f.endsWith('.js'))
    .map((f) => join(esm, f));
  // the punycode.js smtp-server itself resolves
  const fromServer = createRequire(join(esm, 'smtp-connection.js'));
  files.push(fromServer.resolve('punycode.js'));
  return files;
}

/**
 * The non-literal `new RegExp` sites of the dependencies: each yields what it builds, from the
 * literal it copies. A new site has no builder and fails the test.
 */
const DYNAMIC: Record<string, (literals: FoundRegex[]) => FoundRegex[]> = {
  // smtp-connection.js: sasl.js's control-character class, global (it scrubs instead of refusing)
  "new RegExp(CONTROL_CHARS.source, 'g')": (literals) =>
    literals.filter((r) => r.constant === 'CONTROL_CHARS' && r.where.includes('/sasl.js:')).map((r) => ({ ...r, where: `${r.where} (global copy)`, flags: 'g' })),
};

const FUZZ_STEPS_ONLY = { incubationTimeout: null, attackTimeout: null, seedingTimeout: null } as const;

async function checkOne(r: FoundRegex): Promise<Diagnostics> {
  const first = await check(r.source, r.flags, { checker: 'automaton', timeout: 2_000 });
  if (first.status !== 'unknown') return first;
  return check(r.source, r.flags, { checker: 'fuzz', timeout: 10_000, ...FUZZ_STEPS_ONLY });
}

describe('no regular expression of the dependencies on the intake path backtracks super-linearly', () => {
  let regexes: FoundRegex[] = [];

  it('collects every regex of smtp-server and punycode.js, each non-literal site built', () => {
    const files = dependencyFiles();
    const { literals, dynamic } = fileRegexes(files, repoRoot);
    const uncovered: string[] = [];
    const built: FoundRegex[] = [];
    for (const site of dynamic) {
      const b = DYNAMIC[site.call];
      const made = b ? b(literals) : [];
      if (!made.length) uncovered.push(`${site.where}: ${site.call}`);
      built.push(...made);
    }
    expect(uncovered).toEqual([]);
    regexes = [...literals, ...built];
    // not empty by accident (a moved build, a parser that finds nothing): 34 with 3.21.6
    expect(files.some((f) => f.endsWith('smtp-connection.js'))).toBe(true);
    expect(regexes.length).toBeGreaterThan(25);
  });

  it('recheck finds none vulnerable outside the allow-list', { timeout: 300_000 }, async () => {
    const flagged: string[] = [];
    for (const r of regexes) {
      if (ALLOWED.some((a) => r.where.startsWith(a.where) && a.source === r.source)) continue;
      const d = await checkOne(r);
      if (d.status !== 'safe') flagged.push(`${r.where} /${r.source}/${r.flags}: ${d.status === 'vulnerable' ? `${d.complexity.summary}; attack ${d.attack.pattern.slice(0, 120)}` : `unknown: ${d.status === 'unknown' ? d.error.kind : ''}`}`);
    }
    expect(flagged).toEqual([]);
  });
});

describe('the bound the regexes above read under', () => {
  it('a command line longer than 16 KiB is refused before any command handler reads it', async () => {
    // the listener on 127.0.0.1 (a port of this test's own range)
    const d = await startDaemon(testConfig({ smtp: { host: '127.0.0.1', port: 26101 } }), createLogger('silent'));
    try {
      const { sock, said, saw } = rawSession(d.smtpAddress.port);
      await saw(/^220 /m);
      sock.write('EHLO mx.example.org\r\nMAIL FROM:<>\r\n');
      await saw(/^250 .*Accepted/m);
      // 16 * 1024 characters is the longest line taken; one more and the line is refused whole
      const at = `@${BOUNCE_DOMAIN}>`;
      const line = (n: number) => `RCPT TO:<${'a'.repeat(n - 'RCPT TO:<'.length - at.length)}${at}`;
      sock.write(`${line(16 * 1024)}\r\n`);
      // read whole by smtp-server's address checks (a local part that long is bad syntax)
      await saw(/^501 .*address syntax/m);
      const before = said().length;
      sock.write(`${line(16 * 1024 + 1)}\r\n`);
      await saw(/too long/i);
      expect(said().slice(before)).toMatch(/^421 .*Command line too long/m);
      sock.destroy();
    } finally {
      await d.stop();
    }
  });
});

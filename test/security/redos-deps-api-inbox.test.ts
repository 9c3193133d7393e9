// The regular expressions of the two other dependencies that read a stranger's bytes, checked with
// recheck as redos-deps.test.ts checks smtp-server's (its model: the files Node loads, read with
// the TypeScript parser by regexes.ts; an allow-list naming the bound each flagged one reads under
// on our path; the bound checked).
//
// fastify (the HTTP API, the dashboard, ESP webhooks, unsubscribe links: a stranger sends the
// request line, the headers, the URL and query string, JSON and form bodies). Included, as the
// daemon loads them (all CommonJS: `main`, no `exports` conditions):
//  - fastify.js and lib/*.js (routing glue, request.js: host/protocol, content-type.js and
//    content-type-parser.js: the Content-Type header, secure-json-parse for JSON bodies, the
//    404 and error paths); the whole of lib/ since it is all loaded, though some runs only when
//    routes and plugins are registered (said per entry below);
//  - find-my-way (the router: the path, percent-decoding) with fast-querystring and
//    fast-decode-uri-component (the query string);
//  - @fastify/static with @fastify/send, @fastify/accept-negotiator, content-disposition, mime,
//    escape-html (the dashboard's files: the path, Range, If-* and Accept-Encoding headers);
//  - @fastify/proxy-addr, @fastify/forwarded and ipaddr.js: X-Forwarded-For, read only when
//    http.trustProxy names proxies (ipaddr.js is also ours: src/client-address.ts).
// Not included: Node's HTTP parser (llhttp, C: no regex; it bounds the request line and headers
// together at 16 KiB, Node's default maxHeaderSize, which the API's server keeps: serverFactory
// passes fastify's `http` options, which set none); ajv's own code (it compiles our schemas; the
// only regexes it runs on a body or query are the schemas' `pattern`s, which are ours and checked
// by redos.test.ts (a test below checks openapi.json holds no other), and ajv-formats'
// regexes, which run only for a `format` keyword, which no schema has (checked below));
// fast-json-stringify (our answers); light-my-request (tests' inject only); our
// presend-fast.ts and csv-addresses.ts are src/ (redos.test.ts).
//
// imapflow (connected inboxes: the IMAP server, which may be hostile or compromised, sends every
// greeting, capability, continuation, response line, literal, ENVELOPE and FETCH item). Included:
//  - imapflow's ESM build, all of it (`import 'imapflow'` resolves to dist/esm/ under Node's
//    import conditions; dist/cjs is the same source compiled otherwise, never loaded):
//    handler/* (the line reader, the tokenizer and parser), tools.js (formatMessageResponse on
//    every FETCH answer: ENVELOPE, and BODYSTRUCTURE should a server send one unasked; LIST
//    names; capabilities), commands/* (each command's answer), charsets.js, jp-decoder.js;
//    download.js too, though bounced never calls download() (said below);
//  - libmime (decodeWords on ENVELOPE subjects and names, and BODYSTRUCTURE parameters) with
//    libqp and libbase64 (the Q and B encodings), iconv-lite (charsets; its modified UTF-7 for
//    mailbox names) and encoding-japanese (ISO-2022-JP and the like), all as imapflow resolves
//    them (libmime, libqp, libbase64: their dist/esm; iconv-lite, encoding-japanese: CommonJS).
// Not included: @zone-eu/mailsplit (imported by download.js alone, for download()) and socks
// (proxy-connection.js: no proxy is configured), pino (imapflow logs through our logger, which
// keeps no server words above debug: src/inbox/imap.ts).
//
// The bounds on that path: imapflow reads a line of at most maxLineLength (4 MiB, set in
// src/inbox/imap.ts clientOptions; imapflow's own default is 1 GiB) and a literal of at most
// maxLiteralSize (the inbox's maxMessageBytes, at least 1 MiB, + 64 KiB); response lines are
// decoded as UTF-8, so a server can put any character, U+2028 included, in an atom, a quoted
// string or a section (the tokenizer admits every non-ASCII character in an atom).
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { check, type Diagnostics } from 'recheck';
import { describe, expect, it } from 'vitest';
import { imapClient, oversizedSection, passwordLoginMethod } from '../../src/inbox/imap.js';
import { createLogger } from '../../src/log.js';
import { apiFixture } from '../helpers/api.js';
import { repoRoot } from '../helpers/env.js';
import { fileRegexes, sourceRegexes, type FoundRegex } from './regexes.js';

interface Allowed {
  where: string;
  source: string;
  /** The most characters the dependency lets the regex read on our path, and where it is set. */
  bound: string;
  why: string;
  /** Not bounded cheaply on our path: a finding reported, not a bound (see its `why`). */
  open?: true;
}

const req = createRequire(join(repoRoot, 'package.json'));
const pkgDir = (name: string, from = req) => dirname(from.resolve(`${name}/package.json`));

// Measured on the 2-core test machine, node 22, with recheck's attack strings (times are V8's).
const ALLOWED: Allowed[] = [
  {
    where: 'node_modules/fastify/lib/plugin-utils.js:',
    source: String.raw`-(?:rc|pre|alpha).+$`,
    bound: "never a request: it reads the fastify version a plugin declares (fastify-plugin's meta), when the plugin is registered",
    why: 'our own plugins (@fastify/static and the app), at start-up',
  },
  {
    where: 'node_modules/ipaddr.js/lib/ipaddr.js:',
    source: String.raw`%.+$`,
    bound:
      "an X-Forwarded-For entry (only with http.trustProxy) within Node's 16 KiB header block, or the socket's own address; header values hold no line terminator (llhttp refuses CR and LF, Node reads them as latin1: no U+2028/9)",
    why: "quadratic only when '.' meets a line terminator; without one the first '%' matches to the end: 16 KiB of '%' in 0.1 ms (checked below)",
  },
  {
    where: 'node_modules/imapflow/dist/esm/commands/authenticate.js:',
    source: String.raw`[:\x00]*$`,
    bound:
      'not reached: it reads the SASL LOGIN prompt (a continuation line, up to maxLineLength, 4 MiB), and bounced never picks SASL LOGIN (src/inbox/imap.ts passwordLoginMethod: SASL PLAIN when offered, else the LOGIN command; checked over loopback below)',
    why: "costly at that bound: ':' x 16 KiB then one other byte took 0.5 s, 64 KiB 6.5 s (quadratic; 3 MiB decoded: hours), from a server that offers AUTH=LOGIN alone, before the login",
  },
  {
    where: 'node_modules/imapflow/dist/esm/tools.js:',
    source: String.raw`\.fields.*$`,
    bound:
      "1,024 characters by our guard (GuardedImapFlow); without it, a FETCH item's name (formatMessageResponse, every FETCH answer: the section of BODY[...]), from a server's line of up to maxLineLength (4 MiB; U+2028 can be in it: a UTF-8 line, non-ASCII atoms admitted, or a quoted section) or a literal in the section, up to maxLiteralSize (the inbox's maxMessageBytes, at least 1 MiB, + 64 KiB), which may hold a LF",
    why:
      "Guarded: bounced asks only for BODY[] (the source), and GuardedImapFlow (src/inbox/imap.ts) fails any response naming a BODY[ or BINARY[ section over 1,024 characters or holding a literal before imapflow parses it (the tests below, over loopback: by line and by literal). At 1,024 characters the regex takes microseconds. Without the guard: '.fields' x 4,000 then U+2028 (28 KB) took 160 ms, and end to end 28 KB held the client 0.18 s, 56 KB 0.56 s (quadratic): a whole 4 MiB line, about an hour of the thread; a literal holding a LF does the same up to maxLiteralSize. Upstream fix: cut at indexOf('.fields')",
  },
  {
    where: 'node_modules/imapflow/dist/esm/download.js:',
    source: String.raw`\(.*\)`,
    bound: 'not run: download() and downloadMany() only (a part\'s Content-Type comment), which bounced never calls (src/inbox fetches `source`)',
    why: 'not on our path',
  },
  {
    where: 'node_modules/libmime/dist/esm/libmime.js:',
    source: String.raw` +$`,
    bound: 'not run: encodeFlowed (format=flowed encoding of our text); imapflow calls only decodeWords and parseHeaderValue',
    why: 'not on our path',
  },
  {
    where: 'node_modules/libmime/dist/esm/libmime.js:',
    source: String.raw`^\s*([^:]+):(.*)$`,
    bound: 'not run: decodeHeader (parseHeaders), which imapflow never calls (only decodeWords and, in download(), parseHeaderValue)',
    why: 'not on our path',
  },
  {
    where: 'node_modules/libmime/dist/esm/libmime.js:',
    source: String.raw`(\s+)[^\s]*$`,
    bound: 'not run: foldLines (folding what libmime encodes)',
    why: 'not on our path',
  },
  {
    where: 'node_modules/iconv-lite/encodings/utf7.js:',
    source: String.raw`=+$`,
    bound: "the UTF-7 encoders' own base64 output (Buffer#toString('base64')), whose padding is at most two '='",
    why: 'never more than two characters to match: constant',
  },
  {
    where: 'node_modules/encoding-japanese/src/index.js:',
    source: String.raw`\s*,\s*`,
    bound:
      "the `from` encoding name: libmime passes an encoded word's charset, matched by [\\w_\\-*]+ (no comma, no space: the split is never taken); imapflow's JPDecoder a name it normalises to [A-Z0-9]",
    why: 'a comma never reaches it from the server',
  },
];

function jsFiles(dir: string, recurse = true): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return recurse && !['test', 'node_modules', 'types', 'benchmark', 'benchmarks', 'bench', 'example', 'examples'].includes(f) ? jsFiles(p, recurse) : [];
    return /\.[cm]?js$/.test(f) && f !== 'eslint.config.js' ? [p] : [];
  });
}

/** The fastify side (see above), as Node resolves each from the package that requires it. */
function fastifyFiles(): string[] {
  const fastify = pkgDir('fastify');
  const fromFastify = createRequire(join(fastify, 'fastify.js'));
  const fmw = pkgDir('find-my-way', fromFastify);
  const fromFmw = createRequire(join(fmw, 'index.js'));
  const stat = pkgDir('@fastify/static');
  const fromStatic = createRequire(join(stat, 'index.js'));
  const send = pkgDir('@fastify/send', fromStatic);
  const fromSend = createRequire(join(send, 'index.js'));
  const proxy = pkgDir('@fastify/proxy-addr', fromFastify);
  const fromProxy = createRequire(join(proxy, 'index.js'));
  return [
    join(fastify, 'fastify.js'),
    ...jsFiles(join(fastify, 'lib')),
    fromFastify.resolve('secure-json-parse'),
    join(fmw, 'index.js'),
    ...jsFiles(join(fmw, 'lib')),
    ...jsFiles(join(pkgDir('fast-querystring', fromFmw), 'lib')),
    fromFmw.resolve('fast-decode-uri-component'),
    ...jsFiles(stat),
    fromStatic.resolve('@fastify/accept-negotiator'),
    fromStatic.resolve('content-disposition'),
    ...jsFiles(send),
    ...jsFiles(pkgDir('mime', fromSend)),
    fromSend.resolve('escape-html'),
    join(proxy, 'index.js'),
    fromProxy.resolve('@fastify/forwarded'),
    fromProxy.resolve('ipaddr.js'),
  ];
}

/** The imapflow side: its ESM build and what it imports on server data (see above). */
function imapflowFiles(): string[] {
  const esm = join(pkgDir('imapflow'), 'dist', 'esm');
  const fromImap = createRequire(join(esm, 'tools.js'));
  const libmime = join(pkgDir('libmime', fromImap), 'dist', 'esm');
  const fromLibmime = createRequire(join(libmime, 'libmime.js'));
  const iconv = pkgDir('iconv-lite', fromImap);
  return [
    ...jsFiles(esm),
    ...jsFiles(libmime),
    ...jsFiles(join(pkgDir('libqp', fromLibmime), 'dist', 'esm')),
    ...jsFiles(join(pkgDir('libbase64', fromLibmime), 'dist', 'esm')),
    ...jsFiles(join(iconv, 'lib')),
    ...jsFiles(join(iconv, 'encodings'), false),
    ...jsFiles(join(pkgDir('encoding-japanese', fromImap), 'src')),
  ];
}

/**
 * The non-literal `new RegExp` sites: what each builds on our path. A builder yields the regexes;
 * a string says why the site builds none on our path. A new site has neither: the test fails.
 */
type Site = string | (() => FoundRegex[]);
const built = (where: string, source: string, flags: string): FoundRegex => ({ kind: 'literal', where, source, flags });

/** ipaddr.js's module-level regexes, as it builds them: its file run with a RegExp that records. */
function ipaddrRegexes(): FoundRegex[] {
  const file = req.resolve('ipaddr.js');
  const out: FoundRegex[] = [];
  class Recording extends RegExp {
    constructor(source: string | RegExp, flags?: string) {
      super(source, flags);
      out.push(built(`${file.slice(repoRoot.length + 1)} (built at load)`, this.source, this.flags));
    }
  }
  const module = { exports: {} };
  new Function('module', 'exports', 'RegExp', readFileSync(file, 'utf8'))(module, module.exports, Recording);
  return out;
}

const SITES: Record<string, Site> = {
  // find-my-way: regex route parameters (`:name(re)`) and multi-parameter segments; no route of ours has one (checked below)
  'node_modules/find-my-way/index.js|new RegExp(regexString)': 'a regex route parameter: none of our routes has one',
  "node_modules/find-my-way/index.js|new RegExp('^' + regexps.join('') + '$')": 'a segment of several parameters: none of our routes has one',
  'node_modules/find-my-way/lib/compiler.js|new RegExp(regex.source + \'|\')': 'a regex route parameter: none of our routes has one',
  // the code generator's placeholder, over find-my-way's own generated source
  'node_modules/find-my-way/lib/compiler.js|new RegExp(`${POSITION_PLACEHOLDER}(?: \\\\+ (\\\\d+))?`, \'g\')': 'over the router\'s generated code, never a request',
  'node_modules/find-my-way/lib/strategies/accept-host.js|new RegExp(host.source, host.flags.replace(/[gy]/g, \'\'))': 'a host constraint given as a regex: none of our routes has one',
  // libmime and libbase64 line-length regexes: encoders only (hasLongerLines, parameter splitting, base64 wrapping)
  "node_modules/libmime/dist/esm/libmime.js|new RegExp('^.{' + (lineLength + 1) + ',}', 'm')": () => [built('libmime hasLongerLines(76)', '^.{77,}', 'm')],
  "node_modules/libmime/dist/esm/libmime.js|new RegExp('.{' + maxLength + '}', 'g')": () => [built('libmime buildHeaderParam(50)', '.{50}', 'g')],
  "node_modules/libbase64/dist/esm/libbase64.js|new RegExp('.{' + lineLength + '}', 'g')": () => [built('libbase64 legacyWrap(76)', '.{76}', 'g')],
};
const siteKey = (where: string, call: string) => `${where.replace(/:\d+$/, '')}|${call}`;
const IPADDR = 'node_modules/ipaddr.js/lib/ipaddr.js';

const FUZZ_STEPS_ONLY = { incubationTimeout: null, attackTimeout: null, seedingTimeout: null } as const;

/** As redos.test.ts: a check that ran out of its overall time is asked once more with four times the time. */
async function patiently(run: (timeout: number) => Promise<Diagnostics>, timeout: number): Promise<Diagnostics> {
  const first = await run(timeout);
  return first.status === 'unknown' && first.error.kind === 'timeout' ? run(timeout * 4) : first;
}

async function checkOne(r: FoundRegex): Promise<Diagnostics> {
  const first = await patiently((timeout) => check(r.source, r.flags, { checker: 'automaton', timeout }), 2_000);
  if (first.status !== 'unknown') return first;
  return patiently((timeout) => check(r.source, r.flags, { checker: 'fuzz', timeout, ...FUZZ_STEPS_ONLY }), 10_000);
}

function collect(files: string[]): { regexes: FoundRegex[]; uncovered: string[] } {
  const { literals, dynamic } = fileRegexes(files, repoRoot);
  const regexes = [...literals];
  const uncovered: string[] = [];
  let ipaddr = false;
  for (const site of dynamic) {
    if (site.where.startsWith(`${IPADDR}:`)) {
      ipaddr = true;
      continue;
    }
    const s = SITES[siteKey(site.where, site.call)];
    if (s === undefined) uncovered.push(`${site.where}: ${site.call}`);
    else if (typeof s === 'function') regexes.push(...s());
  }
  if (ipaddr) regexes.push(...ipaddrRegexes());
  return { regexes, uncovered };
}

async function flaggedOf(regexes: FoundRegex[]): Promise<string[]> {
  const flagged: string[] = [];
  const queue = regexes.filter((r) => !ALLOWED.some((a) => r.where.startsWith(a.where) && a.source === r.source));
  const worker = async () => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      const d = await checkOne(r);
      if (d.status !== 'safe') flagged.push(`${r.where} /${r.source}/${r.flags}: ${d.status === 'vulnerable' ? `${d.complexity.summary}; attack ${d.attack.pattern.slice(0, 120)}` : `unknown: ${d.status === 'unknown' ? d.error.kind : ''}`}`);
    }
  };
  await Promise.all([worker(), worker()]);
  return flagged;
}

describe('no regular expression of fastify and its helpers on the HTTP path backtracks super-linearly', () => {
  let regexes: FoundRegex[] = [];

  it('collects them, each non-literal site built or said to build none on our path', () => {
    const files = fastifyFiles();
    const c = collect(files);
    expect(c.uncovered).toEqual([]);
    regexes = c.regexes;
    // not empty by accident (a moved build, a parser that finds nothing): 63 with fastify 5.12.8,
    // find-my-way 9.10.1, @fastify/static 10.1.11, @fastify/send 4.2.1, ipaddr.js's built ones
    expect(files.some((f) => f.endsWith('content-type.js'))).toBe(true);
    expect(regexes.length).toBeGreaterThan(50);
  });

  it('recheck finds none vulnerable outside the allow-list', { timeout: 180_000 }, async () => {
    expect(await flaggedOf(regexes)).toEqual([]);
  });

  it("the schemas ajv validates with hold only our own patterns, and no format (ajv-formats' regexes never run)", () => {
    const doc = readFileSync(join(repoRoot, 'openapi.json'), 'utf8');
    const patterns = new Set<string>();
    const formats: string[] = [];
    JSON.parse(doc, (key, value: unknown) => {
      if (key === 'pattern' && typeof value === 'string') patterns.add(value);
      if (key === 'format' && typeof value === 'string') formats.push(value);
      return value;
    });
    const ours = new Set(sourceRegexes(repoRoot).literals.map((r) => r.source));
    expect(patterns.size).toBeGreaterThan(0);
    expect([...patterns].filter((p) => !ours.has(p))).toEqual([]);
    expect(formats).toEqual([]);
  });

  it('no route of ours has a regex parameter, a multi-parameter segment or a constraint (the router builds no regex)', { timeout: 60_000 }, async () => {
    // every route the app registers, as the router holds them
    const fx = await apiFixture();
    try {
      const tree = fx.app.printRoutes({ commonPrefix: false });
      const paths = [...tree.matchAll(/[─└├] (\S+)/g)].map((m) => m[1]!);
      expect(paths).toContain('/v1/unsubscribe/:token');
      expect(paths.filter((p) => p.includes('(') || p.split('/').some((seg) => (seg.match(/:/g) ?? []).length > 1))).toEqual([]);
    } finally {
      await fx.close();
    }
    // host and version constraints (find-my-way's accept-host builds a regex from a RegExp host): none set
    const dir = join(repoRoot, 'src', 'api');
    const sources = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(sources.filter((f) => /\bconstraints\s*:/.test(readFileSync(join(dir, f), 'utf8')))).toEqual([]);
  });

  it("a request's line and headers together are cut at Node's 16 KiB (431), on the API's own server over loopback", { timeout: 60_000 }, async () => {
    const fx = await apiFixture();
    try {
      await fx.app.listen({ host: '127.0.0.1', port: 26203 });
      /** The status line the server answers a GET /healthz with one X-Forwarded-For header of `n` characters. */
      const answer = (n: number) =>
        new Promise<string>((resolve, reject) => {
          const sock = connect(26203, '127.0.0.1');
          let got = '';
          sock.on('data', (d) => {
            got += d.toString('latin1');
            if (got.includes('\r\n')) {
              sock.destroy();
              resolve(got.slice(0, got.indexOf('\r\n')));
            }
          });
          sock.on('error', reject);
          sock.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: ${'%'.repeat(n)}\r\nConnection: close\r\n\r\n`);
        });
      expect(await answer(15 * 1024)).toMatch(/^HTTP\/1\.1 200 /);
      expect(await answer(16 * 1024)).toMatch(/^HTTP\/1\.1 431 /);
    } finally {
      await fx.close();
    }
  });

  it("ipaddr.js's /%.+$/ is linear on what a header can hold (no line terminator)", () => {
    const re = /%.+$/;
    const t = process.hrtime.bigint();
    for (let i = 0; i < 10; i++) re.test(`${'%'.repeat(16 * 1024)}x`);
    expect(Number(process.hrtime.bigint() - t) / 1e6).toBeLessThan(100);
  });
});

describe('no regular expression of imapflow and its decoders on the inbox path backtracks super-linearly', () => {
  let regexes: FoundRegex[] = [];

  it('collects them, each non-literal site built', () => {
    const files = imapflowFiles();
    const c = collect(files);
    expect(c.uncovered).toEqual([]);
    regexes = c.regexes;
    // 160 with imapflow 2.10.2, libmime 5.6.4, iconv-lite 0.7.3, encoding-japanese 2.5.0
    expect(files.some((f) => f.endsWith('imap-parser.js'))).toBe(true);
    expect(regexes.length).toBeGreaterThan(130);
  });

  it('recheck finds none vulnerable outside the allow-list', { timeout: 180_000 }, async () => {
    expect(await flaggedOf(regexes)).toEqual([]);
  });

  it('the guarded finding is real: the regex grows with the square of an item name (hence the guard)', () => {
    // /\.fields.*$/g over a FETCH item name that ends in U+2028: doubling the length about
    // quadruples the time; measured at two small sizes only, the bound itself would take an hour
    const time = (n: number) => {
      const s = `body[${'.fields'.repeat(n)}\u2028]`;
      const t = process.hrtime.bigint();
      s.replace(/\.fields.*$/g, '');
      return Number(process.hrtime.bigint() - t);
    };
    time(500);
    const small = Math.min(time(1000), time(1000));
    const large = Math.min(time(4000), time(4000));
    expect(large / small).toBeGreaterThan(6);
    expect(ALLOWED.filter((a) => a.open).map((a) => a.source)).toEqual([]);
  });
});

describe("the bound of imapflow's SASL LOGIN prompt regex: bounced never picks SASL LOGIN", () => {
  it('chooses SASL PLAIN when the server offers it, else the LOGIN command', () => {
    expect(passwordLoginMethod(new Map([['AUTH=PLAIN', true], ['AUTH=LOGIN', true]]))).toBe('');
    expect(passwordLoginMethod(new Map([['AUTH=LOGIN', true]]))).toBe('LOGIN');
    expect(passwordLoginMethod(new Map())).toBe('LOGIN');
  });

  /** A loopback IMAP server that answers whatever it is asked with OK, and a SASL LOGIN with a hostile prompt. */
  async function fakeImap(capabilities: string, port: number): Promise<{ server: Server; commands: string[] }> {
    const commands: string[] = [];
    const server = createServer((sock: Socket) => {
      let buf = '';
      let pending: string | null = null;
      sock.write(`* OK [CAPABILITY IMAP4rev1 ${capabilities}] ready\r\n`);
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (pending !== null) {
            sock.write(`${pending} OK done\r\n`);
            pending = null;
            continue;
          }
          const [tag, cmd = '', arg = ''] = line.split(' ');
          commands.push(`${cmd.toUpperCase()} ${cmd.toUpperCase() === 'AUTHENTICATE' ? arg.toUpperCase() : ''}`.trim());
          if (cmd.toUpperCase() === 'AUTHENTICATE' && arg.toUpperCase() === 'LOGIN') {
            // 16 KiB of ':' then one other byte: about 0.5 s of imapflow's /[:\x00]*$/
            pending = tag!;
            sock.write(`+ ${Buffer.from(`${':'.repeat(16 * 1024)}x`).toString('base64')}\r\n`);
          } else if (cmd.toUpperCase() === 'AUTHENTICATE') {
            pending = tag!;
            sock.write('+ \r\n');
          } else if (cmd.toUpperCase() === 'LOGOUT') {
            sock.end(`* BYE\r\n${tag} OK bye\r\n`);
          } else {
            sock.write(`${tag} OK done\r\n`);
          }
        }
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return { server, commands };
  }

  const login = async (capabilities: string, port: number) => {
    const { server, commands } = await fakeImap(capabilities, port);
    try {
      const account = { id: 'i1', host: '127.0.0.1', port, tls: 'none' as const, user: 'u@example.org' };
      const client = imapClient(account, { kind: 'password', password: 'secret' }, createLogger('silent'), { maxLiteralBytes: 1024 * 1024 });
      client.on('error', () => {});
      await client.connect();
      await client.logout();
      return commands.filter((c) => c === 'LOGIN' || c.startsWith('AUTHENTICATE'));
    } finally {
      await new Promise((r) => server.close(r));
    }
  };

  it('a server offering AUTH=LOGIN alone gets the LOGIN command, never its prompt read', { timeout: 30_000 }, async () => {
    expect(await login('AUTH=LOGIN', 26201)).toEqual(['LOGIN']);
  });

  it('a server offering AUTH=PLAIN still gets SASL PLAIN', { timeout: 30_000 }, async () => {
    expect(await login('AUTH=PLAIN AUTH=LOGIN', 26202)).toEqual(['AUTHENTICATE PLAIN']);
  });
});

describe("the guard before imapflow's FETCH item-name regex: a section over 1 KiB or holding a literal fails the connection", () => {
  it('finds such a section outside quoted strings only', () => {
    const at = (line: string) => oversizedSection(Buffer.from(line, 'utf8'));
    expect(at('* 1 FETCH (UID 1 BODY[] {12}')).toBe(-1);
    expect(at('* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {40}')).toBe(-1);
    expect(at(`* 1 FETCH (UID 1 ENVELOPE ("d" "BODY[${'x'.repeat(5000)}" NIL) BODY[] {3}`)).toBe(-1);
    expect(at(`* 1 FETCH (UID 1 ENVELOPE ("a \\" BODY[" NIL) BODY[] {3}`)).toBe(-1);
    expect(at(`* 1 FETCH (UID 1 BODY[${'.fields'.repeat(200)}\u2028] NIL)`)).toBeGreaterThan(0);
    expect(at('* 1 FETCH (UID 1 binary[{5}')).toBeGreaterThan(0);
    expect(at(`* 1 FETCH (UID 1 BODY[${'x'.repeat(2000)}`)).toBeGreaterThan(0);
  });

  it('is linear in the line', () => {
    const time = (n: number) => {
      const b = Buffer.from(`* 1 FETCH (${'BODY[x] '.repeat(n)}"${'BODY['.repeat(n)}")`);
      const t = process.hrtime.bigint();
      for (let i = 0; i < 5; i++) oversizedSection(b);
      return Number(process.hrtime.bigint() - t);
    };
    time(20_000);
    const small = Math.min(time(20_000), time(20_000));
    const large = Math.min(time(80_000), time(80_000));
    expect(large / small).toBeLessThan(4 * 2.5);
  });

  /** A loopback IMAP server: LOGIN, SELECT INBOX with one message, and a UID FETCH answered with `fetch`. */
  async function fakeServer(port: number, fetch: string): Promise<Server> {
    const server = createServer((sock: Socket) => {
      let buf = '';
      sock.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const [tag, cmd = '', sub = ''] = line.split(' ');
          const c = cmd.toUpperCase();
          if (c === 'SELECT' || c === 'EXAMINE') sock.write(`* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n${tag} OK [READ-WRITE] done\r\n`);
          else if (c === 'UID' && sub.toUpperCase() === 'FETCH') sock.write(`${fetch}\r\n${tag} OK done\r\n`);
          else if (c === 'LOGOUT') sock.end(`* BYE\r\n${tag} OK bye\r\n`);
          else sock.write(`${tag} OK done\r\n`);
        }
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return server;
  }

  const fetchSource = async (port: number, fetch: string) => {
    const server = await fakeServer(port, fetch);
    const client = imapClient({ id: 'i1', host: '127.0.0.1', port, tls: 'none', user: 'u@example.org' }, { kind: 'password', password: 'secret' }, createLogger('silent'), { maxLiteralBytes: 1024 * 1024 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.mailboxOpen('INBOX');
      const m = await client.fetchOne('1', { uid: true, source: true }, { uid: true });
      return m ? m.source?.toString('latin1') : null;
    } finally {
      client.close();
      await new Promise((r) => server.close(r));
    }
  };

  it('an ordinary BODY[] answer with its literal is read', { timeout: 30_000 }, async () => {
    expect(await fetchSource(26204, '* 1 FETCH (UID 1 BODY[] {15}\r\nSubject: hi\r\n\r\n)')).toBe('Subject: hi\r\n\r\n');
  });

  it("a hostile server's long item name (by line, U+2028) fails the fetch instead of holding the thread", { timeout: 30_000 }, async () => {
    await expect(fetchSource(26205, `* 1 FETCH (UID 1 BODY[${'.fields'.repeat(8000)}\u2028] NIL)`)).rejects.toThrow();
  });

  it("a hostile server's item name in a literal (a LF inside) fails the fetch", { timeout: 30_000 }, async () => {
    const name = `${'.fields'.repeat(8000)}\n`;
    await expect(fetchSource(26206, `* 1 FETCH (UID 1 BODY[{${Buffer.byteLength(name)}}\r\n${name}] NIL)`)).rejects.toThrow();
  });
});

describe('the allow-list', () => {
  it('names only regexes still collected (an entry for a regex the update removed goes)', () => {
    const seen = [...collect(fastifyFiles()).regexes, ...collect(imapflowFiles()).regexes];
    expect(ALLOWED.filter((a) => !seen.some((r) => r.where.startsWith(a.where) && r.source === a.source)).map((a) => a.where)).toEqual([]);
  });
});

#!/usr/bin/env node
// 4. Log tailing: lines/s that `bounced tail FILE --once` turns into evidence, from a generated
// 1-million-line Postfix log (--quick: 100,000), against a plain line count (`wc -l`) of the
// same file. The tailer is being built by another engineer: when `bounced tail --help` does
// not describe a `tail` command the bench prints "skipped: ..." (commander exits 0 on
// `--help` even for an unknown command, so the exit code alone cannot tell).
//
//   node bench/logtail.mjs [--quick] [--lines N] [--keep-log]
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CLI, freshDir, log, parseArgs, round } from './lib/common.mjs';
import { saveSection } from './lib/report.mjs';

export function tailCommandPresent() {
  const r = spawnSync(process.execPath, [CLI, 'tail', '--help'], { encoding: 'utf8' });
  return r.status === 0 && /^Usage: bounced tail\b/m.test(r.stdout);
}

// ---- a realistic Postfix log (the shapes of fixtures/postfix/maillog.txt) ---------------
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function stamp(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
let rnd = 0x2545f491; // deterministic xorshift: the same log every run
function rand() {
  rnd ^= rnd << 13;
  rnd ^= rnd >>> 17;
  rnd ^= rnd << 5;
  return (rnd >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rand() * a.length)];
const HEX = '0123456789ABCDEF';
const qid = () => Array.from({ length: 11 }, () => HEX[Math.floor(rand() * 16)]).join('');
const DOMAINS = ['example.com', 'example.net', 'mail.example.org', 'gmail.test', 'outlook.test', 'yahoo.test', 'corp.example'];
const DEFERS = [
  (h, ip) => `dsn=4.4.1, status=deferred (connect to ${h}[${ip}]:25: Connection timed out)`,
  (h, ip) => `dsn=4.2.0, status=deferred (host ${h}[${ip}] said: 450 4.2.0 <%R>: Recipient address rejected: Greylisted, see http://postgrey.example/ (in reply to RCPT TO command))`,
  (h, ip) => `dsn=4.7.0, status=deferred (host ${h}[${ip}] said: 421 4.7.0 Try again later, closing connection. (in reply to MAIL FROM command))`,
  (h, ip) => `dsn=4.2.2, status=deferred (host ${h}[${ip}] said: 452 4.2.2 <%R>: Mailbox full (in reply to RCPT TO command))`,
];
const BOUNCES = [
  (h, ip) => `dsn=5.1.1, status=bounced (host ${h}[${ip}] said: 550 5.1.1 <%R>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))`,
  (h, ip) => `dsn=5.7.1, status=bounced (host ${h}[${ip}] said: 554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org (in reply to RCPT TO command))`,
  (h, ip) => `dsn=5.2.2, status=bounced (host ${h}[${ip}] said: 552 5.2.2 <%R>: Mailbox quota exceeded (in reply to end of DATA command))`,
  () => `dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for name=nxdomain.example type=MX: Host not found)`,
];

/** Writes about `lines` lines; returns the exact count and how many of each status. */
export function generateLog(file, lines) {
  const fd = openSync(file, 'w');
  let t = Date.UTC(2026, 10, 23, 2, 0, 0);
  let n = 0;
  let pidBase = 20000;
  const counts = { sent: 0, deferred: 0, bounced: 0 };
  let buf = [];
  let bufLen = 0;
  const out = (s) => {
    buf.push(s);
    bufLen += s.length + 1;
    n++;
    if (bufLen > 1 << 20) flush();
  };
  const flush = () => {
    writeSync(fd, buf.join('\n') + '\n');
    buf = [];
    bufLen = 0;
  };
  const host = 'mta';
  while (n < lines) {
    t += Math.floor(rand() * 40);
    const ts = stamp(t);
    const id = qid();
    const smtpdPid = pidBase + Math.floor(rand() * 50);
    const dom = pick(DOMAINS);
    const user = `user${Math.floor(rand() * 1e6)}`;
    const rcpt = `${user}@${dom}`;
    const mx = `mx${1 + Math.floor(rand() * 3)}.${dom}`;
    const ip = `198.51.100.${1 + Math.floor(rand() * 250)}`;
    const sender = `bounces+${id.toLowerCase()}@bounces.test`;
    if (rand() < 0.3) out(`${ts} ${host} postfix/smtpd[${smtpdPid}]: connect from app${Math.floor(rand() * 9)}.internal[10.0.0.${Math.floor(rand() * 250)}]`);
    out(`${ts} ${host} postfix/smtpd[${smtpdPid}]: ${id}: client=app1.internal[10.0.0.7]`);
    out(`${ts} ${host} postfix/cleanup[${pidBase + 90}]: ${id}: message-id=<${Math.floor(rand() * 1e12)}.${id}@sender.example>`);
    out(`${ts} ${host} postfix/qmgr[${pidBase + 1}]: ${id}: from=<${sender}>, size=${2000 + Math.floor(rand() * 30000)}, nrcpt=1 (queue active)`);
    const r = rand();
    const delay = (rand() * 3).toFixed(2);
    const relay = `relay=${mx}[${ip}]:25, delay=${delay}, delays=0.01/0.01/${(rand() * 0.5).toFixed(2)}/${(rand() * 2).toFixed(2)}`;
    const smtpPid = pidBase + 100 + Math.floor(rand() * 20);
    if (r < 0.8) {
      counts.sent++;
      out(`${ts} ${host} postfix/smtp[${smtpPid}]: ${id}: to=<${rcpt}>, ${relay}, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ${qid()})`);
      out(`${ts} ${host} postfix/qmgr[${pidBase + 1}]: ${id}: removed`);
    } else if (r < 0.92) {
      counts.deferred++;
      out(`${ts} ${host} postfix/smtp[${smtpPid}]: ${id}: to=<${rcpt}>, ${relay}, ${pick(DEFERS)(mx, ip).replace('%R', rcpt)}`);
    } else {
      counts.bounced++;
      const ndr = qid();
      out(`${ts} ${host} postfix/smtp[${smtpPid}]: ${id}: to=<${rcpt}>, ${relay}, ${pick(BOUNCES)(mx, ip).replace('%R', rcpt)}`);
      out(`${ts} ${host} postfix/cleanup[${pidBase + 90}]: ${ndr}: message-id=<${stamp(t).replace(/\W/g, '')}.${ndr}@mta.example>`);
      out(`${ts} ${host} postfix/bounce[${pidBase + 95}]: ${id}: sender non-delivery notification: ${ndr}`);
      out(`${ts} ${host} postfix/qmgr[${pidBase + 1}]: ${ndr}: from=<>, size=${3000 + Math.floor(rand() * 2000)}, nrcpt=1 (queue active)`);
      out(`${ts} ${host} postfix/qmgr[${pidBase + 1}]: ${id}: removed`);
    }
    if (rand() < 0.3) out(`${ts} ${host} postfix/smtpd[${smtpdPid}]: disconnect from app1.internal[10.0.0.7] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5`);
    if (rand() < 0.002) pidBase += 7;
  }
  flush();
  closeSync(fd);
  return { lines: n, ...counts };
}

function timedRun(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out.length < 1e6 ? (out += d) : null));
    child.stderr.on('data', (d) => (err.length < 1e5 ? (err += d) : null));
    child.once('exit', (code) => resolve({ exit: code, wallS: (performance.now() - t0) / 1000, stdout: out, stderr: err }));
  });
}

export async function runLogtail(opts = {}) {
  const quick = Boolean(opts.quick);
  const lines = Number(opts.lines ?? (quick ? 100_000 : 1_000_000));
  const dir = freshDir('logtail');
  const file = join(dir, 'maillog');
  const t0 = performance.now();
  const gen = generateLog(file, lines);
  const size = statSync(file).size;
  log(`logtail: generated ${gen.lines} lines (${round(size / 2 ** 20, 1)} MB; sent ${gen.sent}, deferred ${gen.deferred}, bounced ${gen.bounced}) in ${round((performance.now() - t0) / 1000, 1)} s`);
  // The baseline: a plain line count of the same (now cached) file.
  await timedRun('wc', ['-l', file]);
  const wc = await timedRun('wc', ['-l', file]);
  const wcRate = round(gen.lines / wc.wallS, 0);
  const result = { lines: gen.lines, bytes: size, statuses: gen, wcLinesPerSec: wcRate, wcWallS: round(wc.wallS, 3) };
  if (!tailCommandPresent()) {
    log(`logtail: skipped: \`bounced tail\` not present yet (wc -l: ${wcRate} lines/s)`);
    result.skipped = '`bounced tail` command not present yet';
  } else {
    const dataDir = join(dir, 'data');
    const r = await timedRun(process.execPath, [CLI, 'tail', file, '--once'], {
      BOUNCED_DATA_DIR: dataDir,
      BOUNCED_BOUNCE_DOMAINS: 'bounces.test',
      BOUNCED_VERP_SECRET: 'bench-secret-bench-secret-bench-secret',
      BOUNCED_LOG_LEVEL: 'warn',
    });
    Object.assign(result, {
      tailExit: r.exit,
      tailWallS: round(r.wallS, 3),
      tailLinesPerSec: round(gen.lines / r.wallS, 0),
      tailOverWc: round(gen.lines / r.wallS / wcRate, 4),
      tailSummary: (() => {
        try {
          return JSON.parse(r.stdout.trim().split('\n').pop());
        } catch {
          return undefined;
        }
      })(),
      tailStdoutTail: r.stdout.slice(-600),
      tailStderrTail: r.exit ? r.stderr.slice(-600) : undefined,
    });
    log(`logtail: bounced tail --once ${result.tailLinesPerSec} lines/s (exit ${r.exit}) vs wc -l ${wcRate} lines/s`);
  }
  if (!opts['keep-log']) rmSync(file, { force: true });
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs();
  const result = await runLogtail(args);
  const file = saveSection('logtail', result, { quick: Boolean(args.quick) });
  console.log(JSON.stringify(result, null, 1));
  log(`logtail: results in ${file}`);
}

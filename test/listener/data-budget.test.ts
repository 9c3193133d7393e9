// The global budget of message bytes in memory (smtp.maxBytesInFlight): concurrent big
// messages past it are deferred with 452 4.3.1, and the daemon's memory stays bounded.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnDaemon, type ChildDaemon } from '../helpers/child.js';
import { BOUNCE_DOMAIN, TEST_SECRET, tmpDir } from '../helpers/env.js';
import { sendRaw } from '../helpers/smtp.js';

const MB = 1024 * 1024;
let daemons: ChildDaemon[] = [];
afterEach(async () => {
  for (const d of daemons) {
    d.proc.kill('SIGTERM');
    await d.exited;
  }
  daemons = [];
});

/** Resident set now and at its peak (VmHWM), in MB, from /proc. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)![1]) / 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** A message of about `bytes`: headers, then base64-looking lines (no DSN: it is stored and found unparseable or plain). */
function bigMessage(bytes: number, n: number): Buffer {
  const head = `From: <mailer-daemon@example.org>\r\nTo: <postmaster@${BOUNCE_DOMAIN}>\r\nSubject: big ${n}\r\nMessage-ID: <big-${n}@example.org>\r\n\r\n`;
  const line = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3\r\n';
  return Buffer.concat([Buffer.from(head), Buffer.from(line.repeat(Math.ceil(bytes / line.length)))]);
}

describe('smtp.maxBytesInFlight', () => {
  it('concurrent maximum-size messages past the budget get 452 4.3.1; the others are stored; memory stays bounded', async () => {
    const d = await spawnDaemon({
      BOUNCED_DATA_DIR: tmpDir('bounced-budget-'),
      BOUNCED_VERP_SECRET: TEST_SECRET,
      BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN,
      BOUNCED_SMTP_MAX_MESSAGE_BYTES: String(20 * MB + MB),
      BOUNCED_SMTP_MAX_BYTES_IN_FLIGHT: String(48 * MB),
      // 32 sessions from one address: above the per-client limit, which is not what is tested here
      BOUNCED_SMTP_MAX_CLIENTS_PER_IP: '0',
      BOUNCED_STORE_SYNCHRONOUS: 'NORMAL',
      // Held in memory (spooled messages hold only their head: test/listener/spool.test.ts).
      BOUNCED_SPOOL_ABOVE_BYTES: '0',
    });
    daemons.push(d);
    await new Promise((r) => setTimeout(r, 300));
    const before = memory(d.proc.pid!);
    const COUNT = 32;
    const messages = Array.from({ length: COUNT }, (_, i) => bigMessage(20 * MB, i));
    const results = await Promise.all(messages.map((m) => sendRaw(d.smtpPort, { from: '', to: [`postmaster@${BOUNCE_DOMAIN}`] }, m)));
    const after = memory(d.proc.pid!);
    const codes = results.map((r) => r.code);
    const deferred = results.filter((r) => r.code === 452);
    console.log(`${COUNT} concurrent 20 MB messages, budget 48 MB: ${codes.filter((c) => c === 250).length} stored, ${deferred.length} deferred (452); daemon RSS ${before.rss.toFixed(0)} MB before, peak ${after.peak.toFixed(0)} MB`);
    expect(codes.every((c) => c === 250 || c === 452), codes.join(',')).toBe(true);
    expect(codes.filter((c) => c === 250).length).toBeGreaterThanOrEqual(1);
    expect(deferred.length).toBeGreaterThanOrEqual(1);
    for (const r of deferred) expect(r.response).toMatch(/^452 4\.3\.1 Insufficient system storage/);
    // Unbounded, the 32 x 20 MB would be held at once (640 MB; 12 of them measured +283 MB over
    // the start); with the budget at most 48 MB of messages are, plus the copies made while
    // storing and the dropped chunks not yet collected, which Node 26 collects much later than
    // Node 22 (12 messages: +107..119 MB on Node 22, +192 on Node 26). Bound: half of holding them.
    expect(after.peak - before.rss).toBeLessThan((COUNT * 20) / 2);
    // Once the messages in flight are stored, a deferred one is taken (the sender's retry).
    expect((await sendRaw(d.smtpPort, { from: '', to: [`postmaster@${BOUNCE_DOMAIN}`] }, messages[0]!)).code).toBe(250);
    const metrics = await (await fetch(`http://127.0.0.1:${d.httpPort}/metrics`)).text();
    expect(metrics).toContain(`bounced_smtp_rejected_total{cause="budget"} ${deferred.length}`);
    expect(metrics).toMatch(/bounced_smtp_bytes_in_flight 0\b/);
  }, 120_000);

  it('a SIZE= declared at MAIL FROM that cannot fit now is refused there, before the bytes are sent (RFC 1870)', async () => {
    const d = await spawnDaemon({
      BOUNCED_DATA_DIR: tmpDir('bounced-budget-'),
      BOUNCED_VERP_SECRET: TEST_SECRET,
      BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN,
      BOUNCED_SMTP_MAX_MESSAGE_BYTES: String(2 * MB),
      BOUNCED_SMTP_MAX_BYTES_IN_FLIGHT: String(3 * MB),
      BOUNCED_SPOOL_ABOVE_BYTES: '0',
    });
    daemons.push(d);
    // Session A holds 2 MB in the middle of its DATA ...
    const a = connect(d.smtpPort, '127.0.0.1');
    const lines: string[] = [];
    a.on('data', (b) => lines.push(...b.toString().split('\r\n').filter(Boolean)));
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 100 && !lines.some((l) => re.test(l)); i++) await new Promise((r) => setTimeout(r, 50));
    };
    await waitFor(/^220/);
    a.write(`EHLO a.example\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster@${BOUNCE_DOMAIN}>\r\nDATA\r\n`);
    await waitFor(/^354/);
    a.write(bigMessage(2 * MB - 4096, 1));
    await new Promise((r) => setTimeout(r, 300));
    // ... so a 2 MB declared by session B does not fit: 452 at MAIL FROM.
    const b = connect(d.smtpPort, '127.0.0.1');
    const bl: string[] = [];
    b.on('data', (x) => bl.push(...x.toString().split('\r\n').filter(Boolean)));
    for (let i = 0; i < 100 && !bl.some((l) => l.startsWith('220')); i++) await new Promise((r) => setTimeout(r, 50));
    b.write(`EHLO b.example\r\nMAIL FROM:<> SIZE=${2 * MB - 4096}\r\n`);
    // The last line of the EHLO answer, then the answer to MAIL FROM.
    const finals = () => bl.filter((l) => /^\d{3} /.test(l));
    for (let i = 0; i < 100 && finals().length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect(finals()[2]).toMatch(/^452 4\.3\.1 Insufficient system storage/);
    // A's message completes and is stored.
    a.write('\r\n.\r\n');
    await waitFor(/^250 2\.0\.0 Ok: stored as/);
    expect(lines.at(-1)).toMatch(/^250 2\.0\.0 Ok: stored as/);
    a.destroy();
    b.destroy();
  });
});

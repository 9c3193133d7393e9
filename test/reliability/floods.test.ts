// Floods: too many clients, a client that trickles, a 100 MB message. Raw sockets on
// loopback against real daemons.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { spawnDaemon, type ChildDaemon } from '../helpers/child.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, testConfig, tmpDir } from '../helpers/env.js';
import { firstLine, sendRaw } from '../helpers/smtp.js';

const dsn = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
let daemons: Daemon[] = [];
let children: ChildDaemon[] = [];
afterEach(async () => {
  for (const d of daemons) await d.stop();
  for (const c of children) c.proc.kill('SIGKILL');
  daemons = [];
  children = [];
});

/** Opens a connection and resolves with the first line the server sends. */
async function connectFirstLine(port: number): Promise<{ sock: net.Socket; line: string }> {
  const sock = net.connect(port, '127.0.0.1');
  return { sock, line: await firstLine(sock) };
}

function vmHwmKb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

describe('floods', () => {
  it('answers 421 to clients past maxClients and keeps serving the others', async () => {
    const d = await startDaemon(testConfig({ smtp: { port: 0, maxClients: 3 } }), createLogger('silent'));
    daemons.push(d);
    const port = d.smtpAddress.port;
    const held = await Promise.all([1, 2, 3].map(() => connectFirstLine(port)));
    expect(held.map((h) => h.line.slice(0, 4))).toEqual(['220 ', '220 ', '220 ']);
    const extra = await connectFirstLine(port);
    expect(extra.line).toMatch(/^421 /);
    extra.sock.destroy();
    // A held session still works end to end.
    const s = held[0]!.sock;
    const said: string[] = [];
    s.on('data', (b) => said.push(b.toString()));
    s.write('EHLO mx.example.org\r\n');
    await new Promise((r) => setTimeout(r, 100));
    expect(said.join('')).toMatch(/^250[- ]/m);
    for (const h of held) h.sock.destroy();
    // Once they are gone, new clients get in again.
    await new Promise((r) => setTimeout(r, 100));
    expect((await sendRaw(port, { from: '', to: [`postmaster@${BOUNCE_DOMAIN}`] }, dsn)).code).toBe(250);
  });

  it('cuts off a client that sends one byte a second (whole-session limit), and one that goes silent (idle time-out)', async () => {
    const d = await startDaemon(testConfig({ smtp: { port: 0, maxSessionMs: 1500, socketTimeoutMs: 1000 } }), createLogger('silent'));
    daemons.push(d);
    const port = d.smtpAddress.port;
    const trickle = await connectFirstLine(port);
    let closed = false;
    let said = '';
    trickle.sock.on('data', (b) => (said += b.toString()));
    trickle.sock.on('close', () => (closed = true));
    const text = 'EHLO slow.example.org\r\n';
    const t0 = Date.now();
    for (let i = 0; i < text.length && !closed; i++) {
      trickle.sock.write(text[i]!);
      await new Promise((r) => setTimeout(r, 200)); // 5 bytes/s: never idle for a second
    }
    while (!closed && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(true);
    expect(said).toMatch(/421 .*Session too long/);

    const silent = await connectFirstLine(port);
    const silentClosed = new Promise<number>((resolve) => silent.sock.on('close', () => resolve(Date.now())));
    const t1 = Date.now();
    expect((await silentClosed) - t1).toBeLessThan(5000);
  });

  it('refuses a 300 MB message at the size limit without buffering it', async () => {
    const child = await spawnDaemon({
      BOUNCED_DATA_DIR: tmpDir(),
      BOUNCED_VERP_SECRET: TEST_SECRET,
      BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN,
      BOUNCED_SMTP_MAX_MESSAGE_BYTES: String(10 * 1024 * 1024),
    });
    children.push(child);
    const pid = child.proc.pid!;
    const before = vmHwmKb(pid);
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(child.smtpPort, '127.0.0.1');
      let buf = '';
      let step = 0;
      const chunk = Buffer.alloc(1024 * 1024, 'x'.repeat(76) + '\r\n');
      sock.on('data', async (b) => {
        buf += b.toString();
        if (!buf.endsWith('\r\n')) return;
        const last = buf.trimEnd().split('\r\n').pop()!;
        buf = '';
        if (/^[45]/.test(last) && step < 4) return resolve(last);
        if (step === 0 && /^220 /.test(last)) sock.write('EHLO big.example.org\r\n');
        else if (step === 1 && /^250 /.test(last)) sock.write('MAIL FROM:<>\r\n');
        else if (step === 2) sock.write(`RCPT TO:<postmaster@${BOUNCE_DOMAIN}>\r\n`);
        else if (step === 3) sock.write('DATA\r\n');
        else if (step === 4) {
          // 300 MB, written with back-pressure, then the final dot.
          sock.write('Subject: big\r\n\r\n');
          for (let i = 0; i < 300; i++) if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r));
          sock.write('\r\n.\r\n');
        } else return resolve(last);
        step++;
      });
      sock.on('error', reject);
    });
    expect(reply).toMatch(/^552 /);
    const grownMb = (vmHwmKb(pid) - before) / 1024;
    // Whatever it held stays far below the 300 MB sent: up to the 10 MB limit in 1 MB parts,
    // then nothing. What it does not hold still shows until a GC: smtp-server copies every
    // chunk, and V8 collects such external buffers only after some tens of MB of them. That
    // threshold depends on the Node: the peak grew ~35 MB on Node 22 and 100-111 MB on Node 26,
    // the same whether 100 or 300 MB were sent (measured 2026-12-03), so the message is sent
    // three times larger than Node 26's garbage peak; buffering it would show 300 MB and more.
    console.log(`300 MB refused: peak RSS grew ${grownMb.toFixed(1)} MB`);
    expect(grownMb).toBeLessThan(150);
  });
});

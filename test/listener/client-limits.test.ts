// One client must not hold every SMTP slot. Real SMTP over loopback: the "clients" are
// different source addresses in 127.0.0.0/8 (the socket bound with localAddress).
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import nodemailer, { type TransportOptions } from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { clientKey } from '../../src/client-address.js';
import { createLogger } from '../../src/log.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { BOUNCE_DOMAIN, fixturesDir, testConfig } from '../helpers/env.js';

const dsn = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
let daemons: Daemon[] = [];
let sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets = [];
  for (const d of daemons) await d.stop();
  daemons = [];
});

async function start(smtp: Record<string, unknown>) {
  const d = await startDaemon(testConfig({ smtp: { port: 0, ...smtp } }), createLogger('silent'));
  daemons.push(d);
  return d.smtpAddress.port;
}

/** A raw session from `from`: its greeting, a way to send a command and read the reply, and its end. */
async function session(port: number, from: string) {
  const sock = net.connect({ port, host: '127.0.0.1', localAddress: from });
  sockets.push(sock);
  let buf = '';
  let waiting: ((line: string) => void) | null = null;
  const lines: string[] = [];
  sock.on('data', (b) => {
    buf += b.toString();
    for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      // Multi-line replies: only the last line (code and a space) ends the reply.
      if (/^\d{3}-/.test(line)) continue;
      if (waiting) {
        const w = waiting;
        waiting = null;
        w(line);
      } else lines.push(line);
    }
  });
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  sock.on('error', () => {});
  const next = () => (lines.length ? Promise.resolve(lines.shift()!) : new Promise<string>((r) => (waiting = r)));
  const greeting = await Promise.race([next(), closed.then(() => '(closed)')]);
  return {
    greeting,
    closed,
    async command(line: string): Promise<string> {
      sock.write(`${line}\r\n`);
      return Promise.race([next(), closed.then(() => '(closed)')]);
    },
  };
}

/** One message through nodemailer from a given source address. */
async function deliver(port: number, from: string): Promise<number> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port, localAddress: from, ignoreTLS: true } as TransportOptions);
  try {
    await t.sendMail({ envelope: { from: '', to: [`postmaster@${BOUNCE_DOMAIN}`] }, raw: dsn });
    return 250;
  } catch (err) {
    return (err as { responseCode?: number }).responseCode ?? 0;
  } finally {
    t.close();
  }
}

describe('per-client limits', () => {
  it('one address holding idle sessions gets 421 past smtp.maxClientsPerIp; other clients are still served', async () => {
    const port = await start({ maxClients: 8, maxClientsPerIp: 3 });
    // The hog opens as many idle sessions as the server has slots, keeping each alive with NOOP.
    const hog = [];
    for (let i = 0; i < 8; i++) hog.push(await session(port, '127.0.0.2'));
    expect(hog.map((s) => s.greeting.slice(0, 4))).toEqual(['220 ', '220 ', '220 ', '421 ', '421 ', '421 ', '421 ', '421 ']);
    expect(hog[3]!.greeting).toMatch(/^421 4\.7\.0 .*too many connections from your address/i);
    for (const s of hog.slice(0, 3)) expect(await s.command('NOOP')).toMatch(/^250 /);
    // Two other senders deliver meanwhile.
    expect(await deliver(port, '127.0.0.3')).toBe(250);
    expect(await deliver(port, '127.0.0.4')).toBe(250);
    // When a hog session ends, its address may open one again.
    await hog[0]!.command('QUIT');
    await hog[0]!.closed;
    // (the server sees the socket close a moment after the client does)
    let again = await session(port, '127.0.0.2');
    for (let i = 0; i < 20 && !again.greeting.startsWith('220 '); i++) {
      await new Promise((r) => setTimeout(r, 50));
      again = await session(port, '127.0.0.2');
    }
    expect(again.greeting).toMatch(/^220 /);
  });

  it('a session that makes no progress gets 421 after smtp.maxIdleCommands; a delivered message starts the count again', async () => {
    const port = await start({ maxIdleCommands: 4 });
    const idle = await session(port, '127.0.0.5');
    expect(await idle.command('EHLO idle.example')).toMatch(/^250 /);
    for (const c of ['NOOP', 'RSET', 'HELP', `VRFY postmaster@${BOUNCE_DOMAIN}`]) expect(await idle.command(c)).toMatch(/^2\d\d /);
    expect(await idle.command('NOOP')).toMatch(/^421 4\.7\.0 .*too many commands without a message/i);
    await idle.closed;

    // Refused commands count too (a loop of refused recipients makes no progress either).
    const refused = await session(port, '127.0.0.6');
    await refused.command('EHLO loop.example');
    await refused.command('MAIL FROM:<>');
    for (let i = 0; i < 4; i++) expect(await refused.command(`RCPT TO:<victim${i}@elsewhere.example>`)).toMatch(/^550 /);
    expect(await refused.command('RCPT TO:<victim@elsewhere.example>')).toMatch(/^421 /);

    // A sender that delivers between its NOOPs is never cut off.
    const busy = await session(port, '127.0.0.7');
    await busy.command('EHLO busy.example');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) expect(await busy.command('NOOP')).toMatch(/^250 /);
      expect(await busy.command('MAIL FROM:<>')).toMatch(/^250 /);
      expect(await busy.command(`RCPT TO:<postmaster@${BOUNCE_DOMAIN}>`)).toMatch(/^250 /);
      expect(await busy.command('DATA')).toMatch(/^354 /);
      expect(await busy.command(`Subject: round ${round}\r\n\r\nhello\r\n.`)).toMatch(/^250 /);
    }
  });

  it('counts an IPv6 /64 as one client, and an IPv4-mapped address as its IPv4 address', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe(clientKey('2001:db8:1:2:bbbb::2'));
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db8:1:3::1'));
    expect(clientKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
    // The same address asked again (remembered) and others in between: each still gets its own key.
    const asked = ['2001:db8:1:2::1', '2001:db8:1:2::1', '192.0.2.9', '2001:db8:1:2::1', 'not an address', 'not an address', '::ffff:192.0.2.9'];
    expect(asked.map(clientKey)).toEqual(['2001:db8:1:2::/64', '2001:db8:1:2::/64', '192.0.2.9', '2001:db8:1:2::/64', 'not an address', 'not an address', '192.0.2.9']);
  });
});

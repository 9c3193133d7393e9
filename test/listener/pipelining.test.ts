// Replies to pipelined commands (RFC 2920) leave in one write: a client that sends MAIL, RCPT
// and DATA in one packet, as Postfix, Exim and Sendmail do when PIPELINING is offered, gets
// its replies in one segment, not one system call each. Real SMTP over loopback; the server's
// own socket is watched (its write operations counted, each passed on to the real one).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import type { SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { BouncedSmtpServer, type ClientLimits } from '../../src/listener/server.js';
import { tmpDir } from '../helpers/env.js';

const limits: ClientLimits = { greetingDelayMs: 0, maxSessionMs: 60_000, maxClientsPerIp: 0, clientLimitExceptions: [], maxIdleCommands: 10 };

let server: BouncedSmtpServer | null = null;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

async function listen(options: Partial<SMTPServerOptions> = {}): Promise<number> {
  server = new BouncedSmtpServer(
    {
      name: 'mx.test',
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      closeTimeout: 100,
      // Decided at once, as the daemon's hooks are (src/listener/index.ts); smtp-server's
      // defaults answer on a later turn of the event loop.
      onMailFrom: (_address, _session, cb) => cb(),
      onRcptTo: (_address, _session, cb) => cb(),
      // The message's 250 comes a little later, as the daemon's does after its commit.
      onData(stream, _session, cb) {
        stream.resume();
        stream.on('end', () => setTimeout(() => cb(null, 'Queued'), 20));
      },
      ...options,
    },
    limits,
  );
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return (server.server.address() as net.AddressInfo).port;
}

/** Reads whole replies (RFC 5321 §4.2: the last line has a space after the code) from a stream. */
class Replies {
  private buf = '';
  private waiting: Array<{ n: number; resolve: (r: string[]) => void }> = [];
  private got: string[] = [];
  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (b: Buffer) => this.push(b.toString('latin1')));
  }
  private push(text: string): void {
    this.buf += text;
    let i;
    while ((i = this.buf.indexOf('\r\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      if (line.length <= 3 || line[3] === ' ') this.got.push(line);
    }
    const w = this.waiting[0];
    if (w && this.got.length >= w.n) {
      this.waiting.shift();
      w.resolve(this.got.splice(0, w.n));
    }
  }
  next(n = 1): Promise<string[]> {
    if (this.got.length >= n) return Promise.resolve(this.got.splice(0, n));
    return new Promise((resolve) => this.waiting.push({ n, resolve }));
  }
}

/** The server side of the one open session, with a count of the write operations on its socket. */
function watchServerSocket(): { writes: () => number } {
  const conns = [...(server as unknown as { connections: Set<{ _socket: net.Socket }> }).connections];
  expect(conns).toHaveLength(1);
  const sock = conns[0]!._socket as net.Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  let n = 0;
  const write = sock._write.bind(sock);
  const writev = sock._writev.bind(sock);
  sock._write = (...a: unknown[]) => (n++, write(...a));
  sock._writev = (...a: unknown[]) => (n++, writev(...a));
  return { writes: () => n };
}

async function session(port: number): Promise<{ sock: net.Socket; replies: Replies }> {
  const sock = net.connect(port, '127.0.0.1');
  sockets.push(sock);
  const replies = new Replies(sock);
  expect((await replies.next())[0]).toMatch(/^220 /);
  sock.write('EHLO client.test\r\n');
  expect((await replies.next())[0]).toMatch(/^250 /);
  return { sock, replies };
}

describe('pipelined commands', () => {
  it('get their replies in one write, in order, and the message its 250 when it is stored', async () => {
    const port = await listen();
    const { sock, replies } = await session(port);
    const watch = watchServerSocket();
    sock.write('MAIL FROM:<>\r\nRCPT TO:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n');
    const four = await replies.next(4);
    expect(four.map((l) => l.slice(0, 3))).toEqual(['250', '250', '250', '354']);
    expect(four[1]).toMatch(/Accepted/);
    expect(watch.writes()).toBe(1);
    // The 250 given after the (delayed) store is written when it is given, not held.
    sock.write('Subject: x\r\n\r\nhello\r\n.\r\n');
    expect((await replies.next())[0]).toMatch(/^250 .*Queued/);
    expect(watch.writes()).toBe(2);
  });

  it('answers a client that waits for each reply, one write each', async () => {
    const port = await listen();
    const { sock, replies } = await session(port);
    const watch = watchServerSocket();
    for (const [cmd, code] of [['MAIL FROM:<>', '250'], ['RCPT TO:<a@example.test>', '250'], ['NOOP', '250'], ['RSET', '250']] as const) {
      sock.write(cmd + '\r\n');
      expect((await replies.next())[0]!.slice(0, 3)).toBe(code);
    }
    expect(watch.writes()).toBe(4);
  });

  it('still starts TLS when STARTTLS comes in one packet after another command', async () => {
    const dir = tmpDir('bounced-pipe-tls-');
    const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=mx.test'], { stdio: 'ignore' });
    const port = await listen({ disabledCommands: ['AUTH'], key: readFileSync(keyFile), cert: readFileSync(certFile) });
    const { sock, replies } = await session(port);
    sock.write('NOOP\r\nSTARTTLS\r\n');
    const two = await replies.next(2);
    expect(two.map((l) => l.slice(0, 3))).toEqual(['250', '220']);
    sock.removeAllListeners('data');
    const secure = tls.connect({ socket: sock, rejectUnauthorized: false, servername: 'mx.test' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    const overTls = new Replies(secure);
    secure.write('EHLO client.test\r\nMAIL FROM:<>\r\nRCPT TO:<a@example.test>\r\n');
    expect((await overTls.next(3)).map((l) => l.slice(0, 3))).toEqual(['250', '250', '250']);
    secure.destroy();
  });
});

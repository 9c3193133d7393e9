import net from 'node:net';
import nodemailer from 'nodemailer';

export interface SendResult {
  ok: boolean;
  /** The server's reply code to the failing command, or 250. */
  code: number;
  response: string;
  /** Recipients refused at RCPT while others were accepted, with their reply codes. */
  rejected: Array<{ address: string; code: number }>;
}

/** Sends raw bytes with an explicit envelope over real SMTP on loopback. */
export async function sendRaw(port: number, envelope: { from: string; to: string[] }, raw: Buffer | string): Promise<SendResult> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 10_000 });
  try {
    const info = await transport.sendMail({ envelope, raw });
    const rejected = ((info as { rejectedErrors?: Array<{ recipient: string; responseCode: number }> }).rejectedErrors ?? []).map((e) => ({
      address: e.recipient,
      code: e.responseCode,
    }));
    return { ok: true, code: 250, response: info.response, rejected };
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; message: string };
    return { ok: false, code: e.responseCode ?? 0, response: e.response ?? e.message, rejected: [] };
  } finally {
    transport.close();
  }
}

/** The same message made unique per n (its own Message-ID), so it is no duplicate. */
export function withMessageId(raw: Buffer, n: number | string): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/^Message-Id: <([^>]+)>/im, `Message-Id: <${n}.$1>`), 'latin1');
}

/**
 * One message over a fresh raw SMTP connection, timing what a sender waits for its 250:
 * from the final "." handed to the kernel to the reply. `raw` must use CRLF line ends.
 */
export async function sendTimed(port: number, to: string, raw: Buffer): Promise<{ code: number; ms: number }> {
  const sock = net.connect(port, '127.0.0.1');
  sock.setNoDelay(true);
  let buf = '';
  const waiting: Array<(line: string) => void> = [];
  const ready: string[] = [];
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      if (line.length > 3 && line[3] === '-') continue;
      const w = waiting.shift();
      if (w) w(line);
      else ready.push(line);
    }
  });
  const closed = new Promise<never>((_, reject) => sock.once('close', () => reject(new Error('connection closed'))));
  closed.catch(() => {});
  const reply = () => Promise.race([ready.length ? Promise.resolve(ready.shift()!) : new Promise<string>((r) => waiting.push(r)), closed]);
  const cmd = (line: string) => (sock.write(line + '\r\n'), reply());
  try {
    for (const [step, want] of [[reply, '220'], [() => cmd('EHLO mta.test'), '250'], [() => cmd('MAIL FROM:<>'), '250'], [() => cmd(`RCPT TO:<${to}>`), '250'], [() => cmd('DATA'), '354']] as const) {
      const line = await step();
      if (!line.startsWith(want)) return { code: Number(line.slice(0, 3)), ms: NaN };
    }
    const body = Buffer.from(raw.toString('latin1').replace(/^\./gm, '..'), 'latin1');
    sock.write(body);
    if (!body.subarray(-2).equals(Buffer.from('\r\n'))) sock.write('\r\n');
    await new Promise<void>((r) => sock.write('.\r\n', () => r()));
    const t0 = performance.now();
    const line = await reply();
    const ms = performance.now() - t0;
    sock.write('QUIT\r\n');
    return { code: Number(line.slice(0, 3)), ms };
  } finally {
    sock.end();
  }
}

/** Resolves with the first line (without its CRLF) that arrives on a socket. */
export function firstLine(sock: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (b: Buffer) => {
      buf += b.toString();
      const i = buf.indexOf('\r\n');
      if (i < 0) return;
      sock.off('data', onData);
      resolve(buf.slice(0, i));
    };
    sock.on('data', onData);
    sock.once('error', reject);
  });
}

/**
 * A raw SMTP session over loopback, driven by hand (for what a client library would not do:
 * stop mid-message, outlive a limit): everything the server said, a wait for a reply line
 * matching, and the moment the server closed.
 */
export function rawSession(port: number): { sock: net.Socket; said: () => string; saw: (re: RegExp) => Promise<void>; closed: Promise<void> } {
  const sock = net.connect(port, '127.0.0.1');
  let said = '';
  sock.on('data', (b) => (said += b.toString()));
  sock.on('error', () => {});
  const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
  const saw = async (re: RegExp) => {
    for (let i = 0; i < 200 && !re.test(said); i++) await new Promise((r) => setTimeout(r, 10));
    if (!re.test(said)) throw new Error(`no reply matching ${re} in: ${JSON.stringify(said)}`);
  };
  return { sock, said: () => said, saw, closed };
}

// FastDataStream (src/listener/data-stream.ts) against smtp-server's own SMTPStream: the same
// bytes, cut into chunks in every way, must give the same message, the same commands after it
// and the same byte counts. The original is the oracle: it runs here, unchanged.
import { connect, type Socket } from 'node:net';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { describe, expect, it } from 'vitest';
import { Listener } from '../../src/listener/index.js';
import { createLogger } from '../../src/log.js';
import { testConfig } from '../helpers/env.js';
import { DATA_HIGH_WATER, FastDataStream, SOCKET_HIGH_WATER } from '../../src/listener/data-stream.js';

interface Result {
  message: string;
  commands: string[];
  dataBytes: number;
}

/** Feeds `chunks` to a parser in data mode; resolves with the message, the commands after it, the byte count. */
function feed(Parser: typeof SMTPStream, chunks: Buffer[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const parser = new Parser();
    const commands: string[] = [];
    let message = '';
    let dataBytes = -1;
    parser.oncommand = (command, next) => {
      commands.push(command.toString('latin1'));
      next?.();
    };
    parser.on('error', reject);
    const data = parser.startDataMode();
    data.on('data', (b: Buffer) => (message += b.toString('latin1')));
    data.on('end', () => {
      dataBytes = data.byteLength;
      parser.continue();
    });
    let i = 0;
    const next = () => {
      if (i < chunks.length) parser.write(chunks[i++], next);
      else parser.end(() => setTimeout(() => resolve({ message, commands, dataBytes }), 5));
    };
    next();
  });
}

/** Every split of `s` into 2 and 3 pieces (3: the cuts 1..3 bytes apart, around each position), and one byte at a time. */
function splits(s: string): Buffer[][] {
  const b = Buffer.from(s, 'latin1');
  const out: Buffer[][] = [[b], [...b].map((x) => Buffer.from([x]))];
  for (let i = 1; i < b.length; i++) {
    out.push([b.subarray(0, i), b.subarray(i)]);
    for (let d = 1; d <= 3 && i + d < b.length; d++) out.push([b.subarray(0, i), b.subarray(i, i + d), b.subarray(i + d)]);
  }
  return out;
}

const CASES: Record<string, string> = {
  plain: 'Subject: hi\r\n\r\nline one\r\nline two\r\n.\r\nQUIT\r\n',
  'empty message': '.\r\nRSET\r\n',
  'escaped first line': '..leading\r\nbody\r\n.\r\nNOOP\r\n',
  'first line a single dot': '..\r\nafter\r\n.\r\nQUIT\r\n',
  'escaped lines inside': 'a\r\n..b\r\n...\r\n..\r\nc\r\n.\r\nQUIT\r\n',
  'dots not at a line start': 'a.b\r\nx .\r\n. not end\r\n.\r\nQUIT\r\n',
  'bare LF before a dot': 'a\n.\nb\r\n\n.\r\nc\r\n.\r\nQUIT\r\n',
  'terminator at once': '\r\n.\r\nQUIT\r\n',
  'two messages pipelined': 'one\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\nDATA\r\n',
  'no terminator': 'x\r\n..y\r\nz',
};

describe('FastDataStream', () => {
  for (const [name, input] of Object.entries(CASES)) {
    it(`reads "${name}" exactly as smtp-server's SMTPStream, however it is chunked`, async () => {
      for (const chunks of splits(input)) {
        const [want, got] = await Promise.all([feed(SMTPStream, chunks), feed(FastDataStream, chunks)]);
        expect(got, JSON.stringify(chunks.map((c) => c.toString('latin1')))).toEqual(want);
      }
    });
  }

  it('reads a 20 KB message with dot-stuffed lines in 1 KB chunks as the original does', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) lines.push(i % 7 === 0 ? `..line ${i}` : `line ${i} .. x`);
    const input = Buffer.from(`${lines.join('\r\n')}\r\n.\r\nQUIT\r\n`, 'latin1');
    const chunks: Buffer[] = [];
    for (let o = 0; o < input.length; o += 1000) chunks.push(input.subarray(o, o + 1000));
    const want = await feed(SMTPStream, chunks);
    expect(want.message).toContain('\r\n.line 7\r\n');
    expect(await feed(FastDataStream, chunks)).toEqual(want);
  });
});

describe('FastDataStream without copies', () => {
  it('writes out slices of the socket reads themselves, and only the held-back bytes on their own', async () => {
    const body = Buffer.alloc(3 * 65536, 'x');
    for (let i = 100; i < body.length; i += 1000) body.write('\r\n', i, 'latin1');
    const input = Buffer.concat([body, Buffer.from('\r\n.\r\nQUIT\r\n')]);
    // Socket reads: each its own ArrayBuffer, as Node hands them over.
    const reads: Buffer[] = [];
    for (let o = 0; o < input.length; o += 65536) {
      const piece = input.subarray(o, o + 65536);
      const read = Buffer.allocUnsafeSlow(piece.length);
      piece.copy(read);
      reads.push(read);
    }
    const parser = new FastDataStream();
    parser.oncommand = (_c, next) => next?.();
    const data = parser.startDataMode();
    const out: Buffer[] = [];
    data.on('data', (b: Buffer) => out.push(b));
    const ended = new Promise((resolve) => data.on('end', resolve));
    // smtp-server calls continue() once the message is handled; the parser then reads on.
    data.on('end', () => parser.continue());
    for (const r of reads) await new Promise<void>((resolve) => parser.write(r, () => resolve()));
    await ended;
    expect(Buffer.concat(out).equals(Buffer.concat([body, Buffer.from('\r\n')]))).toBe(true);
    // Every byte comes from a socket read itself, but the 4 held back at the end of each read.
    const copies = out.filter((b) => !reads.some((r) => r.buffer === b.buffer));
    for (const b of copies) expect(b.length).toBeLessThanOrEqual(4);
    expect(copies.reduce((n, b) => n + b.length, 0)).toBe(4 * (reads.length - 1));
    expect(out.filter((b) => b.length > 4).length).toBe(3);
  });

  it('holds the socket back while the DATA stream is not read: at most its small buffer and the chunk at hand wait', async () => {
    const parser = new FastDataStream();
    parser.oncommand = (_c, next) => next?.();
    const data = parser.startDataMode();
    expect(data.writableHighWaterMark).toBe(DATA_HIGH_WATER);
    expect(data.readableHighWaterMark).toBe(DATA_HIGH_WATER);
    data.pause();
    const chunk = Buffer.alloc(65536, 'y');
    let accepted = 0;
    for (let i = 0; i < 8; i++) parser.write(Buffer.from(chunk), () => accepted++);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The first chunk passed into the stream's buffer; the parser then waits for 'drain'.
    expect(accepted).toBeLessThanOrEqual(1);
    expect(data.readableLength + data.writableLength).toBeLessThanOrEqual(2 * 65536);
    let read = 0;
    data.on('data', (b: Buffer) => (read += b.length));
    data.resume();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(accepted).toBe(8);
    expect(read).toBe(8 * 65536 - 4);
  });
});

describe('the SMTP socket', () => {
  it('is read through a buffer of SOCKET_HIGH_WATER (net.createServer highWaterMark), not Node’s default', async () => {
    // No message is sent: the intake is never called.
    const listener = new Listener({ config: testConfig({}), intake: { accept: async () => 1 }, log: createLogger('silent') });
    const seen = new Promise<number>((resolve) => listener.server.server.once('connection', (s: Socket) => resolve(s.readableHighWaterMark)));
    const { port } = await listener.listen('127.0.0.1', 0);
    const client = connect(port, '127.0.0.1');
    try {
      expect(await seen).toBe(SOCKET_HIGH_WATER);
    } finally {
      client.destroy();
      await listener.close();
    }
  });
});

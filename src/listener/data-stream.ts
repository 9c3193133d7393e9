// The end of DATA and dot-stuffing (RFC 5321 §4.1.1.4: the message ends at CRLF "." CRLF;
// §4.5.2: the client doubles a "." that starts a line, the server drops it) found with a native
// search, and without a copy of the message. smtp-server's SMTPStream looks at every byte of the
// message in a JavaScript loop for a "." after a LF (on a 20 KB report that loop was the SMTP
// thread's largest single cost, bench/README.md "Round 5"), and joins the 4 bytes it held back
// from the last chunk to the next one with Buffer.concat: a copy of every socket read, as much
// short-lived garbage as the message is big (bench/README.md "Round 7"). This subclass replaces
// `_feedDataStream`: it asks Buffer.indexOf for the next "\n." (the only place where either
// can start) and reads the held-back bytes and the new chunk as one sequence without joining
// them; what it writes out are slices of the socket's own reads, plus the held-back bytes
// (a copy of at most 4) on their own. It also gives the DATA stream a small buffer
// (DATA_HIGH_WATER): see startDataMode().
//
// Same contract as SMTPStream._feedDataStream in smtp-server 3.21.6, on which
// test/listener/data-stream.test.ts checks it against the original, byte for byte, over every
// way of splitting the input into chunks:
//  - the 4 last bytes of a chunk are held back and put before the next one (a terminator or an
//    escape may straddle two chunks);
//  - at the very start of DATA (nothing consumed yet) "." CRLF ends an empty message and ".."
//    is an escaped first line; later, a "." after a LF is looked at only from the third byte
//    (of the held-back bytes and the chunk together) on and while two more bytes follow it
//    (the original's `2 <= i < length - 2`);
//  - what precedes an escape dot is written and the rest is fed again on the next turn of the
//    event loop (setImmediate), as the original does;
//  - the output stream's back-pressure is honoured: `done` waits for 'drain' (or 'close').
import { PassThrough } from 'node:stream';
import type { SMTPServerDataStream } from 'smtp-server';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';

const LF_DOT = Buffer.from('\n.');
const EMPTY = Buffer.alloc(0);
const DOT = 0x2e;
const CR = 0x0d;
const LF = 0x0a;

/**
 * The DATA stream's buffer, each way (smtp-server's PassThrough takes Node's default, 64 KiB
 * in Node 22, on its writable and its readable side). Past it the parser waits for 'drain'
 * and the socket stops being read, so while the spool file is behind (src/spool/writer.ts) a
 * session holds about one socket read here rather than up to 128 KiB.
 */
export const DATA_HIGH_WATER = 16 * 1024;

/**
 * The socket's read buffer and the parser's write buffer (smtp-server pipes the one into the
 * other), the same bound for the same reason: Node's default, 64 KiB each, lets a session whose
 * DATA waits for the disk hold up to four socket reads there. Reads still take up to 64 KiB
 * from the kernel at a time (libuv's size); this only sets when reading stops while the
 * parser is behind. Commands are far shorter.
 */
export const SOCKET_HIGH_WATER = 16 * 1024;

type Done = (err?: Error | null) => void;

export class FastDataStream extends SMTPStream {
  /**
   * Called before each chunk of the socket's input is read (commands and DATA alike): the
   * connection holds back its replies until this turn of the event loop ends (server.ts,
   * holdReplies), so that the replies to commands a client pipelined in one packet leave in one.
   */
  onChunk: (() => void) | null = null;

  override _write(chunk: Buffer, encoding: BufferEncoding | 'buffer', next: (err?: Error | null) => void): void {
    this.onChunk?.();
    super._write(chunk, encoding, next);
  }

  /**
   * As upstream's (the same fields set, the same size limit), with a DATA stream whose buffer is
   * DATA_HIGH_WATER each way instead of Node's default.
   */
  override startDataMode(maxBytes?: number | string | null): SMTPServerDataStream {
    this._dataMode = true;
    this._maxBytes = (maxBytes && Number(maxBytes)) || Infinity;
    this.dataBytes = 0;
    this._atDataStart = true;
    const stream = Object.assign(new PassThrough({ highWaterMark: DATA_HIGH_WATER }), { byteLength: 0, sizeExceeded: false });
    this._dataStream = stream;
    return stream;
  }

  override _feedDataStream(input: Buffer, done: Done): void {
    const out = this._dataStream!;
    // The message continues with `prev` (the held-back bytes, a copy of their own) and then
    // `input`; `x` is position j of that sequence, `len` its length. Nothing joins them.
    let prev = this._lastBytes && this._lastBytes.length ? this._lastBytes : EMPTY;
    this._lastBytes = false;
    let p = prev.length;
    let len = p + input.length;
    const x = (j: number): number => (j < p ? prev[j]! : input[j - p]!);
    /** The sequence from position `from` on, as one buffer (a copy only when `from` falls inside the held-back bytes). */
    const from = (j: number): Buffer => (j >= p ? input.subarray(j - p) : Buffer.concat([prev.subarray(j), input]));
    /** Writes (counted) the sequence's positions [0, n); `last`: ends the stream with them instead (the terminator). */
    const emit = (n: number): Buffer | false => {
      this._countDataBytes(n);
      if (p > 0 && out.writable) out.write(n < p ? prev.subarray(0, n) : prev);
      return n > p ? input.subarray(0, n - p) : false;
    };

    if (this._atDataStart && len >= 3 && x(0) === DOT && x(1) === CR && x(2) === LF) {
      // An empty message: the terminator is the first line.
      this._endDataMode(false, from(3), done);
      return;
    }
    if (this._atDataStart && len >= 2 && x(0) === DOT && x(1) === DOT) {
      // The first line was dot-stuffed: drop the escape; from here a leading "." is content.
      if (p > 0) prev = prev.subarray(1);
      else input = input.subarray(1);
      p = prev.length;
      len--;
      this._atDataStart = false;
    }
    // A "." at position i (2 <= i < len - 2) after a LF: first those whose LF is a held-back
    // byte (i <= p, a few at most), then in `input` by a native search.
    let dot = -1;
    for (let i = 2; i <= p && i < len - 2; i++) {
      if (x(i) === DOT && x(i - 1) === LF && this.isEndOrEscape(x, i)) {
        dot = i;
        break;
      }
    }
    if (dot < 0) {
      const lastLf = input.length - 3; // the original's i < len - 2, as the LF's place in `input`
      for (let lf = input.indexOf(LF_DOT, p === 0 ? 1 : 0); lf >= 0 && lf < lastLf; lf = input.indexOf(LF_DOT, lf + 1)) {
        if (this.isEndOrEscape(x, p + lf + 1)) {
          dot = p + lf + 1;
          break;
        }
      }
    }
    if (dot >= 0 && x(dot + 1) === CR) {
      // CRLF "." CRLF: the message is what precedes the "." (its last CRLF included); what
      // follows the terminator is commands (i >= 2, so always inside `input`).
      const last = emit(dot);
      this._endDataMode(last, input.subarray(dot + 3 - p), done);
      return;
    }
    if (dot >= 0) {
      // An escaped line: write up to the escape dot, go on from the dot it escapes (the rest of
      // the held-back bytes stay held back, before `input`: the same sequence).
      const head = emit(dot);
      if (head && out.writable) out.write(head);
      if (dot + 1 < p) this._lastBytes = prev.subarray(dot + 1);
      const rest = dot + 1 >= p ? input.subarray(dot + 1 - p) : input;
      setImmediate(() => this._feedDataStream(rest, done));
      return;
    }
    // Hold back the last 4 bytes: "\r\n.\r" could be the start of a terminator. A copy of
    // their own, so that the socket read they came from is garbage as soon as it is written.
    const keep = Math.min(4, len);
    this._lastBytes = Buffer.from(from(len - keep));
    if (keep >= len) return done();
    const ready = emit(len - keep);
    if (!ready || !out.writable) return done();
    if (out.write(ready) || out.destroyed) return done();
    // A stream its reader destroys never drains, it only closes.
    const resume = () => {
      out.removeListener('drain', resume);
      out.removeListener('close', resume);
      done();
    };
    out.once('drain', resume);
    out.once('close', resume);
  }

  /** Whether the "." after a LF at position i ends the message (CR LF "." CR LF) or escapes a line (".."). */
  private isEndOrEscape(x: (j: number) => number, i: number): boolean {
    return (x(i - 2) === CR && x(i + 1) === CR && x(i + 2) === LF) || x(i + 1) === DOT;
  }
}

// The end of DATA and dot-stuffing (RFC 5321 §4.1.1.4: the message ends at CRLF "." CRLF;
// §4.5.2: the client doubles a "." that starts a line, the server drops it) found with a native
// search. smtp-server's SMTPStream looks at every byte of the message in a JavaScript loop for a
// "." after a LF; on a 20 KB report that loop was the SMTP thread's largest single cost
// (bench/README.md "Round 5"). This subclass replaces only that method, `_feedDataStream`, and
// asks Buffer.indexOf for the next "\n." instead, the only place where either can start.
//
// Same contract as SMTPStream._feedDataStream in smtp-server 3.21.6, on which
// test/listener/data-stream.test.ts checks it against the original, byte for byte, over every
// way of splitting the input into chunks:
//  - the 4 last bytes of a chunk are held back and put before the next one (a terminator or an
//    escape may straddle two chunks);
//  - at the very start of DATA (nothing consumed yet) "." CRLF ends an empty message and ".."
//    is an escaped first line; later, a "." after a LF is looked at only from the chunk's third
//    byte on and while two more bytes follow it (the original's `2 <= i < length - 2`);
//  - what precedes an escape dot is written and the rest is fed again on the next turn of the
//    event loop (setImmediate), as the original does;
//  - the output stream's back-pressure is honoured: `done` waits for 'drain' (or 'close').
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';

const LF_DOT = Buffer.from('\n.');
const DOT = 0x2e;
const CR = 0x0d;
const LF = 0x0a;

type Done = (err?: Error | null) => void;

export class FastDataStream extends SMTPStream {
  override _feedDataStream(input: Buffer, done: Done): void {
    const out = this._dataStream!;
    let chunk = input;
    if (this._lastBytes && this._lastBytes.length) {
      chunk = Buffer.concat([this._lastBytes, chunk], this._lastBytes.length + chunk.length);
      this._lastBytes = false;
    }
    if (this._atDataStart && chunk.length >= 3 && chunk[0] === DOT && chunk[1] === CR && chunk[2] === LF) {
      // An empty message: the terminator is the first line.
      this._endDataMode(false, chunk.subarray(3), done);
      return;
    }
    if (this._atDataStart && chunk.length >= 2 && chunk[0] === DOT && chunk[1] === DOT) {
      // The first line was dot-stuffed: drop the escape; from here a leading "." is content.
      chunk = chunk.subarray(1);
      this._atDataStart = false;
    }
    const len = chunk.length;
    // `lf` is the LF before a "." at `lf + 1`; the original looks at dots at 2 <= i < len - 2.
    for (let lf = chunk.indexOf(LF_DOT, 1); lf >= 0 && lf + 1 < len - 2; lf = chunk.indexOf(LF_DOT, lf + 1)) {
      const dot = lf + 1;
      if (chunk[dot - 2] === CR && chunk[dot + 1] === CR && chunk[dot + 2] === LF) {
        // CRLF "." CRLF: the message is what precedes the "." (its last CRLF included).
        const body = chunk.subarray(0, dot);
        this._countDataBytes(body.length);
        this._endDataMode(body, chunk.subarray(dot + 3), done);
        return;
      }
      if (chunk[dot + 1] === DOT) {
        // An escaped line: write up to the escape dot, go on from the dot it escapes.
        const head = chunk.subarray(0, dot);
        this._lastBytes = false;
        this._countDataBytes(head.length);
        if (out.writable) out.write(head);
        const rest = chunk.subarray(dot + 1);
        setImmediate(() => this._feedDataStream(rest, done));
        return;
      }
    }
    // Hold back the last 4 bytes: "\r\n.\r" could be the start of a terminator.
    const keep = chunk.length < 4 ? chunk : chunk.subarray(chunk.length - 4);
    this._lastBytes = keep;
    if (keep.length >= chunk.length) return done();
    const ready = chunk.subarray(0, chunk.length - keep.length);
    this._countDataBytes(ready.length);
    if (!out.writable) return done();
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
}

// One SMTP conversation over a raw socket, for the load clients: one command, one reply (like
// smtp-source), or MAIL, RCPT and DATA pipelined in one write (`cmds`, as Postfix's client); replies are read line by line (RFC 5321 §4.2: the
// last line of a reply has a space, or nothing, after the code).
import { createConnection } from 'node:net';

export class Conn {
  constructor(sock) {
    this.sock = sock;
    this.buf = '';
    this.lines = [];
    this.replies = [];
    this.waiters = [];
    this.closed = false;
    sock.setNoDelay(true);
    sock.on('data', (d) => this.onData(d));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error('connection closed')));
  }

  onData(d) {
    this.buf += d.toString('latin1');
    let i;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).replace(/\r$/, '');
      this.buf = this.buf.slice(i + 1);
      this.lines.push(line);
      if (line.length <= 3 || line[3] === ' ') {
        const reply = { code: Number(line.slice(0, 3)), text: this.lines.join('\n') };
        this.lines = [];
        const w = this.waiters.shift();
        if (w) w.resolve(reply);
        else this.replies.push(reply);
      }
    }
  }

  fail(err) {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  reply() {
    if (this.replies.length) return Promise.resolve(this.replies.shift());
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  cmd(line) {
    this.sock.write(line + '\r\n');
    return this.reply();
  }

  /** Commands pipelined (RFC 2920): sent in one write, their replies read in order. */
  cmds(lines) {
    this.sock.write(lines.map((l) => l + '\r\n').join(''));
    return Promise.all(lines.map(() => this.reply()));
  }

  end() {
    this.sock.destroy();
  }
}

/** Connects, reads the greeting and says EHLO; rejects on anything but 220 / 250. */
export async function openSession({ port, host = '127.0.0.1', helo = 'mta.bench.test' }) {
  const c = await new Promise((resolve, reject) => {
    const s = createConnection({ port, host });
    s.once('connect', () => resolve(new Conn(s)));
    s.once('error', reject);
  });
  const greet = await c.reply();
  if (greet.code !== 220) throw Object.assign(new Error(`greeting ${greet.text}`), { code: greet.code });
  const ehlo = await c.cmd(`EHLO ${helo}`);
  if (ehlo.code !== 250) throw Object.assign(new Error(`EHLO ${ehlo.text}`), { code: ehlo.code });
  return c;
}

/** Connects without reading anything (the caller reads the greeting). */
export function connectSmtp(port, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = createConnection({ port, host });
    s.once('connect', () => resolve(new Conn(s)));
    s.once('error', reject);
  });
}

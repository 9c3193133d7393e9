// A TCP relay on loopback to an IMAP server that counts its connections (open now, the most
// at once, all so far): what the inbox tests assert about connections is what the server saw.
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP relay to the IMAP server that counts its connections: open now, the most at once, all so far. */
export interface Relay {
  port: number;
  open: number;
  peak: number;
  total: number;
  close(): Promise<void>;
}

export async function relay(targetHost: string, targetPort: number, all: Relay[]): Promise<Relay> {
  const sockets = new Set<Socket>();
  const r: Relay = { port: 0, open: 0, peak: 0, total: 0, close: async () => {} };
  const server: Server = createServer((client) => {
    r.open++;
    r.total++;
    r.peak = Math.max(r.peak, r.open);
    const upstream = connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    let closed = false;
    const done = () => {
      if (closed) return;
      closed = true;
      r.open--;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  r.port = (server.address() as { port: number }).port;
  r.close = () => {
    for (const s of sockets) s.destroy();
    return new Promise((res) => server.close(() => res()));
  };
  all.push(r);
  return r;
}


import { createServer } from 'node:net';

/**
 * A free loopback port, the kernel's choice: bound on 127.0.0.1, then released at once for
 * what the test starts there (a relay, a receiver that is down at first, a daemon). Prefer
 * `port: 0` where the thing under test can report its own port.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves with the ports of `ports` that something already listens on. */
export async function busyPorts(ports: number[]): Promise<number[]> {
  const busy: number[] = [];
  for (const port of ports) {
    const inUse = await new Promise<boolean>((done) => {
      const srv = createServer();
      srv.once('error', () => done(true));
      srv.listen(port, '127.0.0.1', () => srv.close(() => done(false)));
    });
    if (inUse) busy.push(port);
  }
  return busy;
}

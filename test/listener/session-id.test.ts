// Session ids come from sessionIds() (a random prefix per process and a counter) instead of
// two draws of the CSPRNG per connection in smtp-server: real sessions over loopback must get
// distinct ids in upstream's shape (16 base32 characters), from our source.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BouncedSmtpServer, sessionIds, type ClientLimits } from '../../src/listener/server.js';
import { firstLine } from '../helpers/smtp.js';

const limits: ClientLimits = { greetingDelayMs: 0, maxSessionMs: 60_000, maxClientsPerIp: 0, clientLimitExceptions: [], maxIdleCommands: 10 };
const SHAPE = /^[0-9a-v]{16}$/;

let server: BouncedSmtpServer | null = null;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

describe('session ids', () => {
  it('are distinct, in upstream shape, one prefix per source', () => {
    const next = sessionIds();
    const ids = Array.from({ length: 10_000 }, () => next());
    for (const id of ids.slice(0, 50)) expect(id).toMatch(SHAPE);
    expect(ids.at(-1)).toMatch(SHAPE);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.slice(0, 8))).size).toBe(1);
    // Another process (another source) draws another prefix (equal with odds of 2^-40).
    expect(sessionIds()().slice(0, 8)).not.toBe(ids[0]!.slice(0, 8));
  });

  it('name each real session, and every session of a server comes from the same source', async () => {
    const seen: string[] = [];
    server = new BouncedSmtpServer(
      {
        name: 'mx.test', authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], disableReverseLookup: true, logger: false, closeTimeout: 100,
        onConnect: (session, cb) => {
          seen.push(session.id);
          cb();
        },
      },
      limits,
    );
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.server.address() as net.AddressInfo).port;
    for (let i = 0; i < 5; i++) {
      const sock = net.connect(port, '127.0.0.1');
      expect(await firstLine(sock)).toMatch(/^220 mx\.test/);
      sock.destroy();
    }
    expect(seen).toHaveLength(5);
    for (const id of seen) expect(id).toMatch(SHAPE);
    expect(new Set(seen).size).toBe(5);
    // Upstream's ids are 80 random bits each: five sharing their first 8 characters would not happen.
    expect(new Set(seen.map((id) => id.slice(0, 8))).size).toBe(1);
  });
});

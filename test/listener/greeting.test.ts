// The 220 greeting with no delay configured (smtp.greetingDelayMs 0, the default) goes out
// without waiting for any timer: smtp-server's own init() arms one (100 ms, or 1 ms for 0 in
// Node), which with one message per connection lies on every message's path. Real SMTP over
// loopback, with the global setTimeout faked so that a greeting behind a timer never comes.
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BouncedSmtpServer, type ClientLimits } from '../../src/listener/server.js';
import { firstLine } from '../helpers/smtp.js';

const limits = (greetingDelayMs: number): ClientLimits => ({ greetingDelayMs, maxSessionMs: 60_000, maxClientsPerIp: 0, clientLimitExceptions: [], maxIdleCommands: 10 });

let server: BouncedSmtpServer | null = null;
afterEach(async () => {
  vi.useRealTimers();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

async function listen(greetingDelayMs: number): Promise<number> {
  server = new BouncedSmtpServer({ name: 'mx.test', banner: 'test', authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], disableReverseLookup: true, logger: false, closeTimeout: 100 }, limits(greetingDelayMs));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return (server.server.address() as net.AddressInfo).port;
}

/** The first line the server sends, or null if none came before `until` resolved. */
function greetingBefore(port: number, until: Promise<void>): Promise<string | null> {
  const sock = net.connect(port, '127.0.0.1');
  return Promise.race([firstLine(sock), until.then(() => null)]).finally(() => sock.destroy());
}

/** Resolves after n turns of the event loop (setImmediate is not faked). */
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('greeting', () => {
  it('with no delay configured, greets without a timer', async () => {
    const port = await listen(0);
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    // Loopback needs a few turns of both loops (connect, accept, write, read); 10,000 is
    // far more than that and still never lets a faked timer fire.
    expect(await greetingBefore(port, turns(10_000))).toMatch(/^220 mx\.test/);
  });

  it('with a delay configured, greets only once its timer has fired', async () => {
    const port = await listen(50);
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    expect(await greetingBefore(port, turns(2_000))).toBeNull();
  });
});

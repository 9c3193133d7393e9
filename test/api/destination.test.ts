// Webhook destinations chosen by account holders must not reach loopback or private
// networks unless the operator allows it (server-side request forgery).
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkDestination, guardedFetch, guardedLookup, isPrivateAddress } from '../../src/webhooks/destination.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { createLogger } from '../../src/log.js';

/** A receiver on loopback that counts the requests it gets. */
async function localReceiver(): Promise<{ port: number; hits: () => number; close: () => void }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, hits: () => hits, close: () => server.close() };
}

describe('webhook destinations', () => {
  it('classifies loopback, private, link-local, CGNAT and mapped addresses as private', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1'])
      expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['192.0.2.1', '8.8.8.8', '172.32.0.1', '2001:db8::1', '::ffff:8.8.4.4']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('refuses URLs that name or resolve to such addresses, before any request', async () => {
    expect(await checkDestination('http://127.0.0.1:9/hook')).toMatch(/loopback or private/);
    expect(await checkDestination('http://localhost:9/hook')).toMatch(/loopback or private/);
    expect(await checkDestination('http://[::1]:9/hook')).toMatch(/loopback or private/);
    expect(await checkDestination('http://192.0.2.10/hook')).toBeNull();
  });

  it('the dispatcher records a refused destination as a failed attempt and sends nothing', async () => {
    const { port, hits, close } = await localReceiver();
    const recorded: Array<{ error: string | null }> = [];
    const repo = {
      recordAttempt: (_id: number, attempt: { error: string | null }) => recorded.push(attempt),
    } as unknown as ConstructorParameters<typeof WebhookDispatcher>[0]['repo'];
    const dispatcher = new WebhookDispatcher({ repo, log: createLogger('silent'), checkDestination });
    const due = { id: 1, url: `http://127.0.0.1:${port}/hook`, secret: 'whsec_x', eventId: 'e1', eventType: 'bounce.hard', eventCreatedAt: 0, payload: '{}', attempts: 0, createdAt: 0 };
    await (dispatcher as unknown as { attempt(d: unknown, now: number): Promise<unknown> }).attempt(due, 1000);
    close();
    expect(hits()).toBe(0);
    expect(recorded[0]!.error).toMatch(/loopback or private/);
  });

  it('checks the address each connection goes to: a name that resolves to loopback is refused at connect time (DNS rebinding)', async () => {
    const { port, hits, close } = await localReceiver();
    // No checkDestination first: what a rebinding name would give after passing it.
    const err = await guardedFetch(`http://localhost:${port}/hook`, { method: 'POST', body: '{}' }).then(
      () => null,
      (e: Error) => e,
    );
    close();
    expect(hits()).toBe(0);
    expect((err?.cause as Error | undefined)?.message).toMatch(/127\.0\.0\.1 is a loopback or private address/);
    // A public answer passes the look-up unchanged (an address literal: no DNS traffic).
    const answer = await new Promise<[Error | null, string, number]>((resolve) => guardedLookup('192.0.2.7', {}, (e, a, f) => resolve([e, a as string, f ?? 0])));
    expect(answer).toEqual([null, '192.0.2.7', 4]);
  });
});

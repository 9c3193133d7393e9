// Webhook destinations chosen by account holders must not reach loopback or private
// networks unless the operator allows it (server-side request forgery).
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDestination, guardedFetch, guardedLookup, isPrivateAddress, nonPublicRange } from '../../src/webhooks/destination.js';
import { configuredDispatcher, WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { createLogger } from '../../src/log.js';
import { testConfig } from '../helpers/env.js';
import { apiFixture, bearer, withAccounts, type Fixture } from '../helpers/api.js';

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

/** The IPv4-mapped spellings of loopback, metadata and private addresses that once passed. */
const MAPPED = ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::ffff:169.254.169.254]', '[::ffff:10.0.0.1]'];

let fx: Fixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

describe('webhook destinations', () => {
  it('refuses every special-purpose range, and addresses that carry one inside IPv6', () => {
    const refused = [
      '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
      '255.255.255.255', '224.0.0.1', '240.0.0.1', '198.18.0.1', '198.19.255.254', '192.0.2.1', '198.51.100.7', '203.0.113.9', '192.0.0.8',
      '::', '::1', 'fd00::1', 'fc00::1', 'fe80::1', 'fec0::1', 'ff02::1', '2001:db8::1', '2001::1', '2001:2::1', '100::1',
      // IPv4-mapped, SIIT, NAT64 (well-known prefix with a private v4; local-use prefix), 6to4 with a private v4, IPv4-compatible
      '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '::ffff:10.0.0.1', '::ffff:0:127.0.0.1',
      '64:ff9b::127.0.0.1', '64:ff9b::a00:1', '64:ff9b:1::8.8.8.8', '2002:7f00:1::1', '2002:c0a8:101::1', '::127.0.0.1', '::7f00:1',
      'not-an-address',
    ];
    for (const a of refused) expect(isPrivateAddress(a), a).toBe(true);
    const allowed = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001::1', '::ffff:8.8.4.4', '64:ff9b::808:808', '2002:808:808::1'];
    for (const a of allowed) expect(isPrivateAddress(a), a).toBe(false);
    expect(nonPublicRange('::ffff:7f00:1')).toBe('IPv4-mapped 127.0.0.1: loopback');
    expect(nonPublicRange('198.18.0.1')).toBe('reserved');
  });

  it('refuses URLs that name or resolve to such addresses, before any request', async () => {
    expect(await checkDestination('http://127.0.0.1:9/hook')).toMatch(/not a public address \(loopback\)/);
    expect(await checkDestination('http://localhost:9/hook')).toMatch(/not a public address/);
    expect(await checkDestination('http://[::1]:9/hook')).toMatch(/not a public address/);
    for (const host of MAPPED) expect(await checkDestination(`http://${host}:9/hook`), host).toMatch(/not a public address \(IPv4-mapped/);
    // A public literal passes (the check makes no request and no DNS look-up for it).
    expect(await checkDestination('http://8.8.8.8/hook')).toBeNull();
    expect(await checkDestination('http://[2606:4700:4700::1111]/hook')).toBeNull();
  });

  it('the dispatcher records a refused destination as a failed attempt and sends nothing', async () => {
    const { port, hits, close } = await localReceiver();
    const recorded: Array<{ error: string | null }> = [];
    const webhooks = {
      recordAttempt: async (_id: number, attempt: { error: string | null }) => void recorded.push(attempt),
    } as unknown as ConstructorParameters<typeof WebhookDispatcher>[0]['webhooks'];
    const dispatcher = new WebhookDispatcher({ webhooks, node: 'test', log: createLogger('silent'), checkDestination });
    const due = { id: 1, url: `http://127.0.0.1:${port}/hook`, secret: 'whsec_x', eventId: 'e1', eventType: 'bounce.hard', eventCreatedAt: 0, payload: '{}', attempts: 0, createdAt: 0 };
    await (dispatcher as unknown as { attempt(d: unknown, now: number): Promise<unknown> }).attempt(due, 1000);
    close();
    expect(hits()).toBe(0);
    expect(recorded[0]!.error).toMatch(/not a public address/);
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
    expect((err?.cause as Error | undefined)?.message).toMatch(/(127\.0\.0\.1|::1) is not a public address/);
    // A public answer passes the look-up unchanged (an address literal: no DNS traffic).
    const answer = await new Promise<[Error | null, string, number]>((resolve) => guardedLookup('8.8.8.8', {}, (e, a, f) => resolve([e, a as string, f ?? 0])));
    expect(answer).toEqual([null, '8.8.8.8', 4]);
  });

  it('checks address literals on the connection too: an IPv4-mapped loopback literal never reaches a local receiver', async () => {
    const { port, hits, close } = await localReceiver();
    try {
      for (const host of ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '127.0.0.1']) {
        // Without the pre-check: what a destination registered before the rule changed would get.
        const err = await guardedFetch(`http://${host}:${port}/hook`, { method: 'POST', body: '{}' }).then(
          () => null,
          (e: Error) => e,
        );
        expect((err?.cause as NodeJS.ErrnoException | undefined)?.code, host).toBe('EPRIVATEDEST');
      }
      expect(hits()).toBe(0);
    } finally {
      close();
    }
  });
});

describe('webhook registration', () => {
  it('refuses a non-public destination with destination_not_public (422), for every literal form and for names', async () => {
    fx = await apiFixture({ webhookAllowPrivateDestinations: false });
    const { acme } = await withAccounts(fx, 'acme');
    const register = (url: string) => fx!.app.inject({ method: 'POST', url: '/v1/accounts/acme/webhooks', headers: bearer(acme!), payload: { url } });
    for (const url of [...MAPPED.map((h) => `http://${h}:8080/hook`), 'http://127.0.0.1/hook', 'https://localhost/hook', 'http://[64:ff9b::7f00:1]/', 'http://[2002:a00:1::1]/']) {
      const res = await register(url);
      expect(res.statusCode, url).toBe(422);
      expect(res.json().error, url).toMatchObject({ code: 'destination_not_public', field: 'url' });
      expect(res.json().error.message, url).toMatch(/not a public address/);
    }
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/webhooks', headers: bearer(acme!) })).json().items).toEqual([]);
    // A public destination is registered (nothing is sent to it here).
    expect((await register('https://8.8.8.8/hook')).statusCode).toBe(201);
  });

  it('registers private destinations when the operator allows them', async () => {
    fx = await apiFixture({ webhookAllowPrivateDestinations: true });
    const { acme } = await withAccounts(fx, 'acme');
    const res = await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/webhooks', headers: bearer(acme!), payload: { url: 'http://[::ffff:127.0.0.1]:9/hook' } });
    expect(res.statusCode).toBe(201);
  });

  it('a delivery to a mapped loopback literal registered while allowed is refused once the setting is off, and logged at warn', async () => {
    const { port, hits, close } = await localReceiver();
    try {
      fx = await apiFixture({ webhookAllowPrivateDestinations: true });
      const { acme } = await withAccounts(fx, 'acme');
      const created = await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/webhooks', headers: bearer(acme!), payload: { url: `http://[::ffff:127.0.0.1]:${port}/hook` } });
      expect(created.statusCode).toBe(201);
      await fx.bounce('acme');
      const lines: string[] = [];
      const { Writable } = await import('node:stream');
      const log = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }));
      // The operator turns private destinations off; the endpoint stays registered.
      const dispatcher = configuredDispatcher(testConfig({ http: { webhookAllowPrivateDestinations: false } }), { webhooks: fx.store.webhooks, node: 'test' }, log);
      const r = await dispatcher.run(Date.now());
      expect(r).toMatchObject({ attempted: 1, delivered: 0 });
      expect(hits()).toBe(0);
      const events = lines.map((l) => JSON.parse(l) as { evt: string; level: number; error?: string });
      const refused = events.find((e) => e.evt === 'WEBHOOK_DESTINATION_REFUSED');
      expect(refused?.level).toBe(40);
      expect(refused?.error).toMatch(/127\.0\.0\.1: loopback/);
      // No URL in the log line (it may carry a token).
      expect(lines.join('')).not.toContain(`:${port}/hook`);
    } finally {
      close();
    }
  });
});

// Webhooks out of the events outbox: a receiver on loopback that is down for the first
// attempts still gets every event exactly once (by webhook-id), each correctly signed; the
// attempts are visible through the API; retries go on for at least 24 h, then stop.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { retryDelayMs, WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { sign, verify } from '../../src/webhooks/sign.js';
import { otherConnection, readRows } from '../helpers/db.js';
import { apiFixture, bearer, withAccounts, type Fixture } from '../helpers/api.js';
import { freePort } from '../helpers/net.js';

let fx: Fixture;
let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
  await fx?.close();
});

const silent = createLogger('silent');
const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString()));
    req.on('end', () => resolve(s));
  });

describe('webhook signatures', () => {
  it('follows the Standard Webhooks scheme: base64 HMAC-SHA256 of id.timestamp.body with the whsec_ key', () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const sig = sign(secret, 'msg_1', 1_700_000_000, '{"a":1}');
    expect(sig).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verify(secret, { id: 'msg_1', timestamp: '1700000000', signature: sig }, '{"a":1}', 1_700_000_010)).toBe(true);
    expect(verify(secret, { id: 'msg_1', timestamp: '1700000000', signature: sig }, '{"a":2}', 1_700_000_010)).toBe(false);
    expect(verify(secret, { id: 'msg_2', timestamp: '1700000000', signature: sig }, '{"a":1}', 1_700_000_010)).toBe(false);
    // Replays: an old timestamp fails even with a right signature.
    expect(verify(secret, { id: 'msg_1', timestamp: '1700000000', signature: sig }, '{"a":1}', 1_700_001_000)).toBe(false);
  });
});

describe('webhook delivery', () => {
  it('delivers every event once, signed, to a receiver that is down for the first attempts', async () => {
    fx = await apiFixture();
    const keys = await withAccounts(fx, 'acme', 'beta');
    const port = await freePort();
    const created = await fx.app.inject({
      method: 'POST',
      url: '/v1/accounts/acme/webhooks',
      headers: bearer(keys.acme!),
      payload: { url: `http://127.0.0.1:${port}/hooks/bounced` },
    });
    expect(created.statusCode).toBe(201);
    const { id: webhookId, secret } = created.json() as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_/);

    // Events of acme (a real hard bounce, and others written through the outbox) and one of beta.
    await fx.bounce('acme');
    await fx.bounce('beta');
    const t0 = Date.now();
    const extra = await fx.store.transaction(async (tx) => [
      (await tx.events.add('acme', 'complaint', { recipient: 'x@example.org' }, t0)).eventId,
      (await tx.events.add('acme', 'account.warning', { rate: 0.04 }, t0)).eventId,
    ]);
    const expected = (await fx.store.events.list(0)).filter((e) => e.accountId === 'acme');
    expect(expected.map((e) => e.type)).toEqual(['bounce.hard', 'complaint', 'account.warning']);
    expect(expected.map((e) => e.eventId).slice(1)).toEqual(extra);

    const dispatcher = new WebhookDispatcher({ webhooks: fx.store.webhooks, node: 'test', log: silent });
    // 1st attempt: nothing listens (connection refused).
    let r = await dispatcher.run(t0);
    expect(r).toMatchObject({ fannedOut: 3, attempted: 3, delivered: 0 });
    // Not yet due again.
    expect((await dispatcher.run(t0 + retryDelayMs(1) - 1)).attempted).toBe(0);

    // The receiver comes up, but answers 503 at first; then it checks signatures and de-duplicates.
    const received = new Map<string, number>();
    let mode: 'busy' | 'ok' = 'busy';
    let badSignatures = 0;
    server = createServer(async (req, res) => {
      const body = await readBody(req);
      if (mode === 'busy') return void res.writeHead(503).end();
      const h = { id: String(req.headers['webhook-id']), timestamp: String(req.headers['webhook-timestamp']), signature: String(req.headers['webhook-signature']) };
      // The test clock runs ahead of the wall clock: check against the attempt's own time.
      if (!verify(secret, h, body, Number(h.timestamp))) {
        badSignatures++;
        return void res.writeHead(400).end();
      }
      const event = JSON.parse(body) as { id: string; type: string; data: unknown };
      expect(event.id).toBe(h.id);
      received.set(h.id, (received.get(h.id) ?? 0) + 1);
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', () => resolve()));

    const t1 = t0 + retryDelayMs(1);
    r = await dispatcher.run(t1);
    expect(r).toMatchObject({ attempted: 3, delivered: 0 });
    mode = 'ok';
    const t2 = t1 + retryDelayMs(2);
    r = await dispatcher.run(t2);
    expect(r).toMatchObject({ attempted: 3, delivered: 3 });
    // Later passes send nothing again.
    expect((await dispatcher.run(t2 + 86_400_000)).attempted).toBe(0);

    expect(badSignatures).toBe(0);
    expect([...received.keys()].sort()).toEqual(expected.map((e) => e.eventId).sort());
    expect([...received.values()]).toEqual([1, 1, 1]);

    // The attempts are visible through the API.
    const list = await fx.app.inject({ method: 'GET', url: `/v1/accounts/acme/webhooks/${webhookId}/deliveries`, headers: bearer(keys.acme!) });
    const items = list.json().items as Array<{ id: number; attempts: number; deliveredAt: number | null; lastStatus: number; eventId: string }>;
    expect(items).toHaveLength(3);
    for (const d of items) expect(d).toMatchObject({ attempts: 3, deliveredAt: t2, lastStatus: 204 });
    const one = await fx.app.inject({ method: 'GET', url: `/v1/accounts/acme/webhooks/${webhookId}/deliveries/${items[0]!.id}`, headers: bearer(keys.acme!) });
    expect(one.json().attemptLog.map((a: { status: number | null }) => a.status)).toEqual([null, 503, 204]);
    expect(one.json().attemptLog[0].error).toMatch(/ECONNREFUSED|refused|fetch failed/i);
  });

  it('retries with exponential backoff for at least 24 hours, then gives up; a retry can be asked for', async () => {
    fx = await apiFixture();
    const keys = await withAccounts(fx, 'acme');
    const created = (await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/webhooks', headers: bearer(keys.acme!), payload: { url: 'http://127.0.0.1:9/x', events: ['complaint'] } })).json();
    const t0 = Date.now();
    await fx.store.transaction(async (tx) => {
      await tx.events.add('acme', 'complaint', {}, t0);
      await tx.events.add('acme', 'bounce.soft', {}, t0); // not subscribed
    });
    const times: number[] = [];
    const dispatcher = new WebhookDispatcher({
      webhooks: fx.store.webhooks,
      node: 'test',
      log: silent,
      fetch: (async () => {
        throw new Error('down');
      }) as unknown as typeof fetch,
    });
    let now = t0;
    for (let i = 0; i < 100; i++) {
      const r = await dispatcher.run(now);
      if (r.attempted) times.push(now);
      const next = await fx.store.webhooks.nextDueAt();
      if (next === null) break;
      now = next;
    }
    const [d] = await fx.store.webhooks.listDeliveries(created.id, 0, 10);
    expect(d).toMatchObject({ eventType: 'complaint', deliveredAt: null, nextAttemptAt: null });
    expect(d!.failedAt).not.toBeNull();
    const span = times[times.length - 1]! - times[0]!;
    expect(span).toBeGreaterThanOrEqual(24 * 3_600_000);
    // Gaps double (30 s, 1 min, 2 min, ...) up to a cap.
    expect(times[1]! - times[0]!).toBe(30_000);
    expect(times[2]! - times[1]!).toBe(60_000);
    expect(times[3]! - times[2]!).toBe(120_000);

    const retry = await fx.app.inject({ method: 'POST', url: `/v1/accounts/acme/webhooks/${created.id}/deliveries/${d!.id}/retry`, headers: bearer(keys.acme!) });
    expect(retry.statusCode).toBe(202);
    expect(await fx.store.webhooks.nextDueAt()).not.toBeNull();
  });

  it('does not spend a pass on a dead receiver: its backlog waits while other receivers get theirs', async () => {
    fx = await apiFixture();
    const keys = await withAccounts(fx, 'acme', 'beta');
    const dead = (await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/webhooks', headers: bearer(keys.acme!), payload: { url: 'http://127.0.0.1:9/dead' } })).json();
    await fx.app.inject({ method: 'POST', url: '/v1/accounts/beta/webhooks', headers: bearer(keys.beta!), payload: { url: 'http://127.0.0.1:9/alive' } });
    const t0 = Date.now();
    await fx.store.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) {
        await tx.events.add('acme', 'complaint', { i }, t0);
        await tx.events.add('beta', 'complaint', { i }, t0);
      }
    });
    const calls: string[] = [];
    const fakeFetch = (async (url: string) => {
      calls.push(new URL(url).pathname);
      if (url.endsWith('/dead')) throw new TypeError('fetch failed', { cause: new Error('connect ETIMEDOUT') });
      return new Response(null, { status: 200 });
    }) as unknown as typeof fetch;
    const r = await new WebhookDispatcher({ webhooks: fx.store.webhooks, node: 'test', log: silent, fetch: fakeFetch, concurrency: 1 }).run(t0);
    expect(calls.filter((c) => c === '/dead')).toHaveLength(1);
    expect(calls.filter((c) => c === '/alive')).toHaveLength(5);
    expect(r).toMatchObject({ attempted: 6, delivered: 5 });
    const waiting = await fx.store.webhooks.listDeliveries(dead.id, 0, 10);
    expect(waiting.map((d) => d.attempts).sort()).toEqual([0, 0, 0, 0, 1]);
    expect(waiting.every((d) => d.nextAttemptAt !== null && d.nextAttemptAt > t0)).toBe(true);
    expect(waiting.find((d) => d.attempts === 1)!.lastError).toBe('connect ETIMEDOUT');
  });

  it('sends only the events after an endpoint was created, and none after it is removed', async () => {
    fx = await apiFixture();
    const keys = await withAccounts(fx, 'acme');
    await fx.store.events.add('acme', 'complaint', {}, Date.now());
    const created = (await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/webhooks', headers: bearer(keys.acme!), payload: { url: 'http://127.0.0.1:9/x' } })).json();
    expect(await fx.store.webhooks.fanOut(Date.now())).toBe(0);
    await fx.store.events.add('acme', 'complaint', {}, Date.now());
    expect(await fx.store.webhooks.fanOut(Date.now())).toBe(1);
    // An event of no account goes only to endpoints that asked for its type by name.
    const named = (await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/webhooks', headers: bearer(keys.acme!), payload: { url: 'http://127.0.0.1:9/y', events: ['suppression.global'] } })).json();
    await fx.store.events.add(null, 'suppression.global', { address: 'gone@example.org' }, Date.now());
    expect(await fx.store.webhooks.fanOut(Date.now())).toBe(1);
    expect((await fx.store.webhooks.listDeliveries(named.id, 0, 10)).map((d) => d.eventType)).toEqual(['suppression.global']);
    expect((await fx.store.webhooks.listDeliveries(created.id, 0, 10)).map((d) => d.eventType)).toEqual(['complaint']);
    const del = await fx.app.inject({ method: 'DELETE', url: `/v1/accounts/acme/webhooks/${created.id}`, headers: bearer(keys.acme!) });
    expect(del.statusCode).toBe(204);
    expect(await fx.store.webhooks.listDeliveries(created.id, 0, 10)).toEqual([expect.objectContaining({ nextAttemptAt: null, lastError: 'endpoint removed' })]);
    await fx.store.events.add('acme', 'complaint', {}, Date.now());
    expect(await fx.store.webhooks.fanOut(Date.now())).toBe(0);
  });

  it('fans out without writing anything while no endpoint exists (no write lock on the SMTP thread)', async () => {
    // A store that gives up on a held lock after 200 ms: a fan-out that wrote would fail below.
    fx = await apiFixture({}, { store: { busyTimeoutMs: 200 } });
    await withAccounts(fx, 'acme');
    await fx.store.events.add('acme', 'complaint', {}, Date.now());
    const tables = () => readRows(fx.config.dataDir, `SELECT (SELECT count(*) FROM webhook_deliveries) AS d, (SELECT count(*) FROM webhook_cursor) AS c`);
    const before = tables();
    // Another process holds the write lock: the fan-out, which has nothing to do, never asks for it.
    const other = otherConnection(fx.config.dataDir);
    other.exec('BEGIN IMMEDIATE');
    try {
      expect(await fx.store.webhooks.fanOut(Date.now())).toBe(0);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(tables()).toEqual(before);
  });
});

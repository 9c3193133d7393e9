// An account key sees and changes only its own account: every route that takes an id (or an
// account) answers 404 for another account's data, exactly as for data that does not exist,
// and changes nothing. The table must name every such route of the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, bearer, withAccounts, type Fixture } from '../helpers/api.js';

let fx: Fixture;
let keys: Record<string, string>;
let ids: { bounceB: number; keyB: string; webhookA: string; webhookB: string; deliveryB: number; inboxB: string };

beforeAll(async () => {
  fx = await apiFixture();
  keys = await withAccounts(fx, 'acme', 'beta');
  const webhookA = (await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/webhooks', headers: bearer(keys.acme!), payload: { url: 'http://127.0.0.1:9/a' } })).json().id;
  const webhookB = (await fx.app.inject({ method: 'POST', url: '/v1/accounts/beta/webhooks', headers: bearer(keys.beta!), payload: { url: 'http://127.0.0.1:9/b' } })).json().id;
  const bounceB = await fx.bounce('beta');
  await fx.store.webhooks.fanOut(Date.now());
  const deliveryB = (await fx.store.webhooks.listDeliveries(webhookB, 0, 10))[0]!.id;
  // beta's connected inbox (the store's own: the credentials blob is never read here)
  const inboxB = 'ibx_beta';
  await fx.store.inboxes.add({ id: inboxB, accountId: 'beta', host: '127.0.0.1', port: 1143, tls: 'none', user: 'b', auth: 'password', credentials: 'v1.x.y.z', sentFolder: null, moveTo: null, windowHours: null }, Date.now());
  ids = { bounceB, keyB: (await fx.store.keys.list('beta'))[0]!.id, webhookA, webhookB, deliveryB, inboxB };
});
afterAll(async () => fx.close());

type Case = [method: 'GET' | 'POST' | 'DELETE' | 'PATCH' | 'PUT', template: string, url: () => string, body?: unknown, contentType?: string];

const A = 'nobody@example.org';
const cases: Case[] = [
  ['GET', '/v1/suppressions/{address}', () => `/v1/suppressions/${A}?account=beta`],
  ['DELETE', '/v1/suppressions/{address}', () => `/v1/suppressions/${A}?account=beta&note=x`],
  ['POST', '/v1/suppressions/check', () => '/v1/suppressions/check', { account: 'beta', addresses: [A] }],
  ['GET', '/v1/suppressions', () => '/v1/suppressions?account=beta'],
  ['POST', '/v1/suppressions', () => '/v1/suppressions', { account: 'beta', addresses: [A] }],
  ['POST', '/v1/suppressions/import', () => '/v1/suppressions/import?account=beta', `${A}\n`, 'text/plain'],
  ['GET', '/v1/bounces', () => '/v1/bounces?account=beta'],
  ['GET', '/v1/accounts/{id}/soft-bounce-limit', () => '/v1/accounts/beta/soft-bounce-limit'],
  ['PUT', '/v1/accounts/{id}/soft-bounce-limit', () => '/v1/accounts/beta/soft-bounce-limit', { bounces: 2, windowDays: 1, suppressDays: 1 }],
  ['DELETE', '/v1/accounts/{id}/soft-bounce-limit', () => '/v1/accounts/beta/soft-bounce-limit'],
  ['GET', '/v1/exports/{kind}', () => '/v1/exports/bounces?account=beta'],
  ['GET', '/v1/exports/{kind}', () => '/v1/exports/suppressions?account=beta'],
  ['GET', '/v1/appeals', () => '/v1/appeals?account=beta'],
  ['GET', '/v1/accounts/{id}/trends', () => '/v1/accounts/beta/trends'],
  ['GET', '/v1/reviews', () => '/v1/reviews?account=beta'],
  ['POST', '/v1/accounts/{id}/review', () => '/v1/accounts/beta/review', { contactsSource: 'x', emailPurpose: 'y' }],
  ['GET', '/v1/accounts/{id}/campaigns/{campaign}/bounced', () => '/v1/accounts/beta/campaigns/spring/bounced'],
  // The dashboard's session routes act on the request's own session only: a key has none.
  ['GET', '/v1/session', () => '/v1/session'],
  ['DELETE', '/v1/session', () => '/v1/session'],
  ['GET', '/v1/bounces/{id}', () => `/v1/bounces/${ids.bounceB}`],
  ['GET', '/v1/bounces/{id}/report', () => `/v1/bounces/${ids.bounceB}/report`],
  ['GET', '/v1/accounts/{id}', () => '/v1/accounts/beta'],
  ['GET', '/v1/accounts/{id}/health', () => '/v1/accounts/beta/health'],
  ['POST', '/v1/accounts/{id}/sends', () => '/v1/accounts/beta/sends', { count: 5 }],
  ['GET', '/v1/accounts/{id}/sends', () => '/v1/accounts/beta/sends'],
  ['POST', '/v1/accounts/{id}/appeals', () => '/v1/accounts/beta/appeals', { importedOptOutList: true, cleanedLists: true, mailedWithinYear: true, contactsSource: 'x', message: 'x' }],
  ['GET', '/v1/accounts/{id}/keys', () => '/v1/accounts/beta/keys'],
  ['DELETE', '/v1/accounts/{id}/keys/{keyId}', () => `/v1/accounts/beta/keys/${ids.keyB}`],
  ['DELETE', '/v1/accounts/{id}/keys/{keyId}', () => `/v1/accounts/acme/keys/${ids.keyB}`],
  ['POST', '/v1/accounts/{id}/inboxes', () => '/v1/accounts/beta/inboxes', { host: '127.0.0.1', port: 1143, tls: 'none', user: 'x', password: 'y' }],
  ['GET', '/v1/accounts/{id}/inboxes', () => '/v1/accounts/beta/inboxes'],
  ['GET', '/v1/accounts/{id}/inboxes/{inboxId}', () => `/v1/accounts/beta/inboxes/${ids.inboxB}`],
  ['GET', '/v1/accounts/{id}/inboxes/{inboxId}', () => `/v1/accounts/acme/inboxes/${ids.inboxB}`],
  ['PATCH', '/v1/accounts/{id}/inboxes/{inboxId}', () => `/v1/accounts/acme/inboxes/${ids.inboxB}`, { enabled: false }],
  ['PATCH', '/v1/accounts/{id}/inboxes/{inboxId}', () => `/v1/accounts/beta/inboxes/${ids.inboxB}`, { enabled: false }],
  ['DELETE', '/v1/accounts/{id}/inboxes/{inboxId}', () => `/v1/accounts/acme/inboxes/${ids.inboxB}`],
  ['DELETE', '/v1/accounts/{id}/inboxes/{inboxId}', () => `/v1/accounts/beta/inboxes/${ids.inboxB}`],
  ['POST', '/v1/accounts/{id}/inboxes/{inboxId}/sync', () => `/v1/accounts/acme/inboxes/${ids.inboxB}/sync`],
  ['POST', '/v1/accounts/{id}/inboxes/{inboxId}/sends', () => `/v1/accounts/acme/inboxes/${ids.inboxB}/sends`, { sends: [{ messageId: '<m@x.test>', recipients: [A], sentAt: 1 }] }],
  ['POST', '/v1/accounts/{id}/webhooks', () => '/v1/accounts/beta/webhooks', { url: 'http://127.0.0.1:9/x' }],
  ['GET', '/v1/accounts/{id}/webhooks', () => '/v1/accounts/beta/webhooks'],
  ['DELETE', '/v1/accounts/{id}/webhooks/{webhookId}', () => `/v1/accounts/beta/webhooks/${ids.webhookB}`],
  ['DELETE', '/v1/accounts/{id}/webhooks/{webhookId}', () => `/v1/accounts/acme/webhooks/${ids.webhookB}`],
  ['GET', '/v1/accounts/{id}/webhooks/{webhookId}/deliveries', () => `/v1/accounts/beta/webhooks/${ids.webhookB}/deliveries`],
  ['GET', '/v1/accounts/{id}/webhooks/{webhookId}/deliveries', () => `/v1/accounts/acme/webhooks/${ids.webhookB}/deliveries`],
  ['GET', '/v1/accounts/{id}/webhooks/{webhookId}/deliveries/{deliveryId}', () => `/v1/accounts/acme/webhooks/${ids.webhookB}/deliveries/${ids.deliveryB}`],
  ['GET', '/v1/accounts/{id}/webhooks/{webhookId}/deliveries/{deliveryId}', () => `/v1/accounts/acme/webhooks/${ids.webhookA}/deliveries/${ids.deliveryB}`],
  ['POST', '/v1/accounts/{id}/webhooks/{webhookId}/deliveries/{deliveryId}/retry', () => `/v1/accounts/acme/webhooks/${ids.webhookA}/deliveries/${ids.deliveryB}/retry`],
  ['POST', '/v1/accounts/{id}/webhooks/{webhookId}/deliveries/{deliveryId}/retry', () => `/v1/accounts/beta/webhooks/${ids.webhookB}/deliveries/${ids.deliveryB}/retry`],
];

describe('cross-account isolation', () => {
  it.each(cases.map((c, i) => [`${c[0]} ${c[1]} #${i}`, c] as const))('%s answers 404 to another account', async (_name, c) => {
    const [method, , url, body, contentType] = c;
    const r = await fx.app.inject({
      method,
      url: url(),
      headers: { ...bearer(keys.acme!), ...(contentType ? { 'content-type': contentType } : {}) },
      ...(body === undefined ? {} : { payload: body as string }),
    });
    expect(r.statusCode, r.body).toBe(404);
    expect(r.json().error.code).toBe('not_found');
  });

  it("left the other account's data as it was", async () => {
    const b = bearer(keys.beta!);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/beta/keys', headers: b })).json().items[0].revokedAt).toBeNull();
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/beta/webhooks', headers: b })).json().items).toHaveLength(1);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/beta/sends', headers: b })).json().items).toEqual([]);
    expect((await fx.app.inject({ method: 'GET', url: `/v1/suppressions/${A}`, headers: b })).json().send).toBe(true);
    expect((await fx.app.inject({ method: 'GET', url: `/v1/bounces/${ids.bounceB}`, headers: b })).statusCode).toBe(200);
    const inbox = (await fx.app.inject({ method: 'GET', url: `/v1/accounts/beta/inboxes/${ids.inboxB}`, headers: b })).json();
    expect(inbox.id).toBe(ids.inboxB);
    expect(inbox.enabled).toBe(true);
    expect(await fx.store.inboxes.sentByMessageId(ids.inboxB, ['m@x.test'])).toEqual([]);
  });

  it('covers every route that takes an id or an account', async () => {
    const doc = (await fx.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string }>; security?: unknown[]; 'x-admin-only'?: boolean }>>;
    };
    const covered = new Set(cases.map((c) => `${c[0]} ${c[1]}`));
    const needed: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        // Admin-only routes and routes without a key (unsubscribe) have no account to cross.
        if (op['x-admin-only'] || op.security?.length === 0) continue;
        needed.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(needed.filter((n) => !covered.has(n))).toEqual([]);
  });
});

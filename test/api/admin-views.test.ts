// The dashboard's second round of reads and writes (issue #16) over a real store and policy
// service: the account review (held -> form -> the admin approves or denies), the global
// suppressions by reason or by address, failing webhook deliveries, accounts with their health.
import { afterEach, describe, expect, it } from 'vitest';
import { admin, apiFixture, bearer, withAccounts, type Fixture } from '../helpers/api.js';

let fx: Fixture;
afterEach(async () => fx?.close());

const form = { contactsSource: 'Sign-ups on our shop, double opt-in', emailPurpose: 'A weekly newsletter' };

describe('the account review', () => {
  it('an account held for review files the form; the admin sees it open and approves it with a reason', async () => {
    fx = await apiFixture();
    const { acme, beta } = await withAccounts(fx, 'acme', 'beta');
    const post = (url: string, key: Record<string, string>, payload: unknown) => fx.app.inject({ method: 'POST', url, headers: key, payload: payload as object });
    // Not held: the form is refused, and nothing is listed.
    expect((await post('/v1/accounts/acme/review', bearer(acme!), form)).statusCode).toBe(409);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/reviews', headers: bearer(acme!) })).json()).toEqual({ items: [] });
    expect((await post('/v1/accounts/acme/review/hold', bearer(acme!), { reason: 'me' })).statusCode).toBe(403);
    const held = await post('/v1/accounts/acme/review/hold', admin, { reason: 'new account' });
    expect(held.statusCode, held.body).toBe(200);
    expect((await fx.store.audit.list('acme')).some((a) => a.action === 'review.hold')).toBe(true);
    const health = (await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/health', headers: bearer(acme!) })).json();
    expect(health).toMatchObject({ review: 'required', suspension: 'review' });
    // The fields are checked before the policy sees them.
    const bad = await post('/v1/accounts/acme/review', bearer(acme!), { contactsSource: '', emailPurpose: 'x' });
    expect(bad.statusCode).toBe(400);
    // Another account's key cannot file it.
    expect((await post('/v1/accounts/acme/review', bearer(beta!), form)).statusCode).toBe(404);
    const filed = await post('/v1/accounts/acme/review', bearer(acme!), { ...form, message: 'Ask us anything' });
    expect(filed.statusCode, filed.body).toBe(201);
    expect(filed.json()).toMatchObject({ accountId: 'acme', review: 'submitted', form: { ...form, message: 'Ask us anything' } });
    expect((await fx.app.inject({ method: 'GET', url: '/v1/reviews', headers: bearer(acme!) })).json().items).toHaveLength(1);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/reviews', headers: bearer(beta!) })).json()).toEqual({ items: [] });
    const open = (await fx.app.inject({ method: 'GET', url: '/v1/reviews', headers: admin })).json();
    expect(open.items.map((r: { accountId: string; review: string }) => [r.accountId, r.review])).toEqual([['acme', 'submitted']]);
    // Only the admin decides, and only with a reason.
    expect((await post('/v1/accounts/acme/review/decision', bearer(acme!), { decision: 'approve', reason: 'me' })).statusCode).toBe(403);
    expect((await post('/v1/accounts/acme/review/decision', admin, { decision: 'approve', reason: '' })).statusCode).toBe(400);
    const ok = await post('/v1/accounts/acme/review/decision', admin, { decision: 'approve', reason: 'Double opt-in confirmed' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/reviews', headers: admin })).json()).toEqual({ items: [] });
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/health', headers: bearer(acme!) })).json().review).toBe('approved');
    const audit = await fx.store.audit.list('acme');
    expect(audit.filter((a) => a.action === 'review.decide').map((a) => a.detail)).toEqual([{ decision: 'approve', reason: 'Double opt-in confirmed' }]);
    // Decided: nothing left to decide.
    expect((await post('/v1/accounts/acme/review/decision', admin, { decision: 'deny', reason: 'again' })).statusCode).toBe(404);
  });
});

describe("the admin's views", () => {
  it('global suppressions by reason a page at a time, and one address looked up; admin only', async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme');
    for (let i = 0; i < 5; i++) await fx.store.suppressions.add('*', `g${i}@x.test`, i % 2 ? 'spam_trap' : 'global_bounce', 'test', Date.now());
    await fx.store.suppressions.add('acme', 'own@x.test', 'manual', 'test', Date.now());
    expect((await fx.app.inject({ method: 'GET', url: '/v1/global-suppressions', headers: bearer(acme!) })).statusCode).toBe(403);
    const p1 = (await fx.app.inject({ method: 'GET', url: '/v1/global-suppressions?reason=global_bounce&limit=2', headers: admin })).json();
    expect(p1.items.map((r: { address: string }) => r.address)).toEqual(['g0@x.test', 'g2@x.test']);
    const p2 = (await fx.app.inject({ method: 'GET', url: `/v1/global-suppressions?reason=global_bounce&limit=2&cursor=${p1.next}`, headers: admin })).json();
    expect(p2).toMatchObject({ items: [{ address: 'g4@x.test', reason: 'global_bounce', source: 'test' }], next: null });
    const all = (await fx.app.inject({ method: 'GET', url: '/v1/global-suppressions', headers: admin })).json();
    expect(all.items).toHaveLength(5); // never an account's own
    const one = (await fx.app.inject({ method: 'GET', url: '/v1/global-suppressions?address=G3@X.test', headers: admin })).json();
    expect(one).toMatchObject({ items: [{ address: 'g3@x.test', reason: 'spam_trap' }], next: null });
    expect((await fx.app.inject({ method: 'GET', url: '/v1/global-suppressions?address=own@x.test', headers: admin })).json().items).toEqual([]);
  });

  it('webhook deliveries that did not go through, newest first, with destination, attempts and last error', async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme');
    const s = fx.store;
    const t = Date.now();
    await s.webhooks.createEndpoint({ id: 'wh_a', accountId: 'acme', url: 'http://127.0.0.1:9/hook', secret: 'whsec_a', events: [] }, t);
    for (let i = 0; i < 3; i++) await s.events.add('acme', 'bounce.hard', { n: i }, t);
    await s.webhooks.fanOut(t);
    const [a, b, c] = await s.webhooks.claimDue('n', t, 10, 30_000);
    await s.webhooks.recordAttempt(a!.id, { at: t, status: 204, error: null, durationMs: 1 }, { deliveredAt: t, nextAttemptAt: null, failedAt: null });
    await s.webhooks.recordAttempt(b!.id, { at: t, status: null, error: 'connect ECONNREFUSED 127.0.0.1:9', durationMs: 1 }, { deliveredAt: null, nextAttemptAt: null, failedAt: t });
    await s.webhooks.recordAttempt(c!.id, { at: t, status: 503, error: 'HTTP 503', durationMs: 1 }, { deliveredAt: null, nextAttemptAt: t + 60_000, failedAt: null });
    expect((await fx.app.inject({ method: 'GET', url: '/v1/webhook-failures', headers: bearer(acme!) })).statusCode).toBe(403);
    const p1 = (await fx.app.inject({ method: 'GET', url: '/v1/webhook-failures?limit=1', headers: admin })).json();
    expect(p1.items).toEqual([expect.objectContaining({ id: c!.id, url: 'http://127.0.0.1:9/hook', accountId: 'acme', attempts: 1, lastStatus: 503, lastError: 'HTTP 503', state: 'retrying' })]);
    const p2 = (await fx.app.inject({ method: 'GET', url: `/v1/webhook-failures?limit=1&cursor=${p1.next}`, headers: admin })).json();
    expect(p2.items).toEqual([expect.objectContaining({ id: b!.id, lastStatus: null, lastError: 'connect ECONNREFUSED 127.0.0.1:9', state: 'given_up' })]);
    expect(p2.next).toBeNull(); // the delivered one is never listed
    expect((await fx.app.inject({ method: 'GET', url: '/v1/webhook-failures?account=acme', headers: admin })).json().items.map((d: { id: number }) => d.id)).toEqual([c!.id, b!.id]);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/webhook-failures?account=nobody', headers: admin })).statusCode).toBe(404);
  });

  it('accounts with their health in one call, a page at a time in id order', async () => {
    fx = await apiFixture();
    const { c1 } = await withAccounts(fx, 'c3', 'c1', 'c2');
    await fx.policy.holdForReview('c2', 'test', 'volume', Date.now());
    expect((await fx.app.inject({ method: 'GET', url: '/v1/account-health', headers: bearer(c1!) })).statusCode).toBe(403);
    const p1 = (await fx.app.inject({ method: 'GET', url: '/v1/account-health?limit=2', headers: admin })).json();
    expect(p1.items.map((i: { account: { id: string } }) => i.account.id)).toEqual(['c1', 'c2']);
    expect(p1.items[1].health).toMatchObject({ accountId: 'c2', review: 'required', suspension: 'review' });
    expect(p1.items[0].health.rates.hardBounce).toBeDefined();
    const p2 = (await fx.app.inject({ method: 'GET', url: `/v1/account-health?limit=2&cursor=${p1.next}`, headers: admin })).json();
    expect(p2.items.map((i: { account: { id: string } }) => i.account.id)).toEqual(['c3']);
    expect(p2.next).toBeNull();
  });
});

// The dashboard's reads (issue #16), over bounces made by the real pipeline (the s02 Postfix
// DSN, 550 5.1.1): GET /v1/accounts/:id/trends (daily sends and bounces by type, bounces by
// category) and GET /v1/accounts/:id/campaigns/:campaign/bounced (a campaign's recipients).
import { afterEach, describe, expect, it } from 'vitest';
import { utcDay } from '../../src/domain/index.js';
import { apiFixture, bearer, withAccounts, type Fixture } from '../helpers/api.js';

let fx: Fixture;
afterEach(async () => fx?.close());

describe('trends', () => {
  it('gives one value per day for each series, today last, and the categories of the period', async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme', 'beta');
    await fx.bounce('acme');
    await fx.bounce('acme');
    await fx.bounce('beta');
    const today = utcDay(Date.now());
    const yesterday = utcDay(Date.now() - 86_400_000);
    await fx.store.sends.add('acme', today, 40);
    await fx.store.sends.add('acme', yesterday, 7);
    await fx.store.sends.add('acme', '2020-01-01', 1000); // outside the period
    const r = await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/trends?days=30', headers: bearer(acme!) });
    expect(r.statusCode, r.body).toBe(200);
    const t = r.json() as { days: string[]; sends: number[]; bounces: Record<string, number[]>; categories: Record<string, number> };
    expect(t.days).toHaveLength(30);
    expect(t.days.at(-1)).toBe(today);
    expect(t.days.at(-2)).toBe(yesterday);
    expect(t.sends.at(-1)).toBe(40);
    expect(t.sends.at(-2)).toBe(7);
    expect(t.sends.reduce((a, b) => a + b)).toBe(47);
    expect(t.bounces.hard!.at(-1)).toBe(2);
    expect(t.bounces.hard!.reduce((a, b) => a + b)).toBe(2);
    expect(t.bounces.soft!.reduce((a, b) => a + b)).toBe(0);
    expect(t.categories.unknown_user).toBe(2);
    for (const s of [t.sends, ...Object.values(t.bounces)]) expect(s).toHaveLength(30);
    // Bounds: 1 to 366 days.
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/trends?days=367', headers: bearer(acme!) })).statusCode).toBe(400);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/trends', headers: bearer(acme!) })).json().days).toHaveLength(90);
  });

  it('gives complaints and unsubscribes per day, and bounces by receiving domain with the rest as other', async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme', 'beta');
    await fx.bounce('acme'); // rcpt-550-5.1.1@reject.test
    await fx.bounce('acme');
    await fx.bounce('beta');
    const now = Date.now();
    const today = utcDay(now);
    // An unsubscribe through the one-click link (RFC 8058), as a mail client sends it.
    const link = fx.policy.unsubscribeHeaders('acme', 'spring/m-1', 'reader@example.org')['List-Unsubscribe'];
    const path = /<https?:\/\/[^/]+(\/v1\/unsubscribe\/[^>]+)>/.exec(link)![1]!;
    const one = await fx.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(one.statusCode, one.body).toBeLessThan(300);
    // Complaints as the pipeline records them from feedback reports: yesterday's two, and one of another account.
    const report = (accountId: string, n: number, at: number) =>
      fx.store.reports.add({ accountId, kind: 'complaint', messageId: `spring/m-${n}`, recipient: `c${n}@example.org`, channel: 'marketing', campaign: 'spring', at, source: 'arf' });
    await report('acme', 1, now - 86_400_000);
    await report('acme', 2, now - 86_400_000);
    await report('beta', 3, now);
    const r = await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/trends?days=7&domains=1', headers: bearer(acme!) });
    expect(r.statusCode, r.body).toBe(200);
    const t = r.json() as { days: string[]; complaints: number[]; unsubscribes: number[]; domains: { top: Array<{ domain: string; count: number }>; other: number } };
    expect(t.days.at(-1)).toBe(today);
    expect(t.complaints).toEqual([0, 0, 0, 0, 0, 2, 0]);
    expect(t.unsubscribes).toEqual([0, 0, 0, 0, 0, 0, 1]);
    expect(t.domains).toEqual({ top: [{ domain: 'reject.test', count: 2 }], other: 0 });
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/trends?domains=51', headers: bearer(acme!) })).statusCode).toBe(400);
  });

  it("lists a campaign's bounced recipients with type, reason and category, by page", async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme');
    await fx.bounce('acme', 'spring/m-1');
    await fx.bounce('acme', 'autumn/m-2');
    const r = await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/campaigns/spring/bounced?limit=1', headers: bearer(acme!) });
    expect(r.statusCode, r.body).toBe(200);
    const page = r.json() as { items: Array<Record<string, unknown>>; next: string | null };
    expect(page.items).toEqual([{ recipient: 'rcpt-550-5.1.1@reject.test', type: 'hard', reason: 'userunknown', category: 'unknown_user', at: expect.any(Number), channel: 'marketing' }]);
    const next = await fx.app.inject({ method: 'GET', url: `/v1/accounts/acme/campaigns/spring/bounced?limit=1&cursor=${page.next}`, headers: bearer(acme!) });
    expect(next.json()).toEqual({ items: [], next: null });
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/campaigns/winter/bounced', headers: bearer(acme!) })).json()).toEqual({ items: [], next: null });
  });
});

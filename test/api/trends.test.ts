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

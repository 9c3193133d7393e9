// The store contract for the dashboard's second round (issue #16), on SQLite and on a real
// PostgreSQL (fails rather than skips in CI): the suppression list by reason read one owner at
// a time and merged in id order, page after page; complaints and unsubscribes per UTC day;
// bounces per receiving domain; the accounts whose review is open; failing webhook deliveries.
import { describe, expect, it } from 'vitest';
import { storeBackends } from '../helpers/store-backends.js';

const backends = storeBackends('test/store/contract-admin-views.test.ts');
const T = Date.UTC(2026, 11, 3, 12);

describe.each(backends)('admin views on $name', (backend) => {
  it("pages an account's and the global suppressions of one reason in id order, merged", async () => {
    const s = await backend.fresh();
    // Interleaved owners and reasons; 'other' must never show.
    const rows: Array<[string, string, 'complaint' | 'import']> = [];
    for (let i = 0; i < 12; i++) rows.push([i % 3 === 0 ? '*' : i % 3 === 1 ? 'acme' : 'other', `u${i}@x.test`, i % 2 === 0 ? 'complaint' : 'import']);
    for (const [owner, address, reason] of rows) await s.suppressions.add(owner, address, reason, null, T);
    const want = rows.filter(([o, , r]) => (o === 'acme' || o === '*') && r === 'complaint').map(([, a]) => a);
    expect(want).toEqual(['u0@x.test', 'u4@x.test', 'u6@x.test', 'u10@x.test']);
    const got: string[] = [];
    let afterId = 0;
    for (;;) {
      const page = await s.suppressions.list({ accountId: 'acme', reason: 'complaint', afterId, limit: 3 });
      got.push(...page.map((r) => r.address));
      if (page.length < 3) break;
      afterId = page[page.length - 1]!.id;
    }
    expect(got).toEqual(want);
    expect((await s.suppressions.list({ accountId: 'acme', reason: 'complaint', scope: 'global', limit: 10 })).map((r) => r.address)).toEqual(['u0@x.test', 'u6@x.test']);
    expect((await s.suppressions.list({ accountId: 'acme', reason: 'import', scope: 'account', limit: 10 })).map((r) => r.address)).toEqual(['u1@x.test', 'u7@x.test']);
    // The page is cut at the limit across both owners, in id order.
    expect((await s.suppressions.list({ accountId: 'acme', limit: 3 })).map((r) => r.address)).toEqual(['u0@x.test', 'u1@x.test', 'u3@x.test']);
  });

  it('counts complaints and unsubscribes per UTC day and kind, and bounces per receiving domain', async () => {
    const s = await backend.fresh();
    const DAY = 86_400_000;
    const day0 = Date.UTC(2026, 10, 30);
    const report = (kind: 'complaint' | 'unsubscribe', at: number, n: number, accountId = 'acme') =>
      s.reports.add({ accountId, kind, messageId: `spring/m${n}`, recipient: `r${n}@example.org`, channel: 'marketing', campaign: 'spring', at, source: 'api' });
    await report('complaint', day0 - 1, 0); // before `since`
    await report('complaint', day0, 1);
    await report('complaint', day0 + DAY - 1, 2);
    await report('unsubscribe', day0 + 3, 3);
    await report('unsubscribe', day0 + DAY, 4);
    await report('complaint', day0 + DAY, 5, 'other');
    expect(await s.reports.daily('acme', day0)).toEqual([
      { day: '2026-11-30', kind: 'complaint', count: 2 },
      { day: '2026-11-30', kind: 'unsubscribe', count: 1 },
      { day: '2026-12-01', kind: 'unsubscribe', count: 1 },
    ]);
    const [row] = await s.messages.insert([{ receivedAt: T, source: 'smtp', mailFrom: '', rcptTo: ['b@bounces.test'], remoteIp: null, helo: null, raw: Buffer.from('x\r\n') }]);
    const bounce = (recipient: string | null, at: number, accountId = 'acme') =>
      s.bounces.insert(row!, {
        createdAt: at, accountId, messageId: 'm', recipient, reportedRecipient: null, kind: 'bounce', action: 'failed', status: null, reason: 'x',
        hardbounce: true, category: 'unknown_user', type: 'hard', rule: 't', detector: 't', replyCode: null, diagnostic: null, remoteMta: null,
        reportingMta: null, originalMessageId: null, feedbackType: null, verified: true, warning: null,
      });
    for (let i = 0; i < 3; i++) await bounce(`a${i}@gmail.test`, day0 + i);
    for (let i = 0; i < 2; i++) await bounce(`b${i}@yahoo.test`, day0 + i);
    await bounce('c@aol.test', day0);
    await bounce('"odd@local"@mail.test', day0); // the domain is after the last @
    await bounce(null, day0);
    await bounce('old@aol.test', day0 - 1);
    await bounce('x@other.test', day0, 'other');
    expect(await s.bounces.domains('acme', day0, 3)).toEqual([
      { domain: 'gmail.test', count: 3 },
      { domain: 'yahoo.test', count: 2 },
      { domain: 'aol.test', count: 1 },
    ]);
    expect((await s.bounces.domains('acme', day0, 10)).map((d) => d.domain)).toEqual(['gmail.test', 'yahoo.test', 'aol.test', 'mail.test']);
    expect(await s.bounces.domains('nobody', 0, 10)).toEqual([]);
  });

  it('lists the accounts whose review is open, with the form', async () => {
    const s = await backend.fresh();
    for (const [id, review, at] of [['a1', 'submitted', T + 2], ['a2', 'required', T + 1], ['a3', 'approved', T], ['a4', 'none', T]] as const) {
      await s.accounts.saveState(id, { ...(await s.accounts.state(id)), review, reviewForm: review === 'submitted' ? { contactsSource: 'shop', emailPurpose: 'news' } : null, updatedAt: at }, at);
    }
    const open = await s.accounts.reviews(['required', 'submitted']);
    expect(open.map((r) => [r.accountId, r.review])).toEqual([['a2', 'required'], ['a1', 'submitted']]);
    expect(open[1]!.reviewForm).toEqual({ contactsSource: 'shop', emailPurpose: 'news' });
    expect(open[0]!.reviewForm).toBeNull();
    expect(await s.accounts.reviews([])).toEqual([]);
  });

  it('lists webhook deliveries tried and not delivered, newest first, a page at a time', async () => {
    const s = await backend.fresh();
    await s.webhooks.createEndpoint({ id: 'wh_a', accountId: 'acme', url: 'http://127.0.0.1:1/a', secret: 'whsec_a', events: [] }, T);
    await s.webhooks.createEndpoint({ id: 'wh_b', accountId: 'beta', url: 'http://127.0.0.1:1/b', secret: 'whsec_b', events: [] }, T);
    for (let i = 0; i < 4; i++) await s.events.add('acme', 'bounce.hard', { n: i }, T + i);
    await s.events.add('beta', 'bounce.hard', { n: 9 }, T + 9);
    expect(await s.webhooks.fanOut(T + 10)).toBe(5);
    const due = await s.webhooks.claimDue('n', T + 10, 10, 30_000);
    const [ok, retrying, gaveUp, untried, theirs] = due;
    await s.webhooks.recordAttempt(ok!.id, { at: T + 11, status: 204, error: null, durationMs: 1 }, { deliveredAt: T + 11, nextAttemptAt: null, failedAt: null });
    await s.webhooks.recordAttempt(retrying!.id, { at: T + 12, status: 503, error: 'HTTP 503', durationMs: 1 }, { deliveredAt: null, nextAttemptAt: T + 60_000, failedAt: null });
    await s.webhooks.recordAttempt(gaveUp!.id, { at: T + 13, status: null, error: 'connect ECONNREFUSED 127.0.0.1:1', durationMs: 1 }, { deliveredAt: null, nextAttemptAt: null, failedAt: T + 13 });
    await s.webhooks.postpone(untried!.id, T + 60_000);
    await s.webhooks.recordAttempt(theirs!.id, { at: T + 14, status: 500, error: 'HTTP 500', durationMs: 1 }, { deliveredAt: null, nextAttemptAt: T + 60_000, failedAt: null });
    const all = await s.webhooks.failures({ limit: 10 });
    expect(all.map((d) => d.id)).toEqual([theirs!.id, gaveUp!.id, retrying!.id]);
    expect(all[1]).toMatchObject({ accountId: 'acme', url: 'http://127.0.0.1:1/a', endpointId: 'wh_a', attempts: 1, lastStatus: null, lastError: 'connect ECONNREFUSED 127.0.0.1:1', failedAt: T + 13, eventType: 'bounce.hard' });
    expect(all[0]).toMatchObject({ accountId: 'beta', lastStatus: 500, failedAt: null });
    const acme = await s.webhooks.failures({ accountId: 'acme', limit: 1 });
    expect(acme.map((d) => d.id)).toEqual([gaveUp!.id]);
    expect((await s.webhooks.failures({ accountId: 'acme', beforeId: acme[0]!.id, limit: 1 })).map((d) => d.id)).toEqual([retrying!.id]);
    expect(await s.webhooks.failures({ accountId: 'acme', beforeId: retrying!.id, limit: 1 })).toEqual([]);
  });
});

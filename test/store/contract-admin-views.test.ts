// The store contract for the dashboard's second round (issue #16), on SQLite and on a real
// PostgreSQL (fails rather than skips in CI): the suppression list by reason read one owner at
// a time and merged in id order, page after page.
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
});

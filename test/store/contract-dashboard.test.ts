// The store contract for what the dashboard adds (issue #16), on SQLite and on a real
// PostgreSQL (test/helpers/postgres.ts; fails rather than skips in CI): sessions found by the
// hash of the cookie while unexpired, ended by sign-out, by expiry, and by revoking the key they
// were opened with; an account's bounces counted per UTC day, type and category.
import { describe, expect, it } from 'vitest';
import type { DashboardSession } from '../../src/store/contract.js';
import { StoreError } from '../../src/store/contract.js';
import { storeBackends } from '../helpers/store-backends.js';

const backends = storeBackends('test/store/contract-dashboard.test.ts');

const T = Date.UTC(2026, 11, 3, 12);
const HOUR = 3_600_000;
const session = (over: Partial<DashboardSession> = {}): DashboardSession => ({
  keyId: 'key_1',
  accountId: 'acme',
  csrf: 'csrf-token',
  createdAt: T,
  expiresAt: T + 8 * HOUR,
  ...over,
});

describe.each(backends)('dashboard sessions on $name', (backend) => {
  it('found by hash until it expires; sign-out ends it once; a hash is unique', async () => {
    const s = await backend.fresh();
    await s.keys.insert({ id: 'key_1', accountId: 'acme', hash: 'kh1', prefix: 'bnd_x', name: null }, T);
    await s.sessions.insert('h1', session());
    expect(await s.sessions.find('h1', T + HOUR)).toEqual(session());
    expect(await s.sessions.find('h2', T + HOUR)).toBeNull();
    expect(await s.sessions.find('h1', T + 8 * HOUR)).toBeNull();
    const err = await s.sessions.insert('h1', session()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('conflict');
    expect(await s.sessions.delete('h1')).toBe(true);
    expect(await s.sessions.delete('h1')).toBe(false);
    expect(await s.sessions.find('h1', T)).toBeNull();
  });

  it('an account session ends with its key; an admin session has no key row', async () => {
    const s = await backend.fresh();
    await s.keys.insert({ id: 'key_1', accountId: 'acme', hash: 'kh1', prefix: 'bnd_x', name: null }, T);
    await s.sessions.insert('acct', session());
    await s.sessions.insert('ghost', session({ keyId: 'key_never_stored' }));
    await s.sessions.insert('adm', session({ keyId: 'admin:abcd', accountId: null }));
    expect(await s.sessions.find('ghost', T)).toBeNull();
    expect((await s.sessions.find('adm', T))?.accountId).toBeNull();
    expect(await s.sessions.find('acct', T)).not.toBeNull();
    expect(await s.keys.revoke('acme', 'key_1', T + 1)).toBe(true);
    expect(await s.sessions.find('acct', T + 2)).toBeNull();
  });

  it('prune drops the expired sessions only', async () => {
    const s = await backend.fresh();
    await s.sessions.insert('old', session({ keyId: 'admin:x', accountId: null, expiresAt: T + HOUR }));
    await s.sessions.insert('new', session({ keyId: 'admin:x', accountId: null, expiresAt: T + 3 * HOUR }));
    expect(await s.sessions.prune(T + HOUR)).toBe(1);
    expect(await s.sessions.prune(T + HOUR)).toBe(0);
    expect(await s.sessions.find('new', T + 2 * HOUR)).not.toBeNull();
    expect(await s.sessions.delete('old')).toBe(false);
  });

  it('counts an account\'s bounces per UTC day, type and category, from `since`, days in order', async () => {
    const s = await backend.fresh();
    const [row] = await s.messages.insert([{ receivedAt: T, source: 'smtp', mailFrom: '', rcptTo: ['b@bounces.test'], remoteIp: null, helo: null, raw: Buffer.from('x\r\n') }]);
    const DAY = 24 * HOUR;
    const day0 = Date.UTC(2026, 10, 30);
    const add = (at: number, accountId: string, type: 'hard' | 'soft', category: 'unknown_user' | 'mailbox_full') =>
      s.bounces.insert(row!, {
        createdAt: at, accountId, messageId: 'm', recipient: 'r@example.org', reportedRecipient: null, kind: 'bounce', action: 'failed',
        status: null, reason: 'x', hardbounce: type === 'hard', category, type, rule: 't', detector: 't', replyCode: null, diagnostic: null,
        remoteMta: null, reportingMta: null, originalMessageId: null, feedbackType: null, verified: true, warning: null,
      });
    await add(day0 - 1, 'acme', 'hard', 'unknown_user'); // before `since`
    await add(day0, 'acme', 'hard', 'unknown_user');
    await add(day0 + DAY - 1, 'acme', 'hard', 'unknown_user'); // the last ms of the same UTC day
    await add(day0 + 5 * HOUR, 'acme', 'soft', 'mailbox_full');
    await add(day0 + DAY, 'acme', 'hard', 'unknown_user');
    await add(day0 + DAY, 'other', 'hard', 'unknown_user');
    expect(await s.bounces.daily('acme', day0)).toEqual([
      { day: '2026-11-30', type: 'hard', category: 'unknown_user', count: 2 },
      { day: '2026-11-30', type: 'soft', category: 'mailbox_full', count: 1 },
      { day: '2026-12-01', type: 'hard', category: 'unknown_user', count: 1 },
    ]);
    expect(await s.bounces.daily('nobody', 0)).toEqual([]);
  });

  it("pages a campaign's failed recipients by delivery id", async () => {
    const s = await backend.fresh();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const change = await s.deliveries.applyEvidence(
        { accountId: 'acme', messageId: `spring/m${i}`, recipient: `r${i}@example.org`, at: T, source: 'dsn', state: 'hard', status: '5.1.1', reason: 'userunknown', category: 'unknown_user', diagnostic: null, qid: null, dedupKey: `d${i}`, countsAsSend: false },
        null,
        T,
      );
      ids.push(change!.deliveryId);
      await s.failures.record({
        deliveryId: change!.deliveryId, accountId: 'acme', recipient: `r${i}@example.org`, channel: 'marketing', campaign: i === 4 ? 'other' : 'spring',
        state: i === 1 ? 'soft' : 'hard', reason: 'userunknown', category: 'unknown_user', addressReason: true, at: T,
      });
    }
    const first = await s.failures.ofCampaign('acme', 'spring', 0, 2);
    expect(first.map((f) => f.recipient)).toEqual(['r0@example.org', 'r1@example.org']);
    expect(first[1]).toMatchObject({ state: 'soft', campaign: 'spring', deliveryId: ids[1] });
    const next = await s.failures.ofCampaign('acme', 'spring', first[1]!.deliveryId, 2);
    expect(next.map((f) => f.recipient)).toEqual(['r2@example.org', 'r3@example.org']);
    expect(await s.failures.ofCampaign('acme', 'spring', next[1]!.deliveryId, 2)).toEqual([]);
    expect(await s.failures.ofCampaign('beta', 'spring', 0, 10)).toEqual([]);
  });
});

// The store contract's part for issue #19: esp_events once per (provider, event id), listed by
// filter and page, evidence from a provider (source `esp`), and what the soft-bounce limit reads
// and writes (the limit, soft failures since a time, the last delivery, the expiry), on SQLite
// and PostgreSQL.
import { describe, expect, it } from 'vitest';
import type { EspEventInput, Store } from '../../src/store/contract.js';
import { storeBackends } from '../helpers/store-backends.js';

const backends = storeBackends('test/store/contract-esp.test.ts');

const T0 = Date.UTC(2026, 10, 20, 8);

async function bodyRow(s: Store): Promise<number> {
  const [id] = await s.messages.insert([
    { receivedAt: T0, source: 'esp', mailFrom: '', rcptTo: [], remoteIp: '127.0.0.1', helo: 'esp:sendgrid-acme', raw: Buffer.from('[{"event":"bounce"}]') },
  ]);
  return id!;
}

const event = (messageRow: number, over: Partial<EspEventInput> = {}): EspEventInput => ({
  provider: 'sendgrid',
  eventId: 'sg-1',
  endpointId: 'sendgrid-acme',
  accountId: 'acme',
  kind: 'bounce',
  recipient: 'Rcpt@Example.COM',
  messageId: 'spring/m1',
  at: T0 - 1000,
  receivedAt: T0,
  messageRow,
  ...over,
});

describe.each(backends)('store contract (ESP events) on $name', (backend) => {
  it('records an event once per (provider, event id); lists by account, provider, kind, time and page', async () => {
    const { a: s } = await backend.pair();
    const row = await bodyRow(s);
    expect(await s.espEvents.add(event(row))).toBe(true);
    expect(await s.espEvents.add(event(row))).toBe(false);
    expect(await s.espEvents.has('sendgrid', 'sg-1')).toBe(true);
    expect(await s.espEvents.has('mailgun', 'sg-1')).toBe(false);
    // The same id from another provider is another event.
    expect(await s.espEvents.add(event(row, { provider: 'mailgun', kind: 'delivery', receivedAt: T0 + 10 }))).toBe(true);
    expect(await s.espEvents.add(event(row, { eventId: 'sg-2', accountId: 'other', kind: 'complaint', receivedAt: T0 + 20 }))).toBe(true);

    const all = await s.espEvents.list({});
    expect(all.map((e) => [e.provider, e.eventId, e.accountId, e.kind])).toEqual([
      ['sendgrid', 'sg-1', 'acme', 'bounce'],
      ['mailgun', 'sg-1', 'acme', 'delivery'],
      ['sendgrid', 'sg-2', 'other', 'complaint'],
    ]);
    expect(all[0]).toMatchObject({ recipient: 'rcpt@example.com', messageId: 'spring/m1', at: T0 - 1000, receivedAt: T0, messageRow: row, endpointId: 'sendgrid-acme' });
    expect((await s.espEvents.list({ accountId: 'acme' })).length).toBe(2);
    expect((await s.espEvents.list({ provider: 'sendgrid' })).map((e) => e.eventId)).toEqual(['sg-1', 'sg-2']);
    expect((await s.espEvents.list({ kind: 'complaint' })).map((e) => e.accountId)).toEqual(['other']);
    expect((await s.espEvents.list({ since: T0 + 10, until: T0 + 20 })).map((e) => e.provider)).toEqual(['mailgun']);
    const page = await s.espEvents.list({ limit: 2 });
    expect(page.length).toBe(2);
    expect((await s.espEvents.list({ after: page[1]!.id })).map((e) => e.eventId)).toEqual(['sg-2']);
    // A provider's send (SQLite 27, PostgreSQL 9) and the row that counts it once; another kind is refused.
    expect(await s.espEvents.add(event(row, { eventId: 'sent:m1/rcpt@example.com', kind: 'send', receivedAt: T0 + 30 }))).toBe(true);
    expect((await s.espEvents.list({ kind: 'send' })).map((e) => e.eventId)).toEqual(['sent:m1/rcpt@example.com']);
    await expect(s.espEvents.add(event(row, { eventId: 'x-1', kind: 'open' }))).rejects.toThrow();
  });

  it('a rolled-back transaction records no event; two connections racing on one event: exactly one wins', async () => {
    const { a, b } = await backend.pair();
    const row = await bodyRow(a);
    await expect(
      a.transaction(async (tx) => {
        expect(await tx.espEvents.add(event(row, { eventId: 'rb' }))).toBe(true);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await a.espEvents.list({})).toEqual([]);
    const results = await Promise.all([
      a.transaction((tx) => tx.espEvents.add(event(row, { eventId: 'race' }))),
      b.transaction((tx) => tx.espEvents.add(event(row, { eventId: 'race' }))),
    ]);
    expect(results.filter(Boolean).length).toBe(1);
    expect((await b.espEvents.list({})).length).toBe(1);
  });

  it('takes delivery evidence from a provider (source esp)', async () => {
    const { a: s } = await backend.pair();
    const change = await s.deliveries.applyEvidence(
      {
        accountId: 'acme', messageId: 'spring/m1', recipient: 'rcpt@example.com', at: T0, source: 'esp', state: 'soft', status: '4.2.2',
        reason: 'mailboxfull', category: 'mailbox_full', diagnostic: '452 4.2.2 mailbox full', qid: null, dedupKey: 'esp:sendgrid:sg-1', countsAsSend: false,
      },
      null,
      T0,
    );
    expect(change?.state).toBe('soft');
    expect((await s.deliveries.evidence(change!.deliveryId)).map((e) => e.source)).toEqual(['esp']);
  });

  it('soft-bounce limits: set, replace, remove; soft failures since a time; the last delivery; expiry after suppressDays', async () => {
    const { a: s } = await backend.pair();
    expect(await s.accounts.softBounceLimit('acme')).toBeNull();
    await s.accounts.setSoftBounceLimit('acme', { bounces: 3, windowDays: 7, suppressDays: 30 }, T0);
    await s.accounts.setSoftBounceLimit('acme', { bounces: 4, windowDays: 7, suppressDays: 1 }, T0);
    expect(await s.accounts.softBounceLimit('acme')).toEqual({ bounces: 4, windowDays: 7, suppressDays: 1 });
    await s.accounts.setSoftBounceLimit('gone', { bounces: 2, windowDays: 1, suppressDays: 1 }, T0);
    await s.accounts.setSoftBounceLimit('gone', null, T0);
    expect(await s.accounts.softBounceLimit('gone')).toBeNull();

    let k = 0;
    const apply = (state: 'soft' | 'hard' | 'delivered', at: number, recipient = 'Rcpt@Example.COM', accountId = 'acme') =>
      s.deliveries.applyEvidence(
        { accountId, messageId: `m${++k}`, recipient, at, source: 'esp', state, status: null, reason: null, category: null, diagnostic: null, qid: null, dedupKey: `d${k}`, countsAsSend: false },
        null,
        at,
      );
    const fail = async (state: 'soft' | 'hard', at: number, recipient?: string, accountId = 'acme') => {
      const c = (await apply(state, at, recipient, accountId))!;
      await s.failures.record({ deliveryId: c.deliveryId, accountId, recipient: recipient ?? 'rcpt@example.com', channel: 'marketing', campaign: null, state, reason: null, category: null, addressReason: false, at });
    };
    await fail('soft', T0);
    await fail('soft', T0 + 10);
    await fail('hard', T0 + 20);
    await fail('soft', T0 + 30, 'other@example.com');
    await fail('soft', T0 + 40, undefined, 'other');
    expect(await s.failures.softSince('acme', 'RCPT@example.com', T0)).toBe(2);
    expect(await s.failures.softSince('acme', 'rcpt@example.com', T0 + 1)).toBe(1);
    expect(await s.deliveries.lastDeliveredAt('acme', 'rcpt@example.com')).toBeNull();
    await apply('delivered', T0 + 50);
    await apply('delivered', T0 + 70);
    await apply('delivered', T0 + 60, 'rcpt@example.com', 'other');
    expect(await s.deliveries.lastDeliveredAt('acme', 'Rcpt@example.com')).toBe(T0 + 70);

    await s.suppressions.add('acme', 'rcpt@example.com', 'soft_bounce_limit', '4 soft bounces', T0);
    await s.suppressions.add('acme', 'rcpt@example.com', 'hard_bounce', null, T0);
    await s.suppressions.add('other', 'rcpt@example.com', 'soft_bounce_limit', 'no limit any more', T0);
    expect(await s.suppressions.expireSoftLimits(T0 + 86_400_000 - 1)).toEqual([]);
    expect(await s.suppressions.expireSoftLimits(T0 + 86_400_000)).toEqual([{ accountId: 'acme', address: 'rcpt@example.com' }]);
    expect((await s.suppressions.hits('acme', 'rcpt@example.com')).map((h) => h.reason)).toEqual(['hard_bounce']);
    // An account without a limit (removed since) keeps its suppression: no expiry is known.
    expect((await s.suppressions.hits('other', 'rcpt@example.com')).map((h) => h.reason)).toEqual(['soft_bounce_limit']);
  });
});

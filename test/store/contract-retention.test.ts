// Retention in the store contract (messages.pruneRaw, issue #20): the same tests on SQLite and
// on a real PostgreSQL (test/helpers/postgres.ts). The bytes of old settled messages go; the
// message rows, their state and what was made of them stay; a message still `received` keeps
// its bytes whatever its age.
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../src/store/contract.js';
import { storeBackends } from '../helpers/store-backends.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 30, 12);

const backends = storeBackends('test/store/contract-retention.test.ts');

const msg = (receivedAt: number, raw: Buffer | Buffer[], over: Partial<IncomingMessage> = {}): IncomingMessage => ({
  receivedAt,
  source: 'smtp',
  mailFrom: '',
  rcptTo: ['b+token@bounces.test'],
  remoteIp: '127.0.0.1',
  helo: 'mx.example',
  raw,
  ...over,
});

const processed = { state: 'processed' as const, kind: 'bounce' as const, detector: 'rfc3464', reportMessageId: null };

describe.each(backends)('messages.pruneRaw on $name', (backend) => {
  it('drops the bytes (head and tail) of settled messages received before the cut, oldest first; rows and received messages stay', async () => {
    const s = await backend.fresh();
    const big = Buffer.alloc(2.5 * 1024 * 1024, 0x62); // a head and two tail parts
    const ids = await s.messages.insert([
      msg(NOW - 40 * DAY, Buffer.from('Subject: oldest\r\n\r\nx\r\n')),
      msg(NOW - 39 * DAY, [big.subarray(0, 100), big.subarray(100)]),
      msg(NOW - 38 * DAY, Buffer.from('Subject: old, never processed\r\n\r\nx\r\n')),
      msg(NOW - 37 * DAY, Buffer.from('Subject: old, unparseable\r\n\r\nx\r\n')),
      msg(NOW - 1 * DAY, Buffer.from('Subject: recent\r\n\r\nx\r\n')),
    ]);
    const [oldest, bigId, stuck, bad, recent] = ids as [number, number, number, number, number];
    for (const id of [oldest, bigId, recent]) expect(await s.messages.settle(id, processed, NOW)).toBe(true);
    expect(await s.messages.settle(bad, { state: 'unparseable', error: 'no' }, NOW)).toBe(true);
    const before = (await s.messages.get(bigId))!;

    const cut = NOW - 30 * DAY;
    // The limit is honoured, oldest first.
    expect(await s.messages.pruneRaw(cut, 1)).toBe(1);
    expect(await s.messages.raw(oldest)).toBeNull();
    expect((await s.messages.raw(bigId))!.equals(big)).toBe(true);
    // The rest of the old settled ones, head and tail parts; the stuck one and the recent one keep theirs.
    expect(await s.messages.pruneRaw(cut, 10)).toBe(2);
    expect(await s.messages.raw(bigId)).toBeNull();
    expect(await s.messages.raw(bad)).toBeNull();
    expect((await s.messages.raw(stuck))!.toString()).toContain('never processed');
    expect((await s.messages.raw(recent))!.toString()).toContain('recent');
    // Nothing is left to prune: idempotent.
    expect(await s.messages.pruneRaw(cut, 10)).toBe(0);
    // The rows stay as they were: envelope, size, digest, state.
    expect(await s.messages.get(bigId)).toEqual(before);
    expect(await s.messages.counts()).toEqual({ received: 1, processed: 3, unparseable: 1, duplicate: 0 });
    // The one still received is processed as ever, its bytes whole.
    const claimed = await s.messages.claim('n1', { limit: 10, leaseMs: 60_000, now: NOW });
    expect(claimed.map((c) => c.id)).toEqual([stuck]);
    // A later cut takes the recent one too.
    expect(await s.messages.pruneRaw(NOW, 10)).toBe(1);
    expect(await s.messages.raw(recent)).toBeNull();
  });

  it('stops at the first message received at or after the cut, and skips what is still received', async () => {
    const s = await backend.fresh();
    // 30 old settled ones behind 5 old received ones, then a new one, then an old one (a clock set back).
    const batch = [
      ...Array.from({ length: 5 }, () => msg(NOW - 50 * DAY, Buffer.from('stuck'))),
      ...Array.from({ length: 30 }, (_, i) => msg(NOW - 45 * DAY + i, Buffer.from(`old ${i}`))),
      msg(NOW, Buffer.from('new')),
      msg(NOW - 45 * DAY, Buffer.from('old after a clock set back')),
    ];
    const ids = await s.messages.insert(batch);
    for (const id of ids.slice(5)) await s.messages.settle(id, processed, NOW);
    let total = 0;
    for (let n = -1; n !== 0; total += n) n = await s.messages.pruneRaw(NOW - 30 * DAY, 7);
    expect(total).toBe(30);
    for (const id of ids.slice(5, 35)) expect(await s.messages.raw(id)).toBeNull();
    for (const id of [...ids.slice(0, 5), ...ids.slice(35)]) expect(await s.messages.raw(id)).not.toBeNull();
  });
});

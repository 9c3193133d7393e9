// The store contract's inbox watch lease (issue #17, several nodes on one database): one node
// watches or syncs an inbox at a time; it renews its lease while it watches; another node
// takes the inbox over once the lease has lapsed (the first node died), never before. The
// same assertions on SQLite and a real PostgreSQL; two stores (two connections or pools) on
// one database race for the same leases.
import { describe, expect, it } from 'vitest';
import type { NewInbox, Store } from '../../src/store/contract.js';
import { storeBackends } from '../helpers/store-backends.js';

const backends = storeBackends('test/store/contract-inbox-lease.test.ts');

const T = Date.UTC(2026, 11, 3, 20);
const LEASE = 60_000;

const inbox = (id: string): NewInbox => ({
  id, accountId: 'acme', host: '127.0.0.1', port: 1143, tls: 'none', user: id, auth: 'password', credentials: `v1.iv.${id}.tag`, sentFolder: null, moveTo: null, windowHours: null,
});

async function seed(s: Store, ids: string[]): Promise<void> {
  await s.accounts.insert({ id: 'acme', name: null, tier: 'starter', profile: 'default', contactEmail: null }, T);
  for (const id of ids) await s.inboxes.add(inbox(id), T);
}

describe.each(backends)('store contract: inbox watch leases on $name', (backend) => {
  it('taken when free, renewed by its holder, refused to another node while it runs, taken over once it lapses', async () => {
    const s = await backend.fresh();
    await seed(s, ['in1', 'in2']);
    expect((await s.inboxes.get('in1'))!.lease).toBeNull();
    expect(await s.inboxes.acquireLease('in1', 'node-a', T, LEASE)).toBe(true);
    expect((await s.inboxes.get('in1'))!.lease).toEqual({ node: 'node-a', until: T + LEASE });
    // another node: refused while it runs, up to its last millisecond
    expect(await s.inboxes.acquireLease('in1', 'node-b', T + 1, LEASE)).toBe(false);
    expect(await s.inboxes.acquireLease('in1', 'node-b', T + LEASE - 1, LEASE)).toBe(false);
    // the holder renews it (later expiry); the other node is still refused past the first expiry
    expect(await s.inboxes.acquireLease('in1', 'node-a', T + 30_000, LEASE)).toBe(true);
    expect((await s.inboxes.get('in1'))!.lease).toEqual({ node: 'node-a', until: T + 30_000 + LEASE });
    expect(await s.inboxes.acquireLease('in1', 'node-b', T + LEASE + 1, LEASE)).toBe(false);
    // node-a stops renewing (it died): node-b takes it over once it lapses; node-a has lost it
    expect(await s.inboxes.acquireLease('in1', 'node-b', T + 30_000 + LEASE, LEASE)).toBe(true);
    expect((await s.inboxes.get('in1'))!.lease).toEqual({ node: 'node-b', until: T + 30_000 + 2 * LEASE });
    expect(await s.inboxes.acquireLease('in1', 'node-a', T + 30_000 + LEASE + 1, LEASE)).toBe(false);
    // a lease is per inbox: in2 is free
    expect(await s.inboxes.acquireLease('in2', 'node-a', T, LEASE)).toBe(true);
    // no such inbox: nothing to hold
    expect(await s.inboxes.acquireLease('ghost', 'node-a', T, LEASE)).toBe(false);
  });

  it('released only by its holder; a released lease is free at once', async () => {
    const s = await backend.fresh();
    await seed(s, ['in1']);
    expect(await s.inboxes.acquireLease('in1', 'node-a', T, LEASE)).toBe(true);
    expect(await s.inboxes.releaseLease('in1', 'node-b')).toBe(false);
    expect((await s.inboxes.get('in1'))!.lease?.node).toBe('node-a');
    expect(await s.inboxes.releaseLease('in1', 'node-a')).toBe(true);
    expect((await s.inboxes.get('in1'))!.lease).toBeNull();
    expect(await s.inboxes.releaseLease('in1', 'node-a')).toBe(false);
    expect(await s.inboxes.acquireLease('in1', 'node-b', T + 1, LEASE)).toBe(true);
    // the lease is not part of the status: a status write keeps it
    await s.inboxes.setStatus('in1', { state: 'ok', errorCode: null, errorMessage: null, errorAt: null, failures: 0, nextAttemptAt: null, lastSyncAt: T, counters: null });
    expect((await s.inboxes.get('in1'))!.lease?.node).toBe('node-b');
    // a removed inbox takes its lease with it
    expect(await s.inboxes.remove('acme', 'in1')).toBe(true);
    expect(await s.inboxes.acquireLease('in1', 'node-b', T + 2, LEASE)).toBe(false);
  });

  it('two nodes racing for the same free inboxes: exactly one wins each', async () => {
    const { a, b } = await backend.pair();
    const ids = Array.from({ length: 20 }, (_, i) => `in${i}`);
    await seed(a, ids);
    const results = await Promise.all(ids.flatMap((id) => [a.inboxes.acquireLease(id, 'node-a', T, LEASE).then((w) => ({ id, w, n: 'a' })), b.inboxes.acquireLease(id, 'node-b', T, LEASE).then((w) => ({ id, w, n: 'b' }))]));
    for (const id of ids) {
      const won = results.filter((r) => r.id === id && r.w);
      expect(won.length, id).toBe(1);
      expect((await a.inboxes.get(id))!.lease?.node).toBe(`node-${won[0]!.n}`);
    }
    // and again once every lease has lapsed: one winner each, whoever it is
    const later = await Promise.all(ids.flatMap((id) => [a.inboxes.acquireLease(id, 'node-c', T + LEASE, LEASE), b.inboxes.acquireLease(id, 'node-d', T + LEASE, LEASE)]));
    for (let i = 0; i < ids.length; i++) expect(Number(later[2 * i]) + Number(later[2 * i + 1])).toBe(1);
  });
});

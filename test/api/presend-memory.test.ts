// The pre-send check over HTTP with the store's memory on (the default; src/store/sqlite/
// presend-memory.ts): a suppression added or removed through the API, or added by the
// processing side's own connection, is seen by the very next GET, over real loopback HTTP.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteStore } from '../../src/store/sqlite/open.js';
import { apiFixture, withAccounts, type Fixture } from '../helpers/api.js';

let fx: Fixture;
let key: string;
let base: string;
let other: SqliteStore;

const memory = () => (fx.store as SqliteStore).presend!;

async function caughtUp(): Promise<void> {
  const deadline = Date.now() + 5000;
  await check('nobody@example.net');
  while (!memory().ready || memory().catchingUp) {
    if (Date.now() > deadline) throw new Error('the memory did not catch up');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function check(address: string): Promise<{ send: boolean; reasons: Array<{ code: string }> }> {
  const r = await fetch(`${base}/v1/suppressions/${encodeURIComponent(address).replace('%40', '@')}`, { headers: { authorization: `Bearer ${key}` } });
  expect(r.status).toBe(200);
  return (await r.json()) as { send: boolean; reasons: Array<{ code: string }> };
}

beforeAll(async () => {
  fx = await apiFixture();
  key = (await withAccounts(fx, 'acme')).acme!;
  await fx.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(fx.app.server.address() as AddressInfo).port}`;
  other = openSqlite({ dataDir: fx.config.dataDir }, { presendMemory: false });
});

afterAll(async () => {
  await other?.close();
  await fx?.close();
});

describe('pre-send check from memory, over HTTP', () => {
  it('sees each change at the next request', async () => {
    await caughtUp();
    const before = memory().counts.memory;
    expect((await check('a@example.org')).send).toBe(true);
    expect(memory().counts.memory).toBe(before + 1);

    const add = await fetch(`${base}/v1/suppressions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ addresses: ['a@example.org'], reason: 'manual' }),
    });
    expect(add.status).toBeLessThan(300);
    expect((await check('a@example.org')).reasons.map((r) => r.code)).toEqual(['manual']);
    await caughtUp();
    expect((await check('a@example.org')).send).toBe(false);

    const del = await fetch(`${base}/v1/suppressions/a@example.org?note=test`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
    expect(del.status).toBeLessThan(300);
    expect((await check('a@example.org')).send).toBe(true);

    await caughtUp();
    await other.suppressions.add('acme', 'b@example.org', 'hard_bounce', 'delivery:1', Date.now());
    expect((await check('b@example.org')).reasons.map((r) => r.code)).toEqual(['hard_bounce']);
  });
});

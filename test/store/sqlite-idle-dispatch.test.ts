// The webhook dispatcher asks the store for work after every settled batch (up to 10 times a
// second under load) and almost always there is none. Those idle asks must not take SQLite's
// write lock, which intake's commits of received mail wait on: shown here by another process
// holding the lock, which an idle ask must not notice, while a real claim still needs it.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE, openSqlite, type SqliteStore } from '../../src/store/sqlite/open.js';
import { tmpDir } from '../helpers/env.js';

const T = Date.UTC(2026, 0, 10);
let store: SqliteStore | null = null;
let other: Database.Database | null = null;
afterEach(async () => {
  if (other?.inTransaction) other.exec('ROLLBACK');
  other?.close();
  other = null;
  await store?.close();
  store = null;
});

describe('idle webhook dispatch on SQLite', () => {
  it('finding nothing to fan out or claim takes no write lock; claiming a due delivery does', async () => {
    const dir = tmpDir();
    const s = (store = openSqlite({ dataDir: dir }, { busyTimeoutMs: 200 }));
    await s.events.add('acme', 'bounce.hard', { n: 1 }, T);
    other = new Database(join(dir, DB_FILE));
    other.exec('BEGIN IMMEDIATE');
    // No endpoint, nothing due: both answer while the lock is held elsewhere.
    expect(await s.webhooks.fanOut(T + 1)).toBe(0);
    expect(await s.webhooks.claimDue('node-a', T + 1, 100, 60_000)).toEqual([]);
    other.exec('ROLLBACK');

    await s.webhooks.createEndpoint({ id: 'wh_a', accountId: 'acme', url: 'http://127.0.0.1:1/a', secret: 'whsec_a', events: [] }, T + 2);
    await s.events.add('acme', 'bounce.hard', { n: 2 }, T + 3);
    expect(await s.webhooks.fanOut(T + 4)).toBe(1);
    // Due later than `now`: still nothing to claim, still no lock.
    other.exec('BEGIN IMMEDIATE');
    expect(await s.webhooks.claimDue('node-a', T + 3, 100, 60_000)).toEqual([]);
    // Due now: the claim is a write and waits for the lock (here: past its busy timeout).
    await expect(s.webhooks.claimDue('node-a', T + 4, 100, 60_000)).rejects.toMatchObject({ code: 'busy' });
    other.exec('ROLLBACK');
    const due = await s.webhooks.claimDue('node-a', T + 4, 100, 60_000);
    expect(due.map((d) => [d.endpointId, JSON.parse(d.payload)])).toEqual([['wh_a', { n: 2 }]]);
    // Claimed (leased): the next ask finds nothing and again takes no lock.
    other.exec('BEGIN IMMEDIATE');
    expect(await s.webhooks.claimDue('node-b', T + 5, 100, 60_000)).toEqual([]);
  });
});

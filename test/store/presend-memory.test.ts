// The pre-send check answered from memory (src/store/sqlite/presend-memory.ts). Stores over one
// real SQLite file: `mem` with the memory (small slices, so a build takes several), `ref` with
// the statement only. Every check is asked of both and must decide the same; each change is
// made by a different writer (the memory's own connection, another connection as the processing
// thread's, another process) and checked at once, then again once the memory caught up.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideSend } from '../../src/policy/rules.js';
import type { PreSendRead } from '../../src/store/contract.js';
import { openSqlite, type SqliteStore } from '../../src/store/sqlite/open.js';
import { dbFile, readRows } from '../helpers/db.js';
import { repoRoot } from '../helpers/env.js';

const T = 1_800_000_000_000;
let dir: string;
let mem: SqliteStore;
let ref: SqliteStore;

/** What the check decides from a read, for both channels (state.updatedAt only matters under review, which the memory never answers). */
function decided(r: PreSendRead, address: string) {
  const campaign = r.campaignCancelledAt === null ? null : { cancelledAt: r.campaignCancelledAt };
  const hits = [...r.hits].sort((a, b) => `${a.accountId}${a.reason}`.localeCompare(`${b.accountId}${b.reason}`));
  return {
    accountExists: r.accountExists,
    hits,
    campaignCancelledAt: r.campaignCancelledAt,
    marketing: decideSend(address, r.state, r.hits, campaign, 'marketing'),
    oneToOne: decideSend(address, r.state, [], campaign, 'one_to_one'),
  };
}

/** Asks both stores; they must agree. Returns the memory store's answer. */
async function same(store: SqliteStore, account: string, address: string, campaign: string | null = null) {
  const [a, b] = await Promise.all([store.suppressions.preSend(account, address, campaign), ref.suppressions.preSend(account, address, campaign)]);
  expect(decided(a, address), `${account} ${address} ${campaign}`).toEqual(decided(b, address));
  return decided(a, address);
}

/** Waits until the store's memory is current again (a check starts the catch-up). */
async function caughtUp(store: SqliteStore = mem): Promise<void> {
  const deadline = Date.now() + 5000;
  await store.suppressions.preSend('beta', 'nobody@example.net');
  while (!store.presend!.ready || store.presend!.catchingUp) {
    if (Date.now() > deadline) throw new Error('the memory did not catch up');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A write by another process on the same file (as the CLI, or any other program). */
function otherProcess(sql: string): void {
  const code = `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(dbFile(dir))}); db.pragma('busy_timeout = 5000'); db.exec(${JSON.stringify(sql)}); db.close();`;
  const r = spawnSync(process.execPath, ['-e', code], { cwd: repoRoot, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

const ADDRESSES = Array.from({ length: 40 }, (_, i) => `user${i}@example.org`);

// With the WAL index header's shortcut (presend-memory.ts WAL_HEADER_BYTES) and without it:
// the mark read in a read transaction on every check.
// The first build in a worker thread (presend-worker.ts) with the shortcut, in slices on the
// store's own thread without it.
describe.each([
  [true, true],
  [false, false],
])('pre-send memory (WAL header shortcut %s, build in a worker %s)', (shm, worker) => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'presend-memory-'));
    ref = openSqlite({ dataDir: dir }, { presendMemory: false });
    mem = openSqlite({ dataDir: dir }, { presendMemory: { sliceRows: 7, shm, worker } });
    for (const id of ['acme', 'beta']) await ref.accounts.insert({ id, name: null, tier: 'professional', profile: 'default', contactEmail: null }, T);
    for (let i = 0; i < 40; i += 3) await ref.suppressions.add('acme', ADDRESSES[i]!, 'hard_bounce', `delivery:${i}`, T + i);
    for (let i = 0; i < 40; i += 5) await ref.suppressions.add('acme', ADDRESSES[i]!, 'unsubscribe', null, T + i);
    for (let i = 1; i < 40; i += 4) await ref.suppressions.add('beta', ADDRESSES[i]!, 'complaint', null, T + i);
    for (let i = 2; i < 40; i += 7) await ref.suppressions.add('*', ADDRESSES[i]!, 'global_bounce', null, T + i);
    otherProcess(`INSERT INTO campaigns (account_id, campaign, created_at) VALUES ('acme', 'spring', ${T}), ('acme', 'summer', ${T});
      UPDATE campaigns SET state = 'cancelled', cancelled_at = ${T + 7} WHERE campaign = 'spring'`);
    await caughtUp();
  });

  afterAll(async () => {
    await mem?.close();
    await ref?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('decides every check as the statement does, and answers from memory where it may', async () => {
    const before = { ...mem.presend!.counts };
    for (const account of ['acme', 'beta', 'ghost']) {
      for (const campaign of [null, 'spring', 'summer', 'nope']) {
        for (const a of [...ADDRESSES, 'USER3@Example.ORG']) await same(mem, account, a, campaign);
      }
    }
    const after = mem.presend!.counts;
    // The first build ran in a worker thread (presend-worker.ts), or in slices on this one.
    expect(after.workerBuilds).toBe(worker ? 1 : 0);
    expect(after.rebuilds).toBe(1);
    // Most addresses are not suppressed for a given account: those come from memory.
    expect(after.memory - before.memory).toBeGreaterThan(200);
    expect(after.statement - before.statement).toBeGreaterThan(50);
    // The batch check: only the addresses the filter may hold are asked.
    for (const account of ['acme', 'beta', 'ghost']) {
      expect(await mem.suppressions.hitsMany(account, ADDRESSES)).toEqual(await ref.suppressions.hitsMany(account, ADDRESSES));
    }
  });

  it('sees a suppression added by its own connection, another connection and another process at the next check', async () => {
    await mem.suppressions.add('acme', 'own@example.org', 'manual', 'test', T);
    expect((await same(mem, 'acme', 'own@example.org')).hits).toHaveLength(1);
    await ref.suppressions.add('acme', 'other@example.org', 'manual', 'test', T);
    expect((await same(mem, 'acme', 'other@example.org')).hits).toHaveLength(1);
    otherProcess(`INSERT INTO suppressions (account_id, address, reason, created_at) VALUES ('acme', 'cli@example.org', 'manual', ${T})`);
    expect((await same(mem, 'acme', 'cli@example.org')).hits).toHaveLength(1);
    otherProcess(`INSERT INTO suppressions (account_id, address, reason, created_at) VALUES ('*', 'everyone@example.org', 'spam_trap', ${T})`);
    expect((await same(mem, 'beta', 'everyone@example.org')).marketing.send).toBe(false);
    expect(await mem.suppressions.hitsMany('acme', ['cli@example.org', 'nobody@example.org'])).toEqual(await ref.suppressions.hitsMany('acme', ['cli@example.org', 'nobody@example.org']));
    // And once the memory caught up, from its filter's "maybe": still suppressed.
    await caughtUp();
    for (const a of ['own@example.org', 'other@example.org', 'cli@example.org']) expect((await same(mem, 'acme', a)).hits).toHaveLength(1);
    expect((await same(mem, 'beta', 'everyone@example.org')).marketing.send).toBe(false);
  });

  it('sees a removal, and a new suppression that took the id of the one removed', async () => {
    await ref.suppressions.add('acme', 'top1@example.org', 'manual', 'test', T);
    await caughtUp();
    expect(await mem.suppressions.remove('acme', 'top1@example.org', 'manual')).toBe(true);
    expect((await same(mem, 'acme', 'top1@example.org')).hits).toHaveLength(0);
    const [{ id: was }] = readRows<{ id: number }>(dir, `SELECT max(id) AS id FROM suppressions`);
    await ref.suppressions.add('acme', 'top2@example.org', 'manual', 'test', T);
    const [{ id: now }] = readRows<{ id: number }>(dir, `SELECT id FROM suppressions WHERE address = 'top2@example.org'`);
    expect(now).toBe(was + 1); // rowid: the highest deleted id is handed out again
    expect((await same(mem, 'acme', 'top2@example.org')).hits).toHaveLength(1);
    const rebuilds = mem.presend!.counts.rebuilds;
    await caughtUp();
    expect(mem.presend!.counts.rebuilds).toBe(rebuilds + 1);
    expect((await same(mem, 'acme', 'top2@example.org')).hits).toHaveLength(1);
    expect((await same(mem, 'acme', 'top1@example.org')).hits).toHaveLength(0);
  });

  it('sees an account suspended, resumed, put under review, created and deleted, and a campaign cancelled', async () => {
    otherProcess(`INSERT INTO account_policy (account_id, marketing, suspension, suspended_at, updated_at) VALUES ('acme', 'suspended', 'abuse', ${T}, ${T})
      ON CONFLICT (account_id) DO UPDATE SET marketing = 'suspended', suspension = 'abuse', suspended_at = ${T}`);
    expect((await same(mem, 'acme', 'user1@example.org')).marketing.send).toBe(false);
    await caughtUp();
    expect((await same(mem, 'acme', 'user1@example.org')).marketing.reasons[0]!.code).toBe('account_suspended');

    await ref.accounts.saveState('acme', { ...(await ref.accounts.state('acme')), marketing: 'ok', suspension: null, suspendedAt: null }, T + 1);
    expect((await same(mem, 'acme', 'user1@example.org')).marketing.send).toBe(true);
    await caughtUp();

    otherProcess(`UPDATE account_policy SET review = 'required', updated_at = ${T + 2} WHERE account_id = 'acme'`);
    expect((await same(mem, 'acme', 'user1@example.org')).marketing.reasons[0]!.code).toBe('account_under_review');
    await caughtUp();
    // updated_at alone moves no trigger: an account under review is always the statement's.
    otherProcess(`UPDATE account_policy SET updated_at = ${T + 3} WHERE account_id = 'acme'`);
    expect((await same(mem, 'acme', 'user1@example.org')).marketing.reasons[0]!.since).toBe(T + 3);
    otherProcess(`UPDATE account_policy SET review = 'approved', updated_at = ${T + 4} WHERE account_id = 'acme'`);
    expect((await same(mem, 'acme', 'user1@example.org')).marketing.send).toBe(true);

    await ref.accounts.insert({ id: 'gamma', name: null, tier: 'professional', profile: 'default', contactEmail: null }, T);
    expect((await same(mem, 'gamma', 'user1@example.org')).accountExists).toBe(true);
    await caughtUp();
    otherProcess(`DELETE FROM accounts WHERE id = 'gamma'`);
    expect((await same(mem, 'gamma', 'user1@example.org')).accountExists).toBe(false);
    await caughtUp();
    expect((await same(mem, 'gamma', 'user1@example.org')).accountExists).toBe(false);

    expect(await mem.campaigns.cancel('acme', 'summer', T + 9)).toBe(true);
    expect((await same(mem, 'acme', 'user1@example.org', 'summer')).campaignCancelledAt).toBe(T + 9);
    await caughtUp();
    expect((await same(mem, 'acme', 'user1@example.org', 'summer')).campaignCancelledAt).toBe(T + 9);
    otherProcess(`UPDATE campaigns SET state = 'active', cancelled_at = NULL WHERE campaign = 'summer'`);
    expect((await same(mem, 'acme', 'user1@example.org', 'summer')).campaignCancelledAt).toBeNull();
  });

  it('answers correctly when the filter says "maybe" for addresses never suppressed (a tiny filter)', async () => {
    const tiny = openSqlite({ dataDir: dir }, { presendMemory: { bits: 32 } });
    const some = openSqlite({ dataDir: dir }, { presendMemory: { bits: 512 } });
    try {
      await caughtUp(tiny);
      await caughtUp(some);
      const t0 = { ...tiny.presend!.counts };
      for (const a of [...ADDRESSES, 'x@example.com', 'y@example.com']) {
        await same(tiny, 'acme', a);
        await same(some, 'acme', a);
        await same(some, 'beta', a);
      }
      // 32 bits hold far more keys than they can: every check is a "maybe", answered by the statement.
      expect(tiny.presend!.counts.memory).toBe(t0.memory);
      expect(tiny.presend!.counts.statement - t0.statement).toBe(ADDRESSES.length + 2);
      expect(await tiny.suppressions.hitsMany('acme', ADDRESSES)).toEqual(await ref.suppressions.hitsMany('acme', ADDRESSES));
    } finally {
      await tiny.close();
      await some.close();
    }
  });
});

// Terminating a thread while it loads better-sqlite3 aborts the whole process on Node 26
// (napi_get_last_error_info: a CI run lost a test file's worker to it when a daemon stopped
// right after its start). The worker says when its connection is open; a store closed before
// that waits for the word before it ends the thread. Many stores closed at varying moments of
// their first build: this test file's process must live through them all.
describe('pre-send memory closed while its worker starts', () => {
  it('a store closed at any moment of the first build in a worker never takes the process down', async () => {
    const d = mkdtempSync(join(tmpdir(), 'presend-stop-'));
    try {
      const seed = openSqlite({ dataDir: d }, { presendMemory: false });
      await seed.accounts.insert({ id: 'acme', name: null, tier: 'professional', profile: 'default', contactEmail: null }, T);
      for (let i = 0; i < 40; i++) await seed.suppressions.add('acme', ADDRESSES[i % ADDRESSES.length]!.replace('@', `+${i}@`), 'hard_bounce', null, T + i);
      await seed.close();
      let workers = 0;
      for (let i = 0; i < 40; i++) {
        const s = openSqlite({ dataDir: d }, { presendMemory: { worker: true } });
        s.startPresendMemory();
        await new Promise((r) => setTimeout(r, i % 10));
        workers += s.presend!.counts.workerBuilds;
        await s.close();
      }
      // (some closed before their worker delivered, some after: both paths ran)
      expect(workers).toBeLessThan(40);
    } finally {
      // No retries: a closed store has no worker left that could still open the file and make
      // its -shm here (two CI runs on Node 22 met ENOTEMPTY when close did not wait for them).
      rmSync(d, { recursive: true, force: true });
    }
  }, 60_000);
});

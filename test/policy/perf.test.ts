// The hot pre-send check against a million suppressions: one statement per check, point
// lookups of the account and its state and one range read of the (address, account_id,
// reason) index. Its speed target (>= 5,000/s) is measured by bench/presend.mjs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPipeline, type Built } from '../../src/pipeline/build.js';
import { PRESEND_CAMPAIGN_SQL, PRESEND_SQL } from '../../src/store/sqlite/statements.js';
import { otherConnection } from '../helpers/db.js';
import { testConfig } from '../helpers/env.js';

const config = testConfig({ store: { synchronous: 'NORMAL' } });
let built: Built;
beforeAll(async () => {
  built = await buildPipeline(config);
});
afterAll(() => built.close());

/** `from`..`to` of the addresses: each account's, and every 100th also suppressed globally. */
function fill(from: number, to: number): void {
  // generated in SQL on a connection of its own: a million prepared inserts would take most of
  // the test's time
  const db = otherConnection(config.dataDir);
  db.exec(`
    WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${to})
    INSERT INTO suppressions (account_id, address, reason, created_at, source)
    SELECT 'acct-' || (i % 1000), 'user' || i || '@example.org', 'hard_bounce', 1, NULL FROM n ORDER BY 2;
    WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${to})
    INSERT INTO suppressions (account_id, address, reason, created_at, source)
    SELECT '*', 'user' || i || '@example.org', 'global_bounce', 1, NULL FROM n WHERE i % 100 = 1 ORDER BY 2;
  `);
  db.close();
}

/** CPU time (ms, this process: the check and SQLite run on this thread) of `checks` checks over addresses 0..2·size. */
async function checkTime(size: number, checks: number): Promise<{ ms: number; refused: number }> {
  let refused = 0;
  const t0 = process.cpuUsage();
  for (let i = 0; i < checks; i++) {
    const n = (i * 7919) % (2 * size); // half of them never suppressed
    if (!(await built.policy.checkSend(`acct-${n % 1000}`, `user${n}@example.org`, 0)).send) refused++;
  }
  const d = process.cpuUsage(t0);
  return { ms: (d.user + d.system) / 1000, refused };
}

// Speed itself is the benchmark's (bench/presend.mjs: checks/s and p99 against a constant
// route, 1,000,000 suppressions). Here: the cost of a check does not grow with the table
// (an index read, never a scan), the fastest of 3 rounds at each size, in CPU time.
describe('checkSend cost as the suppressions grow', () => {
  it('a check costs about the same at 1,000,000 suppressions as at 10,000; a batch of 1,000 no more than 1,000 checks', async () => {
    const SMALL = 10_000;
    const N = 1_000_000;
    const CHECKS = 20_000;
    fill(0, SMALL);
    expect(await built.store.suppressions.counts()).toEqual({ account: SMALL, global: SMALL / 100 });
    await checkTime(SMALL, 2_000); // warm-up
    let small = Infinity;
    for (let k = 0; k < 3; k++) {
      const r = await checkTime(SMALL, CHECKS);
      expect(r.refused).toBeGreaterThan(CHECKS / 4);
      small = Math.min(small, r.ms);
    }
    fill(SMALL, N);
    expect(await built.store.suppressions.counts()).toEqual({ account: N, global: N / 100 });
    let big = Infinity;
    for (let k = 0; k < 3; k++) {
      const r = await checkTime(N, CHECKS);
      expect(r.refused).toBeGreaterThan(CHECKS / 4);
      big = Math.min(big, r.ms);
    }
    console.log(`checkSend CPU per check: ${((small / CHECKS) * 1000).toFixed(1)} us at ${SMALL} suppressions, ${((big / CHECKS) * 1000).toFixed(1)} us at ${N}`);
    expect(big / small).toBeLessThan(2.5);

    // The batch check answers 1,000 addresses in one call, for no more CPU than 1,000 single checks.
    const batch = Array.from({ length: 1000 }, (_, i) => `user${i * 1000}@example.org`);
    const t1 = process.cpuUsage();
    const decisions = await built.policy.checkSendBatch('acct-0', batch, 0);
    const d = process.cpuUsage(t1);
    expect(decisions.filter((x) => !x.send)).toHaveLength(1000);
    expect((d.user + d.system) / 1000).toBeLessThan((big / CHECKS) * 1000 * 1.5);
  }, 180_000);

  it('uses the unique index for the suppression read and the primary key for the state', () => {
    const db = otherConnection(config.dataDir);
    const plan = (sql: string, ...args: string[]) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(plan(`SELECT account_id, reason, created_at, source FROM suppressions WHERE address = ? AND account_id IN (?, '*')`, 'a', 'b')).toMatch(/USING INDEX sqlite_autoindex_suppressions_1 \(address=\? AND account_id=\?\)/);
    expect(plan(`SELECT * FROM account_policy WHERE account_id = ? OR account_id = ?`, 'a', 'b')).toMatch(/INDEX|PRIMARY KEY/);
    // The statement checkSend runs: one range read by address, point lookups for the rest.
    const check = plan(PRESEND_SQL, 'a', 'a', 'b', 'a');
    const withCampaign = plan(PRESEND_CAMPAIGN_SQL, 'a', 'a', 'a', 'c', 'b', 'a');
    db.close();
    for (const p of [check, withCampaign]) {
      expect(p).toMatch(/SEARCH suppressions USING INDEX sqlite_autoindex_suppressions_1 \(address=\?\)/);
      expect(p).toMatch(/SEARCH account_policy USING INDEX sqlite_autoindex_account_policy_1 \(account_id=\?\)/);
      expect(p).toMatch(/SEARCH accounts USING COVERING INDEX sqlite_autoindex_accounts_1 \(id=\?\)/);
      expect(p).not.toMatch(/SCAN /);
    }
    expect(withCampaign).toMatch(/SEARCH campaigns USING PRIMARY KEY \(account_id=\? AND campaign=\?\)/);
  });
});

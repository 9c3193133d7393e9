// The hot pre-send check against a million suppressions: one statement per check, point
// lookups of the account and its state and one range read of the (address, account_id,
// reason) index. Target >= 5,000/s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPipeline, type Built } from '../../src/pipeline/build.js';
import { PRESEND_SQL } from '../../src/store/sqlite/statements.js';
import { otherConnection } from '../helpers/db.js';
import { testConfig } from '../helpers/env.js';

const config = testConfig({ store: { synchronous: 'NORMAL' } });
let built: Built;
beforeAll(async () => {
  built = await buildPipeline(config);
});
afterAll(() => built.close());

describe('checkSend throughput', () => {
  it('answers >= 5,000 checks/s with 1,000,000 suppressions', async () => {
    const { policy } = built;
    const N = 1_000_000;
    // 1,000 accounts x 1,000 addresses, plus every 100th address suppressed globally
    // (generated in SQL on a connection of its own: a million prepared inserts would take most
    // of the test's time).
    const db = otherConnection(config.dataDir);
    db.exec(`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${N})
      INSERT INTO suppressions (account_id, address, reason, created_at, source)
      SELECT 'acct-' || (i % 1000), 'user' || i || '@example.org', 'hard_bounce', 1, NULL FROM n ORDER BY 2;
      INSERT INTO suppressions (account_id, address, reason, created_at, source)
      SELECT '*', address, 'global_bounce', 1, NULL FROM suppressions WHERE id % 100 = 1 ORDER BY address;
    `);
    db.close();
    expect(await built.store.suppressions.counts()).toEqual({ account: N, global: N / 100 });
    const CHECKS = 50_000;
    let refused = 0;
    const t0 = performance.now();
    for (let i = 0; i < CHECKS; i++) {
      const n = (i * 7919) % (2 * N); // half of them never suppressed
      if (!(await policy.checkSend(`acct-${n % 1000}`, `user${n}@example.org`, 0)).send) refused++;
    }
    const perSecond = CHECKS / ((performance.now() - t0) / 1000);
    console.log(`checkSend: ${Math.round(perSecond)} checks/s over ${N} suppressions`);
    expect(refused).toBeGreaterThan(CHECKS / 4);
    expect(perSecond).toBeGreaterThan(5000);

    const batch = Array.from({ length: 1000 }, (_, i) => `user${i * 1000}@example.org`);
    const t1 = performance.now();
    const decisions = await policy.checkSendBatch('acct-0', batch, 0);
    const batchMs = performance.now() - t1;
    expect(decisions.filter((d) => !d.send)).toHaveLength(1000);
    expect(batchMs).toBeLessThan(200);
  }, 120_000);

  it('uses the unique index for the suppression read and the primary key for the state', () => {
    const db = otherConnection(config.dataDir);
    const plan = (sql: string, ...args: string[]) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(plan(`SELECT account_id, reason, created_at, source FROM suppressions WHERE address = ? AND account_id IN (?, '*')`, 'a', 'b')).toMatch(/USING INDEX sqlite_autoindex_suppressions_1 \(address=\? AND account_id=\?\)/);
    expect(plan(`SELECT * FROM account_policy WHERE account_id = ? OR account_id = ?`, 'a', 'b')).toMatch(/INDEX|PRIMARY KEY/);
    // The statement checkSend runs: one range read by address, point lookups for the rest.
    const check = plan(PRESEND_SQL, 'a', 'a', 'b');
    db.close();
    expect(check).toMatch(/SEARCH s USING INDEX sqlite_autoindex_suppressions_1 \(address=\?\)/);
    expect(check).toMatch(/SEARCH p USING INDEX sqlite_autoindex_account_policy_1 \(account_id=\?\)/);
    expect(check).toMatch(/SEARCH accounts USING COVERING INDEX sqlite_autoindex_accounts_1 \(id=\?\)/);
    expect(check).not.toMatch(/SCAN (s|p|accounts|suppressions)\b/);
  });
});

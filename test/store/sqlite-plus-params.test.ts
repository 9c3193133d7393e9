// The SQLite statements written `col = +?` (src/store/sqlite/statements.ts: the + keeps SQLite
// from re-preparing the statement on every run) must plan exactly as they would without the +:
// the + is there for the prepare cost only, never to steer the planner away from an index.
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/open.js';
import { prepareStatements } from '../../src/store/sqlite/statements.js';
import { otherConnection } from '../helpers/db.js';
import { tmpDir } from '../helpers/env.js';

const dataDir = tmpDir('bounced-plus-params-');
await openSqlite({ dataDir }, {}).close();
const db = otherConnection(dataDir);
afterAll(() => db.close());

/** Dummy arguments of the right shape: the plan, not the answer, is under test. */
function argsFor(sql: string): unknown[] {
  const named = [...new Set([...sql.matchAll(/[@:$]([A-Za-z_]\w*)/g)].map((m) => m[1]))];
  if (named.length) return [Object.fromEntries(named.map((n, i) => [n, i + 1]))];
  return [...sql.matchAll(/\?/g)].map((_, i) => i + 1);
}

const plan = (sql: string): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...argsFor(sql)) as { detail: string }[]).map((r) => r.detail).join(' | ');

describe('statements with a unary + before a parameter', () => {
  const plussed = Object.entries(prepareStatements(db)).filter(
    ([, s]) => typeof (s as { source?: unknown }).source === 'string' && /\+[?@:$]/.test((s as { source: string }).source),
  ) as [string, { source: string }][];

  it('there are some (the per-message look-ups at least)', () => {
    const names = plussed.map(([n]) => n);
    expect(names).toEqual(expect.arrayContaining(['receivedOne', 'pendingByQid', 'duePending']));
  });

  for (const [name, s] of plussed) {
    it(`${name}: the same plan as without the +`, () => {
      const without = s.source.replace(/\+([?@:$])/g, '$1');
      expect(without).not.toBe(s.source);
      expect(plan(s.source)).toBe(plan(without));
    });
  }
});

// SQLite 29 drops two indexes no statement needed (deliveries_recipient, bounces_account_recipient):
// each was one more B-tree insert, and a page dirtied, per settled report. What must not
// happen is a statement that found its rows through an index before now reading a whole
// table. Every statement the store prepares (its fixed ones, and the listings' texts for the
// filters exercised below, caught as the store prepares them) is planned by SQLite on a
// database at version 28 and on one migrated to the end; no statement may scan a table that
// receives rows per message where it searched it at 28.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { canonicalAddress } from '../../src/address.js';
import { sqliteMigrations } from '../../src/store/sqlite/migrations.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import { tmpDir } from '../helpers/env.js';

const dir = tmpDir('index-plans-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Tables that get rows (or changes of indexed columns) for every message received or settled. */
const PER_MESSAGE = ['messages', 'message_raw', 'bounces', 'deliveries', 'delivery_failures', 'evidence', 'suppressions', 'events'];

/** A database at `version` with the migrations up to it, as an older bounced left it. */
function databaseAt(version: number): Database.Database {
  const db = new Database(':memory:');
  db.function('canonical_address', { deterministic: true }, (a: unknown) => (typeof a === 'string' ? canonicalAddress(a) : a));
  for (const m of [...sqliteMigrations].sort((a, b) => a.version - b.version).filter((m) => m.version <= version)) db.exec(m.sql);
  return db;
}

/** SQLite's plan of `sql` (its lines joined by ' | '); parameters bound as NULL (the plan does not depend on them here). */
function plan(db: Database.Database, sql: string): string {
  const st = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const named = [...new Set([...sql.matchAll(/[@:$]([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
  if (named.length) return (st.all(Object.fromEntries(named.map((n) => [n, null]))) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
  // Positional: better-sqlite3 wants exactly as many values as the statement has.
  for (let n = 0; n < 100; n++) {
    try {
      return (st.all(...Array<null>(n).fill(null)) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
    } catch (err) {
      if (!/parameter/i.test(String((err as Error).message))) throw err;
    }
  }
  throw new Error(`cannot bind ${sql}`);
}

/**
 * The per-message tables a plan may read whole: "SCAN t" (through a full index too), and a
 * range of the rowid alone ("SEARCH t USING INTEGER PRIMARY KEY (rowid>?)": every row past a
 * cursor, the other terms checked on each).
 */
const scanned = (p: string): string[] => [
  ...[...p.matchAll(/\bSCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?/g)].filter((m) => !(m[2] && PARTIAL.has(m[2]))).map((m) => m[1]!),
  ...[...p.matchAll(/\bSEARCH (\w+) USING INTEGER PRIMARY KEY \(rowid[<>]/g)].map((m) => m[1]!),
].map((t) => ALIASES[t] ?? t).filter((t) => PER_MESSAGE.includes(t));
/** The store's aliases of those tables in its statements (deliveries d, evidence e, ...): a plan names the alias. */
const ALIASES: Record<string, string> = { d: 'deliveries', e: 'evidence', b: 'bounces', m: 'messages', s: 'suppressions', f: 'delivery_failures' };
/** Partial indexes: a scan of one reads the rows of its WHERE only (messages still to process, ...). */
let PARTIAL = new Set<string>();

describe('SQLite indexes (migration 29)', () => {
  it('no statement of the store reads a per-message table whole where it searched it before', async () => {
    const seen = new Set<string>();
    const prepare = Database.prototype.prepare;
    const spy = vi.spyOn(Database.prototype, 'prepare').mockImplementation(function (this: Database.Database, sql: string) {
      seen.add(sql);
      return prepare.call(this, sql);
    });
    const s = openSqlite({ dataDir: join(dir, 'store') });
    try {
      // The listings build their text from the filters given: every filter once, and the combinations the API's routes use.
      const T = Date.UTC(2026, 11, 1);
      for (const q of [{}, { accountId: 'a' }, { recipient: 'r@x.test' }, { accountId: 'a', recipient: 'r@x.test' }, { accountId: 'a', since: T },
        { accountId: 'a', recipient: 'r@x.test', since: T, until: T + 1 }, { accountId: 'a', type: 'hard' as const, category: 'unknown_user' as const, reason: 'userunknown' }]) {
        await s.bounces.list({ ...q, limit: 10 });
      }
      await s.bounces.ofMessage(1);
      await s.bounces.domains('a', T, 10);
      for (const f of [{}, { accountId: 'a' }, { accountId: 'a', state: 'hard' as const }, { accountId: 'a', since: T, until: T + 1 }, { state: 'pending' as const }]) {
        await s.deliveries.list({ ...f, limit: 10 });
      }
      await s.deliveries.lastDeliveredAt('a', 'r@x.test');
      for (const f of [{ accountId: 'a', limit: 10 }, { accountId: 'a', reason: 'hard_bounce' as const, limit: 10 }, { accountId: 'a', scope: 'account' as const, since: T, limit: 10 }]) {
        await s.suppressions.list(f);
      }
      await s.suppressions.expireSoftLimits(T);
      await s.failures.softSince('a', 'r@x.test', T);
      await s.messages.list({ state: 'received', limit: 10 });
      await s.espEvents.list({ accountId: 'a', limit: 10 });
    } finally {
      await s.close();
      spy.mockRestore();
    }
    const before = databaseAt(28);
    const after = databaseAt(Math.max(...sqliteMigrations.map((m) => m.version)));
    PARTIAL = new Set(after.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'`).pluck().all() as string[]);
    try {
      const worse: string[] = [];
      let planned = 0;
      for (const sql of seen) {
        if (!/^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)/i.test(sql)) continue;
        const a = plan(after, sql);
        planned++;
        let then: string;
        try {
          then = plan(before, sql);
        } catch (err) {
          // A statement of a table added after 28 (presend_changes, 30) had no plan to compare with.
          if (/no such table: presend_changes/.test(String((err as Error).message))) continue;
          throw err;
        }
        const was = new Set(scanned(then));
        const now = scanned(a).filter((t) => !was.has(t));
        if (now.length) worse.push(`${sql.replace(/\s+/g, ' ').slice(0, 120)} -> ${a}`);
      }
      expect(planned).toBeGreaterThan(150);
      expect(worse).toEqual([]);

      // The listing by account and recipient reads the recipient's rows in id order (no sort,
      // not the account's rows); by recipient alone, the same index.
      for (const where of ['id > ? AND account_id = ? AND recipient = ?', 'id > ? AND recipient = ?']) {
        const sql = [...seen].find((q) => q.includes(`FROM bounces WHERE ${where} ORDER BY id`));
        expect(sql, where).toBeDefined();
        const p = plan(after, sql!);
        expect(p).toMatch(/SEARCH bounces USING INDEX bounces_recipient \(recipient=\? AND rowid>\?\)/);
        expect(p).not.toContain('TEMP B-TREE');
      }
      // An account's deliveries still by an index on the account.
      const deliveries = [...seen].find((q) => /FROM deliveries d WHERE d\.id > \? AND d\.account_id = \? ORDER BY/.test(q));
      expect(plan(after, deliveries!)).toMatch(/SEARCH d USING INDEX \w+ \(account_id=\?/);
      // The pending-expiry job reads only the pending rows due, through the partial index (with
      // ORDER BY id it walked the whole deliveries table in id order on every run).
      const due = [...seen].find((q) => /FROM deliveries WHERE state = 'pending' AND pending_since <=/.test(q));
      expect(due).toBeDefined();
      expect(plan(after, due!)).toMatch(/SEARCH deliveries USING INDEX deliveries_pending \(pending_since<\?\)/);
      expect(plan(after, due!)).not.toContain('TEMP B-TREE');
    } finally {
      before.close();
      after.close();
    }
  });

  it('the two indexes are gone once migrated, and an index no statement needs would be seen', () => {
    const db = databaseAt(Math.max(...sqliteMigrations.map((m) => m.version)));
    try {
      const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).pluck().all() as string[];
      expect(names).not.toContain('deliveries_recipient');
      expect(names).not.toContain('bounces_account_recipient');
      expect(names).toContain('bounces_recipient');
      // The check above is not blind: without bounces_recipient the listing by recipient would
      // read every bounce past the cursor.
      const byRecipient = 'SELECT * FROM bounces WHERE id > ? AND recipient = ? ORDER BY id LIMIT ?';
      expect(scanned(plan(db, byRecipient))).toEqual([]);
      db.exec('DROP INDEX bounces_recipient');
      expect(scanned(plan(db, byRecipient))).toEqual(['bounces']);
    } finally {
      db.close();
    }
  });
});

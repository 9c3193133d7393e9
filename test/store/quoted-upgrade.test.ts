// "john.smith"@x and john.smith@x are one mailbox (RFC 5321 §4.1.2), and src/address.ts writes
// it unquoted since stop 28. Suppressions stored before in the quoted spelling are respelled
// when the database is upgraded (SQLite migration 31, PostgreSQL 11), so the pre-send check,
// which asks in the canonical spelling, still finds them; a quoted local part that cannot be
// written otherwise ("john smith"@x) is left as it is.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalAddress } from '../../src/address.js';
import { pgMigrations } from '../../src/store/postgres/migrations.js';
import { migratePg } from '../../src/store/postgres/open.js';
import { sqliteMigrations } from '../../src/store/sqlite/migrations.js';
import { migrateSqlite } from '../../src/store/sqlite/open.js';
import { tmpDir } from '../helpers/env.js';
import { postgresMissing, startPostgres, type PgServer } from '../helpers/postgres.js';

/** [account, address, reason] stored before the migration. */
const BEFORE: [string, string, string][] = [
  ['acme', '"john.smith"@example.org', 'manual'],
  ['acme', '"jürgen"@example.org', 'import'],
  ['acme', '"john smith"@example.org', 'manual'],
  ['acme', '"a..b"@example.org', 'manual'],
  ['beta', '"ann.lee"@example.org', 'import'],
  ['beta', 'ann.lee@example.org', 'import'], // both spellings already: one row stays
  ['beta', 'plain@example.org', 'manual'],
];
const AFTER = [
  { a: 'acme', address: '"a..b"@example.org', reason: 'manual' },
  { a: 'acme', address: '"john smith"@example.org', reason: 'manual' },
  { a: 'acme', address: 'john.smith@example.org', reason: 'manual' },
  { a: 'acme', address: 'jürgen@example.org', reason: 'import' },
  { a: 'beta', address: 'ann.lee@example.org', reason: 'import' },
  { a: 'beta', address: 'plain@example.org', reason: 'manual' },
];

describe('quoted local parts stored before the canonical spelling', () => {
  it('the expected rows are the canonical spelling of the stored ones', () => {
    const canonical = [...new Set(BEFORE.map(([a, address, reason]) => JSON.stringify({ a, address: canonicalAddress(address), reason })))].map((j) => JSON.parse(j));
    expect(canonical.sort((x, y) => (x.a + x.address).localeCompare(y.a + y.address))).toEqual(AFTER);
  });

  it('SQLite: migration 31 respells them', () => {
    const db = new Database(join(tmpDir(), 'old.db'));
    db.function('canonical_address', { deterministic: true }, (a: unknown) => (typeof a === 'string' ? canonicalAddress(a) : a));
    for (const m of [...sqliteMigrations].sort((a, b) => a.version - b.version).filter((m) => m.version <= 30)) {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
    const add = db.prepare(`INSERT INTO suppressions (account_id, address, reason, created_at, source) VALUES (?, ?, ?, 0, 'old')`);
    for (const row of BEFORE) add.run(...row);
    migrateSqlite(db);
    expect(db.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(31);
    expect(db.prepare(`SELECT account_id AS a, address, reason FROM suppressions ORDER BY account_id, address`).all()).toEqual(AFTER);
    db.close();
  });

  describe.skipIf(!!postgresMissing())('PostgreSQL', () => {
    let pg: PgServer;
    beforeAll(async () => {
      pg = await startPostgres();
    }, 120_000);
    afterAll(() => pg?.stop());

    it('migration 11 respells them', async () => {
      const sql = postgres(await pg.createDatabase('quoted'), { max: 1, onnotice: () => {} });
      try {
        // the schema as it was at version 10, with its rows
        await sql.unsafe(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
        for (const m of [...pgMigrations].sort((a, b) => a.version - b.version).filter((m) => m.version <= 10)) {
          await sql.unsafe(m.sql).simple();
          await sql.unsafe(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)`, [m.version, m.name]);
        }
        for (const [a, address, reason] of BEFORE) await sql`INSERT INTO suppressions (account_id, address, reason, created_at, source) VALUES (${a}, ${address}, ${reason}, 0, 'old')`;
        expect(await migratePg(sql)).toContain(11);
        const rows = await sql`SELECT account_id AS a, address, reason FROM suppressions ORDER BY account_id, address COLLATE "C"`;
        expect(rows.map((r) => ({ ...r }))).toEqual(AFTER);
      } finally {
        await sql.end({ timeout: 5 });
      }
    });
  });
});

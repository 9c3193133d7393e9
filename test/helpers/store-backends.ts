// The backends a store contract test runs on: SQLite in a temporary directory, and a real
// PostgreSQL (test/helpers/postgres.ts: initdb and pg_ctl into a temporary directory) unless
// it is missing outside CI, which the test file then says. Registers the file's hooks: the
// server started before its tests, every store closed and every directory removed after.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Store } from '../../src/store/contract.js';
import { StoreError } from '../../src/store/contract.js';
import { openPostgres } from '../../src/store/postgres/open.js';
import { DB_FILE, openSqlite } from '../../src/store/sqlite/open.js';
import { inCI, tmpDir } from './env.js';
import { postgresMissing, startPostgres, type PgServer } from './postgres.js';

export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  /** A store on a new, migrated database (with spooled messages' files in `spoolDir`). */
  fresh(opts?: { spoolDir?: string }): Promise<Store>;
  /** Two stores (two connections or pools) on one new database. */
  pair(): Promise<{ a: Store; b: Store }>;
}

export function storeBackends(testFile: string): StoreBackend[] {
  const opened: Store[] = [];
  const dirs: string[] = [];
  let server: PgServer | null = null;
  let dbs = 0;
  const keep = (...stores: Store[]) => opened.push(...stores);
  const newDir = () => {
    const dir = tmpDir('store-');
    dirs.push(dir);
    return dir;
  };
  const sqlite: StoreBackend = {
    name: 'sqlite',
    async fresh(opts = {}) {
      const s = openSqlite({ dataDir: newDir() }, { busyTimeoutMs: 10_000, spoolDir: opts.spoolDir });
      keep(s);
      return s;
    },
    async pair() {
      const dir = newDir();
      const a = openSqlite({ dataDir: dir }, { busyTimeoutMs: 10_000 });
      const b = openSqlite({ file: join(dir, DB_FILE) }, { busyTimeoutMs: 10_000 });
      keep(a, b);
      return { a, b };
    },
  };
  const postgres: StoreBackend = {
    name: 'postgres',
    async fresh(opts = {}) {
      const s = await openPostgres(await server!.createDatabase(`db${++dbs}`), { max: 4, spoolDir: opts.spoolDir });
      keep(s);
      return s;
    },
    async pair() {
      const url = await server!.createDatabase(`db${++dbs}`);
      const a = await openPostgres(url, { max: 4 });
      const b = await openPostgres(url, { max: 4, migrate: false });
      keep(a, b);
      return { a, b };
    },
  };
  const missing = postgresMissing();
  if (missing && !inCI) console.warn(`SKIPPED: the PostgreSQL half of ${testFile}: ${missing}`);
  const backends = [sqlite, ...(missing && !inCI ? [] : [postgres])];
  beforeAll(async () => {
    if (backends.includes(postgres)) server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    for (const s of opened) await s.close().catch(() => {});
    await server?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return backends;
}

/** The StoreError a store call must fail with (the contract says errors as data: its code). */
export async function rejects(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError');
}

// For tests that look at the SQLite file itself (a table the store contract does not show, a
// lock held by another process): the database under a data directory, opened apart from the
// store under test. The code under test never does this (no driver handle leaves src/store).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../../src/config/schema.js';
import { buildPipeline } from '../../src/pipeline/build.js';
import type { Store } from '../../src/store/contract.js';
import { DB_FILE } from '../../src/store/sqlite/open.js';

/** <dataDir>/bounced.db */
export const dbFile = (dataDir: string): string => join(dataDir, DB_FILE);

/** Rows of a read-only query on the database under `dataDir`. */
export function readRows<T = Record<string, unknown>>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbFile(dataDir), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Another process's connection to the database under `dataDir` (holding its write lock, ...). */
export function otherConnection(dataDir: string): Database.Database {
  return new Database(dbFile(dataDir));
}

/** The store under `config` as every command opens it (pipeline/build.ts); closing it closes everything. */
export async function openStore(config: Config): Promise<Store> {
  return (await buildPipeline(config)).store;
}

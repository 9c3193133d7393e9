// Opens the store a configuration names: a postgres:// URL selects PostgreSQL, anything else
// the embedded SQLite under the data directory. (Phase B wires `database.url` to this.)
import type { Store } from './contract.js';
import { openPostgres, type PgStoreOptions } from './postgres/open.js';
import { openSqlite, type SqliteStoreOptions } from './sqlite/open.js';

export interface StoreTarget {
  /** postgres://user@host:port/db (or postgresql://); absent: SQLite. */
  url?: string | null;
  /** SQLite's directory (bounced.db inside). */
  dataDir: string;
  sqlite?: SqliteStoreOptions;
  postgres?: PgStoreOptions;
}

export function isPostgresUrl(url: string | null | undefined): url is string {
  return typeof url === 'string' && /^postgres(ql)?:\/\//i.test(url);
}

export async function connectStore(target: StoreTarget): Promise<Store> {
  if (isPostgresUrl(target.url)) return openPostgres(target.url, target.postgres);
  return openSqlite({ dataDir: target.dataDir }, target.sqlite);
}

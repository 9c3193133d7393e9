import type { Config } from '../config/schema.js';
import { openSqliteStore, type SqliteStore, type WriteTurn } from './sqlite.js';

export type * from './types.js';

/** Opens the configured store (SQLite under dataDir, the embedded default). */
export function openStore(config: Config, opts: { writeTurn?: WriteTurn } = {}): SqliteStore {
  return openSqliteStore(config.dataDir, { synchronous: config.store.synchronous, busyTimeoutMs: config.store.busyTimeoutMs, ...opts });
}

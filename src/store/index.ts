import type { Config } from '../config/schema.js';
import { openSqliteStore, type SqliteStore } from './sqlite.js';

export type * from './types.js';

/** Opens the configured store (SQLite under dataDir, the embedded default). */
export function openStore(config: Config, opts: { pollLock?: boolean } = {}): SqliteStore {
  return openSqliteStore(config.dataDir, { synchronous: config.store.synchronous, busyTimeoutMs: config.store.busyTimeoutMs, ...opts });
}

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DB_FILE } from './sqlite/open.js';

export interface DatabaseInfo {
  /** Absolute path of the database file. */
  path: string;
  exists: boolean;
  /** Whether it holds any message; null when it does not exist or cannot be read. */
  hasMessages: boolean | null;
}

/**
 * Looks at <dataDir>/bounced.db without creating or changing anything (read-only, never
 * migrating): for `config print` and for commands that should not create a database.
 */
export function inspectDatabase(dataDir: string): DatabaseInfo {
  const path = resolve(dataDir, DB_FILE);
  if (!existsSync(path)) return { path, exists: false, hasMessages: null };
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return { path, exists: true, hasMessages: db.prepare('SELECT 1 FROM messages LIMIT 1').get() !== undefined };
    } finally {
      db.close();
    }
  } catch {
    return { path, exists: true, hasMessages: null };
  }
}

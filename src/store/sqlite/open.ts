// Opens the SQLite implementation of the store contract on <dataDir>/bounced.db (or a file).
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { canonicalAddress } from '../../address.js';
import type { Store, TransactionOptions, Tx } from '../contract.js';
import { sqliteMigrations, type Migration } from './migrations.js';
import { closedError, Connection, RootGate, sqliteError, TxGate, unitStatements } from './gate.js';
import { SqliteRepositories, type Ctx } from './repos.js';
import { prepareStatements } from './statements.js';
import { PresendMemory, type PresendMemoryOptions } from './presend-memory.js';
import type { WriteTurn } from './write-turn.js';
import { makeDirs } from '../../make-dirs.js';

export const DB_FILE = 'bounced.db';

const isDriverError = (err: unknown): boolean =>
  (err as Error)?.name === 'SqliteError' || (err instanceof TypeError && /database connection is not open/.test(err.message));

export interface SqliteStoreOptions {
  /** FULL fsyncs the WAL at every commit: an acknowledged message survives power loss. */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a locked database is retried (asynchronously) before StoreError `busy`. */
  busyTimeoutMs?: number;
  /**
   * The process's write turn (./write-turn.ts), shared by the connections of its threads that
   * write: taken before SQLite's write lock by every transaction and unit of writes.
   */
  writeTurn?: WriteTurn;
  /**
   * WAL pages after which a commit of this connection runs a checkpoint (SQLite's
   * wal_autocheckpoint; its default 1000 pages, 4 MB). The commit that crosses it copies the
   * WAL into the database file and fsyncs it before it returns, still holding the process's
   * write turn: an intake commit waits for it either way. The daemon's intake and processing
   * connections set it high (a backstop) and the processing connection checkpoints on its own
   * (checkpointEveryMs), after its transactions, outside the write turn (issue #20: the 250's p99).
   */
  walAutocheckpointPages?: number;
  /**
   * After a transaction, once at most this often: a PASSIVE checkpoint (copies what it can of
   * the WAL without waiting for, or blocking, readers and writers), run after the process's write
   * turn and this connection's mutex are given back, so that no commit of any thread waits for
   * it. Unset: SQLite's own checkpoints only.
   */
  checkpointEveryMs?: number;
  /**
   * Bytes of the file read through mmap(2) (SQLite's mmap_size; config store.mmapBytes): a page
   * read is then a memory access, not a pread(2) into SQLite's page cache and a copy. Unset or 0:
   * SQLite's default (none). Writes still go through write(2) (SQLITE_MMAP_READWRITE is not set).
   */
  mmapBytes?: number;
  /** Where spooled messages' files are (src/spool/dir.ts spoolDirOf); unset: none. */
  spoolDir?: string | null;
  /**
   * The pre-send check answered from memory when nothing it reads changed (config
   * store.presendMemory; ./presend-memory.ts). Built on the first check (or `startPresendMemory`),
   * in slices, on the connection that serves checks. Unset: on; false: off; an object: on, sized.
   */
  presendMemory?: boolean | PresendMemoryOptions;
}

/** Every SQLite migration, in version order. */
export function allMigrations(): Migration[] {
  return [...sqliteMigrations].sort((a, b) => a.version - b.version);
}

/**
 * Applies the migrations newer than the database's user_version, each in one transaction
 * with its user_version bump (a crash leaves one version or the next); returns those applied.
 */
export function migrateSqlite(db: Database.Database): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  // Migrations that respell stored addresses (7) call the same code as everything else.
  db.function('canonical_address', { deterministic: true }, (a: unknown) => (typeof a === 'string' ? canonicalAddress(a) : a));
  const applied: number[] = [];
  for (const m of allMigrations()) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}

/** Opens (creating if needed) a SQLite store: `{ dataDir }` opens <dataDir>/bounced.db, `{ file }` that file. */
export function openSqlite(where: { dataDir: string } | { file: string }, opts: SqliteStoreOptions = {}): SqliteStore {
  const file = 'file' in where ? where.file : join(where.dataDir, DB_FILE);
  let db: Database.Database;
  let applied: number[];
  try {
    makeDirs(dirname(file));
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    db.pragma('foreign_keys = ON');
    if (opts.mmapBytes) db.pragma(`mmap_size = ${Math.max(0, Math.floor(opts.mmapBytes))}`);
    if (opts.walAutocheckpointPages !== undefined) db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.floor(opts.walAutocheckpointPages))}`);
    // Migrations may wait for another opener; after them, this connection never blocks its
    // thread on a lock (see ./gate.ts): it retries asynchronously.
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    applied = migrateSqlite(db);
    db.pragma('busy_timeout = 0');
  } catch (err) {
    throw sqliteError(err);
  }
  return new SqliteStore(db, applied, opts);
}

export class SqliteStore extends SqliteRepositories implements Store {
  readonly dialect = 'sqlite' as const;
  private readonly conn: Connection;

  constructor(
    private readonly db: Database.Database,
    readonly appliedMigrations: readonly number[],
    opts: SqliteStoreOptions,
  ) {
    const synchronous = opts.synchronous ?? 'FULL';
    const conn = new Connection(db, unitStatements(db, synchronous), opts.busyTimeoutMs ?? 5000, synchronous === 'FULL', opts.writeTurn ?? null);
    const s = prepareStatements(db);
    const cache = new Map<string, Database.Statement>();
    const cached = (sql: string) => {
      let st = cache.get(sql);
      if (!st) cache.set(sql, (st = db.prepare(sql)));
      return st;
    };
    const spoolDir = opts.spoolDir ?? null;
    const g = new RootGate(conn);
    const presend = opts.presendMemory === false ? null : new PresendMemory(db, (fn) => g.read(fn), typeof opts.presendMemory === 'object' ? opts.presendMemory : {});
    super({ s, g, cached, spoolDir, presend });
    this.conn = conn;
    this.presend = presend;
    this.txCtx = (g) => ({ s, g, cached, spoolDir });
    this.checkpointEveryMs = opts.checkpointEveryMs ?? null;
  }

  private readonly txCtx: (g: TxGate) => Ctx;
  /** The pre-send memory of this connection; null: off. */
  readonly presend: PresendMemory | null;

  /** Starts building the pre-send memory now rather than at the first check (the daemon's API). */
  startPresendMemory(): void {
    this.presend?.start();
  }
  private readonly checkpointEveryMs: number | null;
  private lastCheckpoint = 0;

  /**
   * The checkpoint of checkpointEveryMs: called right after a transaction has given back the
   * write turn and the mutex, in the same turn of the event loop (no other transaction of this
   * connection can have begun). PASSIVE never waits: frames a reader still needs stay for the
   * next one. A failure (a busy checkpointer elsewhere, a full disk) is left to the next one
   * and to SQLite's own backstop: the WAL keeps every commit meanwhile.
   */
  private checkpointAfterTransaction(): void {
    if (this.checkpointEveryMs === null || this.conn.closed || this.db.inTransaction) return;
    const now = Date.now();
    if (now - this.lastCheckpoint < this.checkpointEveryMs) return;
    this.lastCheckpoint = now;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // see above
    }
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    const conn = this.conn;
    conn.transactions++;
    const release = await conn.mutex.acquire();
    const lower = opts.durable === false && conn.full;
    const gate = new TxGate();
    try {
      if (conn.closed) throw closedError();
      return await conn.withTurn(async () => {
        if (lower) conn.u.syncNormal.run();
        try {
          await conn.attempt(() => conn.u.begin.run());
          let result: T;
          try {
            result = await fn(new SqliteRepositories(this.txCtx(gate)));
            gate.open = false;
            // A repository call failed and fn went on: the transaction still rolls back.
            if (gate.failed) throw gate.failed;
            conn.u.commit.run();
          } catch (err) {
            gate.open = false;
            if (this.db.inTransaction) conn.u.rollback.run();
            throw err;
          }
          return result;
        } finally {
          if (lower && this.db.open) conn.u.syncRestore.run();
        }
      });
    } catch (err) {
      // The caller's own errors pass through as thrown; the driver's become StoreErrors.
      throw isDriverError(err) ? sqliteError(err) : err;
    } finally {
      gate.open = false;
      conn.transactions--;
      release();
      this.checkpointAfterTransaction();
    }
  }

  async probeWrite(now: number, timeoutMs: number): Promise<void> {
    const conn = this.conn;
    const release = await conn.mutex.acquire();
    try {
      if (conn.closed) throw closedError();
      // The write turn too is waited for no longer than the lock: its holder may itself be
      // waiting seconds for a lock held by another process.
      await conn.withTurn(() => conn.attempt(() => conn.ownTransaction(() => this.ctx.s.probe.run(now), false), timeoutMs), timeoutMs);
    } catch (err) {
      throw sqliteError(err);
    } finally {
      release();
    }
  }

  /** The database file (SQLite only: the daemon names it in its log, `backup` refuses to copy onto it). */
  get file(): string {
    return this.db.name;
  }

  /**
   * An online copy into `file` (SQLite only: `bounced backup`): SQLite's backup API copies the
   * pages from one read snapshot in one step, so a daemon writing meanwhile (WAL) never makes
   * it restart. Returns the number of pages copied.
   */
  async backup(file: string): Promise<number> {
    const release = await this.conn.mutex.acquire();
    try {
      if (this.conn.closed) throw closedError();
      const progress = await this.db.backup(file, { progress: () => 0x7fffffff });
      return progress.totalPages;
    } catch (err) {
      throw isDriverError(err) ? sqliteError(err) : err;
    } finally {
      release();
    }
  }

  ping(): Promise<boolean> {
    return this.ctxGate().read(() => {
      this.db.prepare('SELECT 1').get();
      return !this.db.readonly;
    }).catch(() => false);
  }

  schemaVersion(): Promise<number> {
    return this.ctxGate().read(() => this.db.pragma('user_version', { simple: true }) as number);
  }

  private ctxGate() {
    return this.ctx.g;
  }

  async close(): Promise<void> {
    if (this.conn.closed) return;
    await this.presend?.stop();
    const release = await this.conn.mutex.acquire();
    this.conn.closed = true;
    try {
      if (this.db.open) this.db.close();
    } finally {
      release();
    }
  }
}

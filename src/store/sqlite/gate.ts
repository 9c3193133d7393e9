// How the SQLite repositories run their statements on one better-sqlite3 connection behind
// an asynchronous interface.
//
// better-sqlite3 is synchronous: a statement runs to completion on the calling thread. The
// asynchronous transaction (`store.transaction(fn)`) keeps the connection inside BEGIN ...
// COMMIT while `fn` awaits, so no other caller's statement may run on that connection
// meanwhile (it would join the open transaction). A mutex orders transactions; a call made
// outside any transaction runs at once when none is open (the pre-send check pays nothing),
// and otherwise waits for the transaction to end.
//
// Locks between connections (the SMTP thread's and the pipeline worker's, or two processes)
// are never waited for by blocking the thread: busy_timeout is 0 on this connection and a
// SQLITE_BUSY is retried asynchronously, with back-off, until busyTimeoutMs; then it is a
// StoreError `busy`. (SQLite's own busy handler would sleep the whole event loop: every SMTP
// session and, with two connections on one thread, the transaction holding the lock.)
import type Database from 'better-sqlite3';
import { StoreError, type StoreErrorCode } from '../store-error.js';
import type { WriteTurn } from './write-turn.js';

/** Maps what better-sqlite3 throws to a StoreError (already-mapped errors pass through). */
export function sqliteError(err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const e = err as { code?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = e?.message ?? String(err);
  let kind: StoreErrorCode = 'internal';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) kind = 'busy';
  else if (code.startsWith('SQLITE_READONLY')) kind = 'readonly';
  else if (code === 'SQLITE_FULL') kind = 'full';
  else if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') kind = 'conflict';
  else if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_RANGE') kind = 'invalid';
  else if (/^SQLITE_(CANTOPEN|IOERR|CORRUPT|NOTADB|PERM|AUTH)/.test(code)) kind = 'unavailable';
  else if (err instanceof TypeError && /database connection is not open/.test(message)) kind = 'unavailable';
  return new StoreError(kind, message, code || null, { cause: err });
}

const isBusy = (err: unknown): boolean => {
  const code = (err as { code?: string })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED');
};

/** Back-off between retries of a statement that found the database locked (ms). */
const BACKOFF_MS = [0, 1, 2, 5, 10, 20, 25, 50, 100];
const sleep = (ms: number) => new Promise<void>((r) => (ms === 0 ? setImmediate(r) : setTimeout(r, ms)));

/** A FIFO mutex: `held` counts the holder and the waiters. */
export class Mutex {
  held = 0;
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    this.held++;
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.tail;
    this.tail = next;
    return prev.then(() => () => {
      this.held--;
      release();
    });
  }

  /** Resolves once everything queued now has finished. */
  idle(): Promise<void> {
    return this.tail;
  }
}

/** The statements around a unit of work, prepared once per connection. */
export interface UnitStatements {
  begin: Database.Statement;
  commit: Database.Statement;
  rollback: Database.Statement;
  syncNormal: Database.Statement;
  syncRestore: Database.Statement;
}

export function unitStatements(db: Database.Database, synchronous: 'FULL' | 'NORMAL'): UnitStatements {
  return {
    // IMMEDIATE: the write lock is taken at BEGIN (where a busy database is retried), never by
    // a later statement of a transaction that read first (SQLITE_BUSY_SNAPSHOT).
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    syncNormal: db.prepare('PRAGMA synchronous = NORMAL'),
    syncRestore: db.prepare(`PRAGMA synchronous = ${synchronous}`),
  };
}

/**
 * Runs repository code. `read` runs statements that need no transaction of their own (one
 * statement, or reads); `write` runs several writes as one unit: its own transaction outside
 * a transaction; inside one, as they are (a failure ends the whole transaction).
 */
export interface Gate {
  read<T>(fn: () => T): Promise<T>;
  write<T>(fn: () => T, durable?: boolean): Promise<T>;
}

export class Connection {
  /** Orders the units of work that write (transactions, multi-row writes) on this connection. */
  readonly mutex = new Mutex();
  closed = false;
  /** Transactions asked for and not yet ended (store.transaction): calls outside wait for them. */
  transactions = 0;

  constructor(
    readonly db: Database.Database,
    readonly u: UnitStatements,
    readonly busyTimeoutMs: number,
    /** True when the connection commits with synchronous=FULL (durable:false lowers it). */
    readonly full: boolean,
    /** The process's write turn (./write-turn.ts), taken before SQLite's write lock; null: none. */
    readonly turn: WriteTurn | null = null,
  ) {}

  /** Runs `fn` with the process's write turn held (waiting for it at most `timeoutMs`, then going on without it). */
  async withTurn<T>(fn: () => Promise<T>, timeoutMs = this.busyTimeoutMs): Promise<T> {
    const turn = this.turn;
    if (!turn) return fn();
    const held = turn.tryTake() || (await turn.take(timeoutMs));
    try {
      return await fn();
    } finally {
      if (held) turn.give();
    }
  }

  /** Runs `fn` now; a SQLITE_BUSY is retried asynchronously until `timeoutMs` (default busyTimeoutMs). */
  attempt<T>(fn: () => T, timeoutMs = this.busyTimeoutMs): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      if (!isBusy(err)) return Promise.reject(sqliteError(err));
      return this.retry(fn, err, timeoutMs);
    }
  }

  private async retry<T>(fn: () => T, first: unknown, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last = first;
    for (let i = 0; Date.now() < deadline; i++) {
      await sleep(BACKOFF_MS[Math.min(i, BACKOFF_MS.length - 1)]!);
      if (this.closed) break;
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err)) throw sqliteError(err);
        last = err;
      }
    }
    throw sqliteError(last);
  }

  /** A unit of writes in its own transaction (the connection is outside any transaction). */
  ownTransaction<T>(fn: () => T, durable: boolean): T {
    const { db, u } = this;
    const lower = !durable && this.full;
    if (lower) u.syncNormal.run();
    try {
      u.begin.run();
      try {
        const result = fn();
        u.commit.run();
        return result;
      } catch (err) {
        if (db.inTransaction) u.rollback.run();
        throw err;
      }
    } finally {
      if (lower) u.syncRestore.run();
    }
  }
}

/**
 * The gate of calls made outside a transaction: each is its own unit. A read (or a one-statement
 * write) runs at once unless a transaction was asked for on the connection (then after it: it
 * would join it, or read before what was asked first); a unit of several writes queues with the
 * transactions and takes the write turn.
 */
export class RootGate implements Gate {
  constructor(private readonly c: Connection) {}

  read<T>(fn: () => T): Promise<T> {
    if (this.c.transactions > 0) return this.c.mutex.idle().then(() => this.read(fn));
    if (this.c.closed) return Promise.reject(closedError());
    return this.c.attempt(fn);
  }

  async write<T>(fn: () => T, durable = true): Promise<T> {
    const c = this.c;
    const release = await c.mutex.acquire();
    try {
      if (c.closed) throw closedError();
      return await c.withTurn(() => c.attempt(() => c.ownTransaction(fn, durable)));
    } finally {
      release();
    }
  }
}

/**
 * The gate of one transaction's repositories: runs at once while the transaction is open. An
 * error ends the transaction as on PostgreSQL (where a failed statement aborts it): later
 * calls fail, and the transaction rolls back even if its function catches the error.
 */
export class TxGate implements Gate {
  open = true;
  failed: StoreError | null = null;

  read<T>(fn: () => T): Promise<T> {
    if (!this.open) return Promise.reject(overError());
    if (this.failed) return Promise.reject(failedError(this.failed));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      this.failed = sqliteError(err);
      return Promise.reject(this.failed);
    }
  }

  /** No savepoint: a failure ends the whole transaction (above), so no unit stays half-written. */
  write<T>(fn: () => T): Promise<T> {
    return this.read(fn);
  }
}

export const closedError = () => new StoreError('unavailable', 'the store is closed');
const overError = () => new StoreError('invalid', 'a repository of a finished transaction was used');
export const failedError = (first: StoreError) =>
  new StoreError('invalid', `the transaction failed earlier (${first.code}: ${first.message}); it will roll back`, null, { cause: first });

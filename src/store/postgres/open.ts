// Opens the PostgreSQL implementation of the store contract from a URL (postgres://...).
//
// Driver: postgres.js (porsager/postgres): no dependencies, every statement prepared and
// cached per connection by default, pipelining, a pool with transactions pinned to one
// connection (`sql.begin`, savepoints), and its own typed errors; node-postgres (`pg`) would
// need pg-pool and named prepared statements by hand for the same.
import postgres from 'postgres';
import type { Store, TransactionOptions, Tx } from '../contract.js';
import { StoreError } from '../store-error.js';
import { isPgDriverError, pgError } from './errors.js';
import { pgMigrations } from './migrations.js';
import { PgCtx, PgRepositories, all, type TxState } from './repos.js';

export interface PgStoreOptions {
  /** Connections in the pool. */
  max?: number;
  /** Seconds to wait for a connection before StoreError `unavailable`. */
  connectTimeoutS?: number;
  /** Idle connections are closed after this many seconds (0: never). */
  idleTimeoutS?: number;
  /** Skip migrations (a read replica, or a node that must not change the schema). */
  migrate?: boolean;
  /** The password when the URL carries none (database.passwordFile); never logged. */
  password?: string;
  /** Where spooled messages' files are: storage every node shares (spool.dir), or unset (none). */
  spoolDir?: string | null;
}

/** A key for pg_advisory_xact_lock: nodes that start together migrate one at a time. */
const MIGRATION_LOCK = 0x626f756e; // 'boun'

export function pgOptions(opts: PgStoreOptions = {}): postgres.Options<Record<string, postgres.PostgresType>> {
  return {
    max: opts.max ?? 10,
    connect_timeout: opts.connectTimeoutS ?? 10,
    idle_timeout: opts.idleTimeoutS ?? 0,
    prepare: true,
    onnotice: () => {},
    // Durable commits unless a transaction says otherwise (SET LOCAL synchronous_commit = off).
    connection: { application_name: 'bounced', synchronous_commit: 'on' },
    // Times and ids are BIGINT: as JS numbers (ms and row ids stay far below 2^53).
    types: {
      int8number: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
    transform: { undefined: null },
    ...(opts.password !== undefined ? { password: opts.password } : {}),
  };
}

/** Applies the migrations not yet recorded in schema_migrations; returns the versions applied. */
export async function migratePg(sql: postgres.Sql): Promise<number[]> {
  const applied: number[] = [];
  for (const m of [...pgMigrations].sort((a, b) => a.version - b.version)) {
    await sql.begin(async (tx) => {
      await tx.unsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await tx.unsafe(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const done = await tx.unsafe(`SELECT 1 FROM schema_migrations WHERE version = $1`, [m.version]);
      if (done.length) return;
      await tx.unsafe(m.sql).simple();
      await tx.unsafe(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [m.version, m.name, Date.now()]);
      applied.push(m.version);
    });
  }
  return applied;
}

function urlHasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

/** Connects to PostgreSQL at `url` and brings the schema up to date. */
export async function openPostgres(url: string, opts: PgStoreOptions = {}): Promise<PgStore> {
  // A password in the URL is the operator's explicit choice: the password file does not override it.
  const sql = postgres(url, pgOptions(urlHasPassword(url) ? { ...opts, password: undefined } : opts));
  try {
    const applied = opts.migrate === false ? [] : await migratePg(sql);
    return new PgStore(sql, applied, opts.spoolDir ?? null);
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw pgError(err);
  }
}

export class PgStore extends PgRepositories implements Store {
  readonly dialect = 'postgres' as const;
  private closed = false;

  constructor(
    private readonly sql: postgres.Sql,
    readonly appliedMigrations: readonly number[],
    private readonly spoolDir: string | null = null,
  ) {
    super(new PgCtx(sql, null, spoolDir));
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    if (this.closed) throw new StoreError('unavailable', 'the store is closed');
    const state: TxState = { open: true, failed: null };
    try {
      return (await this.sql.begin(async (t) => {
        if (opts.durable === false) await t.unsafe('SET LOCAL synchronous_commit = off');
        try {
          const result = await fn(new PgRepositories(new PgCtx(t, state, this.spoolDir)));
          // A repository call failed and fn went on: the transaction still rolls back.
          if (state.failed) throw state.failed;
          return result;
        } finally {
          state.open = false;
        }
      })) as T;
    } catch (err) {
      // The caller's own errors pass through as thrown; the driver's become StoreErrors.
      throw isPgDriverError(err) ? pgError(err) : err;
    }
  }

  async ping(): Promise<boolean> {
    try {
      const r = await all(this.sql, `SELECT pg_is_in_recovery() AS replica, current_setting('transaction_read_only') AS ro`);
      return r[0]!.replica === false && r[0]!.ro === 'off';
    } catch {
      return false;
    }
  }

  async probeWrite(now: number, timeoutMs: number): Promise<void> {
    if (this.closed) throw new StoreError('unavailable', 'the store is closed');
    try {
      await this.sql.begin(async (t) => {
        // Durability is not what it tests; a lock held elsewhere is waited for at most timeoutMs.
        await t.unsafe('SET LOCAL synchronous_commit = off');
        await t.unsafe(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
        await t.unsafe(`INSERT INTO write_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at`, [now]);
      });
    } catch (err) {
      throw pgError(err);
    }
  }

  async schemaVersion(): Promise<number> {
    try {
      const r = await all(this.sql, `SELECT coalesce(max(version), 0) AS v FROM schema_migrations`);
      return r[0]!.v as number;
    } catch (err) {
      throw pgError(err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sql.end({ timeout: 5 });
  }
}

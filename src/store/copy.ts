// `bounced store copy`: moves an installation's database to PostgreSQL (issue #15 part 2),
// from its SQLite file (or a `bounced backup` of it) or from another PostgreSQL database.
//
// Both schemas hold the same tables with the same column names (rows.ts), so the copy is
// table by table, in foreign-key order, the rows as they are, ids included (each identity is
// moved past the highest id copied afterwards). What differs is said here once:
// - SQLite's 0/1 flags are PostgreSQL BOOLEANs, its BLOBs BYTEA (converted by the target's
//   column type, read from the catalog);
// - SQLite remembers the webhook fan-out as a cursor (webhook_cursor); PostgreSQL as a flag
//   per event (events.fanned_out): events at or below the cursor are copied as fanned out;
// - claims and leases (messages, webhook deliveries, jobs) belong to the old process: they
//   are not copied (the first node takes the work at once);
// - write_probe (readiness) and the migration bookkeeping are each database's own.
//
// Every batch is `INSERT ... ON CONFLICT DO NOTHING` in its own transaction: a copy that
// stopped half-way (--resume) is finished by running it again; rows already there are kept.
// A target that holds rows is refused unless --resume or --force (which empties it first).
// Each table's rows are counted on both sides at the end; a difference fails the copy.
// Stop the daemon first (or copy a `bounced backup` file): rows written meanwhile are missed.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { isPostgresUrl } from './connect.js';
import { pgError } from './postgres/errors.js';
import { openPostgres, pgOptions } from './postgres/open.js';
import { DB_FILE, openSqlite } from './sqlite/open.js';

export interface CopyOptions {
  /** Empty the target first. */
  force?: boolean;
  /** Go on with a copy that stopped: rows already in the target are kept. */
  resume?: boolean;
  /** Rows per INSERT (and per transaction); fewer when the rows are big. */
  batchRows?: number;
  /** Hears of each table when it is done. */
  onTable?: (t: TableCopy) => void;
  /** The target's password when its URL has none (database.passwordFile). */
  password?: string;
}

export interface TableCopy {
  table: string;
  /** Rows in the source. */
  source: number;
  /** Rows this run inserted (fewer than source when resuming). */
  inserted: number;
  /** Rows in the target afterwards. */
  target: number;
}

export type CopyErrorCode = 'source_missing' | 'target_not_postgres' | 'target_not_empty' | 'counts_differ';
export type CopyOutcome = { ok: true; tables: TableCopy[] } | { ok: false; code: CopyErrorCode; error: string; tables?: TableCopy[] };

/** Tables that are not copied: each database's own. */
const NOT_COPIED = new Set(['write_probe', 'schema_migrations', 'webhook_cursor', 'presend_changes']);
/** Columns that belong to the process that held them, set to NULL in the copy. */
const NOT_COPIED_COLUMNS: Record<string, readonly string[]> = {
  messages: ['claimed_by', 'claimed_until'],
  webhook_deliveries: ['claimed_by', 'claimed_until'],
  jobs: ['lease_holder', 'lease_until'],
};
/** PostgreSQL's bind parameters per statement are at most 65,535. */
const MAX_PARAMS = 60_000;
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

type Row = Record<string, unknown>;

interface Source {
  describe(): string;
  count(table: string): Promise<number>;
  columns(table: string): Promise<string[]>;
  /** The table's rows in batches of about `size`, in a stable order. */
  rows(table: string, size: number): AsyncIterable<Row[]>;
  /** Events at or below this id were fanned out to webhooks (SQLite's cursor); null: the flag is in the rows. */
  fannedOutUpTo(): Promise<number | null>;
  close(): Promise<void>;
}

/** SQLite: a path to bounced.db (or a directory holding it, or a backup file), `sqlite:PATH` too. */
async function sqliteSource(spec: string): Promise<Source | string> {
  let file = spec.replace(/^sqlite:/i, '');
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, DB_FILE);
  if (!existsSync(file)) return `no SQLite database at ${file}`;
  // Brought to the current schema first, as the daemon would on start (then read only).
  await (await openSqlite({ file })).close();
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.defaultSafeIntegers(false);
  const has = (t: string) => db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(t) !== undefined;
  return {
    describe: () => file,
    async count(t) {
      return has(t) ? (db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n : 0;
    },
    async columns(t) {
      return has(t) ? (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(t) as Array<{ name: string }>).map((c) => c.name) : [];
    },
    async *rows(t, size) {
      if (!has(t)) return;
      let batch: Row[] = [];
      // Primary-key order (a WITHOUT ROWID table has no rowid), else rowid: a stable order.
      const pk = (db.prepare(`SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`).all(t) as Array<{ name: string }>).map((c) => `"${c.name}"`);
      for (const row of db.prepare(`SELECT * FROM "${t}" ORDER BY ${pk.length ? pk.join(', ') : 'rowid'}`).iterate() as IterableIterator<Row>) {
        batch.push(row);
        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
    },
    async fannedOutUpTo() {
      if (!has('webhook_cursor')) return 0;
      const r = db.prepare(`SELECT last_event_row FROM webhook_cursor WHERE name = 'fanout'`).get() as { last_event_row: number } | undefined;
      return r?.last_event_row ?? 0;
    },
    async close() {
      db.close();
    },
  };
}

async function pgSource(url: string): Promise<Source> {
  const sql = postgres(url, { ...pgOptions({ max: 2 }), prepare: false });
  return {
    describe: () => url,
    async count(t) {
      return Number((await sql.unsafe(`SELECT count(*)::bigint AS n FROM "${t}"`))[0]!.n);
    },
    async columns(t) {
      return (await sql.unsafe(`SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, [t])).map((r) => r.column_name as string);
    },
    async *rows(t, size) {
      const pk = await primaryKey(sql, t);
      const order = pk.length ? pk.map((c) => `"${c}"`).join(', ') : 'ctid';
      for await (const batch of sql.unsafe(`SELECT * FROM "${t}" ORDER BY ${order}`).cursor(size)) yield batch as Row[];
    },
    fannedOutUpTo: async () => null,
    close: () => sql.end({ timeout: 5 }),
  };
}

async function primaryKey(sql: postgres.Sql, table: string): Promise<string[]> {
  const rows = await sql.unsafe(
    `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
      WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
    [table],
  );
  return rows.map((r) => r.attname as string);
}

/** The target's tables, parents before children (foreign keys). */
async function tablesInOrder(sql: postgres.Sql): Promise<string[]> {
  const tables = (await sql.unsafe(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`)).map((r) => r.tablename as string);
  const deps = await sql.unsafe(
    `SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent FROM pg_constraint c
      JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = current_schema()`,
  );
  const parents = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const d of deps) if (d.child !== d.parent) parents.get(d.child as string)?.add(d.parent as string);
  const out: string[] = [];
  const placed = new Set<string>();
  while (out.length < tables.length) {
    const next = tables.find((t) => !placed.has(t) && [...parents.get(t)!].every((p) => placed.has(p)));
    if (!next) throw new Error('foreign keys form a cycle'); // not in bounced's schema
    out.push(next);
    placed.add(next);
  }
  return out.filter((t) => !NOT_COPIED.has(t));
}

/** Column -> PostgreSQL type (information_schema's data_type) of a target table. */
async function columnTypes(sql: postgres.Sql, table: string): Promise<Map<string, string>> {
  const rows = await sql.unsafe(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, [table]);
  return new Map(rows.map((r) => [r.column_name as string, r.data_type as string]));
}

function convert(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'boolean') return typeof value === 'boolean' ? value : Number(value) !== 0;
  if (type === 'bytea') return Buffer.isBuffer(value) ? value : Buffer.from(String(value));
  if (type === 'bigint' || type === 'integer' || type === 'smallint') return typeof value === 'bigint' ? Number(value) : value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return value;
}

const rowBytes = (row: Row) => Object.values(row).reduce<number>((n, v) => n + (Buffer.isBuffer(v) ? v.length : typeof v === 'string' ? v.length : 8), 0);

export async function copyStore(from: string, to: string, opts: CopyOptions = {}): Promise<CopyOutcome> {
  if (!isPostgresUrl(to)) return { ok: false, code: 'target_not_postgres', error: `--to must be a postgres:// URL (got ${String(to).replace(/:[^:@/]*@/, ':***@')})` };
  // The target's schema first (migrations), then a plain connection for the copy.
  await (await openPostgres(to, { max: 1, password: opts.password })).close();
  // The password file is the target's; a PostgreSQL source carries its own in its URL (or PGPASSWORD).
  const source = isPostgresUrl(from) ? await pgSource(from) : await sqliteSource(from);
  if (typeof source === 'string') return { ok: false, code: 'source_missing', error: source };
  const sql = postgres(to, pgOptions({ max: 2, password: opts.password }));
  try {
    const tables = await tablesInOrder(sql);
    const nonEmpty: string[] = [];
    for (const t of tables) if ((await sql.unsafe(`SELECT EXISTS (SELECT 1 FROM "${t}") AS x`))[0]!.x) nonEmpty.push(t);
    if (nonEmpty.length && opts.force) {
      await sql.unsafe(`TRUNCATE ${tables.map((t) => `"${t}"`).join(', ')} RESTART IDENTITY`);
    } else if (nonEmpty.length && !opts.resume) {
      return { ok: false, code: 'target_not_empty', error: `the target holds rows (${nonEmpty.join(', ')}): --resume finishes an interrupted copy, --force empties the target first` };
    }
    const fannedUpTo = await source.fannedOutUpTo();
    const done: TableCopy[] = [];
    for (const table of tables) {
      const types = await columnTypes(sql, table);
      const cleared = new Set(NOT_COPIED_COLUMNS[table] ?? []);
      const columns = (await source.columns(table)).filter((c) => types.has(c) && !cleared.has(c));
      const withFlag = table === 'events' && fannedUpTo !== null && types.has('fanned_out');
      const targetColumns = withFlag ? [...columns, 'fanned_out'] : columns;
      const perBatch = Math.max(1, Math.min(opts.batchRows ?? 1000, Math.floor(MAX_PARAMS / Math.max(1, targetColumns.length))));
      let inserted = 0;
      for await (const rows of source.rows(table, perBatch)) {
        // Big rows (messages' bytes) go in smaller INSERTs.
        let start = 0;
        while (start < rows.length) {
          let end = start;
          let bytes = 0;
          do bytes += rowBytes(rows[end++]!);
          while (end < rows.length && bytes < MAX_BATCH_BYTES);
          const chunk = rows.slice(start, end);
          const params: unknown[] = [];
          const tuples = chunk.map((row) => {
            const values = columns.map((c) => convert(row[c], types.get(c)!));
            if (withFlag) values.push((row.id as number) <= fannedUpTo!);
            const base = params.length;
            params.push(...values);
            return `(${values.map((_, i) => `$${base + i + 1}`).join(', ')})`;
          });
          const r = await sql.unsafe(`INSERT INTO "${table}" (${targetColumns.map((c) => `"${c}"`).join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`, params as never[]);
          inserted += r.count;
          start = end;
        }
      }
      // The next id the daemon makes comes after the ones copied.
      const seq = types.get('id') === 'bigint' ? ((await sql.unsafe(`SELECT pg_get_serial_sequence($1, 'id') AS s`, [table]))[0]!.s as string | null) : null;
      if (seq) {
        await sql.unsafe(`SELECT setval($1, GREATEST((SELECT max(id) FROM "${table}"), 1), (SELECT max(id) IS NOT NULL FROM "${table}"))`, [seq]);
      }
      const entry = { table, source: await source.count(table), inserted, target: Number((await sql.unsafe(`SELECT count(*)::bigint AS n FROM "${table}"`))[0]!.n) };
      done.push(entry);
      opts.onTable?.(entry);
    }
    const differ = done.filter((t) => t.source !== t.target);
    if (differ.length) {
      return { ok: false, code: 'counts_differ', error: `rows differ after the copy: ${differ.map((t) => `${t.table} ${t.source} -> ${t.target}`).join(', ')} (was the source written meanwhile?)`, tables: done };
    }
    return { ok: true, tables: done };
  } catch (err) {
    throw pgError(err);
  } finally {
    await sql.end({ timeout: 5 });
    await source.close();
  }
}

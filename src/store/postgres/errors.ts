// What postgres.js throws, as StoreErrors: PostgreSQL's SQLSTATE codes (Appendix A of its
// manual) and the driver's connection errors.
import { StoreError, type StoreErrorCode } from '../store-error.js';

/** Connection-level failures: the database is not there (or went away). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOENT',
  // postgres.js's own
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
]);

function kindOf(code: string): StoreErrorCode {
  if (CONNECTION_CODES.has(code)) return 'unavailable';
  if (code === '23505') return 'conflict'; // unique_violation
  if (code.startsWith('23')) return 'invalid'; // other integrity constraint violations
  if (code === '22P02' || code.startsWith('42')) return 'invalid'; // bad input / syntax: our bug
  // serialization_failure, deadlock_detected, lock_not_available, query_canceled (statement_timeout)
  if (code === '40001' || code === '40P01' || code === '55P03' || code === '57014') return 'busy';
  if (code === '25006') return 'readonly'; // read_only_sql_transaction (a replica, default_transaction_read_only)
  if (code === '53100') return 'full'; // disk_full
  if (code.startsWith('53')) return 'busy'; // insufficient_resources: too many connections, out of memory
  // connection_exception, admin/crash shutdown, cannot_connect_now (starting up), no such
  // database, authentication: the database is not usable from here
  if (code.startsWith('08') || code.startsWith('57P') || code === '3D000' || code.startsWith('28')) return 'unavailable';
  return 'internal';
}

export function pgError(err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const e = err as { code?: unknown; message?: string; errno?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  return new StoreError(kindOf(code), e?.message ?? String(err), code || null, { cause: err });
}

/** True for what the driver throws (as opposed to an error of the caller's own). */
export function isPgDriverError(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown };
  return e?.name === 'PostgresError' || (typeof e?.code === 'string' && CONNECTION_CODES.has(e.code));
}

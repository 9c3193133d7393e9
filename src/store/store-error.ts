// Errors of the store as data: every backend turns its driver's errors into a StoreError
// with one of these stable codes, and each edge maps the code to its protocol in one table
// (SMTP 451 4.3.0, HTTP 503, exit 75 for the temporary ones), never by matching text.

export const STORE_ERROR_CODES = [
  /** The database cannot be reached or opened (connection refused or lost, file gone, store closed). */
  'unavailable',
  /** Locked by another writer past the wait allowed, a deadlock or a serialization failure: try again. */
  'busy',
  /** The database refuses writes (read-only file or replica, PostgreSQL in recovery). */
  'readonly',
  /** No space left (disk full, quota). */
  'full',
  /** A unique key already holds this value (a second open appeal, an API key hash). */
  'conflict',
  /** The caller wrote something the schema refuses (a CHECK or foreign key): a bug, not a fault. */
  'invalid',
  /** Anything else the driver said. */
  'internal',
] as const;
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

/** Codes that say "the same call may work later": the edge answers 4xx/503/75, never 5xx for good. */
export const TEMPORARY_STORE_ERRORS: ReadonlySet<StoreErrorCode> = new Set(['unavailable', 'busy', 'readonly', 'full']);

export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** The driver's own code (SQLITE_BUSY, 40001, ECONNREFUSED), for logs. */
    readonly driverCode: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get temporary(): boolean {
    return TEMPORARY_STORE_ERRORS.has(this.code);
  }
}

export function isStoreError(err: unknown): err is StoreError {
  return err instanceof StoreError;
}

import type Database from 'better-sqlite3';
import { withoutSync } from './sqlite.js';

// Readiness of the database means "can write now", which no read shows: a write lock held
// by another process, read-only or immutable files and a full disk all leave SELECT 1
// working. So the check is a real write of one row (table write_probe), rate-limited, with
// a short busy timeout, no fsync (synchronous=NORMAL for its length: durability is not what
// it tests) and never waiting long on the thread that serves SMTP.
//
// A tiny write can still succeed on a full disk (SQLite reuses the WAL file's space after a
// checkpoint) while a received message cannot be stored, so the outcomes of the real writes
// of received mail count too: a failure keeps the database unready until a later write of
// mail succeeds or `failureMemoryMs` passes without another failure.

export interface Check {
  ok: boolean;
  /** Why not, for operators (/readyz). */
  reason?: string;
}

export interface WriteProbeOptions {
  /** At most one probe write per interval; between them the last answer stands. */
  intervalMs?: number;
  /** How long the probe waits for another writer's lock. */
  busyTimeoutMs?: number;
  /** A lock must be seen on this many probes in a row: a long commit of the pipeline is no fault. */
  busyProbes?: number;
  /** How long a failed write of received mail keeps the database unready (without a success since). */
  failureMemoryMs?: number;
  now?: () => number;
}

export class DatabaseHealth {
  private lastProbeAt = -Infinity;
  private probe: Check = { ok: true };
  private busyInARow = 0;
  private lastFailure: { at: number; error: string } | null = null;
  private lastSuccessAt = -Infinity;
  private readonly stmt;
  private readonly opts: Required<WriteProbeOptions>;

  constructor(
    private readonly db: Database.Database,
    opts: WriteProbeOptions = {},
  ) {
    this.opts = { intervalMs: 2000, busyTimeoutMs: 100, busyProbes: 2, failureMemoryMs: 60_000, now: Date.now, ...opts };
    this.stmt = db.prepare(`INSERT INTO write_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at`);
  }

  /** The outcome of a write of received mail (the listener's commits). */
  noteWrite(ok: boolean, error?: string): void {
    const now = this.opts.now();
    if (ok) this.lastSuccessAt = now;
    else this.lastFailure = { at: now, error: error ?? 'unknown error' };
  }

  check(): Check {
    const now = this.opts.now();
    if (now - this.lastProbeAt >= this.opts.intervalMs) {
      this.lastProbeAt = now;
      this.probe = this.runProbe(now);
    }
    if (!this.probe.ok) return this.probe;
    const f = this.lastFailure;
    if (f && f.at > this.lastSuccessAt && now - f.at < this.opts.failureMemoryMs) {
      return { ok: false, reason: `storing received mail failed ${Math.round((now - f.at) / 1000)} s ago: ${f.error}` };
    }
    return { ok: true };
  }

  private runProbe(now: number): Check {
    const before = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma(`busy_timeout = ${this.opts.busyTimeoutMs}`);
    try {
      // The process's write turn (WriteTurn) too is waited for no longer than the lock: its
      // holder may itself be waiting seconds for a lock held by another process.
      withoutSync(this.db, () => this.stmt.run(now), this.opts.busyTimeoutMs);
      this.busyInARow = 0;
      return { ok: true };
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'ERROR';
      const reason = `write probe failed: ${code}: ${(err as Error).message}`;
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
        // Another writer holds the lock: a fault only when it lasts.
        this.busyInARow++;
        return this.busyInARow >= this.opts.busyProbes ? { ok: false, reason: `${reason} (another process holds the write lock)` } : this.probe;
      }
      this.busyInARow = 0;
      return { ok: false, reason };
    } finally {
      this.db.pragma(`busy_timeout = ${before}`);
    }
  }
}

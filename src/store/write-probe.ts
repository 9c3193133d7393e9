import type { Store } from './contract.js';
import { isStoreError } from './store-error.js';

// Readiness of the database means "can write now", which no read shows: a write lock held
// by another process, read-only or immutable files and a full disk all leave SELECT 1
// working. So the check is a real write of one row (store.probeWrite: table write_probe),
// rate-limited, with a short lock timeout, no fsync (durability is not what it tests) and
// never waiting long on the thread that serves SMTP.
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
  /** How long the probe waits for another writer's lock (and for the process's write turn). */
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
  private probing: Promise<Check> | null = null;
  private busyInARow = 0;
  private lastFailure: { at: number; error: string } | null = null;
  private lastSuccessAt = -Infinity;
  private readonly opts: Required<WriteProbeOptions>;

  constructor(
    private readonly store: Pick<Store, 'probeWrite'>,
    opts: WriteProbeOptions = {},
  ) {
    this.opts = { intervalMs: 2000, busyTimeoutMs: 100, busyProbes: 2, failureMemoryMs: 60_000, now: Date.now, ...opts };
  }

  /** The outcome of a write of received mail (the listener's commits). */
  noteWrite(ok: boolean, error?: string): void {
    const now = this.opts.now();
    if (ok) this.lastSuccessAt = now;
    else this.lastFailure = { at: now, error: error ?? 'unknown error' };
  }

  async check(): Promise<Check> {
    const now = this.opts.now();
    if (now - this.lastProbeAt >= this.opts.intervalMs && !this.probing) {
      this.lastProbeAt = now;
      this.probing = this.runProbe(now).finally(() => (this.probing = null));
    }
    // Concurrent checks (a /readyz and a metrics scrape) share the probe in flight.
    if (this.probing) this.probe = await this.probing;
    if (!this.probe.ok) return this.probe;
    const f = this.lastFailure;
    if (f && f.at > this.lastSuccessAt && now - f.at < this.opts.failureMemoryMs) {
      return { ok: false, reason: `storing received mail failed ${Math.round((now - f.at) / 1000)} s ago: ${f.error}` };
    }
    return { ok: true };
  }

  private async runProbe(now: number): Promise<Check> {
    try {
      await this.store.probeWrite(now, this.opts.busyTimeoutMs);
      this.busyInARow = 0;
      return { ok: true };
    } catch (err) {
      const code = isStoreError(err) ? (err.driverCode ?? err.code) : ((err as { code?: string }).code ?? 'ERROR');
      const reason = `write probe failed: ${code}: ${(err as Error).message}`;
      if (isStoreError(err) && err.code === 'busy') {
        // Another writer holds the lock: a fault only when it lasts.
        this.busyInARow++;
        return this.busyInARow >= this.opts.busyProbes ? { ok: false, reason: `${reason} (another process holds the write lock)` } : this.probe;
      }
      this.busyInARow = 0;
      return { ok: false, reason };
    }
  }
}

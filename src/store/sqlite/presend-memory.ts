// The pre-send check answered from memory when nothing it reads has changed (issue #20).
//
// The check (PRESEND_SQL in ./statements.ts) reads whether the account exists, its policy
// state, the campaign's cancellation and the address's suppressions (the account's and the
// global '*'). In a daemon that statement is 16-18 us of a 70-80 us request, and its B-tree
// walks evict the caches the HTTP path uses (bench/README.md, "Pre-send check, round 8"). This
// keeps in the process what answers the common case, "not suppressed":
// - the accounts, their policy rows and the cancelled campaigns, whole (small tables);
// - a Bloom filter (./bloom.ts) of the suppression keys (owner + address): "absent" is
//   certain, so the answer is "no hits"; "maybe" runs the statement as before.
//
// Freshness: every writer, in any thread or process, changes the one row of presend_changes
// through triggers (migration 30 in ./migrations.ts). Each check reads that row (a read of one
// page by its key: SQLite's read transaction and little else) and answers from memory only when
// it is exactly the row the memory was read with; otherwise it runs the statement and asks for
// a catch-up. A check that starts after a commit reads that commit's row, so it never answers
// from memory older than it. Catch-up runs later, outside any request, in slices of a read
// transaction each (the row and the rows it covers read in the same snapshot): new suppressions
// above the high mark, the accounts again when their counter moved, and the whole table again
// when an id was reused, a key changed or the generation is another (a restored file).
// An account that is suspended or under review is always answered by the statement: the
// policy row's updated_at (the review's "since") changes without a trigger.
import { openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { GLOBAL_ACCOUNT, type ChannelState } from '../../domain/index.js';
import type * as C from '../contract.js';
import { threadUrl } from '../../pipeline/thread-url.js';
import { BloomFilter } from './bloom.js';

/** presend_changes' row (migration 30). */
export type Mark = [generation: number, accounts: number, high: number, reused: number, deleted: number];

const sameMark = (a: Mark, b: Mark) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] && a[4] === b[4];
/** Every column but the generation only grows: one that went back is another copy of the database. */
const wentBack = (now: Mark, was: Mark) => now[1] < was[1] || now[2] < was[2] || now[3] < was[3] || now[4] < was[4];

/**
 * Rows read per slice of a (re)build: each slice is one read transaction and one turn of the
 * event loop, so a request waits at most about one slice (2,000 rows: 1-3 ms). With 10,000 a
 * daemon building 5 M under load answered 1,560 checks/s at p50 7.5 ms meanwhile (each slice
 * 10-36 ms, the requests of one turn between two slices).
 */
export const SLICE_ROWS = 2_000;
/**
 * Bits a key at least when the filter is sized (rounded up to a power of two: 10-20 bits, 0.8 %
 * to 0.01 % false "maybe"); it is built again bigger once under half of that (new rows).
 * 2 MiB at 1 M suppressions, 8 MiB at 5 M.
 */
const BITS_PER_KEY = 10;
/** How long a stop waits for a worker thread to end (it is terminated once its connection is open). */
const STOP_WAIT_MS = 10_000;

/**
 * The WAL index header (the first 96 bytes of <db>-shm: two copies of SQLite's WalIndexHdr,
 * https://www.sqlite.org/walformat.html#the_wal_index_file_format). Every commit of every
 * connection, in any process, writes it before the commit is visible to anyone (its change
 * counter, frame count, salts and checksums); a checkpoint does not. So when it still holds
 * the very bytes it held before a check that found the mark current, nothing was committed
 * since, and the mark needs no read transaction (two fcntl(2) on the same file and SQLite's
 * own path: about 10 us in the daemon against 1 for this pread(2)). Any difference, or a torn
 * read of a header being written, is only a difference: the mark is read as before.
 */
const WAL_HEADER_BYTES = 96;

/**
 * One read-only descriptor per -shm file for the process, never closed: closing any
 * descriptor of a file drops every POSIX lock this process holds on it (fcntl(2) locks belong
 * to the process, not the descriptor), and SQLite holds some on the -shm file for as long as any
 * of the process's connections (other threads' too) is open.
 */
const SHM_FDS = new Map<string, number | null>();

function shmDescriptor(db: Database.Database): number | null {
  if (db.memory || db.readonly) return null;
  // Only with the WAL index in a shared file: WAL mode, normal locking (the store's own).
  const journal = String(db.pragma('journal_mode', { simple: true })).toLowerCase();
  const locking = String(db.pragma('locking_mode', { simple: true })).toLowerCase();
  if (journal !== 'wal' || locking !== 'normal') return null;
  const file = `${db.name}-shm`;
  if (!SHM_FDS.has(file)) {
    let fd: number | null;
    try {
      fd = openSync(file, 'r');
    } catch {
      fd = null;
    }
    SHM_FDS.set(file, fd);
  }
  return SHM_FDS.get(file)!;
}

export interface PresendMemoryOptions {
  /** Skip the read transaction while the WAL index header is unchanged (default true). */
  shm?: boolean;
  /** Bits of a new filter at least. */
  minBits?: number;
  /** Bits of every filter, whatever the rows (tests force false positives with a tiny one). */
  bits?: number;
  /** Rows a slice (tests make several slices from few rows). */
  sliceRows?: number;
  /**
   * A build from nothing (the first, and after a restore or a reused id) runs in a worker
   * thread on a read-only connection of its own (./presend-worker.ts), so the thread that
   * answers checks does not spend the build's CPU (7 s at 5 M suppressions) in slices between
   * requests; catching up on new rows stays here. Default true; file databases only. If the
   * worker cannot run, the build runs here in slices as before.
   */
  worker?: boolean;
}

/** What a build read: the memory at one mark, as a worker hands it over (structured clone). */
export interface PresendSnapshot {
  mark: Mark;
  bits: Uint32Array;
  added: number;
  accounts: Accounts;
}

type PolicyRow = C.PreSendRead['state'];

const CLEAN_STATE: PolicyRow = {
  marketing: 'ok', suspension: null, suspendedAt: null, oneToOne: 'ok', oneToOneSuspension: null, oneToOneSuspendedAt: null, review: 'none', updatedAt: 0,
};

/** A state that decides nothing (src/policy/rules.ts decideSend: not suspended, not under review). */
const clean = (s: PolicyRow) => s.marketing === 'ok' && s.oneToOne === 'ok' && (s.review === 'none' || s.review === 'approved');

/** What the accounts part answers, read whole. */
export interface Accounts {
  exists: Set<string>;
  policy: Map<string, PolicyRow>;
  /** account + '\n' + campaign -> cancelled_at */
  cancelled: Map<string, number | null>;
}

export class PresendMemory {
  private readonly markStmt: Database.Statement;
  private readonly sliceStmt: Database.Statement;
  private readonly accountsStmt: Database.Statement;
  private readonly policyStmt: Database.Statement;
  private readonly cancelledStmt: Database.Statement;
  private readonly minBits: number;
  private readonly fixedBits: number | null;
  private readonly sliceRows: number;

  /** The -shm file's descriptor (see WAL_HEADER_BYTES), opened at the first check; null: every check reads the mark. */
  private shm: number | null | undefined;
  private readonly header = Buffer.alloc(WAL_HEADER_BYTES);
  /** The header as read before the last check that found the mark current; null: none since the mark changed. */
  private verified: Buffer | null = null;
  private readonly verifiedBytes = Buffer.alloc(WAL_HEADER_BYTES);

  /** The row the memory answers for; null: not ready (building, or behind). */
  private mark: Mark | null = null;
  private filter: BloomFilter | null = null;
  private accounts: Accounts | null = null;
  /** A catch-up is scheduled or running. */
  private busy = false;
  private stopped = false;
  /** Checks answered from memory, and by the statement (readiness, changes, "maybe"); builds from nothing, and of those by a worker. */
  readonly counts = { memory: 0, statement: 0, rebuilds: 0, workerBuilds: 0 };
  /** Builds from nothing go to a worker (opts.worker, a file database); false once one failed to run. */
  private useWorker: boolean;
  private worker: Worker | null = null;
  /** The worker has opened its connection (loaded better-sqlite3): terminating it is safe. */
  private workerReady = false;
  /** Resolves when the worker thread last started has ended (null: none running). */
  private workerExited: Promise<void> | null = null;
  /** This instance is a worker's (snapshotNow): slices run back to back. */
  private inWorker = false;

  constructor(
    private readonly db: Database.Database,
    /** Runs a read on the connection when no transaction of its own is open (the root gate's read). */
    private readonly read: <T>(fn: () => T) => Promise<T>,
    opts: PresendMemoryOptions = {},
  ) {
    this.markStmt = db.prepare(`SELECT generation, accounts, high, reused, deleted FROM presend_changes WHERE id = 1`).raw(true);
    this.sliceStmt = db.prepare(`SELECT id, account_id, address FROM suppressions WHERE id > ? ORDER BY id LIMIT ?`).raw(true);
    this.accountsStmt = db.prepare(`SELECT id FROM accounts`).pluck();
    this.policyStmt = db
      .prepare(`SELECT account_id, marketing, suspension, suspended_at, one_to_one, one_to_one_suspension, one_to_one_suspended_at, review, updated_at FROM account_policy`)
      .raw(true);
    this.cancelledStmt = db.prepare(`SELECT account_id, campaign, cancelled_at FROM campaigns WHERE state = 'cancelled'`).raw(true);
    this.minBits = opts.minBits ?? 1 << 20;
    this.fixedBits = opts.bits ?? null;
    this.shm = opts.shm === false ? null : undefined;
    this.sliceRows = opts.sliceRows ?? SLICE_ROWS;
    this.useWorker = opts.worker !== false && !db.memory && db.name !== '' && db.name !== ':memory:';
    this.workerOptions = { minBits: opts.minBits, bits: opts.bits, sliceRows: opts.sliceRows };
  }

  private readonly workerOptions: PresendMemoryOptions;

  /** True when the memory answers (tests and the bench wait for it). */
  get ready(): boolean {
    return this.mark !== null;
  }

  /** A catch-up is scheduled or running (tests wait for it to end). */
  get catchingUp(): boolean {
    return this.busy;
  }

  /** Bytes held by the filter (the accounts' maps are small beside it). */
  get filterBytes(): number {
    return this.filter?.bits.byteLength ?? 0;
  }

  /** Reads the row now: whether the memory is the database's state at this instant. Starts a catch-up if not. */
  private current(): boolean {
    const mine = this.mark;
    if (mine === null) {
      this.schedule();
      return false;
    }
    // The header before the mark: a commit between the two is in the mark, so the header
    // read first is one the mark was current for (every column of the mark only grows).
    let header = false;
    if (this.shm === undefined) this.shm = shmDescriptor(this.db);
    if (this.shm !== null) {
      try {
        header = readSync(this.shm, this.header, 0, WAL_HEADER_BYTES, 0) === WAL_HEADER_BYTES;
      } catch {
        this.shm = null;
      }
      if (header && this.verified !== null && this.header.equals(this.verified)) return true;
    }
    const m = this.markStmt.get() as Mark | undefined;
    if (m && sameMark(m, mine)) {
      if (header) {
        this.header.copy(this.verifiedBytes);
        this.verified = this.verifiedBytes;
      }
      return true;
    }
    this.verified = null;
    this.schedule();
    return false;
  }

  /**
   * The check from memory, or null (then the caller runs the statement). Runs synchronously
   * on the connection, outside any transaction (the caller's gate read).
   */
  preSend(accountId: string, address: string, campaign: string | null): C.PreSendRead | null {
    if (this.stopped || !this.current()) {
      this.counts.statement++;
      return null;
    }
    const filter = this.filter!;
    const a = this.accounts!;
    const state = a.policy.get(accountId) ?? CLEAN_STATE;
    if (!clean(state) || filter.has(accountId + '\n' + address) || filter.has(GLOBAL_ACCOUNT + '\n' + address)) {
      this.counts.statement++;
      return null;
    }
    this.counts.memory++;
    const cancelledAt = campaign === null ? undefined : a.cancelled.get(accountId + '\n' + campaign);
    return { accountExists: a.exists.has(accountId), state, hits: [], campaignCancelledAt: cancelledAt ?? null };
  }

  /**
   * For the batch check: which of these canonical addresses may have suppressions of the
   * account or global (true), or null when the memory cannot say (behind or not ready).
   */
  maybeHits(accountId: string, addresses: readonly string[]): boolean[] | null {
    if (this.stopped || !this.current()) return null;
    const filter = this.filter!;
    return addresses.map((x) => filter.has(accountId + '\n' + x) || filter.has(GLOBAL_ACCOUNT + '\n' + x));
  }

  /** Starts the first build (the daemon calls it at start; a check calls it otherwise). */
  start(): void {
    this.schedule();
  }

  /**
   * Stops building; resolves when a worker thread this memory started has ended (at most
   * STOP_WAIT_MS), so that a closed store has no connection of ours left on its file (a test's
   * directory removed right after close met a worker's -shm appearing: ENOTEMPTY).
   */
  stop(): Promise<void> {
    this.stopped = true;
    // Not while the thread is still loading better-sqlite3: terminating a thread inside a native
    // module's registration aborts the whole process (napi_get_last_error_info, seen on Node 26
    // when a daemon stopped right after its start). The thread says when it has its connection;
    // until then the stop waits for that word (buildInWorker).
    if (this.workerReady) void this.worker?.terminate();
    const exited = this.workerExited;
    if (!exited) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, STOP_WAIT_MS);
      t.unref();
      void exited.then(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private schedule(): void {
    if (this.busy || this.stopped) return;
    this.busy = true;
    // After the request that noticed: never inside one. unref: a CLI command ends when done.
    setImmediate(() => void this.catchUp()).unref();
  }

  /** State of a build that spans slices: the filter being filled and where it stands. */
  private build: { filter: BloomFilter; from: number; generation: number; reused: number; full: boolean } | null = null;

  private async catchUp(): Promise<void> {
    try {
      for (;;) {
        if (this.stopped) return;
        if (this.useWorker && !this.build && (await this.read(() => this.needsRebuild()))) {
          if (await this.buildInWorker()) continue;
        }
        const done = await this.read(() => this.db.transaction(() => this.slice())());
        if (done) return;
        // (a worker's build has nothing else to let run; an unref'd turn would end its thread)
        if (!this.inWorker) await new Promise<void>((r) => setImmediate(r).unref());
      }
    } catch {
      // The connection closed, or the database is busy being restored: the statement answers
      // until a later check schedules another try.
      this.build = null;
    } finally {
      this.busy = false;
    }
  }

  /** Whether the next slice would build from nothing (a read of the mark). */
  private needsRebuild(): boolean {
    const m = this.markStmt.get() as Mark | undefined;
    return m !== undefined && !this.canContinue(m);
  }

  /** Whether the memory can be brought to mark `m` by reading the rows added since its own mark. */
  private canContinue(m: Mark): boolean {
    const mine = this.mark;
    return (
      mine !== null && this.filter !== null && mine[0] === m[0] && mine[3] === m[3] && !wentBack(m, mine) &&
      (this.fixedBits !== null || this.filter.added * (BITS_PER_KEY / 2) <= this.filter.size)
    );
  }

  /**
   * A build from nothing in a worker thread (./presend-worker.ts: this class on a read-only
   * connection of its own, slicing as here). Its memory is taken as it comes: it is the
   * database's state at the worker's mark, whichever connection read it, and the next check
   * compares that mark with the row as usual (a catch-up here reads what came since). False:
   * the worker did not deliver (then the build runs here, and no worker is tried again).
   */
  private async buildInWorker(): Promise<boolean> {
    // (stopped during the read that decided on a build: no thread after the stop)
    if (this.stopped) return true;
    let snapshot: PresendSnapshot | null;
    try {
      const worker = new Worker(threadUrl('presend-worker', 'store/sqlite'), { workerData: { file: this.db.name, options: this.workerOptions } });
      this.worker = worker;
      this.workerReady = false;
      const exited = new Promise<void>((r) => worker.once('exit', () => r()));
      this.workerExited = exited;
      void exited.then(() => {
        if (this.workerExited === exited) this.workerExited = null;
      });
      // A CLI command that checks once ends when done, as with the slices' unref'd turns.
      worker.unref();
      snapshot = await new Promise<PresendSnapshot | null>((resolve) => {
        worker.on('message', (m: PresendSnapshot | 'ready' | null) => {
          if (m !== 'ready') return resolve(m);
          // its connection is open (the native module loaded): from now on it may be terminated
          this.workerReady = true;
          if (this.stopped) resolve(null);
        });
        worker.once('error', () => resolve(null));
        worker.once('exit', () => resolve(null));
      });
      // (an error or exit before 'ready' means the thread is gone or ending on its own)
      if (this.workerReady) void worker.terminate();
    } catch {
      snapshot = null;
    } finally {
      this.worker = null;
      this.workerReady = false;
    }
    if (this.stopped) return true;
    if (!snapshot) {
      this.useWorker = false;
      return false;
    }
    this.filter = BloomFilter.of(snapshot.bits, snapshot.added);
    this.accounts = snapshot.accounts;
    this.mark = snapshot.mark;
    this.verified = null;
    this.build = null;
    this.counts.rebuilds++;
    this.counts.workerBuilds++;
    return true;
  }

  /** Builds from nothing here, at once (the worker's side of buildInWorker): the memory at the mark it reached, or null. */
  async snapshotNow(): Promise<PresendSnapshot | null> {
    this.useWorker = false;
    this.inWorker = true;
    this.busy = true;
    await this.catchUp();
    if (!this.mark || !this.filter || !this.accounts) return null;
    return { mark: this.mark, bits: this.filter.bits, added: this.filter.added, accounts: this.accounts };
  }

  /**
   * One slice, inside one read transaction: the row and the rows read agree. Returns true when
   * the memory is now the database's state at this snapshot (the row is kept as its mark).
   */
  private slice(): boolean {
    const m = this.markStmt.get() as Mark | undefined;
    if (!m) {
      // No row (a database older than migration 30 cannot be here: the store migrates on open).
      this.stopped = true;
      return true;
    }
    const [generation, accountsSeq, high, reused] = m;
    const mine = this.mark;
    if (!this.build || this.build.generation !== generation || this.build.reused !== reused) {
      // From where the memory stands when nothing but new rows came (and the filter is not
      // too full); from nothing otherwise.
      if (mine !== null && this.canContinue(m)) {
        this.build = { filter: this.filter!, from: mine[2], generation, reused, full: false };
      } else {
        // Sized for the ids there are (the highest is a bound on the rows); the power of two above leaves room for more.
        const bits = this.fixedBits ?? Math.max(this.minBits, high * BITS_PER_KEY);
        this.build = { filter: new BloomFilter(bits), from: 0, generation, reused, full: true };
        this.counts.rebuilds++;
      }
    }
    const b = this.build;
    const rows = this.sliceStmt.all(b.from, this.sliceRows) as Array<[number, string, string]>;
    for (const r of rows) b.filter.add(r[1] + '\n' + r[2]);
    if (rows.length > 0) b.from = rows[rows.length - 1]![0];
    if (rows.length === this.sliceRows) {
      // More to read: an incremental pass keeps answering from the old mark meanwhile only if
      // it still holds (it does not: the row moved), so the statement answers until done.
      return false;
    }
    // The table is read up to this snapshot's end: the accounts too if they moved, then the mark.
    if (b.full || !mine || mine[1] !== accountsSeq || !this.accounts) this.accounts = this.readAccounts();
    this.filter = b.filter;
    this.mark = m;
    this.verified = null;
    this.build = null;
    return true;
  }

  private readAccounts(): Accounts {
    const exists = new Set(this.accountsStmt.all() as string[]);
    const policy = new Map<string, PolicyRow>();
    for (const r of this.policyStmt.all() as Array<[string, ChannelState, string | null, number | null, ChannelState, string | null, number | null, PolicyRow['review'], number]>) {
      policy.set(r[0], { marketing: r[1], suspension: r[2], suspendedAt: r[3], oneToOne: r[4], oneToOneSuspension: r[5], oneToOneSuspendedAt: r[6], review: r[7], updatedAt: r[8] });
    }
    const cancelled = new Map<string, number | null>();
    for (const r of this.cancelledStmt.all() as Array<[string, string, number | null]>) cancelled.set(r[0] + '\n' + r[1], r[2]);
    return { exists, policy, cancelled };
  }
}

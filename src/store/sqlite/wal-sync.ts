// The WAL's sync outside SQLite's write lock (issue #20; option `syncWalAfterCommit`, the
// daemon's intake connection).
//
// At synchronous=FULL SQLite fsyncs the WAL inside COMMIT, while it holds its write lock and
// the process holds its write turn (./write-turn.ts): every other writer (the processing
// thread's settling) waits for the disk too. Here the connection commits at NORMAL (the frames
// are written to the WAL, not synced), gives the turn and its mutex back, and only then waits
// for an fdatasync of the WAL made by this class, on libuv's pool: the settling and the next
// intake commit run during the sync. The caller acknowledges (the 250) only after that.
//
// Why that is as durable as FULL (test/reliability/powercut.test.ts checks it under a
// simulated power cut):
// - A commit's frames are appended to the WAL by write(2) before COMMIT returns. sync() waits
//   for an fdatasync that *began after* it was called (one already running may have begun
//   before the commit: the caller then waits for the next), so the frames are on the disk
//   when it resolves. Commits that arrive during one sync share the next: group commit.
// - Checkpoints: at NORMAL SQLite still syncs the WAL before a checkpoint copies frames into the
//   database file and syncs the database file after. It restarts the WAL from its beginning
//   (new salts; old frames no longer count) only after a complete checkpoint, so frames
//   overwritten before our fdatasync ran are already durable in the database file. A restart
//   writes the WAL's new header and syncs it before the first new frame (SQLite's own rule).
// - The file: SQLite replaces the -wal file (unlink, a new inode) only when the last connection
//   closes it, and this connection is open; `wal_checkpoint(TRUNCATE)` and journal_size_limit
//   truncate it in place. Still, before each sync the path's inode is compared with the open
//   fd's and the file re-opened if they differ.
// - The name: a new -wal file is durable only once its directory is: the data directory is
//   fsynced once after each (re)open, before the first sync through that fd resolves.
// - Errors: a failed fdatasync rejects its waiters (the edge answers 4xx: the sender keeps the
//   message) and every later sync (StoreError `unavailable`, hence the readiness probe): after
//   a failed fsync Linux may have dropped the dirty pages and a retry can "succeed" without
//   them, so nothing is acknowledged again until the daemon restarts (as PostgreSQL does).
// - Locks: SQLite's locks are fcntl(2) locks, which a close(2) of *any* fd of the same file
//   releases. SQLite takes none on the -wal file in WAL mode (they are on the database file
//   and the -shm), so opening and closing our own fd of the -wal file is safe; this class must
//   never open the database file itself.
import { statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StoreError } from '../store-error.js';

export class WalSync {
  private fh: FileHandle | null = null;
  private ino = -1;
  /** The fdatasync running now (it may have begun before a caller's commit). */
  private running: Promise<void> | null = null;
  /** The one that begins when `running` ends, shared by every caller that came meanwhile. */
  private queued: Promise<void> | null = null;
  private failed: StoreError | null = null;
  /** Syncs done (fdatasync calls that returned 0): for tests and the bench. */
  syncs = 0;

  constructor(private readonly dbFile: string) {}

  /** Resolves once an fdatasync of the WAL that began after this call has returned. */
  sync(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (!this.running) return this.start();
    this.queued ??= this.running
      .catch(() => {})
      .then(() => {
        this.queued = null;
        return this.failed ? Promise.reject(this.failed) : this.start();
      });
    return this.queued;
  }

  private start(): Promise<void> {
    const p: Promise<void> = this.syncNow().finally(() => {
      if (this.running === p) this.running = null;
    });
    this.running = p;
    return p;
  }

  private async syncNow(): Promise<void> {
    const fh = await this.file();
    try {
      await fh.datasync();
      this.syncs++;
    } catch (err) {
      this.failed = new StoreError('unavailable', `could not sync the WAL (${(err as Error).message}): nothing more is acknowledged until a restart`, (err as NodeJS.ErrnoException).code ?? null, { cause: err });
      throw this.failed;
    }
  }

  /** The open -wal file, re-opened (and its directory synced) when the path names another inode. */
  private async file(): Promise<FileHandle> {
    const wal = `${this.dbFile}-wal`;
    let ino: number;
    try {
      ino = statSync(wal).ino;
    } catch (err) {
      throw new StoreError('unavailable', `the WAL ${wal} is gone (${(err as Error).message})`, (err as NodeJS.ErrnoException).code ?? null, { cause: err });
    }
    if (this.fh && ino === this.ino) return this.fh;
    const old = this.fh;
    this.fh = null;
    await old?.close();
    try {
      const fh = await open(wal, 'r');
      if ((await fh.stat()).ino !== ino) {
        await fh.close();
        return this.file();
      }
      const dir = await open(dirname(wal), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      this.fh = fh;
      this.ino = ino;
      return fh;
    } catch (err) {
      throw new StoreError('unavailable', `could not open the WAL ${wal} to sync it (${(err as Error).message})`, (err as NodeJS.ErrnoException).code ?? null, { cause: err });
    }
  }

  /** After the last sync asked for has ended. */
  async close(): Promise<void> {
    await this.queued?.catch(() => {});
    await this.running?.catch(() => {});
    await this.fh?.close();
    this.fh = null;
  }
}

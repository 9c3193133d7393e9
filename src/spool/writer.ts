// One message's spool file, written as its DATA arrives (issue #20). The SMTP thread never
// waits for the disk: writes go through libuv's pool one after another, and when more than
// HIGH_WATER bytes wait for the disk the session's stream is paused (smtp-server then stops
// reading the socket: TCP holds the sender back), so a session holds at most about
// HIGH_WATER + one socket chunk besides its parse head, whatever the message's size.
// finish() makes the file durable before the 250: fsync of the file, then of its directory
// (a new name is durable only once the directory is synced, as Postfix does for queue files).
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpooledBytes } from '../store/contract.js';
import { newSpoolName, syncDir } from './dir.js';

/**
 * Bytes waiting for the disk before the session is paused; it resumes once they are written.
 * Small on purpose: a chunk that waits survives young-generation GCs and is then freed only
 * by a full one (20 sessions x 30 MB: 512 KiB here measured 176 MB of RSS growth, 64 KiB 142).
 */
export const HIGH_WATER = 64 * 1024;
export const LOW_WATER = 0;

export class SpoolWriter {
  readonly name = newSpoolName();
  private readonly file: Promise<FileHandle>;
  private chain: Promise<void> = Promise.resolve();
  private readonly hash = createHash('sha256');
  private waiting = 0;
  private paused = false;
  private error: Error | null = null;
  private size = 0;

  /** Creates the directory when missing (owner only: the messages are personal data). */
  static prepare(dir: string): void {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  constructor(
    private readonly dir: string,
    /** Called with true when the session should stop reading, false when it may go on. */
    private readonly pause: (paused: boolean) => void,
  ) {
    // 'wx': a new file, never an existing one; 0600 as the database.
    this.file = open(join(dir, this.name), 'wx', 0o600);
    // A failed open is seen by the first write (and by finish/discard); never unhandled.
    this.file.catch((err: Error) => this.fail(err));
  }

  /** The first fault (ENOSPC, EIO, ...), if any: the message cannot be stored. */
  get failed(): Error | null {
    return this.error;
  }

  private fail(err: Error): void {
    this.error ??= err;
  }

  /** Appends a chunk (in order). The chunk must not be changed afterwards. */
  write(chunk: Buffer): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (this.error) return;
    this.waiting += chunk.length;
    if (!this.paused && this.waiting > HIGH_WATER) {
      this.paused = true;
      this.pause(true);
    }
    this.chain = this.chain
      .then(async () => {
        if (this.error) return;
        const fh = await this.file;
        for (let at = 0; at < chunk.length; ) at += (await fh.write(chunk, at, chunk.length - at)).bytesWritten;
      })
      .catch((err: Error) => this.fail(err))
      .finally(() => {
        this.waiting -= chunk.length;
        if (this.paused && this.waiting <= LOW_WATER) {
          this.paused = false;
          this.pause(false);
        }
      });
  }

  /** Every byte on disk and the name durable; resolves with what the row records. Throws the first fault. */
  async finish(): Promise<SpooledBytes> {
    await this.chain;
    if (this.error) throw this.error;
    const fh = await this.file;
    await fh.sync();
    await fh.close();
    await syncDir(this.dir);
    return { file: this.name, size: this.size, sha256: this.hash.digest('hex') };
  }

  /** Drops the file (a refused or broken message). Never throws. */
  async discard(): Promise<void> {
    this.fail(new Error('discarded'));
    await this.chain;
    try {
      await (await this.file).close();
    } catch {
      // never opened, or already closed by finish()
    }
    await unlink(join(this.dir, this.name)).catch(() => {});
  }
}

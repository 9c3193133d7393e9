// One message's spool file, written as its DATA arrives (issue #20). The SMTP thread never
// waits for the disk: writes go through libuv's pool one after another, and when more than
// HIGH_WATER bytes wait for the disk the session's stream is paused (smtp-server then stops
// reading the socket: TCP holds the sender back), so a session holds at most about
// HIGH_WATER + one socket chunk besides its parse head, whatever the message's size.
// finish() makes the file durable before the 250: fsync of the file, then of its directory
// (a new name is durable only once the directory is synced, as Postfix does for queue files).
import { createHash } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpooledBytes } from '../store/contract.js';
import { newSpoolName, syncDir } from './dir.js';
import { makeDirs } from '../make-dirs.js';

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
  /** Chunks not yet handed to the disk, in order. */
  private pending: Buffer[] = [];
  /** The write loop, while one runs. */
  private writing: Promise<void> | null = null;
  private readonly hash = createHash('sha256');
  private waiting = 0;
  private paused = false;
  private error: Error | null = null;
  private size = 0;

  /** Creates the directory when missing (owner only: the messages are personal data). */
  static prepare(dir: string): void {
    makeDirs(dir, 0o700);
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
    this.pending.push(chunk);
    this.waiting += chunk.length;
    if (!this.paused && this.waiting > HIGH_WATER) {
      this.paused = true;
      this.pause(true);
    }
    this.writing ??= this.drain();
  }

  /**
   * Writes what is pending, in order, until nothing is: each turn takes every chunk that came
   * while the last write ran, in one writev(2) (the DATA stream hands over the socket's reads as
   * they are, and the few bytes smtp-server's parser held back on their own: ../listener/data-stream.ts).
   */
  private async drain(): Promise<void> {
    try {
      const fh = await this.file;
      while (this.pending.length && !this.error) {
        const batch = this.pending;
        this.pending = [];
        let bytes = 0;
        for (const b of batch) bytes += b.length;
        try {
          await writeAll(fh, batch, bytes);
        } finally {
          this.waiting -= bytes;
        }
        this.resumeIfDrained();
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      // After a fault nothing more is written: the session reads on to the end (and gets 4xx).
      this.pending = [];
      this.waiting = 0;
      this.resumeIfDrained();
      this.writing = null;
    }
  }

  private resumeIfDrained(): void {
    if (this.paused && this.waiting <= LOW_WATER) {
      this.paused = false;
      this.pause(false);
    }
  }

  /** Resolves once nothing is pending or being written. */
  private async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Every byte on disk and the name durable; resolves with what the row records. Throws the first fault. */
  async finish(): Promise<SpooledBytes> {
    await this.idle();
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
    await this.idle();
    try {
      await (await this.file).close();
    } catch {
      // never opened, or already closed by finish()
    }
    await unlink(join(this.dir, this.name)).catch(() => {});
  }
}

/** Writes `bufs` (`bytes` in all) at the file's position, resuming after a short write. */
async function writeAll(fh: FileHandle, bufs: Buffer[], bytes: number): Promise<void> {
  let rest = bufs;
  let left = bytes;
  while (left > 0) {
    const { bytesWritten } = rest.length === 1 ? await fh.write(rest[0]!, 0, rest[0]!.length) : await fh.writev(rest);
    left -= bytesWritten;
    if (left > 0) rest = skip(rest, bytesWritten);
  }
}

/** `bufs` without their first `n` bytes. */
function skip(bufs: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < bufs.length && n >= bufs[i]!.length) n -= bufs[i++]!.length;
  const rest = bufs.slice(i);
  if (n > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}

import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import TailFile from '@logdna/tail-file';
import type { Logger } from '../log.js';
import { applyLogEvent, type LogOutcome } from '../pipeline/log-evidence.js';
import type { Store } from '../store/types.js';
import type { VerpCodec } from '../verp/index.js';
import { parseLogLine } from './parse.js';

// Follows a Postfix log and turns its lines into delivery evidence.
//
// Exactly once: the position (inode + byte offset of the last complete line handled) is
// written in the same transaction as the evidence of the lines before it, so a crash
// replays at most an uncommitted batch, and evidence is keyed by the line (a replayed line
// changes nothing). Following and rotation (rename, copy-truncate) are @logdna/tail-file's
// job. What it cannot see is a rotation while we were stopped: then the checkpoint's inode
// is looked for beside the log (maillog.1, ...) and its unread end is read first.

export interface TailStats {
  lines: number;
  unparsed: number;
  outcomes: Record<LogOutcome, number>;
}

export interface TailerOptions {
  path: string;
  store: Store;
  verp: VerpCodec;
  log: Logger;
  /** Lines per transaction. */
  batchLines?: number;
  pollMs?: number;
  now?: () => number;
  /** Called after each committed batch (metrics, tests). */
  onBatch?: (stats: TailStats) => void;
}

const emptyStats = (): TailStats => ({
  lines: 0,
  unparsed: 0,
  outcomes: { matched: 0, duplicate: 0, unmatched: 0, foreign: 0, ignored: 0 },
});

export class LogTailer {
  private inode = 0;
  private stopped = false;
  private offset = 0;
  private partial: Buffer = Buffer.alloc(0);
  private tail: TailFile | null = null;
  /** Complete lines waiting to be committed, and file changes in their order. */
  private queue: Array<{ buf: Buffer; virtual: number } | { reset: true }> = [];
  private working: Promise<void> = Promise.resolve();
  readonly totals = emptyStats();
  private readonly batchLines: number;
  private readonly now: () => number;

  constructor(private readonly opts: TailerOptions) {
    this.batchLines = opts.batchLines ?? 500;
    this.now = opts.now ?? Date.now;
  }

  /** Reads from the checkpoint to the end of the file, records it, and resolves. */
  async runOnce(): Promise<TailStats> {
    const before = structuredClone(this.totals);
    await this.catchUp();
    const d = emptyStats();
    d.lines = this.totals.lines - before.lines;
    d.unparsed = this.totals.unparsed - before.unparsed;
    for (const k of Object.keys(d.outcomes) as LogOutcome[]) d.outcomes[k] = this.totals.outcomes[k] - before.outcomes[k];
    return d;
  }

  /** Catches up, then follows the file until stop(). */
  async start(): Promise<void> {
    this.stopped = false;
    try {
      await this.catchUp();
    } catch (err) {
      // Postfix may not have written its log yet: wait for it rather than fail the daemon.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.opts.log.warn({ evt: 'TAIL_FILE_MISSING', file: this.opts.path }, 'log file does not exist yet; waiting for it');
      void this.waitAndFollow('checkpoint');
      return;
    }
    await this.follow(this.offset);
  }

  private async follow(startPos: number): Promise<void> {
    const tail = new TailFile(this.opts.path, { startPos, pollFileIntervalMs: this.opts.pollMs ?? 500, maxPollFailures: 5, pollFailureRetryMs: 100 });
    this.tail = tail;
    tail.on('data', (chunk: Buffer) => this.feed(chunk));
    // The remainder of the old file was pushed before these events; a last line without
    // its newline ends with its file.
    const restart = () => {
      this.flushPartialAsLine();
      this.queue.push({ reset: true });
      this.schedule();
    };
    tail.on('renamed', () => {
      this.opts.log.info({ evt: 'TAIL_ROTATED', how: 'rename' }, 'log file rotated');
      restart();
    });
    tail.on('truncated', () => {
      this.opts.log.info({ evt: 'TAIL_ROTATED', how: 'truncate' }, 'log file truncated');
      restart();
    });
    tail.on('tail_error', (err: Error) => this.opts.log.warn({ evt: 'TAIL_ERROR', err }, 'tail error'));
    // The file is gone (deleted, or renamed with no new file yet); tail-file has already
    // pushed the end of the old one. Whatever appears under the name next is a new file,
    // even if the file system hands it the same inode (which tail-file cannot tell apart),
    // so we follow it from its start.
    let gone = false;
    const onGone = () => {
      if (gone || this.stopped) return;
      gone = true;
      this.opts.log.info({ evt: 'TAIL_FILE_GONE' }, 'log file gone; waiting for it to reappear');
      restart();
      this.tail = null;
      // quit() polls once more; whatever it finds belongs to the new file, read from 0 below.
      tail.removeAllListeners('data');
      void tail.quit().catch(() => {});
      void this.waitAndFollow('start');
    };
    tail.on('retry', onGone);
    tail.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return onGone();
      if (!this.stopped) this.opts.log.error({ evt: 'TAIL_FAILED', err }, 'tailer stopped');
    });
    await tail.start();
  }

  /** Waits for the file, then follows it from its start or from the checkpoint. */
  private async waitAndFollow(from: 'start' | 'checkpoint'): Promise<void> {
    while (!this.stopped) {
      try {
        await stat(this.opts.path);
      } catch {
        await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 500));
        continue;
      }
      await this.working;
      if (from === 'checkpoint') await this.catchUp();
      return this.follow(from === 'start' ? 0 : this.offset);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tail) {
      await this.tail.quit().catch(() => {});
      this.tail = null;
    }
    await this.working;
  }

  /** Where the checkpoint says to start, handling a rotation or truncation while stopped. */
  private async catchUp(): Promise<void> {
    const { path } = this.opts;
    const st = await stat(path);
    const cp = this.opts.store.lifecycle.getCheckpoint(path);
    this.inode = st.ino;
    this.offset = 0;
    if (cp && cp.inode === st.ino) {
      // Same file: go on where we were, unless it shrank (copy-truncate) under us.
      this.offset = cp.offset <= st.size ? cp.offset : 0;
    } else if (cp) {
      const old = await findByInode(dirname(path), cp.inode, basename(path));
      if (old) {
        this.opts.log.info({ evt: 'TAIL_CATCH_UP_ROTATED', file: old }, 'reading the end of the rotated log');
        const oldSize = (await stat(old)).size;
        if (cp.offset < oldSize) {
          this.inode = cp.inode;
          this.offset = cp.offset;
          await this.readRange(old, cp.offset);
          this.flushPartialAsLine();
          await this.working;
        }
      }
      this.inode = st.ino;
      this.offset = 0;
    }
    await this.readRange(path, this.offset);
    await this.working;
  }

  private readRange(file: string, start: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = createReadStream(file, { start });
      stream.on('data', (chunk) => this.feed(chunk as Buffer));
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
  }

  /** Splits chunks into complete lines; the tail of a chunk waits for its newline. */
  private feed(chunk: Buffer): void {
    const data = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    const last = data.lastIndexOf(0x0a);
    if (last < 0) {
      this.partial = data;
      return;
    }
    this.partial = data.subarray(last + 1);
    this.queue.push({ buf: data.subarray(0, last + 1), virtual: 0 });
    this.schedule();
  }

  private flushPartialAsLine(): void {
    if (!this.partial.length) return;
    // The newline we add is not in the file: it must not move the offset.
    this.queue.push({ buf: Buffer.concat([this.partial, Buffer.from('\n')]), virtual: 1 });
    this.partial = Buffer.alloc(0);
    this.schedule();
  }

  private schedule(): void {
    this.working = this.working.then(() => this.drain());
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const item = this.queue.shift()!;
      if ('reset' in item) {
        // Everything queued before this came from the previous file.
        try {
          this.inode = (await stat(this.opts.path)).ino;
        } catch {
          /* gone for now: tail-file retries and tells us again */
        }
        this.offset = 0;
        continue;
      }
      const { buf, virtual } = item;
      let pos = 0;
      while (pos < buf.length) {
        // One transaction per batch of lines, with the checkpoint after its last line.
        let end = pos;
        let n = 0;
        while (end < buf.length && n < this.batchLines) {
          const nl = buf.indexOf(0x0a, end);
          end = nl < 0 ? buf.length : nl + 1;
          n++;
        }
        this.commit(buf.subarray(pos, end), end === buf.length ? virtual : 0);
        pos = end;
        // Let SMTP sessions and timers run between batches of a big catch-up.
        await new Promise<void>((r) => setImmediate(r));
      }
    }
  }

  private commit(chunk: Buffer, virtual: number): void {
    const { store, verp, log } = this.opts;
    const now = this.now();
    const stats = emptyStats();
    const bytes = chunk.length - virtual;
    const text = chunk.toString('utf8');
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    // Evidence is keyed by line and the checkpoint only moves forward with it: if a power cut
    // loses this commit, the lines are read again and change nothing twice.
    store.withoutSync(() => {
      for (const raw of lines) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        stats.lines++;
        const event = parseLogLine(line, now);
        if (!event) {
          stats.unparsed++;
          log.debug({ evt: 'TAIL_LINE_UNPARSED', line: line.slice(0, 200) }, 'log line not understood');
          continue;
        }
        stats.outcomes[applyLogEvent(event, line, { lifecycle: store.lifecycle, verp, now })]++;
      }
      const prev = store.lifecycle.getCheckpoint(this.opts.path);
      store.lifecycle.setCheckpoint(
        {
          path: this.opts.path,
          inode: this.inode,
          offset: this.offset + bytes,
          lines: (prev?.lines ?? 0) + stats.lines,
          unparsed: (prev?.unparsed ?? 0) + stats.unparsed,
        },
        now,
      );
    });
    this.offset += bytes;
    this.totals.lines += stats.lines;
    this.totals.unparsed += stats.unparsed;
    for (const k of Object.keys(stats.outcomes) as LogOutcome[]) this.totals.outcomes[k] += stats.outcomes[k];
    this.opts.onBatch?.(stats);
  }
}

/** A file in `dir` (other than `except`) with this inode: where a rotated log went. */
async function findByInode(dir: string, inode: number, except: string): Promise<string | null> {
  for (const name of await readdir(dir)) {
    if (name === except) continue;
    try {
      const st = await stat(join(dir, name));
      if (st.isFile() && st.ino === inode) return join(dir, name);
    } catch {
      /* vanished meanwhile */
    }
  }
  return null;
}

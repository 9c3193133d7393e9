import { createReadStream, statSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import TailFile from '@logdna/tail-file';
import type { Logger } from '../log.js';
import { repeated } from '../log-repeat.js';
import { applyLogEvent, type LogOutcome } from '../pipeline/log-evidence.js';
import type { PolicyRules } from '../policy/apply.js';
import type { Store, TailCheckpoint } from '../store/contract.js';
import type { VerpCodec } from '../verp/index.js';
import { parseLogLine } from './parse.js';

// Follows a Postfix log and turns its lines into delivery evidence.
//
// Exactly once: the position (inode + byte offset of the last complete line handled, and the
// file's first bytes) is written in the same transaction as the evidence of the lines before
// it, so a crash replays at most an uncommitted batch, and evidence is keyed by the line (a
// replayed line changes nothing). Following and rotation (rename, copy-truncate) are
// @logdna/tail-file's job. What it cannot see is a rotation while we were stopped: then the
// checkpoint's file is looked for beside the log, by inode (maillog.1) or by its first bytes
// (maillog.1.gz: logrotate's `compress` makes a new file; a copy made by `copytruncate`), its
// unread end is read first (gunzipped as a stream when compressed), then the files rotated
// after it, then the log. What cannot be found or read is counted and said (TAIL_UNREAD).
//
// A tailer failure never stops the daemon: a log that becomes unreadable (Postfix < 3.9's
// `postfix logrotate` recreates it 0600 root), is replaced by something that is not a file,
// or a store fault that fails a commit puts the tailer in the `failing` state (said by
// health(), hence /readyz and the metrics); it retries with back-off and resumes from its
// checkpoint, so nothing is lost or counted twice. Whatever was read but not committed is
// dropped and read again from the checkpoint.

/** How many first bytes of a file identify it (Postfix lines start with a time and a pid). */
export const HEAD_BYTES = 256;

export interface TailStats {
  lines: number;
  unparsed: number;
  outcomes: Record<LogOutcome, number>;
}

/** A part of the log that could not be read while catching up (lines possibly lost). */
export interface UnreadReport {
  /** The rotated file, or null when it was not found. */
  file: string | null;
  reason: string;
  /** Bytes (uncompressed) of that file that had been read. */
  offset: number;
}

export interface TailerHealth {
  state: 'idle' | 'following' | 'waiting' | 'failing' | 'stopped';
  ok: boolean;
  /** Why not, or what it waits for. */
  reason?: string;
  /** The current failure's code: EACCES, EISDIR, NOT_A_FILE, SQLITE_BUSY, ... */
  code?: string;
}

export interface TailerOptions {
  path: string;
  store: Store;
  /** The account policy: the log's evidence goes through it as a DSN's does. */
  rules: PolicyRules;
  verp: VerpCodec;
  log: Logger;
  /** Lines per transaction. */
  batchLines?: number;
  pollMs?: number;
  /** First retry after a failure; doubles up to retryMaxMs. Default: max(pollMs, 250). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  now?: () => number;
  /** Called after each committed batch (metrics, tests). */
  onBatch?: (stats: TailStats) => void;
  /** Called for each part of the log that could not be read while catching up. */
  onUnread?: (report: UnreadReport) => void;
}

const emptyStats = (): TailStats => ({
  lines: 0,
  unparsed: 0,
  outcomes: { matched: 0, duplicate: 0, unmatched: 0, foreign: 0, ignored: 0 },
});

/** Thrown inside a read that a failure (or stop) has made stale: already handled. */
class Superseded extends Error {}

/** A failure's code: the file system's (EACCES, ...), or the database driver's under a StoreError (SQLITE_BUSY, ...). */
const codeOf = (err: unknown): string => String((err as { driverCode?: unknown })?.driverCode ?? (err as { code?: unknown })?.code ?? 'ERROR');

function notAFile(path: string): Error {
  return Object.assign(new Error(`${path} is not a regular file`), { code: 'NOT_A_FILE' });
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

export class LogTailer {
  private inode = 0;
  private offset = 0;
  /** The first bytes of the file being read (up to HEAD_BYTES). */
  private head: Buffer = Buffer.alloc(0);
  private stopped = false;
  private partial: Buffer = Buffer.alloc(0);
  private tail: TailFile | null = null;
  /** Complete lines waiting to be committed, and file changes in their order. */
  private queue: Array<{ buf: Buffer; virtual: number } | { reset: true }> = [];
  private working: Promise<void> = Promise.resolve();
  /** Bumped by every failure, restart and stop: reads and handlers of an older one stop. */
  private gen = 0;
  private mode: 'follow' | 'once' = 'follow';
  private failedWith: unknown = null;
  private failure: { code: string; message: string; since: number; attempts: number; nextRetryAt: number } | null = null;
  private waitingSince: number | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private started = false;
  readonly totals = emptyStats();
  private readonly batchLines: number;
  private readonly now: () => number;
  private readonly pollMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly opts: TailerOptions) {
    this.batchLines = opts.batchLines ?? 500;
    this.now = opts.now ?? Date.now;
    this.pollMs = opts.pollMs ?? 500;
    this.retryBaseMs = opts.retryBaseMs ?? Math.max(this.pollMs, 250);
    this.retryMaxMs = opts.retryMaxMs ?? 60_000;
  }

  /** Reads from the checkpoint to the end of the file, records it, and resolves; rejects on a fault. */
  async runOnce(): Promise<TailStats> {
    this.mode = 'once';
    const before = structuredClone(this.totals);
    const gen = ++this.gen;
    try {
      await this.catchUp(gen);
    } catch (err) {
      throw err instanceof Superseded ? this.failedWith : err;
    }
    const d = emptyStats();
    d.lines = this.totals.lines - before.lines;
    d.unparsed = this.totals.unparsed - before.unparsed;
    for (const k of Object.keys(d.outcomes) as LogOutcome[]) d.outcomes[k] = this.totals.outcomes[k] - before.outcomes[k];
    return d;
  }

  /** Catches up, then follows the file until stop(). Never fails: faults are retried (see health()). */
  async start(): Promise<void> {
    this.stopped = false;
    this.started = true;
    this.mode = 'follow';
    await this.resume();
  }

  /**
   * Bytes of the log written and not read yet: its size minus the offset read to, while the
   * file at the path is the one being read. While a rotated file is being caught up the
   * whole current file is unread. Null when the log cannot be looked at (not there yet).
   */
  lagBytes(): number | null {
    let st;
    try {
      st = statSync(this.opts.path);
    } catch {
      return null;
    }
    return st.ino === this.inode ? Math.max(0, st.size - this.offset) : st.size;
  }

  /** Following, waiting for the file to appear, or failing (with why and when it retries). */
  health(): TailerHealth {
    if (this.failure) {
      const f = this.failure;
      const retryIn = Math.max(0, Math.ceil((f.nextRetryAt - Date.now()) / 1000));
      return {
        state: 'failing',
        ok: false,
        code: f.code,
        reason: `${f.message} (failing since ${new Date(f.since).toISOString()}, ${f.attempts} attempt${f.attempts > 1 ? 's' : ''}, next in ${retryIn} s; it resumes from its checkpoint)`,
      };
    }
    if (this.stopped) return { state: 'stopped', ok: false, reason: 'the tailer is stopped' };
    if (!this.started) return { state: 'idle', ok: false, reason: 'the tailer has not started' };
    if (this.waitingSince !== null) return { state: 'waiting', ok: true, reason: `${this.opts.path} does not exist yet` };
    return { state: 'following', ok: true };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    // The final poll's lines are still committed with their checkpoint before we return.
    const tail = this.tail;
    this.tail = null;
    // quit() waits for one last poll, which never ends if the file just became unreadable.
    if (tail) await Promise.race([tail.quit().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())]);
    await this.working;
    this.gen++;
  }

  /** (Re)starts from the checkpoint; a fault schedules the next attempt. */
  private async resume(): Promise<void> {
    if (this.stopped) return;
    await this.working;
    const gen = ++this.gen;
    this.queue = [];
    this.partial = Buffer.alloc(0);
    try {
      await this.catchUp(gen);
      if (gen !== this.gen || this.stopped) return;
      await this.follow(this.offset, gen);
    } catch (err) {
      if (err instanceof Superseded || gen !== this.gen || this.stopped) return;
      // Postfix may not have written its log yet: wait for it rather than call it a fault.
      if (codeOf(err) === 'ENOENT') return this.waitForFile();
      return this.fail(err);
    }
    if (gen !== this.gen) return;
    if (this.failure) this.opts.log.info({ evt: 'TAIL_RECOVERED', file: this.opts.path, after: this.failure.attempts }, 'the log is readable again; resumed from the checkpoint');
    this.failure = null;
    this.waitingSince = null;
  }

  private waitForFile(): void {
    if (this.waitingSince === null) {
      this.waitingSince = Date.now();
      this.opts.log.warn({ evt: 'TAIL_FILE_MISSING', file: this.opts.path }, 'log file does not exist yet; waiting for it');
    }
    this.failure = null;
    this.retryAfter(this.pollMs);
  }

  /** Something failed: drop what is not committed, say so, and try again later from the checkpoint. */
  private fail(err: unknown): void {
    if (this.stopped) return;
    this.gen++;
    this.failedWith = err;
    const tail = this.tail;
    this.tail = null;
    if (tail) abandon(tail);
    this.queue = [];
    this.partial = Buffer.alloc(0);
    if (this.mode === 'once') return;
    const code = codeOf(err);
    const attempts = (this.failure?.attempts ?? 0) + 1;
    const delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(attempts - 1, 20));
    const text = (err as Error)?.message ?? String(err);
    const message = text.startsWith(code) ? text : `${code}: ${text}`;
    this.failure = { code, message, since: this.failure?.since ?? Date.now(), attempts, nextRetryAt: Date.now() + delay };
    this.waitingSince = null;
    repeated.log(
      this.opts.log,
      'error',
      { evt: 'TAIL_FAILING', file: this.opts.path, code, err, attempts, retryInMs: delay },
      'cannot follow the log (SMTP and the API go on); retrying from the checkpoint',
    );
    this.retryAfter(delay);
  }

  private retryAfter(ms: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    // Not unref'd: `bounced tail` has nothing else keeping it alive while it retries.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.resume();
    }, ms);
  }

  private async follow(startPos: number, gen: number): Promise<void> {
    const tail = new TailFile(this.opts.path, { startPos, pollFileIntervalMs: this.pollMs, maxPollFailures: 5, pollFailureRetryMs: 100 });
    this.tail = tail;
    const live = () => gen === this.gen && this.tail === tail;
    tail.on('data', (chunk: Buffer) => {
      if (gen === this.gen) this.feed(chunk);
    });
    // The remainder of the old file was pushed before these events; a last line without
    // its newline ends with its file.
    const restart = () => {
      this.flushPartialAsLine();
      this.queue.push({ reset: true });
      this.schedule();
    };
    tail.on('renamed', () => {
      if (!live()) return;
      this.opts.log.info({ evt: 'TAIL_ROTATED', how: 'rename' }, 'log file rotated');
      restart();
    });
    tail.on('truncated', () => {
      if (!live()) return;
      this.opts.log.info({ evt: 'TAIL_ROTATED', how: 'truncate' }, 'log file truncated');
      restart();
    });
    tail.on('tail_error', (err: Error & { code?: string; meta?: { actual?: unknown } }) => {
      if (!live()) return;
      // ETAIL: the file could not be read (unreadable in place, replaced by a directory):
      // tail-file would poll and fail forever without a word.
      if (err.code === 'ETAIL') return this.fail(err.meta?.actual ?? err);
      repeated.log(this.opts.log, 'warn', { evt: 'TAIL_ERROR', err }, 'tail error');
    });
    // The file is gone (deleted, or renamed with no new file yet); tail-file has already
    // pushed the end of the old one. Whatever appears under the name next is a new file,
    // even if the file system hands it the same inode (which tail-file cannot tell apart),
    // so we follow it from its start.
    let gone = false;
    const onGone = () => {
      if (gone || !live() || this.stopped) return;
      gone = true;
      this.opts.log.info({ evt: 'TAIL_FILE_GONE' }, 'log file gone; waiting for it to reappear');
      restart();
      this.tail = null;
      // Whatever it would still read belongs to the new file, read from 0 below.
      abandon(tail);
      void this.waitAndFollow(gen);
    };
    tail.on('retry', onGone);
    tail.on('error', (err: NodeJS.ErrnoException) => {
      if (!live() || this.stopped) return;
      if (err.code === 'ENOENT') return onGone();
      this.fail(err);
    });
    await tail.start();
  }

  /** After the file went away: waits for a new one and follows it from its start. */
  private async waitAndFollow(gen: number): Promise<void> {
    try {
      while (!this.stopped && gen === this.gen) {
        let st;
        try {
          st = await stat(this.opts.path);
        } catch (err) {
          if (codeOf(err) !== 'ENOENT') throw err;
          await new Promise((r) => setTimeout(r, this.pollMs));
          continue;
        }
        await this.settle(gen);
        if (!st.isFile()) throw notAFile(this.opts.path);
        this.inode = st.ino;
        this.offset = 0;
        this.head = Buffer.alloc(0);
        return await this.follow(0, gen);
      }
    } catch (err) {
      if (!(err instanceof Superseded) && gen === this.gen) this.fail(err);
    }
  }

  /** Waits for the queue to be committed; throws Superseded if a failure intervened. */
  private async settle(gen: number): Promise<void> {
    await this.working;
    if (gen !== this.gen) throw new Superseded();
  }

  /** Where the checkpoint says to start, handling a rotation or truncation while stopped. */
  private async catchUp(gen: number): Promise<void> {
    const { path } = this.opts;
    const st = await stat(path);
    if (!st.isFile()) throw notAFile(path);
    const currentHead = await readHead(path, HEAD_BYTES);
    const cp = await this.opts.store.tail.checkpoint(path);
    let resumeAt = 0;
    if (cp && cp.inode === st.ino && sameStart(cp.head, currentHead) && cp.offset <= st.size) {
      // Same file: go on where we were.
      resumeAt = cp.offset;
    } else if (cp && cp.offset > 0) {
      // The file we were in was rotated (renamed, compressed, or copied and truncated) while we were stopped.
      await this.readRotated(cp, st.ino, gen);
      // Done with the rotated files (or with reporting what could not be read of them): the
      // checkpoint moves to the start of the log now, not with its first line, so that a
      // restart before that line neither reads nor reports them again.
      await this.moveCheckpoint(st.ino, 0, currentHead);
    }
    this.inode = st.ino;
    this.offset = resumeAt;
    this.head = currentHead;
    await this.readFrom({ file: path, gz: false }, resumeAt, gen);
    await this.settle(gen);
  }

  /** The unread end of the checkpoint's file, then the files rotated after it, in order. */
  private async readRotated(cp: TailCheckpoint, currentIno: number, gen: number): Promise<void> {
    const { path, log } = this.opts;
    const family = await rotatedFamily(path, currentIno);
    let found = family.find((f) => f.ino === cp.inode);
    if (!found && cp.head?.length) {
      for (const f of [...family].sort((a, b) => b.mtimeMs - a.mtimeMs)) {
        if (sameStart(cp.head, await readHead(f.file, cp.head.length).catch(() => null), true)) {
          found = f;
          break;
        }
      }
    }
    if (!found) {
      this.reportUnread({ file: null, reason: 'the rotated log file was not found beside the log (deleted, or moved elsewhere)', offset: cp.offset });
      return;
    }
    const gz = await isGzip(found.file);
    log.info({ evt: 'TAIL_CATCH_UP_ROTATED', file: found.file, compressed: gz }, 'reading the end of the rotated log');
    this.inode = cp.inode;
    this.offset = cp.offset;
    this.head = cp.head ?? Buffer.alloc(0);
    await this.readWhole({ file: found.file, gz }, cp.offset, gen);
    // Files rotated after it (stopped across several rotations) are read whole, oldest first.
    for (const f of family.filter((x) => x !== found && x.mtimeMs > found.mtimeMs).sort((a, b) => a.mtimeMs - b.mtimeMs)) {
      const fgz = await isGzip(f.file);
      log.info({ evt: 'TAIL_CATCH_UP_ROTATED', file: f.file, compressed: fgz, whole: true }, 'reading a log file rotated while stopped');
      this.inode = f.ino;
      this.offset = 0;
      this.head = Buffer.alloc(0);
      await this.readWhole({ file: f.file, gz: fgz }, 0, gen);
    }
  }

  /** Reads a rotated file from `start` to its end; a corrupt or cut compressed file is read as far as it goes and reported. */
  private async readWhole(src: { file: string; gz: boolean }, start: number, gen: number): Promise<void> {
    try {
      await this.readFrom(src, start, gen);
    } catch (err) {
      if (err instanceof Superseded || !src.gz || !isZlibError(err)) throw err;
      // The committed lines stand; the cut line and whatever followed cannot be read.
      this.partial = Buffer.alloc(0);
      await this.settle(gen);
      this.reportUnread({ file: src.file, reason: `compressed file is damaged: ${codeOf(err)}: ${(err as Error).message}`, offset: this.offset });
      return;
    }
    this.flushPartialAsLine();
    await this.settle(gen);
  }

  private reportUnread(report: UnreadReport): void {
    this.opts.log.warn({ evt: 'TAIL_UNREAD', ...report }, 'part of a rotated log could not be read; its lines are not recorded');
    this.opts.onUnread?.(report);
  }

  /** Feeds a file from `start` (bytes after decompression), pausing while commits catch up. */
  private readFrom(src: { file: string; gz: boolean }, start: number, gen: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const raw = createReadStream(src.file, src.gz ? {} : { start });
      const stream: Readable = src.gz ? raw.pipe(createGunzip()) : raw;
      if (src.gz) raw.on('error', (err) => stream.destroy(err));
      let skip = src.gz ? start : 0;
      stream.on('data', (chunk: Buffer) => {
        if (gen !== this.gen) {
          stream.destroy();
          return reject(new Superseded());
        }
        if (skip > 0) {
          const n = Math.min(skip, chunk.length);
          skip -= n;
          chunk = chunk.subarray(n);
          if (!chunk.length) return;
        }
        this.feed(chunk);
        // Backpressure: a big catch-up (a day of compressed log) is not held in memory whole.
        if (this.queue.length > 8) {
          stream.pause();
          void this.working.then(() => stream.resume());
        }
      });
      stream.on('error', reject);
      stream.on('end', () => {
        if (skip > 0) return reject(Object.assign(new Error(`${src.file} is shorter than the checkpoint (${start} bytes)`), { code: 'SHORT_FILE' }));
        resolve();
      });
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
    const gen = this.gen;
    // A commit that fails (store fault) fails the tailer, never this chain: it must not
    // reject (nobody awaits it: an unhandled rejection would end the process).
    this.working = this.working.then(() => this.drain(gen)).catch((err) => this.fail(err));
  }

  private async drain(gen: number): Promise<void> {
    while (this.queue.length && gen === this.gen) {
      const item = this.queue.shift()!;
      if ('reset' in item) {
        // Everything queued before this came from the previous file.
        try {
          this.inode = (await stat(this.opts.path)).ino;
        } catch {
          /* gone for now: tail-file retries and tells us again */
        }
        this.offset = 0;
        this.head = Buffer.alloc(0);
        continue;
      }
      const { buf, virtual } = item;
      let pos = 0;
      while (pos < buf.length) {
        if (gen !== this.gen) return;
        // One transaction per batch of lines, with the checkpoint after its last line.
        let end = pos;
        let n = 0;
        while (end < buf.length && n < this.batchLines) {
          const nl = buf.indexOf(0x0a, end);
          end = nl < 0 ? buf.length : nl + 1;
          n++;
        }
        await this.commit(buf.subarray(pos, end), end === buf.length ? virtual : 0);
        pos = end;
        // Let SMTP sessions and timers run between batches of a big catch-up.
        await new Promise<void>((r) => setImmediate(r));
      }
    }
  }

  private async moveCheckpoint(inode: number, offset: number, head: Buffer): Promise<void> {
    const { store, path } = this.opts;
    const now = this.now();
    await store.transaction(async (tx) => {
      const prev = await tx.tail.checkpoint(path);
      await tx.tail.setCheckpoint({ path, inode, offset, lines: prev?.lines ?? 0, unparsed: prev?.unparsed ?? 0, head }, now);
    }, { durable: false });
  }

  private async commit(chunk: Buffer, virtual: number): Promise<void> {
    const { store, rules, verp, log } = this.opts;
    const now = this.now();
    const stats = emptyStats();
    const bytes = chunk.length - virtual;
    const text = chunk.toString('utf8');
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    // The file's first bytes go with the checkpoint while we read them (they identify the file).
    const head =
      this.offset < HEAD_BYTES && this.head.length === this.offset
        ? Buffer.concat([this.head, chunk.subarray(0, Math.min(bytes, HEAD_BYTES - this.offset))])
        : this.head;
    // Evidence is keyed by line and the checkpoint only moves forward with it: if a power cut
    // loses this commit, the lines are read again and change nothing twice.
    await rules.transaction(store, now, async (policy) => {
      for (const raw of lines) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        stats.lines++;
        const event = parseLogLine(line, now);
        if (!event) {
          stats.unparsed++;
          log.debug({ evt: 'TAIL_LINE_UNPARSED', line: line.slice(0, 200) }, 'log line not understood');
          continue;
        }
        stats.outcomes[await applyLogEvent(event, line, { policy, verp })]++;
      }
      const prev = await policy.tx.tail.checkpoint(this.opts.path);
      await policy.tx.tail.setCheckpoint(
        {
          path: this.opts.path,
          inode: this.inode,
          offset: this.offset + bytes,
          lines: (prev?.lines ?? 0) + stats.lines,
          unparsed: (prev?.unparsed ?? 0) + stats.unparsed,
          head,
        },
        now,
      );
    }, { durable: false });
    this.offset += bytes;
    this.head = head;
    this.totals.lines += stats.lines;
    this.totals.unparsed += stats.unparsed;
    for (const k of Object.keys(stats.outcomes) as LogOutcome[]) this.totals.outcomes[k] += stats.outcomes[k];
    this.opts.onBatch?.(stats);
  }
}

/**
 * Stops a TailFile without its last poll (quit() without an error polls once more and waits
 * for a read that never comes when the file is unreadable). The 'error' it emits goes to a
 * handler that ignores a tail that is no longer the current one.
 */
function abandon(tail: TailFile): void {
  tail.removeAllListeners('data');
  // quit(err) is in tail-file's code (lib/tail-file.js) but not in its typings.
  const quit = tail.quit as unknown as (this: TailFile, err: Error) => Promise<void>;
  void quit.call(tail, Object.assign(new Error('abandoned'), { code: 'ABANDONED' })).catch(() => {});
}

/**
 * Whether `candidate` starts like the file whose first bytes were `known`. Without a known
 * head (a checkpoint written before heads were kept, an empty file) it cannot tell, and says
 * yes, unless `strict`.
 */
function sameStart(known: Buffer | null | undefined, candidate: Buffer | null, strict = false): boolean {
  if (!known?.length) return !strict;
  if (!candidate) return false;
  const n = Math.min(known.length, candidate.length);
  if (strict && candidate.length < known.length) return false;
  return known.subarray(0, n).equals(candidate.subarray(0, n));
}

/** The first `n` bytes of a file, gunzipped when it is compressed. */
async function readHead(file: string, n: number): Promise<Buffer> {
  if (!(await isGzip(file))) {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const raw = createReadStream(file);
    const gunzip = raw.pipe(createGunzip());
    const done = () => {
      raw.destroy();
      gunzip.destroy();
      resolve(Buffer.concat(parts).subarray(0, n));
    };
    raw.on('error', reject);
    gunzip.on('error', (err) => (got > 0 ? done() : reject(err)));
    gunzip.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      got += chunk.length;
      if (got >= n) done();
    });
    gunzip.on('end', done);
  });
}

async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf.equals(GZIP_MAGIC);
  } finally {
    await fh.close();
  }
}

function isZlibError(err: unknown): boolean {
  const code = codeOf(err);
  return code.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED' || code === 'SHORT_FILE' || /unexpected end of file|incorrect header check|invalid/i.test((err as Error)?.message ?? '');
}

interface RotatedFile {
  file: string;
  ino: number;
  mtimeMs: number;
}

/**
 * The files beside the log that rotation made of it: `maillog.1`, `maillog.2.gz`,
 * `maillog-20261123`, `maillog-20261123.gz` (logrotate, with or without dateext and
 * compress), never the log itself.
 */
async function rotatedFamily(path: string, currentIno: number): Promise<RotatedFile[]> {
  const dir = dirname(path);
  const base = basename(path);
  const out: RotatedFile[] = [];
  for (const name of await readdir(dir)) {
    if (name === base || !(name.startsWith(`${base}.`) || name.startsWith(`${base}-`))) continue;
    try {
      const st = await stat(join(dir, name));
      if (st.isFile() && st.ino !== currentIno) out.push({ file: join(dir, name), ino: st.ino, mtimeMs: st.mtimeMs });
    } catch {
      /* vanished meanwhile */
    }
  }
  return out;
}

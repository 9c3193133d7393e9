import type { Logger } from './log.js';

// A fault that lasts (a held lock, a full disk, read-only files) fails every commit, and
// every failure used to log the same error: hundreds of lines a second that bury the one
// line an operator needs. For events that repeat like this, the first occurrence is
// logged whole, and the ones that follow within the window are counted and said in one
// summary line at most once per window ("repeated N times in the last T s"), carrying the
// latest error. A quiet window resets it: the next occurrence is logged whole again.
//
// Per event code (and an optional discriminator, e.g. the job's name), per thread: the
// pipeline worker has its own.

export const REPEAT_WINDOW_MS = 10_000;

type Level = 'error' | 'warn' | 'info';
type Fields = { evt: string } & Record<string, unknown>;

interface Track {
  /** When the last line for this key was written. */
  lastLineAt: number;
  suppressed: number;
  level: Level;
  log: Logger;
  fields: Fields;
  msg: string;
  timer: NodeJS.Timeout | null;
}

export class RepeatFilter {
  private readonly tracks = new Map<string, Track>();

  constructor(
    readonly windowMs = REPEAT_WINDOW_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Logs `fields` at `level`, unless the same event was logged less than a window ago. */
  log(log: Logger, level: Level, fields: Fields, msg: string, key: string = fields.evt): void {
    const t = this.now();
    const track = this.tracks.get(key);
    if (!track || (track.suppressed === 0 && t - track.lastLineAt >= this.windowMs)) {
      log[level](fields, msg);
      this.tracks.set(key, { lastLineAt: t, suppressed: 0, level, log, fields, msg, timer: null });
      return;
    }
    Object.assign(track, { suppressed: track.suppressed + 1, level, log, fields, msg });
    if (!track.timer) {
      // Said when the window ends, whether or not the fault goes on.
      track.timer = setTimeout(() => this.summarize(key), Math.max(0, track.lastLineAt + this.windowMs - t));
      track.timer.unref();
    }
  }

  /** Writes the pending summaries now (at shutdown). */
  flush(): void {
    for (const key of this.tracks.keys()) this.summarize(key);
  }

  private summarize(key: string): void {
    const track = this.tracks.get(key);
    if (!track) return;
    if (track.timer) clearTimeout(track.timer);
    track.timer = null;
    if (track.suppressed === 0) return;
    const t = this.now();
    const seconds = Math.max(1, Math.round((t - track.lastLineAt) / 1000));
    track.log[track.level]({ ...track.fields, repeated: track.suppressed, windowSeconds: seconds }, `${track.msg} (repeated ${track.suppressed} times in the last ${seconds} s)`);
    track.lastLineAt = t;
    track.suppressed = 0;
  }
}

/** The thread's shared filter. */
export const repeated = new RepeatFilter();

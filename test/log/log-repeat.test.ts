// The repeated-error filter on its own, with a hand-moved clock and a captured pino stream.
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/log.js';
import { RepeatFilter } from '../../src/log-repeat.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, log: createLogger('info', stream as never) };
}

describe('RepeatFilter', () => {
  it('logs the first occurrence, then one summary per window with the count and the latest error; per event code', async () => {
    vi.useFakeTimers();
    try {
      let t = 0;
      const f = new RepeatFilter(1000, () => t);
      const { lines, log } = capture();
      const fail = (n: number) => f.log(log, 'error', { evt: 'STORE_WRITE_FAILED', err: new Error(`locked ${n}`) }, 'could not store');
      fail(0);
      for (let n = 1; n <= 300; n++) {
        t += 2; // 300 failures in 600 ms: hundreds a second
        fail(n);
      }
      f.log(log, 'error', { evt: 'PROCESS_STORE_FAILED' }, 'other code'); // its own first line
      await vi.advanceTimersByTimeAsync(0);
      expect(lines.map((l) => l.evt)).toEqual(['STORE_WRITE_FAILED', 'PROCESS_STORE_FAILED']);
      // The window ends: one summary, even though nothing else happened.
      t = 1000;
      await vi.advanceTimersByTimeAsync(1000);
      expect(lines).toHaveLength(3);
      expect(lines[2]).toMatchObject({ evt: 'STORE_WRITE_FAILED', repeated: 300, windowSeconds: 1, msg: 'could not store (repeated 300 times in the last 1 s)' });
      expect((lines[2]!.err as { message: string }).message).toBe('locked 300');
      // The fault goes on: at most one line per window.
      for (let n = 0; n < 50; n++) {
        t += 10;
        fail(n);
      }
      await vi.advanceTimersByTimeAsync(1000);
      expect(lines.filter((l) => l.evt === 'STORE_WRITE_FAILED')).toHaveLength(3);
      // After a quiet window, the next occurrence is logged whole again.
      t += 5000;
      fail(999);
      expect(lines.at(-1)).toMatchObject({ evt: 'STORE_WRITE_FAILED' });
      expect(lines.at(-1)!.repeated).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});

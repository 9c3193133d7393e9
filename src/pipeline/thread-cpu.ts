import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';

// The CPU time one thread of this process has used, from Linux's /proc. The processing
// budget is meant for the work a message costs, not for the time a busy machine keeps the
// parse worker from the CPU: on a machine with many times more runnable threads than cores a
// thread can wait 100 ms and more for its turn, and a wall-clock budget would then abandon
// ordinary reports. Where /proc is missing (not Linux) the budget falls back to wall time.

/** /proc/<pid>/task/<tid>/stat counts in clock ticks of 1/USER_HZ s; USER_HZ is 100 in Linux's ABI. */
export const TICK_MS = 10;

/** The kernel's id of the calling thread (call it in the thread to be measured), or null. */
export function currentThreadId(): number | null {
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>".
    const m = /\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Reads one thread's user + system CPU time, in ms (TICK_MS steps). */
export class ThreadCpuClock {
  private fd: number | null;
  private readonly buf = Buffer.alloc(1024);

  constructor(tid: number) {
    try {
      this.fd = openSync(`/proc/self/task/${tid}/stat`, 'r');
    } catch {
      this.fd = null;
    }
  }

  /** CPU time used so far, or null when it cannot be read (the thread is gone). */
  read(): number | null {
    if (this.fd === null) return null;
    try {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
      const s = this.buf.toString('latin1', 0, n);
      // Field 2 (the name) is in parentheses and may hold spaces: count from the last ")".
      // After it come field 3 (state) ... field 14 (utime), field 15 (stime).
      const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(rest[11]) + Number(rest[12]);
      return Number.isFinite(ticks) ? ticks * TICK_MS : null;
    } catch {
      return null;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

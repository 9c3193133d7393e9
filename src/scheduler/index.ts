import type { Logger } from '../log.js';
import { repeated } from '../log-repeat.js';
import type { LifecycleStore } from '../store/types.js';

// Jobs with a cadence; each one's last and next run live in SQLite, so a restart neither
// skips a job that was due nor repeats one that just ran. Every job takes `now`: the daemon
// passes the clock, `bounced tick --now T` and tests pass T.

export interface Job {
  name: string;
  cadenceMs: number;
  run(now: number): Promise<void> | void;
}

export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly lifecycle: LifecycleStore,
    private readonly jobs: Job[],
    private readonly log: Logger,
    /** Called after every run (metrics). */
    private readonly onRan?: (job: string, seconds: number, error: string | null) => void,
  ) {}

  /** Runs every job due at `now` once, in order; returns the names of those that ran. */
  async runDue(now: number): Promise<string[]> {
    const ran: string[] = [];
    for (const job of this.jobs) {
      const state = this.lifecycle.getJob(job.name);
      if (state && state.nextRunAt > now) continue;
      const t0 = performance.now();
      let error: string | null = null;
      try {
        await job.run(now);
      } catch (err) {
        error = (err as Error)?.message ?? String(err);
        repeated.log(this.log, 'error', { evt: 'JOB_FAILED', job: job.name, err }, 'job failed', `JOB_FAILED:${job.name}`);
      }
      // A failed job is tried again at its next cadence, not in a tight loop.
      this.lifecycle.saveJob(job.name, now, now + job.cadenceMs, error);
      this.onRan?.(job.name, (performance.now() - t0) / 1000, error);
      this.log.debug({ evt: 'JOB_RAN', job: job.name, ms: Math.round(performance.now() - t0), error }, 'job ran');
      ran.push(job.name);
    }
    return ran;
  }

  start(intervalMs: number, clock: () => number = Date.now): void {
    const tick = () => {
      this.running = this.runDue(clock()).catch((err) => repeated.log(this.log, 'error', { evt: 'SCHEDULER_FAILED', err }, 'scheduler tick failed'));
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}

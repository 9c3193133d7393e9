import type { Logger } from '../log.js';
import { repeated } from '../log-repeat.js';
import type { JobRepo } from '../store/contract.js';

// Jobs with a cadence; each one's last and next run live in the store, so a restart neither
// skips a job that was due nor repeats one that just ran. Every job takes `now`: the daemon
// passes the clock, `bounced tick --now T` and tests pass T. The daemon's cadence itself is
// kept on the monotonic clock (see Scheduler.ranAt): wall-clock jumps and `tick --now` in the
// future never stop its jobs.

export interface Job {
  name: string;
  cadenceMs: number;
  run(now: number): Promise<void> | void;
}

/**
 * Whether a job is due at wall-clock `now` by its stored state. A next run further away than
 * one cadence cannot have been planned at `now`: the clock was set back, or `bounced tick
 * --now` ran the job at an instant in the future. Waiting for it would stop the job until
 * real time caught up (days, years), so such a job is due now.
 */
export function dueByStoredState(state: { nextRunAt: number } | null, cadenceMs: number, now: number): boolean {
  if (!state) return true;
  return state.nextRunAt <= now || state.nextRunAt > now + cadenceMs;
}

export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  /**
   * When this process last ran each job, on the monotonic clock: in the daemon a job runs
   * on its cadence whatever the wall clock does (a forward jump runs nothing twice in a row,
   * a backward one stops nothing). Before its first run here, the stored state decides.
   */
  private readonly ranAt = new Map<string, number>();

  constructor(
    private readonly jobStates: Pick<JobRepo, 'get' | 'save'>,
    private readonly jobs: Job[],
    private readonly log: Logger,
    /** Called after every run (metrics). */
    private readonly onRan?: (job: string, seconds: number, error: string | null) => void,
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /** Runs every job due at `now` (by the stored state) once, in order; returns the names of those that ran. */
  runDue(now: number): Promise<string[]> {
    return this.runWhere(now, async (job) => dueByStoredState(await this.jobStates.get(job.name), job.cadenceMs, now));
  }

  /** The daemon's tick: a job this process ran before is due by the monotonic clock. */
  private runOnCadence(now: number): Promise<string[]> {
    return this.runWhere(now, async (job) => {
      const last = this.ranAt.get(job.name);
      if (last !== undefined) return this.monotonic() - last >= job.cadenceMs;
      return dueByStoredState(await this.jobStates.get(job.name), job.cadenceMs, now);
    });
  }

  private async runWhere(now: number, due: (job: Job) => Promise<boolean>): Promise<string[]> {
    const ran: string[] = [];
    for (const job of this.jobs) {
      if (!(await due(job))) continue;
      const t0 = performance.now();
      let error: string | null = null;
      try {
        await job.run(now);
      } catch (err) {
        error = (err as Error)?.message ?? String(err);
        repeated.log(this.log, 'error', { evt: 'JOB_FAILED', job: job.name, err }, 'job failed', `JOB_FAILED:${job.name}`);
      }
      // A failed job is tried again at its next cadence, not in a tight loop.
      this.ranAt.set(job.name, this.monotonic());
      await this.jobStates.save(job.name, now, now + job.cadenceMs, error);
      this.onRan?.(job.name, (performance.now() - t0) / 1000, error);
      this.log.debug({ evt: 'JOB_RAN', job: job.name, ms: Math.round(performance.now() - t0), error }, 'job ran');
      ran.push(job.name);
    }
    return ran;
  }

  start(intervalMs: number, clock: () => number = Date.now): void {
    const tick = () => {
      this.running = this.runOnCadence(clock()).catch((err) => repeated.log(this.log, 'error', { evt: 'SCHEDULER_FAILED', err }, 'scheduler tick failed'));
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

import type { Logger } from '../log.js';
import { repeated } from '../log-repeat.js';
import type { JobRepo, NodeId } from '../store/contract.js';

// Jobs with a cadence; each one's last and next run live in the store, so a restart neither
// skips a job that was due nor repeats one that just ran. Every job takes `now`: the daemon
// passes the clock, `bounced tick --now T` and tests pass T. The daemon's cadence itself is
// kept on the monotonic clock (see Scheduler.ranAt): wall-clock jumps and `tick --now` in the
// future never stop its jobs.
//
// Several nodes on one database (issue #15): a due job is taken with a lease
// (jobs.acquire: only when the stored next run has come and no other node holds an unexpired
// lease), run, and given back with its next run (jobs.finish): one node runs each due job
// once. A node that dies mid-job leaves the lease to lapse (jobLeaseMs), then
// another node takes the job; the node itself, restarted under the same id, at once.

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

/**
 * How long a job's lease holds: two cadences, at least a minute, at most ten. A node that
 * dies mid-job holds it that long; a run longer than its lease may overlap another node's
 * run of the same job, which every job tolerates (each works through claims and transactions
 * of its own), and finish() then says so (JOB_LEASE_LOST).
 */
export function jobLeaseMs(cadenceMs: number): number {
  return Math.min(10 * 60_000, Math.max(60_000, 2 * cadenceMs));
}

/** How far apart the nodes' clocks may be (NTP keeps them within milliseconds). */
export const CLOCK_SKEW_MS = 60_000;

export interface SchedulerOptions {
  /** This node (job leases); default: this process. */
  node?: NodeId;
  /** Called after every run (metrics). */
  onRan?: (job: string, seconds: number, error: string | null) => void;
  monotonic?: () => number;
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
  /**
   * Jobs running in this process now: a tick never starts one again while it runs (a job
   * longer than the tick; `runDue` called beside the daemon's ticks). The store's lease
   * cannot tell, as a node may always take its own lease back (after a restart).
   */
  private readonly inProgress = new Set<string>();

  private readonly node: NodeId;
  private readonly onRan?: SchedulerOptions['onRan'];
  private readonly monotonic: () => number;

  constructor(
    private readonly jobStates: Pick<JobRepo, 'get' | 'save' | 'acquire' | 'finish'>,
    private readonly jobs: Job[],
    private readonly log: Logger,
    opts: SchedulerOptions = {},
  ) {
    this.node = opts.node ?? `scheduler-${process.pid}`;
    this.onRan = opts.onRan;
    this.monotonic = opts.monotonic ?? (() => performance.now());
  }

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
      if (this.inProgress.has(job.name)) continue;
      this.inProgress.add(job.name);
      try {
        if (!(await due(job)) || !(await this.take(job, now))) continue;
        ran.push(await this.runOne(job, now));
      } finally {
        this.inProgress.delete(job.name);
      }
    }
    return ran;
  }

  /** Runs a job whose lease this node holds, records the run and gives the lease back. */
  private async runOne(job: Job, now: number): Promise<string> {
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
    const held = await this.jobStates.finish(job.name, this.node, { lastRunAt: now, nextRunAt: now + job.cadenceMs, error });
    // Its lease lapsed while it ran and another node took the job: that node records its own run.
    if (!held) this.log.warn({ evt: 'JOB_LEASE_LOST', job: job.name, node: this.node }, 'job ran past its lease; another node took it');
    this.onRan?.(job.name, (performance.now() - t0) / 1000, error);
    this.log.debug({ evt: 'JOB_RAN', job: job.name, ms: Math.round(performance.now() - t0), error }, 'job ran');
    return job.name;
  }

  /**
   * Takes the job's lease for this node. A stored next run further than one cadence (and the
   * clocks' skew) away (the clock was set back, `tick --now` in the future) is first brought
   * back to `now`, as it would otherwise keep the lease from being taken until then.
   */
  private async take(job: Job, now: number): Promise<boolean> {
    const leaseMs = jobLeaseMs(job.cadenceMs);
    if (await this.jobStates.acquire(job.name, this.node, now, leaseMs)) return true;
    const state = await this.jobStates.get(job.name);
    // Another node's clock may run ahead of ours by a little: only a next run further away than
    // that is a clock set back (else the job would run again at once on the slower node).
    if (!state || state.nextRunAt <= now + job.cadenceMs + CLOCK_SKEW_MS) return false; // not due, or another node holds it
    if (state.leaseHolder && state.leaseHolder !== this.node && state.leaseUntil !== null && state.leaseUntil > now) return false;
    await this.jobStates.save(job.name, state.lastRunAt, now, state.lastError);
    return this.jobStates.acquire(job.name, this.node, now, leaseMs);
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

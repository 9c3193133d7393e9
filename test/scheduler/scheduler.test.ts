// The scheduler against wall-clock jumps and `bounced tick --now` in the future: the daemon's
// jobs keep their cadence whatever the wall clock did.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { dueByStoredState, Scheduler } from '../../src/scheduler/index.js';
import { openStore } from '../helpers/db.js';
import type { Store } from '../../src/store/contract.js';
import { childEnv, CLI } from '../helpers/child.js';
import { BOUNCE_DOMAIN, TEST_SECRET, testConfig } from '../helpers/env.js';
import { sleep } from '../helpers/wait.js';

const log = createLogger('silent');
const YEAR = 365 * 86_400_000;

let stores: Store[] = [];
let daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons) await d.stop().catch(() => {});
  daemons = [];
  for (const s of stores) await s.close();
  stores = [];
});

describe('scheduler', () => {
  it('a stored next run further than one cadence away is due (clock set back, or tick --now in the future)', () => {
    const now = Date.parse('2026-05-01T00:00:00Z');
    expect(dueByStoredState(null, 60_000, now)).toBe(true);
    expect(dueByStoredState({ nextRunAt: now - 1 }, 60_000, now)).toBe(true);
    expect(dueByStoredState({ nextRunAt: now + 30_000 }, 60_000, now)).toBe(false);
    expect(dueByStoredState({ nextRunAt: now + 60_000 }, 60_000, now)).toBe(false);
    expect(dueByStoredState({ nextRunAt: now + 60_001 }, 60_000, now)).toBe(true);
    expect(dueByStoredState({ nextRunAt: now + 70 * YEAR }, 60_000, now)).toBe(true);
  });

  it('in the daemon, a job runs on its cadence through a forward and a backward wall-clock jump', async () => {
    const store = await openStore(testConfig());
    stores.push(store);
    const runs: Array<{ mono: number; now: number }> = [];
    const job = { name: 'counted', cadenceMs: 100, run: (now: number) => void runs.push({ mono: performance.now(), now }) };
    let offset = 0;
    const scheduler = new Scheduler(store.jobs, [job], log);
    scheduler.start(10, () => Date.now() + offset);
    await sleep(450);
    const beforeJump = runs.length;
    offset = YEAR; // the clock jumps a year ahead ...
    await sleep(450);
    const afterForward = runs.length;
    offset = 0; // ... and is corrected (NTP)
    await sleep(750);
    await scheduler.stop();
    const afterBack = runs.length;
    // Every 100 ms (ticks of 10 ms), neither more often after the forward jump nor stopped after the correction.
    // (lower bounds with room for a loaded machine; the upper one is exact: 100 ms apart at least)
    expect(beforeJump).toBeGreaterThanOrEqual(2);
    expect(afterForward - beforeJump).toBeGreaterThanOrEqual(2);
    expect(afterForward - beforeJump).toBeLessThanOrEqual(5);
    expect(afterBack - afterForward).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.mono - runs[i - 1]!.mono).toBeGreaterThanOrEqual(95);
    // Jobs are handed the wall clock as it is.
    expect(runs.at(-1)!.now).toBeLessThan(Date.now() + 1000);
  });

  it('after `bounced tick --now` far in the future, a starting daemon and a running one keep running their jobs', async () => {
    const config = testConfig({ scheduler: { tickMs: 100 } });
    const env = childEnv({ BOUNCED_DATA_DIR: config.dataDir, BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN });
    const tick = () => {
      const r = spawnSync(process.execPath, [CLI, 'tick', '--now', '2099-01-01T00:00:00Z'], { env });
      expect(r.status, r.stderr.toString()).toBe(0);
      return JSON.parse(r.stdout.toString()) as { ran: string[] };
    };
    expect(tick().ran).toEqual(expect.arrayContaining(['process-spool', 'expire-pending', 'deliver-webhooks']));

    // A daemon started now runs every job at once, at real time, and plans the next run from it.
    const t0 = Date.now();
    const d = await startDaemon(config, log);
    daemons.push(d);
    await sleep(300);
    for (const name of ['process-spool', 'expire-pending', 'prune-queue-ids', 'deliver-webhooks', 'evaluate-policy', 'send-notifications']) {
      const job = (await d.store.jobs.get(name))!;
      expect(job.lastRunAt, name).toBeGreaterThanOrEqual(t0);
      expect(job.lastRunAt, name).toBeLessThanOrEqual(Date.now());
    }

    // `tick --now` in the future again, this time under the running daemon: its next
    // deliver-webhooks run (10 s cadence) still comes 10 s after its last.
    const before = (await d.store.jobs.get('deliver-webhooks'))!.lastRunAt!;
    tick();
    expect((await d.store.jobs.get('deliver-webhooks'))!.lastRunAt).toBe(Date.parse('2099-01-01T00:00:00Z'));
    const end = Date.now() + 15_000;
    let last = (await d.store.jobs.get('deliver-webhooks'))!.lastRunAt!;
    while (last > Date.now() && Date.now() < end) {
      await sleep(200);
      last = (await d.store.jobs.get('deliver-webhooks'))!.lastRunAt!;
    }
    expect(last).toBeLessThanOrEqual(Date.now());
    expect(last - before).toBeGreaterThanOrEqual(9_000);
  }, 30_000);
});

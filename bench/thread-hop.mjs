#!/usr/bin/env node
// What one message between two threads costs on this machine (issue #20: the pipeline hands each
// received message from the SMTP thread to the intake, the processing thread and its parse
// worker and back). A worker echoes what the main thread posts; the process's CPU time (user +
// system, all threads) per round trip is printed for three paces:
//   - `sleeping`: a post every 2 ms, so that both threads sleep between round trips (each post
//     wakes a thread, as one message every few ms does to the pipeline's threads);
//   - `awake`: the next post as soon as the answer is in (the threads rarely sleep);
//   - `timer only`: the 2 ms timer alone, no worker: what the `sleeping` pace costs without
//     the round trip (subtract it).
// The round trip is two hops; half of (sleeping - timer only) is the price of waking a thread.
//
//   node bench/thread-hop.mjs [--count 2000]
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { parseArgs } from './lib/common.mjs';

if (!isMainThread) {
  parentPort.on('message', (m) => parentPort.postMessage(m));
} else {
  const args = parseArgs(process.argv.slice(2));
  const count = Number(args.count ?? 2000);
  const cpuUs = (t0) => {
    const c = process.cpuUsage(t0);
    return c.user + c.system;
  };
  const roundTrips = (gapMs) =>
    new Promise((resolve) => {
      const w = new Worker(new URL(import.meta.url));
      let i = 0;
      let t0;
      const next = () => {
        if (i++ === count) {
          const us = cpuUs(t0) / count;
          void w.terminate().then(() => resolve(us));
        } else if (gapMs) setTimeout(() => w.postMessage(i), gapMs);
        else w.postMessage(i);
      };
      w.on('message', next);
      w.once('online', () =>
        setTimeout(() => {
          t0 = process.cpuUsage();
          next();
        }, 100),
      );
    });
  const timerOnly = () =>
    new Promise((resolve) => {
      let i = 0;
      const t0 = process.cpuUsage();
      const tick = () => (i++ < count ? setTimeout(tick, 2) : resolve(cpuUs(t0) / count));
      tick();
    });
  const sleeping = await roundTrips(2);
  const awake = await roundTrips(0);
  const timer = await timerOnly();
  const r = (x) => Math.round(x * 10) / 10;
  console.log(JSON.stringify({ count, cpuUsPerRoundTrip: { sleeping: r(sleeping), awake: r(awake), timerOnly: r(timer) }, wakeUpUsPerHop: r((sleeping - timer) / 2), awakeUsPerHop: r(awake / 2) }));
}

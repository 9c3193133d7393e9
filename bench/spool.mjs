#!/usr/bin/env node
// Big messages and the spool (issue #20): bounced's peak RSS growth while it takes big DSNs
// over SMTP, with spooling (the default: past spool.aboveBytes the DATA streams to a file) and,
// in the same run, without (spool.aboveBytes=0: the message is held in memory until stored),
//   - 1 x 25 MB accepted;
//   - 1 x 25 MB refused at a 10 MB limit (552, no SIZE= declared);
//   - 20 concurrent sessions x 30 MB accepted (the in-memory run with a 1 GB budget, so that it
//     holds them rather than answering 452).
// Growth = peak VmHWM during the case minus VmRSS before it (VmHWM reset through clear_refs
// after warm-up messages: three small DSNs and one of 2 MB). Printed with the ratio of growth to the bytes committed (or
// refused), and for the concurrent case the growth per session above the 1 MiB parse head.
//
//   node bench/spool.mjs [--quick] [--cold]   (--quick: the 1 x 25 MB cases only; --cold: no
//                                              2 MB warm-up, a daemon's first big message)
//   npm run bench -- --only spool
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBigBounce } from './bigmsg.mjs';
import { cpuMs, freshDir, loadAvg, log, parseArgs, POSTFIX_FIXTURES, procMem, round, runNodeJson, sleep, startBounced } from './lib/common.mjs';
import { saveSection } from './lib/report.mjs';
import { Sampler } from './lib/sampler.mjs';

// The spool helper's own port range (46000-46999): other benches use 26xx.
const SMTP = 46031;
const HTTP = 46032;
const MB = 2 ** 20;

async function oneCase({ name, file, size, sessions = 1, env, dir, warm }) {
  const dataDir = join(dir, `data-${name}`);
  const d = await startBounced({ smtpPort: SMTP, httpPort: HTTP, dataDir, env: { BOUNCED_SMTP_MAX_CLIENTS_PER_IP: '0', ...env } });
  try {
    const small = join(POSTFIX_FIXTURES, 's02-remote-rcpt550--failed.eml');
    const smallList = join(dir, 'small.json');
    writeFileSync(smallList, JSON.stringify([small]));
    await runNodeJson('smtp-load.mjs', ['--port', String(SMTP), '--sessions', '1', '--count', '3', '--files', smallList]);
    // And one 2 MB bounce, so that the big-message path (the spool writer, or the parts in
    // memory) has run once: a daemon's first big message also loads code, which is not growth.
    if (warm) {
      const warmList = join(dir, 'warm.json');
      writeFileSync(warmList, JSON.stringify([warm]));
      await runNodeJson('smtp-load.mjs', ['--port', String(SMTP), '--sessions', '1', '--count', '1', '--files', warmList]);
    }
    const sampler = new Sampler({ pid: d.pid, dbFile: d.dbFile, everyMs: 50 });
    await sampler.waitDrained(10000);
    await sleep(300);
    let reset = true;
    try {
      writeFileSync(`/proc/${d.pid}/clear_refs`, '5');
    } catch {
      reset = false;
    }
    const before = procMem(d.pid);
    const cpuBefore = cpuMs(d.pid);
    sampler.start();
    const list = join(dir, 'big.json');
    writeFileSync(list, JSON.stringify([file]));
    const r = await runNodeJson('smtp-load.mjs', ['--port', String(SMTP), '--sessions', String(sessions), '--count', String(sessions), '--files', list], { timeoutMs: 600000 });
    // The peak up to the last reply: taking the messages (the 250s wait for the spool's fsync
    // and the commit); what follows is processing (their heads parsed).
    const atLastReply = procMem(d.pid);
    // The daemon's CPU (all threads) from the first byte sent to the last reply.
    const intakeCpuMs = cpuMs(d.pid) - cpuBefore;
    await sampler.waitDrained(120000);
    await sleep(300);
    sampler.sample();
    sampler.close();
    const after = procMem(d.pid);
    const peak = Math.max(after?.hwm ?? 0, sampler.peakHwm() ?? 0);
    const growth = peak - (before?.rss ?? 0);
    const accepted = r.ok ?? 0;
    const spoolFiles = (() => {
      try {
        return readdirSync(join(dataDir, 'spool')).length;
      } catch {
        return 0;
      }
    })();
    const refused = sessions - accepted;
    return {
      name,
      sessions,
      messageBytes: size,
      codes: r.codes,
      accepted,
      spoolFiles,
      clientS: r.elapsedS,
      rssBeforeMB: round((before?.rss ?? 0) / MB, 1),
      peakRssMB: round(peak / MB, 1),
      growthMB: round(growth / MB, 1),
      intakeGrowthMB: round(((atLastReply?.hwm ?? 0) - (before?.rss ?? 0)) / MB, 1),
      // RSS growth per byte committed (accepted) or, when nothing was, per byte refused.
      growthOverBytes: round(growth / (size * (accepted || refused || 1)), 3),
      perSessionAboveHeadMB: round(growth / MB / sessions - 1, 2),
      intakePerSessionAboveHeadMB: round(((atLastReply?.hwm ?? 0) - (before?.rss ?? 0)) / MB / sessions - 1, 2),
      hwmReset: reset,
      intakeCpuMs: Math.round(intakeCpuMs),
      load: loadAvg(),
    };
  } finally {
    await d.stop();
  }
}

export async function runSpool(opts = {}) {
  const dir = freshDir('spool');
  const file25 = join(dir, 'bounce-25MB.eml');
  writeFileSync(file25, await buildBigBounce(25 * MB));
  const size25 = readFileSync(file25).length;
  const warm = opts.cold ? null : join(dir, 'bounce-2MB.eml');
  if (warm) writeFileSync(warm, await buildBigBounce(2 * MB));
  const memory = { BOUNCED_SPOOL_ABOVE_BYTES: '0' };
  const limit10 = { BOUNCED_SMTP_MAX_MESSAGE_BYTES: String(10 * MB) };
  const cases = [];
  // --cases a,b: only these (names below).
  const wanted = opts.cases ? new Set(String(opts.cases).split(',')) : null;
  const push = async (c) => {
    if (!wanted || wanted.has(c.name)) cases.push(await oneCase(c));
  };
  await push({ name: '1x25MB-spooled', file: file25, size: size25, env: {}, dir, warm });
  await push({ name: '1x25MB-memory', file: file25, size: size25, env: memory, dir, warm });
  await push({ name: '1x25MB-refused-spooled', file: file25, size: size25, env: limit10, dir, warm });
  await push({ name: '1x25MB-refused-memory', file: file25, size: size25, env: { ...limit10, ...memory }, dir, warm });
  if (!opts.quick) {
    const file30 = join(dir, 'bounce-30MB.eml');
    writeFileSync(file30, await buildBigBounce(30 * MB));
    const size30 = readFileSync(file30).length;
    const big = { BOUNCED_SMTP_MAX_MESSAGE_BYTES: String(40 * MB) };
    await push({ name: '20x30MB-spooled', file: file30, size: size30, sessions: 20, env: big, dir, warm });
    await push({ name: '20x30MB-memory', file: file30, size: size30, sessions: 20, env: { ...big, ...memory, BOUNCED_SMTP_MAX_BYTES_IN_FLIGHT: String(1024 * MB) }, dir, warm });
  }
  for (const c of cases) {
    log(
      `spool ${c.name.padEnd(24)} ${c.sessions} x ${round(c.messageBytes / MB, 1)} MB: replies ${JSON.stringify(c.codes)}, RSS ${c.rssBeforeMB} -> peak ${c.peakRssMB} MB ` +
        `(growth ${c.growthMB} MB = ${c.growthOverBytes} x the bytes ${c.accepted ? 'committed' : 'refused'}; ${c.perSessionAboveHeadMB} MB per session above the head; ` +
        `until the last reply ${c.intakeGrowthMB} MB, ${c.intakePerSessionAboveHeadMB} per session; CPU ${c.intakeCpuMs} ms), spool files ${c.spoolFiles}, load ${c.load}`,
    );
  }
  const by = Object.fromEntries(cases.map((c) => [c.name, c]));
  const targets = !by['1x25MB-spooled'] || !by['1x25MB-refused-spooled'] ? {} : {
    acceptedGrowthOverSize: { value: by['1x25MB-spooled'].growthOverBytes, target: '<= 1', met: by['1x25MB-spooled'].growthOverBytes <= 1 },
    refusedGrowthOverSize: { value: by['1x25MB-refused-spooled'].growthOverBytes, target: '<= 0.1', met: by['1x25MB-refused-spooled'].growthOverBytes <= 0.1 },
    ...(by['20x30MB-spooled']
      ? { perSessionAboveHeadMB: { value: by['20x30MB-spooled'].perSessionAboveHeadMB, target: '<= 2', met: by['20x30MB-spooled'].perSessionAboveHeadMB <= 2 } }
      : {}),
  };
  return { cold: Boolean(opts.cold), cases, targets };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs();
  const result = await runSpool(args);
  const file = saveSection('spool', result, { quick: Boolean(args.quick) });
  console.log(JSON.stringify(result.targets, null, 1));
  log(`spool: results in ${file}`);
}

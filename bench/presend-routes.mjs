#!/usr/bin/env node
// Where the pre-send check's CPU goes, by route on the same daemon: the constant fastify route
// (bench/constant-route.mjs, its own process), bounced's /healthz (no key, no SQL: the HTTP
// server and its global hooks) and the check itself (GET /v1/suppressions/:address), each under
// wrk -t2 -c10 for --duration seconds, alternating for --reps rounds. Prints each process's
// CPU per request (/proc, all threads) and req/s; the medians at the end.
//
//   node bench/presend-routes.mjs [--duration 5] [--reps 3] [--suppressions 1000000]
//
// Runs on the data dir `node bench/presend.mjs --reuse` seeded (bench/tmp/presend-seeded*):
// seed it first. Not a result of record (nothing is saved): a tool to find the microseconds.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { BENCH, freshDir, log, median, parseArgs, PORTS, round, startBounced, stopChild, TMP, waitPort } from './lib/common.mjs';

const args = parseArgs();
const seconds = Number(args.duration ?? 5);
const reps = Number(args.reps ?? 3);
const n = Number(args.suppressions ?? 1_000_000);
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
const dataDir = join(TMP, n === 1_000_000 ? 'presend-seeded' : `presend-seeded-${n}`);
if (!existsSync(join(dataDir, `seeded-${n}`))) throw new Error(`${dataDir} is not seeded: run node bench/presend.mjs --reuse first`);
const dir = freshDir('presend-routes');

const lua = {
  check: `local n = ${n}
math.randomseed(os.time())
request = function()
  local i = math.random(0, 2 * n - 1)
  return wrk.format("GET", "/v1/suppressions/user" .. i .. "%40d" .. (i % 1000) .. ".example?account=bench", { ["Authorization"] = "Bearer ${ADMIN_KEY}" })
end
`,
  healthz: `request = function() return wrk.format("GET", "/healthz") end
`,
  constant: `local n = ${n}
request = function()
  local i = math.random(0, 2 * n - 1)
  return wrk.format("GET", "/v1/suppressions/user" .. i .. "%40d" .. (i % 1000) .. ".example?account=bench", { ["Authorization"] = "Bearer ${ADMIN_KEY}" })
end
`,
};

/** utime + stime of a process in clock ticks (100/s). */
function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

function wrk(port, name) {
  const file = join(dir, `${name}.lua`);
  writeFileSync(file, lua[name]);
  return new Promise((resolve) => {
    const child = spawn('wrk', ['-t2', '-c10', `-d${seconds}s`, '-s', file, `http://127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', () => {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
      resolve({ reqPerSec: rps ? Number(rps[1]) : null, non2xx: non2xx ? Number(non2xx[1]) : 0 });
    });
  });
}

const d = await startBounced({
  smtpPort: PORTS.presendSmtp,
  httpPort: PORTS.presendHttp,
  dataDir,
  // As bench/presend.mjs: the limiter runs but never refuses; the per-client limit of open
  // routes likewise (healthz is one).
  env: { BOUNCED_ADMIN_KEY: ADMIN_KEY, BOUNCED_HTTP_RATE_LIMIT_PER_SECOND: '1000000', BOUNCED_HTTP_RATE_LIMIT_BURST: '1000000', BOUNCED_HTTP_IP_RATE_LIMIT_PER_SECOND: '1000000', BOUNCED_HTTP_IP_RATE_LIMIT_BURST: '1000000' },
});
const constant = spawn(process.execPath, [join(BENCH, 'constant-route.mjs'), '--port', String(PORTS.presendConstant)], { stdio: ['ignore', 'ignore', 'inherit'] });
await waitPort(PORTS.presendConstant);
const results = { constant: [], healthz: [], check: [] };
try {
  // A discarded warm-up of each.
  for (const [name, port] of [['constant', PORTS.presendConstant], ['healthz', PORTS.presendHttp], ['check', PORTS.presendHttp]]) await wrk(port, name);
  for (let r = 0; r < reps; r++) {
    for (const [name, port, pid] of [['constant', PORTS.presendConstant, constant.pid], ['healthz', PORTS.presendHttp, d.pid], ['check', PORTS.presendHttp, d.pid]]) {
      const c0 = cpuTicks(pid);
      const w = await wrk(port, name);
      const c1 = cpuTicks(pid);
      const us = w.reqPerSec ? round(((c1 - c0) * 10_000) / (w.reqPerSec * seconds), 1) : null;
      results[name].push({ reqPerSec: round(w.reqPerSec, 0), us, non2xx: w.non2xx });
      log(`presend-routes: ${name.padEnd(8)} ${round(w.reqPerSec, 0)} req/s, ${us} µs CPU a request${w.non2xx ? `, ${w.non2xx} not 2xx` : ''}; load ${round(os.loadavg()[0], 2)}`);
    }
  }
} finally {
  await stopChild(constant);
  await d.stop();
}
for (const [name, rs] of Object.entries(results)) {
  log(`presend-routes: median ${name.padEnd(8)} ${median(rs.map((r) => r.reqPerSec))} req/s, ${median(rs.map((r) => r.us))} µs CPU a request`);
}
const c = median(results.check.map((r) => r.reqPerSec));
const k = median(results.constant.map((r) => r.reqPerSec));
log(`presend-routes: check / constant ${round(c / k, 2)}`);

// `node bench/presend-build.mjs worker|slices [DATA_DIR]`: how long the pre-send memory's build from nothing
// takes on a seeded file (default bench/tmp/presend-seeded-5000000, made by `node bench/presend.mjs
// --reuse --suppressions 5000000`), in a worker or in slices on the main thread; the main loop's
// longest gap meanwhile and the process's CPU. Runs dist/ (`npm run build`).
import { fileURLToPath } from 'node:url';
const root = fileURLToPath(new URL('..', import.meta.url));
const { openSqlite } = await import(root + 'dist/store/sqlite/open.js');
const worker = process.argv[2] === 'worker';
const dataDir = process.argv[3] ?? root + 'bench/tmp/presend-seeded-5000000';
const store = openSqlite({ dataDir }, { presendMemory: { worker } });
const t0 = performance.now(); const c0 = process.cpuUsage();
store.startPresendMemory();
let maxGap = 0, last = performance.now();
const tick = setInterval(() => { const n = performance.now(); maxGap = Math.max(maxGap, n - last); last = n; }, 1);
while (!store.presend.ready) await new Promise((r) => setTimeout(r, 5));
clearInterval(tick);
const c = process.cpuUsage(c0);
console.log(worker ? 'worker' : 'slices', 'ready after', Math.round(performance.now() - t0), 'ms; longest gap of the main loop', maxGap.toFixed(1), 'ms; process CPU', Math.round((c.user + c.system) / 1000), 'ms; filter', store.presend.filterBytes, 'bytes');
await store.close();

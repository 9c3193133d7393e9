// The dashboard's time to first render (issue #16): how long after navigation Chromium shows
// the health page (banner and rate bars drawn from the API's answers), the trends chart, the
// bounces page and the suppressions page, on an empty store (the baseline, measured in the same run) and on one
// holding 1 M suppressions and 100 k bounces for the account. Medians of --runs loads each; the
// ratio seeded / baseline is the figure (a benchmark, nothing asserted). Also the page weight.
//
//   npm run build && node bench/dashboard.mjs [--runs 7] [--suppressions 1000000] [--bounces 100000]
//
// Needs /usr/bin/chromium (apt-get install chromium). Loopback only; ports 44601-44602.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { freshDir, log, median, parseArgs, ratio, round, ROOT, startBounced } from './lib/common.mjs';

const args = parseArgs();
const RUNS = Number(args.runs ?? 7);
const N_SUPP = Number(args.suppressions ?? 1_000_000);
const N_BOUNCES = Number(args.bounces ?? 100_000);
const ADMIN_KEY = 'bench-dashboard-admin-key-0123456789';
const ACCOUNT = 'acme';
const PORTS = { smtp: 44601, http: 44602 };

const { openSqlite } = await import(join(ROOT, 'dist/store/sqlite/open.js'));
const { chromium } = await import('playwright-core');

/** Writes the account, its suppressions and its bounces straight through the store contract (the daemon is not running yet). */
async function seed(dataDir, nSupp, nBounces) {
  const store = openSqlite({ dataDir });
  const now = Date.now();
  const t0 = performance.now();
  await store.accounts.insert({ id: ACCOUNT, name: 'Acme', tier: 'professional', profile: 'default', contactEmail: null }, now);
  const BATCH = 10_000;
  for (let i = 0; i < nSupp; i += BATCH) {
    const rows = [];
    for (let j = i; j < Math.min(nSupp, i + BATCH); j++) rows.push(`user${j}@d${j % 1000}.example`);
    await store.transaction(async (tx) => {
      for (const a of rows) await tx.suppressions.add(ACCOUNT, a, 'import', 'bench', now);
    }, { durable: false });
  }
  const monthStart = new Date(now);
  monthStart.setUTCDate(1);
  monthStart.setUTCHours(0, 0, 0, 0);
  const span = Math.max(1, now - monthStart.getTime());
  const PER_MESSAGE = 100;
  for (let i = 0; i < nBounces; i += PER_MESSAGE) {
    const [row] = await store.messages.insert([
      { receivedAt: now, source: 'smtp', mailFrom: '', rcptTo: ['b+x@bounces.test'], remoteIp: '127.0.0.1', helo: 'bench', raw: Buffer.from(`Subject: bench ${i}\r\n\r\nbody\r\n`) },
    ]);
    await store.transaction(async (tx) => {
      for (let j = i; j < Math.min(nBounces, i + PER_MESSAGE); j++) {
        await tx.bounces.insert(row, {
          createdAt: monthStart.getTime() + Math.floor((j / nBounces) * span), accountId: ACCOUNT, messageId: `spring/m-${j}`,
          recipient: `gone${j}@reject.test`, reportedRecipient: `gone${j}@reject.test`, kind: 'bounce', action: 'failed', status: '5.1.1',
          reason: 'userunknown', hardbounce: true, category: 'unknown_user', type: 'hard', rule: 'bench', detector: 'bench', replyCode: 550,
          diagnostic: '550 5.1.1 user unknown', remoteMta: null, reportingMta: 'mx.example.org', originalMessageId: null, feedbackType: null,
          verified: true, warning: null,
        });
      }
    }, { durable: false });
  }
  await store.close();
  return round((performance.now() - t0) / 1000, 1);
}

/** Loads each page --runs times in one signed-in context; the in-page time from navigation to the page's content drawn. */
async function measure(browser, base, key) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: base });
  const page = await context.newPage();
  await page.goto('/dashboard/');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  const pages = {
    health: [`/dashboard/#/a/${ACCOUNT}/health`, () => page.getByRole('img', { name: /^Hard bounces:/ }).waitFor()],
    trends: [`/dashboard/#/a/${ACCOUNT}/trends`, () => page.locator('main canvas').waitFor()],
    bounces: [`/dashboard/#/a/${ACCOUNT}/bounces`, () => page.getByRole('heading', { name: `Bounces: ${ACCOUNT}` }).waitFor()],
    suppressions: [`/dashboard/#/a/${ACCOUNT}/suppressions`, () => page.locator('main table, main .empty').first().waitFor()],
  };
  const out = {};
  for (const [name, [url, drawn]] of Object.entries(pages)) {
    const times = [];
    for (let i = 0; i < RUNS + 1; i++) {
      await page.goto('about:blank');
      await page.goto(url);
      await drawn();
      const ms = await page.evaluate(() => performance.now());
      if (i > 0) times.push(ms); // the first load warms the daemon's caches and the browser's
    }
    out[name] = round(median(times), 1);
  }
  await context.close();
  return out;
}

async function run(label, nSupp, nBounces, browser) {
  const dataDir = freshDir('dashboard', label);
  const seconds = await seed(dataDir, nSupp, nBounces);
  log(`dashboard bench: ${label}: seeded ${nSupp} suppressions and ${nBounces} bounces in ${seconds} s`);
  const daemon = await startBounced({ smtpPort: PORTS.smtp, httpPort: PORTS.http, dataDir, env: { BOUNCED_ADMIN_KEY: ADMIN_KEY } });
  try {
    const base = `http://127.0.0.1:${PORTS.http}`;
    const r = await fetch(`${base}/v1/accounts/${ACCOUNT}/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: '{}' });
    const { key } = await r.json();
    return await measure(browser, base, key);
  } finally {
    await daemon.stop();
  }
}

function pageWeight() {
  const dir = join(ROOT, 'dist/dashboard/assets');
  const w = { js: 0, css: 0 };
  for (const f of readdirSync(dir)) {
    const gz = gzipSync(readFileSync(join(dir, f)), { level: 9 }).length;
    if (f.endsWith('.js')) w.js += gz;
    else if (f.endsWith('.css')) w.css += gz;
  }
  return { jsGzipBytes: w.js, cssGzipBytes: w.css };
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
try {
  const weight = pageWeight();
  const baseline = await run('empty', 0, 0, browser);
  const seeded = await run('seeded', N_SUPP, N_BOUNCES, browser);
  const result = {
    runs: RUNS,
    suppressions: N_SUPP,
    bounces: N_BOUNCES,
    pageWeight: weight,
    medianMsEmpty: baseline,
    medianMsSeeded: seeded,
    ratio: Object.fromEntries(Object.keys(baseline).map((k) => [k, ratio(seeded[k], baseline[k])])),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
}

// The dashboard in a real browser (issue #16): Debian's Chromium, headless, driven by
// playwright-core, against `bounced serve` on loopback whose data comes through the real
// pipeline: accounts and keys made over the admin API, DSNs sent over SMTP to VERP addresses,
// sends counted over the API. Screenshots of each main page, at 1280 px and at a phone's
// width, go to test/screenshots/. Without /usr/bin/chromium the file skips, except in CI
// (CI set), where it fails (like the Postfix tests).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerpCodec } from '../../src/verp/index.js';
import { spawnDaemon, type ChildDaemon } from '../helpers/child.js';
import { buildDsn } from '../helpers/dsn.js';
import { BOUNCE_DOMAIN, inCI, repoRoot, TEST_SECRET, tmpDir } from '../helpers/env.js';
import { readRows } from '../helpers/db.js';
import { sendRaw } from '../helpers/smtp.js';
import { arf } from '../helpers/policy-mail.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !inCI) console.warn(`SKIPPED: test/e2e/dashboard.test.ts needs ${CHROMIUM} (apt-get install chromium)`);
const SHOTS = join(repoRoot, 'test/screenshots');
const ADMIN_KEY = 'dashboard-admin-key-0123456789abcdef';
const verp = new VerpCodec(TEST_SECRET, 'b');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

let daemon: ChildDaemon;
let dataDir: string;
let base: string;
let browser: Browser;
const keys: Record<string, string> = {};
/** Every URL any page asked for: none may leave 127.0.0.1. */
const requested: string[] = [];
let dsnSeq = 0;
const pageErrors: string[] = [];
/** Run in every page before its own scripts: a CSP refusal becomes a console error the test sees. */
const REPORT_CSP = `document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline')));`;

async function adminApi<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return (r.status === 204 ? null : await r.json()) as T;
}

/** Hard bounces (550 5.1.1) for these recipients of an account, one DSN each over SMTP; waits until the pipeline recorded them. */
async function bounce(account: string, recipients: string[]): Promise<void> {
  const before = (await adminApi<{ items: unknown[] }>('GET', `/v1/bounces?account=${account}&limit=1000`)).items.length;
  for (const rcpt of recipients) {
    const n = ++dsnSeq;
    const to = verp.encode({ account, message: `spring/m-${n}`, recipient: rcpt }, BOUNCE_DOMAIN);
    const raw = await buildDsn({ recipients: 1, recipient: () => rcpt, messageId: `<dsn-${n}@mx.example.org>`, to });
    const sent = await sendRaw(daemon.smtpPort, { from: '', to: [to] }, raw);
    expect(sent.ok, sent.response).toBe(true);
  }
  const deadline = Date.now() + 20_000;
  for (;;) {
    const now = (await adminApi<{ items: unknown[] }>('GET', `/v1/bounces?account=${account}&limit=1000`)).items.length;
    if (now >= before + recipients.length) return;
    if (Date.now() > deadline) throw new Error(`only ${now - before} of ${recipients.length} bounces recorded`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function newPage(viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, baseURL: base });
  await context.addInitScript(REPORT_CSP);
  const page = await context.newPage();
  page.on('request', (r) => requested.push(r.url()));
  // A script error, or anything the Content-Security-Policy refused, is a failure.
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of (401|403|404)/.test(m.text())) pageErrors.push(m.text());
  });
  return { context, page };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto('/dashboard/');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

const addrs = (prefix: string, n: number, from = 0) => Array.from({ length: n }, (_, i) => `${prefix}${from + i}@reject.test`);

describe.skipIf(!haveChromium && !inCI)('the dashboard in Chromium', () => {
  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing (apt-get install chromium); CI is set, so this fails rather than skips`);
    // The test runs what `npm run build` serves: the dashboard built from web/ now.
    const vite = spawnSync(process.execPath, [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '-c', join(repoRoot, 'web/vite.config.mjs')], { encoding: 'utf8' });
    expect(vite.status, vite.stderr).toBe(0);
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    dataDir = tmpDir('dash-e2e-');
    daemon = await spawnDaemon({
      BOUNCED_DATA_DIR: dataDir,
      BOUNCED_VERP_SECRET: TEST_SECRET,
      BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN,
      BOUNCED_ADMIN_KEY: ADMIN_KEY,
      // The webhook failures screen: an endpoint on a closed loopback port.
      BOUNCED_HTTP_WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true',
    });
    base = `http://127.0.0.1:${daemon.httpPort}`;
    for (const id of ['acme', 'globex']) {
      await adminApi('POST', '/v1/accounts', { id, name: id === 'acme' ? 'Acme Newsletters' : 'Globex', tier: 'professional' });
      keys[id] = (await adminApi<{ key: string }>('POST', `/v1/accounts/${id}/keys`, { name: 'dashboard test' })).key;
      // 200 sends this month: the policy's minimum volume, so rates count.
      await adminApi('POST', `/v1/accounts/${id}/sends`, { count: 200 });
    }
    // 8 hard bounces of 200 sends: 4 %, the warning level (80 % of the 5 % limit).
    await bounce('acme', addrs('gone', 8));
    await bounce('globex', ['globex-secret@reject.test']);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    daemon?.proc.kill('SIGTERM');
    await daemon?.exited;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs in with an account key: the warning banner and the rates against their limits', async () => {
    const { context, page } = await newPage();
    await page.goto('/dashboard/');
    await shot(page, 'sign-in');
    // A wrong key is refused in words and opens nothing.
    await page.getByLabel('API key').fill('bnd_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('unknown or revoked');
    await signIn(page, keys.acme!);
    const banner = page.getByRole('status', { name: 'Account health' });
    await expect.poll(() => banner.textContent()).toContain('Warning');
    const text = (await banner.textContent())!;
    // Which rate, its value against the limit, the recommendations: the policy's words.
    expect(text).toContain('hard-bounce rate 4.0 % of the limit 5.0 %');
    expect(text).toContain('remove addresses that hard-bounced');
    // The bars are labelled with their values (not colour alone).
    expect(await page.getByRole('img', { name: /^Hard bounces: 4\.00 %, limit 5\.00 %, past the warning level$/ }).count()).toBe(1);
    expect(await page.getByRole('img', { name: /^Complaints: 0\.00 %, limit 0\.100 %, below the warning level$/ }).count()).toBe(1);
    // The cookie: HttpOnly, SameSite=Strict; the key is in no cookie, no storage, no URL.
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'bounced_session', httpOnly: true, sameSite: 'Strict' });
    expect(cookies[0]!.value).not.toContain(keys.acme!);
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie)).toBe('{}{}');
    expect(requested.some((u) => u.includes(keys.acme!))).toBe(false);
    await shot(page, 'health-warning');
    await page.setViewportSize(PHONE);
    await shot(page, 'health-warning-phone');
    await context.close();
  });

  it('shows a bounce with its reason and category, and its explanation with the raw report', async () => {
    const { context, page } = await newPage();
    await signIn(page, keys.acme!);
    await page.getByRole('link', { name: 'Bounces' }).click();
    const row = page.getByRole('row').filter({ hasText: 'gone3@reject.test' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/hard.*unknown user.*userunknown/);
    await shot(page, 'bounces');
    await row.getByRole('link', { name: 'gone3@reject.test' }).click();
    await page.getByRole('heading', { name: 'Why gone3@reject.test bounced' }).waitFor();
    const raw = page.getByLabel('Raw report');
    await expect.poll(() => raw.textContent()).toContain('Final-Recipient: rfc822; gone3@reject.test');
    expect(await page.locator('dl').textContent()).toContain('550 5.1.1 <gone3@reject.test>: Recipient address rejected: User unknown');
    await shot(page, 'bounce-explained');
    // Campaign recipients -> Bounced -> one contact -> its explanation.
    await page.getByRole('link', { name: 'Bounces' }).click();
    await page.getByLabel('Campaign recipients → Bounced: campaign').fill('spring');
    await page.getByRole('button', { name: 'Show bounced recipients' }).click();
    const recipients = page.getByRole('table', { name: 'Bounced recipients of spring' });
    await recipients.waitFor();
    expect(await recipients.getByRole('row').count()).toBe(9); // the heading and the 8 bounced
    expect(await recipients.getByRole('row').filter({ hasText: 'gone7@reject.test' }).textContent()).toMatch(/hardunknown useruserunknown/);
    await shot(page, 'campaign-bounced');
    await recipients.getByRole('link', { name: 'gone7@reject.test' }).click();
    await page.getByRole('link', { name: / · hard · unknown user · userunknown$/ }).click();
    await page.getByRole('heading', { name: 'Why gone7@reject.test bounced' }).waitFor();
    await context.close();
  });

  it('draws the trends chart from the seeded numbers, with the same numbers in a table', async () => {
    const { context, page } = await newPage();
    await signIn(page, keys.acme!);
    await page.getByRole('link', { name: 'Trends' }).click();
    const chart = page.getByRole('img', { name: /^Daily sends, bounces, complaints and unsubscribes over the last 90 days/ });
    const canvas = chart.locator('canvas');
    await canvas.waitFor();
    expect((await canvas.boundingBox())!.width).toBeGreaterThan(500);
    // The chart's legend (uPlot) gives the values under the cursor: today's, at the right end.
    const box = (await page.locator('.u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2);
    await expect.poll(() => chart.locator('.u-legend').textContent()).toMatch(/sends\s*200.*hard\s*8.*soft\s*0/);
    await page.getByText('The numbers, day by day').click();
    const today = new Date().toISOString().slice(0, 10);
    expect(await page.getByRole('table', { name: 'Daily figures' }).getByRole('row').filter({ hasText: today }).textContent()).toBe(`${today}20080000`);
    expect(await page.getByRole('table', { name: 'Bounces by category' }).textContent()).toContain('unknown user8100.0 %');
    await shot(page, 'trends');
    await page.setViewportSize(PHONE);
    await page.reload();
    await canvas.waitFor();
    await shot(page, 'trends-phone');
    await context.close();
  });

  it('unbounces a suppression with a confirmation and a required note; the audit keeps the note', async () => {
    const { context, page } = await newPage();
    await signIn(page, keys.acme!);
    await page.getByRole('link', { name: 'Suppressions' }).click();
    await page.getByLabel('Search an address').fill('gone5@reject.test');
    await page.getByRole('button', { name: 'Search' }).click();
    // One contact: its suppressions and its bounces for this account, each linking to its explanation.
    await page.getByRole('link', { name: / · hard · unknown user · userunknown$/ }).waitFor();
    await page.getByRole('button', { name: 'Unbounce gone5@reject.test' }).click();
    const dialog = page.getByRole('dialog');
    // No note: the form does not submit (the note is required).
    await dialog.getByRole('button', { name: 'Unbounce', exact: true }).click();
    expect(await dialog.isVisible()).toBe(true);
    await dialog.getByLabel('Note (required)').fill('typo fixed in the CRM');
    await shot(page, 'unbounce-confirm');
    await dialog.getByRole('button', { name: 'Unbounce', exact: true }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('gone5@reject.test was unbounced.');
    const check = await adminApi<{ send: boolean }>('GET', '/v1/suppressions/gone5@reject.test?account=acme');
    expect(check.send).toBe(true);
    await expect.poll(() => page.locator('main').textContent()).toContain('May be mailed now');
    const audit = readRows<{ actor: string; detail: string }>(dataDir, `SELECT actor, detail FROM policy_audit WHERE account_id = 'acme' AND action = 'suppression.unbounce' AND subject = 'gone5@reject.test'`);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.detail).toContain('typo fixed in the CRM');
    // The list by reason: still-suppressed addresses offer Unbounce.
    await page.getByLabel('Reason').selectOption('hard_bounce');
    await page.getByRole('button', { name: 'List', exact: true }).click();
    await page.getByRole('button', { name: 'Unbounce gone6@reject.test' }).waitFor();
    expect(await page.getByRole('button', { name: 'Unbounce gone5@reject.test' }).count()).toBe(0);
    await shot(page, 'suppressions');
    await context.close();
  });

  it('imports an opt-out list from a file and exports the suppressions as CSV', async () => {
    const { context, page } = await newPage();
    await signIn(page, keys.acme!);
    await page.getByRole('link', { name: 'Suppressions' }).click();
    const csv = ['email,name', 'optout1@example.org,One', 'optout2@example.org,Two', 'not-an-address,Three', ''].join('\r\n');
    await page.getByLabel('Import an opt-out list').setInputFiles({ name: 'optout.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('Imported optout.csv: 2 new suppressions from 4 lines; 1 invalid (lines 4).');
    expect((await adminApi<{ send: boolean }>('GET', '/v1/suppressions/optout2@example.org?account=acme')).send).toBe(false);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('suppressions-acme.csv');
    const text = readFileSync((await download.path())!, 'utf8');
    const rows = text.trim().split('\r\n');
    expect(rows[0]).toBe('address,reason,scope,created_at');
    expect(rows.filter((r) => r.startsWith('optout1@example.org,import,account,'))).toHaveLength(1);
    expect(rows.filter((r) => /^gone\d+@reject\.test,hard_bounce,account,/.test(r)).length).toBeGreaterThanOrEqual(7);
    await context.close();
  });

  it('rejects a state-changing request without the CSRF token, and changes nothing', async () => {
    const { context, page } = await newPage();
    await signIn(page, keys.acme!);
    // The page's own origin, the session cookie sent, no X-CSRF-Token: what a forged request could at best do.
    const r = await page.evaluate(async () => {
      const res = await fetch('/v1/suppressions/gone6@reject.test?note=forged', { method: 'DELETE', credentials: 'same-origin' });
      return { status: res.status, body: await res.text() };
    });
    expect(r.status).toBe(403);
    expect(r.body).toContain('csrf_rejected');
    expect((await adminApi<{ send: boolean }>('GET', '/v1/suppressions/gone6@reject.test?account=acme')).send).toBe(false);
    // the daemon's log reaches this process through a pipe, after the 403 it wrote
    await waitFor('the HTTP_CSRF_REJECTED log line', 5000, () => (daemon.log().includes('"evt":"HTTP_CSRF_REJECTED"') ? true : undefined), 50);
    await context.close();
  });

  it("an account's session cannot reach another account's pages or data", async () => {
    const { context, page } = await newPage();
    await signIn(page, keys.acme!);
    const theirs = (await adminApi<{ items: Array<{ id: number }> }>('GET', '/v1/bounces?account=globex')).items[0]!.id;
    await page.goto(`/dashboard/#/a/globex/health`);
    await page.getByRole('heading', { name: 'Not available' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('not_found');
    expect(await page.locator('body').textContent()).not.toContain('globex-secret');
    await page.goto(`/dashboard/#/a/globex/bounce/${theirs}`);
    await page.getByRole('heading', { name: 'Not available' }).waitFor();
    await shot(page, 'other-account-refused');
    const statuses = await page.evaluate(async (id) => {
      const get = async (u: string) => (await fetch(u)).status;
      return [await get(`/v1/bounces/${id}`), await get(`/v1/bounces/${id}/report`), await get('/v1/bounces?account=globex'), await get('/v1/suppressions?account=globex'), await get('/v1/accounts')];
    }, theirs);
    expect(statuses).toEqual([404, 404, 404, 404, 403]);
    await context.close();
  });

  it('after more bounces: the suspension banner, an appeal filed, the admin reinstates it', async () => {
    // 3 more: 11 of 200 sends, 5.5 %, past the 5 % limit.
    await bounce('acme', addrs('gone', 3, 8));
    const { context, page } = await newPage();
    await signIn(page, keys.acme!);
    const banner = page.getByRole('status', { name: 'Account health' });
    await expect.poll(() => banner.textContent()).toContain('Suspended');
    expect(await banner.textContent()).toMatch(/hard-bounce rate 5\.5 % \(11 of 200 sends\)/);
    await shot(page, 'health-suspended');
    await banner.getByRole('link', { name: 'Submit an appeal →' }).click();
    await page.getByLabel('I imported the opt-out list of my previous provider').check();
    await page.getByLabel('I cleaned my lists of bounced and unengaged contacts').check();
    await page.getByLabel('Every contact was mailed within the last year').check();
    await page.getByLabel('Where did the contacts come from?').fill('Sign-ups on our shop, double opt-in');
    await page.getByLabel('What happened, and what changed?').fill('An old list was imported by mistake; it is removed.');
    await shot(page, 'appeal-form');
    await page.getByRole('button', { name: 'Submit the appeal' }).click();
    await expect.poll(() => page.getByRole('table', { name: 'Appeals' }).textContent()).toContain('open');
    await context.close();

    const admin = await newPage();
    await signIn(admin.page, ADMIN_KEY);
    const acmeRow = admin.page.getByRole('row').filter({ hasText: 'Acme Newsletters' });
    expect(await acmeRow.textContent()).toContain('Suspended');
    await admin.page.getByLabel('Reason for acme').fill('Lists cleaned; double opt-in confirmed');
    await shot(admin.page, 'admin');
    await admin.page.setViewportSize(PHONE);
    await shot(admin.page, 'admin-phone');
    await admin.page.setViewportSize(DESKTOP);
    await admin.page.getByRole('button', { name: 'Reinstate acme' }).click();
    await expect.poll(() => admin.page.getByRole('status').first().textContent()).toContain('reinstated');
    expect(await admin.page.getByText('No open appeals.').count()).toBe(1);
    const health = await adminApi<{ channel: { marketing: string } }>('GET', '/v1/accounts/acme/health');
    expect(health.channel.marketing).not.toBe('suspended');
    // The admin opens the account's pages too.
    await admin.page.getByRole('link', { name: 'acme (Acme Newsletters)' }).click();
    await admin.page.getByRole('heading', { name: 'Account health: acme' }).waitFor();
    await admin.page.getByRole('button', { name: 'Sign out' }).click();
    await admin.page.getByLabel('API key').waitFor();
    expect(await admin.context.cookies()).toEqual([]);
    await admin.context.close();
  });

  it("globex's trends: complaints and unsubscribes per day beside sends and bounces, bounces by receiving domain", async () => {
    // A complaint (an RFC 5965 feedback report over SMTP) and a one-click unsubscribe (RFC 8058), both for globex.
    const to = verp.encode({ account: 'globex', message: 'spring/c-1', recipient: 'reader@example.org' }, BOUNCE_DOMAIN);
    const sent = await sendRaw(daemon.smtpPort, { from: '', to: [to] }, await arf({ returnPath: to, recipient: 'reader@example.org', feedbackType: 'abuse', n: 1 }));
    expect(sent.ok, sent.response).toBe(true);
    const token = verp.unsubscribeToken({ account: 'globex', message: 'spring/u-1', recipient: 'leaver@example.org' });
    const one = await fetch(`${base}/v1/unsubscribe/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(one.status).toBeLessThan(300);
    await bounce('globex', ['someone@gmail.test']);
    await expect.poll(async () => (await adminApi<{ complaints: number[] }>('GET', '/v1/accounts/globex/trends?days=1')).complaints[0], { timeout: 40_000 }).toBe(1);
    const { context, page } = await newPage();
    await signIn(page, keys.globex!);
    await page.getByRole('link', { name: 'Trends' }).click();
    const chart = page.getByRole('img', { name: /^Daily sends, bounces, complaints and unsubscribes over the last 90 days/ });
    await chart.locator('canvas').waitFor();
    const box = (await page.locator('.u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2);
    await expect.poll(() => chart.locator('.u-legend').textContent()).toMatch(/hard\s*2.*complaints\s*1.*unsubscribes\s*1/);
    await page.getByText('The numbers, day by day').click();
    const today = new Date().toISOString().slice(0, 10);
    expect(await page.getByRole('table', { name: 'Daily figures' }).getByRole('row').filter({ hasText: today }).textContent()).toBe(`${today}20020011`);
    const domains = page.getByRole('table', { name: 'Bounces by receiving domain' });
    // Three records: the two hard bounces, and the feedback report (a record of kind complaint, to reader@example.org).
    expect(await domains.getByRole('row').filter({ hasText: 'reject.test' }).textContent()).toBe('reject.test133.3 %');
    expect(await domains.getByRole('row').filter({ hasText: 'gmail.test' }).textContent()).toBe('gmail.test133.3 %');
    expect(await domains.getByRole('row').filter({ hasText: 'example.org' }).textContent()).toBe('example.org133.3 %');
    await shot(page, 'trends-complaints');
    await page.setViewportSize(PHONE);
    await shot(page, 'trends-complaints-phone');
    await context.close();
  }, 120_000);

  it('an account held for review files the form; the admin approves it with a reason', async () => {
    await adminApi('POST', '/v1/accounts', { id: 'initech', name: 'Initech', tier: 'professional' });
    keys.initech = (await adminApi<{ key: string }>('POST', '/v1/accounts/initech/keys', { name: 'dashboard test' })).key;
    await adminApi('POST', '/v1/accounts/initech/review/hold', { reason: 'new account' });
    const { context, page } = await newPage();
    await signIn(page, keys.initech!);
    const banner = page.getByRole('status', { name: 'Account health' });
    await expect.poll(() => banner.textContent()).toContain('Under review');
    await banner.getByRole('link', { name: 'Fill in the review form →' }).click();
    await page.getByLabel('Where do your contacts come from?').fill('Sign-ups on our site, double opt-in');
    await page.getByLabel('What mail will you send, and how often?').fill('A monthly product letter');
    await shot(page, 'review-form');
    await page.setViewportSize(PHONE);
    await shot(page, 'review-form-phone');
    await page.setViewportSize(DESKTOP);
    await page.getByRole('button', { name: 'Submit the review form' }).click();
    const status = page.getByRole('region', { name: 'Review status' });
    await expect.poll(() => status.textContent()).toContain('submitted');
    expect(await page.locator('dl.review-form').textContent()).toContain('A monthly product letter');
    await shot(page, 'review-submitted');
    await context.close();

    const admin = await newPage();
    await signIn(admin.page, ADMIN_KEY);
    const reviews = admin.page.getByRole('table', { name: 'Accounts held for review' });
    expect(await reviews.getByRole('row').filter({ hasText: 'initech' }).textContent()).toContain('Sign-ups on our site, double opt-in');
    await admin.page.getByLabel('Review reason for initech').fill('Double opt-in confirmed');
    await shot(admin.page, 'admin-reviews');
    await admin.page.getByRole('button', { name: 'Approve initech' }).click();
    await expect.poll(() => admin.page.locator('#admin-status').textContent()).toBe('Review of initech: approved.');
    expect(await admin.page.getByText('No open reviews.').count()).toBe(1);
    expect((await adminApi<{ review: string }>('GET', '/v1/accounts/initech/health')).review).toBe('approved');
    const audit = readRows<{ detail: string }>(dataDir, `SELECT detail FROM policy_audit WHERE account_id = 'initech' AND action = 'review.decide'`);
    expect(audit.map((a) => JSON.parse(a.detail))).toEqual([{ decision: 'approve', reason: 'Double opt-in confirmed' }]);
    await admin.context.close();
  });

  it('the admin sees the global suppressions and the webhook deliveries that failed', async () => {
    // A webhook of globex to a closed loopback port (this helper's range): each event's delivery fails and is retried.
    await adminApi('POST', '/v1/accounts/globex/webhooks', { url: 'http://127.0.0.1:44999/bounced-hook', events: [] });
    // Three accounts hard-bounce one address: a global bounce (policy.globalBounceAccounts, 3).
    await adminApi('POST', '/v1/accounts', { id: 'hooli', tier: 'professional' });
    for (const a of ['globex', 'initech', 'hooli']) await bounce(a, ['everyone-gone@reject.test']);
    await expect.poll(async () => (await adminApi<{ items: unknown[] }>('GET', '/v1/global-suppressions?address=everyone-gone@reject.test')).items.length, { timeout: 40_000 }).toBe(1);
    await expect.poll(async () => (await adminApi<{ items: unknown[] }>('GET', '/v1/webhook-failures')).items.length, { timeout: 40_000 }).toBeGreaterThan(0);
    const { context, page } = await newPage();
    await signIn(page, ADMIN_KEY);
    await page.getByRole('link', { name: 'Global suppressions' }).click();
    const list = page.getByRole('table', { name: 'Global suppressions' });
    const globalRow = list.getByRole('row').filter({ hasText: 'everyone-gone@reject.test' });
    // (This wait failed once in CI, at stop 27, with the API already listing the row: say what the page showed.)
    await globalRow.waitFor({ timeout: 30_000 }).catch(async (e: unknown) => {
      throw new Error(`no row for everyone-gone@reject.test; #global-results shows: ${JSON.stringify(await page.locator('#global-results').textContent())}`, { cause: e });
    });
    expect(await globalRow.textContent()).toMatch(/everyone-gone@reject\.testglobal bounce/);
    await page.getByLabel('Look up an address (empty: list)').fill('Everyone-Gone@reject.test');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('table', { name: 'Global suppressions of Everyone-Gone@reject.test' }).waitFor();
    await shot(page, 'admin-global-suppressions');
    await page.getByLabel('Look up an address (empty: list)').fill('nobody@reject.test');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.locator('#global-results').textContent()).toBe('nobody@reject.test is not globally suppressed.');
    await page.getByRole('link', { name: 'Webhook failures' }).click();
    const failures = page.getByRole('table', { name: 'Failed webhook deliveries' });
    const row = failures.getByRole('row').filter({ hasText: 'http://127.0.0.1:44999/bounced-hook' }).first();
    await row.waitFor();
    const text = (await row.textContent())!;
    expect(text).toMatch(/^globexhttp:\/\/127\.0\.0\.1:44999\/bounced-hook[a-z_.]+\d+/);
    expect(text).toMatch(/no answer.*(retrying|given up)/);
    await shot(page, 'admin-webhook-failures');
    await page.setViewportSize(PHONE);
    await shot(page, 'admin-webhook-failures-phone');
    await context.close();
  }, 120_000); // three DSNs through the pipeline, a global bounce and a webhook attempt: slow on a loaded machine

  it('a page still loading never draws over the page clicked meanwhile (the admin home, slow, then the global suppressions)', async () => {
    // The race behind the one flake of this file (stops 27 and 28): the admin's home waits for
    // /v1/account-health; a click on "Global suppressions" meanwhile draws that page; the home,
    // answered later, must not replace it. Here the home's answer is held back on purpose.
    const { context, page } = await newPage();
    let release!: () => void;
    const held = new Promise<void>((ok) => (release = ok));
    let heldOnce = false;
    await page.route('**/v1/account-health*', async (r) => {
      if (heldOnce) return r.continue();
      heldOnce = true;
      await held;
      await r.continue();
    });
    await page.goto('/dashboard/');
    await page.getByLabel('API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Global suppressions' }).click();
    await page.locator('#global-results').waitFor();
    await expect.poll(() => heldOnce).toBe(true);
    const slowHome = page.waitForResponse('**/v1/account-health*');
    release();
    await slowHome;
    await page.waitForTimeout(300); // the home's other requests (appeals, reviews) and its drawing
    expect(await page.locator('#global-results').count()).toBe(1);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).not.toBe('Accounts by health');
    expect(page.url()).toMatch(/#\/admin\/suppressions$/);
    await context.close();
  });

  it('the browser enforces the Content-Security-Policy: an injected inline script does not run', async () => {
    // Its own context, without the page-error listener: the refusal is what this test wants.
    const context = await browser.newContext({ baseURL: base });
    await context.addInitScript(REPORT_CSP);
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (m) => refused.push(m.text()));
    const res = await page.goto('/dashboard/');
    expect(res!.headers()['content-security-policy']).toContain("script-src 'self'");
    const ran = await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.injected = 1';
      document.body.appendChild(s);
      return (window as unknown as { injected?: number }).injected === 1;
    });
    expect(ran).toBe(false);
    await expect.poll(() => refused.join('\n')).toMatch(/CSP violation: script-src-elem inline/);
    await context.close();
  });

  it('met no script error and nothing refused by the Content-Security-Policy', () => {
    expect(pageErrors).toEqual([]);
  });

  it('asked for nothing outside 127.0.0.1', () => {
    expect(requested.length).toBeGreaterThan(20);
    const outside = requested.filter((u) => !u.startsWith(`${base}/`) && !u.startsWith('data:'));
    expect(outside).toEqual([]);
  });
});

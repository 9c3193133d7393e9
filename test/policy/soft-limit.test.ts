// Repeated soft bounces (issue #19 §2): the pure rule, then the policy step on a real store
// (the settle step calls recordEvidence for every DSN, log line, window expiry and ESP event).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, type SoftBounceLimit } from '../../src/domain/index.js';
import { expireSoftLimits } from '../../src/scheduler/jobs.js';
import { buildPipeline, type Built } from '../../src/pipeline/build.js';
import { checkSoftBounceLimit, softBounceDecision, softBounceSince } from '../../src/policy/rules.js';
import type { Evidence } from '../../src/store/contract.js';
import { testConfig } from '../helpers/env.js';

const LIMIT: SoftBounceLimit = { bounces: 3, windowDays: 7, suppressDays: 30 };
const T0 = Date.UTC(2026, 10, 2, 12);

describe('the rule (pure)', () => {
  it('counts from the window start, or from just after the last delivery when that is later', () => {
    expect(softBounceSince(T0, LIMIT, null)).toBe(T0 - 7 * DAY_MS);
    expect(softBounceSince(T0, LIMIT, T0 - 30 * DAY_MS)).toBe(T0 - 7 * DAY_MS);
    expect(softBounceSince(T0, LIMIT, T0 - DAY_MS)).toBe(T0 - DAY_MS + 1);
  });

  it('suppresses at N soft bounces, for the chosen days, and says why; no limit, no suppression', () => {
    expect(softBounceDecision(2, LIMIT, T0)).toBeNull();
    expect(softBounceDecision(99, null, T0)).toBeNull();
    const d = softBounceDecision(3, LIMIT, T0)!;
    expect(d.reason).toBe('soft_bounce_limit');
    expect(d.until).toBe(T0 + 30 * DAY_MS);
    expect(d.source).toBe('3 soft bounces within 7 days, no delivery between; suppressed for 30 days (until 2026-12-02)');
  });

  it('accepts whole numbers in range only (one soft bounce stays eligible)', () => {
    expect(checkSoftBounceLimit(LIMIT)).toBeNull();
    expect(checkSoftBounceLimit({ ...LIMIT, bounces: 1 })).toMatch(/bounces/);
    expect(checkSoftBounceLimit({ ...LIMIT, windowDays: 0.5 })).toMatch(/windowDays/);
    expect(checkSoftBounceLimit({ ...LIMIT, suppressDays: 0 })).toMatch(/suppressDays/);
  });
});

describe('applied with the evidence (real store)', () => {
  let b: Built;
  beforeAll(async () => {
    b = await buildPipeline(testConfig());
    for (const id of ['acme', 'plain']) await b.policy.createAccount({ id, tier: 'professional' }, 'test', T0);
    await b.store.accounts.setSoftBounceLimit('acme', LIMIT, T0);
  });
  afterAll(() => b?.close());

  let n = 0;
  const record = (account: string, recipient: string, state: 'soft' | 'delivered', at: number, channel: 'o2o:' | '' = '') =>
    b.rules.transaction(b.store, at, async (p) => {
      const ev: Evidence = {
        accountId: account, messageId: `${channel}spring/m${++n}`, recipient, at, source: 'esp', state,
        status: state === 'soft' ? '4.2.2' : '2.0.0', reason: state === 'soft' ? 'mailboxfull' : 'delivered',
        category: state === 'soft' ? 'mailbox_full' : 'none', diagnostic: null, qid: null, dedupKey: `t:${n}`, countsAsSend: false,
      };
      await p.recordEvidence(ev, null);
    });
  const reasons = async (account: string, address: string) => (await b.store.suppressions.hits(account, address)).map((h) => h.reason);

  it('N soft bounces of one address within the window suppress it (marketing only), explained in the pre-send check', async () => {
    await record('acme', 'full@example.test', 'soft', T0);
    await record('acme', 'full@example.test', 'soft', T0 + DAY_MS);
    expect(await reasons('acme', 'full@example.test')).toEqual([]);
    await record('acme', 'full@example.test', 'soft', T0 + 2 * DAY_MS);
    expect(await reasons('acme', 'full@example.test')).toEqual(['soft_bounce_limit']);
    const check = await b.policy.checkSend('acme', 'full@example.test', T0 + 2 * DAY_MS, { channel: 'marketing' });
    expect(check.send).toBe(false);
    expect(check.reasons[0]).toMatchObject({ code: 'soft_bounce_limit', scope: 'account' });
    expect(String(check.reasons[0]!.detail)).toContain('3 soft bounces within 7 days');
    // One-to-one soft bounces never count toward it; an account without a limit: HubSpot's rule.
    for (let i = 0; i < 4; i++) await record('acme', 'o2o@example.test', 'soft', T0 + i, 'o2o:');
    for (let i = 0; i < 4; i++) await record('plain', 'full@example.test', 'soft', T0 + i);
    expect(await reasons('acme', 'o2o@example.test')).toEqual([]);
    expect(await reasons('plain', 'full@example.test')).toEqual([]);
  });

  it('a delivery in between resets the count; bounces older than the window do not count', async () => {
    await record('acme', 'reset@example.test', 'soft', T0);
    await record('acme', 'reset@example.test', 'soft', T0 + 1000);
    await record('acme', 'reset@example.test', 'delivered', T0 + 2000);
    await record('acme', 'reset@example.test', 'soft', T0 + 3000);
    await record('acme', 'reset@example.test', 'soft', T0 + 4000);
    expect(await reasons('acme', 'reset@example.test')).toEqual([]);
    await record('acme', 'old@example.test', 'soft', T0);
    await record('acme', 'old@example.test', 'soft', T0 + 8 * DAY_MS);
    await record('acme', 'old@example.test', 'soft', T0 + 9 * DAY_MS);
    expect(await reasons('acme', 'old@example.test')).toEqual([]);
    await record('acme', 'old@example.test', 'soft', T0 + 10 * DAY_MS);
    expect(await reasons('acme', 'old@example.test')).toEqual(['soft_bounce_limit']);
  });

  it('the suppression is lifted after suppressDays by the expiry job, audited', async () => {
    const at = (await b.store.suppressions.list({ accountId: 'acme', reason: 'soft_bounce_limit', limit: 100 })).find((s) => s.address === 'full@example.test')!.createdAt;
    expect(await expireSoftLimits(b.store, at + 30 * DAY_MS - 1)).toBe(0);
    expect(await reasons('acme', 'full@example.test')).toEqual(['soft_bounce_limit']);
    expect(await expireSoftLimits(b.store, at + 30 * DAY_MS)).toBe(1);
    expect(await reasons('acme', 'full@example.test')).toEqual([]);
    const audit = await b.store.audit.list('acme');
    expect(audit.some((e) => e.action === 'suppression.unbounce' && e.subject === 'full@example.test')).toBe(true);
  });
});

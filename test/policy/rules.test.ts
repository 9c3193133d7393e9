// The pure policy decisions, without SQLite: plain records and `now` in, decisions out.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_POLICY_STATE as DEFAULT_STATE, monthOf, monthRange, parseMessageRef, ZERO_FIGURES, type Figures } from '../../src/domain/index.js';
import {
  appealAllowed, assess, canaryCancels, canarySize, decideSend, readAppealForm, retryDelay, suppressesRecipient, viewHealth,
} from '../../src/policy/rules.js';

const cfg = loadConfig({ env: {} }).policy;
const month = (f: Partial<Figures>): Figures => ({ ...ZERO_FIGURES, ...f });

describe('message references', () => {
  it('reads [o2o:][<campaign>/]<message>', () => {
    expect(parseMessageRef('m-1')).toEqual({ channel: 'marketing', campaign: null, message: 'm-1' });
    expect(parseMessageRef('spring/m-1')).toEqual({ channel: 'marketing', campaign: 'spring', message: 'm-1' });
    expect(parseMessageRef('o2o:crm-7')).toEqual({ channel: 'one_to_one', campaign: null, message: 'crm-7' });
    expect(parseMessageRef('o2o:seq/crm-7')).toEqual({ channel: 'one_to_one', campaign: 'seq', message: 'crm-7' });
    expect(parseMessageRef('/odd')).toMatchObject({ campaign: null, message: '/odd' });
  });
});

describe('months', () => {
  it('are UTC calendar months', () => {
    expect(monthOf(Date.parse('2026-11-30T23:59:59Z'))).toBe('2026-11');
    expect(monthOf(Date.parse('2026-12-01T00:00:00Z'))).toBe('2026-12');
    expect(monthRange('2026-12')).toMatchObject({ firstDay: '2026-12-01', nextFirstDay: '2027-01-01' });
  });
});

describe('rates and suspension (defaults: 5 %, 0.1 %, 5 %, warn at 80 %, 200 sends)', () => {
  it('51 hard bounces in 1,000 suspend; 50 (exactly the limit) warn; 49 warn; 39 do not', () => {
    expect(assess(month({ sends: 1000, hardBounces: 51 }), month({ sends: 1000, hardBounces: 51 }), cfg).suspend).toMatchObject({ cause: 'rates' });
    for (const n of [50, 49, 40]) {
      const a = assess(month({ sends: 1000, hardBounces: n }), month({ sends: 1000, hardBounces: n }), cfg);
      expect(a.suspend, String(n)).toBeNull();
      expect(a.warnings, String(n)).toEqual(['hard_bounce_rate']);
    }
    expect(assess(month({ sends: 1000, hardBounces: 39 }), month({ sends: 1000, hardBounces: 39 }), cfg).warnings).toEqual([]);
  });

  it('2 complaints in 1,000 suspend; 1 warns', () => {
    expect(assess(month({ sends: 1000, complaints: 2 }), month({ sends: 1000, complaints: 2 }), cfg).suspend?.detail).toMatch(/spam complaint rate 0.20 %/);
    const one = assess(month({ sends: 1000, complaints: 1 }), month({ sends: 1000, complaints: 1 }), cfg);
    expect(one).toEqual({ warnings: ['complaint_rate'], suspend: null });
  });

  it('nothing counts under the minimum volume', () => {
    expect(assess(month({ sends: 199, hardBounces: 199 }), month({ sends: 199, hardBounces: 199 }), cfg)).toEqual({ warnings: [], suspend: null });
  });

  it('after a reinstatement only what happened since counts toward a new suspension', () => {
    const m = month({ sends: 1000, hardBounces: 60 });
    expect(assess(m, month({ sends: 0, hardBounces: 1 }), cfg).suspend).toBeNull();
    expect(assess(m, m, cfg).suspend).not.toBeNull();
  });

  it('cancelled campaigns and blocklistings', () => {
    expect(assess(month({ cancelledCampaigns: 1 }), month({ cancelledCampaigns: 1 }), cfg)).toEqual({ warnings: ['campaign_cancelled'], suspend: null });
    expect(assess(month({ cancelledCampaigns: 3 }), month({ cancelledCampaigns: 3 }), cfg).suspend?.cause).toBe('campaigns');
    expect(assess(month({ blocklistings: 10 }), month({ blocklistings: 10 }), cfg).suspend?.cause).toBe('blocklist');
  });
});

describe('canary', () => {
  it('is the first 500 sends or 5 % of the declared size, whichever is smaller', () => {
    expect(canarySize(null, cfg)).toBe(500);
    expect(canarySize(2000, cfg)).toBe(100);
    expect(canarySize(1_000_000, cfg)).toBe(500);
  });
  it('cancels when the hard bounces already pass the limit of the canary', () => {
    expect(canaryCancels({ hardBounces: 25, sends: 10, planned: null }, cfg)).toBe(false); // 25/500 = 5 %
    expect(canaryCancels({ hardBounces: 26, sends: 10, planned: null }, cfg)).toBe(true);
    expect(canaryCancels({ hardBounces: 26, sends: 10_000, planned: null }, cfg)).toBe(false);
  });
});

describe('suppression by profile', () => {
  it('default: every hard failure; conservative: address reasons only; never soft or one-to-one', () => {
    for (const category of ['unknown_user', 'mailbox_full', 'policy', 'spam', 'content', 'other']) {
      expect(suppressesRecipient('default', { state: 'hard', category, channel: 'marketing' })).toBe(true);
      expect(suppressesRecipient('conservative', { state: 'hard', category, channel: 'marketing' })).toBe(['unknown_user', 'mailbox_full'].includes(category));
    }
    expect(suppressesRecipient('default', { state: 'soft', category: 'unknown_user', channel: 'marketing' })).toBe(false);
    expect(suppressesRecipient('default', { state: 'hard', category: 'unknown_user', channel: 'one_to_one' })).toBe(false);
  });
});

describe('the pre-send check', () => {
  const hit = (accountId: string, reason: 'hard_bounce' | 'global_bounce' | 'unsubscribe') => ({ accountId, reason, createdAt: 1, source: null });
  it('says why, account first, then the suppressions by seriousness', () => {
    const d = decideSend('a@x', { ...DEFAULT_STATE, marketing: 'suspended', suspension: 'rates', suspendedAt: 5 }, [hit('*', 'global_bounce'), hit('acme', 'unsubscribe')], { cancelledAt: 7 }, 'marketing');
    expect(d.send).toBe(false);
    expect(d.reasons.map((r) => `${r.code}/${r.scope}`)).toEqual(['account_suspended/account', 'campaign_cancelled/account', 'unsubscribe/account', 'global_bounce/global']);
  });
  it('one-to-one mail ignores marketing suppressions and suspensions, except fraud', () => {
    expect(decideSend('a@x', { ...DEFAULT_STATE, marketing: 'suspended', suspension: 'rates' }, [hit('acme', 'hard_bounce')], null, 'one_to_one').send).toBe(true);
    expect(decideSend('a@x', { ...DEFAULT_STATE, marketing: 'suspended', suspension: 'fraud' }, [], null, 'one_to_one').send).toBe(false);
  });
});

describe('appeals', () => {
  it('by tier: free never, legacy via the team, paid and trial by form, one at a time', () => {
    expect(appealAllowed('free', true, false)).toMatchObject({ ok: false, code: 'free_tier' });
    for (const t of ['legacy-basic', 'legacy-professional', 'legacy-enterprise'] as const) expect(appealAllowed(t, true, false)).toMatchObject({ code: 'legacy_tier' });
    for (const t of ['trial', 'starter', 'professional', 'enterprise'] as const) expect(appealAllowed(t, true, false)).toEqual({ ok: true });
    expect(appealAllowed('starter', true, true)).toMatchObject({ code: 'appeal_open' });
    expect(appealAllowed('starter', false, false)).toMatchObject({ code: 'not_suspended' });
  });
  it('the form states the three facts and gives the texts', () => {
    expect(readAppealForm({})).toMatchObject({ ok: false, error: expect.stringContaining('importedOptOutList, cleanedLists, mailedWithinYear, contactsSource, message') });
    expect(readAppealForm({ importedOptOutList: true, cleanedLists: true, mailedWithinYear: true, contactsSource: ' shop ', message: 'x' })).toMatchObject({ ok: true, form: { channel: 'marketing', contactsSource: 'shop' } });
  });
  it('the banner of a suspended free account says it cannot appeal', () => {
    const v = viewHealth({ tier: 'free', state: { ...DEFAULT_STATE, marketing: 'suspended', suspension: 'rates' }, warnings: [], figures: ZERO_FIGURES, openAppeal: false, cfg });
    expect(v).toMatchObject({ status: 'suspended', canAppeal: false });
    expect(v.banner).toMatch(/Free accounts cannot appeal/);
  });
});

describe('notification backoff', () => {
  it('doubles from the base up to the cap', () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelay(n, 60_000, 600_000))).toEqual([60_000, 120_000, 240_000, 480_000, 600_000]);
  });
});

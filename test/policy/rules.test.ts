// The pure policy decisions, without SQLite: plain records and `now` in, decisions out.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_POLICY_STATE as DEFAULT_STATE, monthOf, monthRange, parseMessageRef, ZERO_FIGURES, type Figures } from '../../src/domain/index.js';
import {
  appealAllowed, assess, canaryCancels, canarySize, complaintOf, decideSend, deliveryEffects, evaluateMonth, heldState, readAppealForm,
  reinstatedState, replayProfile, retryDelay, spamTrapHit, suppressesRecipient, suspendedState, unsubscribeOf, viewHealth, warnedState,
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

// ---------------------------------------------------------------------------------------
// The decisions the settle step asks (they lived in the service's listeners and in SQL).

describe('what a delivery change calls for', () => {
  const ev = { accountId: 'acme', messageId: 'spring/m-1', recipient: 'ann@example.org', at: 5, reason: 'userunknown', category: 'unknown_user' };
  const change = (over: Partial<Parameters<typeof deliveryEffects>[0]> = {}) =>
    deliveryEffects({ deliveryId: 7, previous: null, state: 'hard', sendCounted: false, evidence: ev, ...over });

  it('a new hard marketing failure: its event, the failure (an address reason), suppression, global and canary checks, the month', () => {
    expect(change()).toEqual({
      event: 'bounce.hard',
      campaignSend: null,
      failure: { deliveryId: 7, accountId: 'acme', recipient: 'ann@example.org', channel: 'marketing', campaign: 'spring', state: 'hard', reason: 'userunknown', category: 'unknown_user', addressReason: true, at: 5 },
      hardMarketing: { addressReason: true, campaign: 'spring' },
      evaluate: true,
    });
    expect(change({ evidence: { ...ev, category: 'policy' } }).hardMarketing).toEqual({ addressReason: false, campaign: 'spring' });
  });

  it('a soft or one-to-one failure is recorded and counted but suppresses nothing', () => {
    expect(change({ previous: 'pending', state: 'soft' })).toMatchObject({ event: 'bounce.soft', failure: { state: 'soft', addressReason: false }, hardMarketing: null, evaluate: true });
    expect(change({ evidence: { ...ev, messageId: 'o2o:crm-1' } })).toMatchObject({ failure: { channel: 'one_to_one', campaign: null }, hardMarketing: null, evaluate: true });
  });

  it('no move, or a move to pending or delivered: no failure, no evaluation; a counted send of a campaign counts for it', () => {
    expect(change({ previous: 'hard', state: 'hard' })).toEqual({ event: null, campaignSend: null, failure: null, hardMarketing: null, evaluate: false });
    expect(change({ previous: 'hard', state: 'hard', sendCounted: true })).toMatchObject({ campaignSend: 'spring', failure: null });
    expect(change({ previous: 'pending', state: 'delivered', sendCounted: true })).toMatchObject({ event: 'delivery.resolved', campaignSend: 'spring', failure: null, evaluate: false });
    expect(change({ previous: null, state: 'delivered' })).toMatchObject({ event: null, failure: null });
    expect(change({ state: 'pending', sendCounted: true, evidence: { ...ev, messageId: 'm-9' } })).toMatchObject({ event: 'bounce.pending', campaignSend: null });
    // One-to-one mail has no campaign sends to count.
    expect(change({ sendCounted: true, evidence: { ...ev, messageId: 'o2o:seq/crm-1' } }).campaignSend).toBeNull();
  });

  it('a spam trap is hit by a new delivery only', () => {
    const traps = new Set(['trap@example.net']);
    expect(spamTrapHit({ previous: null }, 'trap@example.net', traps)).toBe(true);
    expect(spamTrapHit({ previous: 'pending' }, 'trap@example.net', traps)).toBe(false);
    expect(spamTrapHit({ previous: null }, 'ann@example.org', traps)).toBe(false);
  });
});

describe('complaints and unsubscribes', () => {
  const arf = { kind: 'complaint', verified: true, accountId: 'acme', recipient: 'ann@example.org', messageId: 'o2o:seq/m-1', feedbackType: 'abuse' };
  it('a verified ARF abuse report is a complaint of its channel and campaign; anything else is none', () => {
    expect(complaintOf(arf, 9)).toEqual({ accountId: 'acme', kind: 'complaint', messageId: 'o2o:seq/m-1', recipient: 'ann@example.org', channel: 'one_to_one', campaign: 'seq', at: 9, source: 'arf' });
    expect(complaintOf({ ...arf, verified: false }, 9)).toBeNull();
    expect(complaintOf({ ...arf, feedbackType: 'not-spam' }, 9)).toBeNull();
    expect(complaintOf({ ...arf, kind: 'bounce' }, 9)).toBeNull();
    expect(complaintOf({ ...arf, recipient: null }, 9)).toBeNull();
    expect(complaintOf({ ...arf, messageId: null }, 9)).toMatchObject({ messageId: '', channel: 'marketing', campaign: null });
  });
  it('an unsubscribe token names its report', () => {
    expect(unsubscribeOf({ account: 'acme', message: 'news/n-1' }, 'ann@example.org', 'mailto', 3)).toEqual({
      accountId: 'acme', kind: 'unsubscribe', messageId: 'news/n-1', recipient: 'ann@example.org', channel: 'marketing', campaign: 'news', at: 3, source: 'mailto',
    });
  });
});

describe("the account's month and state", () => {
  const base = { ...DEFAULT_STATE };
  it('suspends once when the rates pass their limit; announces each warning once a month, never while suspending', () => {
    const bad = month({ sends: 1000, hardBounces: 51 });
    expect(evaluateMonth(base, bad, '2026-11', cfg)).toMatchObject({ suspend: { cause: 'rates' }, announce: [], hold: null });
    expect(evaluateMonth({ ...base, marketing: 'suspended' }, bad, '2026-11', cfg)).toMatchObject({ suspend: null, announce: [] });
    const warned = month({ sends: 1000, hardBounces: 45, blocklistings: 1 });
    expect(evaluateMonth(base, warned, '2026-11', cfg).announce).toEqual(['hard_bounce_rate', 'blocklisted']);
    const after = warnedState(base, '2026-11', ['hard_bounce_rate']);
    expect(evaluateMonth(after, warned, '2026-11', cfg).announce).toEqual(['blocklisted']);
    // A new month announces again.
    expect(evaluateMonth(after, warned, '2026-12', cfg).announce).toEqual(['hard_bounce_rate', 'blocklisted']);
    expect(warnedState(after, '2026-11', ['blocklisted']).warned).toEqual({ month: '2026-11', causes: ['hard_bounce_rate', 'blocklisted'] });
  });

  it('after a reinstatement the month so far is the baseline: only new failures suspend', () => {
    const m = month({ sends: 1000, hardBounces: 60 });
    const reinstated = reinstatedState({ ...base, marketing: 'suspended', suspension: 'rates', suspendedAt: 1 }, 'marketing', '2026-11', m);
    expect(reinstated).toMatchObject({ marketing: 'ok', suspension: null, suspendedAt: null, baseline: { month: '2026-11', figures: m } });
    expect(evaluateMonth(reinstated, m, '2026-11', cfg).suspend).toBeNull();
    expect(evaluateMonth(reinstated, month({ sends: 2000, hardBounces: 170 }), '2026-11', cfg).suspend).toMatchObject({ cause: 'rates' });
    expect(reinstatedState({ ...base, oneToOne: 'suspended', oneToOneSuspension: 'admin', oneToOneSuspendedAt: 1 }, 'one_to_one', '2026-11', m)).toMatchObject({ oneToOne: 'ok', baseline: null });
  });

  it('holds for review past the monthly sends (once), and a held account is not held again', () => {
    const c = { ...cfg, reviewMonthlySends: 500 };
    expect(evaluateMonth(base, month({ sends: 500 }), '2026-11', c).hold).toBe('monthly sends passed 500');
    expect(evaluateMonth({ ...base, review: 'approved' }, month({ sends: 5000 }), '2026-11', c).hold).toBeNull();
    expect(heldState(base)).toMatchObject({ review: 'required' });
    expect(heldState({ ...base, review: 'submitted' })).toBeNull();
  });

  it('suspends a channel or both, once', () => {
    const both = suspendedState(base, 'both', 'fraud', 'trap', 7)!;
    expect(both).toMatchObject({ marketing: 'suspended', suspension: 'fraud', suspensionDetail: 'trap', suspendedAt: 7, oneToOne: 'suspended', oneToOneSuspension: 'fraud', oneToOneSuspendedAt: 7 });
    expect(suspendedState(both, 'marketing', 'rates', 'x', 8)).toBeNull();
    expect(suspendedState(base, 'one_to_one', 'admin', 'x', 8)).toMatchObject({ marketing: 'ok', oneToOne: 'suspended' });
  });
});

describe('a profile change replays the stored hard failures', () => {
  const failures = [
    { deliveryId: 1, recipient: 'ann@example.org', category: 'policy', at: 10 },
    { deliveryId: 2, recipient: 'bob@example.org', category: 'unknown_user', at: 10 },
    { deliveryId: 3, recipient: 'carl@example.org', category: 'spam', at: 10 },
    { deliveryId: 4, recipient: 'carl@example.org', category: 'mailbox_full', at: 30 },
  ];
  it('conservative keeps address reasons only; default all; an unbounce lifts the failures before it', () => {
    expect([...replayProfile('conservative', failures, () => null)]).toEqual([['ann@example.org', null], ['bob@example.org', 2], ['carl@example.org', 4]]);
    expect([...replayProfile('default', failures, () => null)]).toEqual([['ann@example.org', 1], ['bob@example.org', 2], ['carl@example.org', 3]]);
    const unbounced = (r: string) => (r === 'carl@example.org' ? 20 : r === 'bob@example.org' ? 50 : null);
    expect([...replayProfile('default', failures, unbounced)]).toEqual([['ann@example.org', 1], ['bob@example.org', null], ['carl@example.org', 4]]);
  });
});

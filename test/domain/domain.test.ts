// The shared vocabulary (src/domain/): its helpers, and that it says the same as the modules
// that still spell it themselves until phase B of issue #15 makes them import it.
import { describe, expect, it } from 'vitest';
import * as D from '../../src/domain/index.js';
import { EVENT_TYPES as API_EVENT_TYPES, SUPPRESSION_REASONS as API_SUPPRESSION_REASONS } from '../../src/api/schemas.js';
import { PROFILES as POLICY_PROFILES, TIERS as POLICY_TIERS } from '../../src/policy/contract.js';
import * as rules from '../../src/policy/rules.js';
import * as lifecycle from '../../src/lifecycle/state.js';
import { RAW_HEAD_BYTES } from '../../src/store/types.js';

describe('domain', () => {
  it('advance: the most final state any evidence argued for, never backwards', () => {
    for (const a of D.DELIVERY_STATES) {
      expect(D.advance(null, a)).toBe(a);
      for (const b of D.DELIVERY_STATES) {
        const want = D.DELIVERY_STATES[Math.max(D.DELIVERY_STATES.indexOf(a), D.DELIVERY_STATES.indexOf(b))];
        expect(D.advance(a, b), `${a} then ${b}`).toBe(want);
        expect(D.advance(a, b)).toBe(lifecycle.advance(a, b));
      }
    }
  });

  it('the event a delivery change announces', () => {
    expect(D.eventOfDeliveryChange(null, 'hard')).toBe('bounce.hard');
    expect(D.eventOfDeliveryChange('pending', 'soft')).toBe('bounce.soft');
    expect(D.eventOfDeliveryChange(null, 'pending')).toBe('bounce.pending');
    expect(D.eventOfDeliveryChange('pending', 'delivered')).toBe('delivery.resolved');
    expect(D.eventOfDeliveryChange(null, 'delivered')).toBeNull();
    expect(D.eventOfDeliveryChange('hard', 'hard')).toBeNull();
  });

  it('UTC days and months; a month is [start, end)', () => {
    expect(D.utcDay(Date.UTC(2026, 0, 31, 23, 59, 59, 999))).toBe('2026-01-31');
    expect(D.monthOf(Date.UTC(2026, 1, 1))).toBe('2026-02');
    expect(D.monthOfDay('2026-12-31')).toBe('2026-12');
    expect(D.monthRange('2026-12')).toEqual({ start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1), firstDay: '2026-12-01', nextFirstDay: '2027-01-01' });
    expect(D.monthRange('2026-02')).toEqual(rules.monthRange('2026-02'));
    expect(D.isDay('2026-02-28')).toBe(true);
    expect(D.isDay('2026-02-30')).toBe(false);
    expect(D.isDay('2026-2-01')).toBe(false);
  });

  it('message references: [o2o:]<campaign>/<message>', () => {
    for (const id of ['spring/m1', 'o2o:deals/m2', 'O2O:m3', 'm4', '/m5', 'c/', 'a/b/c']) expect(D.parseMessageRef(id)).toEqual(rules.parseMessageRef(id));
    expect(D.parseMessageRef('o2o:deals/m2')).toEqual({ channel: 'one_to_one', campaign: 'deals', message: 'm2' });
  });

  it('failure classes', () => {
    for (const c of [...D.CATEGORIES, null]) {
      expect(D.isAddressCategory(c)).toBe(rules.isAddressReason(c));
      expect(D.isSenderSideCategory(c)).toBe(rules.isSenderSide(c));
    }
    for (const r of [...D.REASONS, null]) expect(D.isBlocklistReason(r)).toBe(rules.isBlocklisting(r));
    expect(D.isSpamFeedback('abuse')).toBe(true);
    expect(D.isSpamFeedback('not-spam')).toBe(false);
    expect(D.isRemovable('hard_bounce')).toBe(true);
    expect(D.isRemovable('complaint')).toBe(false);
  });

  it('says the same as the modules that still spell the vocabulary', () => {
    expect([...D.TIERS]).toEqual(POLICY_TIERS);
    expect([...D.PROFILES]).toEqual(POLICY_PROFILES);
    expect([...D.EVENT_TYPES].sort()).toEqual([...API_EVENT_TYPES].sort());
    expect([...D.SUPPRESSION_REASONS].sort()).toEqual([...API_SUPPRESSION_REASONS].sort());
    expect(D.DAY_MS).toBe(rules.DAY_MS);
    expect(D.RAW_HEAD_BYTES).toBe(RAW_HEAD_BYTES);
    expect(D.ZERO_FIGURES).toEqual(rules.ZERO_FIGURES);
    expect(D.subtractFigures({ ...D.ZERO_FIGURES, sends: 5, hardBounces: 1 }, { ...D.ZERO_FIGURES, sends: 7 })).toEqual({ ...D.ZERO_FIGURES, sends: 0, hardBounces: 1 });
  });
});

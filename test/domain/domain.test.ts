// The shared vocabulary (src/domain/): its helpers, and that no other module spells one of its
// lists again (STYLE.md: "Say each vocabulary once"; a zod enum or a CLI choice is built from
// the list, not retyped). The SQL of the migrations is exempt: a CHECK constraint is written
// once per schema version and never edited.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as D from '../../src/domain/index.js';
import { repoRoot } from '../helpers/env.js';

describe('domain', () => {
  it('advance: the most final state any evidence argued for, never backwards', () => {
    for (const a of D.DELIVERY_STATES) {
      expect(D.advance(null, a)).toBe(a);
      for (const b of D.DELIVERY_STATES) {
        const want = D.DELIVERY_STATES[Math.max(D.DELIVERY_STATES.indexOf(a), D.DELIVERY_STATES.indexOf(b))];
        expect(D.advance(a, b), `${a} then ${b}`).toBe(want);
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
    expect(D.monthOf(Date.parse('2026-11-30T23:59:59Z'))).toBe('2026-11');
    expect(D.monthOfDay('2026-12-31')).toBe('2026-12');
    expect(D.monthRange('2026-12')).toEqual({ start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1), firstDay: '2026-12-01', nextFirstDay: '2027-01-01' });
    expect(D.monthRange('2026-02')).toEqual({ start: Date.UTC(2026, 1, 1), end: Date.UTC(2026, 2, 1), firstDay: '2026-02-01', nextFirstDay: '2026-03-01' });
    expect(D.isDay('2026-02-28')).toBe(true);
    expect(D.isDay('2026-02-30')).toBe(false);
    expect(D.isDay('2026-2-01')).toBe(false);
    expect(D.DAY_MS).toBe(24 * D.HOUR_MS);
  });

  it('message references: [o2o:]<campaign>/<message>', () => {
    expect(D.parseMessageRef('spring/m1')).toEqual({ channel: 'marketing', campaign: 'spring', message: 'm1' });
    expect(D.parseMessageRef('o2o:deals/m2')).toEqual({ channel: 'one_to_one', campaign: 'deals', message: 'm2' });
    expect(D.parseMessageRef('O2O:m3')).toEqual({ channel: 'one_to_one', campaign: null, message: 'm3' });
    expect(D.parseMessageRef('m4')).toEqual({ channel: 'marketing', campaign: null, message: 'm4' });
    // A slash at either end is no campaign; the first slash separates.
    expect(D.parseMessageRef('/m5')).toEqual({ channel: 'marketing', campaign: null, message: '/m5' });
    expect(D.parseMessageRef('c/')).toEqual({ channel: 'marketing', campaign: null, message: 'c/' });
    expect(D.parseMessageRef('a/b/c')).toEqual({ channel: 'marketing', campaign: 'a', message: 'b/c' });
  });

  it('failure classes', () => {
    const address = D.CATEGORIES.filter((c) => D.isAddressCategory(c));
    expect(address).toEqual(['unknown_user', 'mailbox_full']);
    expect(D.CATEGORIES.filter((c) => D.isSenderSideCategory(c))).toEqual(['content', 'spam', 'policy']);
    expect(D.isAddressCategory(null)).toBe(false);
    expect(D.isSenderSideCategory(null)).toBe(false);
    expect(D.REASONS.filter((r) => D.isBlocklistReason(r))).toEqual(['blocked', 'badreputation']);
    expect(D.isBlocklistReason(null)).toBe(false);
    expect(D.isSpamFeedback('abuse')).toBe(true);
    expect(D.isSpamFeedback('not-spam')).toBe(false);
    expect(D.isRemovable('hard_bounce')).toBe(true);
    expect(D.isRemovable('complaint')).toBe(false);
  });

  it('figures: subtracting a baseline never goes below 0', () => {
    expect(D.subtractFigures({ ...D.ZERO_FIGURES, sends: 5, hardBounces: 1 }, { ...D.ZERO_FIGURES, sends: 7 })).toEqual({ ...D.ZERO_FIGURES, sends: 0, hardBounces: 1 });
    expect(D.subtractFigures({ ...D.ZERO_FIGURES, sends: 5 }, null)).toEqual({ ...D.ZERO_FIGURES, sends: 5 });
  });
});

// ---------------------------------------------------------------------------------------
// Said once.

/** Every list of the domain: the exported readonly arrays of strings. */
const LISTS = (Object.entries(D) as Array<[string, unknown]>).filter(
  (e): e is [string, readonly string[]] => Array.isArray(e[1]) && e[1].length >= 2 && e[1].every((x) => typeof x === 'string'),
);

/** Source files other than the domain's own and the migrations' SQL. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}
const exempt = (rel: string) => rel.startsWith('src/domain/') || rel.endsWith('/migrations.ts');

/**
 * Where `text` spells `list` again: most of its members (all of a list of up to three, two
 * thirds of a longer one) as quoted strings in a row, separated by commas or bars (an array, a
 * union type, a choices() list, a zod enum). A few members of a long list are another
 * vocabulary (the reasons that are always hard), not this one. Returns the first run, or null.
 */
function respelled(text: string, list: readonly string[]): string | null {
  const n = list.length <= 3 ? list.length : Math.max(3, Math.floor((list.length * 2) / 3));
  const member = `(?:${list.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`;
  const run = new RegExp(`['"]${member}['"](?:\\s*[,|]\\s*['"]${member}['"]){${n - 1},}`, 'g');
  for (const m of text.matchAll(run)) {
    // Distinct members: a repeated value (a map of reasons to one category) is no list.
    const found = new Set([...m[0].matchAll(/['"]([^'"]+)['"]/g)].map((x) => x[1]));
    if (found.size >= n) return m[0];
  }
  return null;
}

describe('the vocabulary is said once', () => {
  it('finds a re-spelled list (the check itself)', () => {
    expect(respelled(`const TIERS = ['free', 'trial', 'starter', 'professional', 'enterprise', 'legacy-basic'] as const;`, D.TIERS)).toBe(
      `'free', 'trial', 'starter', 'professional', 'enterprise', 'legacy-basic'`,
    );
    expect(respelled(`new Set(['userunknown', 'hostunknown', 'hasmoved', 'notaccept'])`, D.REASONS)).toBeNull();
    expect(respelled(`type Channel = 'marketing' | 'one_to_one';`, D.CHANNELS)).toBe(`'marketing' | 'one_to_one'`);
    expect(respelled(`z.enum(CHANNELS)`, D.CHANNELS)).toBeNull();
    expect(respelled(`{ userunknown: 'unknown_user', hostunknown: 'unknown_user' }`, D.CATEGORIES)).toBeNull();
  });

  it('no module outside src/domain spells one of its lists', () => {
    expect(LISTS.length).toBeGreaterThan(15);
    const found: string[] = [];
    for (const file of sources(join(repoRoot, 'src'))) {
      const rel = relative(repoRoot, file);
      if (exempt(rel)) continue;
      const text = readFileSync(file, 'utf8');
      for (const [name, list] of LISTS) {
        const run = respelled(text, list);
        if (run) found.push(`${rel} spells ${name} again: ${run}`);
      }
    }
    expect(found).toEqual([]);
  });
});

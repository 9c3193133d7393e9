// statusMatcher (src/classifier/status.ts) is statusMatches over a rule's list, built once for the
// provider rules' hot path: it must answer as `prefixes.some((p) => statusMatches(status, p))`
// for every rule's list and for statuses of every shape (any class digit, a letter, too short,
// too long, a prefix of another).
import { describe, expect, it } from 'vitest';
import { statusMatcher, statusMatches } from '../../src/classifier/status.js';
import { PROVIDERS } from '../../src/classifier/providers/index.js';

describe('statusMatcher answers as statusMatches over the list', () => {
  const lists: string[][] = PROVIDERS.flatMap((x) => x.rules.filter((r) => r.status).map((r) => r.status!));
  lists.push(['x.7.', '4.3.2', '5.', 'x.1.1', '2.0.0'], ['x.4.312'], ['5.7.']);
  const statuses: string[] = ['', '5', '5.', 'x.', '55.1.1', '5.7.5090', '5.7.50', '4.7.5'];
  for (const c of ['2', '4', '5', 'x', 'a']) for (const s of ['1', '2', '3', '4', '7']) for (const d of ['0', '1', '2', '10', '312', '509', '606']) statuses.push(`${c}.${s}.${d}`);

  it('for every provider rule list and every status shape', () => {
    expect(lists.length).toBeGreaterThan(10);
    let matched = 0;
    for (const list of lists) {
      const f = statusMatcher(list);
      for (const s of statuses) {
        const want = list.some((p) => statusMatches(s, p));
        expect(f(s), `${JSON.stringify(list)} ${s}`).toBe(want);
        if (want) matched++;
      }
    }
    // both answers occur: the check is not all "no"
    expect(matched).toBeGreaterThan(50);
  });

  it('the cases by hand', () => {
    expect(statusMatcher(['x.7.509'])('5.7.509')).toBe(true);
    expect(statusMatcher(['x.7.509'])('4.7.509')).toBe(true);
    expect(statusMatcher(['x.7.509'])('5.7.5090')).toBe(false);
    expect(statusMatcher(['5.7.'])('5.7.1')).toBe(true);
    expect(statusMatcher(['5.7.'])('4.7.1')).toBe(false);
    expect(statusMatcher(['4.3.2'])('5.3.2')).toBe(false);
    expect(statusMatcher([])('5.1.1')).toBe(false);
  });
});

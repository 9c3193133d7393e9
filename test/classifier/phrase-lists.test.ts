// compilePhraseLists (src/classifier/phrase.ts) answers, for several phrase lists at once, which
// of them have an entry anywhere in a text; the provider rules use it instead of running each
// rule's matcher. It must give exactly what each list's own matcher (compilePhrases) gives, in
// the cases where a single alternation could hide an entry: one entry starting inside another's
// match, entries sharing a start, word edges, gaps, the same text twice.
import { describe, expect, it } from 'vitest';
import { compilePhraseLists, compilePhrases, exampleOf, normaliseText, p, type Phrase } from '../../src/classifier/phrase.js';
import { PROVIDERS } from '../../src/classifier/providers/index.js';
import { rng } from '../../scripts/prng.mjs';

const S = 'test';

/** What each list's own matcher says, or null when none has an entry in the text. */
function oneByOne(lists: readonly (readonly Phrase[])[], text: string): boolean[] | null {
  const hits = lists.map((l) => compilePhrases(l).test(text));
  return hits.some(Boolean) ? hits : null;
}

describe('compilePhraseLists: which lists have an entry in the text', () => {
  const lists: Phrase[][] = [
    [p('mailbox is full', S)],
    [p('box is full', S)], // inside the first list's words, but not at a word edge there
    [p('is full', S), p('is fully', S)], // starts inside the first list's match; two entries with one start
    [p('unknown * user', S)], // a gap
    [p('user', S)], // inside the gap's match
    [p('x.400', S)], // a dot, no word edge inside
    [p('never here', S)],
  ];
  const all = compilePhraseLists(lists);

  it.each([
    // ("box is full" is not a word of "mailbox": its word edge keeps it out)
    ['the mailbox is full', [true, false, true, false, false, false, false]],
    ['mailbox is fully booked', [false, false, true, false, false, false, false]],
    ['unknown local user here', [false, false, false, true, true, false, false]],
    ['superuser', null],
    ['x.400 gateway: box is full', [false, true, true, false, false, true, false]],
    ['no wording of any list', null],
    ['', null],
  ] as const)('%j', (text, want) => {
    expect(all(text)).toEqual(want === null ? null : [...want]);
    expect(all(text)).toEqual(oneByOne(lists, text));
  });

  it('a text read twice answers the same (no state left between calls)', () => {
    const t = 'the mailbox is full, user';
    expect(all(t)).toEqual(all(t));
    expect(all('nothing')).toBeNull();
    expect(all(t)).toEqual(oneByOne(lists, t));
  });

  it('no lists, or empty ones, never answer', () => {
    expect(compilePhraseLists([])('anything')).toBeNull();
    expect(compilePhraseLists([[], []])('anything')).toBeNull();
  });

  it('random texts of the lists own words answer as the lists one by one', () => {
    const words = ['mailbox', 'box', 'is', 'full', 'fully', 'unknown', 'local', 'user', 'x.400', 'never', 'here', 'superuser', 'a', '-'];
    const next = rng(20261207);
    for (let n = 0; n < 500; n++) {
      const len = 1 + Math.floor(next() * 12);
      const text = Array.from({ length: len }, () => words[Math.floor(next() * words.length)]).join(' ');
      expect(all(text), text).toEqual(oneByOne(lists, text));
    }
  });
});

describe('compilePhraseLists over the provider tables', () => {
  // the lists as the classifier compiles them (src/classifier/rules.ts): one per provider rule
  // with wordings
  const lists = PROVIDERS.flatMap((x) => x.rules.filter((r) => r.phrases).map((r) => r.phrases!));
  const all = compilePhraseLists(lists);

  it('every entry example, alone and in a longer reply, answers as the rules one by one', () => {
    let checked = 0;
    for (const list of lists) {
      for (const ph of list) {
        for (const text of [exampleOf(ph), `550 5.7.1 ${exampleOf(ph)} - see the documentation; ${exampleOf(list[0]!)}`]) {
          const t = normaliseText(text);
          const got = all(t);
          expect(got, t).toEqual(oneByOne(lists, t));
          expect(got, t).not.toBeNull();
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
  });
});

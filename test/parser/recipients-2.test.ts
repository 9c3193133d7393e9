// Every failed recipient of a report, each with its own error (issue #13 harm 4, round 2).
// Fixtures built by fixtures/make-recipients-2.mjs: Exim's list of failed addresses (each at two
// spaces, its error at four, no blank line between entries) under prose the Exim detector does
// not know, read by the generic reader. The returned messages name addresses that did not fail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { fixturesDir } from '../helpers/env.js';

/** `address action status reason` per recipient, and each one's diagnostic. */
function read(file: string) {
  const report = parseMessageSync(readFileSync(join(fixturesDir, 'recipients-2', file)));
  return classify(report).map((v) => ({ line: `${v.recipient} ${v.action} ${v.status} ${v.reason}`, diagnostic: v.diagnosticCode ?? '' }));
}

describe('an indented list of failed addresses, entries back to back', () => {
  it("Exim's entries under a translated template: each address keeps its own error", () => {
    const got = read('exim-translated-adjacent.eml');
    expect(got.map((g) => g.line)).toEqual([
      'kijitora@example.jp failed 5.1.1 userunknown',
      'mikeneko@example.org failed 5.2.2 mailboxfull',
      'sabatora@example.com failed 5.7.1 norelaying',
    ]);
    // no entry carries the next one's error
    expect(got[0].diagnostic).toContain('550 5.1.1 <kijitora@example.jp>... User unknown');
    expect(got[0].diagnostic).not.toContain('mikeneko');
    expect(got[1].diagnostic).toContain('552 5.2.2 <mikeneko@example.org>... Mailbox full');
    expect(got[1].diagnostic).not.toContain('sabatora');
    expect(got[2].diagnostic).toContain('550 5.7.1 Relaying denied');
  });

  it('addresses listed before their shared error keep it; the next entry has its own', () => {
    const got = read('relay-indented-list.eml');
    expect(got.map((g) => g.line)).toEqual([
      'shironeko@example.jp failed 5.1.1 userunknown',
      'hachiware@example.jp failed 5.1.1 userunknown',
      'mikeneko@example.org failed 5.2.2 mailboxfull',
      'sabatora@example.com failed 5.7.1 norelaying',
    ]);
    for (const g of got.slice(0, 2)) {
      expect(g.diagnostic).toContain('550 5.1.1 User unknown');
      expect(g.diagnostic).not.toContain('mikeneko');
    }
  });
});

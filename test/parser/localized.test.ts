// Relays' own notices in their users' language (issue #13 harm 7, and the failure sentences of
// harm 3): a warning that delivery is still being tried stays a delay, and "delivered to
// <address>" in German, French, Spanish, Italian, Portuguese and Dutch names the failed
// recipient as the English sentence does. Fixtures built by fixtures/make-localized.mjs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { fixturesDir } from '../helpers/env.js';

function read(file: string) {
  const report = parseMessageSync(readFileSync(join(fixturesDir, 'localized', file)));
  return { kind: report.kind, lines: classify(report).map((v) => `${v.recipient} ${v.action} ${v.status}`) };
}

const LANGS = ['de', 'fr', 'es', 'it', 'pt', 'nl'];

describe('a warning that delivery goes on is a delay, not a failure', () => {
  const status: Record<string, string> = { de: '4.4.2', fr: '4.2.1', es: '4.2.2', it: '4.4.1', pt: '4.4.1', nl: '4.3.0' };
  for (const lang of LANGS) {
    it(`${lang}: "you do not need to resend" / "will keep trying" in the notice's language`, () => {
      expect(read(`delay-${lang}.eml`)).toEqual({ kind: 'delay', lines: [`jane.doe@example.com delayed ${status[lang]}`] });
    });
  }
});

describe('"could not be delivered to <address>" names the failed recipient', () => {
  for (const lang of LANGS) {
    it(`${lang}: the address as the object of the failure sentence`, () => {
      expect(read(`failed-${lang}.eml`)).toEqual({ kind: 'bounce', lines: ['jane.doe@example.com failed 5.1.1'] });
    });
  }
});

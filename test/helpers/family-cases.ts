// The table-driven check of a fixture folder's notices (test/parser/newmtas.test.ts,
// oldmtas.test.ts): each case names its fixture, the reader that must take it, the recipients
// it must record and, where the remote reply documents them, the reasons and the words kept.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import type { ParsedReport } from '../../src/report.js';
import { fixturesDir } from './env.js';

export interface FamilyCase {
  name: string;
  detector: string;
  recipients: string[];
  /** [reason, hardbounce] per recipient (null: a question of labels), when the reply documents the cause. */
  verdicts?: Array<[string, boolean] | null>;
  /** Text each recipient's diagnostic must hold (the remote server's words, whole). */
  diagnostic?: string[];
  kind?: ParsedReport['kind'];
}

/** `address action` per recipient. */
export const summary = (r: ParsedReport): string[] => r.recipients.map((x) => `${x.finalRecipient} ${x.action}`);

/** The parsed fixture `fixtures/<folder>/<name>.eml`. */
export const readFixture = (folder: string, name: string): ParsedReport => parseMessageSync(readFileSync(join(fixturesDir, folder, `${name}.eml`)));

/** One test per case, inside the caller's describe(). */
export function itReadsCases(folder: string, cases: FamilyCase[]): void {
  for (const c of cases) {
    it(`${c.name}: ${c.detector}, ${c.recipients.length} recipient(s)`, () => {
      const r = readFixture(folder, c.name);
      expect({ kind: r.kind, detector: r.detector, recipients: summary(r) }).toEqual({ kind: c.kind ?? 'bounce', detector: c.detector, recipients: c.recipients });
      if (c.diagnostic) {
        c.diagnostic.forEach((d, i) => expect(r.recipients[i].diagnosticCode ?? '').toContain(d));
      }
      if (c.verdicts) {
        const got = classify(r).map((v) => [v.reason, v.hardbounce]);
        c.verdicts.forEach((v, i) => {
          if (v) expect(got[i]).toEqual(v);
        });
      }
    });
  }
}

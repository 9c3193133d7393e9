// OpenSMTPD's notice lists "user@domain: <error>" one per line (bounce.c). A relay that re-wraps
// the text may break the error right before a word followed by ": " ("rejected: Access denied"):
// that line is the rest of the reply, not an entry for an address "rejected" (round 29; the
// metamorphic harness's renamed addresses + re-wrap at 72 found it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { fixturesDir } from '../helpers/env.js';

describe('OpenSMTPD: an entry whose reply a re-wrap broke before "word: "', () => {
  it('the line under the entry is the rest of its reply (a real OpenSMTPD notice, re-wrapped)', () => {
    const raw = readFileSync(join(fixturesDir, 'generated/opensmtpd/014-microsoft-dbeb--failed.eml'), 'latin1').replace(/\r\n/g, '\n');
    const entry = /\nmia2188@example\.net: 550 5\.4\.1 Recipient address rejected: Access denied\. \[[^\]\n]+\]\n/;
    expect(entry.test(raw), 'the fixture still has its entry on one line').toBe(true);
    const wrapped = raw.replace(entry, (m) => m.replace(' rejected: ', '\nrejected: '));
    for (const text of [raw, wrapped]) {
      const report = parseMessageSync(Buffer.from(text, 'latin1'));
      expect(report.detector).toBe('opensmtpd');
      expect(report.recipients.map((r) => [r.finalRecipient, r.diagnosticCode])).toEqual([['mia2188@example.net', expect.stringMatching(/^550 5\.4\.1 Recipient address rejected: Access denied\./)]]);
      expect(classify(report).map((v) => [v.reason, v.hardbounce])).toEqual([['userunknown', true]]);
    }
  });
});

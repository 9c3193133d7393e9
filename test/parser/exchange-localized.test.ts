// Exchange NDRs in six languages, without their delivery-status part (fixtures/exchange-localized,
// built by fixtures/make-exchange-localized.mjs). The prose is localized; the reply line with its
// enhanced code and Exchange's transport component code is not, and decides the reason (issue
// #13: Exchange Server's NDR reference, src/classifier/providers/microsoft.ts). The returned
// headers name carol.jones@, who did not fail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { fixturesDir } from '../helpers/env.js';

const CASES: Array<[lang: string, status: string, reason: string, hard: boolean]> = [
  ['de', '5.1.1', 'userunknown', true],
  ['fr', '5.7.1', 'rejected', false], // RESOLVER.RST.NotAuthorized: delivery restrictions refuse the sender
  ['es', '5.7.1', 'securityerror', false], // RESOLVER.RST.AuthRequired
  ['ja', '5.2.3', 'emailtoolarge', false], // RESOLVER.RST.RecipSizeLimit
  ['it', '5.4.4', 'networkerror', false], // SMTPSEND.DNS.MxLoopback: a loop, not a missing host
  ['nl', '5.1.4', 'systemerror', false], // RESOLVER.ADR.Ambiguous: several mailboxes, none missing
];

describe('Exchange NDRs in other languages, prose only', () => {
  for (const [lang, status, reason, hard] of CASES) {
    it(`${lang}: the failed recipient only, ${reason}`, () => {
      const report = parseMessageSync(readFileSync(join(fixturesDir, 'exchange-localized', `${lang}.eml`)));
      expect(report.kind).toBe('bounce');
      expect(report.detector).toBe('exchange2007');
      expect(report.recipients.map((r) => `${r.finalRecipient} ${r.action}`)).toEqual(['bob.miller@corp.example.com failed']);
      const [v] = classify(report);
      expect([v.status, v.reason, v.hardbounce]).toEqual([status, reason, hard]);
    });
  }
});

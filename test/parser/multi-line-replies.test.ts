// A remote server's multi-line reply (RFC 5321 §4.2.1: "550-5.7.1 ..." lines up to "550 5.7.1
// ...") where a family's frame had a one-line reply (round 30; the metamorphic harness's reply
// swaps put Google's documented spam refusal into every frame and found three frames that kept
// only its first line, or none of it). Each case is a real fixture with its reply replaced by that
// one: the whole reply is read, so its words decide (spamdetected), not the code's default.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { CASES } from '../../fixtures/generated/cases.mjs';
import { fixturesDir } from '../helpers/env.js';

// Google's documented refusal of unsolicited mail, four lines (fixtures/generated/cases.mjs)
const spam = CASES.find((c) => c.id === 'google-spam')!;
const lines = spam.lines.map((l) => l.replace('{ip}', '192.0.2.25').replace('{id}', 'a1b2c3d4e5f6'));

function swapped(fixture: string, from: string, to: string) {
  const raw = readFileSync(join(fixturesDir, fixture), 'latin1');
  expect(raw.includes(from), `${fixture} still holds the reply the test replaces`).toBe(true);
  const report = parseMessageSync(Buffer.from(raw.replace(from, to), 'latin1'));
  return { report, verdicts: classify(report) };
}

describe("a multi-line reply in a frame that held one line", () => {
  it("Apache James: every line under \"Error message below:\" up to the blank line", () => {
    const { report, verdicts } = swapped('roles/apachejames-sender-details.eml', '550 - Requested action not taken: mailbox closed, =\r\nplease write to new.desk@example.org', lines.join('\r\n'));
    expect(report.detector).toBe('apachejames');
    expect(report.recipients[0].diagnosticCode).toContain('unsolicited mail');
    expect(verdicts.map((v) => [v.recipient, v.reason, v.status])).toEqual([['jane.doe@example.org', 'spamdetected', '5.7.1']]);
  });

  it('Office 365: "Reported error:" and the lines led by the same code under it', () => {
    for (const indent of ['', '    ']) {
      const { report, verdicts } = swapped('families-b/office365-original-message-details.eml', 'Reported error: 550 5.2.2 Mailbox full', 'Reported error: ' + lines.join('\r\n' + indent));
      expect(report.detector).toBe('exchange2007');
      expect(report.recipients[0].diagnosticCode).toContain('UnsolicitedMessageError');
      expect(verdicts.map((v) => [v.reason, v.status])).toEqual([['spamdetected', '5.7.1']]);
    }
  });

  it('a Status field that holds the reply: the whole reply, its parentheses and continuation marks included', () => {
    // (the reply's "(as obtained from ...)" is words of the reply, not a comment on a code)
    const relay = '550 5.7.0 Mail relay denied [192.0.2.25]. Invalid credentials for relay for one of the domains in: sender.example.org (as obtained from HELO and MAIL FROM). a1b2c3d4e5f6 - gsmtp';
    const cases: [string, string, string][] = [
      [lines.join(' '), 'spamdetected', 'UnsolicitedMessageError'],
      [relay, 'norelaying', 'Mail relay denied'],
    ];
    for (const [reply, reason, words] of cases) {
      const { report, verdicts } = swapped('families-b/rfc3464-status-is-reply.eml', 'Status: 553 Exceeded maximum inbound message size', 'Status: ' + reply);
      expect(report.recipients[0].diagnosticCode).toContain(words);
      expect(verdicts.map((v) => v.reason)).toEqual([reason]);
    }
  });
});

// nullmailer gives up a whole message at its first refused RCPT and writes that one reply as
// every recipient's Diagnostic-Code (nullmailer-send(8), nullmailer-dsn(1)). The files are real
// nullmailer-dsn 2.2 output (fixtures/nullmailer/make.sh). Issue #13, harm 1: a recipient the
// reply does not name was never refused and must not become a record.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';

const verdicts = (name: string) => {
  const raw = readFileSync(new URL(`../../fixtures/nullmailer/${name}`, import.meta.url));
  const report = parseMessageSync(raw);
  expect(report.detector).toBe('nullmailer');
  return classify(report).map((v) => [v.recipient, v.reason, v.hardbounce]);
};
const RECIPIENTS = ['ava.stone@example.com', 'liam.khan@example.net', 'mia.larsen@example.org'];

describe('nullmailer: one reply written for every recipient', () => {
  it('a reply naming the refused recipient (Postfix wording) gives that recipient only', () => {
    expect(verdicts('rcpt-named-postfix.eml')).toEqual([['liam.khan@example.net', 'userunknown', true]]);
  });

  it('a reply naming the refused recipient (Sendmail wording) gives that recipient only', () => {
    expect(verdicts('rcpt-named-sendmail.eml')).toEqual([['ava.stone@example.com', 'userunknown', true]]);
  });

  it('a refusal after DATA names nobody: every recipient failed with it', () => {
    const v = verdicts('data-refused.eml');
    expect(v.map((x) => x[0])).toEqual(['ava.stone@example.com', 'liam.khan@example.net', 'mia.larsen@example.org']);
    for (const x of v) expect(x.slice(1)).toEqual(['spamdetected', false]);
  });

  it('a refusal of one mailbox that names nobody is laid on no one: undecided, soft, never a hard bounce', () => {
    for (const name of ['rcpt-unnamed-unknown.eml', 'rcpt-unnamed-full.eml']) {
      const raw = readFileSync(new URL(`../../fixtures/nullmailer/${name}`, import.meta.url));
      const report = parseMessageSync(raw);
      expect(report.recipients.every((r) => r.sharedReply === true)).toBe(true);
      const v = classify(report);
      expect(v.map((x) => x.recipient)).toEqual(RECIPIENTS);
      for (const x of v) {
        expect([x.reason, x.hardbounce, x.type, x.category]).toEqual(['onhold', false, 'soft', 'temporary']);
        expect(x.rule).toMatch(/\+unattributed$/);
      }
    }
  });

  it('the same reply with one recipient is that recipient\'s own: a hard unknown user', () => {
    const raw = readFileSync(new URL('../../fixtures/nullmailer/rcpt-unnamed-unknown.eml', import.meta.url));
    const report = parseMessageSync(raw);
    report.recipients = report.recipients.slice(0, 1);
    const [v] = classify(report);
    expect([v.recipient, v.reason, v.hardbounce, v.type]).toEqual([RECIPIENTS[0], 'userunknown', true, 'hard']);
  });

  it('a refusal of a whole domain holds for every recipient when they share it, for none when not', () => {
    const raw = readFileSync(new URL('../../fixtures/nullmailer/rcpt-unnamed-unknown.eml', import.meta.url));
    const report = parseMessageSync(raw);
    for (const r of report.recipients) r.diagnosticCode = 'SMTP; 550 5.1.2 Host unknown';
    for (const r of report.recipients) r.status = '5.1.2';
    expect(classify(report).map((x) => x.reason)).toEqual(['onhold', 'onhold', 'onhold']);
    for (const r of report.recipients) r.finalRecipient = r.finalRecipient.replace(/@.*/, '@example.com');
    expect(classify(report).map((x) => [x.reason, x.hardbounce])).toEqual([
      ['hostunknown', true],
      ['hostunknown', true],
      ['hostunknown', true],
    ]);
  });
});

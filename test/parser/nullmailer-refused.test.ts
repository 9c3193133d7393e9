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
});

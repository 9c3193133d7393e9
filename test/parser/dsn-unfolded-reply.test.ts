// A multi-line SMTP reply written into Diagnostic-Code without folding: every line after the
// first starts at the left margin with the reply code (RFC 5321 §4.2.1: "550-" while more follow,
// "550 " on the last). nullmailer-dsn writes the smtp module's reply so. The lines belong to the
// reply; prose after it, and lines with another code, do not. Read so for nullmailer only: for
// every report it cost three rows of the public validation part.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { parseDsnFields } from '../../src/parser/detectors/rfc3464.js';

const diagnostic = (text: string) => parseDsnFields(text, { unfoldedReplies: true }).perRecipient[0]?.get('diagnostic-code')?.value;

describe('Diagnostic-Code: an unfolded multi-line reply', () => {
  it('takes the reply\'s lines up to its last one', () => {
    const text = [
      'Final-Recipient: rfc822; a@example.org',
      'Action: failed',
      'Status: 5.7.1',
      'Diagnostic-Code: SMTP; 550-5.7.1 first line',
      '550-5.7.1 second line',
      '550 5.7.1 last line',
      '550 5.7.1 not part of it: the reply had ended',
      'Last-Attempt-Date: Fri, 04 Dec 2026 16:06:02 +0000',
    ].join('\n');
    expect(diagnostic(text)).toBe('550-5.7.1 first line 550-5.7.1 second line 550 5.7.1 last line');
    expect(parseDsnFields(text).perRecipient[0]?.get('last-attempt-date')).toBeDefined();
  });

  it('leaves lines with another code and prose alone', () => {
    const text = ['Final-Recipient: rfc822; a@example.org', 'Diagnostic-Code: smtp; 550-5.1.1 no such user', '451 4.3.0 another reply', 'some prose'].join('\n');
    expect(diagnostic(text)).toBe('550-5.1.1 no such user');
    const single = ['Final-Recipient: rfc822; a@example.org', 'Diagnostic-Code: smtp; 550 5.1.1 no such user', '550 5.1.1 a second reply'].join('\n');
    expect(diagnostic(single)).toBe('550 5.1.1 no such user');
  });

  it('only for a reporter known to write so: elsewhere such lines stay prose', () => {
    const text = ['Final-Recipient: rfc822; a@example.org', 'Diagnostic-Code: smtp; 550-5.7.1 first line', '550 5.7.1 last line'].join('\n');
    expect(parseDsnFields(text).perRecipient[0]?.get('diagnostic-code')?.value).toBe('550-5.7.1 first line');
  });

  it('real nullmailer-dsn output: Gmail\'s four-line spam refusal is read whole', () => {
    const raw = readFileSync(new URL('../../fixtures/generated/nullmailer/014-google-spam--failed.eml', import.meta.url));
    const report = parseMessageSync(raw);
    expect(report.detector).toBe('nullmailer');
    expect(report.recipients[0]?.diagnosticCode).toMatch(/unsolicited mail\. To reduce the amount of spam .*UnsolicitedMessageError/);
    expect(classify(report).map((v) => v.reason)).toEqual(['spamdetected']);
  });
});

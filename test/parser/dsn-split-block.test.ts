// One recipient's DSN fields cut in two by a line of blanks: Haraka ends Diagnostic-Code with a
// blank, and a relay that folds at every blank (RFC 5322 §3.2.2's obsolete folding allows a line
// of blanks only) puts it on a line of its own. Read as the blank line that ends a block, it
// left the recipient's block without its reply (the status then came from the Action alone:
// 5.7.0 hard for Outlook.com's 421 RP-001 rate limit). Found by the metamorphic harness
// (dsn-reorder-fields + dsn-fold-indent). Per-recipient fields in a block of their own just
// before the first recipient's now belong to that recipient.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { parseDsnFields } from '../../src/parser/detectors/rfc3464.js';

const FIXTURE = new URL('../../fixtures/generated/haraka/114-outlookcom-rp001-defer--failed.eml', import.meta.url);

describe('DSN: a recipient block cut by a line of blanks', () => {
  it('the reply before the cut is the recipient\'s (a real Haraka report, its fields reordered and the trailing blank folded)', () => {
    const raw = readFileSync(FIXTURE, 'latin1').replace(/\r\n/g, '\n');
    const fields = /\nFinal-Recipient: [^\n]*\nAction: failed\nRemote-MTA: [^\n]*\nDiagnostic-Code: ([^\n]*)\n/.exec(raw);
    expect(fields, 'the fixture still has its four fields in this order').not.toBeNull();
    const reordered = raw.replace(fields![0], `\nDiagnostic-Code: ${fields![1].trimEnd()}\n\t\nRemote-MTA: 127.0.1.20\nAction: failed\nFinal-Recipient: rfc822;ivan.moreau7795@d20.example.net\n`);
    for (const text of [raw, reordered]) {
      const report = parseMessageSync(Buffer.from(text, 'latin1'));
      expect(report.recipients.map((r) => r.finalRecipient)).toEqual(['ivan.moreau7795@d20.example.net']);
      expect(report.recipients[0]?.diagnosticCode).toMatch(/^421 RP-001/);
      const [v] = classify(report);
      expect([v?.status, v?.reason, v?.type]).toEqual(['4.7.0', 'ratelimited', 'soft']);
    }
  });

  it('takes only the fields the recipient\'s block lacks, and only into the first recipient', () => {
    const text = [
      'Reporting-MTA: dns; mx.example.org',
      '',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 no such user',
      ' ',
      'Final-Recipient: rfc822; a@example.org',
      'Action: failed',
      'Status: 5.1.2',
      '',
      'Final-Recipient: rfc822; b@example.org',
      'Action: failed',
    ].join('\n');
    const { perRecipient } = parseDsnFields(text);
    expect(perRecipient.map((b) => [b.get('final-recipient')?.value, b.get('status')?.value, b.get('diagnostic-code')?.value ?? null])).toEqual([
      ['a@example.org', '5.1.2', '550 5.1.1 no such user'],
      ['b@example.org', undefined, null],
    ]);
  });

  it('a block with per-message fields stays the message\'s', () => {
    const text = ['Reporting-MTA: dns; mx.example.org', 'Status: 5.0.0', '', 'Final-Recipient: rfc822; a@example.org', 'Action: failed'].join('\n');
    const { perMessage, perRecipient } = parseDsnFields(text);
    expect(perRecipient[0]?.get('status')).toBeUndefined();
    expect(perMessage.get('status')?.value).toBe('5.0.0');
  });
});

describe('DSN: a field whose value a re-wrap moved to the next line, unindented (round 30)', () => {
  it('"Final-Recipient:" / "rfc822; a@x" and "Final-Recipient: rfc822;" / "a@x" name the recipient', () => {
    const raw = readFileSync(new URL('../../fixtures/generated/postfix/001-rfc-5.1.1-unknown--failed.eml', import.meta.url), 'latin1');
    const field = 'Final-Recipient: rfc822; noah3500@mail.example.com';
    expect(raw).toContain(field);
    const eol = raw.includes('\r\n') ? '\r\n' : '\n';
    for (const broken of ['Final-Recipient:' + eol + 'rfc822; noah3500@mail.example.com', 'Final-Recipient: rfc822;' + eol + 'noah3500@mail.example.com']) {
      const report = parseMessageSync(Buffer.from(raw.replace(field, broken).replace('Original-Recipient: rfc822;noah3500@mail.example.com' + eol, ''), 'latin1'));
      expect(report.recipients.map((r) => [r.finalRecipient, r.status])).toEqual([['noah3500@mail.example.com', '5.1.1']]);
    }
    for (const [head, rest] of [['Final-Recipient:', 'rfc822; a@example.org'], ['Final-Recipient: rfc822;', 'a@example.org']]) {
      const f = parseDsnFields(`Reporting-MTA: dns; mx.example.net\n\n${head}\n${rest}\nAction: failed\nStatus: 5.1.1\n`);
      expect([f.perRecipient[0]?.get('final-recipient')?.type, f.perRecipient[0]?.get('final-recipient')?.value]).toEqual(['rfc822', 'a@example.org']);
    }
    // a field with a value is never continued by a line that is no field (prose after the block)
    const prose = parseDsnFields('Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1\nsee the text above\n');
    expect(prose.perRecipient[0]?.get('status')?.value).toBe('5.1.1');
  });
});

// PowerMTA reports its own reading of each failure in the recipient block
// (`X-PowerMTA-BounceCategory: bad-mailbox`); the parser carries it as `vendorCategory`.
// fixtures/powermta/bounce-categories.eml is built by fixtures/powermta/make.mjs (MailComposer).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/powermta/${name}`, import.meta.url));

describe('PowerMTA bounce categories (fixtures/powermta)', () => {
  const report = parseMessageSync(fixture('bounce-categories.eml'));

  it('one record per block, each with its own vendorCategory', () => {
    expect(report.detector).toBe('rfc3464');
    expect(report.reportingMta).toBe('mta1.example.net');
    expect(report.recipients.map((r) => [r.finalRecipient, r.vendorCategory, r.status])).toEqual([
      ['gone@example.com', 'powermta:bad-mailbox', '5.0.0'],
      ['full@example.org', 'powermta:quota-issues', '5.0.0'],
      ['closed@example.net', 'powermta:bad-mailbox', '5.2.1'],
    ]);
  });

  it('the classifier takes the category as final, the X.2.1 detail of a bad mailbox is suspend', () => {
    const vs = classify(report);
    expect(vs.map((v) => [v.recipient, v.reason, v.rule, v.hardbounce])).toEqual([
      ['gone@example.com', 'userunknown', 'category.bad-mailbox', true],
      ['full@example.org', 'mailboxfull', 'category.quota', false],
      ['closed@example.net', 'suspend', 'category.mailbox-disabled', false],
    ]);
    expect(vs[0].matched).toEqual({ field: 'vendorCategory', text: 'powermta:bad-mailbox' });
  });

  it('reports without the field carry no vendorCategory', () => {
    const plain = parseMessageSync(
      Buffer.from(
        'From: MAILER-DAEMON@example.net\nTo: a@example.com\nSubject: Undelivered\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: text/plain\n\nfailed\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; example.net\n\nFinal-Recipient: rfc822; x@example.org\nAction: failed\nStatus: 5.1.1\n--b--\n',
      ),
    );
    expect(plain.recipients).toHaveLength(1);
    expect(plain.recipients[0].vendorCategory).toBeUndefined();
  });
});

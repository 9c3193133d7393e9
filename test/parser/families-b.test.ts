// Issue #13, modules N-Z: each family's layout variants besides the one or two of the public
// corpus (several failed recipients, a reason above its address, a reply folded or quoted in a
// later section, a localized reason, fields in the text, a summary of the original naming the
// recipient). Fixtures are built by fixtures/make-families-b.mjs; the variants are those the
// families' published formats describe (Sisimai 4.25's Lhost modules), in our own words.
//
// For each: the detector, every failed recipient and no other address (the returned message's
// From/To/Cc never failed), and the reason where the text names it with a documented meaning.
// Where our answer is a label question (the lead's reason tables), only the recipients are
// stated; see the `reasons` left out below.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import type { ParsedReport } from '../../src/report.js';
import { corpusDir, fixturesDir, haveCorpus } from '../helpers/env.js';

const fixture = (name: string) => parseMessageSync(readFileSync(join(fixturesDir, 'families-b', name)));

/** `address action` per recipient (`address<alias action` when the alias differs). */
const summary = (r: ParsedReport) =>
  r.recipients.map((x) => `${x.finalRecipient}${x.originalRecipient && x.originalRecipient !== x.finalRecipient ? '<' + x.originalRecipient : ''} ${x.action}`);

interface Case {
  file: string;
  kind: ParsedReport['kind'];
  detector: string;
  recipients: string[];
  /** [reason, hardbounce] per recipient, when the text names it with a documented meaning. */
  reasons?: [string, boolean][];
  /** Text each recipient's diagnostic must hold (its own reason, whole), per recipient. */
  diagnostics?: (string | null)[];
}

const CASES: Case[] = [
  // Lotus Notes: the reason ABOVE each address; a Japanese reason; the hop-count reason
  {
    file: 'notes-two-reasons.eml', kind: 'bounce', detector: 'fallback',
    recipients: ['kijitora@notes.example.jp failed', 'mikeneko@notes.example.jp failed'],
    reasons: [['userunknown', true], ['networkerror', false]],
    diagnostics: ['User not listed in public Name & Address Book', 'Message has exceeded maximum hop count'],
  },
  { file: 'notes-japanese.eml', kind: 'bounce', detector: 'fallback', recipients: ['kijitora@notes.example.jp failed'], diagnostics: ['ディレクトリのリストにありません'] },
  { file: 'notes-hop-count.eml', kind: 'bounce', detector: 'fallback', recipients: ['sabatora@notes.example.jp failed'], reasons: [['networkerror', false]] },
  // Office 365: "a@b<mailto:a@b>" entries; "<domain> rejected your message to ..."; "Original Message Details"
  {
    file: 'office365-two-mailto.eml', kind: 'bounce', detector: 'exchange2007',
    recipients: ['kijitora@example.com failed', 'mikeneko@example.com failed'],
    reasons: [['userunknown', true], ['userunknown', true]],
  },
  { file: 'office365-rejected-your-message.eml', kind: 'bounce', detector: 'exchange2007', recipients: ['kijitora@example.com failed'], reasons: [['userunknown', true]] },
  {
    file: 'office365-original-message-details.eml', kind: 'bounce', detector: 'exchange2007',
    recipients: ['sabatora@example.com failed'], reasons: [['mailboxfull', false]], diagnostics: ['550 5.2.2 Mailbox full'],
  },
  // OpenSMTPD: one "a: reply" line per recipient; the delay warning; the queue expiry
  {
    file: 'opensmtpd-two-recipients.eml', kind: 'bounce', detector: 'opensmtpd',
    recipients: ['kijitora@example.jp failed', 'mikeneko@example.jp failed'],
    reasons: [['mailboxfull', false], ['userunknown', true]],
  },
  { file: 'opensmtpd-delayed.eml', kind: 'delay', detector: 'opensmtpd', recipients: ['kijitora@example.jp delayed'] },
  { file: 'opensmtpd-expired.eml', kind: 'bounce', detector: 'opensmtpd', recipients: ['sabatora@example.jp failed'], reasons: [['expired', false]] },
  // Outlook.com: the fields in the notice's text, Diagnostic-Code folded
  {
    file: 'outlook-fields-in-text.eml', kind: 'bounce', detector: 'rfc3464', recipients: ['kijitora@example.org failed'],
    reasons: [['userunknown', true]], diagnostics: ['mailbox unavailable (kijitora@example.org)'],
  },
  // Postfix
  {
    file: 'postfix-expanded-from.eml', kind: 'bounce', detector: 'rfc3464', recipients: ['kuroneko@example.jp<staff@example.net failed'],
    reasons: [['userunknown', true]], diagnostics: ['User unknown in local recipient table'],
  },
  {
    file: 'postfix-text-only-two.eml', kind: 'bounce', detector: 'fallback',
    recipients: ['kijitora@example.jp failed', 'mikeneko@example.org failed'],
    reasons: [['mailboxfull', false], ['userunknown', true]],
  },
  // the returned To is not a failed recipient: a report that names none records none
  { file: 'postfix-report-unavailable.eml', kind: 'bounce', detector: 'rfc3464', recipients: [] },
  { file: 'postfix-local-mailbox.eml', kind: 'bounce', detector: 'rfc3464', recipients: ['sabatora@example.net failed'], diagnostics: ['error writing message: File too large'] },
  // PowerMTA: Status 5.0.0, the real code in Diagnostic-Code; two recipients
  {
    file: 'powermta-two-recipients.eml', kind: 'bounce', detector: 'rfc3464',
    recipients: ['kijitora@example.jp failed', 'mikeneko@example.jp failed'],
    reasons: [['userunknown', true], ['mailboxfull', false]],
  },
  { file: 'receivingses-quoted-status.eml', kind: 'bounce', detector: 'rfc3464', recipients: ['kijitora@example.jp failed'], reasons: [['userunknown', true]] },
  { file: 'sendgrid-empty-status.eml', kind: 'bounce', detector: 'rfc3464', recipients: ['kijitora@example.jp failed'], reasons: [['userunknown', true]] },
  // SendGrid's "Action: expired": its final failure after the retry period, not a delay
  { file: 'sendgrid-action-expired.eml', kind: 'bounce', detector: 'rfc3464', recipients: ['mikeneko@example.jp failed'], reasons: [['expired', false]] },
  // Sendmail: text only, each listed address with its own reason; a warning with a Deferred line
  {
    file: 'sendmail-text-two-transcript.eml', kind: 'bounce', detector: 'fallback',
    recipients: ['kijitora@example.jp failed', 'mikeneko@example.jp failed'],
    reasons: [['userunknown', true], ['mailboxfull', false]],
  },
  // a local program failed: the listed entry is the program, the address is its "(expanded from: <a>)"
  {
    file: 'sendmail-mailer-error-expanded.eml', kind: 'bounce', detector: 'fallback', recipients: ['kijitora@example.jp failed'],
    reasons: [['mailererror', false]], diagnostics: ['554 5.3.0 unknown mailer error 255'],
  },
  { file: 'sendmail-too-long.eml', kind: 'bounce', detector: 'fallback', recipients: ['mikeneko@example.co.jp failed'], reasons: [['expired', false]] },
  { file: 'sendmail-deferred-nameserver.eml', kind: 'delay', detector: 'fallback', recipients: ['sabatora@example.co.jp delayed'], diagnostics: ['host name lookup failure'] },
  // SurfControl: "Addressed To:" and the dated transcript line (reason: a label question)
  { file: 'surfcontrol-transcript.eml', kind: 'bounce', detector: 'fallback', recipients: ['kijitora@example.com failed'], diagnostics: ['550 kijitora@example.com... No such user'] },
  {
    file: 'v5sendmail-two-recipients.eml', kind: 'bounce', detector: 'fallback',
    recipients: ['kijitora@example.org failed', 'mikeneko@example.org failed'],
    reasons: [['userunknown', true], ['userunknown', true]],
  },
  // Verizon: vtext (Apache James's layout)
  { file: 'verizon-vtext-details.eml', kind: 'bounce', detector: 'apachejames', recipients: ['5555550123@sms.example.com failed'] },
  // the MMS gateway's notice names its handsets only as the To of the original's summary: a
  // returned message's header names no failed recipient (issue #13, harm 1), so none
  { file: 'verizon-mms-two.eml', kind: 'bounce', detector: 'fallback', recipients: [] },
  // X1-X6
  { file: 'x1-two-brackets.eml', kind: 'bounce', detector: 'fallback', recipients: ['kijitora@example.co.jp failed', 'mikeneko@example.co.jp failed'], diagnostics: ['[User unknown]', '[Mailbox full]'] },
  { file: 'x2-two-recipients.eml', kind: 'bounce', detector: 'fallback', recipients: ['kijitora@example.com failed', 'mikeneko@example.com failed'] },
  {
    file: 'x3-smtp-detail.eml', kind: 'bounce', detector: 'fallback', recipients: ['kijitora@example.com failed'],
    reasons: [['userunknown', true]], diagnostics: ['SMTP:RCPT host 192.0.2.8: 553 5.3.0 <kijitora@example.com>... No such user here'],
  },
  { file: 'x3-routing.eml', kind: 'bounce', detector: 'fallback', recipients: ['mikeneko@example.co.jp failed'], diagnostics: ['Routing: Could not find a gateway for mikeneko@example.co.jp'] },
  { file: 'x4-reply-next-line.eml', kind: 'bounce', detector: 'qmail', recipients: ['kijitora@example.net failed'], reasons: [['userunknown', true]] },
  { file: 'x5-nested-report.eml', kind: 'bounce', detector: 'rfc3464', recipients: ['kijitora@example.jp failed'], reasons: [['userunknown', true]] },
  { file: 'x6-folded.eml', kind: 'bounce', detector: 'fallback', recipients: ['kijitora@example.jp failed'], reasons: [['userunknown', true]], diagnostics: ['[550 5.1.1 User unknown]'] },
  { file: 'x6-permanent-errors.eml', kind: 'bounce', detector: 'fallback', recipients: ['mikeneko@example.jp failed'] },
  // Yahoo: "Remote host said:" alone, the reply below it (its qmail's layout: the qmail reader)
  {
    file: 'yahoo-reply-below.eml', kind: 'bounce', detector: 'qmail',
    recipients: ['kijitora@example.org failed', 'mikeneko@example.org failed'],
    reasons: [['mailboxfull', false], ['userunknown', true]], diagnostics: ['552 5.2.2 <kijitora@example.org>... Mailbox Full', '550 5.1.1 <mikeneko@example.org>... User Unknown'],
  },
  { file: 'yandex-folded.eml', kind: 'bounce', detector: 'rfc3464', recipients: ['kijitora@example.jp failed'] },
  // Zoho: quoted-printable, two recipients; the "[Status: Error, Address: <a>, ...]" expiry
  {
    file: 'zoho-two-qp.eml', kind: 'bounce', detector: 'fallback',
    recipients: ['kijitora@example.co.jp failed', 'mikeneko@example.co.jp failed'], diagnostics: ['ERROR_CODE :5.1.1 <kijitora@example.co.jp>... User Unknown', 'mailbox unavailable'],
  },
  { file: 'zoho-status-expired.eml', kind: 'bounce', detector: 'fallback', recipients: ['sabatora@example.co.jp failed'], diagnostics: ['Host not reachable'], reasons: [['expired', false]] },
  // m-FILTER: two listed, one server reply that names the first
  {
    file: 'mfilter-two.eml', kind: 'bounce', detector: 'fallback',
    recipients: ['kijitora@example.jp failed', 'mikeneko@example.jp failed'], diagnostics: ['550 5.1.1 unknown user <kijitora@example.jp>', null],
  },
  // qmail: local, remote (folded) and expired in one notice; qmail-ldap; sender rejected
  {
    file: 'qmail-three-kinds.eml', kind: 'bounce', detector: 'qmail',
    recipients: ['kijitora@example.net failed', 'mikeneko@example.org failed', 'sabatora@example.jp failed'],
    reasons: [['userunknown', true], ['userunknown', true], ['expired', false]],
  },
  { file: 'qmail-ldap-disabled.eml', kind: 'bounce', detector: 'qmail', recipients: ['kuroneko@example.net failed'], reasons: [['suspend', false]] },
  { file: 'qmail-connected-mail-from.eml', kind: 'bounce', detector: 'qmail', recipients: ['kijitora@example.jp failed'], reasons: [['rejected', false]] },
  { file: 'qmail-host-and-connection.eml', kind: 'bounce', detector: 'qmail', recipients: ['kijitora@nohost.example.org failed', 'mikeneko@example.jp failed'], reasons: [['hostunknown', true], ['networkerror', false]] },
  // qmail clones (X4): the Spanish banner; "Unfortunately, your mail was not delivered"
  { file: 'x4-spanish.eml', kind: 'bounce', detector: 'qmail', recipients: ['kijitora@example.es failed'], reasons: [['userunknown', true]] },
  { file: 'x4-unfortunately.eml', kind: 'bounce', detector: 'fallback', recipients: ['kijitora@example.com failed'], reasons: [['mailboxfull', false]] },
  // ARF and JMRP: the complained-about recipients, never the reported message's To when named
  { file: 'arf-jmrp-hmxmr.eml', kind: 'complaint', detector: 'arf-jmrp', recipients: ['reader7@example.com null'], reasons: [['feedback', false]] },
  { file: 'arf-two-rcpt.eml', kind: 'complaint', detector: 'arf', recipients: ['reader1@example.net null', 'reader2@example.net null'] },
  { file: 'arf-in-mixed.eml', kind: 'complaint', detector: 'arf', recipients: ['reader3@example.net null'] },
  // RFC 3834 / vendor auto-replies: Apple's X-Apple-Action: vacation under a plain "Re:" subject
  { file: 'autoreply-apple-vacation.eml', kind: 'auto_reply', detector: 'auto-reply', recipients: ['kuroneko@example.jp null'], reasons: [['vacation', false]] },
  // loose RFC 3464: no multipart/report wrapper; Original-Recipient only
  { file: 'rfc3464-no-wrapper.eml', kind: 'bounce', detector: 'rfc3464', recipients: ['kijitora@example.org failed'], reasons: [['userunknown', true]] },
  { file: 'rfc3464-original-only.eml', kind: 'bounce', detector: 'rfc3464', recipients: ['mikeneko@example.org failed'], reasons: [['mailboxfull', false]] },
  // loose fields: a Status holding the reply; an Action with a comment and a program as X-Actual-Recipient
  {
    file: 'rfc3464-status-is-reply.eml', kind: 'bounce', detector: 'rfc3464', recipients: ['kijitora@example.org failed'],
    reasons: [['emailtoolarge', false]], diagnostics: ['553 Exceeded maximum inbound message size'],
  },
  { file: 'rfc3464-loose-fields.eml', kind: 'bounce', detector: 'rfc3464', recipients: ['mikeneko@example.org failed'], reasons: [['userunknown', true]] },
];

describe('family layout variants, modules N-Z (issue #13)', () => {
  for (const c of CASES) {
    it(`${c.file}: ${c.detector}, ${c.recipients.length} recipient(s)`, () => {
      const r = fixture(c.file);
      expect({ kind: r.kind, detector: r.detector, recipients: summary(r) }).toEqual({ kind: c.kind, detector: c.detector, recipients: c.recipients });
      // the returned message's parties never failed
      for (const x of r.recipients) expect(['news@sender.example.org', 'team@example.net', 'boss@example.org']).not.toContain(x.finalRecipient);
      if (c.reasons) expect(classify(r).map((v) => [v.reason, v.hardbounce])).toEqual(c.reasons);
      if (c.diagnostics) {
        c.diagnostics.forEach((d, i) => {
          if (d) expect(r.recipients[i].diagnosticCode).toContain(d);
        });
      }
    });
  }

  it('m-FILTER: a reply that names one listed address is not the other\'s diagnostic', () => {
    const r = fixture('mfilter-two.eml');
    expect(r.recipients[1].diagnosticCode ?? '').not.toMatch(/^550 5\.1\.1 unknown user <kijitora@example\.jp>$/);
  });

  it('X5: the forwarded report is read, and the returned message is the one the sender sent', () => {
    expect(fixture('x5-nested-report.eml').original?.messageId).toBe('orig-b1@sender.example.org');
  });

  it('X3: a listed address takes its reply from the technical details, not the framed prose', () => {
    expect(fixture('x3-smtp-detail.eml').recipients[0].diagnosticCode).toMatch(/^SMTP:RCPT host 192\.0\.2\.8: 553 5\.3\.0/);
    expect(fixture('x3-routing.eml').recipients[0].diagnosticCode).toMatch(/^Routing: Could not find a gateway/);
  });

  it('Lotus Notes: each address takes the reason above it, not the next address\'s', () => {
    const r = fixture('notes-two-reasons.eml');
    expect(r.recipients[0].diagnosticCode).not.toContain('hop count');
  });
});

/** Dev part of the public corpus only (the validation part is never read by tests either). */
const isDev = (file: string) => createHash('sha256').update('bounced-validation-v1:' + file.split('/').pop()).digest()[0] >= 86;

describe.skipIf(!haveCorpus)('family variants on dev-part corpus messages (read in place)', () => {
  it('SendGrid "Action: expired" is a failed delivery (a soft bounce), not one still pending', () => {
    const file = 'bsd/lhost-sendgrid-03.eml';
    expect(isDev(file)).toBe(true);
    const r = parseMessageSync(readFileSync(join(corpusDir, 'maildir', file)));
    expect(r.recipients.map((x) => x.action)).toEqual(['failed']);
    expect(classify(r).map((v) => [v.reason, v.type])).toEqual([['expired', 'soft']]);
  });
});

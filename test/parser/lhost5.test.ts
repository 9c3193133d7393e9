// The variants of issue #13's MTA families that Sisimai 5's family modules recognise and Sisimai
// 4.25's did not (fixtures/lhost5/README.md lists them with where each was read): fixtures
// built by fixtures/make-lhost5.mjs in our own words. Each returned message names addresses
// that did not fail (a second To, a Cc, the sender), one notice a help desk: only the failed
// recipients may be recorded. The reasons are the remote replies' documented meanings (RFC 3463
// replies of fixtures/generated/cases.mjs) or the server's own documented words.
import { describe, expect, it } from 'vitest';
import { parseMessageSync } from '../../src/parser/index.js';
import { itReadsCases, summary, type FamilyCase } from '../helpers/family-cases.js';

const UNKNOWN = (a: string) => `550 5.1.1 <${a}>: Recipient address rejected: User unknown in virtual mailbox table`;

const CASES: FamilyCase[] = [
  // qmail and its clones (Sisimai 5 qmail: the clones' openings and copy markers, Yahoo's subject)
  { name: 'qmail-yahoo-failure-notice', detector: 'qmail', recipients: ['kijitora@example.jp failed'], verdicts: [['userunknown', true]], diagnostic: [UNKNOWN('kijitora@example.jp')] },
  { name: 'qmail-clone-unfortunately', detector: 'qmail', recipients: ['mikeneko@example.org failed'], verdicts: [['mailboxfull', false]], diagnostic: ['552 5.2.2 <mikeneko@example.org>: Mailbox full'] },
  { name: 'qmail-clone-spanish', detector: 'qmail', recipients: ['sabatora@example.net failed'], verdicts: [['userunknown', true]], diagnostic: [UNKNOWN('sabatora@example.net')] },
  { name: 'qmail-header-copy', detector: 'qmail', recipients: ['shironeko@example.com failed'], verdicts: [['contenterror', false]], diagnostic: ['554 5.6.0 Message contains invalid header lines'] },
  // notqmail's words for a domain whose MX is the null MX of RFC 7505 (it takes no mail at all)
  { name: 'qmail-nullmx', detector: 'qmail', recipients: ['kuroneko@nomail.example.com failed'], verdicts: [['notaccept', true]], diagnostic: ["Sorry, I couldn't find a mail exchanger or IP address."] },
  // qmail-ldap's own spelling, with its #5.2.1 (RFC 3463 X.2.1 mailbox disabled)
  { name: 'qmail-ldap-disabled', detector: 'qmail', recipients: ['chatora@example.co.jp failed'], verdicts: [['suspend', false]], diagnostic: ['Mailaddress is administrativley disabled. (#5.2.1)'] },

  // Exchange 2007 in Swedish: a help-desk link in the explanation is no recipient
  { name: 'exchange2007-swedish', detector: 'exchange2007', recipients: ['kijitora@example.se failed'], verdicts: [['userunknown', true]], diagnostic: ['550 5.1.10 RESOLVER.ADR.RecipientNotFound'] },

  // Domino localized: "not listed in Domino Directory" in Spanish, and in French sent as ISO-8859-1
  { name: 'domino-spanish', detector: 'domino', recipients: ['mikeneko@domino.example.com failed'], verdicts: [['userunknown', true]], diagnostic: ['no se encuentra en el Directorio de Domino'] },
  { name: 'domino-french-latin1', detector: 'domino', recipients: ['sabatora@domino.example.com failed'], verdicts: [['userunknown', true]], diagnostic: ["non répertorié dans l'annuaire Domino"] },

  // Notes in Japanese: the generic reader; the reason line is Notes' "not listed" in Japanese
  { name: 'notes-japanese', detector: 'fallback', recipients: ['kijitora@notes.example.jp failed'], verdicts: [['userunknown', true]], diagnostic: ['ディレクトリのリストにありません'] },

  // Mimecast: "-- <address>", the reply on a "-- " line; a help-desk address in the text
  { name: 'mimecast-delivery-failure', detector: 'mimecast', recipients: ['shironeko@example.co.uk failed'], verdicts: [['userunknown', true]], diagnostic: [UNKNOWN('shironeko@example.co.uk')] },

  // smail 3 and the Deutsche Telekom fork: the generic reader takes both layouts
  { name: 'smail-tonline-quota', detector: 'fallback', recipients: ['mikeneko@example.de failed'], verdicts: [['mailboxfull', false]], diagnostic: ['552 5.2.2 <mikeneko@example.de>: Mailbox full'] },
  // smail's own words (notify.c " <address> ... failed: <error>"; "unknown host" its router's)
  { name: 'smail-unknown-host', detector: 'fallback', recipients: ['kijitora@neko.example.com failed'], verdicts: [['hostunknown', true]], diagnostic: ['unknown host'] },
];

/** A one-part text notice. */
const textNotice = (headers: Record<string, string>, text: string[]) =>
  parseMessageSync(
    Buffer.from(
      [
        ...Object.entries({ From: 'MAILER-DAEMON@mx.sender.example.org', To: 'news@sender.example.org', Date: 'Sun, 06 Dec 2026 05:40:12 +0000', 'Message-ID': '<t1@mx.sender.example.org>', ...headers }).map(([k, v]) => `${k}: ${v}`),
        'Content-Type: text/plain; charset=utf-8',
        '',
        ...text,
        '',
      ].join('\r\n'),
    ),
  );

describe('Sisimai 5 family variants 4.25 did not know (lhost5)', () => {
  itReadsCases('lhost5', CASES);

  it('qmail clones: the pasted original after "Original message follows." or "--- Mensaje original adjunto." names nobody who failed', () => {
    for (const marker of ['Original message follows.', '--- Mensaje original adjunto.']) {
      const r = textNotice({ Subject: 'failure notice' }, [
        'Unfortunately, your mail was not delivered to the following address:',
        '',
        '<mikeneko@example.org>:',
        'Remote host said: 552 5.2.2 <mikeneko@example.org>: Mailbox full',
        '',
        marker,
        '',
        'From: news@sender.example.org',
        'To: mikeneko@example.org, hachiware@example.org',
        'Subject: Re: Winter letter',
        '',
        'Hachiware wrote:',
        '<hachiware@example.org>: see you on Sunday',
      ]);
      expect({ detector: r.detector, recipients: summary(r) }, marker).toEqual({ detector: 'qmail', recipients: ['mikeneko@example.org failed'] });
    }
  });

  it('qmail clones: a "-- " signature ends the notice (an "<address>:" line below it names nobody who failed)', () => {
    const r = textNotice({ Subject: 'Failure Notice' }, [
      'Sorry, we were unable to deliver your message to the following address.',
      '',
      '<mikeneko@example.org>:',
      'Remote host said: 550 5.2.1 <mikeneko@example.org>: Mailbox disabled, not accepting messages',
      '',
      '-- ',
      'Relay operations, on call this week:',
      '<ops-team@example.net>: Hachiware',
    ]);
    expect({ detector: r.detector, recipients: summary(r) }).toEqual({ detector: 'qmail', recipients: ['mikeneko@example.org failed'] });
  });

  it('qmail: a clone\'s opening under another Subject is no qmail notice', () => {
    const r = textNotice({ Subject: 'Undelivered mail' }, ['Unfortunately, your mail was not delivered to the following address:', '', '<mikeneko@example.org>:', 'Remote host said: 552 5.2.2 Mailbox full', '']);
    expect(r.detector).not.toBe('qmail');
  });

  it('Mimecast: two addresses share the lines after them; without a reply the explanation is the diagnostic; a "-- " signature names nobody', () => {
    const r = textNotice({ Subject: '[Postmaster] Email Delivery Failure', 'Message-ID': '<42-17@us-mta-3.us.mimecast.lan>' }, [
      'An email that you attempted to send to the following address could not be delivered:',
      '-- kijitora@example.jp',
      '-- mikeneko@example.jp',
      '',
      'The problem appears to be :',
      '-- Recipient email address is possibly incorrect',
      '',
      'An email that you attempted to send to the following address could not be delivered:',
      '-- sabatora@example.net',
      'Additional information follows :',
      '-- 452 4.2.2 <sabatora@example.net>: Mailbox full, try again later',
      '',
      '-- ',
      'Questions: helpdesk@sender.example.org',
    ]);
    expect({ detector: r.detector, recipients: summary(r) }).toEqual({ detector: 'mimecast', recipients: ['kijitora@example.jp failed', 'mikeneko@example.jp failed', 'sabatora@example.net failed'] });
    expect(r.recipients.map((x) => x.diagnosticCode)).toEqual(['Recipient email address is possibly incorrect', 'Recipient email address is possibly incorrect', '452 4.2.2 <sabatora@example.net>: Mailbox full, try again later']);
  });

  it('Mimecast: a report with RFC 3464 fields naming its recipients is the RFC 3464 reader\'s', () => {
    const raw = [
      'From: postmaster@mimecast.example.com',
      'To: news@sender.example.org',
      'Subject: [Postmaster] Email Delivery Failure',
      'Date: Sun, 06 Dec 2026 05:40:12 +0000',
      'Message-ID: <42-18@us-mta-3.us.mimecast.lan>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'An email that you attempted to send to the following address could not be delivered:',
      '-- kijitora@example.jp',
      '',
      '--b1',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; us-mta-3.us.mimecast.lan',
      '',
      'Final-Recipient: rfc822; kijitora@example.jp',
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 <kijitora@example.jp>: Recipient address rejected: User unknown in virtual mailbox table',
      '',
      '--b1--',
      '',
    ].join('\r\n');
    const r = parseMessageSync(Buffer.from(raw));
    expect({ detector: r.detector, recipients: summary(r) }).toEqual({ detector: 'rfc3464', recipients: ['kijitora@example.jp failed'] });
  });
});

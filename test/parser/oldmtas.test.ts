// Non-delivery notices of commercial and Windows mail servers no bounce library models (issue
// #13): fixtures built by fixtures/make-oldmtas.mjs, one per layout variant a vendor's manual or
// knowledge-base page, or a single notice quoted in a support thread, shows (MDaemon and its
// SecurityGateway, SmarterMail, Exchange 2000 and 5.5, the Windows SMTP service, Domino R5,
// CommuniGate Pro, MailEnable). The generic readers (rfc3464, fallback) and the existing
// family detectors must find exactly the failed recipients: each returned message names
// addresses that did not fail (a second To, a Cc, the sender), one notice quotes the original's
// To line, one carries a help-desk address, one names no recipient at all. The reason is stated
// where the reply's code or the server's own words document it; where our answer is a question
// of labels only the recipients and the words are (see the notes on the cases).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMessageSync } from '../../src/parser/index.js';
import { fixturesDir } from '../helpers/env.js';
import { itReadsCases, readFixture, summary, type FamilyCase } from '../helpers/family-cases.js';


const CASES: FamilyCase[] = [
  // MDaemon: the session transcript ("-->" what MDaemon sent, "<--" the reply, each line stamped)
  { name: 'mdaemon-permanent-transcript', detector: 'fallback', recipients: ['kijitora@example.jp failed'], verdicts: [['userunknown', true]], diagnostic: ['550 5.1.1 <kijitora@example.jp>: Recipient address rejected: User unknown in virtual mailbox table'] },
  { name: 'mdaemon-after-data', detector: 'fallback', recipients: ['mikeneko@example.org failed'], verdicts: [['mailboxfull', false]], diagnostic: ['552 5.2.2 <mikeneko@example.org>: Mailbox full'] },
  // no reply at all: the session's recipient is the transcript's "*  To:" line; MDaemon's own
  // words for the lookup are a question of labels
  { name: 'mdaemon-domain-unknown', detector: 'fallback', recipients: ['shironeko@neko.example.com failed'], diagnostic: ['Name server reports domain name unknown'] },
  // the transcript left out: the notice names nobody, the attached original's To and Cc are no answer
  { name: 'mdaemon-no-transcript', detector: 'fallback', recipients: [] },
  // a local "no such user here" without a code or a command: the classifier reads user-unknown
  // words of an unknown phase as a filter's (classifier/index.ts), a question of labels here
  { name: 'mdaemon-local-no-such-user', detector: 'fallback', recipients: ['sabatora@mail.example.com failed'], diagnostic: ['no such user here'] },
  // SecurityGateway: "Failed address:", the reply in the transcript below (after DATA)
  { name: 'securitygateway-failed-address', detector: 'fallback', recipients: ['kijitora@example.co.jp failed'], verdicts: [['userunknown', true]], diagnostic: ['550 5.1.1 No such user here'] },

  // SmarterMail: "Failed Recipient:" and "Reason:"; under IMail's Subject the IMail detector reads
  // it. "No MX records were found for the '<domain>' domain" is what its knowledge base says a
  // mistyped recipient domain gives (hostunknown)
  { name: 'smartermail-mailbox-full', detector: 'imailserver', recipients: ['mikeneko@example.com failed'], verdicts: [['mailboxfull', false]], diagnostic: ['The mailbox is full'] },
  {
    name: 'smartermail-two-rcpts',
    detector: 'fallback',
    recipients: ['shironeko@neko.example.com failed', 'mikeneko@example.org failed'],
    verdicts: [['hostunknown', true], ['mailboxfull', false]],
    diagnostic: ["No MX records were found for the 'neko.example.com' domain.", 'The mailbox is full'],
  },

  // Exchange 2000 (KB 284204) and 5.5 (KB 251152): the Exchange 2003 family's reader
  { name: 'exchange2000-one-rcpt', detector: 'exchange2003', recipients: ['kijitora@example.jp failed'], verdicts: [['userunknown', true]], diagnostic: ['The e-mail account does not exist at the organization this message was sent to.'] },
  {
    name: 'exchange2000-two-rcpts',
    detector: 'exchange2003',
    recipients: ['kijitora@example.jp failed', 'mikeneko@example.org failed'],
    verdicts: [['userunknown', true], ['mailboxfull', false]],
    diagnostic: ['The e-mail account does not exist at the organization', '552 5.2.2 <mikeneko@example.org>: Mailbox full'],
  },
  // the quoted "To:" line names a second recipient that did not fail
  { name: 'exchange55-to-line', detector: 'exchange2003', recipients: ['kijitora@example.jp failed'], verdicts: [['userunknown', true]], diagnostic: ['The recipient name is not recognized'] },

  // the Windows SMTP service: no reason given (a question of labels)
  { name: 'windows-smtp-failed', detector: 'fallback', recipients: ['kijitora@example.jp failed'] },
  { name: 'windows-smtp-delay', detector: 'fallback', kind: 'delay', recipients: ['sabatora@example.net delayed'] },

  // Domino R5: "Your document:" / "was not delivered to:" / "because:", a help-desk address below
  { name: 'domino-r5-your-document', detector: 'domino', recipients: ['kijitora@example.jp failed'], verdicts: [['userunknown', true]], diagnostic: ['not listed in public Name & Address Book'] },

  // CommuniGate Pro: "mail receiving disabled" (the account's own switch) is `notaccept` by the
  // reason definitions the labels use (Sisimai 5 NotAccept lists the wording; round 15): hard
  {
    name: 'communigate-two-local',
    detector: 'fallback',
    recipients: ['mikeneko@example.com failed', 'sabatora@example.com failed'],
    verdicts: [['mailboxfull', false], ['notaccept', true]],
    diagnostic: ['account is full (quota exceeded)', 'mail receiving disabled'],
  },

  // MailEnable: "Recipient: [SMTP:...]", "Reason:", the original pasted after "Message contents follow:"
  {
    name: 'mailenable-two-rcpts',
    detector: 'fallback',
    recipients: ['kijitora@example.jp failed', 'mikeneko@example.org failed'],
    verdicts: [['userunknown', true], ['mailboxfull', false]],
    diagnostic: ['550 5.1.1 <kijitora@example.jp>: Recipient address rejected: User unknown in virtual mailbox table', '552 5.2.2 <mikeneko@example.org>: Mailbox full'],
  },
  // MailEnable's own words for a domain that is not registered: one quoted notice is no ground
  // for a rule, so the reason is a question of labels here
  { name: 'mailenable-invalid-domain', detector: 'fallback', recipients: ['shironeko@neko.example.com failed'], diagnostic: ['does not appear to be registered'] },

  // Sendmail V8 without a delivery-status part: replies without enhanced codes, the command each
  // answered only in the transcript (">>> RCPT To:<a>" above "<<< 550 ..."). Refused at RCPT,
  // user-unknown words are an unknown mailbox; after DATA, the labels' filter (see below)
  {
    name: 'sendmail-v8-plain-two-rcpts',
    detector: 'fallback',
    recipients: ['kijitora@example.jp failed', 'mikeneko@example.jp failed'],
    verdicts: [['userunknown', true], ['userunknown', true]],
    diagnostic: ['<<< 550 <kijitora@example.jp>... User unknown', '<<< 550 <mikeneko@example.jp>... No such user'],
  },
  { name: 'sendmail-v8-plain-reason-line', detector: 'fallback', recipients: ['shironeko@example.org failed'], verdicts: [['userunknown', true]], diagnostic: ['550 Mailbox not found'] },
  { name: 'sendmail-v8-plain-after-data', detector: 'fallback', recipients: ['sabatora@example.net failed'], verdicts: [['filtered', false]], diagnostic: ['550 User unknown'] },
];

describe('commercial and Windows mail servers no bounce library models (issue #13)', () => {
  itReadsCases('oldmtas', CASES);

  // MDaemon's transcript names each session's recipient on a stamped "*  To:" line: a session
  // whose RCPT TO and DATA went through is no failure of its recipient, and a "To:" line without
  // the stamp (a returned message's header) names nobody
  const mdaemon = (text: string) =>
    parseMessageSync(
      Buffer.from(
        ['From: "MDaemon at mail.sender.example.org" <MDaemon@mail.sender.example.org>', 'To: news@sender.example.org', 'Subject: Permanent Delivery Failure', 'Date: Sat, 05 Dec 2026 11:20:45 +0000', 'Message-ID: <t1@mail.sender.example.org>', 'Content-Type: text/plain', '', text].join('\r\n'),
      ),
    );
  const st = 'Sat 2026-12-05 11:20:46: ';
  it('MDaemon: a session that went through names no failed recipient; the failed session\'s does', () => {
    const r = mdaemon(
      [
        'The attached message had PERMANENT fatal delivery errors.',
        '',
        'YOUR MESSAGE WAS NOT DELIVERED TO ONE OR MORE RECIPIENTS',
        '',
        '--- Session Transcript ---',
        `${st}*  From: news@sender.example.org`,
        `${st}*  To: hachiware@example.org`,
        `${st}*  Subject: Monthly letter`,
        `${st}Attempting SMTP connection to [mx.example.org:25]`,
        `${st}--> RCPT To:<hachiware@example.org>`,
        `${st}<-- 250 2.1.5 Ok`,
        `${st}--> DATA`,
        `${st}<-- 250 2.0.0 Ok: queued`,
        `${st}*  From: news@sender.example.org`,
        `${st}*  To: shironeko@neko.example.com`,
        `${st}*  Subject: Monthly letter`,
        `${st}Attempting SMTP connection to [neko.example.com]`,
        `${st}*  Name server reports domain name unknown`,
        '--- End Transcript ---',
        '',
      ].join('\r\n'),
    );
    expect(summary(r)).toEqual(['shironeko@neko.example.com failed']);
    expect(r.recipients[0].diagnosticCode).toContain('Name server reports domain name unknown');
  });
  it('Sendmail V8 without a delivery-status part: each reply takes the command the transcript shows it answered', () => {
    const command = (name: string) => readFixture('oldmtas', name).recipients.map((x) => `${x.finalRecipient} ${x.command}`);
    expect(command('sendmail-v8-plain-two-rcpts')).toEqual(['kijitora@example.jp RCPT', 'mikeneko@example.jp RCPT']);
    expect(command('sendmail-v8-plain-reason-line')).toEqual(['shironeko@example.org RCPT']);
    expect(command('sendmail-v8-plain-after-data')).toEqual(['sabatora@example.net DATA']);
  });
  it('MDaemon: an unstamped "*  To:" line is no session summary', () => {
    const r = mdaemon(['The attached message had PERMANENT fatal delivery errors.', '', 'YOUR MESSAGE WAS NOT DELIVERED TO ONE OR MORE RECIPIENTS', '', '*  To: hachiware@example.org', '*  Subject: Monthly letter', ''].join('\r\n'));
    expect(summary(r)).toEqual([]);
  });
  it('MDaemon: a host name is a name: the recipient\'s server "mx.suspended-mail.org" makes no record of the Message-ID line above it', () => {
    // (metamorphic rename-addresses-rulewords: the recipient's domain renamed to a word the
    // failure predicates read; the "*  Message-ID: <...>" line's sentence ran on into the
    // next line, cut mid-name at its 200-character window: "[mx.suspended-mail.o")
    const raw = readFileSync(join(fixturesDir, 'oldmtas', 'mdaemon-after-data.eml'), 'latin1')
      .replace(/example\.=\r?\norg/g, 'suspended-mail.org')
      .replace(/@example\.org\b/g, '@suspended-mail.org')
      .replace(/mx\.example\.org/g, 'mx.suspended-mail.org')
      .replace(/orig-om-1@sender\.example\.org/g, 'orig-om-1.u1kpm9ei@sender.example.org');
    expect(raw).toContain('[mx.suspended-mail.org:25]');
    const r = parseMessageSync(Buffer.from(raw, 'latin1'));
    expect(summary(r)).toEqual(['mikeneko@suspended-mail.org failed']);
  });
});

// Non-delivery reports of open-source MTAs no bounce library models (issue #13): fixtures built
// by fixtures/make-newmtas.mjs, one per layout variant each MTA's source code documents
// (hMailServer, Stalwart, maddy, chasquid, mox, Postal, ZoneMTA, XMail). Each returned message or header
// block names addresses that did not fail (a second To, a Cc, the sender), and some reports name
// the sender in a status field of their own: the recipients must be exactly the failed ones. The
// reason is stated where the reply's code or text documents it (RFC 3463 codes, the MTA's own
// stock text); where our answer is a question of labels, only the recipients and the remote
// words are (see the notes on the cases).
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { itReadsCases, readFixture, type FamilyCase } from '../helpers/family-cases.js';

const fixture = (name: string) => readFixture('newmtas', name);


const CASES: FamilyCase[] = [
  // hMailServer: text only, "Remote server replied:" under each address
  { name: 'hmailserver-one-rcpt', detector: 'fallback', recipients: ['kijitora@example.jp failed'], verdicts: [['userunknown', true]], diagnostic: ['550 5.1.1 <kijitora@example.jp>: Recipient address rejected: User unknown in virtual mailbox table'] },
  {
    name: 'hmailserver-two-rcpts',
    detector: 'fallback',
    recipients: ['kijitora@example.jp failed', 'mikeneko@example.org failed'],
    verdicts: [['userunknown', true], ['mailboxfull', false]],
    diagnostic: ['550 5.1.1 <kijitora@example.jp>: Recipient address rejected: User unknown', '552 5.2.2 <mikeneko@example.org>: Mailbox full'],
  },
  // the retries ran out ("Tried 5 time(s)"): a transient "try again later" is a question of labels
  {
    name: 'hmailserver-tried-times',
    detector: 'fallback',
    recipients: ['sabatora@example.net failed', 'kuroneko@example.net failed'],
    verdicts: [null, ['mailboxfull', false]],
    diagnostic: ['421 4.7.0 Temporary system problem, try again later', '452 4.2.2 Mailbox full, try again later'],
  },
  // hMailServer's own words for a domain without mail servers (ExternalDelivery.cpp)
  { name: 'hmailserver-no-mx', detector: 'fallback', recipients: ['shironeko@nxdomain.example.com failed'], verdicts: [['hostunknown', true]], diagnostic: ["No mail servers appear to exists for the recipient's address."] },
  { name: 'hmailserver-inbox-full', detector: 'fallback', recipients: ['mikeneko@example.com failed'], verdicts: [['mailboxfull', false]], diagnostic: ['Inbox is full'] },
  // a translated notice: the program's lines under each address stay English
  { name: 'hmailserver-localized-template', detector: 'fallback', recipients: ['kijitora@example.jp failed', 'mikeneko@example.org failed'], verdicts: [['userunknown', true], ['mailboxfull', false]] },
  { name: 'hmailserver-original-header', detector: 'fallback', recipients: ['kijitora@example.jp failed'], verdicts: [['userunknown', true]] },

  // Stalwart: RFC 3464 with "dns;" and "rfc822;" unspaced, the enhanced code only in Status
  { name: 'stalwart-one-failed', detector: 'rfc3464', recipients: ['kijitora@example.jp failed'], verdicts: [['userunknown', true]], diagnostic: ['550 Mailbox does not exist'] },
  // a delay's reason is a question of labels
  { name: 'stalwart-mixed', detector: 'rfc3464', recipients: ['sabatora@example.net delayed', 'mikeneko@example.org failed'], verdicts: [null, ['mailboxfull', false]], diagnostic: ['421 Try again later', '552 Mailbox full'] },
  { name: 'stalwart-delay', detector: 'rfc3464', kind: 'delay', recipients: ['kuroneko@example.net delayed'], diagnostic: ['451 Temporary lookup failure, try again later'] },
  // the delivered recipient is a "delivered" record, never a failure
  { name: 'stalwart-partial', detector: 'rfc3464', recipients: ['hachiware@example.org delivered', 'kijitora@example.jp failed'], verdicts: [['delivered', false], ['userunknown', true]], diagnostic: ['', '550 User unknown'] },
  // no reply at all: the cause only in the text part, read for the recipient
  { name: 'stalwart-connection-failed', detector: 'rfc3464', kind: 'delay', recipients: ['shironeko@example.net delayed'], diagnostic: ["connection to 'mx.example.net' failed: Connection refused"] },
  { name: 'stalwart-status-from-code', detector: 'rfc3464', recipients: ['mikeneko@example.com failed'], verdicts: [['mailboxfull', false]], diagnostic: ['552 Mailbox full'] },

  // maddy: X-Maddy-Sender names the sender; the header block is message/rfc822-headers
  { name: 'maddy-one-failed', detector: 'rfc3464', recipients: ['kijitora@example.jp failed'], verdicts: [['userunknown', true]], diagnostic: ['550 5.1.1 mx.example.jp. said: <kijitora@example.jp>: Recipient address rejected: User unknown'] },
  // a recipient whose retries ran out keeps Action: failed and its last transient code
  { name: 'maddy-two-failed', detector: 'rfc3464', recipients: ['kijitora@example.jp failed', 'mikeneko@example.org failed'], verdicts: [['userunknown', true], ['mailboxfull', false]], diagnostic: ['550 5.1.1 mx.example.jp. said: User unknown', '452 4.2.2 mx.example.org. said: Mailbox full, try again later'] },

  // SMTPUTF8: the address type "utf8", message/global-delivery-status and message/global-headers
  { name: 'maddy-utf8', detector: 'rfc3464', recipients: ['kijitora@example.jp failed'], verdicts: [['userunknown', true]], diagnostic: ['550 5.1.1 mx.example.jp. said: User unknown'] },

  // chasquid: Status 5.0.0 / 4.0.0 whatever the cause, the reply after "MAIL+RCPT"
  {
    name: 'chasquid-two-reasons',
    detector: 'rfc3464',
    recipients: ['kijitora@example.jp failed', 'mikeneko@example.org failed'],
    verdicts: [['userunknown', true], ['mailboxfull', false]],
    diagnostic: ['550 5.1.1 <kijitora@example.jp>: Recipient address rejected: User unknown', '452 4.2.2 <mikeneko@example.org>: Mailbox full'],
  },
  // RFC 3463 X.2.1: the mailbox is disabled
  { name: 'chasquid-multiline-reply', detector: 'rfc3464', recipients: ['sabatora@example.com failed'], verdicts: [['suspend', false]], diagnostic: ['550 5.2.1 The email account that you tried to reach is disabled. 5.2.1 Please ask the recipient to contact their administrator.'] },
  { name: 'chasquid-plain-text', detector: 'fallback', recipients: ['kijitora@example.jp failed'], verdicts: [['userunknown', true]], diagnostic: ['550 5.1.1 <kijitora@example.jp>: Recipient address rejected: User unknown'] },

  // mox
  { name: 'mox-failed', detector: 'rfc3464', recipients: ['kijitora@example.jp failed'], verdicts: [['userunknown', true]], diagnostic: ['550 5.1.1 <kijitora@example.jp>: Recipient address rejected: User unknown'] },
  { name: 'mox-delayed', detector: 'rfc3464', kind: 'delay', recipients: ['mikeneko@example.org delayed'], verdicts: [['mailboxfull', false]], diagnostic: ['452 4.2.2 <mikeneko@example.org>: Mailbox full, try again later'] },

  // Postal: the route's address is the failed recipient (and the report's From); no reason given
  { name: 'postal-route-failed', detector: 'postal', recipients: ['support@help.example.com failed'] },

  // ZoneMTA: Status 5.0.0, the cause in Diagnostic-Code; X-ZoneMTA-Sender names the sender
  { name: 'zonemta-failed', detector: 'rfc3464', recipients: ['mikeneko@example.org failed'], verdicts: [['mailboxfull', false]], diagnostic: ['552 5.2.2 <mikeneko@example.org>: Mailbox full'] },

  // XMail: one queued recipient per notice; "Mail From:" names the sender, the start of the message is pasted
  { name: 'xmail-user-unknown', detector: 'fallback', recipients: ['kijitora@example.jp failed'], verdicts: [['userunknown', true]], diagnostic: ['550 5.1.1 <kijitora@example.jp>... User unknown'] },
  // XMail's own reason when the attempts ran out (QueueUtils.cpp)
  { name: 'xmail-attempts-exhausted', detector: 'fallback', recipients: ['mikeneko@example.jp failed'], verdicts: [['expired', false]], diagnostic: ['The maximum number of delivery attempts has been reached'] },
];

describe('open-source MTAs no bounce library models (issue #13)', () => {
  itReadsCases('newmtas', CASES);

  it('hMailServer: the command it names ("hMailServer sent: RCPT TO:<...>", "... sent: DATA") is the one the reply answered', () => {
    expect(fixture('hmailserver-two-rcpts').recipients.map((x) => x.command)).toEqual(['RCPT', 'DATA']);
  });

  it("Stalwart: a Status made of a reply's basic code digits (552 -> 5.5.2) is no enhanced status of the remote server's", () => {
    const r = fixture('stalwart-status-from-code');
    const [v] = classify(r);
    expect({ status: v.status, replyCode: v.replyCode }).toEqual({ status: '5.2.2', replyCode: 552 });
  });

  it('a real enhanced status that differs from the reply code digits is kept', () => {
    const r = fixture('stalwart-one-failed');
    expect(classify(r)[0]).toMatchObject({ status: '5.1.1', replyCode: 550 });
  });
});

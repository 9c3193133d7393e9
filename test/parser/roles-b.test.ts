// Issue #13's worst harm in the family detectors test/parser/roles.test.ts did not probe
// (Courier, Sendmail, Haraka, nullmailer, Amazon SES, Google Groups, Postal, RFC 3464's text
// fallbacks, mdn-reject, EZweb/KDDI): each family's own layout naming, where its reports put
// free text (the remote reply with its help text, an operator's template or footer, a session
// transcript, the DSN's text part, the returned copy), addresses that did not fail: a help
// desk, the sender, a moved recipient's new address, the alias the sender wrote, a delivered
// recipient. Fixtures built by fixtures/make-roles-b.mjs; each test names the recipients that
// failed, and only those (a delivered one is stated as delivered: no failure record).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { mailboxesNamed } from '../../src/parser/smtp-text.js';
import { fixturesDir } from '../helpers/env.js';

/** The detector, and `address status reason` per recipient. */
function read(file: string) {
  const report = parseMessageSync(readFileSync(join(fixturesDir, 'roles-b', file)));
  const verdicts = classify(report);
  return { detector: report.detector, lines: verdicts.map((v) => `${v.recipient} ${v.status} ${v.reason}`), verdicts, recipients: report.recipients };
}

describe('nullmailer: the one refused RCPT\'s reply, written for every recipient, names others in other roles', () => {
  it('"please write to <another recipient>": only the mailbox the reply refused', () => {
    const got = read('nullmailer-shared-points-to-other.eml');
    expect(got.detector).toBe('nullmailer');
    expect(got.lines).toEqual(['jane.doe@example.com 5.1.1 userunknown']);
  });

  it('"mailbox full, contact <another recipient>": only the mailbox the reply refused', () => {
    const got = read('nullmailer-shared-help-is-recipient.eml');
    expect(got.detector).toBe('nullmailer');
    expect(got.lines).toEqual(['jane.doe@example.com 5.2.2 mailboxfull']);
  });

  it('"<a> has moved to <b>" with b also a recipient: only a', () => {
    const got = read('nullmailer-shared-moved-to-recipient.eml');
    expect(got.detector).toBe('nullmailer');
    expect(got.lines).toEqual(['jane.doe@example.com 5.1.6 hasmoved']);
  });
});

describe('nullmailer: each block read on its own as far as its own address goes', () => {
  // the report without the refused mailbox's block (a report on fewer recipients): the one left
  // is named by the reply only as whom to ask or where to write, so it was not refused either
  const without = (file: string, address: string) => {
    const raw = readFileSync(join(fixturesDir, 'roles-b', file), 'latin1');
    const block = new RegExp(`Final-Recipient: rfc822; ${address.replace(/[.]/g, '\\.')}\\r\\n(?:[^\\r\\n]+\\r\\n)*\\r\\n`);
    expect(block.test(raw)).toBe(true);
    return parseMessageSync(Buffer.from(raw.replace(block, ''), 'latin1'));
  };
  for (const file of ['nullmailer-shared-help-is-recipient.eml', 'nullmailer-shared-moved-to-recipient.eml', 'nullmailer-shared-points-to-other.eml']) {
    it(file, () => {
      const report = without(file, 'jane.doe@example.com');
      expect(report.detector).toBe('nullmailer');
      expect(report.recipients).toEqual([]);
    });
  }
});

describe('nullmailer: a refused MAIL FROM names the sender, who had sent itself a copy', () => {
  // every recipient failed alike: the reply refused no mailbox (it was read as the sender's
  // own refusal: the sender recorded, the other recipient lost)
  for (const file of ['nullmailer-sender-refused-self-copy.eml', 'nullmailer-sender-domain-self-copy.eml']) {
    it(file, () => {
      const got = read(file);
      expect(got.detector).toBe('nullmailer');
      expect(got.verdicts.map((v) => `${v.recipient} ${v.reason} ${v.hardbounce}`)).toEqual(['jane.doe@example.com rejected false', 'news@sender.example.org rejected false']);
      expect(got.recipients.every((r) => r.sharedReply)).toBe(true);
    });
  }
});

describe('mdn-reject: the fields read with their folds undone (RFC 8098 §3.1.1)', () => {
  it('a folded Final-Recipient is the recipient, not the new address the reason names first', () => {
    const got = read('mdn-reject-folded-fields.eml');
    expect(got.detector).toBe('mdn-reject');
    expect(got.verdicts.map((v) => v.recipient)).toEqual(['jane.doe@example.jp']);
  });
});

describe('RFC 3464: a bare local part in Final-Recipient is completed only from the mailbox the reply names', () => {
  it('"551 5.1.6 User not local; please try <jane@newco>" does not complete "jane": no record', () => {
    const got = read('rfc3464-bare-local-moved.eml');
    expect(got.detector).toBe('rfc3464');
    expect(got.recipients).toEqual([]);
  });

  it('"550 5.1.1 <jane@example.com>: unknown user; has moved to jane@newco": jane@example.com', () => {
    const got = read('rfc3464-bare-local-named.eml');
    expect(got.detector).toBe('rfc3464');
    expect(got.lines).toEqual(['jane@example.com 5.1.1 userunknown']);
  });
});

describe('mailboxesNamed: the addresses a reply names as mailboxes', () => {
  it('leaves out where to write instead, whom to ask and the sender', () => {
    expect(mailboxesNamed('550 5.1.1 <a@x.example>: Recipient address rejected: Jane has left; please write to b@x.example')).toEqual(['a@x.example']);
    expect(mailboxesNamed('552 5.2.2 <a@x.example>: mailbox full, contact b@x.example')).toEqual(['a@x.example']);
    expect(mailboxesNamed('551 5.1.6 <a@x.example> has moved to <b@y.example>')).toEqual(['a@x.example']);
    expect(mailboxesNamed('551 5.1.6 User not local; please try <b@y.example>')).toEqual([]);
    expect(mailboxesNamed('550 5.7.1 <a@x.example>: not accepting mail from s@z.example')).toEqual(['a@x.example']);
    expect(mailboxesNamed('553 5.7.1 <s@z.example>: Sender address rejected: not owned by user')).toEqual([]);
    expect(mailboxesNamed('553 5.1.8 <s@z.example>... Domain of sender address s@z.example does not exist')).toEqual([]);
  });

  it('keeps every mailbox a reply lists, and one named both ways', () => {
    expect(mailboxesNamed('550 5.1.1 <a@x.example>, <b@x.example>: User unknown')).toEqual(['a@x.example', 'b@x.example']);
    expect(mailboxesNamed('550 5.1.1 <a@x.example>: unknown; contact a@x.example')).toEqual(['a@x.example']);
  });
});

describe('families whose layout already keeps the other roles out', () => {
  const cases: [string, string, string[]][] = [
    // Courier: the block's reply names a new address and a help desk; the footer the sender
    ['courier-help-and-new-in-reply.eml', 'courier', ['jane.doe@example.com 5.1.6 hasmoved']],
    // Courier: a refused MAIL FROM naming the sender; the other recipient delivered
    ['courier-one-delivered.eml', 'courier', ['jane.doe@example.com 5.7.1 rejected', 'omar.haddad@example.net 2.0.0 delivered']],
    // Courier: the reply names the alias and a help desk
    ['courier-alias-in-reply.eml', 'courier', ['lee.chan@example.org 5.2.2 mailboxfull']],
    ['sendmail-moved-transcript.eml', 'sendmail', ['jane.doe@example.com 5.1.6 hasmoved']],
    // Sendmail: the transcript names an accepted recipient and the sender
    ['sendmail-two-in-transcript.eml', 'sendmail', ['jane.doe@example.com 5.1.1 userunknown']],
    ['sendmail-alias-member.eml', 'sendmail', ['omar.haddad@example.net 5.7.1 filtered']],
    ['haraka-help-and-new.eml', 'haraka', ['jane.doe@example.com 5.1.6 hasmoved']],
    ['haraka-expired-sender.eml', 'haraka', ['jane.doe@example.com 4.4.7 expired']],
    ['ses-sns-envelope.eml', 'amazonses', ['jane.doe@example.com 5.1.6 hasmoved']],
    ['ses-raw-event-footer.eml', 'amazonses', ['omar.haddad@example.com 5.2.2 mailboxfull']],
    // SES's bounce by e-mail is an RFC 3464 report: the help line and the returned copy name others
    ['ses-email-dsn.eml', 'rfc3464', ['jane.doe@example.com 5.1.6 hasmoved']],
    ['googlegroups-greeting-and-owner.eml', 'googlegroups', ['board@groups.example.org 5.7.1 rejected']],
    ['postal-details.eml', 'postal', ['sales@help.example.com 5.0.0 onhold']],
    ['rfc3464-text-help-first.eml', 'rfc3464', ['jane.doe@example.com 5.1.6 hasmoved']],
    [
      'rfc3464-mixed-actions.eml',
      'rfc3464',
      ['omar.haddad@example.com 2.0.0 delivered', 'lee.chan@example.org 2.0.0 delivered', 'team@example.net 2.0.0 delivered', 'jane.doe@example.com 5.1.1 userunknown'],
    ],
    // (mdn-reject's reason is the family's: a Sieve refusal is the recipient's filter)
    ['mdn-reject-moved-and-help.eml', 'mdn-reject', ['jane.doe@example.jp 5.2.0 filtered']],
    ['mdn-reject-sender.eml', 'mdn-reject', ['jane.doe@example.jp 5.2.0 filtered']],
    ['mdn-reject-alias.eml', 'mdn-reject', ['lee.chan@example.jp 5.2.0 filtered']],
    ['ezweb-moved-in-reply.eml', 'ezweb', ['jane.doe@example.ne.jp 5.1.6 hasmoved']],
    ['kddi-reason-names-others.eml', 'ezweb', ['jane.doe@example.jp 5.2.2 mailboxfull']],
  ];
  for (const [file, detector, lines] of cases) {
    it(`${detector}: ${file}`, () => {
      const got = read(file);
      expect(got.detector).toBe(detector);
      expect(got.lines).toEqual(lines);
    });
  }

  it('a delivery-status part without recipient blocks: the generic reader takes the text part\'s entries, not the help address or the sender', () => {
    const got = read('rfc3464-no-blocks-text.eml');
    expect(got.detector).toBe('fallback');
    expect(got.verdicts.map((v) => v.recipient)).toEqual(['jane.doe@example.com', 'lee.chan@example.org']);
    expect(got.lines[0]).toBe('jane.doe@example.com 5.1.6 hasmoved');
    // (the refused sender: the classifier's weak "refused" hint decides before the MAIL FROM
    // command, blocked rather than rejected; neither is the recipient's hard bounce)
    expect(got.verdicts[1].hardbounce).toBe(false);
  });

  it('the alias stays the record\'s alias, not a record (Courier, Sendmail, mdn-reject)', () => {
    expect(read('courier-alias-in-reply.eml').recipients[0].originalRecipient).toBe('team@example.org');
    expect(read('sendmail-alias-member.eml').recipients[0].originalRecipient).toBe('team@example.net');
    expect(read('mdn-reject-alias.eml').recipients[0].originalRecipient).toBe('team@example.jp');
  });
});

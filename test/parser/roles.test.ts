// Issue #13's worst harm, family by family: a family detector's own layout naming, where that
// family's reports put free text (an administrator's template, the remote reply and its help
// text, a signature, the returned message pasted as text), addresses that did not fail: a help
// desk, the sender, a moved recipient's new address, a list's command address, the alias the
// sender wrote. Fixtures built by fixtures/make-roles.mjs; each test names the recipients that
// failed, and only those.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { fixturesDir } from '../helpers/env.js';

/** The detector, and `address status reason` per recipient. */
function read(file: string) {
  const report = parseMessageSync(readFileSync(join(fixturesDir, 'roles', file)));
  return { detector: report.detector, lines: classify(report).map((v) => `${v.recipient} ${v.status} ${v.reason}`), verdicts: classify(report), recipients: report.recipients };
}

describe('Exim: the administrator\'s text after the list (bounce_message_file)', () => {
  it('an indented address under "contact the mail administrators at" is help, not an entry', () => {
    const got = read('exim-help-after-list.eml');
    expect(got.detector).toBe('exim');
    expect(got.lines).toEqual(['jane.doe@example.com 5.1.1 userunknown']);
  });

  it('an indented address under "The message was sent from" is the sender', () => {
    const got = read('exim-sender-after-list.eml');
    expect(got.detector).toBe('exim');
    expect(got.lines).toEqual(['jane.doe@example.com 5.1.1 userunknown']);
  });

  it('contacts listed under the administrator\'s heading that names no role are no entries: the list ended at the first unindented line', () => {
    const got = read('exim-contacts-after-list.eml');
    expect(got.detector).toBe('exim');
    expect(got.lines).toEqual(['jane.doe@example.com 5.1.1 userunknown']);
  });

  it('a delay warning: the list is the one under the heading that ends in a colon, not under the opening sentence; a contact between them is no entry', () => {
    const got = read('exim-warning-contacts-above-list.eml');
    expect(got.detector).toBe('exim');
    expect(got.lines).toEqual(['jane.doe@example.com 4.2.2 mailboxfull']);
    expect(got.recipients[0].action).toBe('delayed');
  });

  it('an entry after the administrator\'s text is still one when X-Failed-Recipients names it', () => {
    const got = read('exim-entry-named-by-field.eml');
    expect(got.detector).toBe('exim');
    expect(got.lines).toEqual(['jane.doe@example.com 5.1.1 userunknown', 'omar.haddad@example.net 5.2.2 mailboxfull']);
  });

  it('the new address and the sender in a remote reply, the alias in "(generated from ...)": only the entries', () => {
    const got = read('exim-moved-in-reply.eml');
    expect(got.detector).toBe('exim');
    expect(got.lines).toEqual(['jane.doe@example.com 5.1.6 hasmoved', 'omar.haddad@example.net 5.7.1 rejected']);
    expect(got.recipients[1].originalRecipient).toBe('team@example.net');
  });
});

describe('Exchange 2007+: the administrator\'s text around the recipient list (New-SystemMessage)', () => {
  it('a help desk linked as "Name<mailto:a@b>" with its hours below is not a recipient', () => {
    const got = read('exchange2007-custom-help.eml');
    expect(got.detector).toBe('exchange2007');
    expect(got.lines).toEqual(['jane.doe@example.com 5.1.1 userunknown']);
  });

  it('a new address and the sender linked the same way are not recipients', () => {
    const got = read('exchange2007-sender-and-new.eml');
    expect(got.detector).toBe('exchange2007');
    expect(got.lines).toEqual(['jane.doe@example.com 5.1.1 userunknown']);
  });
});

describe('IMail: "<words>: address" lines that are no cause', () => {
  it('"For assistance please contact: a@b" and "The mail was sent by: a@b" are help and the sender', () => {
    const got = read('imail-help-line.eml');
    expect(got.detector).toBe('imailserver');
    expect(got.lines).toEqual(['jane.doe@example.com 5.1.1 userunknown']);
  });

  it('the returned message pasted after "Original message follows." is not read', () => {
    const got = read('imail-original-body.eml');
    expect(got.detector).toBe('imailserver');
    expect(got.lines).toEqual(['jane.doe@example.com 5.1.1 userunknown']);
  });
});

describe('fml: the list that refused the post, not its command or administrator address', () => {
  it('"to the address <list-ctl@>" in the guide paragraph and the notice\'s own <list-admin@> signature are not recorded', () => {
    const got = read('fml-guide-bracketed.eml');
    expect(got.detector).toBe('fml');
    expect(got.verdicts.map((v) => v.recipient)).toEqual(['neko-nyaan@lists.example.org']);
  });
});

describe('families whose layout already keeps the other roles out', () => {
  const cases: [string, string, string[]][] = [
    ['qmail-help-in-reply.eml', 'qmail', ['jane.doe@example.com 5.1.1 userunknown']],
    ['domino-help-because.eml', 'domino', ['jane.doe@example.com 5.1.1 userunknown']],
    ['opensmtpd-moved.eml', 'opensmtpd', ['jane.doe@example.com 5.1.6 hasmoved']],
    ['mailmarshal-help-reason.eml', 'mailmarshal', ['jane.doe@example.com 5.1.1 userunknown']],
    ['gmail-classic-help-in-reply.eml', 'gmail', ['jane.doe@example.com 5.1.6 hasmoved']],
    ['messagingserver-alias-and-sender.eml', 'messagingserver', ['jane.doe@example.com 5.1.1 userunknown']],
    ['apachejames-sender-details.eml', 'apachejames', ['jane.doe@example.org 5.0.0 onhold']],
    ['exchange2003-alias-and-help.eml', 'exchange2003', ['jane.doe@example.net 5.1.1 userunknown']],
    ['biglobe-help-info.eml', 'biglobe', ['jane.doe@mxr.example.ne.jp 5.2.0 filtered']],
    ['einsundeins-moved-in-reply.eml', 'einsundeins', ['jane.doe@example.fr 5.1.6 hasmoved']],
    ['dragonfly-moved-in-reply.eml', 'dragonfly', ['jane.doe@example.com 5.1.6 hasmoved']],
  ];
  for (const [file, detector, lines] of cases) {
    it(`${detector}: ${file}`, () => {
      const got = read(file);
      expect(got.detector).toBe(detector);
      expect(got.lines).toEqual(lines);
    });
  }
});

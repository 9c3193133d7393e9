// Recipients only from where failures are stated (issue #13, harm classes 1, 4, 7): every failed
// recipient of a report and no other address; reports that name none give none; challenge/
// response requests and delay warnings are never failures. Fixtures are built by
// fixtures/make-recipients.mjs (nodemailer's MIME builder); a few dev-part corpus messages are
// read in place.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { findAddressSpans, findTranscriptCommand, mailboxProblem, normalizeAddress, transcriptRefusedRcpts } from '../../src/parser/smtp-text.js';
import type { ParsedReport } from '../../src/report.js';
import { corpusDir, fixturesDir, haveCorpus } from '../helpers/env.js';
import { dsn } from '../helpers/ndr-builders.js';

const fixture = (path: string) => parseMessageSync(readFileSync(join(fixturesDir, path)));

/** `address action` per recipient (`address<alias action` when the alias differs). */
const summary = (r: ParsedReport) =>
  r.recipients.map((x) => `${x.finalRecipient}${x.originalRecipient && x.originalRecipient !== x.finalRecipient ? '<' + x.originalRecipient : ''} ${x.action}`);

interface Case {
  file: string;
  kind: ParsedReport['kind'];
  detector: string;
  recipients: string[];
  /** What the case shows. */
  why: string;
}

const CASES: Case[] = [
  // harm class 1: addresses that did not fail
  { file: 'fallback/help-text.eml', kind: 'bounce', detector: 'fallback', recipients: ['kijitora@example.jp failed'], why: 'contact, help desk and "write to" addresses are not recipients' },
  { file: 'fallback/signature.eml', kind: 'bounce', detector: 'qmail', recipients: ['mikeneko@example.org failed'], why: 'nothing after the "-- " signature separator' },
  { file: 'fallback/sender-named.eml', kind: 'bounce', detector: 'fallback', recipients: ['sabatora@example.com failed'], why: '"not accepting mail from x", "mail from <x>", "sent by x" name the sender' },
  { file: 'fallback/list-post.eml', kind: 'bounce', detector: 'fallback', recipients: ['member7@example.net failed'], why: "the list's posting, -request and -owner addresses are not members that failed" },
  { file: 'fallback/mangled.eml', kind: 'bounce', detector: 'fallback', recipients: ['mikeneko@example.org failed'], why: '"<@mx.example.org>" and a lost opening quote are not recorded' },
  { file: 'rfc3464/mangled-recipients.eml', kind: 'bounce', detector: 'rfc3464', recipients: ['kijitora@example.org failed'], why: 'an empty local part yields to Original-Recipient; a lost opening quote without one is dropped' },
  { file: 'challenge-response/ndr-allow-list-refusal.eml', kind: 'bounce', detector: 'fallback', recipients: ['kuroneko@example.com failed'], why: 'an NDR quoting an allow-list refusal stays a failure' },
  // harm class 4: every failed recipient
  { file: 'fallback/list-and-transcript.eml', kind: 'bounce', detector: 'fallback', recipients: ['kijitora@example.co.jp failed', 'mikeneko@example.co.jp failed', 'sabatora@example.co.jp failed'], why: "a list under a heading, each address's reason in the transcript below" },
  { file: 'fallback/address-list.eml', kind: 'bounce', detector: 'fallback', recipients: ['kijitora@example.co.jp failed', 'mikeneko@example.co.jp failed', 'sabatora@example.co.jp failed', 'kuroneko@example.ne.jp failed', 'shironeko@example.ne.jp failed', 'hachiware@example.ne.jp failed'], why: 'a bulleted list under a heading and a list on one line' },
  { file: 'fallback/transcript.eml', kind: 'bounce', detector: 'fallback', recipients: ['kijitora@example.com failed', 'mikeneko@example.com failed'], why: 'a refused RCPT TO and an accepted one before a failed DATA; not the MAIL FROM sender' },
  { file: 'rfc3464/several-records.eml', kind: 'bounce', detector: 'rfc3464', recipients: ['kijitora@example.jp<kiji@alias.example.jp failed', 'mikeneko@example.org failed', 'sabatora@example.com delayed'], why: 'one record per block, Original-Recipient kept as the alias' },
  { file: 'exim/several-failures.eml', kind: 'bounce', detector: 'exim', recipients: ['kijitora@example.jp failed', 'mikeneko@example.org failed'], why: "every address block of Exim's list" },
  { file: 'qmail/several-blocks.eml', kind: 'bounce', detector: 'qmail', recipients: ['kijitora@example.jp failed', 'mikeneko@example.org failed', 'sabatora@example.com failed'], why: 'every <address>: block' },
  { file: 'gmail/several-failed-recipients.eml', kind: 'bounce', detector: 'gmail', recipients: ['kijitora@example.com failed', 'mikeneko@example.com failed'], why: 'every address of X-Failed-Recipients' },
  { file: 'exchange2007/help-mailto.eml', kind: 'bounce', detector: 'exchange2007', recipients: ['kijitora@example.com failed', 'mikeneko@example.com failed'], why: "both recipients; the Service Desk's <mailto:> link is not one" },
  // reports that name no failed recipient
  { file: 'fallback/no-recipient-named.eml', kind: 'bounce', detector: 'fallback', recipients: [], why: "the returned message's To is not a statement that it failed" },
  // harm class 7: non-bounces taken as failures
  { file: 'challenge-response/confirm-human.eml', kind: 'auto_reply', detector: 'challenge-response', recipients: [], why: '"confirm that you are a human", "approved senders"' },
  { file: 'challenge-response/tmda.eml', kind: 'auto_reply', detector: 'challenge-response', recipients: [], why: "TMDA's confirmation address" },
  { file: 'challenge-response/allow-list.eml', kind: 'auto_reply', detector: 'challenge-response', recipients: [], why: '"add yourself to the allowed senders"' },
  { file: 'fallback/delay-warning.eml', kind: 'delay', detector: 'fallback', recipients: ['kijitora@example.jp delayed'], why: '"warning message only", "delivery attempts will continue to be made for 5 days"' },
  { file: 'sendmail/delay-warning.eml', kind: 'delay', detector: 'sendmail', recipients: ['kijitora@example.jp delayed'], why: "Sendmail's warning DSN (Action: delayed)" },
  { file: 'exim/delay-warning.eml', kind: 'delay', detector: 'exim', recipients: ['kijitora@example.jp delayed'], why: "Exim's delay warning" },
  { file: 'exchange2007/delayed.eml', kind: 'delay', detector: 'exchange2007', recipients: ['kijitora@example.net delayed'], why: '"Delivery is delayed to these recipients or groups"' },
];

describe('recipients only from where failures are stated (fixtures)', () => {
  for (const c of CASES) {
    it(`${c.file}: ${c.why}`, () => {
      const r = fixture(c.file);
      expect({ kind: r.kind, detector: r.detector, recipients: summary(r) }).toEqual({ kind: c.kind, detector: c.detector, recipients: c.recipients });
    });
  }

  it("each listed address takes its own transcript reply; a local program's output is not an unknown user", () => {
    const v = classify(fixture('fallback/list-and-transcript.eml')).map((x) => [x.recipient, x.status, x.reason, x.hardbounce]);
    expect(v).toEqual([
      ['kijitora@example.co.jp', '5.1.1', 'userunknown', true],
      ['mikeneko@example.co.jp', '5.2.2', 'mailboxfull', false],
      ['sabatora@example.co.jp', '5.7.1', 'norelaying', false],
    ]);
    const [local] = classify(fixture('fallback/local-program.eml'));
    expect(local).toMatchObject({ recipient: 'kijitora@mta.example.net', reason: 'mailererror', hardbounce: false });
  });
  it('a challenge says why it is one; a report that names nobody says so', () => {
    expect(fixture('challenge-response/tmda.eml').autoReply).toMatch(/^challenge-response \(From: /);
    expect(fixture('fallback/no-recipient-named.eml').warnings).toContain('no failed recipient named in the report');
    expect(fixture('rfc3464/mangled-recipients.eml').warnings).toEqual(
      expect.arrayContaining([
        'Final-Recipient "@mx.example.org" is no mailbox: Original-Recipient kijitora@example.org taken',
        'recipient block without a usable address: "john doe"@example.org"',
      ]),
    );
  });

  it('a list entry "Name (address)" under a failure heading is the address, as "Name <address>" is; the name is no address', () => {
    const notice = (entries: string[]) =>
      parseMessageSync(
        Buffer.from(
          [
            'From: Mail Administrator <postmaster@mail.example.net>', 'To: bounces@sender.example.org', 'Subject: Message status - undeliverable',
            'Date: Mon, 2 Mar 2026 10:00:00 +0000', 'Message-ID: <n1@mail.example.net>', '',
            'The message that you sent was undeliverable to the following:', ...entries, '',
            'Possible reason: the destination mailbox does not exist.', '',
            'Original message header:', 'From: News <news@sender.example.org>', 'To: Team <team@example.org>', 'Subject: Monthly letter', '',
          ].join('\r\n'),
        ),
      );
    expect(summary(notice(['        Kijitora Neko (kijitora@example.jp)', '        mikeneko (mikeneko@example.org)']))).toEqual(['kijitora@example.jp failed', 'mikeneko@example.org failed']);
    expect(summary(notice(['        Kijitora Neko <kijitora@example.jp>']))).toEqual(['kijitora@example.jp failed']);
    // a help line in the same place names no recipient
    expect(summary(notice(['        Kijitora Neko (kijitora@example.jp)', '        Help desk (helpdesk@mail.example.net)']))).toEqual(['kijitora@example.jp failed']);
  });
  it('a help line below the failure ("forward this message to", "if you believe this is an error") names no recipient', () => {
    const notice = (help: string) =>
      parseMessageSync(
        Buffer.from(
          [
            'From: MAILER-DAEMON@relay.example.net', 'To: bounces@sender.example.org', 'Subject: Returned mail: User unknown', 'Date: Mon, 2 Mar 2026 10:00:00 +0000', '',
            'Your message could not be delivered to the following recipient:', '', '    <kijitora@example.jp>: 550 User unknown', '', help, '',
            '--- Original message ---', 'From: news@sender.example.org', 'To: kijitora@example.jp', '', 'hi', '',
          ].join('\n'),
        ),
      );
    for (const help of [
      'If you believe this is an error, forward this message to helpdesk@relay.example.net',
      'Please forward it to postmaster@relay.example.net.',
      'If you think this should not have happened, write to noc@relay.example.net',
    ]) {
      expect(summary(notice(help)), help).toEqual(['kijitora@example.jp failed']);
    }
  });
  it('header lines of a pasted message name no recipient, whatever the field (Errors-To, Resent-To, List-Post, ...)', () => {
    const fields = ['Errors-To', 'Return-Receipt-To', 'Disposition-Notification-To', 'Resent-To', 'Resent-From', 'Apparently-To', 'Envelope-To', 'Mail-Followup-To', 'List-Post', 'List-Owner'];
    const raw = Buffer.from(
      [
        'From: MAILER-DAEMON@relay.example.net', 'To: bounces@sender.example.org', 'Subject: Returned mail: User unknown', 'Date: Mon, 2 Mar 2026 10:00:00 +0000', '',
        'Your message could not be delivered to the following recipient:', '', '    <kijitora@example.jp>: 550 User unknown', '',
        ...fields.map((f, i) => `${f}: <f${i}@sender.example.org>`), '',
      ].join('\n'),
    );
    expect(summary(parseMessageSync(raw))).toEqual(['kijitora@example.jp failed']);
  });
  it('a message identifier (shaped like an address) is never a failed recipient', () => {
    const notice = (lines: string[], extra: string[] = []) =>
      parseMessageSync(
        Buffer.from(
          [
            'From: MAILER-DAEMON@relay.example.net', 'To: bounces@sender.example.org', 'Subject: Undeliverable mail', 'Date: Mon, 2 Mar 2026 10:00:00 +0000', ...extra, '',
            ...lines, '',
          ].join('\n'),
        ),
      );
    // named as a message, or known from the report's own In-Reply-To
    expect(summary(notice(['Your message <20260302.abc123@sender.example.org> could not be delivered to kijitora@example.jp: 550 User unknown']))).toEqual(['kijitora@example.jp failed']);
    expect(summary(notice(['Delivery failed: 20260302.abc123@sender.example.org could not be delivered to kijitora@example.jp: 550 User unknown'], ['In-Reply-To: <20260302.abc123@sender.example.org>']))).toEqual(['kijitora@example.jp failed']);
    // an MDN's fields pasted as text (Sieve's reject): the Original-Message-ID line
    expect(summary(notice(['Your message was automatically rejected by Sieve.', '', 'Final-Recipient: rfc822; kijitora@example.jp', 'Original-Message-ID: <orig-1@sender.example.org>', 'Disposition: automatic-action/MDN-sent-automatically; deleted']))).not.toContain('orig-1@sender.example.org failed');
    // "Undeliverable message: <address>" still names the recipient
    expect(summary(notice(['Undeliverable message: kijitora@example.jp', 'Reason: 550 User unknown']))).toEqual(['kijitora@example.jp failed']);
  });
  it('words around an address that make it no failed recipient, in notices the text reader takes (plain, or quoted with "> ")', () => {
    const notice = (lines: string[], quote: boolean) =>
      parseMessageSync(
        Buffer.from(
          [
            'From: MAILER-DAEMON@relay.example.net', 'To: bounces@sender.example.org', 'Subject: Undeliverable mail', 'Date: Mon, 2 Mar 2026 10:00:00 +0000', '',
            ...['I am afraid I was not able to deliver your message to the following addresses.', '', '<kijitora@example.jp>:', ...lines].map((l) => (quote ? `> ${l}` : l)), '',
          ].join('\n'),
        ),
      );
    const cases: Array<[string, string[]]> = [
      // five words before '<' are no display name when they are a reply and help words
      ['help inside the reply', ['Remote host said: 550-5.1.1 mailbox closed.', '550 5.1.1 Please write to <new.desk@example.com> instead']],
      // the last line of a multi-line reply carries on the line above it (RFC 5321 §4.2.1)
      ['new address on the next line of the reply', ['551-5.1.6 User not local; please try', '551 5.1.6 <kijitora@newco.example.net>']],
      // a quoted-printable soft break left undecoded: the next line's first word is the rest of a word
      ['a word broken by a soft line break', ['550 5.1.1 User unknown <mailto:kijitor=', 'a@example.jp>']],
      ['a service desk named as help', ['The e-mail address you entered could not be found.', '', 'If you need help, the IT Service Desk is there for you:', 'IT Service Desk<mailto:servicedesk@corp.example.com>', 'Monday to Friday, 8:00 to 18:00']],
    ];
    for (const [why, lines] of cases) {
      for (const quote of [false, true]) {
        expect(summary(notice(lines, quote)), `${why}${quote ? ', quoted' : ''}`).toEqual(['kijitora@example.jp failed']);
      }
    }
  });
  it('a sentence wrapped onto the address\'s line gives it its role: the sender past a blank line, help with an error code after the address', () => {
    const notice = (lines: string[]) =>
      parseMessageSync(Buffer.from(['From: Mail Delivery System <Mailer-Daemon@relay.example.net>', 'To: bounces@sender.example.org', 'Subject: Undeliverable mail', 'Date: Mon, 2 Mar 2026 10:00:00 +0000', '', ...lines, ''].join('\n')));
    // Exim's "A message sent by" / "" / "  <sender>" (deliver.c), its prose wrapped shorter
    const sentBy = notice([
      'This message was created automatically by mail delivery', 'software.', '', 'A message sent by', '', '  <news@sender.example.org>', '',
      'could not be delivered to one or more of its recipients. The', 'following', 'address(es) failed:', '', '  kijitora@example.jp', '    mailbox is full: retry timeout exceeded',
    ]);
    expect(summary(sentBy)).toEqual(['kijitora@example.jp failed']);
    // a help sentence wrapped before its address; "(Fehler 550)" after the address is no statement of its own
    const help = notice(['Ihre Nachricht an kijitora@example.jp konnte nicht', 'zugestellt werden: 550 5.1.1 Benutzer unbekannt.', 'Bei Fragen wenden Sie sich bitte an', 'support@relay.example.net (Fehler 550).']);
    expect(summary(help)).toEqual(['kijitora@example.jp failed']);
    // an entry with its own failure below a help sentence stays a recipient
    const entry = notice(['Delivery failed. If the problem persists, please contact', 'kijitora@example.jp: 550 5.1.1 User unknown']);
    expect(summary(entry)).toEqual(['kijitora@example.jp failed']);
  });
  it('a transcript gives the command the failure answered', () => {
    const r = fixture('fallback/transcript.eml');
    expect(r.recipients.map((x) => [x.finalRecipient, x.command, x.status])).toEqual([
      ['kijitora@example.com', 'RCPT', '5.1.1'],
      ['mikeneko@example.com', 'DATA', '4.3.0'],
    ]);
  });
});

describe('a session transcript says which recipients were refused at RCPT', () => {
  it('reads indented (Courier) and plain (Sendmail) ">>> RCPT TO:<a>" lines answered by a 4xx/5xx, not accepted ones', () => {
    const text = [
      ' >>> RCPT TO:<Ann@Example.org> NOTIFY=FAILURE,DELAY',
      ' <<< 550 No such user (ann@example.org)',
      '>>> RCPT To:<bob@example.org>',
      '<<< 250 2.1.5 Ok',
      '>>> RCPT To:<cy@example.org>',
      '<<< 452 4.2.2 Over quota',
      '>>> RCPT TO:<dee@example.org>',
      '',
      '<<< 550 too late: not the next line',
    ].join('\n');
    expect([...transcriptRefusedRcpts(text)]).toEqual(['ann@example.org', 'cy@example.org']);
    expect(findTranscriptCommand(' >>> DATA\n <<< 554 5.7.1 rejected')).toBe('DATA');
  });

  // Courier's report templates (dsnheader.txt ...) are an operator's to change or translate;
  // its transcript is protocol. With the English template gone, the RFC 3464 reader must still
  // see that each unknown user was refused at RCPT (not after DATA, which would read filtered).
  it('a Courier report with a translated template: each refused RCPT is an unknown user', () => {
    const raw = readFileSync(join(fixturesDir, 'generated/courier/084-multi-7--failed.eml'), 'latin1')
      .replace('This is a delivery status notification from', 'Dies ist eine Zustellbenachrichtigung von')
      .replace('running the Courier mail server, version', 'Mailserver Courier, Version')
      .replace('Your message to the following recipients cannot be delivered:', 'Ihre Nachricht konnte nicht zugestellt werden an:');
    const r = parseMessageSync(Buffer.from(raw, 'latin1'));
    expect(r.detector).toBe('rfc3464');
    expect(r.recipients.map((x) => [x.finalRecipient, x.command])).toEqual([
      ['atanaka4088@mail.example.com', 'RCPT'],
      ['zoe8917@example.net', 'RCPT'],
    ]);
    expect(classify(r).map((v) => [v.reason, v.hardbounce])).toEqual([
      ['userunknown', true],
      ['userunknown', true],
    ]);
  });
});

describe('normalizeAddress: a clear repair of what surrounds an address', () => {
  it.each([
    ['rfc822; <kijitora@example.jp>.', 'kijitora@example.jp'],
    ['"Kijitora" <Kijitora@Example.JP>,', 'kijitora@example.jp'],
    ["'kijitora@example.jp';", 'kijitora@example.jp'],
    ['kijitora@example.jp (Kijitora Neko)', 'kijitora@example.jp'],
    ['[kijitora@example.jp]', 'kijitora@example.jp'],
    ['@relay.example.net:kijitora@example.jp', 'kijitora@example.jp'],
    // a quoted local part keeps both its quotes (RFC 5321 §4.1.2), lower-cased like the rest
    ['rfc822; "John Smith"@example.org', '"john smith"@example.org'],
    ['<"john smith"@example.org>:', '"john smith"@example.org'],
    ['rfc822; "a\\"b"@example.org', '"a\\"b"@example.org'],
    // ... unless it is a plain dot-string in quotes: the same mailbox as without them
    ['rfc822; "John.Smith"@example.org', 'john.smith@example.org'],
  ])('%s', (raw, address) => {
    expect(normalizeAddress(raw)).toBe(address);
    expect(mailboxProblem(address)).toBeNull();
  });
});

describe('a quoted local part in a DSN is a recipient like any other (RFC 5321 §4.1.2)', () => {
  it('Final-Recipient "john smith"@example.org gives its record, quotes kept', async () => {
    const raw = await dsn({
      text: 'Delivery failed.',
      recipients: [
        { final: '"John Smith"@example.org', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 <"John Smith"@example.org>: Recipient address rejected: User unknown' },
        { final: 'ava@example.org', status: '5.2.2', diagnostic: 'smtp; 552 5.2.2 Mailbox full' },
      ],
    });
    const verdicts = classify(parseMessageSync(raw)).map((v) => [v.recipient, v.reason]);
    expect(verdicts).toEqual([
      ['"john smith"@example.org', 'userunknown'],
      ['ava@example.org', 'mailboxfull'],
    ]);
  });
});

describe('a quoted local part in the text of a report (RFC 5321 §4.1.2)', () => {
  it('is one address token in prose; a dot-string one is written unquoted; a lost or glued quote is none', () => {
    const spans = (t: string) => findAddressSpans(t).map((s) => s.address);
    expect(spans('Delivery to "John Smith"@Example.org failed: 550 user unknown')).toEqual(['"john smith"@example.org']);
    expect(spans('delivery to "john.smith"@example.org.')).toEqual(['john.smith@example.org']);
    // the same rule as the canonical spelling (src/address.ts), non-ASCII atoms included
    expect(spans('delivery to "jürgen.weiß"@example.org')).toEqual(['jürgen.weiß@example.org']);
    expect(spans('to john smith"@example.org failed')).toEqual([]);
    expect(spans('x"y"@example.org and ""@example.org')).toEqual([]);
    expect(spans('an "escaped \\" quote"@example.org')).toEqual(['"escaped \\" quote"@example.org']);
  });

  // Real bounces of families whose failure block is not a DSN field (dma, Courier) and of the
  // others, with the recipient's local part changed to a quoted one with a space in it.
  const QUOTED = '"John Smith"';
  const FILES = ['dma/001-rfc-5.1.1-unknown--failed.eml', 'courier/001-rfc-5.1.1-unknown--failed.eml', 'exim/002-tonline-nouser--failed.eml', 'postfix/001-rfc-5.1.1-unknown--failed.eml', 'sendmail/001-rfc-5.1.1-unknown--failed.eml', 'haraka/001-rfc-5.1.1-unknown--failed.eml'];
  it.each(FILES)('%s names the quoted recipient, quotes kept', (file) => {
    const raw = readFileSync(join(fixturesDir, 'generated', file), 'latin1');
    const before = parseMessageSync(Buffer.from(raw, 'latin1')).recipients.map((r) => r.finalRecipient);
    expect(before).toHaveLength(1);
    const [local, domain] = before[0]!.split('@') as [string, string];
    const changed = raw.replace(new RegExp(local.replace(/[.+]/g, '\\$&') + '@', 'gi'), QUOTED + '@');
    const after = parseMessageSync(Buffer.from(changed, 'latin1')).recipients.map((r) => r.finalRecipient);
    expect(after).toEqual([`"john smith"@${domain}`]);
  });
});

describe('mailboxProblem: mangled addresses are refused, never recorded as they are', () => {
  it.each([
    ['kijitora@example.jp', null],
    ['"john doe"@example.org', null],
    ['kiji..tora.@docomo.ne.jp', null],
    ['user@[192.0.2.1]', null],
    ['j\u00fcrgen@b\u00fccher.example', null],
    ['@mx.example.org', 'empty local part'],
    ['john doe"@example.org', 'character " " in local part'],
    ['doe"@example.org', 'unbalanced quote in local part'],
    ['kijitora@localhost', 'domain without a dot'],
    ['kijitora@example..org', 'empty domain label'],
    ['kijitora@-example.org', 'domain label starting or ending with "-"'],
    ['kiji,tora@example.org', 'character "," in local part'],
    ['kijitora', 'no @'],
  ])('%s', (address, problem) => {
    expect(mailboxProblem(address)).toBe(problem);
  });
});

/** Dev part of the public corpus only (the validation part is never read by tests either). */
const isDev = (file: string) => createHash('sha256').update('bounced-validation-v1:' + file.split('/').pop()).digest()[0] >= 86;
const corpus = (file: string) => {
  expect(isDev(file)).toBe(true);
  return parseMessageSync(readFileSync(join(corpusDir, 'maildir', file)));
};

describe.skipIf(!haveCorpus)('recipient rules on dev-part corpus messages (read in place)', () => {
  it('a Sendmail list under "The following addresses had permanent fatal errors"', () => {
    expect(summary(corpus('bsd/lhost-activehunter-02.eml'))).toEqual(['kijitora@example.ed.jp failed']);
  });
  it('a Japanese list heading (mFilter: 以下のメールアドレスへの送信に失敗しました)', () => {
    expect(summary(corpus('bsd/lhost-mfilter-03.eml'))).toEqual(['kijitora@example.org failed']);
  });
  it('Lotus Notes: the address right below the failure sentence', () => {
    expect(summary(corpus('bsd/lhost-notes-03.eml'))).toEqual(['kijitora@example.com failed']);
  });
  it('V5 Sendmail: every "554 <address>..." line and the refused RCPT of a transcript', () => {
    expect(summary(corpus('bsd/lhost-v5sendmail-05.eml'))).toEqual([
      'kijitora@example.edu failed',
      'kuroneko@example.or.jp failed',
      'kijitora@example.org failed',
      'mikeneko@example.co.jp failed',
    ]);
  });
  it('Postfix smtpd notice: the recipient of a session whose DATA failed, with that reply', () => {
    const r = corpus('bsd/lhost-postfix-75.eml');
    expect(r.recipients.map((x) => [x.finalRecipient, x.command, x.diagnosticCode])).toEqual([['kijitora@libsisimai.net', 'DATA', '451 4.3.0 Error: queue file write error']]);
  });
  it('an MMS NDR that does not name the recipient gives none (the returned To was a guess)', () => {
    const r = corpus('bsd/lhost-verizon-01.eml');
    expect(r.kind).toBe('bounce');
    expect(r.recipients).toEqual([]);
  });
});

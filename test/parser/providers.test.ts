// Non-standard NDRs of mail providers and vendor MTAs (Exchange 5.5-2003, Exchange 2007+ / Office
// 365 without a status part, Gmail, Google Groups,
// Amazon SES notifications, BIGLOBE, 1&1, au EZweb): corpus messages read in place from
// ../shared/corpus/public (never copied here); every per-recipient field is asserted on one
// message per family, and the CRLF (dos) / CR-only (mac) copies must give the same result.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it } from 'vitest';
import { parseMessage, parseMessageSync } from '../../src/parser/index.js';
import { readMail } from '../../src/parser/mime.js';
import { detectAmazonSes } from '../../src/parser/detectors/amazonses.js';
import { detectBiglobe } from '../../src/parser/detectors/biglobe.js';
import { detectEinsUndEins } from '../../src/parser/detectors/einsundeins.js';
import { detectExchange2003 } from '../../src/parser/detectors/exchange2003.js';
import { detectExchange2007 } from '../../src/parser/detectors/exchange2007.js';
import { detectEzweb } from '../../src/parser/detectors/ezweb.js';
import { detectGmail } from '../../src/parser/detectors/gmail.js';
import { detectGoogleGroups } from '../../src/parser/detectors/googlegroups.js';
import type { RecipientReport } from '../../src/report.js';
import { newRecipient } from '../../src/parser/detectors/types.js';
import { corpusDir, haveCorpus } from '../helpers/env.js';

// The public corpus, read in place (never copied here); env.ts says when it is absent.
const mailDir = join(corpusDir, 'maildir') + '/';
const mail = (path: string) => readFileSync(mailDir + path);

/** A failed RecipientReport with the fields a test does not name left empty. */
const rcpt = (finalRecipient: string, fields: Partial<RecipientReport>): RecipientReport => newRecipient(finalRecipient, { action: 'failed', ...fields });

/** The LF file and its CRLF / CR-only copies parse to the same report. */
function sameAcrossLineEnds(name: string): void {
  const bsd = existsSync(mailDir + 'bsd/' + name) ? parseMessageSync(mail('bsd/' + name)) : null;
  const variants = ['dos', 'mac'].filter((d) => existsSync(`${mailDir}${d}/${name}`));
  expect(variants.length).toBeGreaterThan(0);
  const first = parseMessageSync(mail(`${variants[0]}/${name}`));
  for (const d of variants) {
    const r = parseMessageSync(mail(`${d}/${name}`));
    expect(r.detector).toBe(first.detector);
    expect(r.recipients).toEqual(first.recipients);
  }
  if (bsd) expect(first.recipients).toEqual(bsd.recipients);
}

describe.skipIf(!haveCorpus)('provider NDRs (shared corpus, read in place)', () => {
  it('exchange2003: "<address> on <date>" blocks, MTS-ID noise dropped, MSEXCH diagnostic kept', async () => {
    const r = await parseMessage(mail('bsd/lhost-exchange2003-02.eml'));
    expect(r.detector).toBe('exchange2003');
    expect(r.kind).toBe('bounce');
    const diag = 'The recipient name is not recognized MSEXCH:IMS:KIJITORA CAT:EXAMPLE:EXCHANGE 0 (000C05A6) Unknown Recipient';
    expect(r.recipients).toEqual([rcpt('kijitora@example.co.jp', { diagnosticCode: diag }), rcpt('mikeneko@example.co.jp', { diagnosticCode: diag })]);
    expect(r.original?.messageId).toBe('000000000000000.0000000@example.jp');
  });

  it('exchange2003: Internet Mail Connector shape ("The following recipient(s) could not be reached")', async () => {
    const r = await parseMessage(mail('bsd/lhost-exchange2003-04.eml'));
    expect(r.detector).toBe('exchange2003');
    expect(r.recipients).toEqual([rcpt('kijitora@example.com', { diagnosticCode: 'Recipient Not Found MSEXCH:IMC:NEKO:KIJITORA:CAT' })]);
  });

  it('exchange2003: dos/mac copies', () => sameAcrossLineEnds('lhost-exchange2003-01.eml'));

  it('exchange2007: a corpus NDR whose delivery-status part was lost reads the administrators\' section', async () => {
    // the message as a gateway that dropped the status part would pass it on (changed in memory)
    const raw = mail('bsd/lhost-exchange2007-06.eml').toString('latin1').replace(/Content-Type:\s*message\/delivery-status/i, 'Content-Type: application/octet-stream');
    const r = await parseMessage(Buffer.from(raw, 'latin1'));
    expect(r.detector).toBe('exchange2007');
    expect(r.recipients).toEqual([
      rcpt('transports@agglo-saumur.fr', { status: '5.1.1', replyCode: 550, diagnosticCode: '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found' }),
    ]);
    // with its status part, the generic detector reads it
    expect((await parseMessage(mail('bsd/lhost-exchange2007-06.eml'))).detector).toBe('rfc3464');
  });

  it('gmail (classic): the other server\'s reply, its host, and no Gmail preamble', async () => {
    const r = await parseMessage(mail('bsd/lhost-gmail-16.eml'));
    expect(r.detector).toBe('gmail');
    expect(r.kind).toBe('bounce');
    expect(r.recipients).toEqual([
      rcpt('mailboxfull@bouncehammer.jp', {
        status: '5.2.2',
        replyCode: 550,
        diagnosticCode: '550 5.2.2 <mailboxfull@bouncehammer.jp>... Mailbox Full',
        remoteMta: 'mx.bouncehammer.jp',
      }),
    ]);
  });

  it('gmail (classic): "(state 14)" names the command; a warning is a delay', async () => {
    const r = await parseMessage(mail('bsd/lhost-gmail-06.eml'));
    expect(r.kind).toBe('delay');
    expect(r.recipients[0]).toMatchObject({ finalRecipient: 'kijitora@example.jp', action: 'delayed', status: '4.2.2', replyCode: 450, command: 'RCPT' });
    const noReply = await parseMessage(mail('bsd/lhost-gmail-17.eml'));
    expect(noReply.recipients[0].diagnosticCode).toMatch(/^The recipient server did not accept our requests to connect\./);
  });

  it('gmail (current) with an empty delivery-status part: X-Failed-Recipients, "The response was:" and Google\'s explanation', async () => {
    const r = await parseMessage(mail('bsd/lhost-googleworkspace-01.eml'));
    expect(r.detector).toBe('gmail');
    expect(r.recipients).toEqual([
      rcpt('neko-nyaan-cat-meeting@google-groups.example.com', {
        diagnosticCode:
          "Unspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability You're sending this from a different address or alias using the 'Send mail as' feature. The settings for your 'Send mail as' account are misconfigured or out of date. Check those settings and try resending.",
      }),
    ]);
  });

  it('gmail (current) with a delivery-status part: its fields, Google\'s explanation, "address couldn\'t be found" is RCPT', async () => {
    const r = await parseMessage(mail('bsd/rfc3464-58.eml'));
    expect(r.detector).toBe('gmail');
    expect(r.reportingMta).toBe('googlemail.com');
    expect(r.recipients).toHaveLength(1);
    expect(r.recipients[0]).toMatchObject({
      finalRecipient: 'otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp',
      status: '5.0.0',
      replyCode: 550,
      command: 'RCPT',
      diagnosticCode:
        "550 <otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp>: User unknown Your message wasn't delivered to otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp because the address couldn't be found, or is unable to receive mail.",
    });
    // "the domain ... couldn't be found" is not a refused address: no command is invented
    const domain = await parseMessage(mail('bsd/rfc3464-53.eml'));
    expect(domain.detector).toBe('gmail');
    expect(domain.recipients[0].command).toBeNull();
  });

  it('gmail: dos/mac copies', () => sameAcrossLineEnds('lhost-googleworkspace-01.eml'));

  it('googlegroups: the group from X-Failed-Recipients, the notice as an x-google-groups diagnostic', async () => {
    const r = await parseMessage(mail('bsd/lhost-googlegroups-14.eml'));
    expect(r.detector).toBe('googlegroups');
    expect(r.recipients).toHaveLength(1);
    expect(r.recipients[0]).toEqual(
      rcpt('libsisimai@googlegroups.com', {
        diagnosticType: 'x-google-groups',
        diagnosticCode:
          "We're writing to let you know that the group you tried to contact (libsisimai) may not exist, or you may not have permission to post messages to the group. A few more details on why you weren't able to post: * You might have spelled or formatted the group name incorrectly. * The owner of the group may have removed this group. * You may need to join the group before receiving permission to post. * This group may not be open to posting.",
      }),
    );
  });

  it('googlegroups: a localized notice (Arabic) does not yield the greeting\'s address', async () => {
    const r = await parseMessage(mail('bsd/lhost-googlegroups-03.eml'));
    expect(r.recipients.map((x) => x.finalRecipient)).toEqual(['libsisimai@googlegroups.com']);
    expect(r.recipients[0].diagnosticCode).toContain('(libsisimai)');
  });

  it('googlegroups: dos/mac copies', () => sameAcrossLineEnds('lhost-googlegroups-01.eml'));

  it('amazonses: SNS envelope around a Bounce event, with the "!\\n " line-break damage', async () => {
    const r = await parseMessage(mail('bsd/lhost-amazonses-10.eml'));
    expect(r.detector).toBe('amazonses');
    expect(r.kind).toBe('bounce');
    expect(r.reportingMta).toBe('a27-33.smtp-out.us-west-2.amazonses.com');
    expect(r.recipients).toEqual([
      rcpt('bounce@simulator.amazonses.com', { status: '5.1.1', replyCode: 550, diagnosticType: 'smtp', diagnosticCode: '550 5.1.1 user unknown' }),
    ]);
  });

  it('amazonses: Complaint and Delivery events', async () => {
    const c = await parseMessage(mail('bsd/lhost-amazonses-11.eml'));
    expect(c.kind).toBe('complaint');
    expect(c.feedback?.feedbackType).toBe('abuse');
    expect(c.recipients.map((x) => x.finalRecipient)).toEqual(['complaint@simulator.amazonses.com']);
    const d = await parseMessage(mail('bsd/lhost-amazonses-12.eml'));
    expect(d.kind).toBe('delivered');
    expect(d.recipients).toEqual([
      rcpt('success@simulator.amazonses.com', { action: 'delivered', status: '2.6.0', replyCode: 250, diagnosticType: 'smtp', diagnosticCode: '250 2.6.0 Message received' }),
    ]);
  });

  it('biglobe: address list + "Non-delivered information"', async () => {
    const r = await parseMessage(mail('bsd/lhost-biglobe-01.eml'));
    expect(r.detector).toBe('biglobe');
    expect(r.recipients).toEqual([
      rcpt('postmaster@mxr.biglobe.ne.jp', { diagnosticCode: "The number of messages in recipient's mailbox exceeded the local limit." }),
    ]);
  });

  it('biglobe: dos/mac copies', () => sameAcrossLineEnds('lhost-biglobe-01.eml'));

  it('einsundeins: "for TEXT command" is DATA; the reply after "reason:"', async () => {
    const r = await parseMessage(mail('bsd/lhost-einsundeins-03.eml'));
    expect(r.detector).toBe('einsundeins');
    expect(r.recipients).toEqual([
      rcpt('xxxx@xxxx.fr', {
        status: '5.2.0',
        replyCode: 550,
        diagnosticType: 'smtp',
        diagnosticCode: '550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]',
        remoteMta: 'smtp-in.orange.fr',
        command: 'DATA',
      }),
    ]);
  });

  it('einsundeins: "For the following reason:" shape, dos/mac copies', async () => {
    const r = await parseMessage(mail('dos/lhost-einsundeins-01.eml'));
    expect(r.recipients).toEqual([
      rcpt('general@example.eu', { diagnosticCode: 'Mail size limit exceeded. For explanation visit http://postmaster.1and1.com/en/error-messages?ip=%1s' }),
    ]);
    sameAcrossLineEnds('lhost-einsundeins-01.eml');
  });

  it('ezweb: ">>> RCPT TO" gives the command, "<<<" the reply, after EZweb\'s statement', async () => {
    const r = await parseMessage(mail('bsd/lhost-ezweb-04.eml'));
    expect(r.detector).toBe('ezweb');
    expect(r.recipients).toEqual([
      rcpt('this-local-part-does-not-exist-on-the-server@ezweb.ne.jp', {
        replyCode: 550,
        diagnosticCode:
          'Each of the following recipients was rejected by a remote mail server. 550 <this-local-part-does-not-exist-on-the-server@ezweb.ne.jp>: User unknown',
        command: 'RCPT',
      }),
    ]);
  });

  it('ezweb: a delivery-status part without Diagnostic-Code takes the text', async () => {
    const r = await parseMessage(mail('bsd/lhost-ezweb-02.eml'));
    expect(r.recipients).toHaveLength(1);
    expect(r.recipients[0]).toMatchObject({
      status: '5.0.0',
      diagnosticCode: 'The user(s) account is disabled. 550 user unknown (in reply to RCPT TO command)',
      command: 'RCPT',
    });
  });

  it('ezweb: X-SPASIGN: NG types the diagnostic; dos/mac copies', async () => {
    const r = await parseMessage(mail('bsd/lhost-ezweb-01.eml'));
    expect(r.recipients[0]).toMatchObject({ finalRecipient: 'this-message-rejected-by-the-domain-filter@ezweb.ne.jp', diagnosticType: 'x-spasign' });
    sameAcrossLineEnds('lhost-ezweb-01.eml');
  });

  it('each detector leaves other families alone', () => {
    const postfix = readMail(mail('bsd/lhost-postfix-02.eml'));
    for (const d of [detectAmazonSes, detectBiglobe, detectEinsUndEins, detectExchange2003, detectExchange2007, detectEzweb, detectGmail, detectGoogleGroups]) {
      expect(d(postfix)).toBeNull();
    }
  });
});

describe('exchange2007 text-only NDRs (synthetic, built with MailComposer)', () => {
  const build = (subject: string, text: string) =>
    new MailComposer({ from: 'postmaster@example.org', to: 'sender@example.com', subject, text }).compile().build();

  it('Office 365: newest attempt first, "#...##" and quotes removed, one record per address', async () => {
    const raw = await build(
      'Undeliverable: hello',
      [
        'Delivery has failed to these recipients or groups:',
        '',
        'Kijitora<mailto:kijitora@example.jp>',
        "The recipient's mailbox is full and can't accept messages now.",
        '',
        'neko@example.net (neko@example.net)<mailto:neko@example.net>',
        "Your message couldn't be delivered.",
        '',
        'Diagnostic information for administrators:',
        '',
        'Generating server: MX1.example.org',
        '',
        'kijitora@example.jp',
        '#552 5.2.2 STOREDRV.Deliver; mailbox full ##',
        '',
        'neko@example.net',
        "1/2/2024 1:00:00 AM - Server at mx.example.net (192.0.2.1) returned '550 5.4.316 Message expired, connection refused'",
        "1/1/2024 1:00:00 AM - Server at mx.example.net (192.0.2.1) returned '451 4.4.0 Connection refused'",
        '',
        'Original message headers:',
        '',
        'Received: from a.example.com by b.example.org; Mon, 1 Jan 2024 00:00:00 +0000',
        'List-Unsubscribe: <mailto:unsub@example.com>',
      ].join('\n'),
    );
    const r = parseMessageSync(raw);
    expect(r.detector).toBe('exchange2007');
    expect(r.reportingMta).toBe('mx1.example.org');
    expect(r.recipients).toEqual([
      rcpt('kijitora@example.jp', { status: '5.2.2', replyCode: 552, diagnosticCode: '552 5.2.2 STOREDRV.Deliver; mailbox full' }),
      rcpt('neko@example.net', { status: '5.4.316', replyCode: 550, diagnosticCode: '550 5.4.316 Message expired, connection refused' }),
    ]);
  });

  it('an auto-reply with a <mailto:> signature is not an NDR', async () => {
    const raw = await build('Automatic reply: hello', 'I am away.\n\nSupport desk\nhelp@example.org<mailto:help@example.org>\nHours: 9-5\n');
    expect(detectExchange2007(readMail(raw))).toBeNull();
  });
});

describe('provider detectors on hostile input', () => {
  it('never throw and stay fast on long, repetitive text', () => {
    const junk = [
      'From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
      'To: x@example.com',
      'Subject: Delivery Status Notification (Failure)',
      'X-Failed-Recipients: a@example.com',
      'X-MS-Embedded-Report: ',
      'From: postmaster@biglobe.ne.jp',
      'x-amz-sns-message-id: 1',
      '',
      'Your message',
      'did not reach the following recipient(s):',
      'a'.repeat(50_000) + '@' + 'b'.repeat(50_000) + ' on',
      ' SMTP='.repeat(20_000),
      'Delivery to the following recipient failed permanently:',
      '{'.repeat(10_000) + '"notificationType":"Bounce"' + '}'.repeat(10_000),
      '** ' + '*'.repeat(10_000),
      '<' + 'x'.repeat(30_000) + '@' + 'y.'.repeat(30_000),
      'This message was created automatically by mail delivery software',
      'The following address(es) failed:',
      ('z@z.z:' + ' '.repeat(100)).repeat(2_000),
      'Generating server: x',
      ('n@example.net\n\n#550 5.1.1 x ##\nk<mailto:k@example.net>\n').repeat(5_000),
      ('Recipient Address: r@example.net\n').repeat(5_000),
    ].join('\n');
    const view = readMail(Buffer.from(junk));
    // CPU time of this process, not the wall clock: a loaded machine's preemption is not a hang
    const t0 = process.cpuUsage();
    for (const d of [detectAmazonSes, detectBiglobe, detectEinsUndEins, detectExchange2003, detectExchange2007, detectEzweb, detectGmail, detectGoogleGroups]) {
      expect(() => d(view)).not.toThrow();
    }
    const used = process.cpuUsage(t0);
    expect((used.user + used.system) / 1000).toBeLessThan(1_000);
  });
});

// Non-standard NDRs of Unix MTAs and list managers (Exim, qmail, Sendmail's transcript quirks,
// DragonFly Mail Agent, Lotus Domino, fml, Apache James): corpus messages read in place from
// ../shared/corpus/public (never copied here); every per-recipient field is asserted on one
// message per family, and the CRLF (dos) / CR-only (mac) copies must give the same result.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMessage, parseMessageSync } from '../../src/parser/index.js';
import { readMail } from '../../src/parser/mime.js';
import { detectApacheJames } from '../../src/parser/detectors/apachejames.js';
import { detectDomino } from '../../src/parser/detectors/domino.js';
import { detectDragonfly } from '../../src/parser/detectors/dragonfly.js';
import { detectExim } from '../../src/parser/detectors/exim.js';
import { detectFml } from '../../src/parser/detectors/fml.js';
import { detectQmail } from '../../src/parser/detectors/qmail.js';
import { detectSendmail } from '../../src/parser/detectors/sendmail.js';
import type { RecipientReport } from '../../src/report.js';
import { newRecipient } from '../../src/parser/detectors/types.js';
import { corpusDir, haveCorpus } from '../helpers/env.js';

// The public corpus, read in place (never copied here); env.ts says when it is absent.
const mailDir = join(corpusDir, 'maildir') + '/';
const mail = (path: string) => readFileSync(mailDir + path);

/** A failed RecipientReport with the fields a test does not name left empty. */
const rcpt = (finalRecipient: string, fields: Partial<RecipientReport>): RecipientReport => newRecipient(finalRecipient, { action: 'failed', ...fields });

describe.skipIf(!haveCorpus)('Unix MTA NDRs (shared corpus, read in place)', () => {
  it('opensmtpd (before 5.x: no delivery-status part): one record per "address: error" line', async () => {
    const r = await parseMessage(mail('bsd/lhost-opensmtpd-02.eml'));
    expect(r).toMatchObject({ detector: 'opensmtpd', kind: 'bounce' });
    expect(r.recipients).toEqual([
      rcpt('mailboxfull@example.jp', { status: '5.2.2', replyCode: 550, diagnosticCode: '550 5.2.2 <mailboxfull@example.jp>... Mailbox Full' }),
      rcpt('userunknown@example.jp', { status: '5.1.1', replyCode: 550, diagnosticCode: '550 5.1.1 <userunknown@example.jp>... User Unknown' }),
    ]);
  });

  it('exim: one block per address, lead-in split into command + remote MTA', async () => {
    const r = await parseMessage(mail('bsd/lhost-exim-02.eml'));
    expect(r.detector).toBe('exim');
    expect(r.kind).toBe('bounce');
    expect(r.recipients).toEqual([
      rcpt('kijitora@example.jp', {
        status: '5.1.1',
        replyCode: 550,
        diagnosticCode: '550 5.1.1 <kijitora@example.jp>... User Unknown',
        remoteMta: 'mx.example.jp',
        command: 'RCPT',
      }),
      rcpt('sabatora@example.jp', {
        status: '5.2.1',
        replyCode: 550,
        diagnosticCode: '550 5.2.1 <sabatora@example.jp>... User Unknown',
        remoteMta: 'mx.example.jp',
        command: 'RCPT',
      }),
    ]);
  });

  it('exim: a bare local part is completed from X-Failed-Recipients', async () => {
    const r = await parseMessage(mail('bsd/lhost-exim-04.eml'));
    expect(r.recipients).toEqual([
      rcpt('kijitora@example.ed.jp', {
        status: '5.7.0',
        replyCode: 550,
        diagnosticCode: '550 5.7.0 <shironeko@example.jp>... Please use the smtp server of your ISP.',
        remoteMta: 'mx.example.jp',
        command: 'MAIL',
      }),
    ]);
  });

  it('exim: "(ultimately generated from ...)" is the original recipient, not a second one', async () => {
    const r = await parseMessage(mail('bsd/lhost-exim-08.eml'));
    expect(r.recipients).toEqual([
      rcpt('kijitora@example.org', {
        originalRecipient: 'nekochan@example.org',
        diagnosticCode: 'all hosts have been failing for a long time and were last tried after this message arrived',
      }),
    ]);
  });

  it('exim: the DSN part gives Remote-MTA; its generic Status yields to the reply code', async () => {
    const r = await parseMessage(mail('bsd/lhost-exim-43.eml'));
    expect(r.recipients).toEqual([
      rcpt('kijitora@example.net', {
        status: '5.7.1',
        replyCode: 550,
        diagnosticType: 'smtp',
        diagnosticCode: '550 5.7.1 Connections not accepted from servers without a valid sender domain. Fix reverse DNS for 203.0.113.2',
        remoteMta: 'mail-mx1.example.net',
        command: 'MAIL',
      }),
    ]);
  });

  it('exim: a delay warning ("Delay reason:") is a delay, not a bounce', async () => {
    const r = await parseMessage(mail('bsd/lhost-exim-38.eml'));
    expect(r.kind).toBe('delay');
    expect(r.recipients[0]).toMatchObject({ action: 'delayed', replyCode: 450, command: 'MAIL', remoteMta: 'mta-nyaan.example.co.jp' });
    expect(r.recipients[0].diagnosticCode).toMatch(/^450 service permits 2 unverifyable sending IPs/);
  });

  it('exim: "addr <other>: malformed address" names the bracketed address', async () => {
    const r = await parseMessage(mail('bsd/lhost-exim-52.eml'));
    expect(r.recipients.map((x) => x.finalRecipient)).toEqual(['neko@example.net']);
    expect(r.recipients[0].diagnosticCode).toBe('malformed address: <neko@example.net> may not follow kijitora@example.com');
  });

  it('qmail: indimail blocks, envelope echo dropped, "does not like recipient" is RCPT', async () => {
    const r = await parseMessage(mail('bsd/lhost-qmail-25.eml'));
    expect(r.detector).toBe('qmail');
    expect(r.recipients).toEqual([
      rcpt('mailboxfull@libsisimai.net', {
        status: '5.2.2',
        replyCode: 552,
        diagnosticCode:
          '192.0.2.25 does not like recipient. Remote host said: 552 5.2.2 <mailboxfull@libsisimai.net>: Recipient address rejected: Mailbox full. See https://libsisimai.org/en/reason/#mailboxfull',
        command: 'RCPT',
      }),
      rcpt('userunknown@libsisimai.net', {
        status: '5.1.1',
        replyCode: 550,
        diagnosticCode:
          '192.0.2.25 does not like recipient. Remote host said: 550 5.1.1 <userunknown@libsisimai.net>: Recipient address rejected: User unknown. See https://libsisimai.org/en/reason/#userunknown',
        command: 'RCPT',
      }),
    ]);
  });

  it('qmail: the failed address may be the bounce\'s own To (a message sent to oneself)', async () => {
    const r = await parseMessage(mail('bsd/lhost-qmail-08.eml'));
    expect(r.recipients).toEqual([
      rcpt('shironeko@example.ad.jp', {
        replyCode: 552,
        diagnosticCode: '192.0.2.1 does not like recipient. Remote host said: 552 Error: disk quota exceeded',
        command: 'RCPT',
      }),
    ]);
  });

  it('qmail: "my name was rejected" is HELO; the queue-too-long line is not the reason', async () => {
    const r = await parseMessage(mail('bsd/lhost-qmail-04.eml'));
    expect(r.recipients[0]).toMatchObject({
      status: '5.0.0',
      replyCode: 501,
      command: 'HELO',
      diagnosticCode: 'Connected to 192.0.2.112 but my name was rejected. Remote host said: 501 5.0.0 Invalid domain name',
    });
  });

  it('sendmail: an X-Unix exit status is replaced by the transcript summary and its code', async () => {
    const r = await parseMessage(mail('bsd/lhost-sendmail-18.eml'));
    expect(r.detector).toBe('sendmail');
    expect(r.recipients).toEqual([
      rcpt('kijitora@example.jp', {
        status: '5.3.0',
        replyCode: 554,
        diagnosticType: 'x-unix',
        diagnosticCode: '554 5.3.0 unknown mailer error 255',
        lastAttemptDate: 'Thu, 29 Apr 2009 23:34:45 +0900',
      }),
    ]);
  });

  it('sendmail: no Diagnostic-Code: the "<addr>... Deferred:" transcript line is the reason', async () => {
    const r = await parseMessage(mail('bsd/lhost-sendmail-11.eml'));
    expect(r.recipients[0]).toMatchObject({
      finalRecipient: 'kijitora@example.co.jp',
      status: '4.4.7',
      diagnosticCode: 'Deferred: Name server: example.co.jp.: host name lookup failure',
    });
  });

  it('dragonfly: "did not like our RCPT TO:" gives the command and the remote MTA', async () => {
    const r = await parseMessage(mail('bsd/lhost-dragonfly-05.eml'));
    expect(r.detector).toBe('dragonfly');
    expect(r.recipients).toEqual([
      rcpt('authfailure@libsisimai.net', {
        status: '5.7.26',
        replyCode: 550,
        diagnosticCode: '550 5.7.26 <authfailure@libsisimai.net>: Recipient address rejected: Multiple authentication checks failed',
        remoteMta: 'mail-inbound.libsisimai.net',
        command: 'RCPT',
      }),
    ]);
    const own = await parseMessage(mail('bsd/lhost-dragonfly-04.eml'));
    expect(own.recipients[0].diagnosticCode).toBe('DNS lookup failure: host cx.libsisimai.org not found');
  });

  it('domino: the address from the text, Status / Remote-MTA / X-Notes text from the DSN', async () => {
    const r = await parseMessage(mail('bsd/lhost-domino-03.eml'));
    expect(r.detector).toBe('domino');
    expect(r.recipients).toEqual([
      rcpt('kijitora@neko.example.com', {
        status: '5.0.0',
        diagnosticType: 'x-notes',
        diagnosticCode: 'Error transferring to neko22.example.org; Maximum hop count exceeded. Message probably in a routing loop.',
        remoteMta: 'neko22.example.org',
      }),
    ]);
    const plain = await parseMessage(mail('bsd/lhost-domino-01.eml'));
    expect(plain.recipients).toEqual([
      rcpt('kijitora@example.jp', { diagnosticCode: 'User some.name (kijitora@example.jp) not listed in Domino Directory' }),
    ]);
  });

  it('fml: the refusing list is the recipient, the notice the diagnostic', async () => {
    const r = await parseMessage(mail('bsd/lhost-fml-02.eml'));
    expect(r.detector).toBe('fml');
    expect(r.recipients).toEqual([
      rcpt('neko-nyaan@example.org', { diagnosticCode: 'You are not a member of this mailing list <neko-nyaan@example.org>.' }),
    ]);
  });

  it('apachejames: RCPT TO of "Message details", the reply of "Error message below"', async () => {
    const r = await parseMessage(mail('bsd/lhost-apachejames-01.eml'));
    expect(r.detector).toBe('apachejames');
    expect(r.recipients).toEqual([
      rcpt('000000000000@vtext.example.com', { replyCode: 550, diagnosticCode: '550 - Requested action not taken: no such user here' }),
    ]);
  });

  it.each(['lhost-exim-01.eml', 'lhost-qmail-01.eml', 'lhost-dragonfly-01.eml', 'lhost-domino-01.eml', 'lhost-apachejames-01.eml'])(
    '%s: LF, CRLF and CR-only copies parse the same',
    (name) => {
      const bsd = parseMessageSync(mail('bsd/' + name));
      expect(bsd.recipients.length).toBeGreaterThan(0);
      for (const variant of ['dos/', 'mac/']) {
        const other = parseMessageSync(mail(variant + name));
        expect(other.detector).toBe(bsd.detector);
        expect(other.recipients).toEqual(bsd.recipients);
      }
    },
  );
});

describe('Unix MTA detectors on hostile input', () => {
  const detectors = { detectExim, detectQmail, detectSendmail, detectDragonfly, detectDomino, detectFml, detectApacheJames };
  // each starts with the lines that pass a detector's gate, then a long run built to make a
  // backtracking regex blow up (no spaces, repeated separators, unclosed brackets)
  const bodies = [
    'This message was created automatically by mail delivery software.\n\nThe following address(es) failed:\n\n  ' + 'a@'.repeat(50_000) + '\n    ' + 'SMTP error from remote mail server after ' + ':'.repeat(50_000),
    "Hi. This is the qmail-send program at x.\n\n<a@b.c>:\n" + '<'.repeat(50_000) + '\n' + 'Remote host said: ' + '5.'.repeat(50_000),
    'This is the DragonFly Mail Agent v0.13 at x.\n\nThere was an error delivering your mail to <a@b.c>.\n\n' + 'x [1] did not like our ' + 'A'.repeat(100_000),
    'Your message\n\nwas not delivered to:\n\n  ' + 'a@b.'.repeat(30_000) + '\n\nbecause:\n\n  ' + '(x: '.repeat(30_000),
    'Error message below:\n' + '550 '.repeat(30_000) + '\n\nMessage details:\n  RCPT TO: ' + 'a@b.c, '.repeat(20_000),
  ];
  const headers =
    'From: Mail Delivery System <Mailer-Daemon@x.test>\nSubject: Mail delivery failed: returning message to sender\nX-Failed-Recipients: a@b.c\nX-MLServer: fml\nMessage-ID: <1P1ceB-000FL1-4q@x.test>\n';

  it.each(bodies.map((b, i) => [i, b] as const))('body %i: every detector returns in linear time, never throws', (_i, body) => {
    const view = readMail(Buffer.from(headers + '\n' + body));
    for (const [name, detect] of Object.entries(detectors)) {
      // CPU time of this process, not the wall clock: a loaded machine's preemption is not a hang
      const t0 = process.cpuUsage();
      expect(() => detect(view), name).not.toThrow();
      const used = process.cpuUsage(t0);
      expect((used.user + used.system) / 1000, name).toBeLessThan(500);
    }
  });
});

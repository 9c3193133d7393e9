// A bounce forwarded as an attachment (someone's mail client: "Fwd: ...", the notice as a
// message/rfc822 part): the report inside is read, the forwarder's own addresses are no
// recipients (issue #13, round 15). A plain-text notice is known by its sender or its subject,
// as the fallback reader knows them; a forwarded message that is no notice gives no record.
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';

const compose = (o: ConstructorParameters<typeof MailComposer>[0]) => new MailComposer(o).compile().build();

/** A plain notice as a server writes it, no DSN part. */
const notice = (from: string, subject: string) =>
  compose({
    from,
    to: 'news@sender.example.org',
    subject,
    text: [
      'Your message could not be delivered to the following recipient:',
      '',
      '  kijitora@example.jp',
      '',
      'Reason: 550 5.1.1 <kijitora@example.jp>: Recipient address rejected: User unknown in virtual mailbox table',
      '',
      'Please contact helpdesk@mx.example.jp for help.',
    ].join('\n'),
  });

/** The forward: a person's note and the notice attached. */
const forward = async (inner: Buffer) =>
  compose({
    from: 'Alice Example <alice@corp-fwd.example>',
    to: 'bounces@sender.example.org',
    cc: 'bob@corp-fwd.example',
    subject: 'Fwd: see below',
    text: 'FYI, this came back. Reach me at alice@corp-fwd.example.',
    attachments: [{ content: inner, contentType: 'message/rfc822', filename: 'forwarded.eml' }],
  });

const records = (raw: Buffer) => classify(parseMessageSync(raw)).filter((v) => v.recipient).map((v) => [v.recipient, v.reason, v.hardbounce]);

describe('a forwarded bounce', () => {
  it('a notice from a mail server by its subject alone (its sender is no mailer-daemon)', async () => {
    const inner = await notice('Mail System <system@mx.example.jp>', 'Undeliverable: Meeting notes');
    expect(records(inner)).toEqual([['kijitora@example.jp', 'userunknown', true]]);
    const fwd = parseMessageSync(await forward(inner));
    expect(fwd.warnings).toContain('report taken from the enclosed message/rfc822');
    expect(records(await forward(inner))).toEqual([['kijitora@example.jp', 'userunknown', true]]);
  });
  it('a notice by its sender alone', async () => {
    const inner = await notice('MAILER-DAEMON@mx.example.jp', 'Meeting notes');
    expect(records(await forward(inner))).toEqual([['kijitora@example.jp', 'userunknown', true]]);
  });
  it('a forwarded message that is no notice gives no record, nor the forwarder', async () => {
    const inner = await compose({ from: 'Carol <carol@example.jp>', to: 'alice@corp-fwd.example', subject: 'Lunch', text: 'Could not make it, user unknown to me: kijitora@example.jp' });
    expect(records(await forward(inner))).toEqual([]);
  });
});

describe('a bounce forwarded as a part without a type of its own (its header block as the part\'s)', () => {
  // The MIME layer takes such a part for a pasted message (its fields the original's, its body
  // no report text); a notice pasted that way is read from it as an attached one is.
  const pasted = (inner: Buffer) =>
    Buffer.from(
      [
        'From: Alice Example <alice@corp-fwd.example>',
        'To: bounces@sender.example.org',
        'Subject: FW: this came back',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="fw"',
        '',
        '--fw',
        'Content-Type: text/plain',
        '',
        'Please remove this address. Alice (alice@corp-fwd.example)',
        '',
        '--fw',
        inner.toString('latin1').replace(/\r\n/g, '\n').replace(/^MIME-Version:.*\n|^Content-(?:Type|Transfer-Encoding):.*\n/gim, ''),
        '--fw--',
        '',
      ].join('\n'),
      'latin1',
    );

  it('the notice inside is read; the forwarder is no recipient', async () => {
    const inner = await notice('MAILER-DAEMON@mx.example.jp', 'Undelivered Mail Returned to Sender');
    const raw = pasted(inner);
    expect(parseMessageSync(raw).warnings).toContain('report taken from the enclosed message/rfc822');
    expect(records(raw)).toEqual([['kijitora@example.jp', 'userunknown', true]]);
  });
});

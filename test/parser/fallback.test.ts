// The generic text fallback on form-style notices (built with nodemailer's MailComposer).
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessage } from '../../src/parser/index.js';
import { sendmailOwnText } from '../../src/parser/detectors/fallback.js';
import { textHead } from '../../src/parser/smtp-text.js';
import { allStrings } from '../helpers/strings.js';

const build = (text: string) =>
  new MailComposer({ from: 'postmaster@example.de', to: 'bounce+x@example.net', subject: 'email bounce notification', text, headers: { 'Auto-Submitted': 'auto-replied' } })
    .compile()
    .build();

describe('fallback: a labelled reason line in the address\'s block', () => {
  it('"reject reason:" above "target mail address:" is the diagnostic', async () => {
    const raw = await build(
      'This message is to inform you that an email you sent was rejected.\n\nreject reason: Mailbox full\ntarget mail address: kijitora@example.de\n\n----\nbounced E-Mail:\n',
    );
    const r = await parseMessage(raw);
    expect(r.detector).toBe('fallback');
    expect(r.recipients.map((x) => [x.finalRecipient, x.diagnosticCode])).toEqual([['kijitora@example.de', 'reject reason: Mailbox full target mail address: kijitora@example.de']]);
    expect(classify(r)[0]).toMatchObject({ reason: 'mailboxfull' });
  });
  it('a reason line one blank line below the address\'s block is its reason, the next block\'s is not; a text with its own SMTP reply is left alone', async () => {
    // the address's block says no reason: the labelled reason set apart below it is the block's
    const apart = await parseMessage(await build('Delivery failed.\n\ntarget mail address: kijitora@example.de\n\nreason: Mailbox full\n'));
    expect(apart.recipients[0].diagnosticCode).toBe('reason: Mailbox full target mail address: kijitora@example.de');
    // two blank lines, or a line between, and it is not: the notice's prose is the text
    const far = await parseMessage(await build('Delivery failed.\n\ntarget mail address: kijitora@example.de\n\n\nreason: Mailbox full\n'));
    expect(far.recipients[0].diagnosticCode).toBe('Delivery failed. target mail address: kijitora@example.de reason: Mailbox full');
    const own = await parseMessage(await build('Delivery failed.\n\nreason: Mailbox full\n<kijitora@example.de>: 550 5.1.1 User unknown\n'));
    expect(own.recipients[0].diagnosticCode).toBe('<kijitora@example.de>: 550 5.1.1 User unknown');
  });
});

describe('fallback: a ruler ends the address\'s entry', () => {
  it('smail\'s "|--- Message text follows: ---|" and a "--- End Transcript ---" line are not the reason', async () => {
    const smail = await parseMessage(
      await build(
        '|------------------------- Failed addresses follow: ---------------------|\n <jdoe@example.net> ... unknown host\n|------------------------- Message text follows: ------------------------|\nFrom: news@example.com\n',
      ),
    );
    expect(smail.recipients.map((x) => [x.finalRecipient, x.diagnosticCode])).toEqual([['jdoe@example.net', '<jdoe@example.net> ... unknown host']]);
    const transcript = await parseMessage(
      await build('Delivery failed.\n\n<kijitora@example.de>: 550 5.1.1 User unknown\n--- End Transcript ---\n'),
    );
    expect(transcript.recipients[0].diagnosticCode).toBe('<kijitora@example.de>: 550 5.1.1 User unknown');
  });
});

describe('fallback: the text after a Sendmail entry line', () => {
  it('reads "554 <a@b>... reason" as before its linear form', () => {
    expect(sendmailOwnText('554 <kijitora@example.jp>... Remote protocol error')).toBe('Remote protocol error');
    expect(sendmailOwnText('550 kijitora@example.jp...   User unknown')).toBe('User unknown');
    // one line only
    expect(sendmailOwnText('550 <kijitora@example.jp>... User\nunknown')).toBeNull();
    expect(sendmailOwnText('550 <kijitora@example.jp>...\nUser unknown')).toBe('User unknown');
  });
  it('gives what the earlier (quadratic) regex gave on every short text', () => {
    // the form before the linear rewrite, as the reference: the same rest, or no match, on
    // every string of up to 7 characters over those that decide it (line breaks included)
    const OLD = /^[45]\d\d <?[^\s<>]+>?\.\.\.\s*(.*)$/;
    const wrong: string[] = [];
    let n = 0;
    for (const s of allStrings(['<', '>', '.', 'a', ' ', '\n', '\u2028'], 7, '550 ')) {
      const old = OLD.exec(s);
      if ((old ? old[1] : null) !== sendmailOwnText(s)) wrong.push(s);
      n++;
    }
    expect(wrong).toEqual([]);
    expect(n).toBeGreaterThan(900_000);
  });
});

describe('a reader\'s bounded look never cuts an address in half (issue #13, harm 1)', () => {
  it('textHead cuts at a line break, else before a blank or a list separator, never inside a word', () => {
    expect(textHead('short', 10)).toBe('short');
    expect(textHead('line one\nkijitora@example.jp and more', 20)).toBe('line one');
    expect(textHead('a@example.jp, kijitora@example.jp', 25)).toBe('a@example.jp,');
    expect(textHead('a@example.jp,kijitora@example.jp', 25)).toBe('a@example.jp');
    expect(textHead('x'.repeat(50), 20)).toBe('');
  });
  it('a Sendmail list of 2,000 failed addresses past the reader\'s 200,000 characters gives those addresses and no half of one', async () => {
    const list: string[] = [];
    const transcript = ['... while talking to mx.example.jp.:'];
    const sent = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const a = `u${i}@example.jp`;
      sent.add(a);
      list.push(`<${a}>`, '    (reason: 550 User unknown)');
      transcript.push(`>>> RCPT To:<${a}>`, `<<< 550 <${a}>... User unknown`, `550 <${a}>... User unknown`);
    }
    const raw = Buffer.from(
      [
        'From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.net>', 'To: news@sender.example.org', 'Subject: Returned mail: see transcript for details',
        'Date: Mon, 2 Mar 2026 10:00:00 +0000', '', '   ----- The following addresses had permanent fatal errors -----', ...list, '',
        '   ----- Transcript of session follows -----', ...transcript, '',
      ].join('\n'),
    );
    expect(raw.length).toBeGreaterThan(300_000);
    const r = await parseMessage(raw);
    expect(r.detector).toBe('fallback');
    const got = r.recipients.map((x) => x.finalRecipient);
    expect(got.filter((a) => !sent.has(a))).toEqual([]);
    expect(new Set(got).size).toBe(2000);
  });
});

describe('fallback: a list of addresses that runs on to the next line (round 29)', () => {
  const heading = 'Delivery to the following recipients failed:\n\n';
  const names = (r: Awaited<ReturnType<typeof parseMessage>>) => classify(r).map((v) => `${v.recipient} ${v.reason}`);
  it('"a@x, b@y and" / "c@z: 550 ...": every address takes the reply that ends the list', async () => {
    const r = await parseMessage(await build(`Your message could not be delivered.\n\nThese recipients failed as well:\na.one@example.org, b.two@example.org and\nc.three@example.org: 550 5.1.1 User unknown\n`));
    expect(names(r)).toEqual(['a.one@example.org userunknown', 'b.two@example.org userunknown', 'c.three@example.org userunknown']);
  });
  it('"a@x, b@y" / "and c@z: 550 ...": the joiner opening the next line goes on with the list', async () => {
    const r = await parseMessage(await build(`Your message could not be delivered.\n\nThese recipients failed as well:\na.one@example.org, b.two@example.org\nand c.three@example.org: 552 5.2.2 Mailbox full\n`));
    expect(names(r)).toEqual(['a.one@example.org mailboxfull', 'b.two@example.org mailboxfull', 'c.three@example.org mailboxfull']);
  });
  it('a line of addresses that does not run on, and a help line that does, name no failed recipient', async () => {
    const r = await parseMessage(await build(`${heading}c.three@example.org: 550 5.1.1 User unknown\n\nFor help write to help@example.net or\nsupport@example.net, our desk.\n`));
    expect(names(r)).toEqual(['c.three@example.org userunknown']);
  });
});

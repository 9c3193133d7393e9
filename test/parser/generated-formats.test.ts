// Report formats of real MTAs, read in place from the generated corpus (fixtures/generated:
// DSNs and bounces that Debian's Sendmail, OpenSMTPD, dma and Courier wrote for documented replies,
// and what Dovecot's delivery agent sent back for mailboxes). Each test names the
// quirk of the format and asserts every field the parser takes from it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { toBounceRecords } from '../../src/pipeline/decide.js';
import { newRecipient } from '../../src/parser/detectors/types.js';
import type { RecipientReport } from '../../src/report.js';

const dir = fileURLToPath(new URL('../../fixtures/generated/', import.meta.url));
const parse = (file: string) => parseMessageSync(readFileSync(join(dir, file)));
const only = (file: string): RecipientReport => {
  const r = parse(file);
  expect(r.recipients).toHaveLength(1);
  return r.recipients[0];
};

describe('Sendmail: a multi-line reply is read whole from the session transcript', () => {
  it('the Diagnostic-Code holds the first line only: the other lines come from "<<< 550-..."', () => {
    const r = only('sendmail/016-google-spam--failed.eml');
    expect(r.diagnosticCode).toBe(
      '550-5.7.1 [127.0.0.1] Our system has detected that this message is likely 550-5.7.1 unsolicited mail. To reduce the amount of spam sent to Gmail, this 550-5.7.1 message has been blocked. For more information, go to 550 5.7.1 https://support.google.com/mail/?p=UnsolicitedMessageError MX84XBUTD6 - gsmtp',
    );
    expect(r).toMatchObject({ status: '5.7.1', replyCode: 550, command: 'DATA', action: 'failed' });
  });
  it('a reply to the greeting (GMX): every line, the PTR sentence included', () => {
    const r = only('sendmail/039-gmx-nemesis-ptr--failed.eml');
    expect(r.diagnosticCode).toContain('554-Bad DNS PTR resource record. 554 For explanation visit');
    expect(r.replyCode).toBe(554);
  });
  it('the "<addr>... Deferred:" line of an expired message holds the first line only', () => {
    const r = only('sendmail/121-google-unsolicited-rate-defer--failed.eml');
    expect(r.diagnosticCode).toMatch(/^421-4\.7\.0 \[127\.0\.0\.1\] Our system has detected an unusual rate of 421-4\.7\.0 unsolicited mail .* 421 4\.7\.0 blocked\. https:/);
    // Status 4.4.7 is Sendmail's own "delivery time expired": the reply names the cause
    expect(r).toMatchObject({ status: '4.7.0', replyCode: 421, command: 'MAIL', action: 'failed' });
  });
});

describe('Sendmail: the cause of an expired or delayed message is on its "Deferred:" line', () => {
  it('a Diagnostic-Code that is the answer to QUIT ("221 2.0.0 Bye") says nothing', () => {
    const r = only('sendmail/127-apple-volume-defer--failed.eml');
    expect(r).toEqual(
      newRecipient('mateo_garcia@users.example.test', {
        originalRecipient: null,
        action: 'failed',
        status: '4.7.1',
        replyCode: 421,
        diagnosticType: 'smtp',
        diagnosticCode: 'Deferred: 421 4.7.1 Messages to mateo_garcia@users.example.test deferred due to excessive volume. Try again later - https://support.apple.com/en-us/HT204137',
        remoteMta: '[127.0.0.1]',
        command: 'RCPT',
        lastAttemptDate: 'Thu, 3 Dec 2026 22:40:22 GMT',
      }),
    );
  });
  it('an empty "(reason: )" under the address says nothing', () => {
    const r = only('sendmail/138-cox-cxcnct-defer--failed.eml');
    expect(r.diagnosticCode).toBe('Deferred: 421 cmsmtp blocked. Refer to Error Codes section at https://www.cox.com/internet/support/email-error-codes.html for more information. AUP#CXCNCT');
    expect(r).toMatchObject({ status: '4.4.7', replyCode: 421 });
  });
});

describe('Sendmail: which recipients failed, and at which command', () => {
  it('a recipient still queued ("Deferred:" in another recipient\'s failure report) is not reported', () => {
    const r = parse('sendmail/086-multi-defer-1--failed.eml');
    expect(r.recipients.map((x) => x.finalRecipient)).toEqual(['sstone2159@inbox.example.test']);
  });
  it('each refused "RCPT To:<addr>" of a transcript gives that address its command', () => {
    const r = parse('sendmail/083-multi-6--failed.eml');
    expect(r.recipients.map((x) => [x.finalRecipient, x.command, x.replyCode])).toEqual([
      ['noah44@mail.example.com', 'RCPT', 554],
      ['fatima8428@mail.example.com', 'RCPT', 550],
      ['chloe.dubois6293@users.example.test', 'RCPT', 552],
    ]);
  });
});

describe('OpenSMTPD (bounce.c): "address: error" lines, a generic Status, no SMTP command', () => {
  it('one record per listed address, the error without the address, the action from the DSN part', () => {
    const r = parse('opensmtpd/102-multi-4--failed.eml');
    expect(r).toMatchObject({ detector: 'opensmtpd', kind: 'bounce', reportingMta: 'mta-opensmtpd.example.org' });
    const failed = (addr: string, fields: Partial<RecipientReport>) => newRecipient(addr, { action: 'failed', ...fields });
    expect(r.recipients).toEqual([
      failed('nora4891@example.org', { status: '5.1.1', replyCode: 550, diagnosticCode: '550 5.1.1 <nora4891@example.org>: Recipient address rejected: User unknown' }),
      failed('mmeyer2042@example.org', { status: '5.7.1', replyCode: 554, diagnosticCode: '554 5.7.1 <mmeyer2042@example.org>: Relay access denied' }),
      failed('olivia.schmidt267@shop.example.org', { status: '5.7.1', replyCode: 550, diagnosticCode: '550 5.7.1 No such user!' }),
    ]);
  });
  it('a delay notice: the action is delayed, OpenSMTPD\'s own words are the diagnostic', () => {
    const r = parse('opensmtpd/149-net-timeout--delayed.eml');
    expect(r).toMatchObject({ detector: 'opensmtpd', kind: 'delay' });
    expect(r.recipients).toEqual([newRecipient('chen.larsen5540@slow.example.net', { action: 'delayed', status: '4.0.0', diagnosticCode: 'Network error on destination MXs' })]);
  });
});

describe('DragonFly Mail Agent (mail.c bounce(), net.c): one plain-text bounce per recipient', () => {
  it('"did not like our final DATA": the reply to the end of the data is a DATA refusal, read whole', () => {
    const r = parse('dma/081-multi-data-2--failed.eml');
    expect(r).toMatchObject({ detector: 'dragonfly', kind: 'bounce' });
    expect(r.recipients).toEqual([
      newRecipient('liam.costa3627@mail.example.com', {
        action: 'failed',
        status: '5.3.4',
        replyCode: 552,
        command: 'DATA',
        remoteMta: '127.0.0.1',
        diagnosticCode: "552-5.3.4 Your message exceeded Google's message size limits. For more 552 5.3.4 information, go to https://support.google.com/mail/?p=MaxSizeError MX8SBP4U4V - gsmtp",
      }),
    ]);
  });
  it('"did not like our RCPT TO": the refused address only, never the returned To:/Cc: or the sender', () => {
    // the message went to four addresses (To: and Cc: of the returned headers); dma reports
    // each refused one in a bounce of its own
    const r = parse('dma/052-multi-1--failed.eml');
    expect(r.recipients.map((x) => [x.finalRecipient, x.command, x.replyCode, x.status])).toEqual([['amelia.silva7730@example.com', 'RCPT', 550, '5.1.1']]);
  });
});

describe('Courier (courierdsn): each recipient\'s block of the text part holds the last exchange', () => {
  it('a delay notice: the earlier attempt\'s "<command failed>" is no reply; the reply to MAIL FROM names the cause and its code beats 4.0.0', () => {
    const r = parse('courier/096-yahoo-tss04-defer--delayed.eml');
    expect(r).toMatchObject({ detector: 'courier', kind: 'delay', reportingMta: 'mta-courier.example.org' });
    expect(r.recipients).toEqual([
      newRecipient('elijah1569@d04.example.net', {
        action: 'delayed',
        status: '4.7.0',
        replyCode: 421,
        command: 'MAIL',
        diagnosticCode: '421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes',
        willRetryUntil: 'Fri, 04 Dec 2026 09:41:41 +0000',
      }),
    ]);
  });
  it('">>> RCPT TO:<addr> NOTIFY=..." says the bare 550 answered RCPT: Status 5.0.0 stays (the reply has no enhanced code)', () => {
    const r = only('courier/011-rfc-550-bare-unknown--failed.eml');
    expect(r).toMatchObject({ action: 'failed', status: '5.0.0', replyCode: 550, command: 'RCPT', diagnosticCode: '550 <jonas2572@mail.example.com>: User unknown' });
  });
  it('two refused recipients of one message: one record each with its own reply, none for the returned To:/Cc:', () => {
    const r = parse('courier/084-multi-7--failed.eml');
    expect(r.recipients.map((x) => [x.finalRecipient, x.command, x.replyCode])).toEqual([
      ['atanaka4088@mail.example.com', 'RCPT', 550],
      ['zoe8917@example.net', 'RCPT', 550],
    ]);
  });
  it('a multi-line reply after DATA is read whole from the "<<<" lines', () => {
    const file = readdirSync(join(dir, 'courier')).find((f) => f.endsWith('-google-spam--failed.eml'));
    const r = only(`courier/${file}`);
    expect(r).toMatchObject({ status: '5.7.1', replyCode: 550, command: 'DATA' });
    expect(r.diagnosticCode).toMatch(/^550-5\.7\.1 \[127\.0\.0\.1\] Our system has detected .* 550 5\.7\.1 https:\/\/support\.google\.com\/mail\/\?p=UnsolicitedMessageError \S+ - gsmtp$/);
  });
});

describe('Dovecot LDA with Pigeonhole Sieve (mail_send_rejection, RFC 5429, RFC 5230): the mailbox side', () => {
  it('a Sieve reject is an MDN "deleted" (RFC 5429 §2.1): the Final-Recipient failed, the script\'s text is the diagnostic', () => {
    // the message went to three mailboxes (the returned To:/Cc:); this notice is one's
    const r = parse('dovecot/009-multi-mailbox-2--failed.eml');
    expect(r).toMatchObject({ detector: 'mdn-reject', kind: 'bounce' });
    expect(r.recipients).toEqual([
      newRecipient('ivan_okafor@mbox.example.org', {
        action: 'failed',
        diagnosticCode: 'I do not accept messages from this address. Your message has been refused by my mail filter.',
      }),
    ]);
    // the recipient's own filter refused the message (RFC 5429), whatever its text: not hard
    expect(classify(r)).toMatchObject([{ reason: 'filtered', hardbounce: false, rule: 'family.mdn-reject' }]);
  });
  it('an over-quota mailbox with quota_full_tempfail = no: Dovecot\'s DSN says Status 5.2.2 for the mailbox only', () => {
    const r = parse('dovecot/010-multi-mailbox-2--failed.eml');
    expect(r.recipients.map((x) => [x.finalRecipient, x.action, x.status])).toEqual([['ivan.meyer5126@mbox.example.org', 'failed', '5.2.2']]);
    // no Diagnostic-Code: the text's sentence ends in a colon and its reason is the next line
    expect(r.recipients[0].diagnosticCode).toBe('Your message to <ivan.meyer5126@mbox.example.org> was automatically rejected: Quota exceeded (mailbox for user is full)');
    expect(classify(r)).toMatchObject([{ reason: 'mailboxfull', hardbounce: false }]);
  });
  it('a Sieve vacation answer (RFC 5230, Auto-Submitted: auto-replied) is an auto-reply: no bounce record', () => {
    for (const f of ['dovecot/005-sieve-vacation--autoreply.eml', 'dovecot/008-multi-mailbox-1--autoreply.eml']) {
      const r = parse(f);
      expect(r.kind).toBe('auto_reply');
      const verdicts = classify(r);
      expect(verdicts.map((v) => [v.kind, v.type])).toEqual([['auto_reply', 'none']]);
      // the pipeline's step from verdicts to stored records (src/pipeline/decide.ts) keeps none
      expect(toBounceRecords(r, verdicts, { source: 'none', fields: null, signed: false }, 0)).toEqual([]);
    }
  });
});

describe('the captured bytes are the bytes the MTAs sent (round 20)', () => {
  // The receiver read its socket as latin1 and saved the string as UTF-8, so every 8-bit byte of
  // a localized template was stored twice encoded ("EmpfÃ¤nger"); the files are repaired and the
  // receiver writes latin1 (fixtures/generated/receiver.mjs).
  // (read as UTF-8, a twice-encoded "ä" is "Ã¤": U+00C3 and a character of U+0080-U+00BF)
  const readText = (file: string) => readFileSync(join(dir, file), 'utf8');
  it.each([
    ['postfix-de', 'Empfänger'],
    ['postfix-fr', 'destinataire'],
    ['exim-de', 'Empfänger'],
  ])('%s: no twice-encoded UTF-8, and the template reads in its language', (mta, word) => {
    const files = readdirSync(join(dir, mta)).filter((f) => f.endsWith('.eml'));
    expect(files.length).toBeGreaterThan(40);
    for (const f of files) expect(readText(`${mta}/${f}`), f).not.toMatch(/\u00c3[\u0080-\u00bf]/);
    const parsed = readFileSync(join(dir, mta, files[0]!)).toString('utf8');
    expect(parsed).toContain(word);
  });
});

// Windows-1252 and the labels the WHATWG Encoding Standard maps to it (ISO-8859-1, latin1, ...)
// are decoded by our own table, not TextDecoder: Node before 22 decodes bytes 0x80-0x9F as C1
// controls, so the same report read differently by Node version. On the Node this runs (22+,
// package.json engines) TextDecoder is the oracle: every byte, every label.
import { describe, expect, it } from 'vitest';
import { parseMessageSync } from '../../src/parser/index.js';
import { latin1ToText } from '../../src/parser/mime/charset.js';
import { mailboxProblem } from '../../src/parser/smtp-text.js';

const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
const LABELS = ['windows-1252', 'cp1252', 'x-cp1252', 'iso-8859-1', 'ISO-8859-1', '"iso-8859-1"', 'iso8859-1', 'iso88591', 'iso_8859-1', 'iso_8859-1:1987', 'iso-ir-100', 'latin1', 'l1', 'csisolatin1', 'ibm819', 'cp819', 'ansi_x3.4-1968'];

describe('windows-1252 decoding', () => {
  it('every byte under every label reads as the Encoding Standard says (TextDecoder as the oracle)', () => {
    const expected = new TextDecoder('windows-1252').decode(Buffer.from(ALL_BYTES, 'latin1'));
    expect(expected[0x92]).toBe('\u2019'); // the oracle itself is the standard's, not latin1's
    for (const label of LABELS) expect(latin1ToText(ALL_BYTES, label)).toBe(expected);
  });

  it('a quoted-printable Outlook sentence reads with its curly apostrophe and dash', () => {
    expect(latin1ToText('The recipient\x92s mailbox is full \x96 try later', 'iso-8859-1')).toBe('The recipient\u2019s mailbox is full \u2013 try later');
  });

  it('other single-byte charsets still go to TextDecoder', () => {
    expect(latin1ToText('\xe8\xea', 'iso-8859-2')).toBe(new TextDecoder('iso-8859-2').decode(Buffer.from([0xe8, 0xea])));
    expect(latin1ToText('\xc0\xc1', 'koi8-r')).toBe('юа');
  });
});

describe('addresses never made of bytes read in the wrong charset (issue #13, harm 1)', () => {
  const dsn = (partCharset: string, field: string, diag = '550 5.1.1 user unknown') =>
    parseMessageSync(
      Buffer.from(
        [
          'From: MAILER-DAEMON@relay.example.org', 'To: bounces@sender.example.org', 'Subject: Undelivered Mail Returned to Sender', 'Date: Mon, 2 Mar 2026 10:00:00 +0000',
          'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'Delivery failed.', '',
          '--b', `Content-Type: message/delivery-status${partCharset}`, '', 'Reporting-MTA: dns; relay.example.org', '', field, 'Action: failed', 'Status: 5.1.1', `Diagnostic-Code: smtp; ${diag}`, '', '--b--', '',
        ].join('\r\n'),
        'latin1',
      ),
    );
  const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
  it('a "utf-8;" Final-Recipient (RFC 6533) in a delivery-status part labelled ISO-8859-1 is read as UTF-8', () => {
    for (const cs of ['', '; charset=iso-8859-1', '; charset=us-ascii']) {
      expect(dsn(cs, `Final-Recipient: utf-8; ${utf8('jöe@exämple.de')}`).recipients.map((r) => r.finalRecipient), cs).toEqual(['jöe@exämple.de']);
    }
  });
  it('Latin-1 bytes that are not UTF-8 still read in the charset the part names', () => {
    const r = dsn('; charset=iso-8859-1', 'Final-Recipient: rfc822; joe@example.de', '550 5.1.1 Empf\xe4nger unbekannt');
    expect(r.recipients[0].diagnosticCode).toBe('550 5.1.1 Empfänger unbekannt');
  });
  it('an address holding a byte that did not decode (U+FFFD) is no mailbox: no record, a warning', () => {
    expect(mailboxProblem('j\ufffde@example.de')).toBe('a byte that did not decode (U+FFFD)');
    const raw = Buffer.from(
      [
        'From: MAILER-DAEMON@relay.example.org', 'To: bounces@sender.example.org', 'Subject: failure notice', 'Date: Mon, 2 Mar 2026 10:00:00 +0000', 'Content-Type: text/plain; charset=utf-8', '',
        'Hi. This is the qmail-send program at relay.example.org.', "I'm afraid I wasn't able to deliver your message to the following addresses.",
        "This is a permanent error; I've given up. Sorry it didn't work out.", '', '<j\xf6e@ex\xe4mple.de>:', '192.0.2.1 does not like recipient.', 'Remote host said: 550 5.1.1 user unknown', '',
      ].join('\n'),
      'latin1',
    );
    const r = parseMessageSync(raw);
    expect(r.recipients).toEqual([]);
    expect(r.warnings.join('\n')).toContain('did not decode');
  });
});

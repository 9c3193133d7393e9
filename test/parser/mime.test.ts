// MIME layer and shared text helpers: line ends, garbage input, hostile shapes.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it } from 'vitest';
import { parseMessage, parseMessageSync, UnparseableError } from '../../src/parser/index.js';
import { decodeQuotedPrintable, latin1WithLf, normalizeLineEnds, readMail } from '../../src/parser/mime.js';
import { splitEntity } from '../../src/parser/mime/headers.js';
import { findAddresses, findReplyCode, findStatusCode, normalizeAddress } from '../../src/parser/smtp-text.js';
import { fixturesDir } from '../helpers/env.js';

const DSN = [
  'From: MAILER-DAEMON@mx.example.org',
  'To: sender@example.com',
  'Subject: Undelivered Mail Returned to Sender',
  'MIME-Version: 1.0',
  'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain',
  '',
  'I am sorry.',
  '',
  '--b1',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; mx.example.org',
  '',
  'Final-Recipient: rfc822; Gone@Example.NET',
  'Action: failed',
  'Status: 5.1.1',
  'Diagnostic-Code: smtp; 550 5.1.1 <gone@example.net>:',
  '    Recipient address rejected: User unknown',
  '',
  '--b1--',
  '',
].join('\n');

describe('line ends', () => {
  for (const [name, eol] of [['LF', '\n'], ['CRLF', '\r\n'], ['CR only (mac)', '\r']] as const) {
    it(`${name} parses to the same report`, async () => {
      const r = await parseMessage(Buffer.from(DSN.replace(/\n/g, eol), 'latin1'));
      expect(r.recipients).toHaveLength(1);
      expect(r.recipients[0]).toMatchObject({
        finalRecipient: 'gone@example.net',
        status: '5.1.1',
        diagnosticCode: '550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown',
      });
      expect(r.reportingMta).toBe('mx.example.org');
    });
  }
});

describe('quoted-printable (RFC 2045 §6.7)', () => {
  it('drops trailing padding, joins soft line breaks, decodes =XX (also split by a soft break)', () => {
    expect(decodeQuotedPrintable('caf=C3=A9 \t\nline =\t\nend=\n')).toBe('caf\xc3\xa9\nline end');
    expect(decodeQuotedPrintable('=4=\n1 =\n\n=3D= \nx  ')).toBe('A \n=x');
    expect(decodeQuotedPrintable('no equals sign  \n')).toBe('no equals sign  \n');
    expect(decodeQuotedPrintable('a=\n\n=\n')).toBe('a\n');
  });
});

describe('line ends and multipart boundaries without extra copies', () => {
  it('latin1WithLf = toString + normalizeLineEnds, for LF, CRLF, CR-only, mixed and 8-bit bytes', () => {
    const samples = ['a\nb\n', 'a\r\nb\r\n', 'a\rb\r', 'a\r\n\rb\n\r\r\nc', '\r', '\r\n', 'x\r', '\xe9\xff\r\n\x00'];
    for (const t of samples) {
      const raw = Buffer.from(t, 'latin1');
      expect(latin1WithLf(raw)).toBe(normalizeLineEnds(raw.toString('latin1')));
    }
  });
  it('a delimiter at the very start of the body (no preamble), padding, a longer look-alike boundary', () => {
    const raw = [
      'From: MAILER-DAEMON@example.org', 'Subject: Undelivered', 'Content-Type: multipart/mixed; boundary="b"', '',
      '--b  ', 'Content-Type: text/plain', '', 'first', '--bb', 'still first', '--b', 'Content-Type: text/plain', '', 'second', '--b--', 'epilogue',
    ].join('\r\n');
    const view = readMail(Buffer.from(raw));
    expect(view.parts.map((p) => p.text)).toEqual(['first\n--bb\nstill first', 'second']);
  });
  it('an empty part between two delimiters, and no closing delimiter', () => {
    const raw = ['Content-Type: multipart/mixed; boundary=b', '', 'preamble', '--b', '--b', 'Content-Type: text/plain', '', 'last part'].join('\n');
    const view = readMail(Buffer.from(raw));
    expect(view.parts.map((p) => p.text)).toEqual(['', 'last part']);
  });
});

describe('not mail at all -> UnparseableError', () => {
  it('empty input', async () => {
    await expect(parseMessage(Buffer.alloc(0))).rejects.toThrow(UnparseableError);
  });
  it('random bytes', async () => {
    for (let i = 0; i < 20; i++) {
      await expect(parseMessage(randomBytes(2048))).rejects.toThrow(UnparseableError);
    }
  });
  it('JSON text', async () => {
    await expect(parseMessage(Buffer.from('{"a": 1}\n'))).rejects.toThrow(/not a mail message/);
  });
});

describe('hostile but mail-shaped input never hangs or throws', () => {
  it('deeply nested multiparts', async () => {
    let body = 'x';
    for (let i = 0; i < 200; i++) body = `Content-Type: multipart/mixed; boundary="n${i}"\n\n--n${i}\n${body}\n--n${i}--\n`;
    const r = await parseMessage(Buffer.from(`From: a@b.example\n${body}`));
    expect(r.kind).toBe('unknown');
  });
  it('a huge header line and unterminated boundary', async () => {
    const raw = `From: MAILER-DAEMON@x.example\nSubject: ${'A'.repeat(300_000)}\nContent-Type: multipart/report; boundary=zz\n\n--zz\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.0.0\n`;
    const t = Date.now();
    const r = await parseMessage(Buffer.from(raw));
    expect(Date.now() - t).toBeLessThan(2000);
    expect(r.recipients[0].finalRecipient).toBe('a@b.example');
  });
  // Hang guards, not speed tests: each shape once made a regex backtrack quadratically
  // (COPY_MARKER's `^[ \t>|*=_-]*` then `[-\s]*` on blank runs, ADDRESS_RE on a run of
  // local-part characters without '@', htmlToText's `<[^>]{0,2000}>` on a run of '<').
  const MB = 1024 * 1024;
  const shapes: [string, string][] = [
    ['spaces', ' '], ['tabs', '\t'], ['dashes', '-'], ['space-dash', ' -'], ['digits-dots', '5.'], ['entities', '&#'],
  ];
  for (const [name, unit] of shapes) {
    it(`a 1 MB line of ${name} in an NDR's text and in HTML`, async () => {
      const line = unit.repeat(MB / unit.length);
      for (const raw of [
        `From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail Returned to Sender\n\n550 5.1.1 <a@b.example>: ${line}x\n`,
        `From: a@b.example\nSubject: x\nContent-Type: text/html\n\n<p>${line}${'<'.repeat(MB / 4)}x</p>\n`,
      ]) {
        const t = Date.now();
        await parseMessage(Buffer.from(raw, 'latin1'));
        expect(Date.now() - t).toBeLessThan(2000);
      }
    });
  }
});

describe('MIME built with nodemailer MailComposer', () => {
  it('base64 text body in ISO-2022-JP and an attached message/rfc822 original', async () => {
    const original = 'Message-ID: <orig-1@example.com>\nFrom: me@example.com\nTo: you@example.net\nSubject: hi\n\nbody\n';
    const raw = await new MailComposer({
      from: 'MAILER-DAEMON@example.net',
      to: 'me@example.com',
      subject: 'Returned mail',
      text: 'メールを配送できませんでした',
      textEncoding: 'base64',
      attachments: [{ content: original, contentType: 'message/rfc822' }],
    })
      .compile()
      .build();
    const view = readMail(raw);
    expect(view.text).toContain('メールを配送できませんでした');
    expect(view.original?.headers['message-id']).toEqual(['<orig-1@example.com>']);
    const r = await parseMessage(raw);
    expect(r.original?.messageId).toBe('orig-1@example.com');
    expect(r.original?.to).toBe('you@example.net');
  });
});

describe('smtp-text helpers', () => {
  it('status codes: #5.1.1, (4.2.2), not IPs or versions', () => {
    expect(findStatusCode('550 Unknown user #5.1.1')).toBe('5.1.1');
    expect(findStatusCode('452 mailbox full (4.2.2)')).toBe('4.2.2');
    expect(findStatusCode('host 10.5.1.1 said: 550 nope')).toBeNull();
    expect(findStatusCode('Exim 4.5.1.2 error')).toBeNull();
    expect(findStatusCode('550 5.0.0 x 5.2.2 full')).toBe('5.2.2');
  });
  it('reply codes', () => {
    expect(findReplyCode('550 5.1.1 <a@b>: no')).toBe(550);
    expect(findReplyCode('host mx[192.0.2.1] said: 452-4.2.2 full')).toBe(452);
    expect(findReplyCode('250 ok')).toBeNull();
  });
  it('addresses: type prefix, brackets, source route, case', () => {
    expect(normalizeAddress('rfc822; <Kiji@Example.JP>')).toBe('kiji@example.jp');
    expect(normalizeAddress('rfc/822;sabatora@example.net')).toBe('sabatora@example.net');
    expect(normalizeAddress('@relay.example:user@host.example')).toBe('user@host.example');
    expect(normalizeAddress('utf-8; jürgen@mta.test')).toBe('jürgen@mta.test');
  });
  it('status codes: a 2.x.x step of a transcript is never the failure', () => {
    expect(findStatusCode('Out: 250 2.1.5 Ok In: DATA Out: 451 4.3.0 Error: queue file write error')).toBe('4.3.0');
    expect(findStatusCode('250 2.0.0 Ok')).toBe('2.0.0');
  });
  it('addresses: leftmost local part, two or more labels, no overlap', () => {
    // "q"@x.org is q@x.org (a quoted Dot-string, RFC 5321 §4.1.2); x"q"@x.org is no address
    expect(findAddresses('To: <A@B.com>, x@y@b.c; ..a@b.c.. a@b "q"@x.org x"q"@x.org')).toEqual(['a@b.com', 'y@b.c', 'a@b.c', 'q@x.org']);
    expect(findAddresses('日本@例え.jp')).toEqual(['日本@例え.jp']);
  });
});

describe('RFC 2047 encoded words split inside a character', () => {
  it('decodes adjacent words of one charset together (ISO-2022-JP escape split across two words)', async () => {
    const { decodeHeaderValue } = await import('../../src/parser/mime.js');
    const text = 'ニャーン';
    // "ニャーン" in ISO-2022-JP: ESC $ B %K%c!<%s ESC ( B, cut after "%K%" as real senders do.
    const all = Buffer.from('\x1b$B%K%c!<%s\x1b(B', 'latin1');
    const a = all.subarray(0, 6).toString('base64');
    const b = all.subarray(6).toString('base64');
    expect(decodeHeaderValue(`=?iso-2022-jp?B?${a}?=\n =?iso-2022-jp?B?${b}?=`.replace('\n', ''))).toBe(text);
    // Different charsets are still decoded word by word.
    expect(decodeHeaderValue('=?utf-8?Q?caf=C3=A9?= =?iso-8859-1?Q?caf=E9?=')).toBe('cafécafé');
  });

  it('keeps a space that ends a Q word (RFC 2047 §4.2: "_" is text, no padding to drop), and =5F is "_"', async () => {
    const { decodeHeaderValue } = await import('../../src/parser/mime.js');
    expect(decodeHeaderValue('=?utf-8?q?Mail_System_Error_=2D_?=\n =?utf-8?q?Returned_Mail?='.replace('\n', ''))).toBe('Mail System Error - Returned Mail');
    expect(decodeHeaderValue('=?utf-8?Q?Undeliverable:_?= =?utf-8?Q?a=5Fb?=')).toBe('Undeliverable: a_b');
  });
});

describe('a returned message pasted as a part of its own (its fields as the part\'s header block)', () => {
  // The shape some NDR families return the original in (no message/rfc822 type): MIME part
  // headers are Content-* fields, so a part with a message's own fields is that message.
  const notice = (pastedHeaders: string[]) =>
    Buffer.from(
      [
        'From: postmaster@relay.example.net',
        'To: bounces@sender.example.org',
        'Subject: Returned mail',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="pp"',
        '',
        '--pp',
        'Content-Type: text/plain',
        '',
        '---The following addresses had delivery errors---',
        '',
        'jane.doe@example.com [User unknown]',
        '',
        '--pp',
        ...pastedHeaders,
        '',
        'Hello, this is the December letter.',
        '550 5.1.1 <reader@news.example.org>: User unknown',
        '',
        '--pp--',
        '',
      ].join('\r\n'),
    );

  it('gives the original\'s fields, and its body is no part of the report', () => {
    const raw = notice(['Received: from mx.sender.example.org by relay.example.net', 'Message-Id: <dec-1@sender.example.org>', 'From: News <news@sender.example.org>', 'To: jane.doe@example.com', 'Subject: December letter', 'Content-Type: text/plain']);
    const v = readMail(raw);
    expect(v.original?.source).toBe('pasted');
    expect(v.original?.headers['message-id']?.[0]).toBe('<dec-1@sender.example.org>');
    expect(v.text).not.toContain('December letter');
    expect(parseMessageSync(raw).recipients.map((r) => r.finalRecipient)).toEqual(['jane.doe@example.com']);
  });

  it('a part with Content-* fields and one other field is still a text part of the report', () => {
    const v = readMail(notice(['Content-Type: text/plain', 'Content-Description: Details', 'X-Note: more']));
    expect(v.original).toBeNull();
    expect(v.text).toContain('December letter');
  });
});

describe("a returned message whose folded fields lost their leading white space (round 30)", () => {
  it('splitEntity(lostFolds): a line that is no field, with more fields under it, continues the field above', () => {
    const raw = 'DKIM-Signature: v=1; a=rsa-sha256;\ns=selector1;\nbh=abc=;\nReceived: from a\nby b; Sat, 4\nAug 2018 05:32:25 +0000\nMessage-ID: <m1@example.org>\n\nbody line\n';
    const lenient = splitEntity(raw, false, true);
    expect(lenient.headers['dkim-signature']).toEqual(['v=1; a=rsa-sha256; s=selector1; bh=abc=;']);
    expect(lenient.headers['received']).toEqual(['from a by b; Sat, 4 Aug 2018 05:32:25 +0000']);
    expect(lenient.headers['message-id']).toEqual(['<m1@example.org>']);
    expect(lenient.body).toBe('body line\n');
    // the strict reading (a MIME part's header) ends at the first line that is no field
    expect(Object.keys(splitEntity(raw, false).headers)).toEqual(['dkim-signature']);
    // no field after it: the line is the body's, as before (a header sent without its blank line)
    expect(splitEntity('Subject: x\nHello,\nthis is the body\n', false, true)).toMatchObject({ headers: { subject: ['x'] }, body: 'Hello,\nthis is the body\n' });
  });

  it("a real notice's returned copy with its folds stripped keeps its Message-ID", () => {
    const raw = readFileSync(join(fixturesDir, 'generated/postfix/001-rfc-5.1.1-unknown--failed.eml'), 'latin1');
    const at = raw.search(/^Content-Type: message\/rfc822/im);
    expect(at, 'the fixture returns its original as message/rfc822').toBeGreaterThan(0);
    const stripped = raw.slice(0, at) + raw.slice(at).replace(/\r?\n[ \t]+(?=\S)/g, (m) => m.replace(/[ \t]+$/, ''));
    expect(stripped).not.toBe(raw);
    const before = parseMessageSync(Buffer.from(raw, 'latin1')).original?.messageId;
    expect(before).toMatch(/@sender\.example\.org$/);
    expect(parseMessageSync(Buffer.from(stripped, 'latin1')).original?.messageId).toBe(before);
  });
});

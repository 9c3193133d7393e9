// Family entries whose text a relay re-wrapped (round 29; the metamorphic harness's renamed
// addresses, longer than the originals, + a re-wrap at 72 found them), each against a real
// fixture and the same fixture re-broken. OpenSMTPD lists
// "user@domain: <error>" one per line (bounce.c): a re-wrap may break the error right before a
// word followed by ": " ("rejected: Access denied"), which is the rest of the reply, not an entry
// for an address "rejected". Exim's "  a@x <b@y>: malformed address: ..." (parser.c) broken
// after its colon: the line under it is the entry's message.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { fixturesDir } from '../helpers/env.js';

/**
 * A fixture as it is and with `from` (which must be in it) replaced by each of `to`: the
 * parsed reports, each to answer the same. The fixtures' texts are quoted-printable or CRLF:
 * `from` is written as the file holds it.
 */
function versions(fixture: string, from: string | RegExp, ...to: (string | ((m: string) => string))[]) {
  const raw = readFileSync(join(fixturesDir, fixture), 'latin1');
  expect(typeof from === 'string' ? raw.includes(from) : from.test(raw), `${fixture} still holds what the test re-wraps`).toBe(true);
  const texts = [raw, ...to.map((t) => (typeof t === 'string' ? raw.replace(from, t) : raw.replace(from, t)))];
  return texts.map((t) => parseMessageSync(Buffer.from(t, 'latin1')));
}

describe('OpenSMTPD: an entry whose reply a re-wrap broke before "word: "', () => {
  it('the line under the entry is the rest of its reply (a real OpenSMTPD notice, re-wrapped)', () => {
    const entry = /\nmia2188@example\.net: 550 5\.4\.1 Recipient address rejected: Access denied\. \[[^\]\r\n]+\]\r?\n/;
    for (const report of versions('generated/opensmtpd/014-microsoft-dbeb--failed.eml', entry, (m) => m.replace(' rejected: ', '\r\nrejected: '))) {
      expect(report.detector).toBe('opensmtpd');
      expect(report.recipients.map((r) => [r.finalRecipient, r.diagnosticCode])).toEqual([['mia2188@example.net', expect.stringMatching(/^550 5\.4\.1 Recipient address rejected: Access denied\./)]]);
      expect(classify(report).map((v) => [v.reason, v.hardbounce])).toEqual([['userunknown', true]]);
    }
  });
});

describe('Exim: an entry line that ends in its colon, its message re-wrapped onto the next line', () => {
  it('"  a@x <b@y>:" / "malformed address: <b@y> may not follow a@x" reads as the one-line entry', () => {
    // (the fixture's entry is one line, broken by a quoted-printable soft break)
    const soft = 'kijitora@example.jp <mikeneko@example.jp>: =\r\nmalformed address:';
    for (const report of versions('families-a/exim-malformed.eml', soft, 'kijitora@example.jp <mikeneko@example.jp>:\r\nmalformed address:')) {
      expect(report.detector).toBe('exim');
      expect(report.recipients.map((r) => r.finalRecipient)).toEqual(['mikeneko@example.jp']);
      expect(classify(report).map((v) => v.reason)).toEqual(['syntaxerror']);
    }
  });
});

describe('Exchange: "Server at X (ip)" with "returned \'...\'" re-wrapped onto the next line', () => {
  it('the attempt\'s reply is read whether the break falls after "returned" or before it', () => {
    // (the fixture's attempt is one line, broken by a quoted-printable soft break)
    const soft = "Server at mx.=\r\nexample.jp (192.0.2.1) returned '550 4.4.7";
    for (const report of versions('probes/exchange2007/queue-expired.eml', soft, "Server at mx.example.jp (192.0.2.1)\r\nreturned '550 4.4.7", "Server at mx.example.jp (192.0.2.1) returned\r\n'550 4.4.7")) {
      expect(report.detector).toBe('exchange2007');
      expect(report.recipients.map((r) => [r.finalRecipient, r.diagnosticCode])).toEqual([['kijitora@example.jp', '550 4.4.7 QUEUE.Expired; message expired']]);
      expect(classify(report).map((v) => [v.reason, v.status])).toEqual([['expired', '4.4.7']]);
    }
  });
});

describe('Gmail: "Your message wasn\'t delivered to a@x because ..." re-wrapped at any blank', () => {
  it('the recipient is read whether the break falls before the address, after it or both', () => {
    // (the fixture's sentence is one line, broken by quoted-printable soft breaks)
    const soft = "wasn't delivered to =\r\nkijitora@nonexistent.example because";
    const wraps = ["wasn't delivered to\r\nkijitora@nonexistent.example because", "wasn't delivered to kijitora@nonexistent.example\r\nbecause", "wasn't\r\ndelivered to\r\nkijitora@nonexistent.example\r\nbecause"];
    for (const report of versions('providers/gmail-current-domain-not-found.eml', soft, ...wraps)) {
      expect(report.detector).toBe('gmail');
      expect(classify(report).map((v) => [v.recipient, v.reason, v.status])).toEqual([['kijitora@nonexistent.example', 'hostunknown', '5.1.2']]);
    }
  });
});

describe('Postfix: an entry line broken right after "host", under an entry that ends "(in reply to RCPT TO command)"', () => {
  it('the entry keeps its own reply: "in reply to" is Postfix\'s, no help sentence leading into the next entry', () => {
    // (the fixture's entry is one line, broken by a quoted-printable soft break)
    const soft = '<mikeneko@example.org>: host mx.example.org[192.0.2.20] said: 452=\r\n 4.2.2';
    for (const report of versions('probes/postfix/text-only.eml', soft, '<mikeneko@example.org>: host\r\nmx.example.org[192.0.2.20] said: 452 4.2.2')) {
      expect(classify(report).map((v) => [v.recipient, v.status, v.reason])).toEqual([
        ['kijitora@example.jp', '5.1.1', 'userunknown'],
        ['mikeneko@example.org', '4.2.2', 'mailboxfull'],
      ]);
    }
  });
});

describe('a long address moved to the next line by a re-wrap (round 30)', () => {
  it('Office 365: "Recipient Address:" with its address on the line under it', () => {
    for (const report of versions('families-b/office365-original-message-details.eml', 'Recipient Address:      sabatora@example.com', 'Recipient Address:\nsabatora@example.com')) {
      expect(report.detector).toBe('exchange2007');
      expect(classify(report).map((v) => [v.recipient, v.reason])).toEqual([['sabatora@example.com', 'mailboxfull']]);
    }
  });

  it('Apache James: "RCPT TO: a@x," with the next address alone at the margin', () => {
    for (const report of versions('families-a/apachejames-two-rcpt.eml', 'RCPT TO: kijitora@example.org, mikeneko@example.org', 'RCPT TO: kijitora@example.org,\nmikeneko@example.org')) {
      expect(report.detector).toBe('apachejames');
      expect(report.recipients.map((r) => r.finalRecipient)).toEqual(['kijitora@example.org', 'mikeneko@example.org']);
    }
  });
  it("Postfix: the reply's own quote of a long recipient at the margin, its command below it", () => {
    // (the DSN's Diagnostic-Code holds no command: the text's "(in reply to RCPT TO command)"
    // decides that the unknown user answered RCPT; an address this long no longer fits after
    // "Invalid recipient:" in 76 columns)
    const long = 'first.middle.nora.okafor.last.name.long@users.opensmtpd-recv.test';
    const raw = readFileSync(join(fixturesDir, 'generated/postfix-to-opensmtpd/003-recv-os-unknown-user--failed.eml'), 'latin1').replaceAll('nora_okafor@users.opensmtpd-recv.test', long);
    const entry = `    Invalid recipient: <${long}> (in reply to\r\n    RCPT TO command)`;
    expect(raw).toContain(entry);
    for (const text of [raw, raw.replace(entry, `    Invalid recipient:\r\n<${long}> (in reply to\r\n    RCPT TO command)`)]) {
      const report = parseMessageSync(Buffer.from(text, 'latin1'));
      expect(report.recipients.map((r) => [r.finalRecipient, r.command])).toEqual([[long, 'RCPT']]);
      expect(classify(report).map((v) => [v.reason, v.hardbounce])).toEqual([['userunknown', true]]);
    }
  });
  it('InterScan: "Reason: Unable to deliver message to" with a long address on the line under it', () => {
    // (the sentence above a bare address is read before it, in reading order: the vendor's
    // wording "unable to deliver message to <a@x>" holds across the break)
    const long = 'first.middle.sabatora.last.name.long@neko.example.jp';
    const raw = readFileSync(join(fixturesDir, 'families-a/interscan-unable.eml'), 'latin1').replaceAll('sabatora@neko.example.jp', long);
    const line = `Reason: Unable to deliver message to <${long}>`;
    expect(raw).toContain(line);
    for (const text of [raw, raw.replace(line, `Reason: Unable to deliver message to\r\n<${long}>`)]) {
      const report = parseMessageSync(Buffer.from(text, 'latin1'));
      expect(classify(report).map((v) => [v.recipient, v.reason, v.rule])).toEqual([[long, 'userunknown', 'vendor.trendmicro-unable']]);
    }
  });
  it('Domino: a reason re-wrapped before a long address, its rest at the margin', () => {
    const long = 'first.middle.sabatora.last.name.long@domino.example.com';
    const raw = readFileSync(join(fixturesDir, 'lhost5/domino-french-latin1.eml'), 'latin1').replaceAll('sabatora@domino.example.com', long);
    const reason = `  Utilisateur sabatora (${long}) non =\r\nr=C3=A9pertori=C3=A9 dans l'annuaire Domino`;
    expect(raw).toContain(reason);
    for (const text of [raw, raw.replace(reason, `  Utilisateur sabatora\r\n(${long}) non r=C3=A9pertori=C3=A9 dans\r\nl'annuaire Domino`)]) {
      const report = parseMessageSync(Buffer.from(text, 'latin1'));
      expect(report.detector).toBe('domino');
      expect(classify(report).map((v) => [v.recipient, v.reason, v.rule])).toEqual([[long, 'userunknown', 'vendor.notes-directory']]);
    }
  });
});

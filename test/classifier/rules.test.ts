// One check per rule-table entry: the entry's example must fire that very rule (not an
// earlier one), so adding a broad pattern above an entry breaks a test instead of silently
// shadowing it.
// One check per table entry: the entry's example must be decided by that very entry (not an
// earlier one), so adding a broad phrase above an entry breaks a test instead of silently
// shadowing it. Then the decisions the classifier makes around the tables.
import { describe, expect, it } from 'vitest';
import { classify, decide, innerReply, ruleEntries } from '../../src/classifier/index.js';

const RULES = ruleEntries();
import { compilePhrases, normaliseText, p, phraseSource } from '../../src/classifier/phrase.js';
import { PROVIDERS } from '../../src/classifier/providers/index.js';
import { LAST, STRONG, WEAK } from '../../src/classifier/reasons/index.js';
import { reasonOfStatus, STATUS_REGISTRY } from '../../src/classifier/status.js';
import type { ParsedReport, RecipientReport } from '../../src/report.js';

describe('rule tables', () => {
  it('every entry cites a source', () => {
    for (const r of RULES) expect(r.source.trim().length, r.id).toBeGreaterThan(3);
  });
  it('no wording is listed twice in one table', () => {
    for (const t of [...STRONG, ...WEAK, ...LAST]) {
      const texts = t.phrases.map((x) => x.text);
      expect(new Set(texts).size, t.id).toBe(texts.length);
    }
  });
  it('table ids and provider ids are unique', () => {
    const ids = [...STRONG, ...WEAK, ...LAST].map((t) => t.id).concat(PROVIDERS.map((x) => x.id));
    expect(new Set(ids).size).toBe(ids.length);
  });
  it('no line of a compiled matcher is a multi-kilobyte regex per phrase, and gaps are bounded', () => {
    expect(phraseSource('mailbox * full')).toBe('\\bmailbox.{0,40}?full\\b');
    expect(phraseSource("'s dmarc policy")).toBe("'s dmarc policy\\b");
  });

  for (const rule of RULES) {
    if (rule.id.endsWith('.codes')) {
      it(`${rule.id}: its example carries a known code`, () => {
        const m = decide(rule.example);
        expect(m?.id.startsWith(rule.id.replace(/\.codes$/, '.code-'))).toBe(true);
      });
      continue;
    }
    it(`${rule.id} decides its example: ${rule.example.text || rule.example.status || rule.example.vendorCategory || rule.example.detector || rule.example.replyCode}`, () => {
      const m = decide(rule.example);
      expect(m?.id.split('+')[0]).toBe(rule.id);
      expect(m?.reason).toBe(rule.reason);
    });
  }
});

describe('status registry (RFC 3463 / IANA)', () => {
  it('each registered code with a reason maps to it; unregistered details use the subject', () => {
    for (const e of STATUS_REGISTRY) expect(reasonOfStatus(`5.${e.code}`)?.reason ?? null).toBe(e.reason);
    expect(reasonOfStatus('5.1.99')).toEqual({ reason: 'userunknown', id: 'status.x.1.x' });
    // an X.7 detail the registry does not hold is securityerror (Sisimai's X.7.* fallback), as
    // are 5.7.1 and 5.7.2; their transient twins 4.7.1 / 4.7.2 are a block for now
    expect(reasonOfStatus('4.7.999')).toEqual({ reason: 'securityerror', id: 'status.x.7.x' });
    expect(reasonOfStatus('5.7.1')).toEqual({ reason: 'securityerror', id: 'status.x.7.1' });
    expect(reasonOfStatus('4.7.1')).toEqual({ reason: 'blocked', id: 'status.4.7.1' });
    expect(reasonOfStatus('4.7.2')).toEqual({ reason: 'blocked', id: 'status.4.7.2' });
    // (round 16) as the reason definitions' status table files them (the category is the same)
    expect(reasonOfStatus('5.4.3')?.reason).toBe('systemerror');
    expect(reasonOfStatus('5.5.4')?.reason).toBe('systemerror');
    expect(reasonOfStatus('4.5.3')).toEqual({ reason: 'systemerror', id: 'status.4.5.3' });
    expect(reasonOfStatus('5.5.3')?.reason).toBe('ratelimited');
    // and where following them would name the recipient for the sender's fault, ours stays:
    // RFC 7505's 5.7.27 is the sender's null MX (rejected), never the recipient's domain
    expect(reasonOfStatus('5.7.27')?.reason).toBe('rejected');
    expect(reasonOfStatus('5.0.0')).toBeNull();
    expect(reasonOfStatus('4.5.0')).toBeNull();
  });
});

describe('a registered title without its code (round 20)', () => {
  // the registry's own titles, written as a reply's words with no enhanced code: each reads as
  // its code does. Not the "Other or undefined" titles, nor three whose words the reason tables
  // read under sources of their own: 5.4 "Invalid command arguments" (syntaxerror, RFC 5321's
  // 501), 7.1 "Delivery not authorized, message refused" (the sender's refusal, Sisimai 5
  // Rejected), 7.11 "Encryption required ..." (failedstarttls)
  const OWN_READING = new Set(['5.4', '7.1', '7.11']);
  const titled = STATUS_REGISTRY.filter((e) => e.reason && !/^(?:other|reserved)\b/i.test(e.title) && !['5.1', '5.2', '4.2'].includes(e.code) && !OWN_READING.has(e.code));
  it.each(titled.map((e) => [e.code, e.title]))('550 X.%s "%s" reads as its code', (code, title) => {
    const bare = decide({ text: normaliseText(`550 ${title}`), replyCode: 550 });
    expect(bare?.reason).toBe(reasonOfStatus(`5.${code}`)?.reason);
  });
  it('a 4xx reply with a title reads as the transient code: "450 No answer from host" has expired, "451 Mail system congestion" is a full system', () => {
    expect(decide({ text: normaliseText('450 No answer from host'), replyCode: 450 })?.reason).toBe('expired');
    expect(decide({ text: normaliseText('451 Mail system congestion'), replyCode: 451 })?.reason).toBe('systemfull');
  });
  it('a code that names a cause is never overruled by a title beside it', () => {
    expect(decide({ text: normaliseText('550 5.2.2 Mailing list expansion problem'), status: '5.2.2', replyCode: 550 })?.reason).toBe('mailboxfull');
  });
  it('the sender\'s null MX (X.7.27) is the sender refused, not the recipient\'s domain that takes no mail', () => {
    expect(decide({ text: normaliseText('550 5.7.27 Sender address has null MX'), status: '5.7.27', replyCode: 550 })?.reason).toBe('rejected');
    expect(decide({ text: normaliseText('556 5.1.10 Recipient address has null MX'), status: '5.1.10', replyCode: 556 })?.reason).toBe('notaccept');
  });
});

describe('phrase matching', () => {
  it('matches on word boundaries over normalised text', () => {
    const m = compilePhrases([p('spf', 'RFC 7208'), p('mailbox * full', 'seen: a, b')]);
    expect(m.match(normaliseText('550 DESPF check'))).toBeNull();
    expect(m.match(normaliseText('550 SPF\n  check'))?.phrase.text).toBe('spf');
    expect(m.match(normaliseText('552 Mailbox of x@example.org is FULL'))?.text).toBe('mailbox of x@example.org is full');
    expect(m.match(normaliseText('552 mailbox ' + 'x'.repeat(60) + ' full'))).toBeNull();
  });
  it('a letter and its accent are one letter, on both sides; other scripts keep theirs', () => {
    const m = compilePhrases([p('boite du destinataire pleine', 'Orange'), p("non répertorié dans l'annuaire", 'Domino'), p('ディレクトリ', 'Domino (Japanese)')]);
    expect(m.match(normaliseText('552 5.2.2 Boîte du destinataire pleine'))?.phrase.text).toBe('boite du destinataire pleine');
    expect(m.match(normaliseText("Utilisateur non repertorie dans l'annuaire"))?.phrase.text).toBe("non répertorié dans l'annuaire");
    expect(m.match(normaliseText("Utilisateur NON RÉPERTORIÉ dans l'annuaire"))?.phrase.text).toBe("non répertorié dans l'annuaire");
    expect(m.match(normaliseText('Domino ディレクトリには見つかりません'))?.phrase.text).toBe('ディレクトリ');
    expect(m.match(normaliseText('Domino テイレクトリ'))).toBeNull(); // a voiced mark is not an accent
    expect(normaliseText('Buzón LLENO')).toBe('buzon lleno');
  });
  it('a wording written two ways is one wording: contracted negations, e-mail, mail box (round 21)', () => {
    expect(normaliseText("User doesn't exist; can't deliver, won't retry")).toBe('user does not exist; cannot deliver, will not retry');
    expect(normaliseText('Can not find your E-Mail address in the mail box')).toBe('cannot find your email address in the mailbox');
    expect(normaliseText("Mail-box full. Don't resend")).toBe('mailbox full. do not resend');
    // a reply read the same whichever way its server spells it, at RCPT and with a bare code
    const pairs: Array<[string, string]> = [
      ['550 5.1.1 The email account that you tried to reach does not exist.', "550 5.1.1 The email account that you tried to reach doesn't exist."],
      ["550 Recipient doesn't exist", '550 Recipient does not exist'],
      ['550 Unknown E-Mail address', '550 Unknown email address'],
      ['552 Mail box full', '552 Mailbox full'],
      ["554 Sorry, I couldn't find a mail exchanger or IP address", '554 Sorry, I could not find a mail exchanger or IP address'],
      ["450 Client host rejected: can't find your hostname", '450 Client host rejected: cannot find your hostname'],
      ['451 Could not connect to the remote host', "451 Couldn't connect to the remote host"],
    ];
    for (const [a, b] of pairs) {
      for (const command of ['RCPT', null] as const) {
        const [va] = classify(report([recipient({ diagnosticCode: a, replyCode: Number(a.slice(0, 3)), command })]));
        const [vb] = classify(report([recipient({ diagnosticCode: b, replyCode: Number(b.slice(0, 3)), command })]));
        expect([vb!.reason, vb!.hardbounce, vb!.rule], b).toEqual([va!.reason, va!.hardbounce, va!.rule]);
        expect(va!.rule, a).not.toMatch(/^default|^reply\./);
      }
    }
  });
  it('refuses a phrase without a source or in upper case', () => {
    expect(() => compilePhrases([p('x y', '')])).toThrow(/source/);
    expect(() => compilePhrases([p('Mailbox', 'seen: a, b')])).toThrow(/lower case/);
  });
});

const recipient = (fields: Partial<RecipientReport>): RecipientReport => ({
  finalRecipient: 'a@example.net', originalRecipient: null, action: 'failed', status: null, statusDerived: false,
  replyCode: null, diagnosticType: 'smtp', diagnosticCode: null, remoteMta: null, command: null,
  lastAttemptDate: null, willRetryUntil: null, ...fields,
});
const report = (rs: RecipientReport[], kind: ParsedReport['kind'] = 'bounce'): ParsedReport => ({
  kind, detector: 'test', messageId: null, subject: null, from: null, date: null, reportingMta: null,
  arrivalDate: null, recipients: rs, original: null, feedback: null, autoReply: null, warnings: [],
});

describe('classifier decisions', () => {
  it('specific text beats a generic or guessed status', () => {
    const [v] = classify(report([recipient({ status: '5.0.0', diagnosticCode: '550 mailbox full' })]));
    expect(v).toMatchObject({ reason: 'mailboxfull', rule: 'text.mailboxfull:mailbox-full', status: '5.0.0' });
    expect(v.matched).toEqual({ field: 'diagnosticCode', text: 'mailbox full' });
  });
  it('a specific status beats weak text', () => {
    const [v] = classify(report([recipient({ status: '5.1.1', diagnosticCode: '550 access denied' })]));
    expect(v).toMatchObject({ reason: 'userunknown', rule: 'status.x.1.1', hardbounce: true });
  });
  it('no code in the message: status derived from reply code + reason', () => {
    const [v] = classify(report([recipient({ replyCode: 452, diagnosticCode: '452 mailbox is full', action: 'failed' })]));
    expect(v).toMatchObject({ status: '4.2.2', statusDerived: true, reason: 'mailboxfull', type: 'soft' });
    const [u] = classify(report([recipient({ replyCode: 550, command: 'RCPT', diagnosticCode: '550 no such user here' })]));
    expect(u).toMatchObject({ status: '5.1.1', statusDerived: true, reason: 'userunknown', hardbounce: true, type: 'hard' });
  });
  it('an address in the reply is a name, not a statement: its words decide nothing (issue #13, harm 5)', () => {
    const reason = (diagnosticCode: string) => classify(report([recipient({ status: '5.0.0', replyCode: 550, diagnosticCode })]))[0].reason;
    // a help desk, a sender and a forwarding target whose names hold rule words
    expect(reason('550 Requested action not taken: questions to abuse@blocked.example.org')).not.toBe('blocked');
    expect(reason('550 Requested action not taken for mail from news@spam-reports.example.org')).not.toBe('spamdetected');
    expect(reason('550 Requested action not taken; forwarded copy to desk@nxdomain.example.org')).not.toBe('hostunknown');
    // the same words as statements still decide
    expect(reason('550 Requested action not taken: your host is blocked')).toBe('blocked');
    expect(reason('550 Requested action not taken: nxdomain')).toBe('hostunknown');
    // an address's own words at the edge of a sentence ("... to a@b.example.") stay neutral too
    expect(reason('550 Rejected. Write to the banned.list@example.org.')).not.toBe('blocked');
    // host names: the refusing server's, one at the end of a URL's query
    expect(reason('550 host relay.spam-guard.example.org[192.0.2.1] said: Requested action not taken')).not.toBe('spamdetected');
    expect(reason('550 Requested action not taken, see http://www.example.org/why?s=mfrom;r=blocked.example.net')).not.toBe('blocked');
    // a host name in quotes or with a possessive: Apple's DMARC refusal names the sender's domain
    expect(reason("550 5.7.1 Your message was rejected due to spam-mail.example's DMARC policy. See https://support.apple.com/en-us/HT204137 for details")).toBe('authfailure');
    expect(reason("550 connection to 'mx.nxdomain-mail.example' failed: Connection refused")).not.toBe('hostunknown');
    // dotted words that are no host names still decide (Exchange's resolver codes)
    expect(reason('550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup')).toBe('userunknown');
    // the recipient's own local part, alone (a quoted name, a mailbox's path)
    const [v] = classify(report([recipient({ finalRecipient: 'spam.trap7@example.net', status: '5.0.0', replyCode: 550, diagnosticCode: '550 Requested action not taken: "spam.trap7"' })]));
    expect(v.reason).not.toBe('spamdetected');
    const [w] = classify(report([recipient({ finalRecipient: 'spam.lab@example.net', status: '5.0.0', replyCode: 550, diagnosticCode: '550 cannot deliver to maildir:/srv/mail/spam.lab: No such file or directory' })]));
    expect(w.reason).not.toBe('spamdetected');
  });
  it('a quoted reply about the sender never makes the recipient unknown (issue #13, harm 2)', () => {
    // Postfix's reject_unverified_sender quotes its probe of the sender's own server
    const [v] = classify(report([recipient({ status: '4.1.7', command: 'RCPT', diagnosticCode: '450 4.1.7 <bounce@sender.example>: Sender address rejected: unverified address: host mx.sender.example[192.0.2.9] said: 550 5.1.1 <bounce@sender.example>: User unknown (in reply to RCPT TO command)' })]));
    expect(v).toMatchObject({ reason: 'rejected', hardbounce: false });
    // the same by the outer code alone (X.1.8: bad sender's system address)
    const [w] = classify(report([recipient({ status: '5.1.8', command: 'MAIL', diagnosticCode: '553 5.1.8 <bounce@sender.example>: refused: host mx.sender.example said: 550 5.1.2 Host unknown' })]));
    expect(w).toMatchObject({ hardbounce: false });
    expect(w.reason).not.toBe('hostunknown');
    // a recipient's own verification still reads the inner reply
    const [x] = classify(report([recipient({ status: '4.1.1', command: 'RCPT', diagnosticCode: '450 4.1.1 <a@example.net>: Recipient address rejected: unverified address: host mx.example.net[192.0.2.1] said: 550 5.1.1 <a@example.net>: User unknown (in reply to RCPT TO command)' })]));
    expect(x).toMatchObject({ reason: 'userunknown' });
  });
  it('a refusal of MAIL FROM is about the sender, whatever addressing code it carries', () => {
    for (const [status, text] of [['5.1.1', '550 5.1.1 User unknown'], ['5.1.2', '550 5.1.2 Host unknown'], ['5.1.1', '550 5.1.1 Mailbox does not exist']]) {
      const [v] = classify(report([recipient({ status, command: 'MAIL', diagnosticCode: text })]));
      expect(v).toMatchObject({ reason: 'rejected', hardbounce: false, rule: 'command.mail' });
    }
    // before MAIL FROM (the greeting, HELO/EHLO) the sending host was refused
    const [c] = classify(report([recipient({ status: '5.1.2', command: 'CONNECT', diagnosticCode: '554 5.1.2 Host unknown' })]));
    expect(c).toMatchObject({ reason: 'blocked', hardbounce: false, rule: 'command.connect' });
    const [h] = classify(report([recipient({ status: '5.1.1', command: 'EHLO', diagnosticCode: '550 5.1.1 User unknown' })]));
    expect(h).toMatchObject({ reason: 'blocked', hardbounce: false });
    // the same codes to RCPT TO are the recipient's
    const [r] = classify(report([recipient({ status: '5.1.1', command: 'RCPT', diagnosticCode: '550 5.1.1 User unknown' })]));
    expect(r).toMatchObject({ reason: 'userunknown', hardbounce: true });
  });
  it('X.1.7 / X.1.8 name the sender: an addressing wording beside them is the sender\'s (issue #13, harm 2)', () => {
    // no command reported, and a wording the recipient's tables know ("mailbox unavailable")
    const [v] = classify(report([recipient({ status: '5.1.8', diagnosticCode: '550 5.1.8 Mailbox unavailable' })]));
    expect(v).toMatchObject({ reason: 'rejected', hardbounce: false, rule: 'status.sender-address' });
    const [w] = classify(report([recipient({ status: '5.1.7', diagnosticCode: '553 5.1.7 Address does not exist' })]));
    expect(w).toMatchObject({ reason: 'rejected', hardbounce: false });
    // the words alone, with a recipient's code
    for (const text of ["550 5.1.1 The sender's mailbox does not exist", '550 5.1.2 The domain of the sender address does not exist', "550 The sender's domain does not exist"]) {
      const [x] = classify(report([recipient({ status: text.includes('5.1.2') ? '5.1.2' : '5.1.1', command: 'RCPT', diagnosticCode: text })]));
      expect(x, text).toMatchObject({ reason: 'rejected', hardbounce: false });
    }
    // the same wordings with a recipient's code are the recipient's
    const [y] = classify(report([recipient({ status: '5.1.1', command: 'RCPT', diagnosticCode: '550 5.1.1 Mailbox unavailable' })]));
    expect(y).toMatchObject({ reason: 'userunknown', hardbounce: true });
  });
  it('the sender, its Return-Path or MAIL FROM named as unknown or disabled is never the recipient\'s hard bounce (issue #13, harms 1 and 2)', () => {
    // answered to RCPT TO with no enhanced code: the words alone decide, and they name the sender
    const senders = [
      '550 Sender mailbox unknown', '550 5.1.0 Sender user unknown', '553 Sender address not found in directory',
      '550 The sender does not exist', '550 sender <bounce@sender.example> does not exist', '550 Your address does not exist',
      '550 From address not found', '550 5.1.0 MAIL FROM: user unknown', '550 Return-Path address does not exist',
      '550 invalid return path', '550 5.7.1 Sender account disabled', "550 Sender's account is suspended",
      // the sender's domain: a null MX or a missing domain of the recipient would be hard bounces
      '550 Your domain has no MX record', '550 Sender domain has no MX record', '550 Your domain is not valid',
      '550 The domain in your MAIL FROM does not exist', '550 No such sender',
    ];
    for (const text of senders) {
      const [v] = classify(report([recipient({ command: 'RCPT', diagnosticCode: text })]));
      expect(v, text).toMatchObject({ reason: 'rejected', hardbounce: false });
    }
    // the sender named before any recipient-side wording, not only the listed ones: the noun
    // before the words says whose they are (src/classifier/rules.ts senderIsSubject)
    for (const text of ['550 MAIL FROM <bounce@sender.example>: no such user', '550 Return-Path: mailbox unavailable', '550 Envelope sender: invalid mailbox', '550 Originator: user unknown', '550 5.1.0 Your e-mail account does not exist']) {
      const [v] = classify(report([recipient({ command: 'RCPT', diagnosticCode: text })]));
      expect(v, text).toMatchObject({ reason: 'rejected', hardbounce: false });
      expect(v.rule, text).toMatch(/\+sender$/);
    }
    // "sender" elsewhere in the reply, or a wording that names the recipient, keeps the recipient's reading
    for (const text of ['550 Sender ok; recipient: user unknown', '550 5.1.1 <r@example.net>: Recipient address rejected: User unknown (sender <s@sender.example>)', '550 Sender: recipient unknown']) {
      const [v] = classify(report([recipient({ command: 'RCPT', diagnosticCode: text })]));
      expect(v, text).toMatchObject({ reason: 'userunknown', hardbounce: true });
    }
    // the recipient's own words beside them stay the recipient's
    for (const text of ['550 5.1.0 User unknown', '550 Mailbox unknown', '550 Address does not exist', '550 Account disabled', '550 Domain has no MX record', '550 Domain is not valid']) {
      const [v] = classify(report([recipient({ command: 'RCPT', diagnosticCode: text })]));
      expect(v.reason, text).not.toBe('rejected');
    }
  });
  it('Postfix\'s "Client host rejected:" refuses the sending client: a cause after it decides, a recipient-side wording never does', () => {
    const rcpt = (status: string, text: string) => classify(report([recipient({ status, command: 'RCPT', diagnosticCode: text })]))[0];
    // the prefix alone, or with words no table knows: the client was refused
    for (const text of ['554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: Access denied', '554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: Your network is not welcome here']) {
      expect(rcpt('5.7.1', text), text).toMatchObject({ reason: 'blocked', hardbounce: false });
    }
    // a cause named after it is the cause (a rate is no block list entry; a missing PTR is its own reason)
    expect(rcpt('4.7.1', '450 4.7.1 <x[192.0.2.2]>: Client host rejected: too many connections')).toMatchObject({ reason: 'ratelimited' });
    expect(rcpt('4.7.1', '451 4.7.1 <x[192.0.2.2]>: Client host rejected: Please try again slower')).toMatchObject({ reason: 'ratelimited' });
    expect(rcpt('4.7.1', '450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.2]')).toMatchObject({ reason: 'requireptr' });
    // the recipient's words after it are the client's refusal, not the recipient's mailbox or domain
    for (const text of ['554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: mailbox unavailable', '554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: this domain does not exist']) {
      const v = rcpt('5.7.1', text);
      expect(v, text).toMatchObject({ reason: 'blocked', hardbounce: false });
      expect(v.rule, text).toMatch(/\+client$/);
    }
    // without the prefix the same words stay the recipient's
    expect(rcpt('5.1.1', '550 5.1.1 <r@example.net>: Recipient address rejected: mailbox unavailable')).toMatchObject({ reason: 'userunknown', hardbounce: true });
  });
  it('535 / 530 answer AUTH: "unknown user or bad password" is the sending account, not a recipient', () => {
    const [v] = classify(report([recipient({ replyCode: 535, diagnosticCode: '535 Authentication failed: unknown user or bad password' })]));
    expect(v).toMatchObject({ reason: 'securityerror', hardbounce: false, rule: 'reply.535' });
    const [w] = classify(report([recipient({ replyCode: 550, command: 'RCPT', diagnosticCode: '550 unknown user' })]));
    expect(w).toMatchObject({ reason: 'userunknown' });
    // the code alone, with words that name no cause
    const [x] = classify(report([recipient({ replyCode: 530, diagnosticCode: '530 Please try again' })]));
    expect(x).toMatchObject({ reason: 'securityerror', hardbounce: false, rule: 'reply.530' });
  });
  it('"does not accept mail from <sender>" refuses the sender; "does not accept mail" alone is the host', () => {
    const [v] = classify(report([recipient({ status: '5.7.1', command: 'RCPT', diagnosticCode: '550 5.7.1 Host does not accept mail from this sender' })]));
    expect(v).toMatchObject({ reason: 'rejected', hardbounce: false });
    const [w] = classify(report([recipient({ status: '5.3.2', command: 'RCPT', diagnosticCode: '550 5.3.2 Host does not accept mail' })]));
    expect(w).toMatchObject({ reason: 'notaccept', hardbounce: true });
  });
  it('a HELO refusal is about the sending host, not the recipient domain', () => {
    const [v] = classify(report([recipient({ status: '5.7.1', command: 'RCPT', diagnosticCode: '550 5.7.1 <mta.example.org>: Helo command rejected: Host not found' })]));
    expect(v).toMatchObject({ reason: 'blocked', hardbounce: false });
  });
  it('"user unknown" answered to DATA is a filter', () => {
    const [v] = classify(report([recipient({ status: '5.0.0', command: 'DATA', diagnosticCode: '550 Unknown user x@example.jp' })]));
    expect(v).toMatchObject({ reason: 'filtered', hardbounce: false, category: 'spam' });
  });
  it('notaccept is hard only when permanent', () => {
    expect(classify(report([recipient({ status: '5.1.10', diagnosticCode: '556 domain has null MX' })]))[0]).toMatchObject({ reason: 'notaccept', hardbounce: true });
    expect(classify(report([recipient({ status: '4.3.2', diagnosticCode: '421 not accepting messages' })]))[0]).toMatchObject({ reason: 'notaccept', hardbounce: false });
  });
  it('delayed is pending; non-bounces are none', () => {
    expect(classify(report([recipient({ action: 'delayed', status: '4.4.1' })], 'delay'))[0]).toMatchObject({ type: 'pending', category: 'temporary' });
    expect(classify(report([recipient({ action: 'delivered', status: '2.0.0' })], 'delivered'))[0]).toMatchObject({ reason: 'delivered', type: 'none' });
    expect(classify(report([recipient({})], 'complaint'))[0]).toMatchObject({ reason: 'feedback', type: 'none', category: 'none' });
    expect(classify(report([recipient({})], 'auto_reply'))[0]).toMatchObject({ reason: 'vacation', type: 'none' });
    expect(classify(report([]))).toEqual([]);
  });
  it('vendor-fixed wording is final: no "user unknown without RCPT is a filter" guess', () => {
    const [x] = classify(report([recipient({ diagnosticCode: 'The recipient name is not recognized MSEXCH:IMS:ORG:SITE:MX 0 (000C05A6) Unknown Recipient' })]));
    expect(x).toMatchObject({ reason: 'userunknown', rule: 'msexch.unknown', hardbounce: true });
    const [y] = classify(report([recipient({ diagnosticCode: '550 Unknown user kijitora@example.jp' })]));
    expect(y).toMatchObject({ reason: 'filtered', rule: 'text.userunknown:unknown-user+not-rcpt' });
    const [z] = classify(report([recipient({ status: '5.7.1', diagnosticCode: '553 sorry, your envelope recipient is in my badrcptto list (#5.7.1)' })]));
    expect(z).toMatchObject({ reason: 'filtered' });
  });
  it("a local delivery program's output in a plain-text report is its own, not the remote mailbox's (false hard bounces)", () => {
    // Postfix pipe(8)/local(8), Exim's pipe transport, Sendmail's prog mailer: no x-unix type
    const frames = [
      'Command died with status 1: "/usr/bin/procmail". Command output: procmail: Unknown user "sam"',
      'Child process of address_pipe transport returned 67 (could mean user unknown) from command: /usr/bin/filter',
      'pipe to |/usr/local/bin/filter x@example.jp generated by x@example.jp: no such user',
      '554 5.3.0 unknown mailer error 67: user unknown',
    ];
    for (const diagnosticCode of frames) {
      const [v] = classify(report([recipient({ diagnosticCode })]));
      expect(v, diagnosticCode).toMatchObject({ reason: 'mailererror', hardbounce: false });
    }
    // the same wording from a remote server is still read as the user unknown it says
    const [r] = classify(report([recipient({ command: 'RCPT', replyCode: 550, diagnosticCode: '550 procmail-free: unknown user sam' })]));
    expect(r).toMatchObject({ reason: 'userunknown', hardbounce: true });
  });
  it('a family rule fires only for its detector', () => {
    const text = 'We are writing to let you know that the group may not exist: * a. * b. * c. * d.';
    const r = report([recipient({ diagnosticCode: text })]);
    expect(classify({ ...r, detector: 'googlegroups' })[0]).toMatchObject({ reason: 'rejected', rule: 'family.googlegroups-post' });
    expect(classify(r)[0].reason).not.toBe('rejected');
  });
  it('status + pattern rules need both: 5.4.1 "rejected" is a refusal, 5.4.1 alone a network error', () => {
    expect(classify(report([recipient({ status: '5.4.1', diagnosticCode: '541 5.4.1 Mail rejected by destination domain' })]))[0]).toMatchObject({ reason: 'rejected' });
    expect(classify(report([recipient({ status: '5.4.1', diagnosticCode: '' })]))[0]).toMatchObject({ reason: 'networkerror' });
  });
  it('after MAIL FROM, text that names a cause beats the command', () => {
    const [v] = classify(report([recipient({ command: 'MAIL', status: '5.7.1', diagnosticCode: '550 part of their network is on our block list' })]));
    expect(v).toMatchObject({ reason: 'blocked' });
    const [w] = classify(report([recipient({ command: 'MAIL', status: '5.1.0', diagnosticCode: '550 5.1.0 Not accepted' })]));
    expect(w).toMatchObject({ reason: 'rejected', rule: 'command.mail' });
  });
  it('nothing said at all is undefined; something unrecognized is onhold', () => {
    expect(classify(report([recipient({ diagnosticCode: null })]))[0]).toMatchObject({ reason: 'undefined' });
    expect(classify(report([recipient({ diagnosticCode: 'Something odd happened' })]))[0]).toMatchObject({ reason: 'onhold' });
  });
});

describe('provider conventions and vendor readings', () => {
  it('NTT docomo: "550 Unknown user" to DATA with 5.0.0 is a refusal of the sender; 5.2.0 stays filtered', () => {
    const base = { command: 'DATA', replyCode: 550, diagnosticCode: '550 Unknown user kijitora@docomo.ne.jp', remoteMta: 'mfsmax.docomo.ne.jp' };
    expect(classify(report([recipient({ ...base, status: '5.0.0' })]))[0]).toMatchObject({ reason: 'rejected', rule: 'docomo.data-refused', hardbounce: false });
    expect(classify(report([recipient({ ...base, status: '5.2.0' })]))[0]).toMatchObject({ reason: 'filtered' });
    // the same words from another host: the general reading
    expect(classify(report([recipient({ ...base, status: '5.0.0', remoteMta: 'mx.example.jp' })]))[0]).toMatchObject({ reason: 'filtered', rule: 'text.userunknown:unknown-user+not-rcpt' });
  });
  it('MessageLabs: its 542 is an invalid recipient; the Reporting-MTA is the host when it refused itself', () => {
    const r = report([recipient({ status: '5.0.0', replyCode: 542, diagnosticCode: '542 kijitora@example.com Rejected' })]);
    expect(classify({ ...r, reportingMta: 'server-00.bemta-0.messagelabs.com' })[0]).toMatchObject({ reason: 'userunknown', rule: 'messagelabs.invalid-recipient-542', hardbounce: true });
    expect(classify({ ...r, reportingMta: 'mx.example.net' })[0]).toMatchObject({ reason: 'rejected', rule: 'text.not-accepted:rejected' });
  });
  it('Yahoo [TSS04] is a refusal of the sender at yahoodns.net only; a malformed MX reply is a network error wherever it is reported', () => {
    const tss = { status: '4.7.0', command: 'MAIL', replyCode: 421, diagnosticCode: '421 4.7.0 [TSS04] Messages from 192.0.2.192 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1' };
    expect(classify(report([recipient({ ...tss, remoteMta: 'mta6.am0.yahoodns.net' })]))[0]).toMatchObject({ reason: 'rejected', rule: 'yahoo-host.sender-deferred' });
    expect(classify(report([recipient({ ...tss, remoteMta: '192.0.2.7' })]))[0]).toMatchObject({ reason: 'badreputation' });
    const mx = { status: '5.4.4', diagnosticCode: 'Name service error for name=example.org type=MX: Malformed or unexpected name server reply' };
    // AOL's own reading (notaccept) rested on one file and was removed in round 8 of #13
    expect(classify({ ...report([recipient(mx)]), reportingMta: 'omr-a015e.mx.aol.com' })[0]).toMatchObject({ reason: 'networkerror', hardbounce: false });
    expect(classify({ ...report([recipient(mx)]), reportingMta: 'mx20.example.jp' })[0]).toMatchObject({ reason: 'networkerror' });
  });
  it('au EZweb: a diagnostic typed x-spasign (X-SPASIGN: NG) is its recipient-side filter', () => {
    const r = report([recipient({ diagnosticType: 'x-spasign', diagnosticCode: 'Each of the following recipients was rejected by a remote mail server.' })]);
    expect(classify({ ...r, detector: 'ezweb' })[0]).toMatchObject({ reason: 'filtered', rule: 'family.ezweb-spasign' });
  });
  it("Google: the 'Send mail as' explanation is the sender's setup", () => {
    const [v] = classify(report([recipient({ status: null, diagnosticCode: "Unspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability You're sending this from a different address or alias using the 'Send mail as' feature." })]));
    expect(v).toMatchObject({ reason: 'rejected', rule: 'google.send-mail-as', category: 'policy' });
  });
  it('a vendor category beats the text and the "user unknown without RCPT" guess', () => {
    const [v] = classify(report([recipient({ status: '5.0.0', vendorCategory: 'powermta:bad-mailbox', diagnosticCode: "554 delivery error: dd This user doesn't have a example.com account" })]));
    expect(v).toMatchObject({ reason: 'userunknown', rule: 'category.bad-mailbox', hardbounce: true });
    const [u] = classify(report([recipient({ status: '5.0.0', vendorCategory: 'powermta:other', diagnosticCode: '550 mailbox full' })]));
    expect(u).toMatchObject({ reason: 'mailboxfull', rule: 'text.mailboxfull:mailbox-full' });
  });
});

describe('harms of issue 13 that live in the classifier', () => {
  const one = (fields: Partial<RecipientReport>, extra: Partial<ParsedReport> = {}) => classify({ ...report([recipient(fields)]), ...extra })[0];

  it('(2) a bare 551 is not a moved mailbox; 551 with the forward path is (RFC 5321 §3.4)', () => {
    const bare = one({ replyCode: 551, command: 'RCPT', diagnosticCode: '551 User not local' });
    expect(bare.reason).not.toBe('hasmoved');
    expect(bare.hardbounce).toBe(false);
    const fwd = one({ replyCode: 551, command: 'RCPT', diagnosticCode: '551 User not local; please try <neko@example.org>' });
    expect(fwd).toMatchObject({ reason: 'hasmoved', rule: 'reply.551-forward-path', hardbounce: true });
  });
  it('(5) a 451 whose text and enhanced code name no cause is a local error in processing (RFC 5321 §4.2.3)', () => {
    const drd = '451 Could not handle rcpt (a@example.com) for domain (example.com)';
    expect(one({ replyCode: 451, status: '4.0.0', command: 'RCPT', diagnosticCode: drd })).toMatchObject({ reason: 'systemerror', rule: 'reply.451', hardbounce: false, type: 'soft' });
    expect(one({ replyCode: 451, status: null, diagnosticCode: drd })).toMatchObject({ reason: 'systemerror', rule: 'reply.451' });
    // the enhanced code speaks first: a transient 4.3.0 "try again later" names no cause
    expect(one({ replyCode: 451, status: '4.3.0', diagnosticCode: '451 4.3.0 Please try again later' }).reason).toBe('onhold');
    // greylisting says so in its text or its 4.7.x code, and is read before the basic code
    expect(one({ replyCode: 451, status: '4.7.1', diagnosticCode: '451 4.7.1 Greylisting in action, please come back later' }).reason).not.toBe('systemerror');
    expect(one({ replyCode: 451, status: '4.0.0', diagnosticCode: '451 Greylisted, please try again in 300 seconds' }).reason).not.toBe('systemerror');
    // other basic codes are overloaded in practice and decide nothing alone
    expect(one({ replyCode: 554, status: '5.0.0', diagnosticCode: '554 Could not handle rcpt' }).reason).toBe('onhold');
    // (round 15) a cause in the words decides whatever the code: the domain's routing data could
    // not be loaded (Sisimai 5 SystemError)
    expect(one({ replyCode: 554, status: '5.0.0', diagnosticCode: '554 Could not load DRD for domain (example.com)' })).toMatchObject({ reason: 'systemerror', rule: 'text.systemerror:could-not-load-drd-for-domain' });
  });
  it('"Service unavailable" (RFC 5321 §4.2.2 texts) decides only what the command and the enhanced code leave open', () => {
    // a refusal of our MAIL FROM, and a policy code: both name the cause before the stock words
    const mail = one({ status: '5.7.1', command: 'MAIL', diagnosticCode: '550 5.7.1 Service unavailable; we do not accept mail from news@sender.example' });
    expect(mail).toMatchObject({ reason: 'rejected', rule: 'text.rejected:not-accept-mail-from', hardbounce: false });
    const policy = one({ status: '5.7.1', diagnosticCode: '550 5.7.1 Service unavailable' });
    expect(policy.reason).toBe('securityerror');
    // with nothing else said, the server's own words are all there is
    expect(one({ status: null, diagnosticCode: '421 Service unavailable, closing transmission channel' }).reason).toBe('systemerror');
    expect(one({ status: '4.0.0', diagnosticCode: '451 4.0.0 Service temporarily unavailable' }).reason).toBe('systemerror');
  });
  it('(2) a policy refusal at RCPT is not an unknown mailbox; Microsoft DBEB (5.4.1) is', () => {
    // Postfix access(5) on the recipient: per-recipient filtering (RFC 3463 X.7.1), not the
    // sending host (that check says "Client host rejected"); DEFER gives 450 4.7.1, the same
    const policy = one({ status: '5.7.1', command: 'RCPT', diagnosticCode: '554 5.7.1 <a@example.net>: Recipient address rejected: Access denied' });
    expect(policy).toMatchObject({ reason: 'filtered', hardbounce: false });
    expect(one({ status: '4.7.1', command: 'RCPT', diagnosticCode: '450 4.7.1 <a@example.net>: Recipient address rejected: Access denied' })).toMatchObject({ reason: 'filtered', hardbounce: false });
    expect(one({ status: '5.7.1', command: 'RCPT', diagnosticCode: '554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: Access denied' }).reason).toBe('blocked');
    const dbeb = one({ status: '5.4.1', command: 'RCPT', diagnosticCode: '550 5.4.1 Recipient address rejected: Access denied. AS(201806281)' });
    expect(dbeb).toMatchObject({ reason: 'userunknown', rule: 'microsoft.dbeb-access-denied', hardbounce: true });
  });
  it('(2) a local delivery program\'s error is a mailer error, never an unknown user', () => {
    // a program's own words "user unknown" with any exit status but EX_NOUSER (here 1: 5.3.0)
    const v = one({ status: '5.3.0', diagnosticType: 'x-unix', diagnosticCode: 'Command died with status 1: "/usr/bin/procmail". Command output: User unknown' });
    expect(v).toMatchObject({ reason: 'mailererror', hardbounce: false });
    // (gen7) EX_NOUSER 67 is the program's documented "addressee unknown" (sysexits.h): Postfix
    // pipe(8)/local(8) report it as 5.1.1 "user unknown" (sys_exits.c), as the receiving Postfix
    // of fixtures/generated/*-to-mda/ does for procmail -d, maildrop -d and mailutils' mda
    const nouser = one({ status: '5.1.1', diagnosticType: 'x-unix', diagnosticCode: 'procmail: Unknown user "omar5122"' });
    expect(nouser).toMatchObject({ reason: 'userunknown', rule: 'status.x.1.1-local', hardbounce: true });
    // a program that could not create the mailbox (EX_CANTCREAT, 5.2.0) or is unavailable (EX_UNAVAILABLE, 5.3.0) stays a mailer error
    expect(one({ status: '5.2.0', diagnosticType: 'x-unix', diagnosticCode: 'procmail: Error while writing to "/var/mail/x"' }).reason).toBe('mailererror');
    expect(one({ status: '5.3.0', diagnosticType: 'x-unix', diagnosticCode: 'putmail: cannot open mailbox maildir:/srv/mail/x: No such file or directory' })).toMatchObject({ reason: 'mailererror', hardbounce: false });
    // the receiving Exim's bounce for a failed pipe transport says only "local delivery failed"
    // (5.0.0), whatever the status: a mailer error (fixtures/generated/*-to-mda, recv-exim-mda-*)
    expect(one({ status: '5.0.0', diagnosticCode: 'local delivery failed' })).toMatchObject({ reason: 'mailererror', hardbounce: false });
    // Postfix local(8) over mailbox_size_limit (EFBIG): x-unix with EX_IOERR's text, mbox_dsn()'s 5.2.2
    expect(one({ status: '5.2.2', diagnosticType: 'x-unix', diagnosticCode: 'input/output error' })).toMatchObject({ reason: 'mailboxfull', rule: 'status.x.2.2-local', hardbounce: false });
    // the same text without the mailbox-full code stays a local mailer's failure
    expect(one({ status: '5.3.0', diagnosticType: 'x-unix', diagnosticCode: 'input/output error' }).reason).toBe('mailererror');
  });
  it('(3) documented unknown-user wordings of large providers are unknown users, whatever the command', () => {
    const gmail = one({ status: '5.0.0', diagnosticCode: "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address" });
    expect(gmail).toMatchObject({ reason: 'userunknown', rule: 'google.no-such-account', hardbounce: true });
    const yahoo = one({ status: '5.0.0', command: 'DATA', diagnosticCode: "554 delivery error: dd This user doesn't have a yahoo.com account (x@yahoo.com) [0] - mta1082.mail.bf1.yahoo.com" });
    expect(yahoo).toMatchObject({ reason: 'userunknown', rule: 'yahoo.no-such-account', hardbounce: true });
    const o365 = one({ status: '5.1.10', diagnosticCode: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup' });
    expect(o365).toMatchObject({ reason: 'userunknown', hardbounce: true });
  });
  it('(5) quota and provider phrasings decide where the text says why', () => {
    expect(one({ status: '4.2.2', diagnosticCode: '452-4.2.2 The email account that you tried to reach is over quota.' })).toMatchObject({ reason: 'mailboxfull' });
    expect(one({ diagnosticCode: 'maildrop: maildir over quota.' })).toMatchObject({ reason: 'mailboxfull' });
    expect(one({ diagnosticCode: '552 Mailbox of kijitora@example.org is FULL' })).toMatchObject({ reason: 'mailboxfull', rule: 'text.mailboxfull:mailbox-is-full' });
  });
  it('(6) provider reply conventions: Cox, Spectrum, GoDaddy, Mimecast, Zoho, Google Workspace', () => {
    expect(one({ diagnosticCode: '554 cox.net Reject. Your IP has been blocked. AUP#CXBL', remoteMta: 'cxr.mx.a.cox.net' })).toMatchObject({ reason: 'blocked', rule: 'cox.code-cxbl' });
    expect(one({ diagnosticCode: '550 5.1.1 <x@cox.net> recipient rejected', remoteMta: 'cxr.mx.a.cox.net', command: 'RCPT' })).toMatchObject({ reason: 'userunknown' });
    expect(one({ diagnosticCode: '550 5.1.1 <x@example.org> recipient rejected', remoteMta: 'mx.example.org', command: 'RCPT' }).reason).not.toBe('userunknown');
    expect(one({ diagnosticCode: '421 4.7.1 Too many connections AUP#I-1310' })).toMatchObject({ reason: 'ratelimited', rule: 'spectrum.code-1310' });
    expect(one({ diagnosticCode: '552 This message has been rejected due to content judged to be spam by the internet community. IB212', remoteMta: 'p3plibsmtp01.prod.phx3.secureserver.net' })).toMatchObject({ reason: 'spamdetected', rule: 'godaddy.code-ib212' });
    expect(one({ diagnosticCode: '550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550', remoteMta: 'eu-smtp-inbound-1.mimecast.com', command: 'RCPT' })).toMatchObject({ reason: 'userunknown', rule: 'mimecast.invalid-recipient' });
    expect(one({ diagnosticCode: '554 5.7.7 Email policy violation detected', remoteMta: 'mx.zoho.com', command: 'DATA' })).toMatchObject({ reason: 'policyviolation', rule: 'zoho.policy' });
    expect(one({ status: '5.2.1', diagnosticCode: '550-5.2.1 The email account that you tried to reach is inactive.' })).toMatchObject({ reason: 'suspend', rule: 'google.account-disabled', hardbounce: false });
  });
  it('(8) nested replies: the inner reply decides, the outer status stays as reported', () => {
    const text = '554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.0 Unable to lookup DNS for example.org>';
    expect(innerReply(normaliseText(text))).toMatchObject({ replyCode: 421, status: '4.4.0' });
    const v = one({ status: '4.4.7', action: 'failed', diagnosticCode: text });
    expect(v).toMatchObject({ reason: 'networkerror', status: '4.4.7', type: 'soft' });
    const ms = one({ status: '5.1.351', diagnosticCode: '550 5.1.351 Remote server returned unknown recipient or mailbox unavailable -> 550 Unknown user x@example.jp' });
    expect(ms).toMatchObject({ reason: 'userunknown', status: '5.1.351', hardbounce: true });
    // (round 27) the same nesting quoted by a plain-text notice, the MTA's own words before the
    // outer reply (Postfix's "host ... said:", Exim's "SMTP error from remote mail server after
    // end of data:"), reads the same
    for (const words of ['<a@example.org>: host mx.example.org[192.0.2.5] said: ', 'SMTP error from remote mail server after end of data: ']) {
      expect(innerReply(normaliseText(words + text))).toMatchObject({ replyCode: 421, status: '4.4.0' });
      expect(one({ status: '4.4.7', action: 'failed', diagnosticCode: words + text })).toMatchObject({ reason: 'networkerror', status: '4.4.7', type: 'soft' });
    }
    // a number in the words is no outer reply, and words about the sender keep the inner reply theirs
    expect(innerReply(normaliseText('Delivery to mx.example.org:465 failed after 450 minutes (421 4.4.2 timed out)'))).toBeNull();
    expect(innerReply(normaliseText('<s@example.net>: Sender address rejected: host mx said: 450 4.1.1 unverified <550 5.1.1 User unknown>'))).toBeNull();
    // the same reply repeated is not nested, nor is a transcript's next reply ("<<<" opens a line, quotes nothing)
    expect(innerReply(normaliseText('554 554 5.7.0 Header error (state 18).'))).toBeNull();
    expect(innerReply(normaliseText('550 5.1.1 <a@example.org>... User unknown <<< 503 5.0.0 Need RCPT (recipient)'))).toBeNull();
    // (round 20) a nested multi-line reply reads without its own line prefixes, as it would alone
    const google = '421-4.7.0 [192.0.2.9] Our system has detected an unusual rate of 421-4.7.0 unsolicited mail originating from your IP address. 421 4.7.0 https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp';
    const alone = one({ status: '4.7.0', action: 'failed', diagnosticCode: google });
    expect(one({ status: '4.4.7', action: 'failed', diagnosticCode: `550 4.4.7 Message expired: unable to deliver in 840 minutes.<${google}>` })).toMatchObject({ reason: alone.reason, rule: alone.rule });
  });
  it('(5) "unknown address" and "address does not exist" in the languages the tables translate X.1.1 into', () => {
    // (round 27) a refusal at RCPT that words it so names a missing mailbox; with no code and no
    // command it reads as the English wording does (the not-RCPT rule)
    for (const words of ['Adresse inconnue', 'Adresse unbekannt', 'Dirección desconocida', 'Indirizzo inesistente', 'Endereço desconhecido', 'Onbekend adres', 'Адрес не существует', '宛先のメールアドレスは存在しません', '收件人不存在']) {
      expect(one({ command: 'RCPT', diagnosticCode: `550 ${words}` }), words).toMatchObject({ reason: 'userunknown', hardbounce: true });
      expect(one({ diagnosticCode: `550 ${words}` }).reason, words).toBe(one({ diagnosticCode: '550 Address unknown' }).reason);
    }
    // a domain that does not exist is no missing mailbox
    expect(one({ command: 'RCPT', diagnosticCode: '550 ドメインは存在しません' }).reason).not.toBe('userunknown');
  });
  it('honest defaults: the status subject and detail decide when the text names no cause', () => {
    expect(one({ status: '5.2.1', diagnosticCode: '550 5.2.1 Sorry' })).toMatchObject({ reason: 'suspend', rule: 'status.x.2.1' });
    expect(one({ status: '5.2.2', diagnosticCode: '552 5.2.2 Sorry' })).toMatchObject({ reason: 'mailboxfull' });
    // (round 16) a permanent 5.7.1 that names no ground is securityerror, as the reason
    // definitions whose names we use read it; the transient 4.7.1 a block for now
    expect(one({ status: '5.7.1', diagnosticCode: '550 5.7.1 Sorry' })).toMatchObject({ reason: 'securityerror', rule: 'status.x.7.1' });
    expect(one({ status: '4.7.1', diagnosticCode: '450 4.7.1 Sorry' })).toMatchObject({ reason: 'blocked', rule: 'status.4.7.1' });
    // a wording that names the ground decides before the code: a DNS block list's zone is such a
    // wording, not a host name to blank (src/host-name.ts)
    expect(one({ status: '5.7.1', diagnosticCode: '550 5.7.1 Rejected: 192.0.2.9 listed at zen.spamhaus.org' })).toMatchObject({ reason: 'blocked', rule: 'text.blocked:spamhaus' });
    expect(one({ status: '5.7.1', diagnosticCode: '554 5.7.1 Rejected: 192.0.2.9 listed at bl.spamcop.net' })).toMatchObject({ reason: 'blocked', rule: 'text.blocked:spamcop' });
    // while a party's host name holding such a word still says nothing
    expect(one({ status: '5.7.1', diagnosticCode: '550 5.7.1 Sorry, see relay.spam-guard.example' })).toMatchObject({ reason: 'securityerror', rule: 'status.x.7.1' });
    expect(one({ status: '5.1.99', diagnosticCode: '550 5.1.99 Sorry' })).toMatchObject({ reason: 'userunknown', rule: 'status.x.1.x' });
    expect(one({ status: '5.0.0', diagnosticCode: '550 5.0.0 Sorry' })).toMatchObject({ reason: 'onhold', rule: 'default.onhold' });
    // (round 16) the last resorts before onhold: RFC 5321's syntax and sequence replies, and a
    // refused HELO / EHLO (the sending host refused); a refused greeting stays undecided
    expect(one({ status: '5.0.0', replyCode: 503, diagnosticCode: '503 Sorry' })).toMatchObject({ reason: 'syntaxerror', rule: 'reply.503' });
    expect(one({ status: '5.0.0', replyCode: 500, diagnosticCode: '500 Sorry' })).toMatchObject({ reason: 'onhold' });
    expect(one({ status: '5.0.0', replyCode: 525, diagnosticCode: '525 Sorry' })).toMatchObject({ reason: 'suspend', rule: 'reply.525', hardbounce: false });
    expect(one({ status: '5.0.0', replyCode: 556, diagnosticCode: '556 Sorry' })).toMatchObject({ reason: 'onhold' });
    expect(one({ status: '5.0.0', replyCode: 550, command: 'EHLO', diagnosticCode: '550 Sorry' })).toMatchObject({ reason: 'blocked', rule: 'command.ehlo' });
    expect(one({ status: '4.0.0', replyCode: 421, command: 'HELO', diagnosticCode: '421 Sorry' })).toMatchObject({ reason: 'blocked', rule: 'command.helo', type: 'soft' });
    expect(one({ status: '5.0.0', replyCode: 554, command: 'CONNECT', diagnosticCode: '554 Sorry' })).toMatchObject({ reason: 'onhold' });
    // a delay notice that names no cause has expired, whatever command it answered
    expect(one({ action: 'delayed', status: '4.0.0', replyCode: 421, command: 'EHLO', diagnosticCode: '421 Sorry' })).toMatchObject({ reason: 'expired', type: 'pending' });
    // a refusal wording the reason definitions give the sender decides beside a code that
    // names no ground (5.7.1 and X.0.0 alike), before the hint "refused"; never against one that names one
    expect(one({ status: '5.7.1', command: 'RCPT', diagnosticCode: '550 5.7.1 Delivery not authorized, message refused' })).toMatchObject({ reason: 'rejected', rule: 'text.policy-refusal:delivery-not-authorized-message-refused' });
    expect(one({ status: '5.0.0', diagnosticCode: '550 Administrative prohibition' })).toMatchObject({ reason: 'rejected', rule: 'text.policy-refusal:administrative-prohibition' });
    expect(one({ status: '5.1.1', diagnosticCode: '550 5.1.1 Administrative prohibition' })).toMatchObject({ reason: 'userunknown', rule: 'status.x.1.1' });
    // what the words or the code say still decides first
    expect(one({ status: '5.0.0', replyCode: 550, command: 'EHLO', diagnosticCode: '550 Too many connections' }).reason).toBe('ratelimited');
    expect(one({ status: '5.5.2', replyCode: 501, command: 'EHLO', diagnosticCode: '501 Sorry' }).reason).toBe('syntaxerror');
    expect(one({ status: '5.0.0', diagnosticCode: null })).toMatchObject({ reason: 'undefined' });
  });
});

describe('round 2 of issue 13: the generated corpus families', () => {
  const one = (fields: Partial<RecipientReport>, extra: Partial<ParsedReport> = {}) => classify({ ...report([recipient(fields)]), ...extra })[0];

  it('a family that never reports the SMTP command (OpenSMTPD) keeps "user unknown" as written', () => {
    const f = { status: '5.0.0', replyCode: 550, diagnosticCode: '550 <a@example.net>: User unknown' };
    expect(one(f, { detector: 'opensmtpd' })).toMatchObject({ reason: 'userunknown', hardbounce: true, rule: 'text.userunknown:user-unknown' });
    // a family that would have said RCPT: no command is the labels' filter reading
    expect(one(f, { detector: 'rfc3464' })).toMatchObject({ reason: 'filtered', hardbounce: false });
    // a stated DATA is a filter whatever the family
    expect(one({ ...f, command: 'DATA' }, { detector: 'opensmtpd' })).toMatchObject({ reason: 'filtered' });
  });
  it("Exim's generic Status 5.0.0 beside a 421 that expired is a transient failure", () => {
    const text = '421 resimta.example comcast 192.0.2.1 Too many sessions opened. Please see http://postmaster.comcast.net/smtp-error-codes.php#RL000001: retry timeout exceeded';
    expect(one({ status: '5.0.0', replyCode: 421, diagnosticCode: text })).toMatchObject({ reason: 'ratelimited', type: 'soft', status: '5.0.0' });
    // a 4.0.0 beside a 5xx stays the reporting MTA's transient reading
    expect(one({ status: '4.0.0', replyCode: 554, diagnosticCode: '554 Blocked - see https://example.org/dnsbl' })).toMatchObject({ type: 'soft' });
    // and a plain 5.0.0 with a 5xx reply is permanent
    expect(one({ status: '5.0.0', replyCode: 550, diagnosticCode: '550 5.0.0 Sorry' })).toMatchObject({ type: 'hard' });
  });
  it('an expiry with no code and no permanent reply is transient (derived 4.4.7)', () => {
    expect(one({ diagnosticCode: 'retry timeout exceeded' })).toMatchObject({ reason: 'expired', type: 'soft', status: '4.4.7', statusDerived: true });
    expect(one({ status: '5.0.0', diagnosticCode: 'host 192.0.2.3 [192.0.2.3] retry timeout exceeded' })).toMatchObject({ reason: 'expired', type: 'soft' });
  });
  it('the cause a server names beats the expiry note after it', () => {
    expect(one({ status: '4.3.1', replyCode: 452, diagnosticCode: '452 4.3.1 Insufficient system storage: retry timeout exceeded' })).toMatchObject({ reason: 'systemfull', rule: 'text.systemfull:insufficient-system-storage' });
  });
  it('a host that does not answer: 4.4.1 and a refused TCP connection are expired; "refused by <host>" is blocked', () => {
    expect(reasonOfStatus('4.4.1')).toEqual({ reason: 'expired', id: 'status.4.4.1' });
    expect(reasonOfStatus('5.4.1')).toMatchObject({ reason: 'networkerror' });
    expect(one({ action: 'delayed', status: '4.4.1', diagnosticCode: 'connect to 192.0.2.2[192.0.2.2]:25: Connection refused' })).toMatchObject({ reason: 'expired', type: 'pending' });
    expect(one({ status: '4.4.1', diagnosticCode: 'connect to 192.0.2.2[192.0.2.2]:25: Connection refused' })).toMatchObject({ reason: 'expired', type: 'soft', hardbounce: false });
    expect(one({ status: '4.4.7', diagnosticCode: 'Deferred: Connection refused by mx.example.org.' })).toMatchObject({ reason: 'blocked', rule: 'text.blocked-connection:connection-refused-by' });
    expect(one({ action: 'delayed', status: '4.0.0', diagnosticCode: 'Network error on destination MXs' })).toMatchObject({ reason: 'networkerror' });
  });
  it('a transient "other or undefined" status (4.3.0, 4.7.0) names no cause; its permanent twin does', () => {
    for (const st of ['4.3.0', '4.7.0']) expect(reasonOfStatus(st), st).toBeNull();
    expect(reasonOfStatus('4.4.0')).toMatchObject({ reason: 'networkerror' });
    expect(reasonOfStatus('5.3.0')).toMatchObject({ reason: 'systemerror' });
    expect(reasonOfStatus('5.7.0')).toMatchObject({ reason: 'securityerror' });
    expect(one({ status: '4.3.0', replyCode: 451, diagnosticCode: '451 4.3.0 This message could not be delivered. Please try again later.' })).toMatchObject({ reason: 'onhold', type: 'soft' });
    // the text still decides when it names a cause
    expect(one({ status: '4.3.0', replyCode: 451, diagnosticCode: '451 4.3.0 Error: queue file write error' })).toMatchObject({ reason: 'systemerror' });
  });
  it('reputation stated as the cause is badreputation (Cisco SBRS); Spectrum AUP#1260 is its IPv6 code', () => {
    const sbrs = "554 Your access to this mail system has been rejected due to the sending MTA's poor reputation.";
    expect(one({ replyCode: 554, diagnosticCode: sbrs })).toMatchObject({ reason: 'badreputation' });
    expect(one({ status: '5.7.1', diagnosticCode: '554 5.7.1 - ERROR: Mail refused - <192.0.2.1> - See http://www.spamhaus.org/query/bl?ip=192.0.2.1 AUP#1260' })).toMatchObject({ reason: 'networkerror', rule: 'spectrum.code-1260' });
    expect(one({ status: '5.7.1', diagnosticCode: '554 5.7.1 Your IP address has been blocked AUP#I-1220' })).toMatchObject({ reason: 'blocked' });
  });
});

describe('round 11 of issue 13: deferrals, the other SPF results, a virtual table', () => {
  const one = (fields: Partial<RecipientReport>, extra: Partial<ParsedReport> = {}) => classify({ ...report([recipient(fields)]), ...extra })[0];
  it('X.2.4, a list or alias the receiver could not expand, is an error on its side (systemerror), not a refusal', () => {
    expect(reasonOfStatus('5.2.4')).toEqual({ reason: 'systemerror', id: 'status.x.2.4' });
    // OpenSMTPD's reply for an address its virtual table has no entry for
    const v = one({ status: '5.2.4', command: 'RCPT', diagnosticCode: '524 5.2.4 Mailing list expansion problem: <a@virtual.example.net>' });
    expect(v).toMatchObject({ reason: 'systemerror', hardbounce: false });
    // a transient one is never hard either
    expect(one({ action: 'delayed', status: '4.2.4', diagnosticCode: '450 4.2.4 Mailing list expansion problem' })).toMatchObject({ reason: 'systemerror', hardbounce: false });
  });
  it('policyd-spf\'s SoftFail, PermError and TempError replies are authentication failures, never hard', () => {
    const url = 'Please see http://www.openspf.net/Why?s=mfrom;id=b@softfail.example.org;ip=192.0.2.1;r=a.example.net';
    expect(one({ status: '5.7.23', diagnosticCode: `550 5.7.23 <a@a.example.net>: Recipient address rejected: Message rejected due to: domain owner discourages use of this host. ${url}` })).toMatchObject({ reason: 'authfailure', hardbounce: false });
    expect(one({ status: '5.7.24', diagnosticCode: `550 5.7.24 <a@a.example.net>: Recipient address rejected: Message rejected due to: SPF Permanent Error: Unknown mechanism found: inlcude:_spf.example.org. ${url}` })).toMatchObject({ reason: 'authfailure', hardbounce: false });
    expect(one({ action: 'delayed', status: '4.7.24', diagnosticCode: `450 4.7.24 <a@a.example.net>: Recipient address rejected: Message deferred due to: SPF Temporary Error: DNS Timeout. ${url}` })).toMatchObject({ reason: 'authfailure', hardbounce: false });
    // Exim's delay notice keeps only the first words of the reply: the code alone decides
    expect(one({ action: 'delayed', status: '4.7.24', diagnosticCode: '450 4.7.24 <a@a.example.net>: R' })).toMatchObject({ reason: 'authfailure' });
  });
  it('Exim\'s expiry note after a reply with an enhanced code: the reply decides when it names a cause', () => {
    // rspamd's greylisting, given up on by Exim: 4.7.1 (X.7.1) is the cause, as Postfix's report of the same reply reads
    expect(one({ status: '5.0.0', replyCode: 451, diagnosticCode: '451 4.7.1 Try again later: retry timeout exceeded' })).toMatchObject({ reason: 'blocked', hardbounce: false });
    expect(one({ status: '5.0.0', replyCode: 450, diagnosticCode: '450 4.7.24 <a@a.example.net>: Recipient address rejected: Message deferred due to: SPF Temporary Error: DNS Timeout: retry timeout exceeded' })).toMatchObject({ reason: 'authfailure' });
    // a reply that names no cause (4.3.0, 4.7.0 "try again later") leaves the note to decide
    expect(one({ status: '5.0.0', replyCode: 451, diagnosticCode: '451 4.3.0 Please try again later: retry timeout exceeded' })).toMatchObject({ reason: 'expired', hardbounce: false });
    expect(one({ status: '5.0.0', replyCode: 421, diagnosticCode: '421 4.7.0 Try again later, closing connection: retry timeout exceeded' })).toMatchObject({ reason: 'expired' });
    // without an enhanced code the basic reply code does not outweigh the note
    expect(one({ status: '5.0.0', replyCode: 451, diagnosticCode: '451 Try again later: retry timeout exceeded' })).toMatchObject({ reason: 'expired' });
    expect(one({ status: '5.0.0', diagnosticCode: 'host 192.0.2.3 [192.0.2.3]: retry timeout exceeded' })).toMatchObject({ reason: 'expired' });
  });
});

describe('round 28 of issue 13: a resolver failure the text calls temporary', () => {
  const one = (fields: Partial<RecipientReport>) => classify(report([recipient(fields)]))[0];
  it('with no code and no permanent reply, a failed notice of it is transient (soft), as its DSN (4.4.3) says; a permanent reply or code stays hard', () => {
    // Postfix's plain notice for a domain whose MX look-up kept failing until the message expired
    const text = 'Host or domain name not found. Name service error for name=example.org type=MX: Host not found, try again';
    expect(one({ diagnosticCode: text })).toMatchObject({ reason: 'networkerror', status: '4.4.0', statusDerived: true, hardbounce: false, type: 'soft' });
    expect(one({ diagnosticCode: 'temporary lookup failure' })).toMatchObject({ reason: 'networkerror', type: 'soft' });
    // a 5xx reply or a specific permanent code is the receiver's or the MTA's decision
    expect(one({ replyCode: 550, diagnosticCode: `550 ${text}` })).toMatchObject({ reason: 'networkerror', type: 'hard' });
    expect(one({ status: '5.4.4', diagnosticCode: text })).toMatchObject({ type: 'hard' });
    // DNS trouble the text does not call temporary keeps the notice's own class
    expect(one({ diagnosticCode: 'Unrouteable mail domain "example.org"' })).toMatchObject({ reason: 'networkerror', status: '5.4.0', type: 'hard' });
    // the domain found missing is no network trouble at all
    expect(one({ diagnosticCode: 'Host or domain name not found. Name service error for name=example.org type=A: Host not found' })).toMatchObject({ reason: 'hostunknown', type: 'hard' });
  });
});

describe('round 29 of issue 13: a scanning banner below the notice\'s text', () => {
  const one = (fields: Partial<RecipientReport>) => classify(report([recipient(fields)]))[0];
  const banners = [
    'This message has been scanned for viruses and dangerous content by MailScanner, and is believed to be clean.',
    'This email has been scanned for spam and viruses by Proofpoint Essentials.',
    'This email has been checked for viruses by Avast antivirus software.',
    'No virus found in this message. Checked by AVG - www.avg.com',
  ];
  it('its words ("spam", "virus found") are no reason for the failure', () => {
    for (const banner of banners) {
      expect(one({ diagnosticCode: `Message could not be delivered for too long. ${banner}` }), banner).toMatchObject({ reason: 'expired' });
      expect(one({ diagnosticCode: `The email account that you tried to reach does not exist. ${banner}` }), banner).toMatchObject({ reason: 'userunknown', hardbounce: true });
    }
  });
  it('a refusal that reports what the scan found keeps its words', () => {
    expect(one({ diagnosticCode: 'This message has been scanned and found to be infected with W32/Netsky.P.' })).toMatchObject({ reason: 'virusdetected' });
    expect(one({ diagnosticCode: '550 This message has been scanned by our gateway and is infected with Eicar-Test-Signature' })).toMatchObject({ reason: 'virusdetected' });
    expect(one({ diagnosticCode: '550 5.7.1 Virus found: Eicar-Test-Signature' })).toMatchObject({ reason: 'virusdetected' });
    expect(one({ diagnosticCode: '550 5.7.1 This message has been checked and was rejected as spam' })).toMatchObject({ reason: 'spamdetected' });
  });
});

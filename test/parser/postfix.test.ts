// Real Postfix 3.7.11 DSNs captured on this machine (fixtures/postfix/, copied from
// ../shared/postfix/fixtures): every per-recipient field must come out exactly.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessage } from '../../src/parser/index.js';
import { dsn } from '../helpers/ndr-builders.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/postfix/${name}`, import.meta.url));

describe('Postfix DSNs (fixtures/postfix)', () => {
  it('s01 local unknown user: X-Postfix diagnostic, per-message block', async () => {
    const r = await parseMessage(fixture('s01-local-unknown--failed.eml'));
    expect(r.kind).toBe('bounce');
    expect(r.detector).toBe('rfc3464');
    expect(r.reportingMta).toBe('mta.test');
    expect(r.arrivalDate).toBe('Mon, 23 Nov 2026 02:44:40 +0000 (UTC)');
    expect(r.subject).toBe('Undelivered Mail Returned to Sender');
    expect(r.messageId).toBe('20261123024440.F22D6216084@mta.test');
    expect(r.original?.messageId).toBe('179540188094.23805.8146594009921628048.s01-local-unknown@sender.test');
    expect(r.recipients).toEqual([
      {
        finalRecipient: 'nosuchuser@mta.test',
        originalRecipient: 'nosuchuser@mta.test',
        action: 'failed',
        status: '5.1.1',
        statusDerived: false,
        replyCode: null,
        diagnosticType: 'x-postfix',
        diagnosticCode: 'unknown user: "nosuchuser"',
        remoteMta: null,
        command: null,
        lastAttemptDate: null,
        willRetryUntil: null,
      },
    ]);
    const [v] = classify(r);
    expect(v).toMatchObject({ reason: 'userunknown', hardbounce: true, type: 'hard', category: 'unknown_user', status: '5.1.1' });
  });

  it('s02 remote 550 at RCPT: folded Diagnostic-Code unfolded, reply code and command', async () => {
    const r = await parseMessage(fixture('s02-remote-rcpt550--failed.eml'));
    expect(r.recipients).toHaveLength(1);
    expect(r.recipients[0]).toMatchObject({
      finalRecipient: 'rcpt-550-5.1.1@reject.test',
      action: 'failed',
      status: '5.1.1',
      replyCode: 550,
      diagnosticType: 'smtp',
      diagnosticCode: '550 5.1.1 <rcpt-550-5.1.1@reject.test>: Recipient address rejected: User unknown in virtual mailbox table',
      remoteMta: '127.0.0.1',
      command: 'RCPT',
    });
  });

  it('s03 554 after DATA with headers-only original (text/rfc822-headers)', async () => {
    const r = await parseMessage(fixture('s03-remote-data554-hdrs--failed.eml'));
    expect(r.recipients[0]).toMatchObject({ status: '5.7.1', replyCode: 554, command: 'DATA' });
    expect(r.original?.messageId).toBe('179540188098.23805.17941475492564944520.s03-remote-data554-hdrs@sender.test');
    const [v] = classify(r);
    expect(v).toMatchObject({ reason: 'spamdetected', category: 'spam', type: 'hard', hardbounce: false });
  });

  it('s04 552 mailbox full after DATA', async () => {
    const [v] = classify(await parseMessage(fixture('s04-remote-data552--failed.eml')));
    expect(v).toMatchObject({ status: '5.2.2', replyCode: 552, reason: 'mailboxfull', category: 'mailbox_full', type: 'hard', hardbounce: false });
  });

  it('s05 452 delayed -> kind delay, pending; failed with 4.2.2 -> soft', async () => {
    const delayed = await parseMessage(fixture('s05-remote-rcpt452--delayed.eml'));
    expect(delayed.kind).toBe('delay');
    expect(classify(delayed)[0]).toMatchObject({ action: 'delayed', status: '4.2.2', reason: 'mailboxfull', type: 'pending', hardbounce: false });
    const failed = await parseMessage(fixture('s05-remote-rcpt452--failed.eml'));
    expect(failed.kind).toBe('bounce');
    expect(classify(failed)[0]).toMatchObject({ action: 'failed', status: '4.2.2', reason: 'mailboxfull', type: 'soft', category: 'mailbox_full' });
  });

  it('s06 unreachable: delayed then failed with 4.4.1 (expired after retries)', async () => {
    const delayed = classify(await parseMessage(fixture('s06-unreachable--delayed.eml')))[0];
    expect(delayed).toMatchObject({ action: 'delayed', status: '4.4.1', type: 'pending', category: 'temporary' });
    const failed = classify(await parseMessage(fixture('s06-unreachable--failed.eml')))[0];
    expect(failed).toMatchObject({ action: 'failed', status: '4.4.1', type: 'soft', hardbounce: false, category: 'temporary' });
    expect(failed.diagnosticCode).toBe('connect to 127.0.0.1[127.0.0.1]:2599: Connection refused');
  });

  it('s07 three recipient blocks stay three records, in order', async () => {
    const r = await parseMessage(fixture('s07-multi--failed.eml'));
    expect(r.recipients.map((x) => [x.finalRecipient, x.status, x.replyCode])).toEqual([
      ['nosuchuser2@mta.test', '5.1.1', null],
      ['rcpt-550-5.1.1@reject.test', '5.1.1', 550],
      ['rcpt-551-5.1.6@reject.test', '5.1.6', 551],
    ]);
    expect(r.recipients[2].diagnosticCode).toBe('551 5.1.6 <rcpt-551-5.1.6@reject.test>: Rejected by fake remote');
    expect(classify(r).map((v) => [v.reason, v.hardbounce])).toEqual([
      ['userunknown', true],
      ['userunknown', true],
      ['hasmoved', true],
    ]);
  });

  it('s08 success notification (Action: relayed) -> delivered, not a bounce', async () => {
    const r = await parseMessage(fixture('s08-success-notify--relayed.eml'));
    expect(r.kind).toBe('delivered');
    expect(r.recipients[0]).toMatchObject({ finalRecipient: 'ok-notify@accept.test', action: 'relayed', status: '2.0.0' });
    expect(classify(r)[0]).toMatchObject({ reason: 'delivered', type: 'none', category: 'none', hardbounce: false });
  });

  it('s10 large returned message still parses', async () => {
    const r = await parseMessage(fixture('s10-large-full--failed.eml'));
    expect(r.recipients.map((x) => x.finalRecipient)).toEqual(['rcpt-550-5.1.1@reject.test']);
  });

  it('s11 RFC 2047 subject of the original is decoded', async () => {
    const r = await parseMessage(fixture('s11-utf8-subject--failed.eml'));
    expect(r.original?.subject).toBe('Größenangaben für Ihre Bestellung s11-utf8-subject');
    expect(r.recipients[0].finalRecipient).toBe('nosuchuser3@mta.test');
  });

  it('s12 ORCPT kept as originalRecipient, final recipient lower-cased', async () => {
    const r = await parseMessage(fixture('s12-orcpt-rewritten--failed.eml'));
    expect(r.recipients[0]).toMatchObject({ finalRecipient: 'alias.person@mta.test', originalRecipient: 'alias.person@example.org' });
  });

  it('s13 SMTPUTF8: message/global-delivery-status with a utf-8 address', async () => {
    const r = await parseMessage(fixture('s13-smtputf8--failed.eml'));
    expect(r.kind).toBe('bounce');
    expect(r.recipients[0]).toMatchObject({ finalRecipient: 'jürgen@mta.test', status: '5.1.1', diagnosticCode: 'unknown user: "jürgen"' });
  });

  it('a refused greeting ("refused to talk to me") is the CONNECT phase, before any recipient', async () => {
    const raw = readFileSync(new URL('../../fixtures/generated/postfix/144-barracuda-brbl--failed.eml', import.meta.url));
    const r = await parseMessage(raw);
    expect(r.recipients.length).toBeGreaterThan(0);
    for (const x of r.recipients) expect(x.command).toBe('CONNECT');
  });
});

describe('the command a long reply answered (Postfix folds it over as many lines as it needs)', () => {
  // A five-line Gmail reply takes six lines in Postfix's text, "(in reply to RCPT TO command)"
  // on the last; the reader stopped after four (stop 45: 26 recipients of fixtures/generated
  // had no command, though their notices said it).
  it('a Gmail reply of five lines (fixtures/generated, real Postfix 3.7): RCPT', async () => {
    const raw = readFileSync(new URL('../../fixtures/generated/postfix/012-google-nosuchuser--failed.eml', import.meta.url));
    expect(raw.toString('latin1')).toMatch(/\(in reply\r?\n {4}to RCPT TO command\)/);
    const r = await parseMessage(raw);
    expect(r.recipients.map((x) => [x.finalRecipient, x.command])).toEqual([['liam.costa6441@shop.example.org', 'RCPT']]);
  });
  it('a long unknown-user reply with no code of its own is an unknown user at RCPT, not a filter\'s refusal', async () => {
    const reply = [
      '<jane.doe@example.net>: host mx.example.net[192.0.2.25] said: 550-Recipient',
      '    not found. 550-The mailbox you are trying to reach is not known at this',
      '    site. 550-Please check the spelling of the address and try again, or',
      '    550-ask the recipient for a current address. 550-This server does not',
      '    550-forward mail for unknown local parts. 550 See https://example.net/help',
      '    for details. (in reply to RCPT TO command)',
    ].join('\n');
    const raw = await dsn({
      from: 'MAILER-DAEMON@mta.example.org (Mail Delivery System)',
      text: `This is the mail system at host mta.example.org.\n\n${reply}\n`,
      reportingMta: 'mta.example.org',
      recipients: [
        {
          final: 'jane.doe@example.net',
          action: 'failed',
          status: '5.0.0',
          diagnostic: '550-Recipient not found. 550-The mailbox you are trying to reach is not known at this site.',
        },
      ],
    });
    const r = await parseMessage(raw);
    expect(r.recipients[0].command).toBe('RCPT');
    expect(classify(r).map((v) => [v.reason, v.hardbounce])).toEqual([['userunknown', true]]);
  });
});

// Formats of the gen3 round of the generated corpus (issue #13), read in place from
// fixtures/generated: Postfix and Exim with operators' bounce texts (bounce_template_file,
// bounce_message_file / warn_message_file: German, French, a terse corporate one, each naming a
// help-desk address), and the reports of nullmailer (nullmailer-dsn) and Haraka (outbound).
// Expected answers: the documented meaning of the receiver's reply (fixtures/generated/cases.mjs)
// and what each format documents about itself.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';

const dir = fileURLToPath(new URL('../../fixtures/generated/', import.meta.url));
/** The files of one MTA directory whose name has the case (numbering may change on a rerun). */
const files = (mta: string, caseId: string, kind = 'failed') =>
  readdirSync(join(dir, mta)).filter((f) => f.includes(`-${caseId}--${kind}.eml`)).map((f) => `${mta}/${f}`);
const one = (mta: string, caseId: string, kind = 'failed') => {
  const fs = files(mta, caseId, kind);
  expect(fs, `${mta} ${caseId} ${kind}`).toHaveLength(1);
  return fs[0];
};
const parse = (file: string) => parseMessageSync(readFileSync(join(dir, file)));
const verdicts = (file: string) => classify(parse(file)).map((v) => [v.recipient, v.reason, v.hardbounce]);

describe('customised bounce texts: the machine-readable part still decides', () => {
  // the help-desk addresses the texts name (templates.mjs)
  const HELP = /^(it-hilfe|support-messagerie|servicedesk)@/;
  it.each(['postfix-de', 'postfix-fr', 'postfix-corp', 'exim-de', 'exim-corp'])(
    '%s: every file gives records for its failed recipients only, never the help-desk address of the text',
    (mta) => {
      const all = readdirSync(join(dir, mta)).filter((f) => f.endsWith('.eml'));
      expect(all.length).toBeGreaterThan(40);
      for (const f of all) {
        const raw = readFileSync(join(dir, mta, f), 'latin1');
        const r = parse(`${mta}/${f}`);
        expect(r.kind === 'bounce' || r.kind === 'delay', f).toBe(true);
        for (const x of r.recipients) expect(x.finalRecipient, f).not.toMatch(HELP);
        // the texts are the operator's: the recipients are the report's Final-Recipient fields
        const finals = [...raw.matchAll(/^Final-Recipient:\s*rfc822;\s*(\S+)/gim)].map((m) => m[1].toLowerCase());
        expect(r.recipients.map((x) => x.finalRecipient).sort(), f).toEqual([...new Set(finals)].sort());
      }
    },
  );
  it('a German Postfix text with "Charset: utf-8" (bounce(5)): the 8-bit notification is read, the reply is the diagnostic', () => {
    const f = one('postfix-de', 'rfc-5.2.2-full');
    expect(readFileSync(join(dir, f), 'latin1')).toContain('Dies ist das Mailsystem');
    const r = parse(f);
    expect(r.recipients[0]).toMatchObject({ status: '5.2.2', action: 'failed', command: 'RCPT' });
    expect(verdicts(f)).toEqual([[r.recipients[0].finalRecipient, 'mailboxfull', false]]);
  });
  it('Exim with its own bounce_message_file: no "This message was created automatically" sentence, the RFC 3464 part is read (Status 5.0.0, the reply decides)', () => {
    const f = one('exim-corp', 'rfc-5.1.1-unknown');
    const raw = readFileSync(join(dir, f), 'latin1');
    expect(raw).not.toContain('This message was created automatically');
    expect(raw).toContain('Your message was NOT delivered to:');
    const r = parse(f);
    expect(r.detector).toBe('rfc3464');
    expect(verdicts(f)).toEqual([[r.recipients[0].finalRecipient, 'userunknown', true]]);
  });
  it('an Exim delay warning with a translated warn_message_file is a delay, not a failure', () => {
    // (Exim warns more than once while it retries: the first warning)
    const [f] = files('exim-de', 'rfc-4.2.2-full-defer', 'delayed');
    const r = parse(f);
    expect(r.kind).toBe('delay');
    expect(classify(r).map((v) => [v.reason, v.hardbounce, v.type])).toEqual([['mailboxfull', false, 'pending']]);
  });
});

describe('nullmailer (nullmailer-dsn): the command is never stated', () => {
  it('a user-unknown reply without an enhanced code (Status 5.0.0, no command) is userunknown, not "after DATA"', () => {
    const f = one('nullmailer', 'rfc-550-bare-unknown');
    const r = parse(f);
    expect(r.detector).toBe('nullmailer');
    expect(r.recipients[0]).toMatchObject({ status: '5.0.0', command: null, replyCode: 550 });
    expect(verdicts(f)).toEqual([[r.recipients[0].finalRecipient, 'userunknown', true]]);
  });
  it('a refusal after DATA names every recipient with the one reply: each is a record of its own', () => {
    const [f] = readdirSync(join(dir, 'nullmailer')).filter((x) => /-multi-data-\d--failed\.eml$/.test(x));
    const r = parse(`nullmailer/${f}`);
    expect(r.recipients.length).toBe(3);
    expect(new Set(r.recipients.map((x) => x.diagnosticCode)).size).toBe(1);
  });
});

describe('Haraka (outbound): the command is never stated, expiry has no reply of its own', () => {
  it('its default text copies qmail\'s ("Hi. This is the Haraka Mailer program"): read as Haraka, the RFC 3464 part decides', () => {
    const f = one('haraka', 'rfc-550-bare-unknown');
    const r = parse(f);
    expect(r.detector).toBe('haraka');
    expect(r.recipients[0].command).toBeNull();
    expect(verdicts(f)).toEqual([[r.recipients[0].finalRecipient, 'userunknown', true]]);
  });
  it.each(['net-refused', 'net-timeout'])(
    '%s: "Too many failures (Tried all MXs)" after the retries, Haraka\'s own stamp 5.1.2 in the Status: expired and transient, not an unknown host',
    (caseId) => {
      const f = one('haraka', caseId);
      expect(readFileSync(join(dir, f), 'latin1')).toMatch(/^Status: 5\.1\.2 \(550 Tried all MXs /m);
      const r = parse(f);
      expect(r.recipients[0]).toMatchObject({ status: null, diagnosticCode: 'Too many failures (Tried all MXs)', replyCode: null });
      expect(classify(r).map((v) => [v.reason, v.hardbounce, v.type, v.status])).toEqual([['expired', false, 'soft', '4.4.7']]);
    },
  );
  it('an unresolvable domain keeps its own cause (no "Too many failures")', () => {
    const f = one('haraka', 'net-hostunknown');
    const r = parse(f);
    expect(r.recipients[0].diagnosticCode ?? '').not.toContain('Too many failures');
    expect(verdicts(f)).toEqual([[r.recipients[0].finalRecipient, 'hostunknown', true]]);
  });
});

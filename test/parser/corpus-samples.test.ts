// A handful of messages of the public corpus, read IN PLACE from ../shared/corpus (never
// copied into this repository: it is someone else's data set). Skipped when absent.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessage } from '../../src/parser/index.js';

const corpusDir = fileURLToPath(new URL('../../../shared/corpus/public/', import.meta.url));
const present = existsSync(corpusDir);
if (!present) console.warn(`corpus samples SKIPPED: ${corpusDir} not found (../shared is absent)`);
const load = (rel: string) => parseMessage(readFileSync(corpusDir + rel));

describe.skipIf(!present)('corpus samples (../shared/corpus, read in place)', () => {
  it('RFC 3464: per-recipient block with a status comment and Diagnostic-Code', async () => {
    const r = await load('maildir/bsd/rfc3464-03.eml');
    expect(r.kind).toBe('bounce');
    expect(r.detector).toBe('rfc3464');
    expect(r.recipients).toHaveLength(1);
    expect(r.recipients[0]).toMatchObject({ finalRecipient: 'kijitora@example.com', action: 'failed', status: '5.0.0', replyCode: 554 });
    expect(classify(r)[0]).toMatchObject({ reason: 'policyviolation', hardbounce: false, type: 'hard', category: 'policy' });
  });

  it('ARF: seven Original-Rcpt-To fields -> seven complaint records', async () => {
    const r = await load('maildir/bsd/arf-16.eml');
    expect(r.kind).toBe('complaint');
    expect(r.feedback?.feedbackType).toBe('abuse');
    expect(r.recipients.map((x) => x.finalRecipient)).toEqual([
      'kijitora@example.com', 'sironeko@example.com', 'mikeneko@example.com', 'sabatora@example.com',
      'sirokiji@example.org', 'kuroneko@example.com', 'sabineko@example.com',
    ]);
    const vs = classify(r);
    expect(vs.every((v) => v.reason === 'feedback' && v.type === 'none' && !v.hardbounce)).toBe(true);
  });

  it('RFC 3834 auto-reply: recognized, never a bounce', async () => {
    const r = await load('maildir/bsd/rfc3834-01.eml');
    expect(r.kind).toBe('auto_reply');
    expect(r.autoReply).toBe('Auto-Submitted: auto-replied');
    expect(r.recipients.map((x) => x.finalRecipient)).toEqual(['kijitora@example.net']);
    expect(classify(r)[0]).toMatchObject({ reason: 'vacation', type: 'none', category: 'none' });
  });

  it('not a bounce: no bounce record', async () => {
    const r = await load('maildir/not/is-not-bounce-02.eml');
    expect(['unknown', 'auto_reply']).toContain(r.kind);
    expect(classify(r).filter((v) => v.type !== 'none')).toEqual([]);
  });

  it('CR-only (mac) file parses like its LF twin', async () => {
    const mac = await load('maildir/mac/rhost-outlook-01.eml');
    const unix = await load('maildir/bsd/rhost-outlook-01.eml');
    expect(mac.recipients).toEqual(unix.recipients);
    expect(mac.recipients[0]).toMatchObject({ finalRecipient: 'kijitora@example.jp', status: '5.2.2' });
    expect(classify(mac)[0]).toMatchObject({ reason: 'mailboxfull', category: 'mailbox_full', hardbounce: false });
  });

  // regressions of the classifier/parser pass on the public corpus (one per cause)
  it('Sendmail DSN without Diagnostic-Code: the reason is read from the session transcript', async () => {
    const r = await load('maildir/bsd/rfc3464-06.eml');
    expect(r.recipients[0].diagnosticCode).toContain('unknown user: kijitora');
    expect(classify(r)[0]).toMatchObject({ reason: 'userunknown', status: '5.5.0', hardbounce: true });
  });

  it('Status 4.5.0 but "550 5.5.0" from the server: the reply decides the class', async () => {
    const r = await load('maildir/bsd/rhost-franceptt-10.eml');
    expect(r.recipients[0].status).toBe('5.5.0');
  });

  it('a transcript "250 2.1.5 Ok" before "451 4.3.0": the failure code is the status', async () => {
    const r = await load('maildir/bsd/lhost-postfix-75.eml');
    expect(classify(r)[0]).toMatchObject({ status: '4.3.0', reason: 'systemerror' });
  });

  it('Postfix "Delivery report unavailable": a bounce that names no recipient has no record (#13)', async () => {
    // the returned message is addressed to xxxx@wanadoo.fr, but the report never says that
    // this address failed: no record rather than a guess from the returned To
    const r = await load('maildir/bsd/lhost-postfix-64.eml');
    expect(r.kind).toBe('bounce');
    expect(r.recipients).toEqual([]);
    expect(r.warnings).toContain('the delivery-status part names no recipient');
    expect(classify(r)).toEqual([]);
  });

  it('V5 Sendmail "Remote protocol error": the reply of the session with that host', async () => {
    const r = await load('maildir/bsd/lhost-v5sendmail-07.eml');
    const v = classify(r);
    expect(v.find((x) => x.recipient === 'kijitora@example.org')).toMatchObject({ reason: 'blocked' });
    expect(v.find((x) => x.recipient === 'mikeneko@example.org')).toMatchObject({ reason: 'hostunknown' });
    expect(v.find((x) => x.recipient === 'hachiware@example.edu')).toMatchObject({ reason: 'userunknown' });
  });
  it('an address written in mixed case finds its transcript as in lower case (round 30)', async () => {
    // Sendmail's report with no Diagnostic-Code: the failure is in the transcript
    // ("mail.local: unknown user: kijitora"). The list's line held only "<KiJiToRa@EXAMPLE.NET>",
    // compared case-sensitively with the recipient, so the transcript was not read.
    const raw = readFileSync(corpusDir + 'maildir/bsd/rfc3464-06.eml', 'latin1');
    const mixed = raw.replace(/kijitora@example\.net/g, 'KiJiToRa@EXAMPLE.NET');
    expect(mixed).not.toBe(raw);
    for (const text of [raw, mixed]) {
      const r = await parseMessage(Buffer.from(text, 'latin1'));
      expect(r.recipients.map((x) => [x.finalRecipient, x.diagnosticCode?.slice(0, 34)])).toEqual([['kijitora@example.net', 'mail.local: unknown user: kijitora']]);
      expect(classify(r).map((v) => [v.reason, v.hardbounce])).toEqual([['userunknown', true]]);
    }
  });
});

// Formats of the gen5 round of the generated corpus (issue #13, Round 10), read in place from
// fixtures/generated: refusals written by the filters in front of a real receiving Postfix
// (policyd-spf, rspamd as a milter, OpenDMARC as a milter) and by a real receiving OpenSMTPD,
// quoted by the senders' DSNs. Expected answers: the documented meaning of each refusal
// (fixtures/generated/recv-cases.mjs), never what bounced answered. And a real receiving Courier.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';

const dir = fileURLToPath(new URL('../../fixtures/generated/', import.meta.url));
const SENDERS = ['postfix', 'exim', 'sendmail', 'opensmtpd'];
/** The one file of a sender directory whose name has the case (numbering may change on a rerun). */
const one = (mta: string, caseId: string) => {
  const fs = readdirSync(join(dir, mta)).filter((f) => f.includes(`-${caseId}--failed.eml`));
  expect(fs, `${mta} ${caseId}`).toHaveLength(1);
  return `${mta}/${fs[0]}`;
};
const raw = (file: string) => readFileSync(join(dir, file)).toString('latin1');
const verdicts = (file: string) => classify(parseMessageSync(readFileSync(join(dir, file))));
const verdict = (file: string) => {
  const v = verdicts(file);
  expect(v, file).toHaveLength(1);
  return v[0];
};

describe('filters in front of the receiving Postfix, in their stock words', () => {
  it.each(SENDERS)('policyd-spf\'s SPF Fail (%s): 550 5.7.23 "SPF fail - not authorized" is an authentication failure, never hard', (s) => {
    const file = one(`${s}-to-filters`, 'recv-spf-fail');
    expect(raw(file).replace(/\s+/g, ' ')).toMatch(/SPF fail - not authorized/);
    expect(verdict(file)).toMatchObject({ reason: 'authfailure', hardbounce: false });
  });
  it.each(SENDERS)('rspamd\'s GTUBE reject (%s): "554 5.7.1 Gtube pattern" is spam, not a blocked host', (s) => {
    const file = one(`${s}-to-filters`, 'recv-rspamd-gtube');
    expect(raw(file)).toMatch(/Gtube pattern/);
    expect(verdict(file)).toMatchObject({ reason: 'spamdetected', status: '5.7.1', hardbounce: false });
  });
  it.each(SENDERS)('rspamd\'s reject over its score (%s): "554 5.7.1 Spam message rejected" is spam', (s) => {
    const file = one(`${s}-to-filters`, 'recv-rspamd-spam');
    expect(raw(file)).toMatch(/Spam message rejected/);
    expect(verdict(file)).toMatchObject({ reason: 'spamdetected', status: '5.7.1', hardbounce: false });
  });
  it.each(SENDERS)('OpenDMARC\'s p=reject (%s): "rejected by DMARC policy for <domain>" is an authentication failure', (s) => {
    const file = one(`${s}-to-filters`, 'recv-dmarc-reject');
    expect(raw(file)).toMatch(/rejected by DMARC policy for dmarc-reject\.example\.org/);
    expect(verdict(file)).toMatchObject({ reason: 'authfailure', status: '5.7.1', hardbounce: false });
  });
  it.each(SENDERS)('a content refusal after DATA and an SPF refusal at RCPT in one report (%s): each recipient its own reason', (s) => {
    const file = one(`${s}-to-filters`, 'recv-multi-data-1');
    const v = verdicts(file);
    expect(v).toHaveLength(3);
    const spf = v.filter((x) => (x.recipient ?? '').endsWith('@spf.pf-recv.test'));
    expect(spf).toHaveLength(1);
    expect(spf[0]).toMatchObject({ reason: 'authfailure' });
    for (const x of v.filter((y) => !(y.recipient ?? '').endsWith('@spf.pf-recv.test'))) expect(x).toMatchObject({ reason: 'spamdetected', hardbounce: false });
  });
});

describe('the receiving OpenSMTPD, in its stock words', () => {
  it.each(['postfix', 'exim', 'sendmail'])('an unknown local user (%s): "550 Invalid recipient" is an unknown user, hard', (s) => {
    const file = one(`${s}-to-opensmtpd`, 'recv-os-unknown-user');
    expect(raw(file)).toMatch(/550 Invalid recipient/);
    expect(verdict(file)).toMatchObject({ reason: 'userunknown', hardbounce: true });
  });
  it.each(['exim', 'sendmail'])('its size limit after DATA (%s): "554 5.3.4 Message too big for system" is too large, never hard', (s) => {
    const file = one(`${s}-to-opensmtpd`, 'recv-os-size-limit');
    expect(raw(file)).toMatch(/Message too big for system/);
    expect(verdict(file)).toMatchObject({ reason: 'emailtoolarge', hardbounce: false });
  });
});

describe('the receiving Courier, in its stock words', () => {
  it.each(SENDERS)('an unknown account of its local domain (%s): "550 User <user> unknown" is an unknown user, hard', (s) => {
    const file = one(`${s}-to-courier`, 'recv-courier-unknown-user');
    expect(raw(file)).toMatch(/550 User <[^>]+> unknown/);
    expect(verdict(file)).toMatchObject({ reason: 'userunknown', hardbounce: true });
  });
  it.each(SENDERS)('a domain it does not serve (%s): "513 Relaying denied." is no relaying, never hard', (s) => {
    const file = one(`${s}-to-courier`, 'recv-courier-relay-denied');
    expect(raw(file)).toMatch(/513 Relaying denied/);
    expect(verdict(file)).toMatchObject({ reason: 'norelaying', hardbounce: false });
  });
  it('its size limit after DATA (OpenSMTPD, which sends no SIZE=): "523 Message length (N bytes) exceeds administrative limit" is too large', () => {
    const file = one('opensmtpd-to-courier', 'recv-courier-size-limit');
    expect(raw(file)).toMatch(/523 Message length \(\d+ bytes\) exceeds administrative limit/);
    expect(verdict(file)).toMatchObject({ reason: 'emailtoolarge', hardbounce: false });
  });
});

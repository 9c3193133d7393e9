// Formats of the gen6 round of the generated corpus (issue #13, Round 11), read in place from
// fixtures/generated: rspamd's greylisting (with Redis) and policyd-spf's SoftFail, PermError and
// TempError in front of the receiving Postfix, OpenSMTPD's virtual-user table, OpenSMTPD's own
// report at the end of its queue lifetime, and Courier sending to Courier. Expected answers: the
// documented meaning of each reply (fixtures/generated/recv-cases.mjs), never what bounced answered.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';

const dir = fileURLToPath(new URL('../../fixtures/generated/', import.meta.url));
const SENDERS = ['postfix', 'exim', 'sendmail', 'opensmtpd'];
/** The files of a sender directory for a case and kind (numbering may change on a rerun). */
const files = (mta: string, caseId: string, kind: 'failed' | 'delayed') =>
  readdirSync(join(dir, mta)).filter((f) => f.includes(`-${caseId}--${kind}.eml`)).map((f) => `${mta}/${f}`);
const raw = (file: string) => readFileSync(join(dir, file)).toString('latin1').replace(/\s+/g, ' ');
const verdict = (file: string) => {
  const v = classify(parseMessageSync(readFileSync(join(dir, file))));
  expect(v, file).toHaveLength(1);
  return v[0];
};

describe('rspamd\'s greylisting, "451 4.7.1 Try again later"', () => {
  it.each(SENDERS)('the delay notices (%s) read as a deferral of the sending host, never hard', (s) => {
    const fs = files(`${s}-to-filters2`, 'recv-rspamd-greylist', 'delayed').filter((f) => raw(f).includes('Try again later'));
    expect(fs.length, s).toBeGreaterThan(0);
    for (const f of fs) expect(verdict(f), f).toMatchObject({ reason: 'blocked', hardbounce: false });
  });
  it.each(['postfix', 'exim', 'sendmail'])('the final failure (%s): the reply decides, not the expiry (Exim: "...: retry timeout exceeded")', (s) => {
    const [f] = files(`${s}-to-filters2`, 'recv-rspamd-greylist', 'failed');
    expect(raw(f)).toMatch(/451 4\.7\.1 Try again later/);
    expect(verdict(f)).toMatchObject({ reason: 'blocked', hardbounce: false });
  });
  it('OpenSMTPD\'s last report, "Envelope expired" with Action: delayed and 4.4.7, is expired', () => {
    const fs = files('opensmtpd-to-filters2', 'recv-rspamd-greylist', 'delayed').filter((f) => raw(f).includes('Envelope expired'));
    expect(fs).toHaveLength(1);
    expect(verdict(fs[0])).toMatchObject({ reason: 'expired', hardbounce: false });
  });
});

describe('policyd-spf\'s other results', () => {
  it.each(SENDERS)('SoftFail (%s): "550 5.7.23 ... domain owner discourages use of this host" is an authentication failure, never hard', (s) => {
    const [f] = files(`${s}-to-filters2`, 'recv-spf-softfail', 'failed');
    expect(raw(f)).toMatch(/domain owner discourages use of this host/);
    expect(verdict(f)).toMatchObject({ reason: 'authfailure', hardbounce: false });
  });
  it.each(SENDERS)('PermError (%s): "550 5.7.24 ... SPF Permanent Error: Unknown mechanism found" is an authentication failure', (s) => {
    const [f] = files(`${s}-to-filters2`, 'recv-spf-permerror', 'failed');
    expect(raw(f)).toMatch(/SPF Permanent Error: Unknown mechanism found/);
    expect(verdict(f)).toMatchObject({ reason: 'authfailure', hardbounce: false });
  });
  it.each(['postfix', 'exim', 'sendmail'])('TempError given up on (%s): "450 4.7.24 ... SPF Temporary Error: DNS Timeout" is an authentication failure, never hard', (s) => {
    const [f] = files(`${s}-to-filters2`, 'recv-spf-temperror', 'failed');
    expect(raw(f)).toMatch(/450 4\.7\.24/);
    expect(verdict(f)).toMatchObject({ reason: 'authfailure', hardbounce: false });
  });
});

describe('OpenSMTPD\'s virtual-user table: "524 5.2.4 Mailing list expansion problem"', () => {
  it.each(SENDERS)('an address the table has no entry for (%s) reads as its words say: an expansion error, never hard', (s) => {
    const [f] = files(`${s}-to-opensmtpd-virtual`, 'recv-os-virtual-unknown', 'failed');
    expect(raw(f)).toMatch(/Mailing list expansion problem/);
    expect(verdict(f)).toMatchObject({ reason: 'systemerror', hardbounce: false });
  });
});

describe('Courier to the receiving Courier', () => {
  it('Courier\'s own report of the receiver\'s "550 User <user> unknown" is an unknown user, hard', () => {
    const [f] = files('courier-to-courier', 'recv-courier-unknown-user', 'failed');
    expect(raw(f)).toMatch(/550 User <[^>]+> unknown/);
    expect(verdict(f)).toMatchObject({ reason: 'userunknown', hardbounce: true });
  });
  it('and "513 Relaying denied." is no relaying', () => {
    const [f] = files('courier-to-courier', 'recv-courier-relay-denied', 'failed');
    expect(verdict(f)).toMatchObject({ reason: 'norelaying', hardbounce: false });
  });
});

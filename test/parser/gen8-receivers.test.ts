// Formats of the gen8 round of the generated corpus (issue #13, Round 13a), read in place from
// fixtures/generated/<sender>-to-round13a: Cyrus IMAP's lmtpd behind a receiving Postfix (which
// bounces itself), pipe(8) programs killed by a signal, a clamav-milter whose clamd is down,
// qpsmtpd 0.94 and Haraka 3 as receiving servers. Expected answers: the documented meaning of
// each reply (fixtures/generated/recv-cases-gen8.mjs), never what bounced answered.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';

const dir = fileURLToPath(new URL('../../fixtures/generated/', import.meta.url));
const SENDERS = ['postfix-to-round13a', 'exim-to-round13a', 'sendmail-to-round13a', 'opensmtpd-to-round13a'];
// (OpenSMTPD had not given up on the deferred ones when the run ended: delay notices only)
const GAVE_UP = SENDERS.filter((m) => !m.startsWith('opensmtpd'));
const one = (mta: string, caseId: string, kind: 'failed' | 'delayed' = 'failed') => {
  const fs = readdirSync(join(dir, mta)).filter((f) => f.endsWith(`-${caseId}--${kind}.eml`));
  expect(fs, `${mta} ${caseId} ${kind}`).toHaveLength(1);
  return `${mta}/${fs[0]}`;
};
const raw = (file: string) => readFileSync(join(dir, file)).toString('latin1').replace(/\s+/g, ' ');
const verdict = (file: string) => {
  const v = classify(parseMessageSync(readFileSync(join(dir, file))));
  expect(v, file).toHaveLength(1);
  return v[0];
};

describe('Cyrus lmtpd behind the receiving Postfix (its own bounce)', () => {
  it.each(SENDERS)('no mailbox (%s): "550-Mailbox unknown ... 550 5.1.1 User unknown" is an unknown user, hard', (m) => {
    const f = one(m, 'recv-cyrus-unknown');
    expect(raw(f)).toMatch(/550-Mailbox unknown\. +Either there is no mailbox/);
    expect(verdict(f)).toMatchObject({ status: '5.1.1', reason: 'userunknown', hardbounce: true });
  });
  it.each(SENDERS)('over quota (%s): its stock temporary "452 4.2.2 Over quota", then expired by the receiver: mailbox full, not hard', (m) => {
    const f = one(m, 'recv-cyrus-overquota');
    expect(raw(f)).toMatch(/452 4\.2\.2 Over quota/);
    expect(verdict(f)).toMatchObject({ status: '4.2.2', reason: 'mailboxfull', hardbounce: false });
  });
  it.each(SENDERS)('over quota with lmtp_over_quota_perm_failure (%s): "552 5.2.2 Over quota", mailbox full, not hard', (m) => {
    const f = one(m, 'recv-cyrus-overquota-perm');
    expect(raw(f)).toMatch(/552 5\.2\.2 Over quota/);
    expect(verdict(f)).toMatchObject({ status: '5.2.2', reason: 'mailboxfull', hardbounce: false });
  });
});

describe('a pipe(8) delivery program killed by a signal: a mailer error, never hard', () => {
  it.each(SENDERS)('SIGKILL and SIGSEGV (%s): "Command died with signal N", 4.3.0', (m) => {
    for (const [id, n] of [['recv-mda-signal-kill', 9], ['recv-mda-signal-segv', 11]] as const) {
      const f = one(m, id);
      expect(raw(f)).toContain(`Command died with signal ${n}`);
      expect(verdict(f)).toMatchObject({ status: '4.3.0', reason: 'mailererror', hardbounce: false });
    }
  });
});

describe('clamav-milter with OnFail Defer and clamd down', () => {
  it.each(GAVE_UP)('Postfix\'s "451 4.7.1 Service unavailable - try again later" until the queue lifetime ends (%s): soft, never hard', (m) => {
    const f = one(m, 'recv-clamd-down');
    expect(raw(f)).toMatch(/4\.7\.1 Service unavailable - try again later/);
    expect(verdict(f)).toMatchObject({ status: '4.7.1', reason: 'blocked', hardbounce: false, type: 'soft' });
  });
  it.each(SENDERS)('its delay notices (%s): pending, never hard', (m) => {
    // (Exim writes a delay notice at each of its delay_warning times: one or more)
    const delayed = readdirSync(join(dir, m)).filter((x) => x.endsWith('-recv-clamd-down--delayed.eml'));
    expect(delayed.length).toBeGreaterThanOrEqual(1);
    // (OpenSMTPD's last notice, "<a>: Envelope expired", names no reply: expired, README "Corrections")
    for (const d of delayed) expect(verdict(`${m}/${d}`)).toMatchObject({ reason: /Envelope expired/.test(raw(`${m}/${d}`)) ? 'expired' : 'blocked', hardbounce: false, type: 'pending' });
  });
});

describe('qpsmtpd 0.94 with its stock plugins', () => {
  it.each(SENDERS)('badrcptto, rcpt_ok and badmailfrom (%s)', (m) => {
    let f = one(m, 'recv-qp-badrcptto');
    expect(raw(f)).toMatch(/not accepted here \(#5\.1\.1\)/);
    expect(verdict(f)).toMatchObject({ reason: 'userunknown', hardbounce: true });
    f = one(m, 'recv-qp-relay-denied');
    expect(raw(f)).toMatch(/Relaying denied \(#5\.7\.1\)/);
    expect(verdict(f)).toMatchObject({ reason: 'norelaying', hardbounce: false });
    f = one(m, 'recv-qp-badmailfrom');
    expect(raw(f)).toMatch(/Your envelope sender is in my badmailfrom list/);
    expect(verdict(f)).toMatchObject({ reason: 'rejected', hardbounce: false });
  });
  it.each(GAVE_UP)('dnsbl, refused at the greeting (%s)', (m) => {
    const f = one(m, 'recv-qp-dnsbl');
    expect(raw(f)).toMatch(/Listed by the bounced test DNSBL/);
    expect(verdict(f)).toMatchObject({ reason: 'blocked', hardbounce: false });
  });
});

describe('Haraka 3 as a receiving server', () => {
  it.each(SENDERS)('a domain it does not serve, "I cannot deliver mail for <a>" (%s): relaying denied, not hard', (m) => {
    const f = one(m, 'recv-haraka-relay-denied');
    expect(raw(f)).toMatch(/550 I cannot deliver mail for/);
    // (Sendmail writes Status 5.1.1 for a bare 550 to RCPT: its own guess, not the reply's)
    expect(verdict(f)).toMatchObject({ reason: 'norelaying', hardbounce: false });
  });
  it.each(SENDERS)('the access plugin: a blacklisted recipient is filtered, a blacklisted sender rejected (%s)', (m) => {
    let f = one(m, 'recv-haraka-access-rcpt');
    expect(raw(f)).toMatch(/That recipient is not allowed/);
    expect(verdict(f)).toMatchObject({ reason: 'filtered', hardbounce: false });
    f = one(m, 'recv-haraka-access-mail');
    expect(raw(f)).toMatch(/That sender cannot send mail here/);
    expect(verdict(f)).toMatchObject({ reason: 'rejected', hardbounce: false });
  });
});

// Formats of the gen4 round of the generated corpus (issue #13), read in place from
// fixtures/generated: refusals written by real receiving servers (a Postfix with Dovecot LMTP
// and postgrey, an Exim with its default ACL), quoted by the senders' DSNs, and the receiving
// servers' own bounces for mail they accepted and could not deliver.
// Expected answers: the documented meaning of the receiving side (fixtures/generated/recv-cases.mjs).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';

const dir = fileURLToPath(new URL('../../fixtures/generated/', import.meta.url));
const SENDERS = ['postfix', 'exim', 'sendmail', 'opensmtpd'];
/** The one file of a sender directory whose name has the case (numbering may change on a rerun). */
const one = (mta: string, caseId: string, kind = 'failed') => {
  const fs = readdirSync(join(dir, mta)).filter((f) => f.includes(`-${caseId}--${kind}.eml`));
  expect(fs, `${mta} ${caseId} ${kind}`).toHaveLength(1);
  return `${mta}/${fs[0]}`;
};
const raw = (file: string) => readFileSync(join(dir, file));
const verdict = (file: string) => {
  const v = classify(parseMessageSync(raw(file)));
  expect(v, file).toHaveLength(1);
  return v[0];
};

describe('the receiving servers\' own bounces', () => {
  it.each(SENDERS)('Postfix local(8) over mailbox_size_limit (to %s\'s sender): x-unix "input/output error", 5.2.2, is a full mailbox', (s) => {
    const file = one(`${s}-to-postfix`, 'recv-pf-mailbox-size');
    const text = raw(file).toString('latin1');
    // written by the receiving Postfix, not by the sender's MTA
    expect(text).toMatch(/^Reporting-MTA: dns; mx\.postfix-recv\.example/m);
    expect(text).toMatch(/^Diagnostic-Code: x-unix; input\/output error/m);
    expect(verdict(file)).toMatchObject({ reason: 'mailboxfull', status: '5.2.2', hardbounce: false });
  });
  it.each(SENDERS)('Dovecot LMTP over quota behind Postfix (to %s\'s sender): the receiving Postfix\'s bounce quoting 552 5.2.2', (s) => {
    const file = one(`${s}-to-postfix`, 'recv-lmtp-quota');
    expect(raw(file).toString('latin1')).toMatch(/Quota exceeded \(mailbox for user is full\)/);
    expect(verdict(file)).toMatchObject({ reason: 'mailboxfull', status: '5.2.2', hardbounce: false });
  });
});

describe('refusals in the receivers\' stock words', () => {
  it.each(SENDERS)('Postfix access(5) REJECT on the recipient (%s): filtered, never hard, never blocked', (s) => {
    const v = verdict(one(`${s}-to-postfix`, 'recv-pf-access-reject'));
    expect(v).toMatchObject({ reason: 'filtered', hardbounce: false });
  });
  it.each(['postfix', 'exim', 'sendmail'])('address verification through LMTP (%s, final failure): the probe\'s 550 5.1.1 inside the 450 is an unknown user', (s) => {
    const file = one(`${s}-to-postfix`, 'recv-lmtp-verify-unknown');
    expect(raw(file).toString('latin1')).toMatch(/undeliverable address|unverified address/);
    expect(verdict(file)).toMatchObject({ reason: 'userunknown', hardbounce: true });
  });
  it.each(['postfix', 'exim', 'sendmail'])('postgrey\'s deferral (%s): blocked, never hard, on the delay notice and the failure', (s) => {
    for (const kind of ['delayed', 'failed']) {
      const file = readdirSync(join(dir, `${s}-to-postfix`)).filter((f) => f.includes(`-recv-postgrey--${kind}.eml`));
      expect(file.length, `${s} ${kind}`).toBeGreaterThan(0);
      for (const f of file) expect(verdict(`${s}-to-postfix/${f}`)).toMatchObject({ reason: 'blocked', hardbounce: false });
    }
  });
  it.each(SENDERS)('Exim\'s default ACL (%s): "Unknown user" is an unknown user, "relay not permitted" no relaying', (s) => {
    expect(verdict(one(`${s}-to-exim`, 'recv-exim-unknown-user'))).toMatchObject({ reason: 'userunknown', hardbounce: true });
    expect(verdict(one(`${s}-to-exim`, 'recv-exim-relay-denied'))).toMatchObject({ reason: 'norelaying', hardbounce: false });
  });
});

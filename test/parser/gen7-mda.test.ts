// Formats of the gen7 round of the generated corpus (issue #13, Round 12), read in place from
// fixtures/generated: the receiving Postfix's own bounces when a local delivery program behind it
// (pipe(8): procmail, maildrop, mailutils' mda and putmail) fails, ClamAV's clamav-milter refusing
// an infected message with its stock reply, and Debian vacation(1)'s answer. Expected answers:
// the documented meaning of each exit status and reply (fixtures/generated/recv-cases.mjs), never
// what bounced answered.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';

const dir = fileURLToPath(new URL('../../fixtures/generated/', import.meta.url));
// (the receiving Postfix writes the bounce itself: every sender's file is its format)
const MDA_SENDERS = ['postfix-to-mda', 'exim-to-mda', 'sendmail-to-mda'];
const files = (mta: string, caseId: string, kind: 'failed' | 'delayed' | 'autoreply') =>
  readdirSync(join(dir, mta)).filter((f) => f.includes(`-${caseId}--${kind}.eml`)).map((f) => `${mta}/${f}`);
const raw = (file: string) => readFileSync(join(dir, file)).toString('latin1').replace(/\s+/g, ' ');
const verdicts = (file: string) => classify(parseMessageSync(readFileSync(join(dir, file))));
const verdict = (file: string) => {
  const v = verdicts(file);
  expect(v, file).toHaveLength(1);
  return v[0];
};
const one = (mta: string, caseId: string, kind: 'failed' | 'delayed' | 'autoreply' = 'failed') => {
  const fs = files(mta, caseId, kind);
  expect(fs, `${mta} ${caseId}`).toHaveLength(1);
  return fs[0];
};

describe('a local delivery program that exits EX_NOUSER (67): the addressee has no account', () => {
  it.each(MDA_SENDERS)('procmail -d, maildrop -d and mailutils mda (%s): 5.1.1 "user unknown" is an unknown user, hard', (m) => {
    for (const [id, words] of [['recv-mda-procmail-nouser', /procmail: Unknown user/], ['recv-mda-maildrop-nouser', /Invalid user specified/], ['recv-mda-mailutils-nouser', /user unknown/]] as const) {
      const f = one(m, id);
      expect(raw(f)).toMatch(/Status: 5\.1\.1/);
      expect(raw(f)).toMatch(words);
      expect(verdict(f), f).toMatchObject({ reason: 'userunknown', hardbounce: true });
    }
  });
});

describe('the same programs behind the receiving Exim (pipe transports): its own bounce', () => {
  it.each(MDA_SENDERS)('"local delivery failed" (%s), for EX_NOUSER and EX_UNAVAILABLE alike: a mailer error, never hard', (m) => {
    for (const id of ['recv-exim-mda-procmail-nouser', 'recv-exim-mda-putmail-unavailable']) {
      const f = one(m, id);
      expect(raw(f)).toMatch(/local delivery failed/);
      expect(raw(f)).not.toMatch(/returned 6\d/);
      expect(verdict(f), f).toMatchObject({ reason: 'mailererror', hardbounce: false });
    }
  });
});

describe('a local delivery program that fails for another cause: never an unknown user, never hard', () => {
  it.each(MDA_SENDERS)('procmail cannot write the mailbox (%s): EX_CANTCREAT, 5.2.0, a mailer error', (m) => {
    const f = one(m, 'recv-mda-procmail-cantcreat');
    expect(raw(f)).toMatch(/can't create user output file\. Command output: procmail:/);
    expect(verdict(f)).toMatchObject({ status: '5.2.0', reason: 'mailererror', hardbounce: false });
  });
  it.each(MDA_SENDERS)('procmail -t, EX_TEMPFAIL until the queue lifetime ends (%s): 4.3.0, a mailer error', (m) => {
    const f = one(m, 'recv-mda-procmail-tempfail');
    expect(raw(f)).toMatch(/temporary failure\. Command output: procmail:/);
    expect(verdict(f)).toMatchObject({ status: '4.3.0', reason: 'mailererror', hardbounce: false });
  });
  it.each(MDA_SENDERS)('maildrop over its maildir quota, EX_TEMPFAIL until the end (%s): a full mailbox', (m) => {
    const f = one(m, 'recv-mda-maildrop-quota');
    expect(raw(f)).toMatch(/maildrop: maildir over quota/);
    expect(verdict(f)).toMatchObject({ reason: 'mailboxfull', hardbounce: false });
  });
  it.each(MDA_SENDERS)('putmail cannot open the mailbox, EX_UNAVAILABLE (%s): 5.3.0, a mailer error', (m) => {
    const f = one(m, 'recv-mda-putmail-unavailable');
    expect(raw(f)).toMatch(/service unavailable\. Command output: putmail: cannot open mailbox/);
    expect(verdict(f)).toMatchObject({ status: '5.3.0', reason: 'mailererror', hardbounce: false });
  });
});

describe('vacation(1)\'s answer is no bounce', () => {
  it.each(MDA_SENDERS)('the answer sent for the user (%s) gives no failure record', (m) => {
    const f = one(m, 'recv-vacation', 'autoreply');
    // (vacation adds no Auto-Submitted: only the user's message file, the manual's Precedence: bulk)
    expect(raw(f)).toMatch(/Subject: Out of office:/);
    expect(raw(f)).not.toMatch(/Auto-Submitted/i);
    const failures = verdicts(f).filter((v) => v.type === 'hard' || v.type === 'soft' || v.type === 'pending');
    expect(failures).toEqual([]);
  });
});

describe('clamav-milter, OnInfected Reject with its stock reply', () => {
  it.each(['postfix-to-clamav', 'exim-to-clamav', 'sendmail-to-clamav'])('"5.7.1 Command rejected" after DATA (%s) names no cause: read by its code, never hard', (m) => {
    const f = one(m, 'recv-clamav-stock');
    expect(raw(f)).toMatch(/Command rejected/);
    // (round 16: securityerror, the permanent 5.7.1's reading when the words name no ground)
    expect(verdict(f)).toMatchObject({ reason: 'securityerror', hardbounce: false });
  });
});

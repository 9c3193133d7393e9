// Probes of the gen2 helper (issue #13, round 7): message disposition notifications (RFC 8098)
// beside the real Dovecot/Pigeonhole ones of fixtures/generated/dovecot, built by
// fixtures/make-gen2.mjs. A refusal at delivery reported as an MDN "deleted" by automatic action
// (RFC 5429 §2.1, Sieve reject) names one failed recipient, its Final-Recipient, never the
// returned message's To:/Cc: or the sender; an MDN that is a read receipt or a person's deletion
// is no failure at all. Expected answers from the RFCs and Dovecot's documented wording, each
// case says which.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';
import { fixturesDir } from '../helpers/env.js';

const probe = (path: string) => parseMessageSync(readFileSync(join(fixturesDir, 'gen2', path)));

describe('MDN refusals at delivery (fixtures/gen2/mdn, fixtures/make-gen2.mjs)', () => {
  it.each(['sieve-reject.eml', 'sieve-reject-lf.eml', 'sieve-reject-cr.eml'])(
    '%s: a Sieve reject in another implementation\'s words is the recipient\'s filter (RFC 5429 §2.1: filtered, not hard); CRLF, LF, CR alike',
    (file) => {
      const r = probe('mdn/' + file);
      expect(r).toMatchObject({ kind: 'bounce', detector: 'mdn-reject' });
      expect(r.recipients.map((x) => [x.finalRecipient, x.action])).toEqual([['kijitora@example.jp', 'failed']]);
      // the script's reason is in the diagnostic
      expect(r.recipients[0].diagnosticCode).toContain('Please stop sending me the digest.');
      expect(classify(r).map((v) => [v.recipient, v.reason, v.hardbounce])).toEqual([['kijitora@example.jp', 'filtered', false]]);
    },
  );
  it('an over-quota refusal sent as an MDN (Dovecot before 2.3; its quota_exceeded_message) is the mailbox\'s state: mailboxfull, not hard', () => {
    const r = probe('mdn/dovecot-quota.eml');
    expect(r.recipients.map((x) => [x.finalRecipient, x.diagnosticCode])).toEqual([['mikeneko@example.jp', 'Quota exceeded (mailbox for user is full)']]);
    expect(classify(r).map((v) => [v.recipient, v.reason, v.hardbounce, v.status])).toEqual([['mikeneko@example.jp', 'mailboxfull', false, '5.2.2']]);
  });
  it.each([
    ['read-receipt.eml', 'RFC 8098 §3.2.6 "displayed": a read receipt'],
    ['deleted-by-person.eml', 'RFC 8098 §3.2.6 "deleted" by manual-action: a person\'s choice'],
    ['not-read-automatic.eml', 'a client\'s own "Not read" receipt, "deleted" by automatic-action: no refusal is stated'],
  ])('%s is no failure (%s): no record for anybody', (file) => {
    const r = probe('mdn/' + file);
    expect(r.kind).not.toBe('bounce');
    expect(classify(r).filter((v) => v.kind === 'bounce' || v.kind === 'delay')).toEqual([]);
  });
});

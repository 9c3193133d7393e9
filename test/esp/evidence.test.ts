// From provider facts to evidence (src/esp/evidence.ts): the provider's type and reason hints
// on top of the shared classifier, and the hint tables kept honest against it.
import { describe, expect, it } from 'vitest';
import { ruleEntries } from '../../src/classifier/index.js';
import { classifyFacts, decide, toEvidence, type EventFacts, type ReasonHint } from '../../src/esp/evidence.js';
import { MAILGUN_FAILURE_HINTS } from '../../src/esp/mailgun.js';
import { POSTMARK_BOUNCE_TYPES } from '../../src/esp/postmark.js';
import { SENDGRID_CLASSIFICATION_HINTS, sendgridDropHint } from '../../src/esp/sendgrid.js';
import { SES_BOUNCE_HINTS, SES_DELAY_HINTS } from '../../src/esp/ses.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');

function facts(f: Partial<EventFacts>): EventFacts {
  return {
    provider: 'ses',
    eventId: 'e-1',
    providerType: 'Bounce/Undetermined/Undetermined',
    kind: 'bounce',
    recipient: 'rcpt@example.test',
    at: NOW,
    providerMessageId: 'm-1',
    tag: null,
    status: null,
    diagnostic: null,
    replyCode: null,
    remoteMta: null,
    reportingMta: null,
    feedbackType: null,
    providerBounceType: null,
    hint: null,
    ...f,
  };
}

const run = (f: Partial<EventFacts>) => {
  const x = facts(f);
  return decide(x, classifyFacts(x));
};

describe('the provider\'s type', () => {
  it('permanent beats a 4.x.x status; the fallback category and a derived status follow', () => {
    expect(run({ diagnostic: 'smtp; 451 4.3.0 Temporary system problem', providerBounceType: 'hard' })).toMatchObject({ type: 'hard', category: 'other', status: '4.3.0', typeSource: 'provider' });
    expect(run({ diagnostic: 'smtp; 451 4.3.0 Temporary system problem' })).toMatchObject({ type: 'soft', category: 'temporary', typeSource: 'classifier' });
    // no status in the message: the one we derive carries the decided class
    expect(run({ diagnostic: 'Transaction failed', providerBounceType: 'soft' })).toMatchObject({ type: 'soft', statusDerived: true, status: expect.stringMatching(/^4\./) });
    expect(run({ diagnostic: 'Transaction failed', providerBounceType: 'hard' })).toMatchObject({ type: 'hard', statusDerived: true, status: expect.stringMatching(/^5\./) });
  });

  it('transient keeps an address reason but never makes it a hard bounce', () => {
    expect(run({ diagnostic: '550 5.1.1 user unknown', providerBounceType: 'soft' })).toMatchObject({ reason: 'userunknown', category: 'unknown_user', type: 'soft', hardbounce: false });
    expect(run({ diagnostic: '550 5.1.1 user unknown', providerBounceType: 'hard' })).toMatchObject({ reason: 'userunknown', type: 'hard', hardbounce: true });
  });

  it('no word from the provider, no status, no reply code: soft (nothing says permanent); with a 5xx: hard', () => {
    expect(run({ diagnostic: 'something went wrong' })).toMatchObject({ type: 'soft', typeSource: 'classifier' });
    expect(run({ diagnostic: '550 something went wrong' })).toMatchObject({ type: 'hard', typeSource: 'classifier' });
  });

  it('a 2xx in a failure is not its status (an accepted step of the dialogue)', () => {
    const d = run({ status: '2.0.0', replyCode: 250, diagnostic: '250 ok, then 554 5.7.1 rejected by policy', providerBounceType: 'hard' });
    expect(d).toMatchObject({ type: 'hard', status: '5.7.1' });
  });
});

describe('reason hints', () => {
  const hint: ReasonHint = { reason: 'userunknown', category: 'unknown_user', rule: 'esp.ses.NoEmail' };

  it('decide where no rule matched, confirm "user unknown" said without a command, and never overrule a specific text', () => {
    expect(run({ providerBounceType: 'hard', hint })).toMatchObject({ reason: 'userunknown', rule: 'esp.ses.NoEmail', hardbounce: true });
    expect(run({ diagnostic: '550 5.0.0 mailbox unavailable', providerBounceType: 'hard', hint })).toMatchObject({ reason: 'userunknown', rule: expect.stringMatching(/\+not-rcpt\+esp\.ses\.NoEmail$/) });
    expect(run({ diagnostic: '550 5.7.1 Message rejected by policy: blocked', providerBounceType: 'hard', hint })).toMatchObject({ reason: expect.not.stringMatching(/^userunknown$/), category: 'policy' });
    // another hint does not turn a filter into an unknown user
    expect(run({ diagnostic: '550 5.0.0 mailbox unavailable', providerBounceType: 'hard', hint: { reason: 'mailboxfull', category: 'mailbox_full', rule: 'x' } })).toMatchObject({ reason: 'filtered' });
  });

  it('a hint\'s fallback category follows the decided type, like the classifier\'s own', () => {
    const suppressed: ReasonHint = { reason: 'suppressed', category: 'other', rule: 'h' };
    expect(run({ providerBounceType: 'hard', hint: suppressed })).toMatchObject({ reason: 'suppressed', category: 'other', type: 'hard' });
    expect(run({ providerBounceType: 'soft', hint: suppressed })).toMatchObject({ reason: 'suppressed', category: 'temporary', type: 'soft', status: '4.0.0' });
  });

  it('apply to delays too, never to deliveries or complaints', () => {
    expect(run({ kind: 'delay', providerBounceType: 'pending', hint: { reason: 'mailboxfull', category: 'mailbox_full', rule: 'h' } })).toMatchObject({ reason: 'mailboxfull', type: 'pending', hardbounce: false });
    expect(run({ kind: 'delivery', hint })).toMatchObject({ reason: 'delivered', type: 'none' });
    expect(run({ kind: 'complaint', hint })).toMatchObject({ reason: 'feedback', type: 'none' });
  });

  it('every hint table names the category the classifier gives its reason', () => {
    const all: ReasonHint[] = [
      ...Object.values(SES_BOUNCE_HINTS),
      ...Object.values(SES_DELAY_HINTS),
      ...Object.values(SENDGRID_CLASSIFICATION_HINTS),
      ...['Bounced Address', 'Spam Content (if spam checker app enabled)'].map((r) => sendgridDropHint(r)!),
      ...Object.values(MAILGUN_FAILURE_HINTS),
      ...Object.values(POSTMARK_BOUNCE_TYPES).flatMap((r) => (r.hint ? [r.hint] : [])),
    ];
    expect(all.length).toBeGreaterThan(20);
    for (const h of all) {
      // a phrase of the reason tables whose example needs nothing but its text
      const rule = ruleEntries().find((r) => r.reason === h.reason && r.id.startsWith('text.') && Object.keys(r.example).length === 1);
      if (!rule) {
        // a reason no text rule names: the classifier's fallback categories
        expect(['other', 'temporary'], `${h.rule}: ${h.reason}`).toContain(h.category);
        continue;
      }
      const v = classifyFacts(facts({ diagnostic: rule.example.text, providerBounceType: 'hard' }));
      expect(v.reason, `${rule.id} example`).toBe(h.reason);
      if (v.category === 'other') expect(['other', 'temporary'], h.rule).toContain(h.category);
      else expect(h.category, h.rule).toBe(v.category);
    }
  });
});

describe('toEvidence', () => {
  it('canonicalises the recipient; refuses a recipient that is no address', () => {
    const ctx = { endpointId: 'e', account: 'acme', tags: null };
    expect(toEvidence(facts({ recipient: 'Anna@BÜCHER.example', diagnostic: '550 5.1.1 user unknown', providerBounceType: 'hard' }), ctx)).toMatchObject({ ok: true, evidence: { recipient: 'anna@xn--bcher-kva.example' } });
    for (const bad of ['', 'no-at-sign', 'two@@example.test', 'a b@example.test', `${'x'.repeat(400)}@example.test`]) {
      expect(toEvidence(facts({ recipient: bad }), ctx)).toMatchObject({ ok: false, skip: { code: 'malformed' } });
    }
  });

  it('keeps at most 1,000 characters of diagnostic, on one line', () => {
    const long = `550 5.1.1 user unknown\r\n  ${'x'.repeat(5000)}`;
    const r = toEvidence(facts({ diagnostic: `smtp; ${long}`, providerBounceType: 'hard' }), { endpointId: 'e', account: 'acme', tags: null });
    expect(r.ok && r.evidence.diagnostic!.length).toBeLessThanOrEqual(1000);
    expect(r.ok && r.evidence.diagnostic).toMatch(/^550 5\.1\.1 user unknown x+$/);
  });
});

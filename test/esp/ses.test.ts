// SES events -> evidence (src/esp/ses.ts + src/esp/evidence.ts), pure: the documented event
// shapes of fixtures/esp, through the shared classifier. (Their SNS signatures are tested in
// sns.test.ts; here the mapping of each type.)
import { describe, expect, it } from 'vitest';
import { toEvidence } from '../../src/esp/evidence.js';
import { mapSesEvent } from '../../src/esp/ses.js';
import type { EspEvidence, EventSkip } from '../../src/esp/types.js';
import { fixture } from '../helpers/esp.js';

const NOW = Date.parse('2026-11-23T00:00:00Z');
const NAMES = { tag: 'bounced_tag', header: 'X-Bounced-Tag' };

function run(ev: Record<string, unknown>): { evidence: EspEvidence[]; skipped: EventSkip[] } {
  const evidence: EspEvidence[] = [];
  const skipped: EventSkip[] = [];
  for (const item of mapSesEvent(ev, NAMES, NOW)) {
    if ('skip' in item) {
      skipped.push(item.skip);
      continue;
    }
    const r = toEvidence(item.facts, { endpointId: 'ses-acme', account: 'acme', tags: null });
    if (r.ok) evidence.push(r.evidence);
    else skipped.push(r.skip);
  }
  return { evidence, skipped };
}

const verdict = (e: EspEvidence) => ({ kind: e.kind, reason: e.reason, category: e.category, type: e.type, hardbounce: e.hardbounce, status: e.status });

describe('SES bounces', () => {
  it('Permanent/General with "550 5.1.1 user unknown": the classifier says userunknown, SES says hard', () => {
    const { evidence, skipped } = run(fixture('ses-bounce-permanent-general.json'));
    expect(skipped).toEqual([]);
    expect(evidence).toEqual([
      {
        provider: 'ses',
        endpointId: 'ses-acme',
        eventId: '0100018c3f1a2b3c-aa11bb22-cc33-dd44-ee55-ff6677889900-000000/nosuch.user@mail.example.test',
        account: 'acme',
        accountSource: 'endpoint',
        tag: 'absent',
        messageId: '0102018c3f1a1111-2222aaaa-3333-4444-5555-666677778888-000000',
        providerMessageId: '0102018c3f1a1111-2222aaaa-3333-4444-5555-666677778888-000000',
        recipient: 'nosuch.user@mail.example.test',
        at: Date.parse('2026-11-20T08:41:02.669Z'),
        kind: 'bounce',
        providerType: 'Bounce/Permanent/General',
        reason: 'userunknown',
        category: 'unknown_user',
        type: 'hard',
        hardbounce: true,
        status: '5.1.1',
        statusDerived: false,
        replyCode: 550,
        diagnostic: '550 5.1.1 user unknown',
        remoteMta: null,
        reportingMta: 'b224-1.smtp-out.eu-west-1.amazonses.com',
        feedbackType: null,
        rule: 'text.userunknown:user-unknown',
        typeSource: 'provider',
      },
    ]);
  });

  it('Permanent/NoEmail confirms "mailbox unavailable" without an SMTP command (which alone reads as a filter)', () => {
    const [e] = run(fixture('ses-bounce-permanent-noemail.json')).evidence;
    expect(verdict(e!)).toEqual({ kind: 'bounce', reason: 'userunknown', category: 'unknown_user', type: 'hard', hardbounce: true, status: '5.0.0' });
    expect(e!.rule).toBe('text.userunknown:mailbox-unavailable+not-rcpt+esp.ses.NoEmail');
    // without SES's word, the same text is the classifier's `filtered`
    const plain = fixture('ses-bounce-permanent-noemail.json') as { bounce: { bounceSubType: string } };
    plain.bounce.bounceSubType = 'General';
    expect(run(plain).evidence[0]!.reason).toBe('filtered');
  });

  it('Permanent/Suppressed has no remote text: SES decides hard, its subtype gives the reason', () => {
    const [e] = run(fixture('ses-bounce-permanent-suppressed.json')).evidence;
    expect(verdict(e!)).toEqual({ kind: 'bounce', reason: 'suppressed', category: 'other', type: 'hard', hardbounce: false, status: '5.0.0' });
    expect(e!.statusDerived).toBe(true);
    expect(e!.rule).toBe('esp.ses.Suppressed');
    expect(e!.diagnostic).toBeNull();
  });

  it('Transient/MailboxFull with a 5.2.2: soft, because SES says transient', () => {
    const [e] = run(fixture('ses-bounce-transient-mailboxfull.json')).evidence;
    expect(verdict(e!)).toEqual({ kind: 'bounce', reason: 'mailboxfull', category: 'mailbox_full', type: 'soft', hardbounce: false, status: '5.2.2' });
    expect(e!.typeSource).toBe('provider');
  });

  it('Transient with a vague 554: soft even though the reply is permanent; the category follows the type', () => {
    const [e] = run(fixture('ses-bounce-transient-vague.json')).evidence;
    expect(e).toMatchObject({ type: 'soft', hardbounce: false, category: 'temporary', replyCode: 554, typeSource: 'provider' });
  });

  it('Undetermined: the classifier decides from the status; with no status and no text, soft (nothing says permanent)', () => {
    const { evidence } = run(fixture('ses-bounce-undetermined.json'));
    expect(evidence.map((e) => [e.recipient, e.type, e.typeSource, e.status])).toEqual([
      ['odd@example.test', 'soft', 'classifier', '4.7.1'],
      ['quiet@example.test', 'soft', 'classifier', '4.0.0'],
    ]);
    expect(evidence.every((e) => !e.hardbounce)).toBe(true);
  });

  it.each([
    ['Permanent', 'General', 'undefined', 'other', 'hard'],
    ['Permanent', 'NoEmail', 'userunknown', 'unknown_user', 'hard'],
    ['Permanent', 'Suppressed', 'suppressed', 'other', 'hard'],
    ['Permanent', 'OnAccountSuppressionList', 'suppressed', 'other', 'hard'],
    ['Transient', 'General', 'undefined', 'temporary', 'soft'],
    ['Transient', 'MailboxFull', 'mailboxfull', 'mailbox_full', 'soft'],
    ['Transient', 'MessageTooLarge', 'emailtoolarge', 'content', 'soft'],
    ['Transient', 'ContentRejected', 'contenterror', 'content', 'soft'],
    ['Transient', 'AttachmentRejected', 'contenterror', 'content', 'soft'],
    ['Undetermined', 'Undetermined', 'undefined', 'temporary', 'soft'],
  ])('%s/%s without remote text: %s, %s, %s', (bounceType, subType, reason, category, type) => {
    const ev = fixture('ses-bounce-permanent-suppressed.json') as { bounce: Record<string, unknown> };
    ev.bounce['bounceType'] = bounceType;
    ev.bounce['bounceSubType'] = subType;
    const [e] = run(ev).evidence;
    expect({ reason: e!.reason, category: e!.category, type: e!.type, hardbounce: e!.hardbounce }).toEqual({ reason, category, type, hardbounce: reason === 'userunknown' });
    expect(e!.providerType).toBe(`Bounce/${bounceType}/${subType}`);
  });

  it('each recipient once, at most 100 per event (the rest is said, not read)', () => {
    const ev = fixture('ses-bounce-permanent-general.json') as { bounce: { bouncedRecipients: unknown[] } };
    const one = ev.bounce.bouncedRecipients[0] as Record<string, unknown>;
    ev.bounce.bouncedRecipients = [one, { ...one, emailAddress: 'NOSUCH.USER@mail.example.test' }, ...Array.from({ length: 150 }, (_, i) => ({ ...one, emailAddress: `r${i}@example.test` }))];
    const { evidence, skipped } = run(ev);
    expect(evidence).toHaveLength(99); // 100 read, one of them a repeat
    expect(skipped.map((s) => s.code)).toEqual(['malformed']);
  });

  it('a bounce without feedbackId, or a recipient without an address, is malformed', () => {
    const ev = fixture('ses-bounce-permanent-general.json') as { bounce: Record<string, unknown> };
    delete ev.bounce['feedbackId'];
    expect(run(ev).skipped.map((s) => s.code)).toEqual(['malformed']);
    const ev2 = fixture('ses-bounce-permanent-general.json') as { bounce: Record<string, unknown> };
    ev2.bounce['bouncedRecipients'] = [{ emailAddress: 42 }, { emailAddress: 'not an address' }];
    expect(run(ev2).skipped.map((s) => s.code)).toEqual(['malformed', 'malformed']);
  });
});

describe('SES complaints, deliveries, delays, unsubscribes', () => {
  it('Complaint: feedback, with the provider\'s feedback type; abuse when it names none', () => {
    expect(run(fixture('ses-complaint.json')).evidence.map((e) => [e.kind, e.recipient, e.reason, e.type, e.feedbackType, e.eventId])).toEqual([
      ['complaint', 'angry@example.test', 'feedback', 'none', 'abuse', '0100018c40000000-complaint-0000-000000000006-000000/angry@example.test'],
    ]);
    expect(run(fixture('ses-complaint-no-type.json')).evidence[0]).toMatchObject({ kind: 'complaint', feedbackType: 'abuse' });
  });

  it('Complaint/OnAccountSuppressionList is SES refusing to send, not a complaint: skipped', () => {
    const { evidence, skipped } = run(fixture('ses-complaint-suppression-list.json'));
    expect(evidence).toEqual([]);
    expect(skipped).toEqual([expect.objectContaining({ code: 'unsupported_type', providerType: 'Complaint/OnAccountSuppressionList' })]);
  });

  it('Delivery: one per recipient, delivered, keyed by message and recipient', () => {
    const { evidence } = run(fixture('ses-delivery.json'));
    expect(evidence.map((e) => [e.recipient, e.kind, e.reason, e.type, e.eventId])).toEqual([
      ['happy@example.test', 'delivery', 'delivered', 'none', '0102018c40030000-msg-delivered-000000/delivery/happy@example.test'],
      ['glad@example.test', 'delivery', 'delivered', 'none', '0102018c40030000-msg-delivered-000000/delivery/glad@example.test'],
    ]);
  });

  it('DeliveryDelay: pending, classified from its text; the id carries the delay time (a message is delayed more than once)', () => {
    const [e] = run(fixture('ses-delivery-delay.json')).evidence;
    expect(verdict(e!)).toEqual({ kind: 'delay', reason: 'networkerror', category: 'temporary', type: 'pending', hardbounce: false, status: '4.4.1' });
    expect(e!.eventId).toBe('0102018c40040000-msg-slow-000000/delay/slow@example.test/2026-11-20T00:25:40.095Z');
  });

  it('DeliveryDelay without a cause in the text takes SES\'s delayType', () => {
    const ev = fixture('ses-delivery-delay.json') as { deliveryDelay: { delayType: string; delayedRecipients: Array<Record<string, unknown>> } };
    ev.deliveryDelay.delayType = 'MailboxFull';
    ev.deliveryDelay.delayedRecipients = [{ emailAddress: 'slow@example.test' }];
    expect(run(ev).evidence[0]).toMatchObject({ reason: 'mailboxfull', category: 'mailbox_full', type: 'pending', rule: 'esp.ses.delay.MailboxFull' });
  });

  it('Subscription with unsubscribeAll: an unsubscribe of the message\'s one recipient; a topic change is not', () => {
    expect(run(fixture('ses-subscription.json')).evidence.map((e) => [e.kind, e.recipient, e.reason, e.rule])).toEqual([['unsubscribe', 'leaving@example.test', null, 'esp.ses.unsubscribe']]);
    const topics = fixture('ses-subscription.json') as { subscription: { newTopicPreferences: { unsubscribeAll: boolean } } };
    topics.subscription.newTopicPreferences.unsubscribeAll = false;
    expect(run(topics).skipped.map((s) => s.code)).toEqual(['unsupported_type']);
    const several = fixture('ses-subscription.json') as { mail: { destination: string[] } };
    several.mail.destination.push('other@example.test');
    expect(run(several).skipped.map((s) => s.code)).toEqual(['malformed']);
  });

  it('a Send is one send per destination; Open and unknown types are unsupported_type, never evidence', () => {
    const ev = fixture('ses-send.json') as { mail: { destination: string[] } };
    const one = run(ev);
    expect(one.skipped).toEqual([]);
    expect(one.evidence.map((e) => [e.kind, e.recipient, e.eventId, e.providerType, e.type, e.rule])).toEqual([
      ['send', 'anyone@example.test', '0102018c40060000-msg-send-000000/send/anyone@example.test', 'Send', 'none', 'esp.ses.send'],
    ]);
    expect(one.evidence[0]!.at).toBe(Date.parse('2026-11-20T05:02:16.645Z'));
    ev.mail.destination = ['a@example.test', 'B <b@example.test>', 'a@example.test'];
    expect(run(ev).evidence.map((e) => e.recipient)).toEqual(['a@example.test', 'b@example.test']);
    expect(run({ eventType: 'Send', mail: { destination: ['x@example.test'] } }).skipped[0]!.code).toBe('malformed');
    expect(run({ eventType: 'Open', mail: {} }).skipped[0]!.code).toBe('unsupported_type');
    expect(run({ nothing: true }).skipped[0]!.code).toBe('unsupported_type');
  });

  it('a time that is missing, unreadable or in the future is the time of receipt', () => {
    const ev = fixture('ses-complaint.json') as { complaint: Record<string, unknown> };
    ev.complaint['timestamp'] = '2099-01-01T00:00:00Z';
    expect(run(ev).evidence[0]!.at).toBe(NOW);
    ev.complaint['timestamp'] = 'yesterday';
    delete ev.complaint['arrivalDate'];
    expect(run(ev).evidence[0]!.at).toBe(NOW);
  });
});

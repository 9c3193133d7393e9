// Postmark webhooks (src/esp/postmark.ts) through the intake: basic auth plus the endpoint
// secret (path segment or header), each wrong part refused, and the mapping of each record.
import { describe, expect, it } from 'vitest';
import { EspIntake, type IntakeResult, type PostmarkEndpointConfig } from '../../src/esp/intake.js';
import { EspConfigError } from '../../src/esp/types.js';
import { basicAuth, fixture, fixtureText } from '../helpers/esp.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const SECRET = 'pm-secret-7f3a9c1e5b2d4a6f';
const AUTH = basicAuth('postmark', 'correct horse battery staple');

function intake(extra: Partial<PostmarkEndpointConfig> = {}): EspIntake {
  return new EspIntake({
    endpoints: [{ id: 'pm-acme', provider: 'postmark', account: 'acme', username: 'postmark', password: 'correct horse battery staple', secret: SECRET, ...extra }],
    tags: null,
  });
}

function post(i: EspIntake, body: unknown, headers: Record<string, string> = { authorization: AUTH }, pathSecret: string | null = SECRET): Promise<IntakeResult> {
  return i.receive('postmark', 'pm-acme', { body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), headers, pathSecret }, NOW);
}

const code = (r: IntakeResult) => (r.ok ? 'accepted' : r.refusal.code);

describe('Postmark authentication', () => {
  it('accepts basic auth with the secret as the URL\'s last segment, or in the configured header', async () => {
    expect(code(await post(intake(), fixture('postmark-hardbounce.json')))).toBe('accepted');
    const h = intake({ secretHeader: 'X-Bounced-Secret' });
    expect(code(await post(h, fixture('postmark-hardbounce.json'), { authorization: AUTH, 'x-bounced-secret': SECRET }, null))).toBe('accepted');
  });

  it('refuses a wrong user, a wrong password, no basic auth, a wrong or missing secret', async () => {
    const i = intake();
    const bounce = fixture('postmark-hardbounce.json');
    expect(code(await post(i, bounce, { authorization: basicAuth('postmarc', 'correct horse battery staple') }))).toBe('auth_failed');
    expect(code(await post(i, bounce, { authorization: basicAuth('postmark', 'correct horse battery stapler') }))).toBe('auth_failed');
    expect(code(await post(i, bounce, { authorization: basicAuth('postmark', '') }))).toBe('auth_failed');
    expect(code(await post(i, bounce, { authorization: 'Bearer whatever' }))).toBe('auth_failed');
    expect(code(await post(i, bounce, {}))).toBe('auth_failed');
    expect(code(await post(i, bounce, { authorization: AUTH }, SECRET.slice(0, -1)))).toBe('auth_failed');
    expect(code(await post(i, bounce, { authorization: AUTH }, null))).toBe('auth_failed');
    // with a header secret, the path no longer counts
    const h = intake({ secretHeader: 'X-Bounced-Secret' });
    expect(code(await post(h, bounce, { authorization: AUTH }, SECRET))).toBe('auth_failed');
    expect(code(await post(h, bounce, { authorization: AUTH, 'x-bounced-secret': 'nope' }, null))).toBe('auth_failed');
  });

  it('checks credentials before reading the body', async () => {
    expect(code(await post(intake(), 'not json', {}))).toBe('auth_failed');
    expect(code(await post(intake(), 'not json'))).toBe('malformed');
  });

  it('a short secret or missing credentials stop the configuration', () => {
    expect(() => intake({ secret: 'short' })).toThrow(EspConfigError);
    expect(() => intake({ password: '' })).toThrow(EspConfigError);
  });
});

describe('Postmark records -> evidence', () => {
  // the raw text: its 64-bit IDs must reach the intake as written
  async function one(name: string) {
    const r = await post(intake(), fixtureText(name));
    if (!r.ok) throw new Error(r.refusal.code);
    return r;
  }

  it('HardBounce with the remote text: hard userunknown, keyed by the bounce ID (all 64 bits of it)', async () => {
    const [e] = (await one('postmark-hardbounce.json')).evidence;
    expect(e).toMatchObject({
      provider: 'postmark',
      eventId: '4323372036854775807',
      messageId: '883953f4-6105-42a2-a16a-77a8eac79483',
      recipient: 'john@example.test',
      at: Date.parse('2026-11-20T16:33:54.907Z'),
      kind: 'bounce',
      providerType: 'Bounce/HardBounce',
      reason: 'userunknown',
      type: 'hard',
      hardbounce: true,
      status: '5.1.1',
      replyCode: 550,
    });
  });

  it('HardBounce without details: hard, and Postmark\'s fixed description is not read as the reason', async () => {
    const [e] = (await one('postmark-hardbounce-nodetails.json')).evidence;
    expect(e).toMatchObject({ kind: 'bounce', type: 'hard', reason: 'undefined', hardbounce: false, diagnostic: null });
  });

  it('SoftBounce: soft; Transient: a delay; SpamNotification: hard spam; BadEmailAddress: hard userunknown', async () => {
    expect((await one('postmark-softbounce.json')).evidence.map((e) => [e.kind, e.reason, e.type])).toEqual([['bounce', 'mailboxfull', 'soft']]);
    expect((await one('postmark-transient.json')).evidence.map((e) => [e.kind, e.type, e.hardbounce])).toEqual([['delay', 'pending', false]]);
    expect((await one('postmark-spamnotification.json')).evidence.map((e) => [e.kind, e.reason, e.category, e.type, e.rule])).toEqual([['bounce', 'spamdetected', 'spam', 'hard', 'esp.postmark.SpamNotification']]);
    expect((await one('postmark-bademailaddress.json')).evidence.map((e) => [e.reason, e.type, e.hardbounce])).toEqual([['userunknown', 'hard', true]]);
  });

  it('SpamComplaint: a complaint; Delivery: a delivery', async () => {
    expect((await one('postmark-spamcomplaint.json')).evidence.map((e) => [e.kind, e.recipient, e.feedbackType, e.eventId])).toEqual([['complaint', 'complainer@example.test', 'abuse', '4323372036854775006']]);
    expect((await one('postmark-delivery.json')).evidence.map((e) => [e.kind, e.recipient, e.eventId])).toEqual([['delivery', 'reader@example.test', 'a1b2c3d4-0000-4000-8000-000000000008/delivery/reader@example.test']]);
  });

  it('AutoResponder and other types are not evidence', async () => {
    const r = await one('postmark-autoresponder.json');
    expect(r.evidence).toEqual([]);
    expect(r.skipped).toEqual([expect.objectContaining({ code: 'unsupported_type', providerType: 'Bounce/AutoResponder' })]);
    const open = await one('postmark-delivery.json');
    expect(open.ok).toBe(true);
    const click = await post(intake(), { RecordType: 'Click', MessageID: 'x', Recipient: 'a@example.test' });
    expect(click.ok && click.skipped.map((s) => s.code)).toEqual(['unsupported_type']);
  });
});

// Mailgun webhooks (src/esp/mailgun.ts) through the intake: the HMAC-SHA256 of timestamp +
// token made here, the replay window, the used-token memory, and the mapping of each event.
import { describe, expect, it } from 'vitest';
import { EspIntake, type IntakeResult } from '../../src/esp/intake.js';
import { TokenMemory } from '../../src/esp/mailgun.js';
import { fixture, mailgunBody } from '../helpers/esp.js';

const KEY = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0';
const NOW = Date.parse('2026-11-23T12:00:00Z');
const TS = Math.floor(NOW / 1000) - 10;

function intake(opts: { replayWindowSeconds?: number; maxTokens?: number } = {}): EspIntake {
  return new EspIntake({ endpoints: [{ id: 'mg-acme', provider: 'mailgun', account: 'acme', signingKey: KEY, replayWindowSeconds: opts.replayWindowSeconds }], tags: null, maxTokens: opts.maxTokens });
}

function post(i: EspIntake, body: Buffer, now = NOW): Promise<IntakeResult> {
  return i.receive('mailgun', 'mg-acme', { body, headers: { 'content-type': 'application/json' } }, now);
}

const code = (r: IntakeResult) => (r.ok ? 'accepted' : r.refusal.code);

describe('Mailgun signature', () => {
  it('accepts a body whose signature is the HMAC of timestamp + token under the signing key', async () => {
    const r = await post(intake(), mailgunBody(fixture('mailgun-failed-permanent.json'), KEY, TS, 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0'));
    expect(code(r)).toBe('accepted');
    expect(r.ok && r.token).toBe('a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0');
  });

  it('refuses a wrong key, a changed timestamp or token, a missing or non-hex signature', async () => {
    const i = intake();
    expect(code(await post(i, mailgunBody(fixture('mailgun-delivered.json'), 'key-someone-elses-signing-key', TS)))).toBe('signature_invalid');
    const good = JSON.parse(mailgunBody(fixture('mailgun-delivered.json'), KEY, TS).toString()) as { signature: Record<string, string> };
    const edit = (sig: Record<string, unknown>) => Buffer.from(JSON.stringify({ ...good, signature: { ...good.signature, ...sig } }));
    expect(code(await post(i, edit({ timestamp: String(TS + 1) })))).toBe('signature_invalid');
    const token = good.signature['token']!;
    expect(code(await post(i, edit({ token: token.slice(0, -1) + (token.endsWith('0') ? '1' : '0') })))).toBe('signature_invalid');
    expect(code(await post(i, edit({ signature: 'zz' + good.signature['signature']!.slice(2) })))).toBe('signature_invalid');
    expect(code(await post(i, edit({ signature: undefined })))).toBe('signature_invalid');
    expect(code(await post(i, edit({ timestamp: 1795000000 })))).toBe('signature_invalid');
    expect(code(await post(i, Buffer.from(JSON.stringify({ 'event-data': fixture('mailgun-delivered.json') }))))).toBe('signature_invalid');
    expect(code(await post(i, Buffer.from('timestamp=1&token=x&signature=y')))).toBe('malformed');
    // the unedited one still verifies: each refusal above was its edit
    expect(code(await post(i, Buffer.from(JSON.stringify(good))))).toBe('accepted');
  });

  it('refuses a timestamp outside the replay window', async () => {
    const old = Math.floor(NOW / 1000) - 601;
    expect(code(await post(intake(), mailgunBody(fixture('mailgun-delivered.json'), KEY, old)))).toBe('timestamp_out_of_window');
    expect(code(await post(intake(), mailgunBody(fixture('mailgun-delivered.json'), KEY, Math.floor(NOW / 1000) + 601)))).toBe('timestamp_out_of_window');
    expect(code(await post(intake({ replayWindowSeconds: 900 }), mailgunBody(fixture('mailgun-delivered.json'), KEY, old)))).toBe('accepted');
  });

  it('refuses a replayed token within the window; a released token (request not processed) passes again', async () => {
    const i = intake();
    const body = mailgunBody(fixture('mailgun-failed-permanent.json'), KEY, TS);
    const first = await post(i, body);
    expect(code(first)).toBe('accepted');
    expect(code(await post(i, body, NOW + 1000))).toBe('replayed');
    // the same token with another payload is a replay too (the signature covers only timestamp + token)
    const token = first.ok ? first.token! : '';
    expect(code(await post(i, mailgunBody(fixture('mailgun-complained.json'), KEY, TS, token)))).toBe('replayed');
    i.releaseToken('mg-acme', token);
    expect(code(await post(i, body, NOW + 2000))).toBe('accepted');
    // another endpoint remembers its own tokens
    expect(code(await post(intake(), body))).toBe('accepted');
  });

  it('the token memory is bounded and forgets a token once its timestamp has left the window', () => {
    const m = new TokenMemory(3);
    for (const t of ['a', 'b', 'c', 'd']) expect(m.claim(t, NOW + 600_000, NOW)).toBe(true);
    expect(m.size).toBe(3);
    expect(m.claim('a', NOW + 600_000, NOW)).toBe(true); // evicted first
    expect(m.claim('d', NOW + 600_000, NOW)).toBe(false);
    expect(m.claim('d', NOW + 700_000, NOW + 600_001)).toBe(true); // expired
  });

  it('a verified body without event-data is malformed, and does not use up its token', async () => {
    const i = intake();
    const body = Buffer.from(JSON.stringify({ signature: JSON.parse(mailgunBody({}, KEY, TS).toString()).signature }));
    expect(code(await post(i, body))).toBe('malformed');
    expect(code(await post(i, body))).toBe('malformed');
  });
});

describe('Mailgun events -> evidence', () => {
  async function one(name: string) {
    const r = await post(intake(), mailgunBody(fixture(name), KEY, TS));
    if (!r.ok) throw new Error(r.refusal.code);
    return r;
  }

  it('failed, permanent, with the remote text and enhanced code: hard userunknown', async () => {
    const r = await one('mailgun-failed-permanent.json');
    expect(r.evidence).toEqual([
      expect.objectContaining({
        provider: 'mailgun',
        eventId: 'G9Bn5sl1TC6nu79C8C0bwg@1795161600.908181',
        account: 'acme',
        messageId: '20261120084100.1.ABCDEF0123456789@mg.shop.example.test',
        recipient: 'alice@example.test',
        at: 1795161600908,
        kind: 'bounce',
        providerType: 'failed/permanent/bounce',
        reason: 'userunknown',
        category: 'unknown_user',
        type: 'hard',
        hardbounce: true,
        status: '5.1.1',
        replyCode: 550,
        remoteMta: 'mx.example.test',
        typeSource: 'provider',
      }),
    ]);
  });

  it('failed, permanent, suppress-bounce (Mailgun\'s own 605, no remote text): hard, suppressed', async () => {
    const [e] = (await one('mailgun-failed-suppressed.json')).evidence;
    expect(e).toMatchObject({ kind: 'bounce', reason: 'suppressed', type: 'hard', hardbounce: false, replyCode: null, rule: 'esp.mailgun.suppress-bounce' });
  });

  it('failed, temporary: a delay (Mailgun retries)', async () => {
    const [e] = (await one('mailgun-failed-temporary.json')).evidence;
    expect(e).toMatchObject({ kind: 'delay', reason: 'mailboxfull', type: 'pending', hardbounce: false, replyCode: 452 });
  });

  it('failed, permanent, reason old (gave up after 4xx answers): soft, as a DSN with Action failed and 4.x.x', async () => {
    const [e] = (await one('mailgun-failed-old.json')).evidence;
    expect(e).toMatchObject({ kind: 'bounce', type: 'soft', hardbounce: false, replyCode: 421, typeSource: 'provider' });
  });

  it('delivered, complained, unsubscribed; opened is not evidence', async () => {
    expect((await one('mailgun-delivered.json')).evidence.map((e) => [e.kind, e.reason, e.type])).toEqual([['delivery', 'delivered', 'none']]);
    expect((await one('mailgun-complained.json')).evidence.map((e) => [e.kind, e.reason, e.feedbackType])).toEqual([['complaint', 'feedback', 'abuse']]);
    expect((await one('mailgun-unsubscribed.json')).evidence.map((e) => [e.kind, e.recipient])).toEqual([['unsubscribe', 'erin@example.test']]);
    const opened = await one('mailgun-opened.json');
    expect(opened.evidence).toEqual([]);
    expect(opened.skipped).toEqual([expect.objectContaining({ code: 'unsupported_type', providerType: 'opened' })]);
  });

  it('an event without id or recipient is malformed', async () => {
    const noId = { ...fixture('mailgun-delivered.json'), id: undefined };
    const r1 = await post(intake(), mailgunBody(noId, KEY, TS));
    expect(r1.ok && r1.skipped.map((s) => s.code)).toEqual(['malformed']);
    const noRcpt = { ...fixture('mailgun-failed-permanent.json'), recipient: undefined };
    const r = await post(intake(), mailgunBody(noRcpt, KEY, TS));
    expect(r.ok && r.skipped.map((s) => s.code)).toEqual(['malformed']);
  });
});

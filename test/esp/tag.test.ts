// Attribution by signed tag (src/esp/tag.ts): the token of the daemon's own VERP codec, put on
// the message as provider metadata, names the account on a shared endpoint, and counts only
// for the recipient it was made for.
import { beforeAll, describe, expect, it } from 'vitest';
import { toEvidence, type EventFacts } from '../../src/esp/evidence.js';
import { EspIntake, type EndpointConfig, type IntakeResult } from '../../src/esp/intake.js';
import { mapSesEvent } from '../../src/esp/ses.js';
import { tagVerifier } from '../../src/esp/tag.js';
import { EspConfigError } from '../../src/esp/types.js';
import { VerpCodec } from '../../src/verp/index.js';
import { basicAuth, fixture, mailgunBody, sendgridHeaders, sendgridKeys } from '../helpers/esp.js';

const codec = new VerpCodec('esp-test-verp-secret', 'b');
const tags = tagVerifier(codec, 'b');
const NOW = Date.parse('2026-11-23T12:00:00Z');
const TS = Math.floor(NOW / 1000);
let sg: ReturnType<typeof sendgridKeys>;

/** The `<payload>.<mac>` of a return path, as a sender would tag its message. */
function token(account: string, message: string, recipient: string): string {
  const rp = codec.encode({ account, message, recipient }, 'bounces.test');
  return rp.slice(2, rp.indexOf('@'));
}

function forge(t: string): string {
  const last = t.at(-1) === 'a' ? 'b' : 'a';
  return t.slice(0, -1) + last;
}

function intake(account: string | null): EspIntake {
  const endpoints: EndpointConfig[] = [
    { id: 'sg', provider: 'sendgrid', account, publicKey: sg.publicKeyBase64 },
    { id: 'mg', provider: 'mailgun', account, signingKey: 'mailgun-signing-key-0123456789' },
    { id: 'pm', provider: 'postmark', account, username: 'u', password: 'p', secret: 'postmark-secret-0123456789' },
  ];
  return new EspIntake({ endpoints, tags });
}

async function sendgrid(i: EspIntake, event: Record<string, unknown>): Promise<IntakeResult> {
  const body = Buffer.from(JSON.stringify([{ email: 'nobody@example.test', timestamp: TS, event: 'bounce', sg_event_id: 'e1', reason: '550 5.1.1 user unknown', status: '5.1.1', ...event }]));
  return i.receive('sendgrid', 'sg', { body, headers: sendgridHeaders(body, sg.privateKey, TS) }, NOW);
}

const brief = (r: IntakeResult) =>
  r.ok ? { evidence: r.evidence.map((e) => ({ account: e.account, source: e.accountSource, tag: e.tag, messageId: e.messageId })), skipped: r.skipped.map((s) => s.code) } : r.refusal.code;

beforeAll(() => {
  sg = sendgridKeys();
});

describe('a shared endpoint (no account): the signed tag names it', () => {
  it('a valid tag for this recipient: its account and message', async () => {
    const r = await sendgrid(intake(null), { bounced_tag: token('acme', 'news-11/m-42', 'nobody@example.test') });
    expect(brief(r)).toEqual({ evidence: [{ account: 'acme', source: 'tag', tag: 'valid', messageId: 'news-11/m-42' }], skipped: [] });
  });

  it('no tag: no_account; a forged tag: tag_invalid; a tag for someone else: tag_recipient_mismatch', async () => {
    const i = intake(null);
    expect(brief(await sendgrid(i, {}))).toEqual({ evidence: [], skipped: ['no_account'] });
    expect(brief(await sendgrid(i, { bounced_tag: forge(token('acme', 'm', 'nobody@example.test')) }))).toEqual({ evidence: [], skipped: ['tag_invalid'] });
    expect(brief(await sendgrid(i, { bounced_tag: 'hello' }))).toEqual({ evidence: [], skipped: ['tag_invalid'] });
    expect(brief(await sendgrid(i, { bounced_tag: token('acme', 'm', 'victim@example.test') }))).toEqual({ evidence: [], skipped: ['tag_recipient_mismatch'] });
    // an unsubscribe token is MACed under another domain: no bounce tag
    expect(brief(await sendgrid(i, { bounced_tag: codec.unsubscribeToken({ account: 'acme', message: 'm', recipient: 'nobody@example.test' }) }))).toEqual({ evidence: [], skipped: ['tag_invalid'] });
  });

  it('accepts the whole return path too, and the letter case of the address does not matter', async () => {
    const rp = codec.encode({ account: 'acme', message: 'm-1', recipient: 'NoBody@Example.TEST' }, 'bounces.test');
    expect(brief(await sendgrid(intake(null), { bounced_tag: rp }))).toMatchObject({ evidence: [{ account: 'acme', tag: 'valid' }] });
  });

  it('Mailgun user variables and Postmark metadata carry it as well', async () => {
    const i = intake(null);
    const t = token('acme', 'm-7', 'alice@example.test');
    const mg = await i.receive('mailgun', 'mg', { body: mailgunBody({ ...fixture('mailgun-failed-permanent.json'), 'user-variables': { bounced_tag: t } }, 'mailgun-signing-key-0123456789', TS), headers: {} }, NOW);
    expect(brief(mg)).toEqual({ evidence: [{ account: 'acme', source: 'tag', tag: 'valid', messageId: 'm-7' }], skipped: [] });
    const pmBody = Buffer.from(JSON.stringify({ ...fixture('postmark-softbounce.json'), Email: 'alice@example.test', Metadata: { bounced_tag: t } }));
    const pm = await i.receive('postmark', 'pm', { body: pmBody, headers: { authorization: basicAuth('u', 'p') }, pathSecret: 'postmark-secret-0123456789' }, NOW);
    expect(brief(pm)).toEqual({ evidence: [{ account: 'acme', source: 'tag', tag: 'valid', messageId: 'm-7' }], skipped: [] });
  });

  it('a shared endpoint needs a tag verifier', () => {
    expect(() => new EspIntake({ endpoints: [{ id: 'sg', provider: 'sendgrid', publicKey: sg.publicKeyBase64 }], tags: null })).toThrow(EspConfigError);
  });
});

describe('an account endpoint: the endpoint names the account', () => {
  it('a valid tag of the same account gives the message; a forged or foreign-recipient tag is ignored, said, and the endpoint still vouches', async () => {
    const i = intake('acme');
    expect(brief(await sendgrid(i, { bounced_tag: token('acme', 'm-9', 'nobody@example.test') }))).toEqual({ evidence: [{ account: 'acme', source: 'endpoint', tag: 'valid', messageId: 'm-9' }], skipped: [] });
    expect(brief(await sendgrid(i, { bounced_tag: forge(token('acme', 'm-9', 'nobody@example.test')) }))).toEqual({ evidence: [{ account: 'acme', source: 'endpoint', tag: 'invalid', messageId: null }], skipped: [] });
    expect(brief(await sendgrid(i, { bounced_tag: token('acme', 'm-9', 'else@example.test') }))).toEqual({ evidence: [{ account: 'acme', source: 'endpoint', tag: 'other_recipient', messageId: null }], skipped: [] });
    expect(brief(await sendgrid(i, {}))).toEqual({ evidence: [{ account: 'acme', source: 'endpoint', tag: 'absent', messageId: null }], skipped: [] });
  });

  it('a valid tag of another account: account_mismatch (one of the two is wrong)', async () => {
    expect(brief(await sendgrid(intake('acme'), { bounced_tag: token('globex', 'm-1', 'nobody@example.test') }))).toEqual({ evidence: [], skipped: ['account_mismatch'] });
  });
});

describe('SES tags', () => {
  const facts = (ev: Record<string, unknown>): EventFacts => {
    const [item] = mapSesEvent(ev, { tag: 'bounced_tag', header: 'X-Bounced-Tag' }, NOW);
    if (!item || !('facts' in item)) throw new Error('no facts');
    return item.facts;
  };
  const shared = { endpointId: 'ses', account: null, tags };

  it('a message tag, whose values cannot hold a dot: `_` (or `-`) stands for it', () => {
    const ev = fixture('ses-bounce-permanent-general.json') as { mail: { tags: Record<string, string[]> } };
    ev.mail.tags['bounced_tag'] = [token('acme', 'm-3', 'nosuch.user@mail.example.test').replace('.', '_')];
    expect(toEvidence(facts(ev), shared)).toMatchObject({ ok: true, evidence: { account: 'acme', accountSource: 'tag', messageId: 'm-3' } });
    ev.mail.tags['bounced_tag'] = [token('acme', 'm-3', 'nosuch.user@mail.example.test').replace('.', '-')];
    expect(toEvidence(facts(ev), shared)).toMatchObject({ ok: true, evidence: { account: 'acme' } });
  });

  it('a header (SES includes the original headers), any letter case; an IDN recipient signed in ASCII', () => {
    const ev = fixture('ses-bounce-permanent-general.json') as { mail: { headers: Array<{ name: string; value: string }>; tags: unknown }; bounce: { bouncedRecipients: Array<{ emailAddress: string }> } };
    delete (ev.mail as Record<string, unknown>)['tags'];
    ev.bounce.bouncedRecipients[0]!.emailAddress = 'anna@bücher.example';
    ev.mail.headers.push({ name: 'x-bounced-tag', value: token('acme', 'm-4', 'anna@xn--bcher-kva.example') });
    expect(toEvidence(facts(ev), shared)).toMatchObject({ ok: true, evidence: { account: 'acme', recipient: 'anna@xn--bcher-kva.example', messageId: 'm-4' } });
  });
});

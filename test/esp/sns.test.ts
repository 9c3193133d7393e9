// Amazon SNS verification (src/esp/sns.ts) through the intake: real RSA signatures (SHA1withRSA
// and SHA256withRSA) made here with an openssl certificate served over HTTPS from 127.0.0.1,
// every refusal provoked, the certificate cache and the subscription confirmation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsCertFetcher, httpsVisitor } from '../../src/esp/https-get.js';
import { EspIntake, type IntakeResult } from '../../src/esp/intake.js';
import { checkCertUrl, compileHostPatterns, DEFAULT_SNS_HOSTS, snsStringToSign, SnsCertCache, type SnsEnvelope } from '../../src/esp/sns.js';
import { fixture, notification, selfSigned, snsEnvelope, startFakeSns, TOPIC, type FakeSns, type SelfSigned } from '../helpers/esp.js';

let sns: FakeSns;
let signer: SelfSigned;
let intruder: SelfSigned;
let ecCert: SelfSigned;
let certUrl: string;

const NOW = () => Date.now();

function intake(overrides: Partial<ConstructorParameters<typeof EspIntake>[0]> = {}): EspIntake {
  return new EspIntake({
    endpoints: [{ id: 'ses-acme', provider: 'ses', account: 'acme', topics: [TOPIC], certHosts: [sns.host] }],
    tags: null,
    fetchCert: httpsCertFetcher({ ca: sns.tlsCert }),
    visitSubscribeUrl: httpsVisitor({ ca: sns.tlsCert }),
    ...overrides,
  });
}

async function post(i: EspIntake, body: Buffer, headers: Record<string, string> = {}, now = NOW()): Promise<IntakeResult> {
  return i.receive('ses', 'ses-acme', { body, headers }, now);
}

function refusal(r: IntakeResult): string {
  return r.ok ? 'accepted' : r.refusal.code;
}

const certFetches = () => sns.requests.filter((p) => p.endsWith('.pem')).length;

beforeAll(async () => {
  sns = await startFakeSns();
  signer = selfSigned('sns.amazonaws.com');
  intruder = selfSigned('sns.amazonaws.com');
  ecCert = selfSigned('sns.amazonaws.com', null, 2, 'ec');
  sns.files.set('/SimpleNotificationService-0123456789abcdef.pem', signer.certPem);
  sns.files.set('/SimpleNotificationService-second.pem', signer.certPem);
  sns.files.set('/SimpleNotificationService-third.pem', signer.certPem);
  sns.files.set('/intruder.pem', intruder.certPem);
  sns.files.set('/ec.pem', ecCert.certPem);
  sns.files.set('/broken.pem', '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
  certUrl = `https://${sns.host}/SimpleNotificationService-0123456789abcdef.pem`;
});

afterAll(async () => {
  await sns?.close();
});

describe('SNS string to sign', () => {
  it('Notification: Message, MessageId, Subject (when present), Timestamp, TopicArn, Type, each "Name\\nValue\\n"', () => {
    const env = { Type: 'Notification', MessageId: 'id-1', TopicArn: TOPIC, Message: 'line one\nline two', Timestamp: '2026-11-20T08:00:00.000Z', Subject: 'S', SignatureVersion: '2', Signature: 'x', SigningCertURL: 'u' } as SnsEnvelope;
    expect(snsStringToSign(env)).toBe(`Message\nline one\nline two\nMessageId\nid-1\nSubject\nS\nTimestamp\n2026-11-20T08:00:00.000Z\nTopicArn\n${TOPIC}\nType\nNotification\n`);
    delete env.Subject;
    expect(snsStringToSign(env)).toBe(`Message\nline one\nline two\nMessageId\nid-1\nTimestamp\n2026-11-20T08:00:00.000Z\nTopicArn\n${TOPIC}\nType\nNotification\n`);
  });

  it('SubscriptionConfirmation: Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type', () => {
    const env = { Type: 'SubscriptionConfirmation', MessageId: 'id-2', TopicArn: TOPIC, Message: 'm', Timestamp: 't', SubscribeURL: 'https://s/', Token: 'tok', SignatureVersion: '1', Signature: 'x', SigningCertURL: 'u' } as SnsEnvelope;
    expect(snsStringToSign(env)).toBe(`Message\nm\nMessageId\nid-2\nSubscribeURL\nhttps://s/\nTimestamp\nt\nToken\ntok\nTopicArn\n${TOPIC}\nType\nSubscriptionConfirmation\n`);
  });
});

describe('SigningCertURL check (before any fetch)', () => {
  const defaults = compileHostPatterns(DEFAULT_SNS_HOSTS);
  it.each([
    ['https://sns.us-east-1.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem', true],
    ['https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem', true],
    ['http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem', false],
    ['https://sns.us-east-1.amazonaws.com.evil.test/SimpleNotificationService-abc.pem', false],
    ['https://evil.test/sns.us-east-1.amazonaws.com/x.pem', false],
    ['https://sns.amazonaws.com/x.pem', false],
    ['https://a.sns.us-east-1.amazonaws.com/x.pem', false],
    ['https://sns.us-east-1.amazonaws.com:8443/x.pem', false],
    ['https://user:pw@sns.us-east-1.amazonaws.com/x.pem', false],
    ['https://sns.us-east-1.amazonaws.com/x.pem?a=1', false],
    ['https://sns.us-east-1.amazonaws.com/x.crt', false],
    ['https://sns.us-east-1.amazonaws.com/x.pem#frag', false],
    ['not a url', false],
  ])('%s -> %s', (url, allowed) => {
    expect(checkCertUrl(url, defaults) !== null).toBe(allowed);
  });
});

describe('SNS through the intake', () => {
  it('accepts SignatureVersion 2 (SHA256withRSA) and maps the SES bounce; the second message uses the cached certificate', async () => {
    const i = intake();
    const before = certFetches();
    const r1 = await post(i, notification(fixture('ses-bounce-permanent-general.json'), certUrl, signer.keyPem, '2'));
    expect(r1.ok).toBe(true);
    if (!r1.ok) return;
    expect(r1.certCached).toBe(false);
    expect(r1.evidence).toHaveLength(1);
    expect(r1.evidence[0]).toMatchObject({ provider: 'ses', account: 'acme', recipient: 'nosuch.user@mail.example.test', kind: 'bounce', reason: 'userunknown', type: 'hard', hardbounce: true });
    const r2 = await post(i, notification(fixture('ses-delivery.json'), certUrl, signer.keyPem, '2', { MessageId: 'another' }));
    expect(r2.ok && r2.certCached).toBe(true);
    expect(certFetches() - before).toBe(1);
  });

  it('accepts SignatureVersion 1 (SHA1withRSA), with a Subject', async () => {
    const r = await post(intake(), notification(fixture('ses-complaint.json'), certUrl, signer.keyPem, '1', { Subject: 'Amazon SES Email Event Notification' }));
    expect(r.ok).toBe(true);
    expect(r.ok && r.evidence.map((e) => [e.kind, e.recipient, e.feedbackType])).toEqual([['complaint', 'angry@example.test', 'abuse']]);
  });

  it('refuses a tampered Message, an added Subject, a changed Timestamp, SignatureVersion or Signature', async () => {
    const i = intake();
    const good = JSON.parse(notification(fixture('ses-bounce-permanent-general.json'), certUrl, signer.keyPem).toString()) as Record<string, string>;
    const tampered = { ...good, Message: good['Message']!.replaceAll('Nosuch.User', 'Somebody.Else') };
    expect(tampered.Message).not.toBe(good['Message']);
    expect(refusal(await post(i, Buffer.from(JSON.stringify(tampered))))).toBe('signature_invalid');
    expect(refusal(await post(i, Buffer.from(JSON.stringify({ ...good, Subject: 'added' }))))).toBe('signature_invalid');
    expect(refusal(await post(i, Buffer.from(JSON.stringify({ ...good, Timestamp: '2026-11-20T08:41:04.000Z' }))))).toBe('signature_invalid');
    expect(refusal(await post(i, Buffer.from(JSON.stringify({ ...good, SignatureVersion: '1' }))))).toBe('signature_invalid');
    expect(refusal(await post(i, Buffer.from(JSON.stringify({ ...good, Signature: 'AAAA' }))))).toBe('signature_invalid');
    // the untouched one still passes: the refusals were the edits
    expect(refusal(await post(i, Buffer.from(JSON.stringify(good))))).toBe('accepted');
  });

  it('refuses a message signed with another key than the certificate it names (wrong key)', async () => {
    const r = await post(intake(), notification(fixture('ses-bounce-permanent-general.json'), certUrl, intruder.keyPem));
    expect(refusal(r)).toBe('signature_invalid');
  });

  it('refuses a certificate URL on a disallowed host, over http, or not .pem, without fetching anything', async () => {
    const i = intake();
    const before = sns.requests.length;
    const msg = fixture('ses-bounce-permanent-general.json');
    for (const url of [
      'https://evil.example.test/SimpleNotificationService-0123456789abcdef.pem',
      `http://${sns.host}/SimpleNotificationService-0123456789abcdef.pem`,
      `https://${sns.host}/SimpleNotificationService-0123456789abcdef.txt`,
      `https://${sns.host}/SimpleNotificationService-0123456789abcdef.pem?x=1`,
      `https://u:p@${sns.host}/SimpleNotificationService-0123456789abcdef.pem`,
      `https://127.0.0.2:${sns.host.split(':')[1]}/intruder.pem`,
    ]) {
      expect(refusal(await post(i, notification(msg, url, intruder.keyPem)))).toBe('cert_url_not_allowed');
    }
    // with the default hosts (sns.<region>.amazonaws.com) a loopback certificate is refused too
    const d = intake({ endpoints: [{ id: 'ses-acme', provider: 'ses', account: 'acme', topics: [TOPIC] }] });
    expect(refusal(await post(d, notification(msg, certUrl, signer.keyPem)))).toBe('cert_url_not_allowed');
    expect(sns.requests.length).toBe(before);
  });

  it('refuses a topic the endpoint does not subscribe to, before fetching', async () => {
    const before = sns.requests.length;
    const body = notification(fixture('ses-bounce-permanent-general.json'), `https://${sns.host}/SimpleNotificationService-third.pem`, signer.keyPem, '2', { TopicArn: 'arn:aws:sns:eu-west-1:999999999999:someone-else' });
    expect(refusal(await post(intake(), body))).toBe('topic_not_allowed');
    expect(sns.requests.length).toBe(before);
  });

  it('refuses malformed envelopes, unknown types and signature versions, big bodies', async () => {
    const i = intake();
    const good = JSON.parse(notification(fixture('ses-delivery.json'), certUrl, signer.keyPem).toString()) as Record<string, unknown>;
    expect(refusal(await post(i, Buffer.from('not json')))).toBe('malformed');
    expect(refusal(await post(i, Buffer.from('[1,2]')))).toBe('malformed');
    expect(refusal(await post(i, Buffer.from(JSON.stringify({ ...good, MessageId: undefined }))))).toBe('malformed');
    expect(refusal(await post(i, Buffer.from(JSON.stringify({ ...good, Message: 42 }))))).toBe('malformed');
    expect(refusal(await post(i, Buffer.from(JSON.stringify({ ...good, Type: 'Surprise' }))))).toBe('unsupported_type');
    expect(refusal(await post(i, Buffer.from(JSON.stringify({ ...good, SignatureVersion: '3' }))))).toBe('unsupported_signature_version');
    expect(refusal(await post(i, Buffer.from(JSON.stringify(good)), { 'x-amz-sns-message-type': 'SubscriptionConfirmation' }))).toBe('malformed');
    expect(refusal(await post(i, Buffer.alloc(1024 * 1024 + 1, 0x20)))).toBe('payload_too_large');
  });

  it('a certificate that cannot be fetched: cert_unavailable, and the URL is not fetched again for a minute', async () => {
    const i = intake();
    const url = `https://${sns.host}/SimpleNotificationService-missing.pem`;
    const before = certFetches();
    const now = NOW();
    expect(refusal(await post(i, notification(fixture('ses-delivery.json'), url, signer.keyPem), {}, now))).toBe('cert_unavailable');
    expect(refusal(await post(i, notification(fixture('ses-delivery.json'), url, signer.keyPem), {}, now + 30_000))).toBe('cert_unavailable');
    expect(certFetches() - before).toBe(1);
    expect(refusal(await post(i, notification(fixture('ses-delivery.json'), url, signer.keyPem), {}, now + 61_000))).toBe('cert_unavailable');
    expect(certFetches() - before).toBe(2);
  });

  it('a certificate expired (or not yet valid), not RSA, or not a certificate: cert_invalid', async () => {
    const body = notification(fixture('ses-delivery.json'), certUrl, signer.keyPem);
    expect(refusal(await post(intake(), body, {}, NOW() + 5 * 86_400_000))).toBe('cert_invalid');
    expect(refusal(await post(intake(), body, {}, NOW() - 5 * 86_400_000))).toBe('cert_invalid');
    expect(refusal(await post(intake(), notification(fixture('ses-delivery.json'), `https://${sns.host}/ec.pem`, signer.keyPem)))).toBe('cert_invalid');
    expect(refusal(await post(intake(), notification(fixture('ses-delivery.json'), `https://${sns.host}/broken.pem`, signer.keyPem)))).toBe('cert_invalid');
  });

  it('the fetcher follows no redirect and reads no more than 64 KiB: cert_unavailable', async () => {
    sns.files.set('/redirect.pem', 302);
    sns.files.set('/huge.pem', `${signer.certPem}${'x'.repeat(70 * 1024)}`);
    for (const path of ['/redirect.pem', '/huge.pem']) {
      const r = await post(intake(), notification(fixture('ses-delivery.json'), `https://${sns.host}${path}`, signer.keyPem));
      expect(r.ok ? 'accepted' : `${r.refusal.code}: ${r.refusal.detail}`).toMatch(/^cert_unavailable: fetch failed: (?:HTTP 302|answer over 65536 bytes)$/);
    }
  });

  it('a fetcher that does not trust the server (no CA given) cannot fetch: cert_unavailable', async () => {
    const i = intake({ fetchCert: httpsCertFetcher() });
    expect(refusal(await post(i, notification(fixture('ses-delivery.json'), certUrl, signer.keyPem)))).toBe('cert_unavailable');
  });

  it('SubscriptionConfirmation: verified, then its SubscribeURL (host-checked) is visited', async () => {
    const subscribeUrl = `https://${sns.host}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC)}&Token=2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92`;
    const env = snsEnvelope({ Type: 'SubscriptionConfirmation', Message: `You have chosen to subscribe to the topic ${TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`, SubscribeURL: subscribeUrl, Token: '2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92', SigningCertURL: certUrl }, signer.keyPem, '1');
    const before = sns.requests.filter((p) => p.includes('ConfirmSubscription')).length;
    const r = await post(intake(), Buffer.from(JSON.stringify(env)), { 'x-amz-sns-message-type': 'SubscriptionConfirmation' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.control).toEqual({ type: 'subscription', topicArn: TOPIC, subscribeUrl: new URL(subscribeUrl).href, confirmed: true, error: null });
    expect(r.evidence).toEqual([]);
    expect(sns.requests.filter((p) => p.includes('ConfirmSubscription')).length - before).toBe(1);

    // without a visitor (or autoConfirm false): returned, not visited
    const quiet = intake({ visitSubscribeUrl: undefined });
    const q = await post(quiet, Buffer.from(JSON.stringify(env)));
    expect(q.ok && q.control).toMatchObject({ type: 'subscription', confirmed: false });
    expect(sns.requests.filter((p) => p.includes('ConfirmSubscription')).length - before).toBe(1);
  });

  it('a SubscribeURL elsewhere, or for another topic, is refused and never visited', async () => {
    const before = sns.requests.length;
    for (const subscribeUrl of [
      `https://evil.example.test/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC)}&Token=t`,
      `https://${sns.host}/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:111122223333:other&Token=t`,
      `https://${sns.host}/?Action=Unsubscribe&TopicArn=${encodeURIComponent(TOPIC)}&Token=t`,
      `http://${sns.host}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC)}&Token=t`,
    ]) {
      const env = snsEnvelope({ Type: 'SubscriptionConfirmation', Message: 'm', SubscribeURL: subscribeUrl, Token: 't', SigningCertURL: certUrl }, signer.keyPem);
      expect(refusal(await post(intake(), Buffer.from(JSON.stringify(env))))).toBe('subscribe_url_not_allowed');
    }
    expect(sns.requests.length).toBe(before);
  });

  it('UnsubscribeConfirmation: verified and reported, nothing visited', async () => {
    const before = sns.requests.filter((p) => p.includes('Action=')).length;
    const env = snsEnvelope({ Type: 'UnsubscribeConfirmation', Message: 'You have chosen to deactivate subscription', SubscribeURL: `https://${sns.host}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC)}&Token=t`, Token: 't', SigningCertURL: certUrl }, signer.keyPem);
    const r = await post(intake(), Buffer.from(JSON.stringify(env)));
    expect(r.ok && r.control).toEqual({ type: 'unsubscribe', topicArn: TOPIC });
    expect(sns.requests.filter((p) => p.includes('Action=')).length).toBe(before);
  });

  it('a signed notification that is not an SES event is skipped (unsupported_type), not refused', async () => {
    const r = await post(intake(), notification('hello from another publisher', certUrl, signer.keyPem));
    expect(r.ok && r.skipped.map((s) => s.code)).toEqual(['unsupported_type']);
    expect(r.ok && r.evidence).toEqual([]);
  });

  it('an endpoint is reached only through its own provider', async () => {
    const r = await intake().receive('sendgrid', 'ses-acme', { body: Buffer.from('[]'), headers: {} }, NOW());
    expect(refusal(r)).toBe('unknown_endpoint');
    expect(refusal(await intake().receive('ses', 'nope', { body: Buffer.from('{}'), headers: {} }, NOW()))).toBe('unknown_endpoint');
  });
});

describe('SNS certificate cache', () => {
  const fetcher = () => {
    const f = httpsCertFetcher({ ca: sns.tlsCert });
    let n = 0;
    return { fetch: (u: string) => (n++, f(u)), count: () => n };
  };
  const url = (name: string) => `https://${sns.host}/SimpleNotificationService-${name}.pem`;

  it('is bounded (least recently used goes) and keeps a certificate for its TTL', async () => {
    const f = fetcher();
    const cache = new SnsCertCache({ fetch: f.fetch, maxEntries: 2, ttlMs: 60_000 });
    const now = NOW();
    for (const n of ['0123456789abcdef', 'second', 'third']) expect((await cache.key(url(n), now)).ok).toBe(true);
    expect(f.count()).toBe(3);
    expect(await cache.key(url('third'), now)).toMatchObject({ ok: true, cached: true });
    expect(await cache.key(url('second'), now)).toMatchObject({ ok: true, cached: true });
    expect(await cache.key(url('0123456789abcdef'), now)).toMatchObject({ ok: true, cached: false }); // evicted
    expect(f.count()).toBe(4);
    expect(await cache.key(url('0123456789abcdef'), now + 60_001)).toMatchObject({ ok: true, cached: false }); // expired
    expect(f.count()).toBe(5);
  });

  it('shares one fetch between concurrent requests for a URL, and caps fetches at once', async () => {
    const f = fetcher();
    const cache = new SnsCertCache({ fetch: f.fetch, maxConcurrentFetches: 1 });
    const now = NOW();
    const [a, b, c] = await Promise.all([cache.key(url('second'), now), cache.key(url('second'), now), cache.key(url('third'), now)]);
    expect(a.ok && b.ok).toBe(true);
    expect(c).toMatchObject({ ok: false, code: 'cert_unavailable' });
    expect(f.count()).toBe(1);
  });
});

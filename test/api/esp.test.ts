// Sending providers' events end to end (issue #19 phase B): the API listening on 127.0.0.1,
// requests signed here the way each provider signs them (SNS: RSA with a certificate served
// over HTTPS from a loopback "SNS"; SendGrid: ECDSA P-256; Mailgun: HMAC-SHA256; Postmark:
// basic auth + the endpoint secret), posted over loopback, and the records read back through
// the API: bounces, their evidence and report, suppressions, metrics.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/app.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { buildPipeline, type Built } from '../../src/pipeline/build.js';
import { buildEsp } from '../../src/pipeline/esp-settle.js';
import { otherConnection } from '../helpers/db.js';
import { testConfig } from '../helpers/env.js';
import { ADMIN_KEY, admin } from '../helpers/api.js';
import {
  basicAuth, fixture, fixtureText, mailgunBody, notification, selfSigned, sendgridHeaders, sendgridKeys, snsEnvelope, startFakeSns, TOPIC,
  type FakeSns, type SelfSigned,
} from '../helpers/esp.js';

const sg = sendgridKeys();
const MG_KEY = 'mailgun-signing-key-0123456789';
const PM = { username: 'postmark', password: 'pm-password', secret: 'postmark-secret-0123456789' };
const REFUSALS_PER_MINUTE = 8;

let sns: FakeSns;
let signer: SelfSigned;
let certUrl: string;
let built: Built;
let app: FastifyInstance;
let base: string;
let metrics: Metrics;
let esp: ReturnType<typeof buildEsp>;
const lines: string[] = [];

beforeAll(async () => {
  sns = await startFakeSns();
  signer = selfSigned('sns.eu-west-1.amazonaws.com');
  sns.files.set('/SimpleNotificationService-test.pem', signer.certPem);
  certUrl = `https://${sns.host}/SimpleNotificationService-test.pem`;
  const cfg = testConfig({
    adminKey: ADMIN_KEY,
    // A lock held by another process fails a write after this (the 503 test), not after 5 s.
    store: { busyTimeoutMs: 300 },
    esp: {
      endpoints: [
        { id: 'ses-acme', provider: 'ses', account: 'acme', topics: [TOPIC], certHosts: [sns.host] },
        { id: 'sg-acme', provider: 'sendgrid', account: 'acme', publicKey: sg.publicKeyBase64 },
        { id: 'sg-shared', provider: 'sendgrid', publicKey: sg.publicKeyBase64 },
        { id: 'mg-acme', provider: 'mailgun', account: 'acme', signingKey: MG_KEY },
        { id: 'pm-acme', provider: 'postmark', account: 'acme', ...PM },
      ],
    },
  });
  built = await buildPipeline(cfg);
  esp = buildEsp(cfg, built.verp, built.store, built.rules, { ca: sns.tlsCert });
  metrics = new Metrics({ defaults: false });
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  app = buildApi({
    store: built.store,
    log: createLogger('debug', sink),
    smtpListening: () => true,
    policy: built.policy,
    adminKey: ADMIN_KEY,
    metrics,
    esp,
    // The keyless per-client limit is strict here: provider routes must not be subject to it.
    clientLimits: { perSecond: 0.001, burst: 1, authFailuresPerMinute: REFUSALS_PER_MINUTE },
    trustProxy: ['127.0.0.1'],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const a = app.server.address() as { port: number };
  base = `http://127.0.0.1:${a.port}`;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await built?.close();
  await sns?.close();
});

/** Each test speaks as its own client (X-Forwarded-For from the trusted loopback proxy), so the refusal limit is per test. */
let client = 0;
beforeEach(() => {
  client++;
});

async function post(path: string, body: Buffer | string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { 'content-type': 'application/json', 'x-forwarded-for': `192.0.2.${client}`, ...headers } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, any>) : null };
}

async function get(path: string) {
  const r = await app.inject({ method: 'GET', url: path, headers: admin });
  return { status: r.statusCode, json: r.headers['content-type']?.toString().includes('json') ? r.json() : null, body: r.rawPayload };
}

const bouncesOf = async (q: string) => (await get(`/v1/bounces?account=acme&${q}`)).json.items as Array<Record<string, any>>;
const suppressed = async (address: string) => ((await get(`/v1/suppressions?account=acme&limit=1000`)).json.items as Array<{ address: string; reason: string }>).filter((s) => s.address === address).map((s) => s.reason).sort();
const sendgridPost = (endpoint: string, events: unknown[], ts = Math.floor(Date.now() / 1000)) => {
  const body = Buffer.from(JSON.stringify(events));
  return post(`/v1/esp/sendgrid/${endpoint}`, body, sendgridHeaders(body, sg.privateKey, ts));
};
async function metric(name: string, labels: string): Promise<number> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('SES through SNS', () => {
  it('records a signed bounce once: bounce record, evidence naming the provider, the body as its report, the suppression', async () => {
    const message = fixture('ses-bounce-permanent-general.json');
    const body = notification(message, certUrl, signer.keyPem, '2', { MessageId: `sns-${randomBytes(4).toString('hex')}` });
    const first = await post('/v1/esp/ses/ses-acme', body, { 'content-type': 'text/plain; charset=UTF-8' });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ accepted: 1, duplicates: 0, skipped: [] });

    const [b] = await bouncesOf('recipient=nosuch.user@mail.example.test');
    expect(b).toMatchObject({ kind: 'bounce', type: 'hard', category: 'unknown_user', reason: 'userunknown', detector: 'esp-ses', verified: true, status: '5.1.1' });
    const one = await get(`/v1/bounces/${b!.id}`);
    expect(one.json.rule.detector).toBe('esp-ses');
    expect(one.json.evidence.map((e: { source: string; state: string }) => [e.source, e.state])).toEqual([['esp', 'hard']]);
    const report = await get(one.json.report.href);
    expect(Buffer.compare(report.body, body)).toBe(0);
    expect(await suppressed('nosuch.user@mail.example.test')).toEqual(['hard_bounce']);

    // SNS delivers at least once: the same notification again writes nothing.
    const messagesBefore = (await built.store.messages.counts()).processed;
    const again = await post('/v1/esp/ses/ses-acme', body, { 'content-type': 'text/plain; charset=UTF-8' });
    expect(again.json).toEqual({ accepted: 0, duplicates: 1, skipped: [] });
    expect((await bouncesOf('recipient=nosuch.user@mail.example.test')).length).toBe(1);
    expect((await built.store.messages.counts()).processed).toBe(messagesBefore);
    expect(await metric('bounced_esp_events_total', 'provider="ses",kind="bounce"')).toBeGreaterThanOrEqual(1);
    expect(await metric('bounced_esp_duplicates_total', 'provider="ses"')).toBeGreaterThanOrEqual(1);
    expect(await metric('bounced_esp_cert_fetches_total', 'result="ok"')).toBe(1);
  });

  it('a SubscriptionConfirmation is verified and its SubscribeURL visited (on the loopback SNS); 200, counted, logged', async () => {
    const token = '2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92';
    const subscribeUrl = `https://${sns.host}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC)}&Token=${token}`;
    const env = snsEnvelope({ Type: 'SubscriptionConfirmation', Message: `You have chosen to subscribe to the topic ${TOPIC}.`, SubscribeURL: subscribeUrl, Token: token, SigningCertURL: certUrl }, signer.keyPem, '2');
    const before = sns.requests.filter((p) => p.includes('ConfirmSubscription')).length;
    const r = await post('/v1/esp/ses/ses-acme', JSON.stringify(env), { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'SubscriptionConfirmation' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ accepted: 0, duplicates: 0, skipped: [] });
    expect(sns.requests.filter((p) => p.includes('ConfirmSubscription')).length - before).toBe(1);
    expect(await metric('bounced_esp_subscriptions_total', 'result="confirmed"')).toBe(1);
    expect(lines.join('')).toContain('"evt":"ESP_SUBSCRIPTION_CONFIRMED"');
  });

  it('refuses a notification signed by another key (401) and records nothing', async () => {
    const intruder = selfSigned('intruder');
    const body = notification(fixture('ses-bounce-permanent-noemail.json'), certUrl, intruder.keyPem, '1');
    const r = await post('/v1/esp/ses/ses-acme', body, { 'content-type': 'text/plain' });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Signature realm="bounced", provider="ses"');
    expect(r.json!.error.code).toBe('signature_invalid');
    expect(await metric('bounced_esp_refused_total', 'provider="ses",code="signature_invalid"')).toBeGreaterThanOrEqual(1);
    expect(lines.join('')).toContain('"evt":"ESP_REFUSED"');
  });
});

describe('SendGrid', () => {
  it('records a signed batch: bounces, a deferral, a delivery, a complaint, unsubscribes, a send; skips opens', async () => {
    const events = fixture('sendgrid-events.json') as unknown as Array<Record<string, unknown>>;
    const r = await sendgridPost('sg-acme', events);
    expect(r.status).toBe(200);
    expect(r.json!.duplicates).toBe(0);
    expect(r.json!.skipped.map((s: { code: string }) => s.code)).toEqual(expect.arrayContaining(['unsupported_type']));
    expect(r.json!.accepted + r.json!.skipped.length).toBe(events.length);

    const nobody = await bouncesOf('recipient=nobody@example.test');
    expect(nobody).toHaveLength(1);
    expect(nobody[0]).toMatchObject({ detector: 'esp-sendgrid', type: 'hard', verified: true });
    expect(await suppressed('nobody@example.test')).toEqual(['hard_bounce']);
    expect((await bouncesOf('recipient=spam@example.test'))[0]).toMatchObject({ kind: 'complaint', feedbackType: 'abuse' });
    expect(await suppressed('spam@example.test')).toEqual(['complaint']);
    expect(await suppressed('unsub@example.test')).toEqual(['unsubscribe']);
    // A deferral is pending, never a suppression; a delivery is no bounce record.
    expect((await bouncesOf('recipient=deferred@example.test'))[0]).toMatchObject({ kind: 'delay', type: 'pending' });
    expect(await suppressed('deferred@example.test')).toEqual([]);
    expect(await bouncesOf('recipient=delivered@example.test')).toEqual([]);
    expect(await bouncesOf('recipient=opener@example.test')).toEqual([]);
    expect(await metric('bounced_esp_skipped_total', 'provider="sendgrid",code="unsupported_type"')).toBeGreaterThanOrEqual(1);
    expect(await metric('bounced_esp_events_total', 'provider="sendgrid",kind="send"')).toBeGreaterThanOrEqual(1);

    // A replay within the window verifies again and is a duplicate throughout.
    const again = await sendgridPost('sg-acme', events);
    expect(again.json).toMatchObject({ accepted: 0, duplicates: r.json!.accepted });
  });

  it('a bad signature is 401 and records nothing; a shared endpoint without tags is 403 no_account', async () => {
    const events = [{ email: 'forged@example.test', event: 'bounce', type: 'bounce', reason: '550 5.1.1 user unknown', sg_event_id: 'forged-1', timestamp: 1795161600 }];
    const body = Buffer.from(JSON.stringify(events));
    const headers = sendgridHeaders(Buffer.from('[]'), sg.privateKey, Math.floor(Date.now() / 1000));
    const r = await post('/v1/esp/sendgrid/sg-acme', body, headers);
    expect(r.status).toBe(401);
    expect(r.json!.error.code).toBe('signature_invalid');
    expect(await bouncesOf('recipient=forged@example.test')).toEqual([]);

    const shared = await sendgridPost('sg-shared', events);
    expect(shared.status).toBe(403);
    expect(shared.json!.error.code).toBe('no_account');
    expect(await bouncesOf('recipient=forged@example.test')).toEqual([]);
  });
});

describe('Mailgun', () => {
  it('a temporary failure (Mailgun retries) is pending and no suppression; the same token again is refused as replayed', async () => {
    const body = mailgunBody(fixture('mailgun-failed-temporary.json'), MG_KEY, Math.floor(Date.now() / 1000));
    const r = await post('/v1/esp/mailgun/mg-acme', body);
    expect(r.status).toBe(200);
    expect(r.json!.accepted).toBe(1);
    expect((await bouncesOf('recipient=busy@example.test'))[0]).toMatchObject({ detector: 'esp-mailgun', type: 'pending', category: 'mailbox_full' });
    expect(await suppressed('busy@example.test')).toEqual([]);
    const again = await post('/v1/esp/mailgun/mg-acme', body);
    expect(again.status).toBe(403);
    expect(again.json!.error.code).toBe('replayed');
  });

  it('a store that cannot write answers 503 and forgets the token: the provider\'s retry is recorded, not refused as a replay', async () => {
    const body = mailgunBody({ ...fixture('mailgun-failed-permanent.json'), id: 'locked-event', recipient: 'locked@example.test' }, MG_KEY, Math.floor(Date.now() / 1000));
    const other = otherConnection(built.config.dataDir);
    try {
      other.exec('BEGIN IMMEDIATE');
      const r = await post('/v1/esp/mailgun/mg-acme', body);
      expect(r.status).toBe(503);
      expect(r.json!.error.code).toBe('store_unavailable');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(await bouncesOf('recipient=locked@example.test')).toEqual([]);
    const retry = await post('/v1/esp/mailgun/mg-acme', body);
    expect(retry.status).toBe(200);
    expect(retry.json!.accepted).toBe(1);
    expect((await bouncesOf('recipient=locked@example.test'))[0]).toMatchObject({ detector: 'esp-mailgun', type: 'hard' });
  });

  it('a body over the provider limit is 413, counted', async () => {
    const r = await post('/v1/esp/mailgun/mg-acme', Buffer.alloc(1024 * 1024 + 1, 0x20));
    expect(r.status).toBe(413);
    expect(await metric('bounced_esp_refused_total', 'provider="mailgun",code="payload_too_large"')).toBe(1);
  });
});

describe('Postmark', () => {
  it('needs basic auth and the path secret (401 with a challenge); with them records the bounce', async () => {
    const body = fixtureText('postmark-hardbounce.json');
    const wrong = await post(`/v1/esp/postmark/pm-acme/${PM.secret}`, body, { authorization: basicAuth(PM.username, 'nope') });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="bounced"');
    const noSecret = await post('/v1/esp/postmark/pm-acme', body, { authorization: basicAuth(PM.username, PM.password) });
    expect(noSecret.status).toBe(401);
    const ok = await post(`/v1/esp/postmark/pm-acme/${PM.secret}`, body, { authorization: basicAuth(PM.username, PM.password) });
    expect(ok.status).toBe(200);
    expect(ok.json!.accepted).toBe(1);
    const rcpt = (JSON.parse(body) as { Email: string }).Email.toLowerCase();
    expect((await bouncesOf(`recipient=${encodeURIComponent(rcpt)}`))[0]).toMatchObject({ detector: 'esp-postmark', type: 'hard' });
    // The path secret never reaches the request log (the route pattern does).
    expect(lines.join('')).not.toContain(PM.secret);
    expect(lines.join('')).toContain('/v1/esp/postmark/:endpointId/:secret');
  });
});

describe('limits', () => {
  it('an unknown endpoint is 404; past http.authFailuresPerMinute refusals a client gets 429; accepted requests are not limited', async () => {
    // Accepted requests in a burst (the keyless per-client limit here is one request).
    for (let n = 0; n < 3; n++) {
      const ev = [{ email: `burst${n}@example.test`, event: 'delivered', sg_event_id: `burst-${n}-${randomBytes(3).toString('hex')}`, timestamp: 1795161600 }];
      expect((await sendgridPost('sg-acme', ev)).status).toBe(200);
    }
    const statuses: number[] = [];
    for (let n = 0; n < REFUSALS_PER_MINUTE + 2; n++) statuses.push((await post('/v1/esp/mailgun/no-such-endpoint', '{}')).status);
    expect(statuses.slice(0, REFUSALS_PER_MINUTE)).toEqual(Array(REFUSALS_PER_MINUTE).fill(404));
    expect(statuses.slice(REFUSALS_PER_MINUTE)).toEqual([429, 429]);
  });
});

describe('the daemon', () => {
  it('serves the configured endpoints (main.ts wiring): a signed Mailgun bounce read back over HTTP; a bad endpoint stops the start', async () => {
    const { startDaemon } = await import('../../src/main.js');
    const cfg = testConfig({
      adminKey: ADMIN_KEY,
      pipeline: { worker: false },
      esp: { endpoints: [{ id: 'mg-acme', provider: 'mailgun', account: 'acme', signingKey: MG_KEY }] },
    });
    const daemon = await startDaemon(cfg, createLogger('silent'));
    try {
      const url = `http://127.0.0.1:${daemon.httpAddress.port}`;
      const body = mailgunBody(fixture('mailgun-failed-permanent.json'), MG_KEY, Math.floor(Date.now() / 1000));
      const res = await fetch(`${url}/v1/esp/mailgun/mg-acme`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { accepted: number }).accepted).toBe(1);
      const list = await fetch(`${url}/v1/bounces?account=acme`, { headers: admin });
      const items = ((await list.json()) as { items: Array<{ detector: string; type: string }> }).items;
      expect(items.map((b) => [b.detector, b.type])).toEqual([['esp-mailgun', 'hard']]);
      const m = await (await fetch(`${url}/metrics`)).text();
      expect(m).toMatch(/bounced_esp_requests_total\{provider="mailgun",result="accepted"\} 1/);
    } finally {
      await daemon.stop();
    }
    const bad = testConfig({ pipeline: { worker: false }, esp: { endpoints: [{ id: 'mg', provider: 'mailgun', account: 'acme', signingKey: 'short' }] } });
    await expect(startDaemon(bad, createLogger('silent'))).rejects.toMatchObject({ name: 'EspConfigError' });
  });
});

describe('repeated soft bounces through provider events', () => {
  it('the account sets its soft-bounce limit over the API; the Nth transient SES bounce of an address suppresses it', async () => {
    const bad = await app.inject({ method: 'PUT', url: '/v1/accounts/acme/soft-bounce-limit', headers: admin, payload: { bounces: 1, windowDays: 30, suppressDays: 30 } });
    expect(bad.statusCode).toBe(400);
    const put = await app.inject({ method: 'PUT', url: '/v1/accounts/acme/soft-bounce-limit', headers: admin, payload: { bounces: 2, windowDays: 30, suppressDays: 30 } });
    expect(put.statusCode).toBe(200);
    expect((await get('/v1/accounts/acme/soft-bounce-limit')).json).toEqual({ softBounceLimit: { bounces: 2, windowDays: 30, suppressDays: 30 } });
    const message = fixture('ses-bounce-transient-mailboxfull.json') as { bounce: { feedbackId: string }; mail: { messageId: string } };
    for (const n of [1, 2]) {
      message.bounce.feedbackId = `feedback-soft-${n}`;
      message.mail.messageId = `message-soft-${n}`;
      const r = await post('/v1/esp/ses/ses-acme', notification(message, certUrl, signer.keyPem, '2', { MessageId: `sns-soft-${n}` }), { 'content-type': 'text/plain' });
      expect(r.json).toEqual({ accepted: 1, duplicates: 0, skipped: [] });
      expect((await bouncesOf(`recipient=full@example.test`)).map((b) => b.type)).toEqual(Array(n).fill('soft'));
      expect(await suppressed('full@example.test')).toEqual(n === 1 ? [] : ['soft_bounce_limit']);
    }
    // The pre-send check says why, in the contact's explanation.
    const check = await get('/v1/suppressions/full@example.test?account=acme');
    expect(check.json).toMatchObject({ send: false, reasons: [{ code: 'soft_bounce_limit', scope: 'account' }] });
    expect(check.json.reasons[0].detail).toMatch(/^2 soft bounces within 30 days, no delivery between; suppressed for 30 days/);
  });
});

describe('group commit', () => {
  it('requests posted at once are each answered for their own events, in a shared commit; a duplicate inside the group is one', async () => {
    const events = Array.from({ length: 12 }, (_, i) => [{ email: `group${i}@example.test`, event: 'bounce', type: 'bounce', reason: '550 5.1.1 user unknown', sg_event_id: `group-${i}`, timestamp: 1795161600 }]);
    const commitsBefore = esp.settler.commits;
    const answers = await Promise.all([...events, events[0]!].map((ev) => sendgridPost('sg-acme', ev)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // Requests read in the same turn of the event loop share a transaction (one fsync); before
    // the settler waited a loop turn for them, each of these 13 requests committed alone.
    expect(esp.settler.commits - commitsBefore).toBeLessThan(13);
    expect(answers.reduce((n, a) => n + a.json!.accepted, 0)).toBe(12);
    expect(answers.reduce((n, a) => n + a.json!.duplicates, 0)).toBe(1);
    for (let i = 0; i < 12; i++) expect(await bouncesOf(`recipient=group${i}@example.test`)).toHaveLength(1);
  });
});

describe('sends (the rates\' denominator)', () => {
  const sends = async () => (await built.store.sends.list('acme')).reduce((n, s) => n + s.count, 0);
  const sg = (event: string, email: string, id: string, extra: Record<string, unknown> = {}) => ({ email, event, sg_event_id: id, sg_message_id: `sendsmsg.${email}.filter0001.1.0`, timestamp: 1795161600, ...extra });
  const pmPost = (record: unknown) =>
    post(`/v1/esp/postmark/pm-acme/${PM.secret}`, JSON.stringify(record), { authorization: basicAuth(PM.username, PM.password) });

  it('SendGrid processed then delivered of one message to one recipient is one send; a replay none; dropped none; a bounce alone one', async () => {
    const before = await sends();
    const processed = sg('processed', 'sends1@example.test', 'sends-p1');
    expect((await sendgridPost('sg-acme', [processed])).json).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(await sends()).toBe(before + 1);
    expect((await sendgridPost('sg-acme', [sg('delivered', 'sends1@example.test', 'sends-d1')])).json).toMatchObject({ accepted: 1 });
    expect(await sends()).toBe(before + 1);
    expect((await sendgridPost('sg-acme', [processed])).json).toMatchObject({ accepted: 0, duplicates: 1 });
    // SendGrid never tried a dropped message (its own suppression list): no send.
    await sendgridPost('sg-acme', [sg('dropped', 'sends2@example.test', 'sends-x2', { reason: 'Bounced Address' })]);
    expect(await sends()).toBe(before + 1);
    // A sender who does not subscribe to processed: the bounce proves the send.
    await sendgridPost('sg-acme', [sg('bounce', 'sends3@example.test', 'sends-b3', { type: 'bounce', reason: '550 5.1.1 user unknown' })]);
    expect(await sends()).toBe(before + 2);
    // the send is a recorded event of its own kind, not a bounce record or a delivery
    expect(await bouncesOf('recipient=sends1@example.test')).toEqual([]);
    const rows = await built.store.espEvents.list({ accountId: 'acme', kind: 'send', limit: 1000 });
    expect(rows.filter((r) => r.recipient === 'sends1@example.test').map((r) => r.eventId).sort()).toEqual(['sends-p1', 'sent:sendsmsg.sends1@example.test/sends1@example.test']);
  });

  it('SES Send counts each destination once; its Delivery after it adds none', async () => {
    const before = await sends();
    const send = { ...fixture('ses-send.json'), mail: { timestamp: '2026-11-20T05:02:16.645Z', messageId: '0102018c40030000-msg-delivered-000000', destination: ['happy@example.test', 'glad@example.test'] } };
    const r = await post('/v1/esp/ses/ses-acme', notification(send, certUrl, signer.keyPem, '2', { MessageId: `sns-${randomBytes(4).toString('hex')}` }), { 'content-type': 'text/plain' });
    expect(r.json).toMatchObject({ accepted: 2 });
    expect(await sends()).toBe(before + 2);
    const d = await post('/v1/esp/ses/ses-acme', notification(fixture('ses-delivery.json'), certUrl, signer.keyPem, '2', { MessageId: `sns-${randomBytes(4).toString('hex')}` }), { 'content-type': 'text/plain' });
    expect(d.json).toMatchObject({ accepted: 2 });
    expect(await sends()).toBe(before + 2);
    // the day of the send is the provider's time
    expect((await built.store.sends.list('acme')).find((s) => s.day === '2026-11-20')!.count).toBeGreaterThanOrEqual(2);
  });

  it('Mailgun accepted then delivered is one send; Postmark (no send event) counts its Delivery once', async () => {
    const before = await sends();
    const ts = Math.floor(Date.now() / 1000);
    const accepted = { ...fixture('mailgun-delivered.json'), event: 'accepted', id: 'sends-accepted-1', recipient: 'mgsend@example.test' };
    expect((await post('/v1/esp/mailgun/mg-acme', mailgunBody(accepted, MG_KEY, ts))).json).toMatchObject({ accepted: 1 });
    expect(await sends()).toBe(before + 1);
    const delivered = { ...fixture('mailgun-delivered.json'), id: 'sends-delivered-1', recipient: 'mgsend@example.test' };
    expect((await post('/v1/esp/mailgun/mg-acme', mailgunBody(delivered, MG_KEY, ts))).json).toMatchObject({ accepted: 1 });
    expect(await sends()).toBe(before + 1);

    const delivery = { ...fixture('postmark-delivery.json'), MessageID: 'a1b2c3d4-0000-4000-8000-0000000000aa', Recipient: 'pmsend@example.test' };
    expect((await pmPost(delivery)).json).toMatchObject({ accepted: 1 });
    expect((await pmPost(delivery)).json).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(await sends()).toBe(before + 2);
  });
});

// The intake as phase B's routes and pipeline will call it (src/esp/intake.ts): configuration
// checked once, mapVerified() giving again what receive() accepted (replay), and hostile
// bodies (mutated fixtures) never making it throw.
import { describe, expect, it } from 'vitest';
import { EspIntake, type EndpointConfig } from '../../src/esp/intake.js';
import { EspConfigError } from '../../src/esp/types.js';
import { basicAuth, fixture, fixtureText, mailgunBody, sendgridHeaders, sendgridKeys, TOPIC } from '../helpers/esp.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const TS = Math.floor(NOW / 1000);
const sg = sendgridKeys();
const MG = 'mailgun-signing-key-0123456789';
const PM = { username: 'u', password: 'p', secret: 'postmark-secret-0123456789' };

const endpoints: EndpointConfig[] = [
  { id: 'sg', provider: 'sendgrid', account: 'acme', publicKey: sg.publicKeyBase64 },
  { id: 'mg', provider: 'mailgun', account: 'acme', signingKey: MG },
  { id: 'pm', provider: 'postmark', account: 'acme', ...PM },
];

describe('configuration', () => {
  const make = (e: EndpointConfig[], extra = {}) => () => new EspIntake({ endpoints: e, tags: null, ...extra });
  it.each<[string, EndpointConfig[], object?]>([
    ['a bad id', [{ ...endpoints[0]!, id: 'a/b' } as EndpointConfig]],
    ['an id twice', [endpoints[0]!, { ...endpoints[1]!, id: 'sg' } as EndpointConfig]],
    ['an empty account', [{ ...endpoints[0]!, account: '' } as EndpointConfig]],
    ['an unknown provider', [{ ...endpoints[0]!, provider: 'sparkpost' } as unknown as EndpointConfig]],
    ['SES without topics', [{ id: 's', provider: 'ses', account: 'a', topics: [] }], { fetchCert: async () => '' }],
    ['SES with a topic that is no ARN', [{ id: 's', provider: 'ses', account: 'a', topics: ['bounces'] }], { fetchCert: async () => '' }],
    ['SES with a bad host pattern', [{ id: 's', provider: 'ses', account: 'a', topics: [TOPIC], certHosts: ['https://x'] }], { fetchCert: async () => '' }],
    ['SES without a certificate fetcher', [{ id: 's', provider: 'ses', account: 'a', topics: [TOPIC] }]],
    ['a replay window of 0', [{ ...endpoints[1]!, replayWindowSeconds: 0 } as EndpointConfig]],
    ['a short Mailgun key', [{ ...endpoints[1]!, signingKey: 'short' } as EndpointConfig]],
  ])('refuses %s', (_name, e, extra) => {
    expect(make(e, extra)).toThrow(EspConfigError);
  });

  it('describes its endpoints', () => {
    const i = new EspIntake({ endpoints, tags: null });
    expect(i.endpoint('mg')).toEqual({ id: 'mg', provider: 'mailgun', account: 'acme' });
    expect(i.endpoint('none')).toBeNull();
  });
});

describe('mapVerified (replay of stored bodies)', () => {
  it('gives the evidence receive() gave, days later, without the replay window or token memory', async () => {
    const i = new EspIntake({ endpoints, tags: null });
    const later = NOW + 30 * 86_400_000;
    const cases: Array<[Parameters<EspIntake['receive']>[0], string, Buffer, Record<string, string>, string | null]> = [];
    const sgBody = Buffer.from(fixtureText('sendgrid-events.json'));
    cases.push(['sendgrid', 'sg', sgBody, sendgridHeaders(sgBody, sg.privateKey, TS), null]);
    cases.push(['mailgun', 'mg', mailgunBody(fixture('mailgun-failed-permanent.json'), MG, TS), {}, null]);
    cases.push(['postmark', 'pm', Buffer.from(fixtureText('postmark-hardbounce.json')), { authorization: basicAuth('u', 'p') }, PM.secret]);
    for (const [provider, id, body, headers, pathSecret] of cases) {
      const first = await i.receive(provider, id, { body, headers, pathSecret }, NOW);
      expect(first.ok, provider).toBe(true);
      // receive() again, later: refused (window, token); mapVerified: the same evidence
      const again = await i.receive(provider, id, { body, headers, pathSecret }, later);
      if (provider !== 'postmark') expect(again.ok, provider).toBe(false);
      const replay = i.mapVerified(provider, id, body, NOW);
      expect(replay.ok && replay.evidence, provider).toEqual(first.ok && first.evidence);
      expect(replay.ok && replay.skipped).toEqual(first.ok && first.skipped);
    }
  });
});

describe('hostile bodies', () => {
  // a small deterministic generator: mutations of the fixtures (fields removed, retyped,
  // made huge or nested), so that every reader meets wrong types in every place
  let seed = 0x2545f491;
  const rnd = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const weird = (): unknown => pick<unknown>([null, 0, -1, 1e308, 2 ** 64, '', 'x'.repeat(100_000), [], [[[]]], {}, { a: { b: {} } }, true, '\u0000', '<a@b>', 'a@b', '550 5.1.1 user unknown'.repeat(500)]);
  function mutate(v: unknown, depth = 0): unknown {
    if (Array.isArray(v)) return rnd() < 0.2 ? weird() : v.map((x) => mutate(x, depth + 1));
    if (v && typeof v === 'object') {
      if (rnd() < 0.1) return weird();
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const r = rnd();
        if (r < 0.1) continue;
        out[k] = r < 0.3 ? weird() : mutate(x, depth + 1);
      }
      return out;
    }
    return rnd() < 0.3 ? weird() : v;
  }

  it('never throw: receive() with valid credentials over mutated payloads, and mapVerified()', async () => {
    const i = new EspIntake({ endpoints, tags: null });
    const sgEvents = fixture('sendgrid-events.json') as unknown as unknown[];
    const mgFiles = ['mailgun-failed-permanent.json', 'mailgun-failed-temporary.json', 'mailgun-delivered.json', 'mailgun-complained.json'];
    const pmFiles = ['postmark-hardbounce.json', 'postmark-softbounce.json', 'postmark-spamcomplaint.json', 'postmark-delivery.json'];
    const sesFiles = ['ses-bounce-permanent-general.json', 'ses-complaint.json', 'ses-delivery.json', 'ses-delivery-delay.json', 'ses-subscription.json'];
    let evidence = 0;
    for (let n = 0; n < 300; n++) {
      const sgBody = Buffer.from(JSON.stringify(mutate(sgEvents)));
      const a = await i.receive('sendgrid', 'sg', { body: sgBody, headers: sendgridHeaders(sgBody, sg.privateKey, TS) }, NOW);
      const mgBody = mailgunBody(mutate(fixture(pick(mgFiles))), MG, TS);
      const b = await i.receive('mailgun', 'mg', { body: mgBody, headers: {} }, NOW);
      const pmBody = Buffer.from(JSON.stringify(mutate(fixture(pick(pmFiles)))));
      const c = await i.receive('postmark', 'pm', { body: pmBody, headers: { authorization: basicAuth('u', 'p') }, pathSecret: PM.secret }, NOW);
      const sesBody = Buffer.from(JSON.stringify({ Type: 'Notification', MessageId: 'm', TopicArn: TOPIC, Timestamp: 't', SignatureVersion: '2', Signature: 's', SigningCertURL: 'u', Message: JSON.stringify(mutate(fixture(pick(sesFiles)))) }));
      const d = i.mapVerified('ses', 'sg', sesBody, NOW); // wrong provider for the id: refused, not thrown
      const intakeSes = new EspIntake({ endpoints: [{ id: 'ses', provider: 'ses', account: 'acme', topics: [TOPIC] }], tags: null, fetchCert: async () => '' });
      const e = intakeSes.mapVerified('ses', 'ses', sesBody, NOW);
      for (const r of [a, b, c, d, e]) {
        if (!r.ok) {
          expect(typeof r.refusal.code).toBe('string');
          continue;
        }
        evidence += r.evidence.length;
        for (const ev of r.evidence) {
          expect(ev.recipient).toMatch(/^[^@\s]+@[^@\s]+$/);
          expect(ev.recipient.length).toBeLessThanOrEqual(400);
          expect((ev.diagnostic ?? '').length).toBeLessThanOrEqual(1000);
          expect(ev.eventId.length).toBeGreaterThan(0);
          expect(Number.isFinite(ev.at) && ev.at <= NOW + 86_400_000).toBe(true);
        }
      }
    }
    expect(evidence).toBeGreaterThan(100); // the mutations left enough intact to map
  });
});

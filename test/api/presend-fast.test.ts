// The pre-send check's fast path (src/api/presend-fast.ts) answers GET /v1/suppressions/:address
// before fastify's router. Two apps over one store, one with the fast path and one without,
// get the same table of requests over real HTTP on loopback, in the same order (their limiters
// are their own, fed the same sequence): every answer must match, status, body and the
// RateLimit-* / Retry-After fields, and the fast app must have taken the requests it is meant
// to take (a global onRequest hook counts what reached fastify).
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/app.js';
import { parseCheckUrl } from '../../src/api/presend-fast.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { ADMIN_KEY, apiFixture, withAccounts, type Fixture } from '../helpers/api.js';

const clock = 1_800_000_000_000;
const now = () => clock;
const BURST = 40;
const LIMITS = { rateLimit: { perSecond: 0.001, burst: BURST }, clientLimits: { perSecond: 0, burst: 1, authFailuresPerMinute: 3 } };

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | undefined>;
}

/** One request as written (no URL normalisation: node:http sends the path as given). */
function send(port: number, method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const h = res.headers;
        resolve({
          status: res.statusCode!,
          body,
          headers: { 'content-type': h['content-type'], 'ratelimit-limit': h['ratelimit-limit'] as string, 'ratelimit-remaining': h['ratelimit-remaining'] as string, 'ratelimit-reset': h['ratelimit-reset'] as string, 'retry-after': h['retry-after'] as string },
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

let fx: Fixture;
let slow: FastifyInstance;
let fast: FastifyInstance;
let slowPort: number;
let fastPort: number;
let fastMetrics: Metrics;
let slowMetrics: Metrics;
/** Requests that reached fastify's handler in the fast app. */
let reachedFastify = 0;
let keys: Record<string, string>;

beforeAll(async () => {
  fx = await apiFixture();
  keys = await withAccounts(fx, 'acme', 'beta', 'hammer');
  await fx.policy.addSuppressions('acme', ['held@example.org'], 'manual', 'test', clock - 5000);
  await fx.policy.addSuppressions('acme', ['Mixed.Case@Example.ORG'], 'unsubscribe', 'test', clock - 4000);
  const deps = { store: fx.store, log: createLogger('silent'), smtpListening: () => true, policy: fx.policy, adminKey: ADMIN_KEY, now, ...LIMITS };
  slowMetrics = new Metrics({ defaults: false });
  fastMetrics = new Metrics({ defaults: false });
  slow = buildApi({ ...deps, metrics: slowMetrics, presendFastPath: false });
  fast = buildApi({ ...deps, metrics: fastMetrics });
  fast.addHook('onRequest', (_req, _reply, done) => {
    reachedFastify++;
    done();
  });
  await slow.listen({ host: '127.0.0.1', port: 0 });
  await fast.listen({ host: '127.0.0.1', port: 0 });
  slowPort = (slow.server.address() as AddressInfo).port;
  fastPort = (fast.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await slow?.close();
  await fast?.close();
  await fx?.close();
});

const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

describe('the pre-send fast path', () => {
  it('answers a suppressed address with its reasons, serialised as the response schema does', async () => {
    const beta = bearer(keys.beta!);
    await fx.policy.addSuppressions('beta', ['both@example.org'], 'manual', 'test', clock - 3000);
    await fx.policy.addSuppressions('beta', ['both@example.org'], 'unsubscribe', 'test', clock - 2000);
    const viaFastify = await send(slowPort, 'GET', '/v1/suppressions/Both%40Example.org', beta);
    const viaFast = await send(fastPort, 'GET', '/v1/suppressions/Both%40Example.org', beta);
    expect(viaFast).toEqual(viaFastify);
    const d = JSON.parse(viaFast.body) as { send: boolean; reasons: Array<{ code: string; scope: string; detail?: string }> };
    expect(d.send).toBe(false);
    expect(d.reasons.map((r) => r.code)).toEqual(['unsubscribe', 'manual']);
    // An address nobody suppressed: send, no reasons.
    const clear = await send(fastPort, 'GET', '/v1/suppressions/held@example.org', beta);
    expect(JSON.parse(clear.body)).toEqual({ send: true, address: 'held@example.org', reasons: [] });
    expect(await send(slowPort, 'GET', '/v1/suppressions/held@example.org', beta)).toEqual(clear);
  });

  it('gives the same answers as the fastify route for a table of good and bad requests', async () => {
    const acme = bearer(keys.acme!);
    const admin = bearer(ADMIN_KEY);
    // [method, path, headers, taken by the fast path? (null: fastify answers before its hooks), expected status]
    const table: Array<[string, string, Record<string, string>, boolean | null, number]> = [
      ['GET', '/v1/suppressions/ann%40example.org', acme, true, 200],
      ['GET', '/v1/suppressions/ann@example.org', acme, true, 200],
      ['GET', '/v1/suppressions/held@example.org', acme, true, 200],
      ['GET', '/v1/suppressions/mixed.case%40example.org?channel=marketing', acme, true, 200],
      ['GET', '/v1/suppressions/held@example.org?channel=one_to_one&campaign=spring-2026', acme, true, 200],
      ['GET', '/v1/suppressions/held@example.org?account=acme', acme, true, 200],
      ['GET', '/v1/suppressions/held@example.org?campaign=', acme, true, 200],
      ['GET', '/v1/suppressions/held@example.org?account=acme', admin, true, 200],
      // another account's id with an account key: 404 as if it did not exist
      ['GET', '/v1/suppressions/held@example.org?account=beta', acme, true, 404],
      // the admin key must name an account, one that exists
      ['GET', '/v1/suppressions/held@example.org', admin, true, 400],
      ['GET', '/v1/suppressions/held@example.org?account=nobody', admin, true, 404],
      // for fastify: malformed addresses, unknown or repeated or encoded parameters, ...
      ['GET', '/v1/suppressions/not-an-address', acme, false, 400],
      ['GET', '/v1/suppressions/a@b@c', acme, false, 400],
      ['GET', '/v1/suppressions/@example.org', acme, false, 400],
      ['GET', '/v1/suppressions/ann%20x@example.org', acme, false, 400],
      ['GET', '/v1/suppressions/held@example.org?limit=5', acme, false, 400],
      ['GET', '/v1/suppressions/held@example.org?account=acme&account=acme', acme, false, 400],
      ['GET', '/v1/suppressions/held@example.org?channel=fax', acme, false, 400],
      ['GET', '/v1/suppressions/held@example.org?account=', acme, false, 400],
      ['GET', '/v1/suppressions/held@example.org?campaign=spring%202026', acme, false, 200],
      ['GET', '/v1/suppressions/ann%2Bx%40example.org', acme, false, 200],
      // a long valid address (64 + @ + 150: fastify's default maxParamLength of 100 answered 414)
      ['GET', `/v1/suppressions/${'a'.repeat(64)}@${'b'.repeat(138)}.example.org`, acme, true, 200],
      ['GET', `/v1/suppressions/${'a'.repeat(64)}%40${'b'.repeat(138)}.example.org`, acme, true, 200],
      // longer than the schema's 320: fastify's 400
      ['GET', `/v1/suppressions/${'a'.repeat(64)}@${'b'.repeat(260)}.org`, acme, false, 400],
      // longer than the router's maxParamLength: fastify's own answer
      ['GET', `/v1/suppressions/${'a'.repeat(64)}@${'b'.repeat(1000)}.org`, acme, null, 414],
      ['GET', '/v1/suppressions/held@example.org/more', acme, false, 404],
      ['HEAD', '/v1/suppressions/held@example.org', acme, false, 200],
      // the key's rate limit: a burst of BURST, then 429 with Retry-After
      ...Array.from({ length: BURST + 1 }, (_, i): [string, string, Record<string, string>, boolean | null, number] => ['GET', '/v1/suppressions/held@example.org', bearer(keys.hammer!), true, i < BURST ? 200 : 429]),
      // a malformed address from a key past its limit: still 429 (the key first), by fastify
      ['GET', '/v1/suppressions/nope', bearer(keys.hammer!), false, 429],
      // no key or an unknown one: 401 and counted; past 3 failures the client is refused whatever its key
      ['GET', '/v1/suppressions/held@example.org', {}, false, 401],
      ['GET', '/v1/suppressions/held@example.org', bearer('bnd_wrong'), true, 401],
      ['GET', '/v1/suppressions/held@example.org', { authorization: 'Basic abc' }, true, 401],
      ['GET', '/v1/suppressions/nope', bearer('bnd_wrong'), false, 429],
      ['GET', '/v1/suppressions/held@example.org', bearer('bnd_wrong'), true, 429],
      ['GET', '/v1/suppressions/held@example.org', acme, true, 429],
      ['GET', '/v1/suppressions/nope', acme, false, 429],
    ];
    for (const [method, path, headers, taken, status] of table) {
      const before = reachedFastify;
      const viaFastify = await send(slowPort, method, path, headers);
      const viaFast = await send(fastPort, method, path, headers);
      const where = `${method} ${path} ${JSON.stringify(headers).slice(0, 40)}`;
      expect(viaFastify.status, where).toBe(status);
      expect(viaFast, where).toEqual(viaFastify);
      if (taken !== null) expect(reachedFastify - before, `${where}: reached fastify`).toBe(taken ? 0 : 1);
    }
  });

  it('counts every answer in the request metric as fastify does, by status class', async () => {
    const count = async (m: Metrics) => (await m.httpDuration.get()).values.filter((v) => v.metricName?.endsWith('_count') && v.labels.route === '/v1/suppressions/:address').map((v) => `${v.labels.method} ${v.labels.status} ${v.value}`).sort();
    const a = await count(slowMetrics);
    expect(a.length).toBeGreaterThan(2);
    expect(await count(fastMetrics)).toEqual(a);
  });

});

describe('parseCheckUrl', () => {
  it('takes plain addresses and the three known parameters, and leaves everything else to fastify', () => {
    expect(parseCheckUrl('/v1/suppressions/a%40b.example?account=x&channel=one_to_one&campaign=c-1')).toEqual({
      address: 'a@b.example',
      query: { account: 'x', channel: 'one_to_one', campaign: 'c-1' },
    });
    expect(parseCheckUrl('/v1/suppressions/o\'neil+tag@b.example?')).toEqual({ address: "o'neil+tag@b.example", query: {} });
    for (const url of [
      '/v1/suppressions/check',
      '/v1/suppressions/a@b.example?account=x&',
      '/v1/suppressions/a@b.example?account',
      '/v1/suppressions/a@b.example?channel=marketing&channel=marketing',
      '/v1/suppressions/a@b.example?account=a~b',
      '/v1/suppressions/a@b.example#x',
      '/v1/suppressions/a%41@b.example',
      '/v1/suppressions/a@b.example;x',
      '/v1/suppressions/ab',
      '/v1/suppressions/a@',
      '/v1/suppressionsx/a@b.example',
      '/v1/suppressions/é@b.example',
      `/v1/suppressions/a@${'b'.repeat(319)}`, // 321 characters: longer than the schema's 320
      `/v1/suppressions/a@b.example?campaign=${'c'.repeat(201)}`,
    ]) {
      expect(parseCheckUrl(url), url).toBeNull();
    }
  });
});

describe('the pre-send fast path when the check fails', () => {
  it('answers 503 like fastify when the policy service is absent or the store closed', async () => {
    const f = await apiFixture();
    const { acme } = await withAccounts(f, 'acme');
    const apps: FastifyInstance[] = [];
    const portsOf = async (policy: Fixture['policy'] | null) => {
      const deps = { store: f.store, log: createLogger('silent'), smtpListening: () => true, policy, adminKey: ADMIN_KEY, now };
      const pair = [buildApi({ ...deps, presendFastPath: false }), buildApi(deps)];
      apps.push(...pair);
      for (const a of pair) await a.listen({ host: '127.0.0.1', port: 0 });
      return pair.map((a) => (a.server.address() as AddressInfo).port);
    };
    try {
      const [slowNone, fastNone] = await portsOf(null);
      const [slowUp, fastUp] = await portsOf(f.policy);
      const noPolicy = [await send(slowNone!, 'GET', '/v1/suppressions/a@example.org', bearer(acme!)), await send(fastNone!, 'GET', '/v1/suppressions/a@example.org', bearer(acme!))];
      expect(noPolicy[0]!.status).toBe(503);
      expect(noPolicy[1]).toEqual(noPolicy[0]);
      // Warm the key cache of both, then close the store under them: the check's read fails.
      expect((await send(slowUp!, 'GET', '/v1/suppressions/a@example.org', bearer(acme!))).status).toBe(200);
      expect((await send(fastUp!, 'GET', '/v1/suppressions/a@example.org', bearer(acme!))).status).toBe(200);
      await f.store.close();
      for (const [path, headers] of [['/v1/suppressions/a@example.org', bearer(acme!)], ['/v1/suppressions/a@example.org?account=acme', bearer(ADMIN_KEY)]] as const) {
        const viaFastify = await send(slowUp!, 'GET', path, headers);
        expect(viaFastify.status).toBe(503);
        expect(await send(fastUp!, 'GET', path, headers)).toEqual(viaFastify);
      }
    } finally {
      for (const a of apps) await a.close();
      await f.close().catch(() => undefined);
    }
  });
});

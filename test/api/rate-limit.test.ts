// Routes without a key and failed authentications are limited per client address, with
// the RateLimit-* fields on every answer and 429 + Retry-After past the limit.
import { afterEach, describe, expect, it } from 'vitest';
import { verp, apiFixture, bearer, withAccounts, type Fixture } from '../helpers/api.js';

let fx: Fixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

let clock = 1_800_000_000_000;
const now = () => clock;

describe('per-client limits of the HTTP API', () => {
  it('limits health, metrics and unknown URLs per client address; other addresses are not affected', async () => {
    fx = await apiFixture({ now, clientLimits: { perSecond: 1, burst: 3, authFailuresPerMinute: 0 } });
    const get = (url: string, remoteAddress = '192.0.2.10') => fx!.app.inject({ method: 'GET', url, remoteAddress });
    const first = await get('/healthz');
    expect(first.statusCode).toBe(200);
    expect(first.headers).toMatchObject({ 'ratelimit-limit': '3', 'ratelimit-remaining': '2' });
    expect((await get('/metrics')).headers['ratelimit-remaining']).toBe('1');
    expect((await get('/no/such/route')).statusCode).toBe(404);
    const refused = await get('/readyz');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('rate_limited');
    expect(refused.headers).toMatchObject({ 'retry-after': '1', 'ratelimit-remaining': '0' });
    // Another client is served; an IPv6 neighbour in the same /64 is the same client.
    expect((await get('/healthz', '192.0.2.11')).statusCode).toBe(200);
    expect((await get('/healthz', '2001:db8:1:2::1')).statusCode).toBe(200);
    for (let i = 0; i < 2; i++) await get('/healthz', '2001:db8:1:2::1');
    expect((await get('/healthz', '2001:db8:1:2::99')).statusCode).toBe(429);
    // A second later the first client has one request again.
    clock += 1000;
    expect((await get('/healthz')).statusCode).toBe(200);
    expect((await get('/healthz')).statusCode).toBe(429);
  });

  it('answers with a key carry the key bucket in RateLimit-* too, success or 429 (issue #18)', async () => {
    fx = await apiFixture({ now, rateLimit: { perSecond: 1, burst: 2 } });
    const { acme } = await withAccounts(fx, 'acme');
    const check = () => fx!.app.inject({ method: 'GET', url: '/v1/suppressions/a@example.org', headers: bearer(acme!) });
    const first = await check();
    expect(first.statusCode).toBe(200);
    expect(first.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '1', 'ratelimit-reset': '1' });
    expect((await check()).headers['ratelimit-remaining']).toBe('0');
    const refused = await check();
    expect(refused.statusCode).toBe(429);
    expect(refused.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '0', 'retry-after': '1' });
    clock += 1000;
    expect((await check()).statusCode).toBe(200);
  });

  it('limits the unsubscribe routes (no key) per client', async () => {
    fx = await apiFixture({ now, clientLimits: { perSecond: 0.5, burst: 2, authFailuresPerMinute: 0 } });
    await withAccounts(fx, 'acme');
    const token = verp.unsubscribeToken({ account: 'acme', message: 'm-1', recipient: 'ann@example.org' });
    const post = () => fx!.app.inject({ method: 'POST', url: `/v1/unsubscribe/${token}`, remoteAddress: '198.51.100.7', payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect((await post()).statusCode).toBeLessThan(300);
    expect((await post()).statusCode).toBeLessThan(300);
    const third = await post();
    expect(third.statusCode).toBe(429);
    expect(third.headers['retry-after']).toBe('2');
  });

  it('counts failed authentications per client; past the limit even a valid key from there waits', async () => {
    fx = await apiFixture({ now, clientLimits: { perSecond: 0, burst: 1, authFailuresPerMinute: 3 } });
    const { acme } = await withAccounts(fx, 'acme');
    const call = (key: string, remoteAddress = '203.0.113.5') => fx!.app.inject({ method: 'GET', url: '/v1/accounts/acme', headers: bearer(key), remoteAddress });
    // A valid key costs nothing.
    for (let i = 0; i < 5; i++) expect((await call(acme!)).statusCode).toBe(200);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await call(`bnd_wrong${i}`));
    expect(answers.map((r) => r.statusCode)).toEqual([401, 401, 401, 429]);
    expect(answers[0]!.headers).toMatchObject({ 'ratelimit-limit': '3', 'ratelimit-remaining': '2' });
    expect(answers[3]!.headers['retry-after']).toBe('20');
    // The right key from that address now waits too; from another address it works.
    expect((await call(acme!)).statusCode).toBe(429);
    expect((await call(acme!, '203.0.113.6')).statusCode).toBe(200);
    clock += 20_000;
    expect((await call(acme!)).statusCode).toBe(200);
  });

  it('behind a trusted proxy, counts the client X-Forwarded-For names (and only from that proxy)', async () => {
    fx = await apiFixture({ now, trustProxy: ['127.0.0.1'], clientLimits: { perSecond: 1, burst: 1, authFailuresPerMinute: 0 } });
    const via = (client: string, remoteAddress = '127.0.0.1') => fx!.app.inject({ method: 'GET', url: '/healthz', remoteAddress, headers: { 'x-forwarded-for': client } });
    expect((await via('192.0.2.1')).statusCode).toBe(200);
    expect((await via('192.0.2.2')).statusCode).toBe(200);
    expect((await via('192.0.2.1')).statusCode).toBe(429);
    // From an address that is not the proxy the header is ignored: the sender is the client.
    expect((await via('192.0.2.3', '198.51.100.1')).statusCode).toBe(200);
    expect((await via('192.0.2.4', '198.51.100.1')).statusCode).toBe(429);
  });
});

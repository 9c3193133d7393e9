// API keys: bearer auth, admin-only routes, revocation, rate limiting, and no key, token or
// secret in logs or error bodies.
import { afterEach, describe, expect, it } from 'vitest';
import { admin, ADMIN_KEY, apiFixture, bearer, withAccounts, type Fixture } from '../helpers/api.js';
import { readRows } from '../helpers/db.js';

let fx: Fixture;
afterEach(async () => fx?.close());

describe('API keys', () => {
  it('answers 401 without a key, with a malformed or unknown one, and never echoes it', async () => {
    fx = await apiFixture();
    for (const headers of [{}, { authorization: 'Basic abc' }, bearer('bnd_not-a-key-at-all')]) {
      const r = await fx.app.inject({ method: 'GET', url: '/v1/bounces', headers });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ error: { code: 'unauthorized' } });
      expect(r.body).not.toContain('not-a-key');
    }
  });

  it('refuses every route that needs a key without one (the hook each route gets when registered), HEAD included', async () => {
    fx = await apiFixture();
    const doc = (await fx.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op.security?.length === 0) continue;
        const url = path.replace(/\{[^}]+\}/g, 'x@example.org');
        const r = await fx.app.inject({ method: method.toUpperCase() as 'GET', url });
        expect(r.statusCode, `${method} ${path}`).toBe(401);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect((await fx.app.inject({ method: 'HEAD', url: '/v1/suppressions/x@example.org' })).statusCode).toBe(401);
  });

  it('takes one rate-limit token per request on GET and on the HEAD route Fastify adds', async () => {
    fx = await apiFixture({ rateLimit: { perSecond: 0.001, burst: 2 } });
    const { acme } = await withAccounts(fx, 'acme');
    const head = await fx.app.inject({ method: 'HEAD', url: '/v1/suppressions/x@example.org', headers: bearer(acme) });
    const get = await fx.app.inject({ method: 'GET', url: '/v1/suppressions/x@example.org', headers: bearer(acme) });
    const third = await fx.app.inject({ method: 'GET', url: '/v1/suppressions/x@example.org', headers: bearer(acme) });
    expect([head.statusCode, get.statusCode, third.statusCode]).toEqual([200, 200, 429]);
  });

  it('shows a new key once, stores only its hash, and lists it by prefix', async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme');
    expect(acme).toMatch(/^bnd_[A-Za-z0-9_-]{43}$/);
    const rows = readRows(fx.config.dataDir, 'SELECT * FROM api_keys');
    expect(JSON.stringify(rows)).not.toContain(acme);
    const list = await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/keys', headers: bearer(acme) });
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toHaveLength(1);
    expect(list.json().items[0].prefix).toBe(acme.slice(0, 12));
    expect(list.body).not.toContain(acme);
  });

  it('keeps admin routes from account keys (403) and opens them to the admin key', async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme');
    const r = await fx.app.inject({ method: 'POST', url: '/v1/accounts', headers: bearer(acme), payload: { id: 'other', tier: 'free' } });
    expect(r.statusCode).toBe(403);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts', headers: admin })).json().items.map((a: { id: string }) => a.id)).toEqual(['acme']);
  });

  it('closes the admin API when no admin key is configured', async () => {
    fx = await apiFixture({ adminKey: '' });
    const r = await fx.app.inject({ method: 'GET', url: '/v1/accounts', headers: bearer('') });
    expect(r.statusCode).toBe(401);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts', headers: admin })).statusCode).toBe(401);
  });

  it('refuses a revoked key at once (the auth cache is cleared)', async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme');
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme', headers: bearer(acme) })).statusCode).toBe(200);
    const [key] = await fx.store.keys.list('acme');
    const del = await fx.app.inject({ method: 'DELETE', url: `/v1/accounts/acme/keys/${key!.id}`, headers: bearer(acme) });
    expect(del.statusCode).toBe(204);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme', headers: bearer(acme) })).statusCode).toBe(401);
  });

  it('rate-limits per key with 429 and Retry-After; other keys are not affected', async () => {
    fx = await apiFixture({ rateLimit: { perSecond: 1, burst: 3 } });
    const { acme, beta } = await withAccounts(fx, 'acme', 'beta');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme', headers: bearer(acme) })).statusCode);
    expect(codes.slice(0, 3)).toEqual([200, 200, 200]);
    expect(codes.slice(3)).toContain(429);
    const limited = await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme', headers: bearer(acme) });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.json().error.code).toBe('rate_limited');
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/beta', headers: bearer(beta) })).statusCode).toBe(200);
  });

  it('writes no key, webhook secret or unsubscribe token to the log', async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme');
    const wh = await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/webhooks', headers: bearer(acme), payload: { url: 'http://127.0.0.1:9/hook' } });
    const secret = wh.json().secret as string;
    await fx.app.inject({ method: 'GET', url: '/v1/bounces?limit=0', headers: bearer(acme) }); // a 400
    await fx.app.inject({ method: 'GET', url: '/v1/unsubscribe/some-secret-token-xyz' });
    await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme', headers: bearer(`${acme}x`) }); // a 401
    const logs = fx.logs();
    expect(logs).toContain('HTTP_REQUEST');
    for (const s of [acme, ADMIN_KEY, secret, secret.slice(6), 'some-secret-token-xyz']) expect(logs).not.toContain(s);
  });
});

describe('log redaction', () => {
  it('censors key, token and secret fields wherever a log call puts them', async () => {
    const { Writable } = await import('node:stream');
    const { createLogger } = await import('../../src/log.js');
    let out = '';
    const log = createLogger('info', new Writable({ write: (c, _e, cb) => ((out += c.toString()), cb()) }));
    log.info({ key: 'bnd_secret1', token: 'tok_secret2', endpoint: { secret: 'whsec_secret3' }, req: { headers: { authorization: 'Bearer bnd_secret4' } } }, 'x');
    expect(out).toContain('[redacted]');
    expect(out).not.toMatch(/secret[1-4]/);
  });
});

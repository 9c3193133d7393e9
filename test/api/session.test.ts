// Dashboard sessions (issue #16): an API key exchanged for an HttpOnly, SameSite=Strict
// cookie; state-changing requests need the session's CSRF token; sign-out and revocation end
// the session; an account's session reaches only its own account. Over the real store.
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, apiFixture, bearer, withAccounts, type Fixture } from '../helpers/api.js';
import { readRows } from '../helpers/db.js';

let fx: Fixture;
afterEach(async () => fx?.close());

async function signIn(key: string, headers: Record<string, string> = {}) {
  const r = await fx.app.inject({ method: 'POST', url: '/v1/session', payload: { key }, headers });
  expect(r.statusCode, r.body).toBe(201);
  const setCookie = String(r.headers['set-cookie']);
  const cookie = setCookie.split(';')[0]!;
  return { setCookie, cookie, csrf: (r.json() as { csrf: string }).csrf, body: r.json() as { accountId: string | null; admin: boolean } };
}

describe('dashboard sessions', () => {
  it('exchanges a key for an HttpOnly SameSite=Strict cookie (Secure behind TLS); the key is stored nowhere in it', async () => {
    fx = await apiFixture({ trustProxy: ['127.0.0.1'] });
    const { acme } = await withAccounts(fx, 'acme');
    const s = await signIn(acme!);
    expect(s.setCookie).toMatch(/^bounced_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict$/);
    expect(s.setCookie).not.toContain(acme!);
    expect(s.body).toMatchObject({ accountId: 'acme', admin: false });
    // Behind a TLS proxy (X-Forwarded-Proto from a trusted one): Secure as well.
    const tls = await signIn(acme!, { 'x-forwarded-proto': 'https' });
    expect(tls.setCookie).toMatch(/; Secure$/);
    // The store keeps the sha256 of the cookie's value, never the value.
    const rows = readRows(fx.config.dataDir, 'SELECT id_hash FROM dashboard_sessions') as Array<{ id_hash: string }>;
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.id_hash)).not.toContain(s.cookie.split('=')[1]);
    // The cookie alone reads; the session answers with its CSRF token.
    const me = await fx.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie: s.cookie } });
    expect(me.json()).toMatchObject({ accountId: 'acme', csrf: s.csrf });
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/health', headers: { cookie: s.cookie } })).statusCode).toBe(200);
  });

  it('refuses a wrong key, and counts it with the failed authentications', async () => {
    fx = await apiFixture({ clientLimits: { perSecond: 0, burst: 1, authFailuresPerMinute: 2 } });
    for (let i = 0; i < 2; i++) {
      const r = await fx.app.inject({ method: 'POST', url: '/v1/session', payload: { key: 'bnd_wrong' } });
      expect(r.statusCode).toBe(401);
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    const r = await fx.app.inject({ method: 'POST', url: '/v1/session', payload: { key: ADMIN_KEY } });
    expect(r.statusCode).toBe(429);
  });

  it('rejects a state-changing request without the CSRF token (or with another session\'s), and nothing changes', async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme');
    await fx.policy.addSuppressions('acme', ['x@example.org'], 'manual', 'test', Date.now());
    const a = await signIn(acme!);
    const b = await signIn(acme!);
    for (const headers of [{ cookie: a.cookie }, { cookie: a.cookie, 'x-csrf-token': b.csrf }, { cookie: a.cookie, 'x-csrf-token': '' }]) {
      const r = await fx.app.inject({ method: 'DELETE', url: '/v1/suppressions/x@example.org?note=typo', headers });
      expect(r.statusCode).toBe(403);
      expect(r.json()).toMatchObject({ error: { code: 'csrf_rejected' } });
    }
    expect((await fx.policy.listSuppressions({ accountId: 'acme' })).items.map((s) => s.address)).toEqual(['x@example.org']);
    expect(fx.logs()).toContain('"evt":"HTTP_CSRF_REJECTED"');
    const ok = await fx.app.inject({ method: 'DELETE', url: '/v1/suppressions/x@example.org?note=typo', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf } });
    expect(ok.statusCode).toBe(204);
    expect((await fx.policy.listSuppressions({ accountId: 'acme' })).items).toEqual([]);
  });

  it("an account's session reaches only its account (404 for another's), not the admin routes", async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme', 'globex');
    await fx.bounce('globex');
    const s = await signIn(acme!);
    const h = { cookie: s.cookie };
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/globex/health', headers: h })).statusCode).toBe(404);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/bounces?account=globex', headers: h })).statusCode).toBe(404);
    const mine = await fx.app.inject({ method: 'GET', url: '/v1/bounces', headers: h });
    expect(mine.json()).toEqual({ items: [], next: null });
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts', headers: h })).statusCode).toBe(403);
    // The admin's session sees every account.
    const adm = await signIn(ADMIN_KEY);
    expect(adm.body).toEqual(expect.objectContaining({ accountId: null, admin: true }));
    const list = await fx.app.inject({ method: 'GET', url: '/v1/accounts', headers: { cookie: adm.cookie } });
    expect((list.json() as { items: Array<{ id: string }> }).items.map((a) => a.id).sort()).toEqual(['acme', 'globex']);
  });

  it('sign-out ends the session; so does revoking its key; an admin session ends when the admin key changes', async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme');
    const s = await signIn(acme!);
    expect((await fx.app.inject({ method: 'DELETE', url: '/v1/session', headers: { cookie: s.cookie } })).statusCode).toBe(403);
    const out = await fx.app.inject({ method: 'DELETE', url: '/v1/session', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^bounced_session=; Path=\/; Max-Age=0;/);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie: s.cookie } })).statusCode).toBe(401);

    const t = await signIn(acme!);
    const keyId = (await fx.store.keys.list('acme'))[0]!.id;
    expect((await fx.app.inject({ method: 'DELETE', url: `/v1/accounts/acme/keys/${keyId}`, headers: bearer(acme!) })).statusCode).toBe(204);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie: t.cookie } })).statusCode).toBe(401);

    const adm = await signIn(ADMIN_KEY);
    await fx.app.close();
    const { buildApi } = await import('../../src/api/app.js');
    const other = buildApi({ store: fx.store, log: (await import('../../src/log.js')).createLogger('silent'), smtpListening: () => true, policy: fx.policy, adminKey: 'a-new-admin-key-0123456789' });
    try {
      expect((await other.inject({ method: 'GET', url: '/v1/session', headers: { cookie: adm.cookie } })).statusCode).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('a request with a bearer key needs no CSRF token (no cookie involved)', async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme');
    await fx.policy.addSuppressions('acme', ['y@example.org'], 'manual', 'test', Date.now());
    expect((await fx.app.inject({ method: 'DELETE', url: '/v1/suppressions/y@example.org?note=ok', headers: bearer(acme!) })).statusCode).toBe(204);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/session', headers: bearer(acme!) })).statusCode).toBe(404);
    expect((await fx.app.inject({ method: 'DELETE', url: '/v1/session', headers: bearer(acme!) })).statusCode).toBe(404);
  });

  it('serves the dashboard under /dashboard/ with a strict Content-Security-Policy', async () => {
    fx = await apiFixture();
    const r = await fx.app.inject({ method: 'GET', url: '/dashboard' });
    expect(r.statusCode).toBe(301);
    expect(r.headers.location).toBe('/dashboard/');
    const page = await fx.app.inject({ method: 'GET', url: '/dashboard/' });
    // Built (npm run build) or not, the policy is sent.
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(String(page.headers['content-security-policy'])).not.toContain('unsafe-inline');
    expect(page.headers['x-frame-options']).toBe('DENY');
    if (page.statusCode === 200) expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    else expect(page.json()).toMatchObject({ error: { code: 'dashboard_unavailable' } });
  });
});

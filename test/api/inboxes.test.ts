// The connected-inbox routes (issue #17) without an IMAP server: registration checks, the
// write-only secret, the sends a sending application reports, removal. The sync itself
// against a real Dovecot: test/e2e/inboxes.test.ts.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { decryptSecret } from '../../src/inbox/credentials.js';
import { admin, apiFixture, bearer, withAccounts, type Fixture } from '../helpers/api.js';

let fx: Fixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

const KEY = randomBytes(32);
const SECRET = `pw-${randomBytes(8).toString('hex')}`;
const body = { host: '127.0.0.1', port: 1143, tls: 'none', user: 'alice', password: SECRET };

describe('connected inbox routes', () => {
  it('registers with the account key; the secret is stored encrypted, never answered or logged', async () => {
    fx = await apiFixture({ inboxes: { keys: [KEY], service: null } });
    const { acme } = await withAccounts(fx, 'acme');
    const r = await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/inboxes', headers: bearer(acme), payload: body });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.body).not.toContain(SECRET);
    const inbox = r.json();
    expect(inbox).toMatchObject({ accountId: 'acme', host: '127.0.0.1', port: 1143, tls: 'none', user: 'alice', auth: 'password', enabled: true, status: { state: 'new' } });
    expect(inbox.id).toMatch(/^ibx_/);
    const blob = (await fx.store.inboxes.credentials(inbox.id))!;
    expect(blob).not.toContain(SECRET);
    expect(decryptSecret(blob, KEY, inbox.id)).toEqual({ kind: 'password', password: SECRET });
    const list = await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/inboxes', headers: bearer(acme) });
    expect(list.json().items.map((i: { id: string }) => i.id)).toEqual([inbox.id]);
    expect(list.body).not.toContain(SECRET);
    // the admin key may act for the account
    expect((await fx.app.inject({ method: 'GET', url: `/v1/accounts/acme/inboxes/${inbox.id}`, headers: admin })).json().id).toBe(inbox.id);
    expect(fx.logs()).not.toContain(SECRET);
  });

  it('refuses: cleartext to a remote host, both or neither secret, unknown fields, no key configured', async () => {
    fx = await apiFixture({ inboxes: { keys: [KEY], service: null } });
    const { acme } = await withAccounts(fx, 'acme');
    const post = (payload: unknown) => fx!.app.inject({ method: 'POST', url: '/v1/accounts/acme/inboxes', headers: bearer(acme), payload: payload as string });
    const remote = await post({ ...body, host: 'imap.example.com' });
    expect(remote.statusCode).toBe(400);
    expect(remote.json().error).toMatchObject({ code: 'validation_failed', field: 'tls' });
    expect((await post({ ...body, accessToken: 'tok' })).json().error).toMatchObject({ code: 'validation_failed', field: 'password' });
    expect((await post({ host: '127.0.0.1', user: 'alice' })).statusCode).toBe(400);
    expect((await post({ ...body, tls: 'ssl' })).json().error.field).toBe('tls');
    expect((await post({ ...body, smtp: true })).statusCode).toBe(400);
    expect((await fx.store.inboxes.list()).length).toBe(0);
    await fx.close();
    fx = await apiFixture();
    const keys = await withAccounts(fx, 'acme');
    const none = await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/inboxes', headers: bearer(keys.acme!), payload: body });
    expect(none.statusCode).toBe(503);
    expect(none.json().error.code).toBe('inboxes_unavailable');
  });

  it('takes sends reported by the application, once per Message-ID; removes an inbox', async () => {
    fx = await apiFixture({ inboxes: { keys: [KEY], service: null } });
    const { acme } = await withAccounts(fx, 'acme');
    const id = (await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/inboxes', headers: bearer(acme), payload: body })).json().id;
    const sends = { sends: [{ messageId: '<Deal.1@Sales.Test>', recipients: ['Bob@Customer.test', 'carol@customer.test'], subject: 'Our offer', sentAt: 1_700_000_000_000 }] };
    const r = await fx.app.inject({ method: 'POST', url: `/v1/accounts/acme/inboxes/${id}/sends`, headers: bearer(acme), payload: sends });
    expect(r.json()).toEqual({ added: 1 });
    expect((await fx.app.inject({ method: 'POST', url: `/v1/accounts/acme/inboxes/${id}/sends`, headers: bearer(acme), payload: sends })).json()).toEqual({ added: 0 });
    expect(await fx.store.inboxes.sentByMessageId(id, ['deal.1@sales.test'])).toEqual([
      { messageId: 'Deal.1@Sales.Test', recipients: ['bob@customer.test', 'carol@customer.test'], subject: 'Our offer', sentAt: 1_700_000_000_000 },
    ]);
    const bad = await fx.app.inject({ method: 'POST', url: `/v1/accounts/acme/inboxes/${id}/sends`, headers: bearer(acme), payload: { sends: [{ messageId: 'x@y', recipients: ['not an address'], sentAt: 1 }] } });
    expect(bad.statusCode).toBe(400);
    // a renewed secret (write-only), disabled
    const NEW = `tok-${randomBytes(8).toString('hex')}`;
    const patched = await fx.app.inject({ method: 'PATCH', url: `/v1/accounts/acme/inboxes/${id}`, headers: bearer(acme), payload: { accessToken: NEW, enabled: false } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.body).not.toContain(NEW);
    expect(patched.json()).toMatchObject({ auth: 'xoauth2', enabled: false });
    expect(decryptSecret((await fx.store.inboxes.credentials(id))!, KEY, id)).toEqual({ kind: 'xoauth2', accessToken: NEW });
    expect((await fx.app.inject({ method: 'PATCH', url: `/v1/accounts/acme/inboxes/${id}`, headers: bearer(acme), payload: { password: 'a', accessToken: 'b' } })).statusCode).toBe(400);
    expect((await fx.app.inject({ method: 'PATCH', url: `/v1/accounts/acme/inboxes/${id}`, headers: bearer(acme), payload: { host: 'x' } })).statusCode).toBe(400);
    expect(fx.logs()).not.toContain(NEW);
    // sync needs the daemon's service
    expect((await fx.app.inject({ method: 'POST', url: `/v1/accounts/acme/inboxes/${id}/sync`, headers: bearer(acme) })).statusCode).toBe(503);
    expect((await fx.app.inject({ method: 'DELETE', url: `/v1/accounts/acme/inboxes/${id}`, headers: bearer(acme) })).statusCode).toBe(204);
    expect((await fx.app.inject({ method: 'GET', url: `/v1/accounts/acme/inboxes/${id}`, headers: bearer(acme) })).statusCode).toBe(404);
    expect(await fx.store.inboxes.credentials(id)).toBeNull();
  });
});

// The v1 routes through inject(): the pre-send check, suppressions (add, streamed import,
// list, unbounce), bounces with evidence and the raw report, accounts, unsubscribe, and the
// error registry (400 with the field, 413, 415).
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { admin, apiFixture, bearer, S02_RCPT, withAccounts, type Fixture } from '../helpers/api.js';

let fx: Fixture;
afterEach(async () => fx?.close());

async function setup() {
  fx = await apiFixture();
  const keys = await withAccounts(fx, 'acme', 'beta');
  return { acme: bearer(keys.acme!), beta: bearer(keys.beta!) };
}

describe('pre-send check', () => {
  it('says send for a clean address and why not for a suppressed one', async () => {
    const { acme } = await setup();
    const ok = await fx.app.inject({ method: 'GET', url: '/v1/suppressions/Someone@Example.org', headers: acme });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ send: true, address: 'someone@example.org', reasons: [] });

    await fx.bounce('acme');
    const no = await fx.app.inject({ method: 'GET', url: `/v1/suppressions/${S02_RCPT}`, headers: acme });
    expect(no.json()).toMatchObject({ send: false, reasons: [{ code: 'hard_bounce', scope: 'account' }] });
    // The admin names the account; another account is not affected by acme's bounce.
    const forBeta = await fx.app.inject({ method: 'GET', url: `/v1/suppressions/${S02_RCPT}?account=beta`, headers: admin });
    expect(forBeta.json().send).toBe(true);
  });

  it('answers 404 to the admin key naming an account that does not exist (the check reads it in its one statement)', async () => {
    await setup();
    await fx.app.inject({ method: 'POST', url: '/v1/suppressions', headers: admin, payload: { account: 'acme', addresses: ['x@example.org'] } });
    const r = await fx.app.inject({ method: 'GET', url: '/v1/suppressions/x@example.org?account=nobody', headers: admin });
    expect(r.statusCode).toBe(404);
    expect(r.json().error).toMatchObject({ code: 'not_found', message: 'No such account' });
    const acme = await fx.app.inject({ method: 'GET', url: '/v1/suppressions/X@example.org?account=acme', headers: admin });
    expect(acme.json()).toMatchObject({ send: false, address: 'x@example.org', reasons: [{ code: 'manual', scope: 'account' }] });
  });

  it('checks up to 1,000 addresses at once, in order, and refuses 1,001 naming the field', async () => {
    const { acme } = await setup();
    await fx.app.inject({ method: 'POST', url: '/v1/suppressions', headers: acme, payload: { addresses: ['b@example.org'], reason: 'manual' } });
    const r = await fx.app.inject({ method: 'POST', url: '/v1/suppressions/check', headers: acme, payload: { addresses: ['a@example.org', 'B@example.org'] } });
    expect(r.json().results.map((d: { send: boolean }) => d.send)).toEqual([true, false]);
    const many = Array.from({ length: 1001 }, (_, i) => `u${i}@example.org`);
    const tooMany = await fx.app.inject({ method: 'POST', url: '/v1/suppressions/check', headers: acme, payload: { addresses: many } });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error).toMatchObject({ code: 'validation_failed', field: 'addresses' });
    const ok = await fx.app.inject({ method: 'POST', url: '/v1/suppressions/check', headers: acme, payload: { addresses: many.slice(0, 1000) } });
    expect(ok.json().results).toHaveLength(1000);
  });

  it('answers a batch per address: a malformed entry is marked invalid, the others are checked (issue #18)', async () => {
    const { acme } = await setup();
    await fx.app.inject({ method: 'POST', url: '/v1/suppressions', headers: acme, payload: { addresses: ['b@example.org'], reason: 'manual' } });
    const r = await fx.app.inject({ method: 'POST', url: '/v1/suppressions/check', headers: acme, payload: { addresses: ['a@example.org', 'not an address', 'B@example.org', '', 'x'.repeat(2000)] } });
    expect(r.statusCode, r.body).toBe(200);
    const results = r.json().results as Array<{ valid: boolean; send: boolean; address: string; error?: { code: string } }>;
    expect(results.map((d) => [d.valid, d.send])).toEqual([[true, true], [false, false], [true, false], [false, false], [false, false]]);
    expect(results[1]).toMatchObject({ address: 'not an address', reasons: [], error: { code: 'validation_failed' } });
    expect(results[2]).toMatchObject({ address: 'b@example.org', reasons: [{ code: 'manual' }] });
    expect(results[4]!.address).toHaveLength(320);
    // Past the bound of an entry, the request itself is refused.
    const huge = await fx.app.inject({ method: 'POST', url: '/v1/suppressions/check', headers: acme, payload: { addresses: ['y'.repeat(3000)] } });
    expect(huge.statusCode).toBe(400);
  });

  it('takes a quoted local part (RFC 5321 §4.1.2), which may hold a space or an @, everywhere an address goes', async () => {
    const { acme } = await setup();
    const spaced = '"John Smith"@example.org';
    const add = await fx.app.inject({ method: 'POST', url: '/v1/suppressions', headers: acme, payload: { addresses: [spaced, '"a@b"@example.org'], reason: 'manual' } });
    expect(add.statusCode, add.body).toBeLessThan(300);
    const one = await fx.app.inject({ method: 'GET', url: `/v1/suppressions/${encodeURIComponent(spaced)}`, headers: acme });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json()).toMatchObject({ send: false, address: '"john smith"@example.org', reasons: [{ code: 'manual' }] });
    // "john.smith"@ is john.smith@: one mailbox, one suppression.
    await fx.app.inject({ method: 'POST', url: '/v1/suppressions', headers: acme, payload: { addresses: ['"Jane.Doe"@example.org'], reason: 'manual' } });
    const batch = await fx.app.inject({
      method: 'POST',
      url: '/v1/suppressions/check',
      headers: acme,
      payload: { addresses: ['"a@b"@example.org', 'jane.doe@example.org', '"unclosed@example.org', '"x y"z@example.org', '"john smith"@example.org'] },
    });
    expect(batch.json().results.map((d: { valid: boolean; send: boolean }) => [d.valid, d.send])).toEqual([[true, false], [true, false], [false, false], [false, false], [true, false]]);
    const lines = await fx.app.inject({
      method: 'POST',
      url: '/v1/suppressions/import',
      headers: { ...acme, 'content-type': 'text/plain' },
      payload: '"Anna Maria"@example.org\n"broken@example.org\n',
    });
    expect(lines.json()).toMatchObject({ added: 1, invalid: 1 });
  });

  it('answers 400 naming the field for a bad address, query or unknown property', async () => {
    const { acme } = await setup();
    const bad = await fx.app.inject({ method: 'GET', url: '/v1/suppressions/not-an-address', headers: acme });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.field).toBe('params.address');
    const q = await fx.app.inject({ method: 'GET', url: '/v1/suppressions/a@b.c?channel=fax', headers: acme });
    expect(q.json().error.field).toBe('querystring.channel');
    const extra = await fx.app.inject({ method: 'POST', url: '/v1/suppressions', headers: acme, payload: { addresses: ['a@b.c'], colour: 'red' } });
    expect(extra.json().error).toMatchObject({ code: 'validation_failed', field: 'colour' });
    const admin400 = await fx.app.inject({ method: 'GET', url: '/v1/suppressions/a@b.c', headers: admin });
    expect(admin400.json().error).toMatchObject({ code: 'validation_failed', field: 'account' });
    const json = await fx.app.inject({ method: 'POST', url: '/v1/suppressions', headers: { ...acme, 'content-type': 'application/json' }, payload: '{"addresses": [' });
    expect(json.statusCode).toBe(400);
  });

  it('limits body sizes (413) and content types (415)', async () => {
    const { acme } = await setup();
    const big = await fx.app.inject({
      method: 'POST',
      url: '/v1/suppressions',
      headers: { ...acme, 'content-type': 'application/json' },
      payload: JSON.stringify({ addresses: ['a@b.c'], pad: 'x'.repeat(1024 * 1024) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('payload_too_large');
    const xml = await fx.app.inject({ method: 'POST', url: '/v1/suppressions', headers: { ...acme, 'content-type': 'application/xml' }, payload: '<a/>' });
    expect(xml.statusCode).toBe(415);
  });
});

describe('suppressions', () => {
  it('imports a CSV opt-out list streamed, reporting invalid lines, then lists it by cursor', async () => {
    const { acme, beta } = await setup();
    const csv = ['email,name', '"Quoted@Example.org",Q', 'plain@example.org;x', 'not an address', '', 'third@example.org'].join('\r\n');
    const r = await fx.app.inject({ method: 'POST', url: '/v1/suppressions/import', headers: { ...acme, 'content-type': 'text/csv' }, payload: csv });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ added: 3, lines: 6, invalid: 1, invalidLines: [4] });
    const page1 = (await fx.app.inject({ method: 'GET', url: '/v1/suppressions?limit=2', headers: acme })).json();
    expect(page1.items).toHaveLength(2);
    expect(page1.next).toEqual(expect.any(String));
    const page2 = (await fx.app.inject({ method: 'GET', url: `/v1/suppressions?limit=2&cursor=${encodeURIComponent(page1.next)}`, headers: acme })).json();
    const all = [...page1.items, ...page2.items].map((s: { address: string; reason: string }) => `${s.address}:${s.reason}`);
    expect(all.sort()).toEqual(['plain@example.org:import', 'quoted@example.org:import', 'third@example.org:import']);
    // Only acme's list.
    expect((await fx.app.inject({ method: 'GET', url: '/v1/suppressions', headers: beta })).json().items).toEqual([]);
  });

  it('imports NDJSON and 200,000 plain lines from a stream without holding the body', async () => {
    const { acme } = await setup();
    const nd = '"a@example.org"\n{"address":"b@example.org"}\n{"x":1}\n';
    const r1 = await fx.app.inject({ method: 'POST', url: '/v1/suppressions/import', headers: { ...acme, 'content-type': 'application/x-ndjson' }, payload: nd });
    expect(r1.json()).toMatchObject({ added: 2, invalid: 1 });
    const N = 200_000;
    let i = 0;
    const body = new Readable({
      read() {
        if (i >= N) return void this.push(null);
        const chunk: string[] = [];
        for (let k = 0; k < 5000 && i < N; k++) chunk.push(`user${i++}@big.example`);
        this.push(chunk.join('\n') + '\n');
      },
    });
    const r2 = await fx.app.inject({ method: 'POST', url: '/v1/suppressions/import', headers: { ...acme, 'content-type': 'text/plain' }, payload: body });
    expect(r2.statusCode, r2.body).toBe(200);
    expect(r2.json()).toMatchObject({ added: N, lines: N, invalid: 0 });
    expect((await fx.store.suppressions.counts()).account).toBe(N + 2);
  });

  it("unbounces the account's own suppression (audited), never a global one", async () => {
    const { acme } = await setup();
    await fx.bounce('acme');
    const noNote = await fx.app.inject({ method: 'DELETE', url: `/v1/suppressions/${S02_RCPT}`, headers: acme });
    expect(noNote.json().error.field).toBe('querystring.note');
    const del = await fx.app.inject({ method: 'DELETE', url: `/v1/suppressions/${S02_RCPT}?note=${encodeURIComponent('fixed the typo')}`, headers: acme });
    expect(del.statusCode).toBe(204);
    expect((await fx.app.inject({ method: 'GET', url: `/v1/suppressions/${S02_RCPT}`, headers: acme })).json().send).toBe(true);
    const audit = await fx.store.audit.list('acme');
    expect(JSON.stringify(audit)).toContain('fixed the typo');
    const again = await fx.app.inject({ method: 'DELETE', url: `/v1/suppressions/${S02_RCPT}?note=x`, headers: acme });
    expect(again.statusCode).toBe(404);
  });
});

describe('bounces', () => {
  it('lists and filters, shows one with its evidence and rule, and serves the stored report', async () => {
    const { acme } = await setup();
    const id = await fx.bounce('acme');
    await fx.bounce('beta');
    const list = (await fx.app.inject({ method: 'GET', url: '/v1/bounces?type=hard&category=unknown_user&reason=userunknown', headers: acme })).json();
    expect(list.items.map((b: { id: number }) => b.id)).toEqual([id]);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/bounces?type=soft', headers: acme })).json().items).toEqual([]);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/bounces?since=2999-01-01', headers: acme })).json().items).toEqual([]);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/bounces?since=yesterday', headers: acme })).json().error.field).toBe('since');
    expect((await fx.app.inject({ method: 'GET', url: '/v1/bounces', headers: admin })).json().items).toHaveLength(2);

    const one = (await fx.app.inject({ method: 'GET', url: `/v1/bounces/${id}`, headers: acme })).json();
    expect(one.bounce).toMatchObject({ id, accountId: 'acme', recipient: S02_RCPT, type: 'hard', reason: 'userunknown', verified: true });
    expect(one.rule.id).toBe(one.bounce.rule);
    expect(one.evidence).toEqual([expect.objectContaining({ source: 'dsn', state: 'hard', bounceId: id })]);
    expect(one.report.href).toBe(`/v1/bounces/${id}/report`);

    const raw = await fx.app.inject({ method: 'GET', url: one.report.href, headers: acme });
    expect(raw.statusCode).toBe(200);
    expect(raw.headers['content-type']).toBe('message/rfc822');
    expect(raw.headers['content-disposition']).toContain(`bounce-${id}.eml`);
    expect(raw.rawPayload.equals((await fx.store.messages.raw(one.bounce.messageRow))!)).toBe(true);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/bounces/999999', headers: admin })).statusCode).toBe(404);
  });

  it('pages with a cursor', async () => {
    const { acme } = await setup();
    for (let i = 0; i < 3; i++) await fx.bounce('acme');
    const p1 = (await fx.app.inject({ method: 'GET', url: '/v1/bounces?limit=2', headers: acme })).json();
    const p2 = (await fx.app.inject({ method: 'GET', url: `/v1/bounces?limit=2&cursor=${p1.next}`, headers: acme })).json();
    expect(p1.items).toHaveLength(2);
    expect(p2.items).toHaveLength(1);
    expect(p2.next).toBeNull();
    expect((await fx.app.inject({ method: 'GET', url: '/v1/bounces?cursor=bogus', headers: acme })).json().error.field).toBe('cursor');
  });
});

const APPEAL = { importedOptOutList: true, cleanedLists: true, mailedWithinYear: true, contactsSource: 'sign-up form', message: 'a bought list; now double opt-in' };

describe('accounts', () => {
  it('admin creates and updates; the account reads its profile, health and sends; 409 on a duplicate', async () => {
    fx = await apiFixture();
    const created = await fx.app.inject({ method: 'POST', url: '/v1/accounts', headers: admin, payload: { id: 'acme', tier: 'starter', name: 'Acme' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: 'acme', tier: 'starter', name: 'Acme', profile: 'default' });
    expect((await fx.app.inject({ method: 'POST', url: '/v1/accounts', headers: admin, payload: { id: 'acme', tier: 'starter' } })).statusCode).toBe(409);
    expect((await fx.app.inject({ method: 'POST', url: '/v1/accounts', headers: admin, payload: { id: 'x', tier: 'gold' } })).json().error.field).toBe('tier');
    const patched = await fx.app.inject({ method: 'PATCH', url: '/v1/accounts/acme', headers: admin, payload: { tier: 'enterprise' } });
    expect(patched.json().tier).toBe('enterprise');
    const key = await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/keys', headers: admin, payload: {} });
    expect(key.statusCode).toBe(201);
    const acme = bearer(key.json().key);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme', headers: acme })).json().name).toBe('Acme');
    const sends = await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/sends', headers: acme, payload: { count: 1000, day: '2026-11-01' } });
    expect(sends.json()).toEqual({ accountId: 'acme', day: '2026-11-01', count: 1000 });
    const health = (await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/health', headers: acme })).json();
    expect(health).toMatchObject({ accountId: 'acme', status: 'ok' });
    expect(health.rates.hardBounce).toEqual(expect.objectContaining({ limit: expect.any(Number) }));
    expect((await fx.app.inject({ method: 'POST', url: '/v1/accounts/nobody/keys', headers: admin, payload: {} })).statusCode).toBe(404);
  });

  it('takes an appeal from a suspended account and lets the admin decide it', async () => {
    const { acme } = await setup();
    await fx.built.rules.transaction(fx.store, Date.now(), (p) => p.suspend('acme', 'marketing', 'abuse', 'test suspension', 'test'));
    const filed = await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/appeals', headers: acme, payload: APPEAL });
    expect(filed.statusCode, filed.body).toBe(201);
    const incomplete = await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/appeals', headers: acme, payload: { ...APPEAL, message: undefined } });
    expect(incomplete.json().error).toMatchObject({ code: 'validation_failed', field: 'message' });
    const appealId = filed.json().appealId;
    const byAccount = await fx.app.inject({ method: 'POST', url: `/v1/appeals/${appealId}/decision`, headers: acme, payload: { decision: 'reinstate', reason: 'ok' } });
    expect(byAccount.statusCode).toBe(403);
    const decided = await fx.app.inject({ method: 'POST', url: `/v1/appeals/${appealId}/decision`, headers: admin, payload: { decision: 'reinstate', reason: 'fixed' } });
    expect(decided.statusCode, decided.body).toBe(200);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/accounts/acme/health', headers: acme })).json().status).not.toBe('suspended');
  });
});

describe('unsubscribe', () => {
  it('shows a confirmation page on GET (no change) and unsubscribes on the RFC 8058 one-click POST', async () => {
    const { acme } = await setup();
    const url = fx.policy.unsubscribeHeaders('acme', 'm-1', 'reader@example.org')['List-Unsubscribe'].match(/<(https?:[^>]+)>/)![1]!;
    const path = new URL(url).pathname;
    const page = await fx.app.inject({ method: 'GET', url: path });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('method="post"');
    expect((await fx.app.inject({ method: 'GET', url: '/v1/suppressions/reader@example.org', headers: acme })).json().send).toBe(true);

    const post = await fx.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(post.statusCode).toBe(200);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/suppressions/reader@example.org', headers: acme })).json()).toMatchObject({
      send: false,
      reasons: [{ code: 'unsubscribe' }],
    });
    const forged = await fx.app.inject({ method: 'POST', url: `${path}x`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(forged.statusCode).toBe(404);
  });
});

describe('bodies', () => {
  it('takes POST /v1/accounts/:id/keys without a body (the name is optional)', async () => {
    await setup();
    const r = await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/keys', headers: admin });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ accountId: 'acme', name: null, key: expect.stringMatching(/^bnd_/) });
  });
});

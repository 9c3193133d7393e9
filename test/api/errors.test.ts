// Errors as data (issue #18): one table of stable codes and their HTTP statuses
// (src/api/errors.ts), the policy's own codes mapped onto it by code (never by message text),
// every route's error answer as that table says, and docs/http-api.md's list the same table.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ERRORS, POLICY_ERROR_STATUS, type ErrorCode } from '../../src/api/errors.js';
import { POLICY_ERROR_CODES } from '../../src/policy/errors.js';
import { repoRoot } from '../helpers/env.js';
import { admin, apiFixture, bearer, withAccounts, type Fixture } from '../helpers/api.js';
import { operationFor, type OpenApiDoc } from '../helpers/openapi-doc.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const APPEAL = { importedOptOutList: true, cleanedLists: true, mailedWithinYear: true, contactsSource: 'sign-up form', message: 'a bought list; now double opt-in' };

/** The answer's code, after checking that its status is the one the table gives that code. */
function codeOf(res: { statusCode: number; json: () => unknown }): ErrorCode {
  const body = res.json() as { error?: { code: ErrorCode; message: string } };
  expect(body.error, JSON.stringify(body)).toBeDefined();
  expect(Object.keys(ERRORS)).toContain(body.error!.code);
  expect(res.statusCode, body.error!.code).toBe(ERRORS[body.error!.code].status);
  expect(body.error!.message.length).toBeGreaterThan(0);
  return body.error!.code;
}

describe('the error table', () => {
  it('maps every policy code, and only known API codes', () => {
    expect(Object.keys(POLICY_ERROR_STATUS).sort()).toEqual([...POLICY_ERROR_CODES].sort());
    for (const code of Object.values(POLICY_ERROR_STATUS)) expect(Object.keys(ERRORS)).toContain(code);
  });

  it('docs/http-api.md lists every code with the status the table gives it', () => {
    const readme = readFileSync(join(repoRoot, 'docs/http-api.md'), 'utf8');
    const [from, to] = [readme.indexOf('Errors are `{"error"'), readme.indexOf('## Endpoints')];
    expect(from, 'the error table\'s paragraph').toBeGreaterThan(0);
    expect(to, 'the Endpoints heading after it').toBeGreaterThan(from);
    const para = readme.slice(from, to);
    const listed = new Map([...para.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
    expect(Object.fromEntries(listed)).toEqual(Object.fromEntries(Object.entries(ERRORS).map(([c, e]) => [c, e.status])));
  });
});

describe('what the routes answer', () => {
  it('each refusal carries the code the table maps, with its status', async () => {
    fx = await apiFixture({ rateLimit: { perSecond: 0.001, burst: 200 } });
    const keys = await withAccounts(fx, 'acme');
    await fx.policy.createAccount({ id: 'freebie', tier: 'free' }, 'test', Date.now());
    const acme = bearer(keys.acme!);
    const seen = new Set<ErrorCode>();
    const doc = (await fx.app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApiDoc;
    /** The answer is the one wanted, and the route's OpenAPI operation documents its status. */
    const expectCode = async (want: ErrorCode, req: InjectOptions) => {
      const res = await fx!.app.inject(req);
      const code = codeOf(res);
      expect(code, JSON.stringify(req)).toBe(want);
      const found = operationFor(doc, req.method as string, req.url as string);
      if (found) expect(Object.keys(found.op.responses), `${req.method} ${found.template}`).toContain(String(res.statusCode));
      else expect(code, `${req.method} ${req.url} is no route`).toBe('not_found');
      seen.add(code);
    };
    await expectCode('unauthorized', { method: 'GET', url: '/v1/suppressions/a@example.org' });
    await expectCode('forbidden', { method: 'POST', url: '/v1/accounts', headers: acme, payload: { id: 'x', tier: 'free' } });
    await expectCode('validation_failed', { method: 'GET', url: '/v1/suppressions?limit=nope', headers: acme });
    await expectCode('not_found', { method: 'GET', url: '/v1/accounts/nobody', headers: admin });
    await expectCode('not_found', { method: 'GET', url: '/no/such/route' });
    await expectCode('unsupported_media_type', { method: 'POST', url: '/v1/suppressions/import', headers: { ...acme, 'content-type': 'application/xml' }, payload: '<a/>' });
    await expectCode('payload_too_large', { method: 'POST', url: '/v1/suppressions', headers: { ...acme, 'content-type': 'application/json' }, payload: JSON.stringify({ addresses: ['a@example.org'], pad: 'x'.repeat(1_100_000) }) });
    // The policy's codes, through POLICY_ERROR_STATUS:
    await expectCode('conflict', { method: 'POST', url: '/v1/accounts', headers: admin, payload: { id: 'acme', tier: 'free' } }); // exists
    await expectCode('conflict', { method: 'POST', url: '/v1/accounts/acme/appeals', headers: acme, payload: APPEAL }); // not_suspended
    await expectCode('conflict', { method: 'POST', url: '/v1/accounts/freebie/appeals', headers: admin, payload: APPEAL }); // free_tier
    await expectCode('not_found', { method: 'POST', url: '/v1/appeals/4242/decision', headers: admin, payload: { decision: 'deny', reason: 'no' } }); // no_appeal
    await fx.built.rules.transaction(fx.store, Date.now(), (p) => p.suspend('acme', 'marketing', 'abuse', 'test suspension', 'test'));
    const filed = await fx.app.inject({ method: 'POST', url: '/v1/accounts/acme/appeals', headers: acme, payload: APPEAL });
    expect(filed.statusCode, filed.body).toBe(201);
    await expectCode('conflict', { method: 'POST', url: '/v1/accounts/acme/appeals', headers: acme, payload: APPEAL }); // appeal_open
    const decision = { method: 'POST' as const, url: `/v1/appeals/${filed.json().appealId}/decision`, headers: admin, payload: { decision: 'deny', reason: 'no' } };
    expect((await fx.app.inject(decision)).statusCode).toBe(200);
    await expectCode('conflict', decision); // appeal_decided
    // Past the key's burst: 429.
    let limited = false;
    for (let i = 0; i < 250 && !limited; i++) {
      const res = await fx.app.inject({ method: 'GET', url: '/v1/suppressions/a@example.org', headers: acme });
      if (res.statusCode === 429) {
        expect(codeOf(res)).toBe('rate_limited');
        seen.add('rate_limited');
        limited = true;
      }
    }
    expect(limited).toBe(true);
    // destination_not_public, destination_unresolvable (needs a DNS look-up of an outside
    // name), policy_unavailable, store_unavailable and internal are answered in their own
    // tests (destination.test.ts, routes.test.ts, reliability/store-faults.test.ts).
    expect([...seen].sort()).toEqual(['conflict', 'forbidden', 'not_found', 'payload_too_large', 'rate_limited', 'unauthorized', 'unsupported_media_type', 'validation_failed']);
  });

  it('policy_unavailable without a policy service', async () => {
    fx = await apiFixture({ policy: null });
    const keys = await withAccounts(fx, 'acme');
    const res = await fx.app.inject({ method: 'GET', url: '/v1/suppressions/a@example.org', headers: bearer(keys.acme!) });
    expect(codeOf(res)).toBe('policy_unavailable');
  });
});

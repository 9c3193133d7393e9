// The unsubscribe links are opened by people in a browser: every answer the route itself gives
// is an HTML page, the "not valid" 404 included, and the OpenAPI document says so (issue #18:
// it said application/json for that 404 while the route answered HTML).
import { afterEach, describe, expect, it } from 'vitest';
import { apiFixture, withAccounts, type Fixture } from '../helpers/api.js';
import { operationFor, type OpenApiDoc } from '../helpers/openapi-doc.js';

let fx: Fixture;
afterEach(async () => fx?.close());

const form = { 'content-type': 'application/x-www-form-urlencoded' };

async function setup() {
  fx = await apiFixture();
  await withAccounts(fx, 'acme');
  const url = fx.policy.unsubscribeHeaders('acme', 'm-1', 'reader@example.org')['List-Unsubscribe'].match(/<(https?:[^>]+)>/)![1]!;
  const doc = (await fx.app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApiDoc;
  return { path: new URL(url).pathname, doc };
}

/** The media types the document gives for one status of the operation a request lands on. */
function documented(doc: OpenApiDoc, method: string, url: string, status: number): string[] {
  const op = operationFor(doc, method, url)?.op;
  return Object.keys(op?.responses[String(status)]?.content ?? {});
}

describe('unsubscribe answers and the OpenAPI document agree', () => {
  it('answers a forged token with an HTML 404 page on GET and on POST, changing nothing, as documented', async () => {
    const { path, doc } = await setup();
    // One letter of the MAC changed: the token no longer verifies.
    const forgedPath = path.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
    expect(forgedPath).not.toBe(path);
    for (const method of ['GET', 'POST'] as const) {
      const r = await fx.app.inject({ method, url: forgedPath, ...(method === 'POST' ? { headers: form, payload: 'List-Unsubscribe=One-Click' } : {}) });
      expect(r.statusCode, `${method} ${r.body}`).toBe(404);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.body).toContain('<h1>Link not valid</h1>');
      expect(r.body).not.toContain('method="post"');
      expect(documented(doc, method, forgedPath, 404)).toEqual(['text/html']);
    }
    expect((await fx.policy.checkSend('acme', 'reader@example.org', Date.now())).send).toBe(true);
  });

  it('answers a genuine token with HTML 200 pages (documented text/html), the POST unsubscribing', async () => {
    const { path, doc } = await setup();
    const page = await fx.app.inject({ method: 'GET', url: path });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('method="post"');
    expect(documented(doc, 'GET', path, 200)).toEqual(['text/html']);
    const post = await fx.app.inject({ method: 'POST', url: path, headers: form, payload: 'List-Unsubscribe=One-Click' });
    expect(post.statusCode).toBe(200);
    expect(post.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(documented(doc, 'POST', path, 200)).toEqual(['text/html']);
    expect((await fx.policy.checkSend('acme', 'reader@example.org', Date.now())).send).toBe(false);
  });
});

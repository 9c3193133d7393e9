// The OpenAPI document is generated from the route schemas; the copy in the repository must
// be the one served (UPDATE_OPENAPI=1 rewrites the copy).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/env.js';
import { apiFixture, type Fixture } from '../helpers/api.js';
import { serverRoutes, type OpenApiDoc } from '../helpers/openapi-doc.js';

let fx: Fixture;
afterAll(async () => fx?.close());
const file = join(repoRoot, 'openapi.json');

describe('OpenAPI document', () => {
  it('is served at /openapi.json and equals openapi.json in the repository', async () => {
    fx = await apiFixture();
    const r = await fx.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/suppressions/{address}', '/v1/bounces/{id}/report', '/v1/unsubscribe/{token}']));
    if (process.env.UPDATE_OPENAPI === '1') writeFileSync(file, r.body);
    expect(r.body, 'openapi.json is stale: run UPDATE_OPENAPI=1 npx vitest run test/api/openapi').toBe(readFileSync(file, 'utf8'));
  });

  it('documents every v1 route with a summary and a request schema where it takes input', async () => {
    const doc = (await fx.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { summary?: string }>> };
    for (const [path, ops] of Object.entries(doc.paths)) for (const [m, op] of Object.entries(ops)) expect(op.summary, `${m} ${path}`).toBeTruthy();
  });

  it('every route the server answers has an operation with a unique operationId, its 4xx answers, and a server', async () => {
    const doc = (await fx.app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApiDoc;
    expect(doc.servers?.length).toBeGreaterThan(0);
    // (the dashboard's pages and assets under /dashboard are the web app's files, not API operations)
    const routes = serverRoutes(fx.app.printRoutes({ commonPrefix: false })).filter((r) => !r.path.startsWith('/dashboard'));
    expect(routes.length).toBeGreaterThan(30);
    const ids = new Set<string>();
    for (const { method, path } of routes) {
      const op = doc.paths[path]?.[method.toLowerCase()];
      expect(op, `${method} ${path} has no operation`).toBeDefined();
      expect(op!.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      expect(ids.has(op!.operationId!), `operationId ${op!.operationId} twice`).toBe(false);
      ids.add(op!.operationId!);
      const errors = Object.keys(op!.responses).filter((s) => s.startsWith('4'));
      expect(errors, `${method} ${path}`).toContain('429');
      for (const status of errors) {
        const content = op!.responses[status]!.content;
        // The JSON error shape, or, on a route whose pages are for people (unsubscribe links:
        // its 200 is HTML), an HTML page; test/api/unsubscribe.test.ts checks the answers.
        if (content['text/html'] && op!.responses['200']?.content['text/html']) continue;
        expect(content['application/json']?.schema, `${method} ${path} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
  });
});


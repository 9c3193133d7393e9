import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { ERRORS, errorSchema, type ErrorCode } from './errors.js';

// The OpenAPI document is generated from the routes' own schemas (the ones that validate
// requests), so it cannot describe an API other than the one served. A copy is kept in the
// repository (openapi.json); test/api/openapi.test.ts fails when they differ.
//
// Client generators name methods after `operationId` and type failures from the documented
// responses, so every operation has both: the id a route gives (schema.operationId) or one
// derived from its method and path, and the 4xx answers it can give, derived from what the
// app does to every route (./app.ts: validation 400, key 401, admin 403, the per-key and
// per-client limits 429, an unknown id 404, body limits 413/415) plus the ones a route
// names itself (schema.errors: conflict, destination_not_public, ...).

/** A zod schema as the JSON Schema (draft-07) that fastify's ajv validates with. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

interface RouteSchema {
  summary?: string;
  description?: string;
  tags?: string[];
  hide?: boolean;
  params?: { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  querystring?: { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  body?: Record<string, unknown>;
  /** Extra request body types (streamed imports), documented only. */
  consumes?: string[];
  produces?: string[];
  response?: Record<string, Record<string, unknown>>;
  operationId?: string;
  /** Error codes this route answers beyond the ones every route of its kind does. */
  errors?: ErrorCode[];
}

interface CollectedRoute {
  method: string;
  url: string;
  schema: RouteSchema;
  auth: 'none' | 'account' | 'admin' | 'provider';
}

/** `{ error: { code, message } }`, the body of every error answer (components.schemas.Error). */
function isErrorBody(schema: Record<string, unknown>): boolean {
  const error = (schema.properties as Record<string, { properties?: Record<string, unknown> }> | undefined)?.error;
  return !!error?.properties && 'code' in error.properties && 'message' in error.properties;
}

export class OpenApiCollector {
  private readonly routes: CollectedRoute[] = [];

  add(route: RouteOptions): void {
    const schema = route.schema as RouteSchema | undefined;
    if (!schema || schema.hide) return;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      this.routes.push({ method: method.toLowerCase(), url: route.url, schema, auth: route.config?.auth ?? 'none' });
    }
  }

  document(): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of this.routes) {
      const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const parameters = [
        ...params('path', r.schema.params),
        ...params('query', r.schema.querystring),
      ];
      const responses: Record<string, unknown> = {};
      for (const [status, schema] of Object.entries(r.schema.response ?? { 200: { type: 'object' } })) {
        const types = r.schema.produces ?? ['application/json'];
        responses[status] = {
          description: (schema.description as string | undefined) ?? (status.startsWith('2') ? 'OK' : 'Error'),
          // a route's own error answer in the shared error shape is documented as that shape
          content: Object.fromEntries(types.map((t) => [t, { schema: !status.startsWith('2') && isErrorBody(schema) ? { $ref: '#/components/schemas/Error' } : schema }])),
        };
      }
      for (const [status, codes] of errorResponses(r)) {
        responses[status] ??= { description: codes.join(', '), content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      }
      responses.default = { description: 'Error (see the error codes)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      const op: Record<string, unknown> = {
        operationId: r.schema.operationId ?? operationIdOf(r.method, r.url),
        summary: r.schema.summary,
        ...(r.schema.description ? { description: r.schema.description } : {}),
        tags: r.schema.tags ?? [],
        ...(r.auth === 'none' || r.auth === 'provider' ? { security: [] } : { security: [{ bearer: [] }] }),
        ...(r.auth === 'admin' ? { 'x-admin-only': true } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(r.schema.body || r.schema.consumes
          ? {
              requestBody: {
                required: true,
                content: Object.fromEntries(
                  [...(r.schema.body ? ['application/json'] : []), ...(r.schema.consumes ?? [])].map((t) => [
                    t,
                    { schema: t === 'application/json' && r.schema.body ? r.schema.body : { type: 'string' } },
                  ]),
                ),
              },
            }
          : {}),
        responses,
      };
      (paths[path] ??= {})[r.method] = op;
    }
    return {
      openapi: '3.1.0',
      // Relative: the API is wherever this document was fetched from (http.host/http.port, or
      // http.publicUrl behind a proxy).
      servers: [{ url: '/', description: 'this bounced daemon (the document is served at /openapi.json)' }],
      info: {
        title: 'bounced',
        version: '1',
        description: 'Pre-send checks, suppressions, bounces, accounts and webhooks of the bounced daemon.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An account key or the admin key' } },
        schemas: { Error: errorSchema },
      },
      paths,
    };
  }
}

function params(where: 'path' | 'query', schema: RouteSchema['params']): Array<Record<string, unknown>> {
  if (!schema?.properties) return [];
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(s.description ? { description: s.description } : {}),
    schema: s,
  }));
}

/** `GET /v1/accounts/:id/health` -> `getAccountsByIdHealth`: unique per method and path. */
export function operationIdOf(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((s) => s && s !== 'v1')
    .map((s) => (s.startsWith(':') ? `by-${s.slice(1)}` : s))
    .join('-')
    .split(/[-_.]/)
    .filter(Boolean);
  return [method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('');
}

/** The 4xx answers of a route, by status, with the error codes behind each. */
function errorResponses(r: CollectedRoute): Array<[string, ErrorCode[]]> {
  const codes = new Set<ErrorCode>();
  const s = r.schema;
  const takesInput = Boolean(s.params?.properties || s.querystring?.properties || s.body || s.consumes);
  const namesAccount = Boolean(s.querystring?.properties?.account || (s.body as { properties?: Record<string, unknown> } | undefined)?.properties?.account);
  if (takesInput) codes.add('validation_failed');
  if (r.auth !== 'none') codes.add('unauthorized');
  if (r.auth === 'admin') codes.add('forbidden');
  // A path id that may not exist (or belongs to another account), or an account named in the request.
  if (s.params?.properties || namesAccount) codes.add('not_found');
  if (s.body || s.consumes) {
    codes.add('payload_too_large');
    codes.add('unsupported_media_type');
  }
  codes.add('rate_limited');
  for (const c of s.errors ?? []) codes.add(c);
  const byStatus = new Map<string, ErrorCode[]>();
  for (const c of codes) {
    const status = String(ERRORS[c].status);
    if (!status.startsWith('4')) continue;
    byStatus.set(status, [...(byStatus.get(status) ?? []), c]);
  }
  return [...byStatus.entries()].sort(([a], [b]) => Number(a) - Number(b));
}

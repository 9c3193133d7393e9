import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { errorSchema } from './errors.js';

// The OpenAPI document is generated from the routes' own schemas (the ones that validate
// requests), so it cannot describe an API other than the one served. A copy is kept in the
// repository (openapi.json); test/api/openapi.test.ts fails when they differ.

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
}

interface CollectedRoute {
  method: string;
  url: string;
  schema: RouteSchema;
  auth: 'none' | 'account' | 'admin' | 'provider';
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
          content: Object.fromEntries(types.map((t) => [t, { schema }])),
        };
      }
      responses.default = { description: 'Error (see the error codes)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      const op: Record<string, unknown> = {
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

import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../app.js';
import { sendError } from '../app.js';

// Operations: liveness, readiness, Prometheus metrics, the OpenAPI document.

export function opsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { deps } = ctx;

  /** The process is up. */
  app.get('/healthz', { config: { quiet: true }, schema: { summary: 'Liveness: the process is up', tags: ['operations'] } }, async () => ({ ok: true }));

  /** Ready to take mail: the database answers and is writable, SMTP is bound, the tailer runs (when configured). */
  app.get('/readyz', { config: { quiet: true }, schema: { summary: 'Readiness: database writable, SMTP bound, tailer running (when configured); 503 otherwise', tags: ['operations'] } }, async (_req, res) => {
    const checks: Record<string, boolean> = { database: deps.store.ping(), smtp: deps.smtpListening() };
    if (deps.tailing) checks.tailer = deps.tailing();
    const ok = Object.values(checks).every(Boolean);
    return res.code(ok ? 200 : 503).send({ ok, checks });
  });

  app.get('/metrics', { config: { quiet: true }, schema: { summary: 'Prometheus metrics (text format); no addresses among the labels', tags: ['operations'], produces: ['text/plain'], response: { 200: { type: 'string' } } } }, async (_req, reply) => {
    if (!deps.metrics) return sendError(reply, 'not_found');
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });

  let doc: string | null = null;
  app.get('/openapi.json', { config: { quiet: true }, schema: { summary: 'This document', tags: ['operations'] } }, async (_req, reply) => {
    doc ??= JSON.stringify(ctx.openapi.document(), null, 2) + '\n';
    return reply.type('application/json').send(doc);
  });
}

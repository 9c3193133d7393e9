import type { FastifyInstance } from 'fastify';
import type { ReadinessCheck, RouteContext } from '../context.js';
import { sendError } from '../context.js';

// Operations: liveness, readiness, Prometheus metrics, the OpenAPI document.

/** Without the daemon's checks (tests building the app alone): the store answers, SMTP, the tailer. */
async function defaultReadiness(deps: RouteContext['deps']): Promise<Record<string, ReadinessCheck>> {
  const checks: Record<string, ReadinessCheck> = { database: { ok: await deps.store.ping() }, smtp: { ok: deps.smtpListening() } };
  if (deps.tailing) checks.tailer = { ok: deps.tailing() };
  return checks;
}

export function opsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { deps } = ctx;

  /** The process is up. */
  app.get('/healthz', { config: { quiet: true }, schema: { operationId: 'getHealth', summary: 'Liveness: the process is up', tags: ['operations'] } }, async () => ({ ok: true }));

  /**
   * Ready to take mail: the database can be written now, SMTP is bound, the tailer follows
   * its log (when configured). `checks` says each as true/false; `problems` says why for
   * those that fail.
   */
  app.get('/readyz', { config: { quiet: true }, schema: { operationId: 'getReadiness', summary: 'Readiness: database writable now (a real write, and recent writes of received mail), SMTP bound, tailer following its log (when configured); 503 otherwise, with the reasons in `problems`', tags: ['operations'] } }, async (_req, res) => {
    const results = deps.readiness ? await deps.readiness() : await defaultReadiness(deps);
    const checks = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.ok]));
    const problems = Object.fromEntries(Object.entries(results).flatMap(([k, v]) => (v.ok ? [] : [[k, v.reason ?? 'failing']])));
    const ok = Object.values(checks).every(Boolean);
    const details = Object.fromEntries(Object.entries(results).flatMap(([k, v]) => (v.detail ? [[k, v.detail]] : [])));
    const body = { ok, checks, ...(ok ? {} : { problems }), ...(Object.keys(details).length ? { details } : {}) };
    return res.code(ok ? 200 : 503).send(body);
  });

  app.get('/metrics', { config: { quiet: true }, schema: { operationId: 'getMetrics', summary: 'Prometheus metrics (text format); no addresses among the labels', tags: ['operations'], produces: ['text/plain'], response: { 200: { type: 'string' } } } }, async (_req, reply) => {
    if (!deps.metrics) return sendError(reply, 'not_found');
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });

  let doc: string | null = null;
  app.get('/openapi.json', { config: { quiet: true }, schema: { operationId: 'getOpenApi', summary: 'This document', tags: ['operations'] } }, async (_req, reply) => {
    doc ??= JSON.stringify(ctx.openapi.document(), null, 2) + '\n';
    return reply.type('application/json').send(doc);
  });
}

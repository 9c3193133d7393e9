import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';

// build(deps) returns the app without listening: tests call app.inject(), main.ts listens.

export interface ApiDeps {
  store: Store;
  log: Logger;
  /** True while the SMTP listener is bound. */
  smtpListening: () => boolean;
  /** True while the log tailer runs; null when no tailing is configured. */
  tailing?: (() => boolean) | null;
}

export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    disableRequestLogging: true,
    bodyLimit: 1024 * 1024,
  });

  /** The process is up. */
  app.get('/healthz', async () => ({ ok: true }));

  /** Ready to take mail: the database answers and is writable, and SMTP is bound. */
  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, boolean> = { database: deps.store.ping(), smtp: deps.smtpListening() };
    if (deps.tailing) checks.tailer = deps.tailing();
    const ok = Object.values(checks).every(Boolean);
    return res.code(ok ? 200 : 503).send({ ok, checks });
  });

  return app;
}

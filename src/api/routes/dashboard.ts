import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { sendError } from '../context.js';

// The web dashboard (issue #16): the static files Vite builds from web/ into dist/dashboard
// (npm run build), served on the API's port under /dashboard/. The app has no logic of its
// own: it signs in through /v1/session and reads and writes through the same /v1 API.

/** dist/dashboard, from src/api/routes (tests) and from dist/api/routes (the daemon) alike. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../dist/dashboard/', import.meta.url));

/**
 * Content-Security-Policy of every dashboard file: scripts, styles and data from this origin
 * only, no inline script or style element, no plugin, no framing, no form posted elsewhere.
 * (Charts set element styles from script, which CSP does not govern.)
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function dashboardRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const built = existsSync(`${DASHBOARD_DIR}index.html`);
  if (!built) ctx.deps.log.warn({ evt: 'DASHBOARD_NOT_BUILT', dir: DASHBOARD_DIR }, 'no dashboard files (npm run build makes them); /dashboard answers 503');
  app.register(async (scope) => {
    scope.addHook('onSend', async (_req, reply, payload) => {
      reply.header('content-security-policy', DASHBOARD_CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
      return payload;
    });
    scope.get('/dashboard', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/dashboard/', 301));
    if (!built) {
      scope.get('/dashboard/*', { schema: { hide: true } }, async (_req, reply) => sendError(reply, 'dashboard_unavailable'));
      return;
    }
    await scope.register(fastifyStatic, {
      root: DASHBOARD_DIR,
      prefix: '/dashboard/',
      index: ['index.html'],
      decorateReply: false,
      // Vite names the assets by their content hash: cached for good; the page itself is revalidated.
      maxAge: 0,
      setHeaders(res, path) {
        res.header('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  });
}

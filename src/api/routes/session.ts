import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { SESSION_TTL_MS, sessionCookie } from '../session.js';
import { js, out } from '../schemas.js';

// The dashboard's sign-in (issue #16): an API key (an account's or the admin's) in a POST
// body, exchanged for a session cookie; the key is not kept by the browser. Sign-out drops
// the session. The session itself is checked by the app's auth hook (src/api/app.ts).

const loginBody = z.object({ key: z.string().min(1).max(512).describe('an account API key or the admin key') }).strict();
const sessionOut = z.object({
  accountId: z.string().nullable().describe('null for the admin'),
  admin: z.boolean(),
  csrf: z.string().describe('send it back in X-CSRF-Token with every state-changing request'),
  expiresAt: z.number(),
});

export function sessionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.route<{ Body: z.infer<typeof loginBody> }>({
    method: 'POST',
    url: '/v1/session',
    config: { auth: 'none' },
    schema: {
      summary: 'Dashboard sign-in: exchange an API key for a session cookie (HttpOnly, SameSite=Strict; Secure over TLS)',
      tags: ['session'],
      body: js(loginBody),
      response: { 201: out(sessionOut) },
    },
    async handler(req, reply) {
      // Failed sign-ins count with failed keys: a client past its limit is not heard.
      if (ctx.authFailures.blocked(req, reply)) return reply;
      const principal = await ctx.auth.authenticate(`Bearer ${req.body.key}`, ctx.now());
      if (!principal) {
        ctx.authFailures.failed(req, reply);
        ctx.deps.log.info({ evt: 'DASHBOARD_SIGNIN_FAILED' }, 'dashboard sign-in with an unknown key');
        throw new ApiError('unauthorized', 'Unknown or revoked API key');
      }
      const { id, session } = await ctx.sessions.open(principal, ctx.now());
      ctx.deps.log.info({ evt: 'DASHBOARD_SIGNIN', keyId: principal.keyId }, 'dashboard session opened');
      reply.header('set-cookie', sessionCookie(id, Math.floor(SESSION_TTL_MS / 1000), req.protocol === 'https'));
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ accountId: session.accountId, admin: principal.admin, csrf: session.csrf, expiresAt: session.expiresAt });
    },
  });

  app.route({
    method: 'GET',
    url: '/v1/session',
    config: { auth: 'account' },
    schema: { summary: "The dashboard session of this request's cookie, with its CSRF token", tags: ['session'], response: { 200: out(sessionOut) } },
    async handler(req, reply) {
      const s = req.dashSession;
      if (!s) throw new ApiError('not_found', 'This request carries no dashboard session (an API key needs none)');
      reply.header('cache-control', 'no-store');
      return { accountId: s.session.accountId, admin: req.principal!.admin, csrf: s.session.csrf, expiresAt: s.session.expiresAt };
    },
  });

  app.route({
    method: 'DELETE',
    url: '/v1/session',
    config: { auth: 'account' },
    schema: { summary: 'Dashboard sign-out (needs X-CSRF-Token)', tags: ['session'], response: { 204: { type: 'null', description: 'Signed out' } } },
    async handler(req, reply) {
      // Only the request's own session: a bearer key has none (404, as for GET).
      const id = req.dashSession?.id;
      if (!id) throw new ApiError('not_found', 'This request carries no dashboard session (an API key needs none)');
      await ctx.sessions.close(id);
      reply.header('set-cookie', sessionCookie('', 0, req.protocol === 'https'));
      return reply.code(204).send();
    },
  });
}

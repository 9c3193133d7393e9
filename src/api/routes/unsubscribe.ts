import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../context.js';
import { js } from '../schemas.js';

// Unsubscribe links. RFC 8058 one-click: the mail carries
//   List-Unsubscribe: <https://host/v1/unsubscribe/TOKEN>
//   List-Unsubscribe-Post: List-Unsubscribe=One-Click
// and the mailbox provider POSTs "List-Unsubscribe=One-Click" there (form-encoded or
// multipart), without cookies or a page. A GET never unsubscribes (link scanners and
// prefetchers follow GETs): it shows a page with a button that POSTs.

const tokenParams = z.object({ token: z.string().min(1).max(1024) }).strict();

// A person opens these links in a browser, so every answer of ours is an HTML page, the
// "not valid" one included (OpenAPI says text/html for the 404 too). Only a malformed
// request (400) and a rate limit (429), answered before the route runs, are JSON.
const html = { type: 'string' } as const;
const responses = {
  200: html,
  404: { ...html, description: 'not_found: an HTML page "Link not valid" (forged, expired and unknown tokens look alike)' },
};

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
  `<meta name="robots" content="noindex"><title>${escape(title)}</title></head>` +
  `<body style="font-family:sans-serif;max-width:32em;margin:3em auto"><h1>${escape(title)}</h1>${body}</body></html>`;

const invalidPage = () => page('Link not valid', '<p>This unsubscribe link is not valid.</p>');

export function unsubscribeRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.register(async (scope) => {
    // The one-click body carries nothing we need: accept the two types RFC 8058 allows.
    scope.addContentTypeParser(['application/x-www-form-urlencoded', 'multipart/form-data'], { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) =>
      done(null, body),
    );

    scope.route<{ Params: { token: string } }>({
      method: 'GET',
      url: '/v1/unsubscribe/:token',
      config: { auth: 'none' },
      schema: {
        operationId: 'showUnsubscribe',
        summary: 'Unsubscribe confirmation page (does not unsubscribe by itself)',
        tags: ['unsubscribe'],
        params: js(tokenParams),
        produces: ['text/html'],
        response: responses,
      },
      handler(req, reply) {
        reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
        // Said at once, before a button that could not work (nothing is changed either way).
        if (!ctx.policy().unsubscribeTokenValid(req.params.token)) return reply.code(404).send(invalidPage());
        const action = `/v1/unsubscribe/${encodeURIComponent(req.params.token)}`;
        return reply.send(
          page(
            'Unsubscribe',
            `<p>Stop receiving these emails?</p><form method="post" action="${escape(action)}">` +
              `<input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
          ),
        );
      },
    });

    scope.route<{ Params: { token: string } }>({
      method: 'POST',
      url: '/v1/unsubscribe/:token',
      config: { auth: 'none' },
      schema: {
        operationId: 'unsubscribeOneClick',
        summary: 'RFC 8058 one-click unsubscribe (also the confirmation page\'s button)',
        tags: ['unsubscribe'],
        params: js(tokenParams),
        consumes: ['application/x-www-form-urlencoded', 'multipart/form-data'],
        produces: ['text/html'],
        response: responses,
      },
      async handler(req, reply) {
        const r = await ctx.policy().unsubscribe(req.params.token, ctx.now());
        ctx.deps.onEvents?.();
        reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
        // The reason a token failed is not for the public: forged, expired and unknown look alike.
        if (!r.ok) return reply.code(404).send(invalidPage());
        return reply.send(page('Unsubscribed', '<p>You will not receive these emails any more.</p>'));
      },
    });
  });
}

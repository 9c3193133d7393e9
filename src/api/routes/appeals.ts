import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { APPEAL_STATES } from '../../domain/index.js';
import type { RouteContext } from '../context.js';
import { accountId, js } from '../schemas.js';

// The appeals waiting for the deliverability team (issue #16's admin screen), and an
// account's own appeals (the status of the one it filed).

const listQuery = z
  .object({
    account: accountId.optional().describe('admin: one account; an account key sees only its own'),
    state: z.enum(APPEAL_STATES).optional(),
  })
  .strict();

export function appealRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.route<{ Querystring: z.infer<typeof listQuery> }>({
    method: 'GET',
    url: '/v1/appeals',
    config: { auth: 'account' },
    schema: { summary: 'Appeals, oldest first (admin: every account or one; an account: its own)', tags: ['accounts'], querystring: js(listQuery) },
    async handler(req) {
      const p = req.principal!;
      const account = p.admin ? req.query.account : ctx.accountNamed(req, req.query.account);
      const items = await ctx.deps.store.appeals.list(account);
      return { items: req.query.state ? items.filter((a) => a.state === req.query.state) : items };
    },
  });
}

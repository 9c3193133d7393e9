import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { checkSoftBounceLimit } from '../../policy/rules.js';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { accountId, js, out } from '../schemas.js';

// An account's soft-bounce limit (issue #19 §2): N soft bounces of one address within D days,
// no delivery in between, suppress it for S days (reason soft_bounce_limit). Without one, a
// soft bounce leaves the contact eligible (HubSpot's rule, the default). The account chooses
// (its own key) or the admin; each change is audited.

const idParams = z.object({ id: accountId }).strict();
const limit = z
  .object({
    bounces: z.number().int().min(2).max(1000).describe('soft bounces of one address that suppress it'),
    windowDays: z.number().int().min(1).max(365).describe('... within this many days (a delivery in between resets the count)'),
    suppressDays: z.number().int().min(1).max(3650).describe('how long the suppression lasts'),
  })
  .strict();
type Limit = z.infer<typeof limit>;
const answer = z.object({ softBounceLimit: limit.nullable() });

export function softLimitRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx.deps;

  app.route<{ Params: { id: string } }>({
    method: 'GET',
    url: '/v1/accounts/:id/soft-bounce-limit',
    config: { auth: 'account' },
    schema: { summary: 'The account\'s soft-bounce limit (null: soft bounces never suppress)', tags: ['accounts'], params: js(idParams), response: { 200: out(answer) } },
    async handler(req) {
      const id = await ctx.accountFor(req, req.params.id);
      return { softBounceLimit: await store.accounts.softBounceLimit(id) };
    },
  });

  app.route<{ Params: { id: string }; Body: Limit }>({
    method: 'PUT',
    url: '/v1/accounts/:id/soft-bounce-limit',
    config: { auth: 'account' },
    schema: {
      summary: 'Set the account\'s soft-bounce limit: N soft bounces of an address within D days suppress it for S days',
      tags: ['accounts'],
      params: js(idParams),
      body: js(limit),
      response: { 200: out(answer) },
    },
    async handler(req) {
      const id = await ctx.accountFor(req, req.params.id);
      const problem = checkSoftBounceLimit(req.body);
      if (problem) throw new ApiError('validation_failed', problem);
      const now = ctx.now();
      await store.transaction(async (tx) => {
        await tx.accounts.setSoftBounceLimit(id, req.body, now);
        await tx.audit.add({ at: now, actor: req.principal!.keyId, accountId: id, action: 'account.update', subject: 'soft_bounce_limit', detail: { ...req.body } });
      });
      return { softBounceLimit: await store.accounts.softBounceLimit(id) };
    },
  });

  app.route<{ Params: { id: string } }>({
    method: 'DELETE',
    url: '/v1/accounts/:id/soft-bounce-limit',
    config: { auth: 'account' },
    schema: { summary: 'Remove the soft-bounce limit (suppressions it made stay until lifted by an unbounce)', tags: ['accounts'], params: js(idParams), response: { 200: out(answer) } },
    async handler(req) {
      const id = await ctx.accountFor(req, req.params.id);
      const now = ctx.now();
      await store.transaction(async (tx) => {
        await tx.accounts.setSoftBounceLimit(id, null, now);
        await tx.audit.add({ at: now, actor: req.principal!.keyId, accountId: id, action: 'account.update', subject: 'soft_bounce_limit', detail: null });
      });
      return { softBounceLimit: null };
    },
  });
}

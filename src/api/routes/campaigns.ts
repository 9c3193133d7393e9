import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../context.js';
import { accountId, cursor, decodeCursor, encodeCursor, js, limit, out } from '../schemas.js';

// A campaign's bounced recipients (issue #16's "Campaign recipients -> Bounced", as in the
// sending tool's Recipients tab): each failed delivery of the campaign, hard or soft, with its
// reason and category, a page at a time.

const params = z.object({ id: accountId, campaign: z.string().min(1).max(200) }).strict();
const query = z.object({ cursor: cursor.optional(), limit }).strict();
const item = z.object({
  recipient: z.string(),
  type: z.string().describe('hard or soft'),
  reason: z.string().nullable(),
  category: z.string().nullable(),
  at: z.number(),
  channel: z.string(),
});

export function campaignRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.route<{ Params: z.infer<typeof params>; Querystring: { cursor?: string; limit: number } }>({
    method: 'GET',
    url: '/v1/accounts/:id/campaigns/:campaign/bounced',
    config: { auth: 'account' },
    schema: {
      summary: "A campaign's bounced recipients with type, reason and category, a page at a time",
      tags: ['accounts'],
      params: js(params),
      querystring: js(query),
      response: { 200: out(z.object({ items: z.array(item), next: z.string().nullable() })) },
    },
    async handler(req) {
      const id = await ctx.accountFor(req, req.params.id);
      const rows = await ctx.deps.store.failures.ofCampaign(id, req.params.campaign, decodeCursor(req.query.cursor), req.query.limit);
      return {
        items: rows.map((f) => ({ recipient: f.recipient, type: f.state, reason: f.reason, category: f.category, at: f.at, channel: f.channel })),
        next: rows.length === req.query.limit ? encodeCursor(rows[rows.length - 1]!.deliveryId) : null,
      };
    },
  });
}

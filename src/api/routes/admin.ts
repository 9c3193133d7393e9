import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { canonicalAddress } from '../../address.js';
import { GLOBAL_ACCOUNT } from '../../domain/index.js';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { accountId, address, cursor, decodeCursor, encodeCursor, js, limit, out, SUPPRESSION_REASONS } from '../schemas.js';

// The deliverability team's views (issue #16's admin screens), each a page at a time on the
// server: the global suppressions (browse by reason, or look one address up), the webhook
// deliveries that did not go through, and the accounts with their health in one call (the
// page used to ask for each account's health separately).

const globalQuery = z
  .object({
    address: address.optional().describe('one address: its global suppressions (every reason); no paging'),
    reason: z.enum(SUPPRESSION_REASONS).optional(),
    cursor: z.string().max(512).optional(),
    limit,
  })
  .strict();
type GlobalQuery = z.infer<typeof globalQuery>;
const globalSuppression = z.object({ address: z.string(), reason: z.string(), createdAt: z.number(), source: z.string().nullable() });

const failuresQuery = z.object({ account: accountId.optional(), cursor: cursor.optional(), limit }).strict();
type FailuresQuery = z.infer<typeof failuresQuery>;
const failure = z.object({
  id: z.number(),
  accountId: z.string(),
  endpointId: z.string(),
  url: z.string().describe('the destination'),
  eventId: z.string(),
  eventType: z.string(),
  createdAt: z.number(),
  attempts: z.number(),
  lastAttemptAt: z.number().nullable(),
  lastStatus: z.number().nullable().describe('HTTP status of the last attempt; null: no answer (network error)'),
  lastError: z.string().nullable(),
  nextAttemptAt: z.number().nullable().describe('set while it is retried'),
  failedAt: z.number().nullable().describe('set once given up'),
  state: z.enum(['retrying', 'given_up']),
});

const healthQuery = z.object({ cursor: cursor.optional(), limit: z.number().int().min(1).max(100).default(50).describe('page size') }).strict();
type HealthQuery = z.infer<typeof healthQuery>;

export function adminRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx.deps;

  app.route<{ Querystring: GlobalQuery }>({
    method: 'GET',
    url: '/v1/global-suppressions',
    config: { auth: 'admin' },
    schema: {
      summary: 'Global suppressions (admin): by reason a page at a time in the order they were made, or one address',
      operationId: 'listGlobalSuppressions',
      tags: ['suppressions'],
      querystring: js(globalQuery),
      response: { 200: out(z.object({ items: z.array(globalSuppression), next: z.string().nullable() })) },
    },
    async handler(req) {
      const q = req.query;
      if (q.address !== undefined) {
        // hits() of the global owner reads the global rows of the address only (the unique key).
        const hits = await store.suppressions.hits(GLOBAL_ACCOUNT, canonicalAddress(q.address));
        const addr = canonicalAddress(q.address);
        return { items: hits.filter((h) => !q.reason || h.reason === q.reason).map((h) => ({ address: addr, reason: h.reason, createdAt: h.createdAt, source: h.source })), next: null };
      }
      const page = await ctx.policy().listSuppressions({ accountId: GLOBAL_ACCOUNT, scope: 'global', reason: q.reason, cursor: q.cursor, limit: q.limit });
      return { items: page.items.map(({ address: a, reason, createdAt, source }) => ({ address: a, reason, createdAt, source })), next: page.next };
    },
  });

  app.route<{ Querystring: FailuresQuery }>({
    method: 'GET',
    url: '/v1/webhook-failures',
    config: { auth: 'admin' },
    schema: {
      summary: 'Webhook deliveries tried and not delivered (admin): retrying or given up, newest first, with destination, attempts and last error',
      operationId: 'listWebhookFailures',
      tags: ['webhooks'],
      querystring: js(failuresQuery),
      response: { 200: out(z.object({ items: z.array(failure), next: z.string().nullable() })) },
    },
    async handler(req) {
      const q = req.query;
      if (q.account !== undefined && !(await ctx.accountExists(q.account))) throw new ApiError('not_found', 'No such account');
      const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const rows = await store.webhooks.failures({ accountId: q.account, beforeId: before, limit: q.limit + 1 });
      const items = rows.slice(0, q.limit).map((d) => ({
        id: d.id, accountId: d.accountId, endpointId: d.endpointId, url: d.url, eventId: d.eventId, eventType: d.eventType, createdAt: d.createdAt,
        attempts: d.attempts, lastAttemptAt: d.lastAttemptAt, lastStatus: d.lastStatus, lastError: d.lastError, nextAttemptAt: d.nextAttemptAt,
        failedAt: d.failedAt, state: d.failedAt === null ? ('retrying' as const) : ('given_up' as const),
      }));
      return { items, next: rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : null };
    },
  });

  app.route<{ Querystring: HealthQuery }>({
    method: 'GET',
    url: '/v1/account-health',
    config: { auth: 'admin' },
    schema: {
      summary: "Accounts with their health (admin): a page of accounts in id order, each with GET /v1/accounts/:id/health's answer",
      operationId: 'listAccountHealth',
      tags: ['accounts'],
      querystring: js(healthQuery),
      response: { 200: out(z.object({ items: z.array(z.object({ account: z.looseObject({ id: z.string() }), health: z.looseObject({ status: z.string() }) })), next: z.string().nullable() })) },
    },
    async handler(req) {
      const after = req.query.cursor === undefined ? null : Buffer.from(req.query.cursor, 'base64url').toString();
      const policy = ctx.policy();
      // Ids are unique: the page starts after the previous page's last id.
      const accounts = (await policy.listAccounts()).filter((a) => after === null || a.id > after).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const page = accounts.slice(0, req.query.limit);
      const now = ctx.now();
      const items = [];
      for (const account of page) {
        const health = await policy.health(account.id, now);
        if (health) items.push({ account, health });
      }
      return { items, next: accounts.length > page.length ? Buffer.from(page[page.length - 1]!.id).toString('base64url') : null };
    },
  });
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { randomBytes } from 'node:crypto';
import type { WebhookEndpoint } from '../../store/contract.js';
import { destinationRefusal } from '../../webhooks/destination.js';
import { accountId, cursor, decodeCursor, encodeCursor, EVENT_TYPES, js, limit, out } from '../schemas.js';

// Webhook endpoints of an account and their deliveries (every attempt is visible). An
// endpoint or delivery of another account answers 404.

const endpoint = z.object({
  id: z.string(),
  accountId: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  createdAt: z.number(),
  disabledAt: z.number().nullable(),
});

const delivery = z.object({
  id: z.number(),
  endpointId: z.string(),
  eventId: z.string().describe('the webhook-id header: the same on every attempt'),
  eventType: z.string(),
  createdAt: z.number(),
  attempts: z.number(),
  nextAttemptAt: z.number().nullable(),
  lastAttemptAt: z.number().nullable(),
  lastStatus: z.number().nullable(),
  lastError: z.string().nullable(),
  deliveredAt: z.number().nullable(),
  failedAt: z.number().nullable(),
});

const createBody = z
  .object({
    url: z.string().max(2000).regex(/^https?:\/\/[^\s]+$/).describe('http(s) URL that receives the POSTs'),
    events: z.array(z.enum(EVENT_TYPES)).max(EVENT_TYPES.length).default([]).describe('event types to send; empty: every type of the account'),
  })
  .strict();
type CreateBody = z.infer<typeof createBody>;

const idParams = z.object({ id: accountId }).strict();
const endpointParams = z.object({ id: accountId, webhookId: z.string().max(64) }).strict();
const deliveryParams = endpointParams.extend({ deliveryId: z.number().int().min(1) }).strict();
type EndpointParams = z.infer<typeof endpointParams>;
type DeliveryParams = z.infer<typeof deliveryParams>;

export function webhookRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const webhooks = ctx.deps.store.webhooks;

  const endpointOf = async (account: string, webhookId: string): Promise<WebhookEndpoint> => {
    const e = await webhooks.getEndpoint(account, webhookId);
    if (!e) throw new ApiError('not_found', 'No such webhook');
    return e;
  };

  app.route<{ Params: { id: string }; Body: CreateBody }>({
    method: 'POST',
    url: '/v1/accounts/:id/webhooks',
    config: { auth: 'account' },
    schema: {
      summary: 'Add a webhook endpoint; its signing secret is in this answer only',
      operationId: 'createWebhook',
      tags: ['webhooks'],
      errors: ['destination_not_public', 'destination_unresolvable'],
      params: js(idParams),
      body: js(createBody),
      response: { 201: out(endpoint.extend({ secret: z.string().describe('whsec_...: the HMAC-SHA256 key (base64 after the prefix)') })) },
    },
    async handler(req, reply) {
      const account = await ctx.accountFor(req, req.params.id);
      if (!ctx.deps.webhookAllowPrivateDestinations) {
        // The rule every delivery is held to (src/webhooks/destination.ts), said at once.
        const refused = await destinationRefusal(req.body.url);
        if (refused) throw new ApiError(refused.code === 'destination_invalid' ? 'validation_failed' : refused.code, refused.message, 'url');
      }
      // The signing secret: 24 random bytes, shown in this answer only (Standard Webhooks' whsec_ form).
      const secret = `whsec_${randomBytes(24).toString('base64')}`;
      const e = await webhooks.createEndpoint({ id: `wh_${randomBytes(8).toString('hex')}`, accountId: account, url: req.body.url, secret, events: req.body.events }, ctx.now());
      return reply.code(201).send({ ...e, secret });
    },
  });

  app.route<{ Params: { id: string } }>({
    method: 'GET',
    url: '/v1/accounts/:id/webhooks',
    config: { auth: 'account' },
    schema: { operationId: 'listWebhooks', summary: "The account's webhook endpoints", tags: ['webhooks'], params: js(idParams), response: { 200: out(z.object({ items: z.array(endpoint) })) } },
    async handler(req) {
      return { items: await webhooks.listEndpoints(await ctx.accountFor(req, req.params.id)) };
    },
  });

  app.route<{ Params: EndpointParams }>({
    method: 'DELETE',
    url: '/v1/accounts/:id/webhooks/:webhookId',
    config: { auth: 'account' },
    schema: {
      operationId: 'deleteWebhook',
      summary: 'Remove a webhook endpoint (its pending deliveries stop; their history stays)',
      tags: ['webhooks'],
      params: js(endpointParams),
      response: { 204: { type: 'null', description: 'Removed' } },
    },
    async handler(req, reply) {
      const account = await ctx.accountFor(req, req.params.id);
      if (!(await webhooks.disableEndpoint(account, req.params.webhookId, ctx.now()))) throw new ApiError('not_found', 'No such webhook');
      return reply.code(204).send();
    },
  });

  app.route<{ Params: EndpointParams; Querystring: { cursor?: string; limit: number } }>({
    method: 'GET',
    url: '/v1/accounts/:id/webhooks/:webhookId/deliveries',
    config: { auth: 'account' },
    schema: {
      operationId: 'listWebhookDeliveries',
      summary: "An endpoint's deliveries, oldest first: attempts, last answer, next attempt",
      tags: ['webhooks'],
      params: js(endpointParams),
      querystring: js(z.object({ cursor: cursor.optional(), limit }).strict()),
      response: { 200: out(z.object({ items: z.array(delivery), next: z.string().nullable() })) },
    },
    async handler(req) {
      const e = await endpointOf(await ctx.accountFor(req, req.params.id), req.params.webhookId);
      const items = await webhooks.listDeliveries(e.id, decodeCursor(req.query.cursor), req.query.limit);
      return { items, next: items.length === req.query.limit ? encodeCursor(items[items.length - 1]!.id) : null };
    },
  });

  app.route<{ Params: DeliveryParams }>({
    method: 'GET',
    url: '/v1/accounts/:id/webhooks/:webhookId/deliveries/:deliveryId',
    config: { auth: 'account' },
    schema: {
      operationId: 'getWebhookDelivery',
      summary: 'One delivery with every attempt',
      tags: ['webhooks'],
      params: js(deliveryParams),
      response: {
        200: out(delivery.extend({ attemptLog: z.array(z.object({ at: z.number(), status: z.number().nullable(), error: z.string().nullable(), durationMs: z.number() })) })),
      },
    },
    async handler(req) {
      const e = await endpointOf(await ctx.accountFor(req, req.params.id), req.params.webhookId);
      const d = await webhooks.getDelivery(e.id, req.params.deliveryId);
      if (!d) throw new ApiError('not_found', 'No such delivery');
      return d;
    },
  });

  app.route<{ Params: DeliveryParams }>({
    method: 'POST',
    url: '/v1/accounts/:id/webhooks/:webhookId/deliveries/:deliveryId/retry',
    config: { auth: 'account' },
    schema: {
      operationId: 'retryWebhookDelivery',
      summary: 'Send a delivery that is not yet delivered again now (also one given up)',
      tags: ['webhooks'],
      params: js(deliveryParams),
      response: { 202: out(z.object({ ok: z.boolean() })) },
    },
    async handler(req, reply) {
      const e = await endpointOf(await ctx.accountFor(req, req.params.id), req.params.webhookId);
      if (e.disabledAt !== null || !(await webhooks.retry(e.id, req.params.deliveryId, ctx.now()))) {
        throw new ApiError('not_found', 'No such delivery waiting (delivered, or the endpoint is removed)');
      }
      ctx.deps.onEvents?.();
      return reply.code(202).send({ ok: true });
    },
  });
}

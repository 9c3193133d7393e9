import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PROFILES, TIERS, utcDay } from '../../domain/index.js';
import type { RouteContext } from '../context.js';
import { createApiKey } from '../auth.js';
import { ApiError, policyApiError } from '../errors.js';
import { accountId, channel, js, out } from '../schemas.js';

// Accounts (the admin creates and changes them), their health and profile, send counts,
// appeals, and API keys. A path with an account id answers 404 to another account's key.

const account = z.object({
  id: z.string(),
  name: z.string().nullable(),
  tier: z.string(),
  profile: z.string(),
  contactEmail: z.string().nullable(),
  createdAt: z.number(),
});

const createBody = z
  .object({
    id: accountId,
    name: z.string().max(200).optional(),
    tier: z.enum(TIERS),
    profile: z.enum(PROFILES).optional(),
    contactEmail: z.string().max(320).optional(),
  })
  .strict();
type CreateBody = z.infer<typeof createBody>;

const patchBody = z
  .object({
    name: z.string().max(200).optional(),
    tier: z.enum(TIERS).optional(),
    profile: z.enum(PROFILES).optional(),
    contactEmail: z.string().max(320).optional(),
  })
  .strict();
type PatchBody = z.infer<typeof patchBody>;

const idParams = z.object({ id: accountId }).strict();
const keyParams = z.object({ id: accountId, keyId: z.string().max(64) }).strict();

const sendsBody = z
  .object({
    count: z.number().int().min(0).max(1e9),
    day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().describe('YYYY-MM-DD (UTC); default: today'),
  })
  .strict();
type SendsBody = z.infer<typeof sendsBody>;

const appealBody = z
  .object({
    channel: channel.default('marketing'),
    importedOptOutList: z.boolean().describe('the opt-out list of the previous provider was imported (must be true)'),
    cleanedLists: z.boolean().describe('the lists were cleaned of bounced and unengaged contacts (must be true)'),
    mailedWithinYear: z.boolean().describe('every contact was mailed within the last year (must be true)'),
    contactsSource: z.string().min(1).max(2000).describe('where the contacts came from'),
    message: z.string().min(1).max(10_000).describe('what happened and what changed'),
  })
  .strict();
const decisionBody = z.object({ decision: z.enum(['reinstate', 'deny']), reason: z.string().min(1).max(2000) }).strict();
type DecisionBody = z.infer<typeof decisionBody>;

const apiKey = z.object({
  id: z.string(),
  accountId: z.string().nullable(),
  prefix: z.string(),
  name: z.string().nullable(),
  createdAt: z.number(),
  revokedAt: z.number().nullable(),
});

export function accountRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx.deps;
  const actor = (keyId: string) => `api:${keyId}`;

  app.route<{ Body: CreateBody }>({
    method: 'POST',
    url: '/v1/accounts',
    config: { auth: 'admin' },
    schema: { summary: 'Create an account (admin)', operationId: 'createAccount', tags: ['accounts'], body: js(createBody), errors: ['conflict'], response: { 201: out(account) } },
    async handler(req, reply) {
      const policy = ctx.policy();
      if (await policy.getAccount(req.body.id)) throw new ApiError('conflict', 'An account with this id exists', 'id');
      const created = await policy.createAccount(req.body, actor(req.principal!.keyId), ctx.now());
      ctx.deps.onEvents?.();
      return reply.code(201).send(created);
    },
  });

  app.route({
    method: 'GET',
    url: '/v1/accounts',
    config: { auth: 'admin' },
    schema: { operationId: 'listAccounts', summary: 'Every account (admin)', tags: ['accounts'], response: { 200: out(z.object({ items: z.array(account) })) } },
    async handler() {
      return { items: await ctx.policy().listAccounts() };
    },
  });

  app.route<{ Params: { id: string } }>({
    method: 'GET',
    url: '/v1/accounts/:id',
    config: { auth: 'account' },
    schema: { operationId: 'getAccount', summary: 'The account profile', tags: ['accounts'], params: js(idParams), response: { 200: out(account) } },
    async handler(req) {
      const id = ctx.accountNamed(req, req.params.id);
      const a = await ctx.policy().getAccount(id);
      if (!a) throw new ApiError('not_found', 'No such account');
      return a;
    },
  });

  app.route<{ Params: { id: string }; Body: PatchBody }>({
    method: 'PATCH',
    url: '/v1/accounts/:id',
    config: { auth: 'admin' },
    schema: { operationId: 'updateAccount', summary: 'Change an account (admin)', tags: ['accounts'], params: js(idParams), body: js(patchBody), response: { 200: out(account) } },
    async handler(req) {
      const a = await ctx.policy().updateAccount(req.params.id, req.body, actor(req.principal!.keyId), ctx.now());
      if (!a) throw new ApiError('not_found', 'No such account');
      ctx.deps.onEvents?.();
      return a;
    },
  });

  app.route<{ Params: { id: string } }>({
    method: 'GET',
    url: '/v1/accounts/:id/health',
    config: { auth: 'account' },
    schema: {
      operationId: 'getAccountHealth',
      summary: "The account's status, this month's rates against its limits, banner and recommendations",
      tags: ['accounts'],
      params: js(idParams),
    },
    async handler(req) {
      const id = ctx.accountNamed(req, req.params.id);
      const h = await ctx.policy().health(id, ctx.now());
      if (!h) throw new ApiError('not_found', 'No such account');
      return h;
    },
  });

  app.route<{ Params: { id: string }; Body: SendsBody }>({
    method: 'POST',
    url: '/v1/accounts/:id/sends',
    config: { auth: 'account' },
    schema: {
      operationId: 'addSends',
      summary: 'Count sends made through another MTA (the denominator of the rates)',
      tags: ['accounts'],
      params: js(idParams),
      body: js(sendsBody),
      response: { 200: out(z.object({ accountId: z.string(), day: z.string(), count: z.number() })) },
    },
    async handler(req) {
      const id = await ctx.accountFor(req, req.params.id);
      const day = req.body.day ?? utcDay(ctx.now());
      await store.sends.add(id, day, req.body.count);
      return (await store.sends.list(id)).find((s) => s.day === day)!;
    },
  });

  app.route<{ Params: { id: string } }>({
    method: 'GET',
    url: '/v1/accounts/:id/sends',
    config: { auth: 'account' },
    schema: {
      operationId: 'listSends',
      summary: 'Send counts per day',
      tags: ['accounts'],
      params: js(idParams),
      response: { 200: out(z.object({ items: z.array(z.object({ day: z.string(), count: z.number() })) })) },
    },
    async handler(req) {
      const id = await ctx.accountFor(req, req.params.id);
      return { items: (await store.sends.list(id)).map(({ day, count }) => ({ day, count })) };
    },
  });

  app.route<{ Params: { id: string }; Body: z.infer<typeof appealBody> }>({
    method: 'POST',
    url: '/v1/accounts/:id/appeals',
    config: { auth: 'account' },
    schema: {
      summary: 'Appeal a suspension (the admin decides)',
      operationId: 'fileAppeal',
      tags: ['accounts'],
      errors: ['conflict'],
      params: js(idParams),
      body: js(appealBody),
      response: { 201: out(z.object({ appealId: z.number() })) },
    },
    async handler(req, reply) {
      const id = await ctx.accountFor(req, req.params.id);
      const r = await ctx.policy().fileAppeal(id, req.body, ctx.now());
      if (!r.ok) throw policyApiError(r);
      ctx.deps.onEvents?.();
      return reply.code(201).send({ appealId: r.appealId });
    },
  });

  app.route<{ Params: { appealId: number }; Body: DecisionBody }>({
    method: 'POST',
    url: '/v1/appeals/:appealId/decision',
    config: { auth: 'admin' },
    schema: {
      summary: 'Decide an appeal: reinstate or deny (admin)',
      operationId: 'decideAppeal',
      tags: ['accounts'],
      errors: ['conflict'],
      params: js(z.object({ appealId: z.number().int().min(1) }).strict()),
      body: js(decisionBody),
      response: { 200: out(z.object({ ok: z.boolean() })) },
    },
    async handler(req) {
      const r = await ctx.policy().decideAppeal(req.params.appealId, req.body.decision, req.body.reason, actor(req.principal!.keyId), ctx.now());
      if (!r.ok) throw policyApiError(r);
      ctx.deps.onEvents?.();
      return { ok: true };
    },
  });

  // --- API keys ---

  app.route<{ Params: { id: string }; Body: { name?: string } }>({
    method: 'POST',
    url: '/v1/accounts/:id/keys',
    config: { auth: 'admin' },
    schema: {
      operationId: 'createKey',
      summary: 'Create an API key for the account (admin); the key is in this answer only',
      tags: ['keys'],
      params: js(idParams),
      body: js(z.object({ name: z.string().max(100).optional() }).strict()),
      response: { 201: out(apiKey.extend({ key: z.string().describe('shown once; only its sha256 is stored') })) },
    },
    // The body is optional: no body is an empty one.
    preValidation(req, _reply, done) {
      req.body ??= {};
      done();
    },
    async handler(req, reply) {
      const id = await ctx.accountFor(req, req.params.id);
      const { record, key } = await createApiKey(store.keys, id, req.body.name ?? null, ctx.now());
      return reply.code(201).send({ ...record, key });
    },
  });

  app.route<{ Params: { id: string } }>({
    method: 'GET',
    url: '/v1/accounts/:id/keys',
    config: { auth: 'account' },
    schema: {
      operationId: 'listKeys',
      summary: "The account's keys (prefixes only)",
      tags: ['keys'],
      params: js(idParams),
      response: { 200: out(z.object({ items: z.array(apiKey) })) },
    },
    async handler(req) {
      return { items: await store.keys.list(await ctx.accountFor(req, req.params.id)) };
    },
  });

  app.route<{ Params: { id: string; keyId: string } }>({
    method: 'DELETE',
    url: '/v1/accounts/:id/keys/:keyId',
    config: { auth: 'account' },
    schema: { operationId: 'revokeKey', summary: 'Revoke a key', tags: ['keys'], params: js(keyParams), response: { 204: { type: 'null', description: 'Revoked' } } },
    async handler(req, reply) {
      const id = await ctx.accountFor(req, req.params.id);
      if (!(await store.keys.revoke(id, req.params.keyId, ctx.now()))) throw new ApiError('not_found', 'No such key');
      ctx.auth.invalidate();
      return reply.code(204).send();
    },
  });
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { registerInbox, updateInbox, type InboxService, type RegisterErrorCode } from '../../inbox/service.js';
import { TLS_MODES } from '../../inbox/types.js';
import type { InboxRecord } from '../../store/contract.js';
import { accountId, address, js, out } from '../schemas.js';

// Connected inboxes of an account (issue #17): register (the password or token is
// write-only: stored encrypted, never answered, never logged), list with their sync status,
// remove, sync now, and sends reported by the sending application (the sent index beside the
// Sent folder). An inbox of another account answers 404.

/** The daemon's side: the configured keys and the service that syncs (absent: `bounced` without inboxes). */
export interface InboxApiDeps {
  keys: readonly Buffer[];
  service: InboxService | null;
}

const folder = z.string().min(1).max(255).regex(/^[^\r\n\0]+$/);

export const inboxView = z.object({
  id: z.string(),
  accountId: z.string(),
  host: z.string(),
  port: z.number(),
  tls: z.enum(TLS_MODES),
  user: z.string(),
  auth: z.enum(['password', 'xoauth2']).describe('what kind of secret is stored (never the secret)'),
  sentFolder: z.string().nullable(),
  moveTo: z.string().nullable(),
  windowHours: z.number().nullable(),
  enabled: z.boolean(),
  createdAt: z.number(),
  status: z.object({
    state: z.enum(['new', 'ok', 'error']),
    errorCode: z.string().nullable().describe('auth_failed, token_rejected, credentials_unreadable, unreachable, tls_failed, throttled, mailbox_error, ...'),
    errorMessage: z.string().nullable().describe("the server's words"),
    errorAt: z.number().nullable(),
    failures: z.number(),
    nextAttemptAt: z.number().nullable(),
    lastSyncAt: z.number().nullable(),
    counters: z.record(z.string(), z.unknown()).nullable(),
  }),
});

const createBody = z
  .object({
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65535).default(993),
    tls: z.enum(TLS_MODES).default('implicit').describe('implicit (IMAPS), starttls, or none (loopback only)'),
    user: z.string().min(1).max(320),
    password: z.string().min(1).max(16384).optional().describe('write-only'),
    accessToken: z.string().min(1).max(16384).optional().describe('an OAuth2 access token for XOAUTH2 (Google, Microsoft); write-only'),
    sentFolder: folder.optional(),
    moveTo: folder.optional().describe('move found bounces to this folder (created); absent: they stay'),
    windowHours: z.number().positive().max(1440).optional(),
  })
  .strict();
type CreateBody = z.infer<typeof createBody>;

const patchBody = z
  .object({
    password: z.string().min(1).max(16384).optional().describe('a new password; write-only'),
    accessToken: z.string().min(1).max(16384).optional().describe('a new OAuth2 access token (a renewed one); write-only'),
    enabled: z.boolean().optional().describe('false: not synced (kept with its state)'),
    sentFolder: folder.nullable().optional(),
    moveTo: folder.nullable().optional(),
    windowHours: z.number().positive().max(1440).nullable().optional(),
  })
  .strict();
type PatchBody = z.infer<typeof patchBody>;

const sendsBody = z
  .object({
    sends: z
      .array(
        z
          .object({
            messageId: z.string().min(3).max(998).describe('the Message-ID, with or without <>'),
            recipients: z.array(address).min(1).max(1000),
            subject: z.string().max(998).nullable().default(null),
            sentAt: z.number().int().min(0).describe('epoch ms'),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
  })
  .strict();
type SendsBody = z.infer<typeof sendsBody>;

const idParams = z.object({ id: accountId }).strict();
const inboxParams = z.object({ id: accountId, inboxId: z.string().max(64) }).strict();
type InboxParams = z.infer<typeof inboxParams>;

/** A registration refusal as the API says it. */
const REFUSALS: Record<RegisterErrorCode, { code: 'validation_failed' | 'not_found' | 'conflict' | 'inboxes_unavailable'; field?: string }> = {
  invalid_inbox: { code: 'validation_failed' },
  plaintext_not_allowed: { code: 'validation_failed', field: 'tls' },
  unknown_account: { code: 'not_found' },
  no_credential_key: { code: 'inboxes_unavailable' },
  conflict: { code: 'conflict' },
};

export function inboxRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const store = ctx.deps.store;
  const deps = (): InboxApiDeps => ctx.deps.inboxes ?? { keys: [], service: null };

  const inboxOf = async (account: string, inboxId: string): Promise<InboxRecord> => {
    const i = await store.inboxes.get(inboxId);
    if (!i || i.accountId !== account) throw new ApiError('not_found', 'No such inbox');
    return i;
  };

  app.route<{ Params: { id: string }; Body: CreateBody }>({
    method: 'POST',
    url: '/v1/accounts/:id/inboxes',
    config: { auth: 'account' },
    schema: {
      summary: 'Connect an inbox (IMAP): its bounces of one-to-one mail are found from now on; the secret is write-only',
      tags: ['inboxes'],
      params: js(idParams),
      body: js(createBody),
      response: { 201: out(inboxView) },
    },
    async handler(req, reply) {
      const account = await ctx.accountFor(req, req.params.id);
      const b = req.body;
      if ((b.password === undefined) === (b.accessToken === undefined)) throw new ApiError('validation_failed', 'give exactly one of password and accessToken', 'password');
      const secret = b.password !== undefined ? { kind: 'password' as const, password: b.password } : { kind: 'xoauth2' as const, accessToken: b.accessToken! };
      const r = await registerInbox(store, deps().keys, { accountId: account, host: b.host, port: b.port, tls: b.tls, user: b.user, secret, sentFolder: b.sentFolder, moveTo: b.moveTo, windowHours: b.windowHours }, ctx.now());
      if (!r.ok) {
        const m = REFUSALS[r.code];
        throw new ApiError(m.code, r.message, m.field);
      }
      // the first sync at once, in the background (its outcome is the inbox's status)
      void deps().service?.kick(ctx.now());
      return reply.code(201).send(r.inbox);
    },
  });

  app.route<{ Params: { id: string } }>({
    method: 'GET',
    url: '/v1/accounts/:id/inboxes',
    config: { auth: 'account' },
    schema: { summary: "The account's connected inboxes and their sync status", tags: ['inboxes'], params: js(idParams), response: { 200: out(z.object({ items: z.array(inboxView) })) } },
    async handler(req) {
      return { items: await store.inboxes.list(await ctx.accountFor(req, req.params.id)) };
    },
  });

  app.route<{ Params: InboxParams }>({
    method: 'GET',
    url: '/v1/accounts/:id/inboxes/:inboxId',
    config: { auth: 'account' },
    schema: { summary: 'One connected inbox and its sync status', tags: ['inboxes'], params: js(inboxParams), response: { 200: out(inboxView) } },
    async handler(req) {
      return inboxOf(await ctx.accountFor(req, req.params.id), req.params.inboxId);
    },
  });

  app.route<{ Params: InboxParams; Body: PatchBody }>({
    method: 'PATCH',
    url: '/v1/accounts/:id/inboxes/:inboxId',
    config: { auth: 'account' },
    schema: {
      summary: 'Change an inbox: a new password or access token (tried at once), enabled, folders, window',
      tags: ['inboxes'],
      params: js(inboxParams),
      body: js(patchBody),
      response: { 200: out(inboxView) },
    },
    async handler(req) {
      const account = await ctx.accountFor(req, req.params.id);
      const b = req.body;
      if (b.password !== undefined && b.accessToken !== undefined) throw new ApiError('validation_failed', 'give at most one of password and accessToken', 'password');
      const secret = b.password !== undefined ? { kind: 'password' as const, password: b.password } : b.accessToken !== undefined ? { kind: 'xoauth2' as const, accessToken: b.accessToken } : undefined;
      const r = await updateInbox(store, deps().keys, account, req.params.inboxId, { secret, enabled: b.enabled, sentFolder: b.sentFolder, moveTo: b.moveTo, windowHours: b.windowHours });
      if (!r.ok) throw new ApiError(r.code === 'not_found' ? 'not_found' : r.code === 'no_credential_key' ? 'inboxes_unavailable' : 'validation_failed', r.message);
      if (secret) void deps().service?.kick(ctx.now());
      return r.inbox;
    },
  });

  app.route<{ Params: InboxParams }>({
    method: 'DELETE',
    url: '/v1/accounts/:id/inboxes/:inboxId',
    config: { auth: 'account' },
    schema: {
      summary: 'Disconnect an inbox: its credentials and sync state are deleted; the bounce records found stay',
      tags: ['inboxes'],
      params: js(inboxParams),
      response: { 204: { type: 'null', description: 'Removed' } },
    },
    async handler(req, reply) {
      const account = await ctx.accountFor(req, req.params.id);
      if (!(await store.inboxes.remove(account, req.params.inboxId))) throw new ApiError('not_found', 'No such inbox');
      deps().service?.forget(req.params.inboxId);
      return reply.code(204).send();
    },
  });

  app.route<{ Params: InboxParams }>({
    method: 'POST',
    url: '/v1/accounts/:id/inboxes/:inboxId/sync',
    config: { auth: 'account' },
    schema: {
      summary: 'Sync the inbox now (one bounded sync, whatever its back-off); answers its status',
      tags: ['inboxes'],
      params: js(inboxParams),
      response: { 200: out(inboxView) },
    },
    async handler(req) {
      const i = await inboxOf(await ctx.accountFor(req, req.params.id), req.params.inboxId);
      const service = deps().service;
      if (!service?.configured) throw new ApiError('inboxes_unavailable');
      await service.syncNow(i.id);
      return inboxOf(i.accountId, i.id);
    },
  });

  app.route<{ Params: InboxParams; Body: SendsBody }>({
    method: 'POST',
    url: '/v1/accounts/:id/inboxes/:inboxId/sends',
    config: { auth: 'account' },
    schema: {
      summary: 'Report one-to-one sends from this mailbox (beside its Sent folder): what went to whom, to match bounces against',
      tags: ['inboxes'],
      params: js(inboxParams),
      body: js(sendsBody),
      response: { 200: out(z.object({ added: z.number().describe('new entries (a Message-ID already known is kept once)') })) },
    },
    async handler(req) {
      const i = await inboxOf(await ctx.accountFor(req, req.params.id), req.params.inboxId);
      const sends = req.body.sends.map((s) => ({ ...s, messageId: s.messageId.replace(/^<|>$/g, '') }));
      return { added: await store.inboxes.addSent(i.id, sends, 'api') };
    },
  });
}

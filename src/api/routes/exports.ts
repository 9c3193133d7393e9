import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { checkExportFilter, CONTENT_TYPES, EXPORT_FORMATS, EXPORT_KINDS, exportChunks, ExportError, type ExportFilter, type ExportKind } from '../../exports/index.js';
import { PROVIDERS } from '../../esp/types.js';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { accountId, js, parseSince, since } from '../schemas.js';

// Exports (issue #19 §3): GET /v1/exports/{bounces,deliveries,suppressions,events}?format=csv|jsonl,
// streamed a page at a time (src/exports): a million rows never sit in memory. An account key
// exports its own account; the admin names one (suppressions) or exports every account.

const params = z.object({ kind: z.enum(EXPORT_KINDS) }).strict();
const query = z
  .object({
    format: z.enum(EXPORT_FORMATS).default('csv'),
    account: accountId.optional().describe('admin: the account (required for suppressions; else every account); an account key: its own'),
    since: since.optional().describe('created (deliveries: first evidence; events: received) at or after: epoch ms or ISO 8601'),
    until: since.optional().describe('... and before'),
    category: z.string().max(64).optional().describe('bounces: category (unknown_user, ...); deliveries: state (pending, delivered, soft, hard); suppressions: reason; events: kind'),
    provider: z.enum(PROVIDERS).optional().describe('events only'),
  })
  .strict();
type Query = z.infer<typeof query>;

export function exportRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx.deps;
  app.route<{ Params: { kind: ExportKind }; Querystring: Query }>({
    method: 'GET',
    url: '/v1/exports/:kind',
    config: { auth: 'account' },
    schema: {
      summary: 'Export bounces, deliveries, suppressions or provider events as CSV or JSON lines, streamed',
      tags: ['exports'],
      params: js(params),
      querystring: js(query),
      produces: [CONTENT_TYPES.csv, CONTENT_TYPES.jsonl],
      response: { 200: { type: 'string', description: 'CSV (RFC 4180, a header line) or one JSON object a line, oldest first' } },
    },
    async handler(req, reply) {
      const q = req.query;
      const p = req.principal!;
      const accountId = p.admin ? q.account : ctx.accountNamed(req, q.account);
      if (p.admin && accountId !== undefined && !(await ctx.accountExists(accountId))) throw new ApiError('not_found', 'No such account');
      const until = q.until === undefined ? undefined : parseSince(q.until);
      const f: ExportFilter = { accountId, since: parseSince(q.since), until, category: q.category, provider: q.provider };
      try {
        checkExportFilter(req.params.kind, f);
      } catch (err) {
        if (err instanceof ExportError) throw new ApiError('validation_failed', err.message);
        throw err;
      }
      const name = `${req.params.kind}${accountId ? `-${accountId}` : ''}.${q.format}`;
      // Readable.from pulls the next page only when the socket has taken the last one.
      return reply
        .type(CONTENT_TYPES[q.format])
        .header('content-disposition', `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
        .send(Readable.from(exportChunks(store, req.params.kind, q.format, f)));
    },
  });
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BOUNCE_TYPES, CATEGORIES } from '../../domain/index.js';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { canonicalAddress } from '../../address.js';
import type { BounceRecord } from '../../store/contract.js';
import { accountId, bounce, cursor, decodeCursor, encodeCursor, js, limit, out, parseSince, since } from '../schemas.js';

// Bounce records: list and filter, one with its evidence and the rule that decided, and the
// stored report itself. An account key sees its own account's bounces only; the admin also
// sees unverified ones (no account).

const listQuery = z
  .object({
    account: accountId.optional().describe('admin: filter by account; an account key sees only its own'),
    recipient: z.string().max(320).optional(),
    type: z.enum(BOUNCE_TYPES).optional(),
    category: z.enum(CATEGORIES).optional(),
    reason: z.string().max(64).optional().describe('Sisimai reason (userunknown, mailboxfull, ...)'),
    since: since.optional(),
    cursor: cursor.optional(),
    limit,
  })
  .strict();
type ListQuery = z.infer<typeof listQuery>;

const idParams = z.object({ id: z.number().int().min(1) }).strict();

export function bounceRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx.deps;

  /** The bounce, only when the request's key may see it (else 404, never 403). */
  const visible = async (req: FastifyRequest, id: number): Promise<BounceRecord> => {
    const b = await store.bounces.get(id);
    const p = req.principal!;
    if (!b || (!p.admin && b.accountId !== p.accountId)) throw new ApiError('not_found', 'No such bounce');
    return b;
  };

  app.route<{ Querystring: ListQuery }>({
    method: 'GET',
    url: '/v1/bounces',
    config: { auth: 'account' },
    schema: {
      operationId: 'listBounces',
      summary: 'Bounce records, oldest first, a page at a time',
      tags: ['bounces'],
      querystring: js(listQuery),
      response: { 200: out(z.object({ items: z.array(bounce), next: z.string().nullable() })) },
    },
    async handler(req) {
      const q = req.query;
      const p = req.principal!;
      const account = p.admin ? q.account : ctx.accountNamed(req, q.account);
      const items = await store.bounces.list({
        accountId: account,
        // The canonical spelling the records are kept in (an IDN domain in ASCII).
        recipient: q.recipient === undefined ? undefined : canonicalAddress(q.recipient),
        type: q.type,
        category: q.category,
        reason: q.reason,
        since: parseSince(q.since),
        after: decodeCursor(q.cursor),
        limit: q.limit,
      });
      return { items, next: items.length === q.limit ? encodeCursor(items[items.length - 1]!.id) : null };
    },
  });

  app.route<{ Params: { id: number } }>({
    method: 'GET',
    url: '/v1/bounces/:id',
    config: { auth: 'account' },
    schema: {
      operationId: 'getBounce',
      summary: 'One bounce with its delivery evidence, the rule that decided, and where to get the report',
      tags: ['bounces'],
      params: js(idParams),
      response: {
        200: out(
          z.object({
            bounce,
            rule: z.object({ id: z.string(), detector: z.string() }),
            evidence: z.array(z.looseObject({ id: z.number(), deliveryId: z.number(), at: z.number(), source: z.string(), state: z.string() })),
            report: z
              .object({
                href: z.string(),
                size: z.number(),
                receivedAt: z.number(),
                state: z.string(),
                warning: z.string().nullable().describe('what was cut from the report\'s output, e.g. "10000 recipients reported, 100 kept (pipeline.maxRecordsPerMessage)"'),
              })
              .nullable(),
          }),
        ),
      },
    },
    async handler(req) {
      const b = await visible(req, req.params.id);
      const msg = await store.messages.get(b.messageRow);
      return {
        bounce: b,
        rule: { id: b.rule, detector: b.detector },
        evidence: await store.bounces.evidence(b.id),
        report: msg ? { href: `/v1/bounces/${b.id}/report`, size: msg.size, receivedAt: msg.receivedAt, state: msg.state, warning: msg.warning } : null,
      };
    },
  });

  app.route<{ Params: { id: number } }>({
    method: 'GET',
    url: '/v1/bounces/:id/report',
    config: { auth: 'account' },
    schema: {
      operationId: 'getBounceReport',
      summary: 'The stored report (the raw message the bounce was read from), for download',
      tags: ['bounces'],
      params: js(idParams),
      produces: ['message/rfc822'],
      response: { 200: { type: 'string', description: 'The message, byte for byte as received' } },
    },
    async handler(req, reply) {
      const b = await visible(req, req.params.id);
      const raw = await store.messages.raw(b.messageRow);
      if (!raw) throw new ApiError('not_found', 'The report is no longer stored');
      return reply
        .type('message/rfc822')
        .header('content-disposition', `attachment; filename="bounce-${b.id}.eml"`)
        .send(raw);
    },
  });
}

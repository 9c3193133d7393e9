import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../auth.js';
import type { RouteContext } from '../context.js';
import type { SendDecision } from '../../policy/contract.js';
import { CsvAddressReader } from '../csv-addresses.js';
import { ApiError } from '../errors.js';
import { ADDABLE_REASONS } from '../../domain/index.js';
import { accountId, address, ADDRESS_PATTERN, channel, js, limit, out, parseSince, scope, sendDecision, since, SUPPRESSION_REASONS } from '../schemas.js';

// The pre-send check (the hot path) and the account's suppression list. Every route acts for
// one account: an account key for its own, the admin key for the one it names.

const checkQuery = z
  .object({
    account: accountId.optional().describe('required with the admin key; an account key may omit it'),
    campaign: z.string().max(200).optional(),
    channel: channel.optional(),
  })
  .strict();
type CheckQuery = z.infer<typeof checkQuery>;

// Each entry is checked on its own: one malformed address marks its own answer invalid
// instead of failing the whole batch with a 400 (a sender's list always holds a few). The
// entries are still bounded (an address is at most 320 octets, RFC 5321 §4.5.3.1; a longer
// string is answered invalid without being read further).
const batchBody = z
  .object({
    account: accountId.optional(),
    addresses: z.array(z.string().max(2048)).min(1).max(1000),
    campaign: z.string().max(200).optional(),
    channel: channel.optional(),
  })
  .strict();
type BatchBody = z.infer<typeof batchBody>;

const listQuery = z
  .object({
    account: accountId.optional(),
    reason: z.enum(SUPPRESSION_REASONS).optional(),
    scope: scope.optional(),
    since: since.optional(),
    cursor: z.string().max(512).optional(),
    limit,
  })
  .strict();
type ListQuery = z.infer<typeof listQuery>;

const addBody = z
  .object({
    account: accountId.optional(),
    addresses: z.array(address).min(1).max(10_000),
    reason: z.enum(ADDABLE_REASONS).default('manual'),
  })
  .strict();
type AddBody = z.infer<typeof addBody>;

const importQuery = z
  .object({
    account: accountId.optional(),
    reason: z.enum(ADDABLE_REASONS).default('import'),
  })
  .strict();
type ImportQuery = z.infer<typeof importQuery>;

const removeQuery = z
  .object({
    account: accountId.optional(),
    note: z.string().min(1).max(500).describe('why (kept in the audit record)'),
  })
  .strict();
type RemoveQuery = z.infer<typeof removeQuery>;

const addressParams = z.object({ address }).strict();

const batchDecision = sendDecision.extend({
  valid: z.boolean().describe('false: the entry is not an email address (see error); it was not checked'),
  error: z.object({ code: z.literal('validation_failed'), message: z.string() }).optional(),
});

const suppression = z.object({
  accountId: z.string().nullable(),
  address: z.string(),
  reason: z.string(),
  createdAt: z.number(),
  source: z.string().nullable(),
});

/** Rows per transaction of a streamed import. */
const IMPORT_BATCH = 5000;
/** A streamed import may be large (a million rows is ~40 MB), not unbounded. */
const IMPORT_MAX_BYTES = 1024 * 1024 * 1024;
/**
 * Longest line an import reads. An address is at most 320 octets (RFC 5321 §4.5.3.1: 64 + @
 * + 255); CSV and NDJSON lines carry a few more fields. A longer line is counted invalid and
 * its bytes are dropped as they arrive: a line without a newline is never held whole.
 */
export const IMPORT_MAX_LINE_BYTES = 2048;

const actorOf = (req: FastifyRequest) => `api:${req.principal!.keyId}`;

/**
 * The pre-send check of one address for a principal: the route's handler, and the fast
 * path's (../presend-fast.ts), which judges the address and query as the schemas above would.
 */
export async function presendCheck(ctx: RouteContext, principal: Principal, address: string, q: CheckQuery): Promise<SendDecision> {
  const policy = ctx.policy();
  const opts = q.campaign || q.channel ? { campaign: q.campaign, channel: q.channel } : undefined;
  // The admin key names an account that must exist: the check reads that in the same statement.
  const account = ctx.accountOf(principal, q.account);
  if (!principal.admin) return policy.checkSend(account, address, ctx.now(), opts);
  const decision = await policy.checkSendExisting(account, address, ctx.now(), opts);
  if (!decision) throw new ApiError('not_found', 'No such account');
  return decision;
}

export function suppressionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.route<{ Params: { address: string }; Querystring: CheckQuery }>({
    method: 'GET',
    url: '/v1/suppressions/:address',
    // The hot path: no request log line, a response schema (fast serialisation), one read.
    config: { auth: 'account', quiet: true },
    schema: {
      summary: 'Pre-send check: may this account mail this address now, and if not, why',
      operationId: 'checkSuppression',
      tags: ['suppressions'],
      params: js(addressParams),
      querystring: js(checkQuery),
      response: { 200: out(sendDecision) },
    },
    // The same function answers on the fast path in front of fastify (../presend-fast.ts).
    handler: (req) => presendCheck(ctx, req.principal!, req.params.address, req.query),
  });

  app.route<{ Body: BatchBody }>({
    method: 'POST',
    url: '/v1/suppressions/check',
    config: { auth: 'account', quiet: true },
    schema: {
      summary: 'Pre-send check of up to 1,000 addresses at once (answers in the same order; a malformed address is answered invalid on its own)',
      operationId: 'checkSuppressions',
      tags: ['suppressions'],
      body: js(batchBody),
      response: { 200: out(z.object({ results: z.array(batchDecision) })) },
    },
    async handler(req) {
      const b = req.body;
      const account = await ctx.accountFor(req, b.account);
      const opts = b.campaign || b.channel ? { campaign: b.campaign, channel: b.channel } : undefined;
      const valid = b.addresses.map((a) => address.safeParse(a).success);
      const checked = await ctx.policy().checkSendBatch(account, b.addresses.filter((_, i) => valid[i]), ctx.now(), opts);
      let next = 0;
      const results = b.addresses.map((a, i) =>
        valid[i]
          ? { valid: true, ...checked[next++]! }
          : // Not sendable: nobody can mail a malformed address, and saying `send: false` keeps a client that reads only `send` safe.
            { valid: false, send: false, address: a.slice(0, 320), reasons: [], error: { code: 'validation_failed' as const, message: 'not an email address' } },
      );
      return { results };
    },
  });

  app.route<{ Querystring: ListQuery }>({
    method: 'GET',
    url: '/v1/suppressions',
    config: { auth: 'account' },
    schema: {
      summary: 'The suppressions that apply to the account (its own and global), a page at a time',
      operationId: 'listSuppressions',
      tags: ['suppressions'],
      querystring: js(listQuery),
      response: { 200: out(z.object({ items: z.array(suppression), next: z.string().nullable() })) },
    },
    async handler(req) {
      const q = req.query;
      const account = await ctx.accountFor(req, q.account);
      return ctx.policy().listSuppressions({
        accountId: account,
        reason: q.reason,
        scope: q.scope,
        since: parseSince(q.since),
        cursor: q.cursor,
        limit: q.limit,
      });
    },
  });

  app.route<{ Body: AddBody }>({
    method: 'POST',
    url: '/v1/suppressions',
    config: { auth: 'account' },
    schema: {
      summary: 'Suppress addresses for the account (up to 10,000; use /v1/suppressions/import for files)',
      operationId: 'addSuppressions',
      tags: ['suppressions'],
      body: js(addBody),
      response: { 200: out(z.object({ added: z.number() })) },
    },
    async handler(req) {
      const b = req.body;
      const account = await ctx.accountFor(req, b.account);
      const added = await ctx.policy().addSuppressions(account, b.addresses, b.reason, actorOf(req), ctx.now());
      ctx.deps.onEvents?.();
      return { added };
    },
  });

  // Streamed imports: the body is read line by line and written in batches, never held whole.
  app.register(async (scope) => {
    for (const type of ['text/csv', 'application/x-ndjson', 'text/plain']) {
      scope.addContentTypeParser(type, (_req, payload, done) => done(null, payload));
    }
    scope.route<{ Querystring: ImportQuery }>({
      method: 'POST',
      url: '/v1/suppressions/import',
      config: { auth: 'account' },
      schema: {
        summary: 'Import an opt-out list, streamed: CSV (RFC 4180 quoting; the address column found by its header: email, e-mail, email address, address, ...; without a header the first column holding an @), NDJSON ("a@b" or {"address": "a@b"} per line) or plain text (one address per line)',
        operationId: 'importSuppressions',
        tags: ['suppressions'],
        querystring: js(importQuery),
        consumes: ['text/csv', 'application/x-ndjson', 'text/plain'],
        response: {
          200: out(
            z.object({
              added: z.number().describe('addresses newly suppressed'),
              lines: z.number(),
              invalid: z.number(),
              invalidLines: z.array(z.number()).describe('the first 20 line numbers that held no valid address'),
            }),
          ),
        },
      },
      async handler(req) {
        const q = req.query;
        const account = await ctx.accountFor(req, q.account);
        const policy = ctx.policy();
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (typeof (req.body as Readable | undefined)?.pipe !== 'function') throw new ApiError('unsupported_media_type');
        const csv = type === 'text/csv' ? new CsvAddressReader(IMPORT_MAX_LINE_BYTES) : null;
        const extract = csv ? (line: string) => csv.line(line) : type === 'application/x-ndjson' ? ndjsonAddress : plainAddress;
        const result = await importLines(
          req.body as Readable,
          extract,
          (batch) => policy.addSuppressions(account, batch, q.reason, actorOf(req), ctx.now()),
          csv ? { dropped: () => csv.lineDropped(), end: () => csv.end() } : undefined,
        );
        ctx.deps.onEvents?.();
        return result;
      },
    });
  });

  app.route<{ Params: { address: string }; Querystring: RemoveQuery }>({
    method: 'DELETE',
    url: '/v1/suppressions/:address',
    config: { auth: 'account' },
    schema: {
      summary: "Unbounce: lift the account's own suppression of an address (global ones stay); audited",
      operationId: 'removeSuppression',
      tags: ['suppressions'],
      params: js(addressParams),
      querystring: js(removeQuery),
      response: { 204: { type: 'null', description: 'Removed' } },
    },
    async handler(req, reply) {
      const account = await ctx.accountFor(req, req.query.account);
      const removed = await ctx.policy().removeSuppression(account, req.params.address, actorOf(req), req.query.note, ctx.now());
      if (!removed) throw new ApiError('not_found', 'The account does not suppress this address');
      ctx.deps.onEvents?.();
      return reply.code(204).send();
    },
  });
}

/**
 * Reads lines, keeps the valid addresses, and hands them over in batches. `hooks` tell a
 * reader whose records span lines (CSV) that a line was dropped, and ask it at the end
 * whether a record was left open (counted invalid at the last line).
 */
export async function importLines(
  input: Readable,
  extract: (line: string, n: number) => string | null,
  write: (batch: string[]) => Promise<number>,
  hooks?: { dropped?: () => void; end?: () => boolean },
): Promise<{ added: number; lines: number; invalid: number; invalidLines: number[] }> {
  let batch: string[] = [];
  let added = 0;
  let n = 0;
  let invalid = 0;
  const invalidLines: number[] = [];
  for await (const line of boundedLines(input, IMPORT_MAX_LINE_BYTES, IMPORT_MAX_BYTES)) {
    n++;
    if (line === null) hooks?.dropped?.();
    // An empty line is skipped, except by a record reader (it may sit inside a quoted CSV field).
    const a = line === null ? null : line.trim() === '' && !hooks ? undefined : extract(line, n);
    if (a === undefined || a === '') continue; // an empty line, a header
    if (a === null || a.length > 320 || !ADDRESS_PATTERN.test(a)) {
      invalid++;
      if (invalidLines.length < 20) invalidLines.push(n);
      continue;
    }
    batch.push(a);
    if (batch.length >= IMPORT_BATCH) {
      added += await write(batch);
      batch = [];
    }
  }
  if (batch.length) added += await write(batch);
  if (hooks?.end?.()) {
    invalid++;
    if (invalidLines.length < 20) invalidLines.push(n);
  }
  return { added, lines: n, invalid, invalidLines };
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * The lines of a byte stream (LF, CR LF or a lone CR ends one, as readline splits them),
 * decoded as UTF-8 once whole; `null` for a line longer than `maxLine` bytes, whose bytes are
 * dropped as they come. Holds at most `maxLine` bytes of a line; linear in the input (each
 * chunk is scanned once for each of the two terminators). Fails past `maxTotal` bytes.
 */
export async function* boundedLines(input: Readable, maxLine: number, maxTotal: number): AsyncGenerator<string | null> {
  let parts: Buffer[] = [];
  let held = 0;
  let overlong = false;
  let total = 0;
  let afterCR = false; // the last chunk ended a line with CR: an LF opening this one belongs to it
  const endLine = (): string | null => {
    const line = overlong ? null : Buffer.concat(parts, held).toString('utf8');
    parts = [];
    held = 0;
    overlong = false;
    return line;
  };
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += buf.length;
    if (total > maxTotal) throw new ApiError('payload_too_large');
    let at = afterCR && buf[0] === LF ? 1 : 0;
    afterCR = false;
    // Next LF and next CR from `at`, each found once per position (never rescanned).
    let nextLF = buf.indexOf(LF, at);
    let nextCR = buf.indexOf(CR, at);
    while (at <= buf.length) {
      if (nextLF !== -1 && nextLF < at) nextLF = buf.indexOf(LF, at);
      if (nextCR !== -1 && nextCR < at) nextCR = buf.indexOf(CR, at);
      const end = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : Math.min(nextLF, nextCR);
      const stop = end === -1 ? buf.length : end;
      if (!overlong && stop > at) {
        if (held + (stop - at) > maxLine) {
          overlong = true;
          parts = [];
          held = 0;
        } else {
          // A copy: a view would keep the whole chunk alive for a few bytes of it.
          parts.push(Buffer.from(buf.subarray(at, stop)));
          held += stop - at;
        }
      }
      if (end === -1) break;
      yield endLine();
      if (buf[end] === CR) {
        if (end + 1 < buf.length) at = buf[end + 1] === LF ? end + 2 : end + 1;
        else {
          afterCR = true;
          at = end + 1;
        }
      } else at = end + 1;
    }
  }
  if (held > 0 || overlong) yield endLine();
}

export function ndjsonAddress(line: string): string | null {
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v === 'string') return v.trim();
    if (v && typeof v === 'object' && typeof (v as { address?: unknown }).address === 'string') return (v as { address: string }).address.trim();
  } catch {
    // not JSON: counted as invalid
  }
  return null;
}

export function plainAddress(line: string): string | null {
  return line.trim();
}

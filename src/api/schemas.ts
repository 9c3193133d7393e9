import { z } from 'zod';
import { CHANNELS, EVENT_TYPES, SUPPRESSION_REASONS } from '../domain/index.js';
import { ApiError } from './errors.js';
import { jsonSchema } from './openapi.js';

// Request and response shapes shared by the routes. Validation is fastify's (ajv, on the
// JSON Schema made from these), so a bad field is a 400 naming it before a handler runs.

/**
 * An address: a local part without white space, '@' or '"', or a quoted one (RFC 5321 §4.1.2
 * Quoted-string, `"john smith"@example.org`, which may hold both), then '@' and a domain.
 * Each alternative reads one character at a time (a quoted pair is a backslash and any one
 * character), so the pattern is linear; ajv compiles it for the routes, and imports test it.
 */
export const ADDRESS_PATTERN = /^(?:"(?:[^"\\\r\n]|\\[^\r\n])+"|[^\s@"]+)@[^\s@]+$/;
export const address = z.string().min(3).max(320).regex(ADDRESS_PATTERN).describe('an email address (case is ignored)');
export const accountId = z.string().min(1).max(128).regex(/^[A-Za-z0-9._-]+$/).describe('account id');
export const limit = z.number().int().min(1).max(1000).default(100).describe('page size');
export const cursor = z.string().max(64).describe('the `next` of the previous page');
export const since = z.string().max(40).describe('epoch milliseconds or an ISO 8601 date');

/** The vocabularies the routes validate against, said once in src/domain/. */
export { EVENT_TYPES, SUPPRESSION_REASONS };
export const channel = z.enum(CHANNELS);
/** Whose suppression: the account's own or a global one. */
const SCOPES = ['account', 'global'] as const;
export const scope = z.enum(SCOPES);

export const sendDecision = z.object({
  send: z.boolean(),
  address: z.string(),
  reasons: z.array(
    z.object({
      code: z.string().describe('account_suspended, account_under_review, campaign_cancelled, or a suppression reason'),
      scope,
      since: z.number(),
      detail: z.string().optional(),
    }),
  ),
});

export const bounce = z.looseObject({
  id: z.number(),
  messageRow: z.number(),
  createdAt: z.number(),
  accountId: z.string().nullable(),
  messageId: z.string().nullable(),
  recipient: z.string().nullable().describe('verified: the address the token was made for; else the one the report names'),
  reportedRecipient: z.string().nullable().describe('the recipient the report itself named (its Final-Recipient; may be an alias target)'),
  kind: z.string(),
  type: z.string(),
  reason: z.string(),
  category: z.string(),
  rule: z.string(),
  detector: z.string(),
  verified: z.boolean(),
  warning: z.string().nullable().describe('what was cut from this record (pipeline.maxTextChars), e.g. "diagnostic cut to 1000 of 5234 characters"'),
});

/** Schema helpers: zod -> JSON Schema for fastify. */
export const js = jsonSchema;
export const out = (s: z.ZodType) => jsonSchema(s, 'output');

/** Cursor of a page that ends at row `id`. */
export function encodeCursor(id: number): string {
  return Buffer.from(`r${id}`).toString('base64url');
}

export function decodeCursor(value: string | undefined): number {
  if (value === undefined) return 0;
  const m = /^r(\d{1,15})$/.exec(Buffer.from(value, 'base64url').toString());
  if (!m) throw new ApiError('validation_failed', 'cursor is not one this API gave', 'cursor');
  return Number(m[1]);
}

export function parseSince(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(t)) throw new ApiError('validation_failed', 'since must be epoch milliseconds or an ISO 8601 date', 'since');
  return t;
}

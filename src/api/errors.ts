// The API's errors: one stable code per kind, the HTTP status it maps to, and a default
// message. Bodies are always { error: { code, message, field? } }; a message never carries a
// key, token, secret or stack. This file is the one table: routes throw ApiError(code) and the
// app's error handler answers ERRORS[code].status; the policy's own codes map onto these in
// POLICY_ERROR_STATUS below (never by matching message text). test/api/errors.test.ts checks
// the routes' answers and the list in docs/http-api.md against it.
import type { PolicyErrorCode } from '../policy/errors.js';

export const ERRORS = {
  validation_failed: { status: 400, message: 'The request is not valid' },
  unauthorized: { status: 401, message: 'Missing or unknown API key (send Authorization: Bearer <key>)' },
  forbidden: { status: 403, message: 'This key may not do that (admin only)' },
  // A cookie-borne (dashboard) request that changes something without the session's
  // X-CSRF-Token (src/api/session.ts).
  csrf_rejected: { status: 403, message: 'Missing or wrong X-CSRF-Token for this session' },
  not_found: { status: 404, message: 'Not found' },
  conflict: { status: 409, message: 'Already exists' },
  // A webhook URL the daemon will not call (http.webhookAllowPrivateDestinations): refused when
  // it is registered, not accepted and then failing at every delivery.
  destination_not_public: { status: 422, message: 'Webhooks go to public addresses only' },
  destination_unresolvable: { status: 422, message: 'The webhook host name does not resolve' },
  payload_too_large: { status: 413, message: 'The request body is too large' },
  unsupported_media_type: { status: 415, message: 'Unsupported Content-Type' },
  rate_limited: { status: 429, message: 'Too many requests for this key; retry after the time in Retry-After' },
  internal: { status: 500, message: 'Internal error' },
  // The dashboard's files were not built (npm run build makes dist/dashboard).
  dashboard_unavailable: { status: 503, message: 'The dashboard is not built (npm run build)' },
  policy_unavailable: { status: 503, message: 'The policy service is not available' },
  // Connected inboxes need inboxes.credentialKey (credentials are stored encrypted only).
  inboxes_unavailable: { status: 503, message: 'Connected inboxes are not configured (inboxes.credentialKey)' },
  // The database cannot be reached or written now (a StoreError with a temporary code): retry.
  store_unavailable: { status: 503, message: 'The database is not available right now; retry later' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

/** Thrown by route handlers; the app's error handler turns it into the registry's reply. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly field?: string,
  ) {
    super(message ?? ERRORS[code].message);
    this.status = ERRORS[code].status;
  }
}

export function errorBody(code: ErrorCode, message?: string, field?: string): ErrorBody {
  return { error: { code, message: message ?? ERRORS[code].message, ...(field ? { field } : {}) } };
}

/** JSON Schema of an error body, for the OpenAPI document. */
export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', enum: Object.keys(ERRORS) },
        message: { type: 'string' },
        field: { type: 'string' },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

/**
 * The policy's refusal codes (src/policy/errors.ts) as API errors: what does not exist is 404,
 * a malformed request 400, a request the current state refuses 409. A mapped type, so a new
 * policy code does not compile until it has its row here.
 */
export const POLICY_ERROR_STATUS: { readonly [C in PolicyErrorCode]: ErrorCode } = {
  no_account: 'not_found',
  no_appeal: 'not_found',
  no_review: 'not_found',
  invalid_id: 'validation_failed',
  invalid_tier: 'validation_failed',
  invalid_profile: 'validation_failed',
  invalid_reason: 'validation_failed',
  invalid_decision: 'validation_failed',
  invalid_form: 'validation_failed',
  why_required: 'validation_failed',
  reason_required: 'validation_failed',
  account_exists: 'conflict',
  appeal_decided: 'conflict',
  appeal_open: 'conflict',
  free_tier: 'conflict',
  legacy_tier: 'conflict',
  not_suspended: 'conflict',
  not_held_for_review: 'conflict',
};

/** The ApiError for a policy refusal or PolicyError. */
export function policyApiError(r: { code: PolicyErrorCode; error?: string; message?: string }): ApiError {
  return new ApiError(POLICY_ERROR_STATUS[r.code], r.error ?? r.message);
}

// The policy's refusals, said once: a stable code per kind of caller mistake. The policy throws
// PolicyError for a request it cannot take (a bad tier, a duplicate account) and answers
// { ok: false, code, error } for a refusal that is an expected outcome (an appeal while not
// suspended). Each edge maps the code, never the message, to its protocol: the HTTP API in
// src/api/errors.ts (POLICY_ERROR_STATUS), the CLI by exit status.

export const POLICY_ERROR_CODES = [
  // the thing named does not exist
  'no_account',
  'no_appeal',
  'no_review',
  // the request is malformed
  'invalid_id',
  'invalid_tier',
  'invalid_profile',
  'invalid_reason',
  'invalid_decision',
  'invalid_form',
  'why_required',
  'reason_required',
  // the request is well formed but the state says no
  'account_exists',
  'appeal_decided',
  'appeal_open',
  'free_tier',
  'legacy_tier',
  'not_suspended',
  'not_held_for_review',
] as const;
export type PolicyErrorCode = (typeof POLICY_ERROR_CODES)[number];

/** A caller's mistake (unknown tier, duplicate account, missing reason): a stable code. */
export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(
    readonly code: PolicyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A refusal answered as a value. */
export interface PolicyRefusal {
  ok: false;
  code: PolicyErrorCode;
  error: string;
}

export const refuse = (code: PolicyErrorCode, error: string): PolicyRefusal => ({ ok: false, code, error });

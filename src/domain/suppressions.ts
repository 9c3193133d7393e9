// PURE: who may not be mailed, and why.

/**
 * One suppression row per (address, account, reason): a contact can be both bounced and
 * unsubscribed. In the order the pre-send check names them, most serious first.
 */
export const SUPPRESSION_REASONS = ['spam_trap', 'complaint', 'unsubscribe', 'hard_bounce', 'global_bounce', 'soft_bounce_limit', 'manual', 'import'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** Reasons an unbounce may lift: the account's own bounce and its own lists, never a contact's choice. */
export const REMOVABLE_REASONS = ['hard_bounce', 'soft_bounce_limit', 'manual', 'import'] as const satisfies readonly SuppressionReason[];
export type RemovableReason = (typeof REMOVABLE_REASONS)[number];

/** Reasons an account (API, CLI) may add by itself. */
export const ADDABLE_REASONS = ['import', 'manual', 'unsubscribe'] as const satisfies readonly SuppressionReason[];
export type AddableReason = (typeof ADDABLE_REASONS)[number];

/** The account id of a global suppression (every account). */
export const GLOBAL_ACCOUNT = '*';

export function isRemovable(reason: SuppressionReason): reason is RemovableReason {
  return (REMOVABLE_REASONS as readonly string[]).includes(reason);
}

/**
 * An account's choice for repeated soft bounces (issue #19 §2): `bounces` soft bounces of one
 * address within `windowDays`, with no delivery in between, suppress it (reason
 * soft_bounce_limit) for `suppressDays`. Accounts without one keep HubSpot's rule: a soft
 * bounce leaves the contact eligible.
 */
export interface SoftBounceLimit {
  bounces: number;
  windowDays: number;
  suppressDays: number;
}

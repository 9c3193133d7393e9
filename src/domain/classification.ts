// PURE: the classifier's vocabulary, said once (src/report.ts, the store and the API import it).

/** What a received message is, as a whole. */
export const REPORT_KINDS = ['bounce', 'delay', 'delivered', 'complaint', 'auto_reply', 'unknown'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** RFC 3464 §2.3.3 action values (lower case). */
export const DSN_ACTIONS = ['failed', 'delayed', 'delivered', 'relayed', 'expanded'] as const;
export type DsnAction = (typeof DSN_ACTIONS)[number];

/** Sisimai 5.6+ reason names, plus delivered/feedback/vacation for non-bounces. */
export const REASONS = [
  'userunknown', 'hostunknown', 'hasmoved', 'notaccept', 'mailboxfull', 'emailtoolarge',
  'contenterror', 'spamdetected', 'filtered', 'securityerror', 'virusdetected',
  'policyviolation', 'authfailure', 'blocked', 'badreputation', 'requireptr', 'rejected',
  'norelaying', 'notcompliantrfc', 'ratelimited', 'networkerror', 'systemerror',
  'systemfull', 'mailererror', 'suspend', 'expired', 'failedstarttls', 'syntaxerror',
  'suppressed', 'onhold', 'undefined', 'delivered', 'feedback', 'vacation',
] as const;
export type Reason = (typeof REASONS)[number];

/** The user-facing reason shown to senders. */
export const CATEGORIES = ['unknown_user', 'mailbox_full', 'content', 'spam', 'policy', 'other', 'temporary', 'none'] as const;
export type Category = (typeof CATEGORIES)[number];

export const BOUNCE_TYPES = ['hard', 'soft', 'pending', 'none'] as const;
export type BounceType = (typeof BOUNCE_TYPES)[number];

/** Kinds that become bounce records; delivered notices and auto-replies never do. */
export const RECORDED_KINDS = ['bounce', 'delay', 'complaint'] as const satisfies readonly ReportKind[];

/**
 * Address categories: the recipient itself is gone (unknown user, host, moved, not
 * accepting) or its mailbox is full for good. They count toward a global bounce and are the
 * only ones the conservative profile suppresses on.
 */
export const ADDRESS_CATEGORIES = ['unknown_user', 'mailbox_full'] as const satisfies readonly Category[];
/** Content, spam and policy failures: the sender's fault, not the recipient's. */
export const SENDER_SIDE_CATEGORIES = ['content', 'spam', 'policy'] as const satisfies readonly Category[];
/** Reasons that say the sender (its IP or domain) is on a blocklist. */
export const BLOCKLIST_REASONS = ['blocked', 'badreputation'] as const satisfies readonly Reason[];

export function isAddressCategory(category: string | null): boolean {
  return category !== null && (ADDRESS_CATEGORIES as readonly string[]).includes(category);
}

export function isSenderSideCategory(category: string | null): boolean {
  return category !== null && (SENDER_SIDE_CATEGORIES as readonly string[]).includes(category);
}

export function isBlocklistReason(reason: string | null): boolean {
  return reason !== null && (BLOCKLIST_REASONS as readonly string[]).includes(reason);
}

/** ARF feedback types that are a spam complaint (RFC 5965 §7.3; not-spam is the opposite). */
export function isSpamFeedback(feedbackType: string | null): boolean {
  return feedbackType === 'abuse';
}

// PURE: mail to account contacts (the notifications outbox).

export const NOTIFICATION_KINDS = ['warning', 'suspension', 'appeal_received', 'decision', 'outreach', 'review'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Actions written to the policy audit trail. */
export const AUDIT_ACTIONS = [
  'account.create', 'account.update', 'account.profile.replay', 'account.suspend', 'account.reinstate', 'account.warning',
  'suppression.add', 'suppression.unbounce', 'suppression.global', 'campaign.cancel',
  'appeal.file', 'appeal.decide', 'appeal.outreach', 'abuse.report', 'review.hold', 'review.submit', 'review.decide',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

// PURE: accounts as the policy sees them: plans, policy profiles, channels, the states of a
// channel, of a review and of an appeal, an account's policy state, and what a VERP message id says.
import type { Figures } from './figures.js';

export const TIERS = [
  'free', 'trial', 'starter', 'professional', 'enterprise',
  'legacy-basic', 'legacy-professional', 'legacy-enterprise',
] as const;
export type Tier = (typeof TIERS)[number];

/** default: every hard bounce suppresses; conservative: only address reasons do. */
export const PROFILES = ['default', 'conservative'] as const;
export type Profile = (typeof PROFILES)[number];

/** marketing (campaigns) or one-to-one (sales/CRM mail from a connected inbox, `o2o:`). */
export const CHANNELS = ['marketing', 'one_to_one'] as const;
export type Channel = (typeof CHANNELS)[number];

export const CHANNEL_STATES = ['ok', 'suspended'] as const;
export type ChannelState = (typeof CHANNEL_STATES)[number];

/** What the health of an account (or of one channel) says: the banner's colour. */
export const HEALTH_STATUSES = ['ok', 'warning', 'suspended'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export const REVIEW_STATES = ['none', 'required', 'submitted', 'approved', 'denied'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

export const APPEAL_STATES = ['open', 'reinstated', 'denied'] as const;
export type AppealState = (typeof APPEAL_STATES)[number];

export const SUSPENSION_CAUSES = ['rates', 'fraud', 'campaigns', 'blocklist', 'abuse', 'admin'] as const;
export type SuspensionCause = (typeof SUSPENSION_CAUSES)[number];

export const WARNING_CAUSES = ['hard_bounce_rate', 'complaint_rate', 'unsubscribe_rate', 'campaign_cancelled', 'blocklisted'] as const;
export type WarningCause = (typeof WARNING_CAUSES)[number];

/** The sending state of an account (a default one until its first change). */
export interface PolicyState {
  marketing: ChannelState;
  suspension: string | null;
  suspensionDetail: string | null;
  suspendedAt: number | null;
  oneToOne: ChannelState;
  oneToOneSuspension: string | null;
  oneToOneSuspendedAt: number | null;
  review: ReviewState;
  reviewForm: Record<string, unknown> | null;
  /** Counts at the last reinstatement, for that month. */
  baseline: { month: string; figures: Figures } | null;
  /** Warnings already announced in a month. */
  warned: { month: string; causes: string[] } | null;
  updatedAt: number;
}

export const DEFAULT_POLICY_STATE: Readonly<PolicyState> = Object.freeze({
  marketing: 'ok', suspension: null, suspensionDetail: null, suspendedAt: null,
  oneToOne: 'ok', oneToOneSuspension: null, oneToOneSuspendedAt: null,
  review: 'none', reviewForm: null, baseline: null, warned: null, updatedAt: 0,
});
export const CAMPAIGN_STATES = ['active', 'cancelled'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

/** Complaints (ARF abuse reports) and unsubscribes: what a contact said about a mail. */
export const CONTACT_REPORT_KINDS = ['complaint', 'unsubscribe'] as const;
export type ContactReportKind = (typeof CONTACT_REPORT_KINDS)[number];

/** Where a contact report came from. */
export const CONTACT_REPORT_SOURCES = ['arf', 'mailto', 'one-click', 'api', 'esp'] as const;
export type ContactReportSource = (typeof CONTACT_REPORT_SOURCES)[number];

/** The actor recorded for changes the rules make by themselves. */
export const RULES_ACTOR = 'policy';

// Message references: the VERP `message` field is the sender's message id, optionally
// carrying a channel and a campaign:
//     [o2o:]<campaign>/<message>    or    [o2o:]<message>
// `o2o:` marks the one-to-one channel; without it a message is marketing.
export interface MessageRef {
  channel: Channel;
  campaign: string | null;
  message: string;
}

export function parseMessageRef(messageId: string): MessageRef {
  let rest = messageId;
  let channel: Channel = 'marketing';
  if (rest.toLowerCase().startsWith('o2o:')) {
    channel = 'one_to_one';
    rest = rest.slice(4);
  }
  const slash = rest.indexOf('/');
  if (slash > 0 && slash < rest.length - 1) return { channel, campaign: rest.slice(0, slash), message: rest.slice(slash + 1) };
  return { channel, campaign: null, message: rest };
}

// PURE: what one row contributes to the counters, so that both backends move the same
// figures for the same write (and the contract suite can check them against the rows).
import { isBlocklistReason, isSenderSideCategory, type Channel } from '../domain/index.js';
import type { FailureInput } from './contract.js';

/** A failure row's contribution to its month's channel figures and to its campaign. */
export interface FailureCounts {
  hardBounces: number;
  senderFailures: number;
  blocklistings: number;
  /** 1 when it counts as a hard bounce of its campaign (hard, marketing, a campaign). */
  campaignHardBounces: number;
}

export function failureCounts(f: Pick<FailureInput, 'state' | 'category' | 'reason' | 'channel' | 'campaign'>): FailureCounts {
  const hard = f.state === 'hard' ? 1 : 0;
  return {
    hardBounces: hard,
    senderFailures: hard && isSenderSideCategory(f.category) ? 1 : 0,
    blocklistings: isBlocklistReason(f.reason) ? 1 : 0,
    campaignHardBounces: hard && f.channel === 'marketing' && f.campaign !== null ? 1 : 0,
  };
}

/** Deltas for one (account, month, channel) counters row. */
export interface ChannelDelta {
  accountId: string;
  month: string;
  channel: Channel;
  hardBounces: number;
  senderFailures: number;
  blocklistings: number;
  complaints: number;
  unsubscribes: number;
}

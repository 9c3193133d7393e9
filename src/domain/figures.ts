// PURE: what happened in one account's month (per channel): the inputs of the policy's rates,
// warnings and suspensions. The store keeps them as counters updated in the transaction of
// each change, so reading a month is one indexed read whatever its volume (issue #20).

export const FIGURES = ['sends', 'hardBounces', 'complaints', 'unsubscribes', 'senderFailures', 'cancelledCampaigns', 'blocklistings'] as const;
export type Figure = (typeof FIGURES)[number];

/**
 * sends: sends counted for the account that month (log lines, POST /v1/sends; every channel);
 * hardBounces: deliveries failed hard (the channel's); senderFailures: of those, content,
 * spam or policy failures; blocklistings: failures (soft or hard) whose reason says the
 * sender is blocklisted; complaints, unsubscribes: contact reports of the channel;
 * cancelledCampaigns: campaigns the canary cancelled that month (every channel).
 */
export type Figures = Record<Figure, number>;

export const ZERO_FIGURES: Readonly<Figures> = Object.freeze({
  sends: 0, hardBounces: 0, complaints: 0, unsubscribes: 0, senderFailures: 0, cancelledCampaigns: 0, blocklistings: 0,
});

/** a - b, never below 0 per figure (b: a baseline taken earlier in the month). */
export function subtractFigures(a: Figures, b: Figures | null): Figures {
  if (!b) return a;
  const out = { ...a };
  for (const k of FIGURES) out[k] = Math.max(0, a[k] - (b[k] ?? 0));
  return out;
}

/** A campaign's counts over its whole life (the canary's inputs besides its sends). */
export interface CampaignCounts {
  hardBounces: number;
  complaints: number;
  unsubscribes: number;
}

// PURE: the life of one delivery (account, message, recipient).
//
// The product's promise: a temporary failure is `pending` while the mail is retried, for up
// to 72 h from the first deferral (our window, not the MTA's queue lifetime); delivered in
// that time it is resolved and counts as nothing; a permanent failure makes it `hard`; no
// delivery within the window makes it `soft`.
//
// Evidence arrives in any order (a late `delayed` DSN after the `failed` one, the log line
// after the DSN, duplicates), so the state is the most final state any evidence argued for:
//
//     pending < delivered < soft < hard
//
// delivered beats pending (a deferral seen late does not reopen a delivered mail); a soft
// or hard failure beats delivered (Postfix's `status=sent` means "handed to the next hop",
// which can still bounce later); hard beats soft (a permanent answer is the stronger one).
// The state never moves backwards.

/** In the order of `advance`: a later state beats an earlier one. */
export const DELIVERY_STATES = ['pending', 'delivered', 'soft', 'hard'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** The states of a delivery that failed for good: they make a delivery_failures row. */
export const FAILED_STATES = ['soft', 'hard'] as const;
export type FailedState = (typeof FAILED_STATES)[number];

/** Where a piece of evidence came from: a DSN, a Postfix log line, the pending window running out, a sending provider's event. */
export const EVIDENCE_SOURCES = ['dsn', 'log', 'window', 'esp'] as const;
export type EvidenceSource = (typeof EVIDENCE_SOURCES)[number];

const RANK: Record<DeliveryState, number> = { pending: 0, delivered: 1, soft: 2, hard: 3 };

/** The state after evidence arguing for `argued` (null current: a new delivery). */
export function advance(current: DeliveryState | null, argued: DeliveryState): DeliveryState {
  if (current === null) return argued;
  return RANK[argued] > RANK[current] ? argued : current;
}

/** The evidence a classifier verdict argues for (null: not delivery evidence). */
export function stateOfVerdict(reason: string, type: string): DeliveryState | null {
  if (reason === 'delivered') return 'delivered';
  if (type === 'hard' || type === 'soft' || type === 'pending') return type;
  return null;
}

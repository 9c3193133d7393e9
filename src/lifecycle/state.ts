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

export type DeliveryState = 'pending' | 'delivered' | 'soft' | 'hard';

const RANK: Record<DeliveryState, number> = { pending: 0, delivered: 1, soft: 2, hard: 3 };

export function advance(current: DeliveryState | null, argued: DeliveryState): DeliveryState {
  if (current === null) return argued;
  return RANK[argued] > RANK[current] ? argued : current;
}

/** Whether a pending delivery's window has run out at `now`. */
export function windowExpired(pendingSince: number, windowMs: number, now: number): boolean {
  return now >= pendingSince + windowMs;
}

/** The evidence a classifier verdict argues for (null: not delivery evidence). */
export function stateOfVerdict(reason: string, type: string): DeliveryState | null {
  if (reason === 'delivered') return 'delivered';
  if (type === 'hard' || type === 'soft' || type === 'pending') return type;
  return null;
}

// PURE: the events outbox's vocabulary: what a sending application may hear about (webhooks).
import type { DeliveryState } from './delivery.js';

export const EVENT_TYPES = [
  'bounce.hard', 'bounce.soft', 'bounce.pending', 'delivery.resolved', 'complaint', 'unsubscribe',
  'suppression.global', 'account.warning', 'account.suspended', 'account.reinstated',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * The event a delivery's change of state announces, or null: a new or moved delivery in a
 * bounce state says so; a pending one resolved by a delivery says `delivery.resolved`; a plain
 * delivery says nothing (the sender assumed it).
 */
export function eventOfDeliveryChange(previous: DeliveryState | null, state: DeliveryState): EventType | null {
  if (state === previous) return null;
  if (previous === 'pending' && state === 'delivered') return 'delivery.resolved';
  switch (state) {
    case 'hard':
      return 'bounce.hard';
    case 'soft':
      return 'bounce.soft';
    case 'pending':
      return 'bounce.pending';
    default:
      return null;
  }
}

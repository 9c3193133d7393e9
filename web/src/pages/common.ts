// What every screen shares: the API's answers (its wire format, openapi.json), the page's
// places, navigation and the words for each state.
import { ApiFailure } from '../api.js';
import { h } from '../dom.js';

export interface RateFigure {
  count: number;
  sends: number;
  rate: number;
  limit: number;
  warnAt: number;
}
export interface Health {
  accountId: string;
  status: 'ok' | 'warning' | 'suspended';
  suspension: string | null;
  channel: { marketing: string; oneToOne: string };
  month: string;
  rates: { hardBounce: RateFigure; complaint: RateFigure; unsubscribe: RateFigure };
  banner: string | null;
  recommendations: string[];
  canAppeal: boolean;
  suspensionDetail?: string | null;
  tier?: string;
  review?: string;
  openAppealId?: number | null;
  figures?: { sends: number; senderFailures: number; blocklistings: number; cancelledCampaigns: number };
}
export interface Account {
  id: string;
  name: string | null;
  tier: string;
  profile: string;
}
export interface Bounce {
  id: number;
  createdAt: number;
  recipient: string | null;
  messageId: string | null;
  type: string;
  category: string;
  reason: string;
  rule: string;
  detector: string;
  status?: string | null;
  diagnostic?: string | null;
  remoteMta?: string | null;
  replyCode?: number | null;
}
export interface Suppression {
  accountId: string | null;
  address: string;
  reason: string;
  createdAt: number;
  source: string | null;
}
export interface Appeal {
  id: number;
  accountId: string;
  channel: string;
  state: string;
  form: Record<string, unknown>;
  filedAt: number;
  decidedAt: number | null;
  decisionReason: string | null;
}

export const $ = (id: string) => document.getElementById(id)!;
/** The <main> the current navigation draws into (a page takes it once, before its first await). */
export const main = () => $('main');

/**
 * Gives a navigation a <main> of its own (route() in ../main.ts calls it first): the element is
 * replaced by an empty copy. A page of an earlier navigation whose API calls are still running
 * holds the old, now detached element and draws there, never over the page shown now (the
 * admin's home, slow to load, drawn over the global suppressions clicked meanwhile).
 */
export function freshMain(): HTMLElement {
  const old = main();
  const fresh = old.cloneNode(false) as HTMLElement;
  old.replaceWith(fresh);
  return fresh;
}

/** Goes to a hash route; the same route again is shown again (a hashchange event of our own). */
export function go(hash: string): void {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

export function errorBox(err: unknown): HTMLElement {
  const text = err instanceof ApiFailure ? `${err.message} (${err.code})` : String(err);
  return h('p', { class: 'error', role: 'alert' }, text);
}

export function title(text: string): void {
  document.title = `${text} · bounced`;
}

// A symbol and a word for each state: the meaning does not rest on the colour.
export const STATUS_WORDS: Record<string, string> = { ok: '✓ OK', warning: '⚠ Warning', suspended: '✖ Suspended', review: '⊘ Under review' };

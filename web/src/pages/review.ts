// Review: the account-review form while marketing is held for review, and the review's state.
// The policy decides who is held and what the form needs; this page only asks and shows.
import { api, q } from '../api.js';
import { fmtTime, h, mount } from '../dom.js';
import { errorBox, go, main, title, type Health } from './common.js';

export interface Review {
  accountId: string;
  review: string;
  form: Record<string, unknown> | null;
  updatedAt: number;
}

/** The words for each review state, for the account and for the admin alike. */
export const REVIEW_WORDS: Record<string, string> = {
  none: 'Not held for review.',
  required: 'Held for review: the form is waiting for you. Marketing is locked until it is approved.',
  submitted: 'Form received: the deliverability team is reviewing it. Marketing is locked until it is approved.',
  approved: 'Review approved: marketing is unlocked.',
  denied: 'Review not approved: marketing stays locked. You may send the form again with more detail.',
};

export async function reviewPage(account: string, health: Health): Promise<void> {
  const view = main(); // this navigation's own <main>, taken before any await (common.ts)
  title(`Review of ${account}`);
  const mine = (await api<{ items: Review[] }>('GET', `/v1/reviews${q({ account })}`)).items[0] ?? null;
  const state = health.review ?? 'none';
  const status = h('p', { role: 'status', id: 'review-status' });
  const open = state === 'required' || state === 'denied';
  const form = open
    ? h(
        'form',
        {
          class: 'card',
          onsubmit: async (e: Event) => {
            e.preventDefault();
            const f = e.target as HTMLFormElement;
            const v = (n: string) => (f.elements.namedItem(n) as HTMLTextAreaElement).value.trim();
            try {
              await api('POST', `/v1/accounts/${encodeURIComponent(account)}/review`, { contactsSource: v('reviewContacts'), emailPurpose: v('reviewPurpose'), message: v('reviewMessage') || undefined });
              go(location.hash);
            } catch (err) {
              mount(status, errorBox(err));
            }
          },
        },
        h('h2', {}, 'Account review form'),
        h('p', {}, 'Before your marketing mail goes out, tell the deliverability team about your contacts and the mail you want to send.'),
        h('label', { for: 'reviewContacts' }, 'Where do your contacts come from?'),
        h('textarea', { id: 'reviewContacts', name: 'reviewContacts', required: true, maxlength: 2000, rows: 3 }),
        h('label', { for: 'reviewPurpose' }, 'What mail will you send, and how often?'),
        h('textarea', { id: 'reviewPurpose', name: 'reviewPurpose', required: true, maxlength: 2000, rows: 3 }),
        h('label', { for: 'reviewMessage' }, 'Anything else the reviewer should know (optional)'),
        h('textarea', { id: 'reviewMessage', name: 'reviewMessage', maxlength: 10000, rows: 3 }),
        h('button', { type: 'submit' }, 'Submit the review form'),
      )
    : null;
  mount(
    view,
    h('h1', {}, `Review: ${account}`),
    h('section', { class: 'card', 'aria-label': 'Review status' }, h('h2', {}, 'Status'), h('p', {}, h('strong', {}, state), ' — ', REVIEW_WORDS[state] ?? state), mine?.updatedAt ? h('p', {}, `Last change: ${fmtTime(mine.updatedAt)}`) : null),
    form,
    status,
    mine?.form ? reviewForm(mine.form) : null,
  );
}

/** The form as filed, as a definition list (the account's page and the admin's). */
export function reviewForm(form: Record<string, unknown>): HTMLElement {
  const row = (label: string, key: string) => (form[key] === undefined ? null : [h('dt', {}, label), h('dd', {}, String(form[key]))]);
  return h('dl', { class: 'review-form' }, row('Where the contacts come from', 'contactsSource'), row('The mail to send', 'emailPurpose'), row('Message', 'message'));
}

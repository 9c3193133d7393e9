// Admin: accounts with their health (one call per page, paginated on the server), open appeals
// and open reviews with their decision, the global suppressions, the webhook deliveries that did
// not go through. Every figure and decision is the API's.
import { SUPPRESSION_REASONS } from '../../../src/domain/suppressions.js';
import { api, q } from '../api.js';
import { fmtTime, h, mount, pct } from '../dom.js';
import { appealsTable } from './appeal.js';
import { reviewForm, type Review } from './review.js';
import { $, errorBox, main, STATUS_WORDS, title, type Account, type Appeal, type Health } from './common.js';

interface Page<T> {
  items: T[];
  next: string | null;
}

/** A "Next page" button that draws the next page in place of this one (the cursor is the API's). */
function nextButton(next: string | null, label: string, show: (cursor: string) => Promise<void>): HTMLElement | null {
  return next ? h('button', { type: 'button', onclick: () => void show(next) }, label) : null;
}

/** A reason field and two buttons; the reason is required. */
function decision(id: string, label: string, verbs: Array<[string, string]>, act: (verb: string, reason: string) => Promise<void>): HTMLElement {
  const reason = h('input', { id, type: 'text', required: true, maxlength: 2000 });
  const click = (verb: string) => async () => {
    if (!reason.value.trim()) {
      reason.setCustomValidity('Give a reason');
      reason.reportValidity();
      return;
    }
    await act(verb, reason.value.trim());
  };
  return h('div', { class: 'decide' }, h('label', { for: id }, label), reason, verbs.map(([verb, text]) => h('button', { type: 'button', onclick: click(verb) }, text)));
}

export async function adminPage(cursor?: string): Promise<void> {
  const view = main(); // this navigation's own <main>, taken before any await (common.ts)
  title('Accounts');
  mount($('banner'));
  const page = await api<Page<{ account: Account; health: Health }>>('GET', `/v1/account-health${q({ limit: 50, cursor })}`);
  const order = { suspended: 0, warning: 1, ok: 2 } as Record<string, number>;
  const rows = [...page.items].sort((x, y) => (order[x.health.status] ?? 3) - (order[y.health.status] ?? 3) || x.account.id.localeCompare(y.account.id));
  const open = (await api<{ items: Appeal[] }>('GET', '/v1/appeals?state=open')).items;
  const reviews = (await api<{ items: Review[] }>('GET', '/v1/reviews')).items;
  const status = h('p', { role: 'status', id: 'admin-status' });
  const done = async (text: string) => {
    await adminPage(cursor);
    $('admin-status').textContent = text;
  };
  const decideAppeal = async (a: Appeal, d: 'reinstate' | 'deny', reason: string) => {
    try {
      await api('POST', `/v1/appeals/${a.id}/decision`, { decision: d, reason });
      await done(`Appeal ${a.id} of ${a.accountId}: ${d === 'reinstate' ? 'reinstated' : 'denied'}.`);
    } catch (err) {
      mount(status, errorBox(err));
    }
  };
  const decideReview = async (r: Review, d: string, reason: string) => {
    try {
      await api('POST', `/v1/accounts/${encodeURIComponent(r.accountId)}/review/decision`, { decision: d, reason });
      await done(`Review of ${r.accountId}: ${d === 'approve' ? 'approved' : 'denied'}.`);
    } catch (err) {
      mount(status, errorBox(err));
    }
  };
  mount(
    view,
    h('h1', {}, 'Accounts by health'),
    status,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h('caption', {}, `Accounts, those in trouble first${cursor ? ' (a later page)' : ''}`),
        h('thead', {}, h('tr', {}, ['Account', 'Plan', 'Health', 'Hard bounces', 'Complaints', 'Unsubscribes', 'Review'].map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          {},
          rows.map(({ account: a, health: hl }) =>
            h(
              'tr',
              {},
              h('td', {}, h('a', { href: `#/a/${encodeURIComponent(a.id)}/health` }, a.name ? `${a.id} (${a.name})` : a.id)),
              h('td', {}, a.tier),
              h('td', {}, STATUS_WORDS[hl.suspension === 'review' ? 'review' : hl.status] ?? hl.status),
              h('td', {}, pct(hl.rates.hardBounce.rate)),
              h('td', {}, pct(hl.rates.complaint.rate)),
              h('td', {}, pct(hl.rates.unsubscribe.rate)),
              h('td', {}, hl.review && hl.review !== 'none' ? hl.review : ''),
            ),
          ),
        ),
      ),
    ),
    nextButton(page.next, 'Next page of accounts', (c) => adminPage(c)),
    h('h2', {}, 'Open appeals'),
    appealsTable(open, true, decideAppeal),
    h('h2', {}, 'Open reviews'),
    reviews.length
      ? h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            {},
            h('caption', {}, 'Accounts held for review'),
            h('thead', {}, h('tr', {}, ['Account', 'Since', 'State', 'Form', 'Decision'].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              {},
              reviews.map((r) =>
                h(
                  'tr',
                  {},
                  h('td', {}, h('a', { href: `#/a/${encodeURIComponent(r.accountId)}/health` }, r.accountId)),
                  h('td', {}, fmtTime(r.updatedAt)),
                  h('td', {}, r.review === 'submitted' ? 'form submitted' : 'waiting for the form'),
                  h('td', {}, r.form ? reviewForm(r.form) : '—'),
                  h('td', {}, decision(`review-reason-${r.accountId}`, `Review reason for ${r.accountId}`, [['approve', `Approve ${r.accountId}`], ['deny', `Deny review of ${r.accountId}`]], (d, why) => decideReview(r, d, why))),
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'empty' }, 'No open reviews.'),
  );
}

interface GlobalSuppression {
  address: string;
  reason: string;
  createdAt: number;
  source: string | null;
}

/** The global suppressions: by reason, a page at a time, or one address. */
export async function globalSuppressionsPage(): Promise<void> {
  const view = main(); // this navigation's own <main>, taken before any await (common.ts)
  title('Global suppressions');
  mount($('banner'));
  const results = h('div', { id: 'global-results' });
  const addr = h('input', { id: 'global-address', type: 'email', autocomplete: 'off', spellcheck: 'false' });
  const reasonSel = h('select', { id: 'global-reason' }, h('option', { value: '' }, 'any reason'), SUPPRESSION_REASONS.map((r) => h('option', { value: r }, r.replace(/_/g, ' '))));
  const show = async (cursor?: string) => {
    try {
      const address = addr.value.trim() || undefined;
      const page = await api<Page<GlobalSuppression>>('GET', `/v1/global-suppressions${q({ address, reason: reasonSel.value || undefined, limit: 50, cursor })}`);
      mount(
        results,
        page.items.length
          ? h(
              'table',
              {},
              h('caption', {}, address ? `Global suppressions of ${address}` : 'Global suppressions'),
              h('thead', {}, h('tr', {}, ['Address', 'Reason', 'Since', 'Source'].map((t) => h('th', { scope: 'col' }, t)))),
              h('tbody', {}, page.items.map((s) => h('tr', {}, h('td', {}, s.address), h('td', {}, s.reason.replace(/_/g, ' ')), h('td', {}, fmtTime(s.createdAt)), h('td', {}, s.source ?? '')))),
            )
          : h('p', { class: 'empty' }, address ? `${address} is not globally suppressed${reasonSel.value ? ' for this reason' : ''}.` : 'No global suppressions.'),
        nextButton(page.next, 'Next page', show),
      );
    } catch (err) {
      mount(results, errorBox(err));
    }
  };
  mount(
    view,
    h('h1', {}, 'Global suppressions'),
    h('p', {}, 'Addresses no account may mail: global bounces (several accounts hard-bounced them), spam traps, and other global entries.'),
    h(
      'form',
      {
        class: 'card filters',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void show();
        },
      },
      h('label', { for: 'global-address' }, 'Look up an address (empty: list)'),
      addr,
      h('label', { for: 'global-reason' }, 'Reason'),
      reasonSel,
      h('button', { type: 'submit' }, 'Show'),
    ),
    results,
  );
  await show();
}

interface WebhookFailure {
  id: number;
  accountId: string;
  endpointId: string;
  url: string;
  eventType: string;
  createdAt: number;
  attempts: number;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
  state: 'retrying' | 'given_up';
}

/** Webhook deliveries tried and not delivered, newest first. */
export async function webhookFailuresPage(cursor?: string): Promise<void> {
  const view = main(); // this navigation's own <main>, taken before any await (common.ts)
  title('Webhook failures');
  mount($('banner'));
  const page = await api<Page<WebhookFailure>>('GET', `/v1/webhook-failures${q({ limit: 50, cursor })}`);
  mount(
    view,
    h('h1', {}, 'Webhook delivery failures'),
    h('p', {}, 'Deliveries that were tried and did not go through: still retried, or given up after the retry period.'),
    page.items.length
      ? h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            {},
            h('caption', {}, 'Failed webhook deliveries'),
            h('thead', {}, h('tr', {}, ['Account', 'Destination', 'Event', 'Attempts', 'Last attempt', 'Last error', 'State'].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              {},
              page.items.map((d) =>
                h(
                  'tr',
                  {},
                  h('td', {}, h('a', { href: `#/a/${encodeURIComponent(d.accountId)}/health` }, d.accountId)),
                  h('td', { class: 'wrap' }, d.url),
                  h('td', {}, d.eventType),
                  h('td', {}, d.attempts),
                  h('td', {}, d.lastAttemptAt ? fmtTime(d.lastAttemptAt) : '—'),
                  h('td', { class: 'wrap' }, [d.lastStatus !== null ? `HTTP ${d.lastStatus}` : 'no answer', d.lastError && d.lastError !== `HTTP ${d.lastStatus}` ? `: ${d.lastError}` : '']),
                  h('td', {}, d.state === 'retrying' ? `retrying${d.nextAttemptAt ? ` (next ${fmtTime(d.nextAttemptAt)})` : ''}` : 'given up'),
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'empty' }, 'No failed deliveries.'),
    nextButton(page.next, 'Next page', (c) => webhookFailuresPage(c)),
  );
}

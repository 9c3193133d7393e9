// Admin: accounts by health, open appeals with their decision, accounts held for review.
import { api } from '../api.js';
import { h, mount, pct } from '../dom.js';
import { appealsTable } from './appeal.js';
import { $, errorBox, main, STATUS_WORDS, title, type Account, type Appeal, type Health } from './common.js';

export async function adminPage(): Promise<void> {
  title('Accounts');
  mount($('banner'));
  const accounts = (await api<{ items: Account[] }>('GET', '/v1/accounts')).items;
  const healths = await Promise.all(accounts.map((a) => api<Health>('GET', `/v1/accounts/${encodeURIComponent(a.id)}/health`).catch(() => null)));
  const order = { suspended: 0, warning: 1, ok: 2 } as Record<string, number>;
  const rows = accounts.map((a, i) => ({ a, hl: healths[i] })).sort((x, y) => (order[x.hl?.status ?? 'ok'] ?? 3) - (order[y.hl?.status ?? 'ok'] ?? 3) || x.a.id.localeCompare(y.a.id));
  const open = (await api<{ items: Appeal[] }>('GET', '/v1/appeals?state=open')).items;
  const status = h('p', { role: 'status' });
  const decide = async (a: Appeal, decision: 'reinstate' | 'deny', reason: string) => {
    try {
      await api('POST', `/v1/appeals/${a.id}/decision`, { decision, reason });
      await adminPage();
      $('admin-status').textContent = `Appeal ${a.id} of ${a.accountId}: ${decision === 'reinstate' ? 'reinstated' : 'denied'}.`;
    } catch (err) {
      mount(status, errorBox(err));
    }
  };
  status.id = 'admin-status';
  const reviews = rows.filter((r) => r.hl?.review === 'submitted' || r.hl?.review === 'required');
  mount(
    main(),
    h('h1', {}, 'Accounts by health'),
    status,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h('caption', {}, 'Accounts, those in trouble first'),
        h('thead', {}, h('tr', {}, ['Account', 'Plan', 'Health', 'Hard bounces', 'Complaints', 'Unsubscribes', 'Review'].map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          {},
          rows.map(({ a, hl }) =>
            h(
              'tr',
              {},
              h('td', {}, h('a', { href: `#/a/${encodeURIComponent(a.id)}/health` }, a.name ? `${a.id} (${a.name})` : a.id)),
              h('td', {}, a.tier),
              h('td', {}, hl ? (STATUS_WORDS[hl.suspension === 'review' ? 'review' : hl.status] ?? hl.status) : '—'),
              h('td', {}, hl ? pct(hl.rates.hardBounce.rate) : '—'),
              h('td', {}, hl ? pct(hl.rates.complaint.rate) : '—'),
              h('td', {}, hl ? pct(hl.rates.unsubscribe.rate) : '—'),
              h('td', {}, hl?.review && hl.review !== 'none' ? hl.review : ''),
            ),
          ),
        ),
      ),
    ),
    h('h2', {}, 'Open appeals'),
    appealsTable(open, true, decide),
    h('h2', {}, 'Accounts held for review'),
    reviews.length ? h('ul', {}, reviews.map((r) => h('li', {}, h('a', { href: `#/a/${encodeURIComponent(r.a.id)}/health` }, r.a.id), ` — review ${r.hl!.review}`))) : h('p', { class: 'empty' }, 'None.'),
  );
}

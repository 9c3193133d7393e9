// Bounces: this month's, a page at a time; a campaign's bounced recipients; one bounce with its
// explanation and raw report.
import { api, q } from '../api.js';
import { fmtTime, h, mount, type Child } from '../dom.js';
import { go, main, title, type Bounce } from './common.js';

export async function bouncesPage(account: string, cursor?: string): Promise<void> {
  const view = main(); // this navigation's own <main>, taken before any await (common.ts)
  title(`Bounces of ${account}`);
  const monthStart = new Date();
  monthStart.setUTCDate(1);
  monthStart.setUTCHours(0, 0, 0, 0);
  const page = await api<{ items: Bounce[]; next: string | null }>(
    'GET',
    `/v1/bounces${q({ account, since: monthStart.getTime(), limit: 50, cursor })}`,
  );
  const a = encodeURIComponent(account);
  const campaign = h('input', { id: 'campaign', type: 'text', name: 'campaign', required: true, maxlength: 200 });
  const campaignForm = h(
    'form',
    {
      class: 'card row',
      onsubmit: (e: Event) => {
        e.preventDefault();
        go(`#/a/${a}/campaign/${encodeURIComponent(campaign.value.trim())}`);
      },
    },
    h('label', { for: 'campaign' }, 'Campaign recipients → Bounced: campaign'),
    campaign,
    h('button', { type: 'submit' }, 'Show bounced recipients'),
  );
  mount(
    view,
    h('h1', {}, `Bounces: ${account}`),
    campaignForm,
    h('p', {}, 'This month, oldest first. Choose a recipient for the explanation.'),
    page.items.length === 0
      ? h('p', { class: 'empty' }, 'No bounces this month.')
      : h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            {},
            h('caption', {}, 'Bounced recipients'),
            h('thead', {}, h('tr', {}, ['When', 'Recipient', 'Type', 'Category', 'Reason', 'Message'].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              {},
              page.items.map((b) =>
                h(
                  'tr',
                  {},
                  h('td', {}, fmtTime(b.createdAt)),
                  h('td', {}, h('a', { href: `#/a/${a}/bounce/${b.id}` }, b.recipient ?? '(unknown)')),
                  h('td', {}, h('span', { class: `tag ${b.type}` }, b.type)),
                  h('td', {}, b.category.replace(/_/g, ' ')),
                  h('td', {}, b.reason),
                  h('td', { class: 'small' }, campaignLink(a, b.messageId)),
                ),
              ),
            ),
          ),
        ),
    page.next ? h('p', {}, h('a', { href: `#/a/${a}/bounces/${encodeURIComponent(page.next)}` }, 'Next page →')) : null,
  );
}

/** The message reference `[o2o:]<campaign>/<message>` with its campaign linked to the campaign's bounced recipients. */
function campaignLink(a: string, messageId: string | null): Child {
  const m = messageId ? /^(?:o2o:)?([^/]+)\/(.+)$/.exec(messageId) : null;
  if (!m) return messageId ?? '';
  return [h('a', { href: `#/a/${a}/campaign/${encodeURIComponent(m[1]!)}` }, m[1]!), `/${m[2]}`];
}

/** A campaign's bounced recipients, as the sending tool's Recipients tab shows them; each opens the contact. */
export async function campaignPage(account: string, campaign: string, cursor?: string): Promise<void> {
  const view = main(); // this navigation's own <main>, taken before any await (common.ts)
  title(`Campaign ${campaign}`);
  const page = await api<{ items: Array<{ recipient: string; type: string; reason: string | null; category: string | null; at: number }>; next: string | null }>(
    'GET',
    `/v1/accounts/${encodeURIComponent(account)}/campaigns/${encodeURIComponent(campaign)}/bounced${q({ limit: 100, cursor })}`,
  );
  const a = encodeURIComponent(account);
  mount(
    view,
    h('h1', {}, `Campaign ${campaign}: bounced recipients`),
    page.items.length === 0
      ? h('p', { class: 'empty' }, 'No recipient of this campaign bounced.')
      : h(
          'table',
          {},
          h('caption', {}, `Bounced recipients of ${campaign}`),
          h('thead', {}, h('tr', {}, ['Recipient', 'Type', 'Category', 'Reason', 'When'].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            {},
            page.items.map((r) =>
              h(
                'tr',
                {},
                h('td', {}, h('a', { href: `#/a/${a}/suppressions?address=${encodeURIComponent(r.recipient)}` }, r.recipient)),
                h('td', {}, h('span', { class: `tag ${r.type}` }, r.type)),
                h('td', {}, (r.category ?? '').replace(/_/g, ' ')),
                h('td', {}, r.reason ?? ''),
                h('td', {}, fmtTime(r.at)),
              ),
            ),
          ),
        ),
    page.next ? h('p', {}, h('button', { type: 'button', onclick: () => campaignPage(account, campaign, page.next!) }, 'Next page')) : null,
  );
}

export async function bouncePage(account: string, id: number): Promise<void> {
  const view = main(); // this navigation's own <main>, taken before any await (common.ts)
  const d = await api<{ bounce: Bounce; rule: { id: string; detector: string }; evidence: Array<{ at: number; source: string; state: string; status?: string | null; diagnostic?: string | null }>; report: { href: string; size: number } | null }>(
    'GET',
    `/v1/bounces/${id}`,
  );
  const b = d.bounce;
  title(`Bounce ${b.recipient ?? id}`);
  const raw = h('pre', { class: 'raw', tabindex: 0, 'aria-label': 'Raw report' }, 'Loading the report…');
  mount(
    view,
    h('h1', {}, `Why ${b.recipient ?? 'this recipient'} bounced`),
    h(
      'dl',
      { class: 'pairs card' },
      h('dt', {}, 'When'),
      h('dd', {}, fmtTime(b.createdAt)),
      h('dt', {}, 'Type'),
      h('dd', {}, b.type),
      h('dt', {}, 'Category'),
      h('dd', {}, b.category.replace(/_/g, ' ')),
      h('dt', {}, 'Reason'),
      h('dd', {}, b.reason),
      h('dt', {}, 'Status'),
      h('dd', {}, b.status ?? '—'),
      h('dt', {}, "Remote server's reply"),
      h('dd', {}, b.diagnostic ?? '—'),
      h('dt', {}, 'Remote server'),
      h('dd', {}, b.remoteMta ?? '—'),
      h('dt', {}, 'Rule that decided'),
      h('dd', {}, `${d.rule.id} (${d.rule.detector})`),
      h('dt', {}, 'Message'),
      h('dd', {}, b.messageId ?? '—'),
    ),
    h('h2', {}, 'Timeline'),
    h('ol', { class: 'timeline' }, d.evidence.map((e) => h('li', {}, `${fmtTime(e.at)} · ${e.source} · ${e.state}${e.status ? ` · ${e.status}` : ''}${e.diagnostic ? ` · ${e.diagnostic}` : ''}`))),
    h('p', {}, h('a', { href: `#/a/${encodeURIComponent(account)}/suppressions?address=${encodeURIComponent(b.recipient ?? '')}` }, 'See its suppressions →')),
    h('h2', {}, 'The report as received'),
    raw,
  );
  if (d.report) {
    // Shown as text (textContent): nothing in it is markup here.
    raw.textContent = (await api<string>('GET', d.report.href, undefined, true)).slice(0, 200_000);
  } else raw.textContent = 'The report is no longer stored.';
}

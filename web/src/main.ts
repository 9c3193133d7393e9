// The bounced dashboard (issue #16): screens over the /v1 API, no logic of its own. Every
// figure, banner, recommendation and permission comes from the daemon's policy service; the
// server, not this page, decides what an account may see (an account session asking for
// another account's data gets 404).
import './style.css';
import { REMOVABLE_REASONS, SUPPRESSION_REASONS } from '../../src/domain/suppressions.js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, ApiFailure, current, q, resume, signIn, signOut, whenSignedOut } from './api.js';
import { fmtTime, h, mount, pct, type Child } from './dom.js';

// ---------------------------------------------------------------------------------------
// The API's answers (its wire format, openapi.json)

interface RateFigure {
  count: number;
  sends: number;
  rate: number;
  limit: number;
  warnAt: number;
}
interface Health {
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
interface Account {
  id: string;
  name: string | null;
  tier: string;
  profile: string;
}
interface Bounce {
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
interface Suppression {
  accountId: string | null;
  address: string;
  reason: string;
  createdAt: number;
  source: string | null;
}
interface Appeal {
  id: number;
  accountId: string;
  channel: string;
  state: string;
  form: Record<string, unknown>;
  filedAt: number;
  decidedAt: number | null;
  decisionReason: string | null;
}

const $ = (id: string) => document.getElementById(id)!;
const main = () => $('main');

// ---------------------------------------------------------------------------------------
// Routing: #/login, #/a/<account>/<page>[/<id>], #/admin

function go(hash: string): void {
  if (location.hash === hash) void route();
  else location.hash = hash;
}

function home(): string {
  const s = current();
  if (!s) return '#/login';
  return s.admin ? '#/admin' : `#/a/${encodeURIComponent(s.accountId!)}/health`;
}

async function route(): Promise<void> {
  const s = current();
  const parts = location.hash.replace(/^#\/?/, '').split('?')[0]!.split('/').map(decodeURIComponent);
  renderTop();
  if (!s) {
    mount($('banner'));
    return loginPage();
  }
  try {
    if (parts[0] === 'admin' && s.admin) return await adminPage();
    if (parts[0] === 'a' && parts[1]) {
      const account = parts[1];
      const health = await showBanner(account);
      renderTop(account);
      switch (parts[2]) {
        case 'trends':
          return await trendsPage(account);
        case 'bounces':
          return await bouncesPage(account, parts[3]);
        case 'bounce':
          return await bouncePage(account, Number(parts[3]));
        case 'campaign':
          return await campaignPage(account, parts[3] ?? '');
        case 'suppressions':
          return await suppressionsPage(account);
        case 'appeal':
          return await appealPage(account, health);
        default:
          return healthPage(account, health);
      }
    }
    go(home());
  } catch (err) {
    mount($('banner'));
    mount(main(), h('h1', {}, 'Not available'), errorBox(err));
  }
}

function errorBox(err: unknown): HTMLElement {
  const text = err instanceof ApiFailure ? `${err.message} (${err.code})` : String(err);
  return h('p', { class: 'error', role: 'alert' }, text);
}

function title(text: string): void {
  document.title = `${text} · bounced`;
}

// ---------------------------------------------------------------------------------------
// Header, navigation, banner

function renderTop(account?: string): void {
  const s = current();
  const link = (href: string, text: string) => h('a', { href, 'aria-current': location.hash === href ? 'page' : null }, text);
  const nav: Child[] = [];
  if (s?.admin) nav.push(link('#/admin', 'Accounts & appeals'));
  if (account) {
    const a = encodeURIComponent(account);
    nav.push(
      link(`#/a/${a}/health`, 'Health'),
      link(`#/a/${a}/trends`, 'Trends'),
      link(`#/a/${a}/bounces`, 'Bounces'),
      link(`#/a/${a}/suppressions`, 'Suppressions'),
      link(`#/a/${a}/appeal`, 'Appeal'),
    );
  }
  mount(
    $('top'),
    h('span', { class: 'brand' }, 'bounced'),
    s ? h('span', { class: 'who' }, s.admin ? 'Deliverability team (admin)' : `Account ${s.accountId}`) : null,
    nav.length ? h('nav', { 'aria-label': 'Pages' }, nav) : null,
    s
      ? h(
          'button',
          {
            type: 'button',
            class: 'link',
            onclick: async () => {
              await signOut().catch(() => {});
              go('#/login');
            },
          },
          'Sign out',
        )
      : null,
  );
}

// A symbol and a word for each state: the meaning does not rest on the colour.
const STATUS_WORDS: Record<string, string> = { ok: '✓ OK', warning: '⚠ Warning', suspended: '✖ Suspended', review: '⊘ Under review' };

/** The health state of an account, on every page of it. */
async function showBanner(account: string): Promise<Health> {
  const health = await api<Health>('GET', `/v1/accounts/${encodeURIComponent(account)}/health`);
  const state = health.suspension === 'review' ? 'review' : health.status;
  mount(
    $('banner'),
    h(
      'section',
      { class: `banner state-${state}`, role: 'status', 'aria-label': 'Account health' },
      h('strong', { class: 'state' }, STATUS_WORDS[state] ?? state),
      ' ',
      h('span', { class: 'text' }, health.banner ?? 'Sending is healthy: every rate is below its warning level.'),
      health.suspensionDetail ? h('p', {}, health.suspensionDetail) : null,
      health.recommendations.length ? h('ul', { class: 'recs' }, health.recommendations.map((r) => h('li', {}, r))) : null,
      health.canAppeal ? h('p', {}, h('a', { href: `#/a/${encodeURIComponent(account)}/appeal` }, 'Submit an appeal →')) : null,
    ),
  );
  return health;
}

// ---------------------------------------------------------------------------------------
// Sign-in

function loginPage(): void {
  title('Sign in');
  const input = h('input', { id: 'key', name: 'key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const msg = h('p', { role: 'alert', class: 'error', hidden: true });
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        msg.hidden = true;
        try {
          await signIn(input.value.trim());
          input.value = '';
          go(home());
        } catch (err) {
          mount(msg, err instanceof ApiFailure && err.status === 401 ? 'That key is unknown or revoked.' : errorBox(err).textContent);
          msg.hidden = false;
        }
      },
    },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Use your account API key, or the admin key of the deliverability team. The key is exchanged for a session; this browser does not keep it.'),
    h('label', { for: 'key' }, 'API key'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    msg,
  );
  mount(main(), form);
  input.focus();
}

// ---------------------------------------------------------------------------------------
// Account health: this month's rates against their limits

const EPS = 1e-9;

function rateBar(name: string, r: RateFigure): HTMLElement {
  // The scale runs to the limit; the warning level is a mark on it. Words say the same as the
  // colour (ok / warning / over the limit), so the meaning survives without colour.
  // The policy's comparisons, with its tolerance for rates like 8/200 against 0.05 * 0.8.
  const level = r.rate > r.limit + EPS ? 'over' : r.rate >= r.warnAt - EPS && r.count > 0 ? 'warn' : 'ok';
  const words = { ok: 'below the warning level', warn: 'past the warning level', over: 'past the limit' }[level];
  const width = Math.min(100, r.limit > 0 ? (r.rate / r.limit) * 100 : 0);
  const bar = h('div', { class: `bar ${level}`, role: 'img', 'aria-label': `${name}: ${pct(r.rate)}, limit ${pct(r.limit)}, ${words}` }, h('div', { class: 'fill' }), h('div', { class: 'mark' }));
  (bar.firstChild as HTMLElement).style.width = `${width}%`;
  (bar.lastChild as HTMLElement).style.left = `${r.limit > 0 ? Math.min(100, (r.warnAt / r.limit) * 100) : 0}%`;
  return h(
    'div',
    { class: 'rate' },
    h('div', { class: 'rate-head' }, h('span', {}, name), h('strong', { class: 'rate-value' }, pct(r.rate))),
    bar,
    h('p', { class: 'small' }, `${r.count} of ${r.sends} sends · warning at ${pct(r.warnAt)} · limit ${pct(r.limit)} · ${words}`),
  );
}

function healthPage(account: string, health: Health): void {
  title(`Health of ${account}`);
  const f = health.figures;
  mount(
    main(),
    h('h1', {}, `Account health: ${account}`),
    h('p', {}, `This month (${health.month}, UTC). Rates count the marketing channel; marketing is suspended when a rate passes its limit.`),
    h(
      'section',
      { class: 'card rates', 'aria-label': 'Rates' },
      rateBar('Hard bounces', health.rates.hardBounce),
      rateBar('Complaints', health.rates.complaint),
      rateBar('Unsubscribes', health.rates.unsubscribe),
    ),
    h(
      'section',
      { class: 'card', 'aria-label': 'Channels' },
      h('h2', {}, 'Channels'),
      h(
        'dl',
        { class: 'pairs' },
        h('dt', {}, 'Marketing'),
        h('dd', {}, STATUS_WORDS[health.channel.marketing] ?? health.channel.marketing),
        h('dt', {}, 'One-to-one'),
        h('dd', {}, STATUS_WORDS[health.channel.oneToOne] ?? health.channel.oneToOne),
        h('dt', {}, 'Plan'),
        h('dd', {}, health.tier ?? '—'),
        f ? [h('dt', {}, 'Sends this month'), h('dd', {}, f.sends), h('dt', {}, 'Cancelled campaigns'), h('dd', {}, f.cancelledCampaigns)] : null,
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------
// Trends: 90 days of sends and bounces (uPlot), bounces by category

interface Trends {
  days: string[];
  sends: number[];
  bounces: { hard: number[]; soft: number[]; pending: number[] };
  categories: Record<string, number>;
}

async function trendsPage(account: string): Promise<void> {
  title(`Trends of ${account}`);
  const t = await api<Trends>('GET', `/v1/accounts/${encodeURIComponent(account)}/trends?days=90`);
  const chart = h('div', { class: 'chart', role: 'img', 'aria-label': `Daily sends and bounces over the last ${t.days.length} days; the numbers are in the table below` });
  const total = Object.values(t.categories).reduce((a, b) => a + b, 0);
  const active = t.days.map((d, i) => ({ d, i })).filter(({ i }) => t.sends[i]! + t.bounces.hard[i]! + t.bounces.soft[i]! + t.bounces.pending[i]! > 0);
  mount(
    main(),
    h('h1', {}, `Trends: ${account}`),
    h('p', {}, `The last ${t.days.length} days (UTC): sends on the left axis, bounces on the right one.`),
    h('section', { class: 'card' }, chart),
    h('h2', {}, 'Bounces by category'),
    total === 0
      ? h('p', { class: 'empty' }, 'No bounces in this period.')
      : h(
          'table',
          {},
          h('caption', {}, 'Bounces by category'),
          h('thead', {}, h('tr', {}, ['Category', 'Bounces', 'Share'].map((x) => h('th', { scope: 'col' }, x)))),
          h(
            'tbody',
            {},
            Object.entries(t.categories)
              .filter(([, n]) => n > 0)
              .sort((a, b) => b[1] - a[1])
              .map(([c, n]) => h('tr', {}, h('td', {}, c.replace(/_/g, ' ')), h('td', {}, n), h('td', {}, pct(n / total, 1)))),
          ),
        ),
    h(
      'details',
      {},
      h('summary', {}, 'The numbers, day by day'),
      active.length === 0
        ? h('p', { class: 'empty' }, 'Nothing sent or bounced in this period.')
        : h(
            'table',
            {},
            h('caption', {}, 'Daily figures'),
            h('thead', {}, h('tr', {}, ['Day', 'Sends', 'Hard', 'Soft', 'Pending'].map((x) => h('th', { scope: 'col' }, x)))),
            h('tbody', {}, active.map(({ d, i }) => h('tr', {}, h('td', {}, d), h('td', {}, t.sends[i]!), h('td', {}, t.bounces.hard[i]!), h('td', {}, t.bounces.soft[i]!), h('td', {}, t.bounces.pending[i]!)))),
          ),
    ),
  );
  // uPlot draws on a canvas; each series has its own dash as well as its own colour.
  const width = Math.max(280, chart.clientWidth);
  new uPlot(
    {
      width,
      height: width < 500 ? 220 : 300,
      scales: { x: { time: true }, n: {}, b: {} },
      axes: [{}, { scale: 'n', label: 'sends' }, { scale: 'b', side: 1, label: 'bounces', grid: { show: false } }],
      series: [
        { label: 'day' },
        { label: 'sends', scale: 'n', stroke: '#0a58ca', width: 2 },
        { label: 'hard', scale: 'b', stroke: '#cf222e', width: 2, dash: [8, 4] },
        { label: 'soft', scale: 'b', stroke: '#9a6700', width: 2, dash: [2, 3] },
        { label: 'pending', scale: 'b', stroke: '#57606a', width: 1, dash: [12, 3, 2, 3] },
      ],
    },
    [t.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000), t.sends, t.bounces.hard, t.bounces.soft, t.bounces.pending],
    chart,
  );
}

// ---------------------------------------------------------------------------------------
// Bounces: this month's, a page at a time; one bounce with its explanation and raw report

async function bouncesPage(account: string, cursor?: string): Promise<void> {
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
    main(),
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
async function campaignPage(account: string, campaign: string, cursor?: string): Promise<void> {
  title(`Campaign ${campaign}`);
  const page = await api<{ items: Array<{ recipient: string; type: string; reason: string | null; category: string | null; at: number }>; next: string | null }>(
    'GET',
    `/v1/accounts/${encodeURIComponent(account)}/campaigns/${encodeURIComponent(campaign)}/bounced${q({ limit: 100, cursor })}`,
  );
  const a = encodeURIComponent(account);
  mount(
    main(),
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

async function bouncePage(account: string, id: number): Promise<void> {
  const d = await api<{ bounce: Bounce; rule: { id: string; detector: string }; evidence: Array<{ at: number; source: string; state: string; status?: string | null; diagnostic?: string | null }>; report: { href: string; size: number } | null }>(
    'GET',
    `/v1/bounces/${id}`,
  );
  const b = d.bounce;
  title(`Bounce ${b.recipient ?? id}`);
  const raw = h('pre', { class: 'raw', tabindex: 0, 'aria-label': 'Raw report' }, 'Loading the report…');
  mount(
    main(),
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

// ---------------------------------------------------------------------------------------
// Suppressions: search one address, list by reason and scope, unbounce with a note

const NOT_REMOVABLE: Record<string, string> = {
  complaint: 'the contact complained: it is never lifted',
  unsubscribe: 'the contact unsubscribed: only the contact can change that',
  spam_trap: 'a spam trap: it is never lifted',
  global_bounce: 'a global bounce (every account): the deliverability team manages it',
};

function removable(s: { reason: string; accountId: string | null }): boolean {
  return s.accountId !== null && (REMOVABLE_REASONS as readonly string[]).includes(s.reason);
}

async function suppressionsPage(account: string): Promise<void> {
  title(`Suppressions of ${account}`);
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const result = h('div', { 'aria-live': 'polite' });
  const status = h('p', { role: 'status', class: 'small' });

  const addr = h('input', { id: 'addr', type: 'search', name: 'address', value: params.get('address') ?? '', placeholder: 'name@example.com' });
  const search = h(
    'form',
    {
      class: 'card row',
      role: 'search',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        await showAddress(addr.value.trim());
      },
    },
    h('label', { for: 'addr' }, 'Search an address'),
    addr,
    h('button', { type: 'submit' }, 'Search'),
  );

  const reasonSel = h('select', { id: 'reason' }, h('option', { value: '' }, 'any reason'), SUPPRESSION_REASONS.map((r) => h('option', { value: r }, r.replace(/_/g, ' '))));
  const scopeSel = h('select', { id: 'scope' }, h('option', { value: '' }, 'account and global'), h('option', { value: 'account' }, 'this account'), h('option', { value: 'global' }, 'global'));
  const filter = h(
    'form',
    {
      class: 'card row',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        await list();
      },
    },
    h('label', { for: 'reason' }, 'Reason'),
    reasonSel,
    h('label', { for: 'scope' }, 'Scope'),
    scopeSel,
    h('button', { type: 'submit' }, 'List'),
  );

  const row = (s: Suppression) =>
    h(
      'tr',
      {},
      h('td', {}, s.address),
      h('td', {}, s.reason.replace(/_/g, ' ')),
      h('td', {}, s.accountId === null ? 'global' : 'this account'),
      h('td', {}, fmtTime(s.createdAt)),
      h('td', {}, removable(s) ? h('button', { type: 'button', onclick: () => unbounce(s.address) }, `Unbounce ${s.address}`) : h('span', { class: 'small' }, `Not offered: ${NOT_REMOVABLE[s.reason] ?? s.reason}`)),
    );
  const table = (items: Suppression[]) =>
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h('caption', {}, 'Suppressions'),
        h('thead', {}, h('tr', {}, ['Address', 'Reason', 'Scope', 'Since', 'Action'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, items.map(row)),
      ),
    );

  async function list(cursor?: string): Promise<void> {
    const page = await api<{ items: Suppression[]; next: string | null }>(
      'GET',
      `/v1/suppressions${q({ account, reason: reasonSel.value, scope: scopeSel.value, limit: 50, cursor })}`,
    );
    mount(
      result,
      page.items.length ? table(page.items) : h('p', { class: 'empty' }, 'No suppressions match.'),
      page.next ? h('button', { type: 'button', onclick: () => list(page.next!) }, 'Next page') : null,
    );
  }

  async function showAddress(address: string): Promise<void> {
    if (!address) return list();
    const d = await api<{ send: boolean; reasons: Array<{ code: string; scope: string; since: number; detail?: string }> }>(
      'GET',
      `/v1/suppressions/${encodeURIComponent(address)}${q({ account })}`,
    );
    const sup = d.reasons.filter((r) => (SUPPRESSION_REASONS as readonly string[]).includes(r.code));
    // The contact's bounces for this account (the first page, oldest first).
    const bounces = (await api<{ items: Bounce[] }>('GET', `/v1/bounces${q({ account, recipient: address, limit: 100 })}`)).items;
    const own = sup.some((r) => r.scope !== 'global');
    const a = encodeURIComponent(account);
    mount(
      result,
      h('h2', {}, address),
      h('p', {}, d.send ? 'May be mailed now: no suppression applies.' : `May not be mailed now (${d.reasons.map((r) => r.code.replace(/_/g, ' ')).join(', ')}).`),
      sup.length ? table(sup.map((r) => ({ address, reason: r.code, accountId: r.scope === 'global' ? null : account, createdAt: r.since, source: r.detail ?? null }))) : null,
      h('h3', {}, 'Its bounces for this account'),
      bounces.length
        ? h('ul', {}, bounces.map((b) => h('li', {}, h('a', { href: `#/a/${a}/bounce/${b.id}` }, `${fmtTime(b.createdAt)} · ${b.type} · ${b.category.replace(/_/g, ' ')} · ${b.reason}`))))
        : h('p', { class: 'empty' }, !own && sup.length ? 'None: it never bounced for this account; it is suppressed globally only, so it has no hard-bounce reason here.' : 'None.'),
    );
  }

  async function unbounce(address: string): Promise<void> {
    const note = h('textarea', { id: 'note', required: true, maxlength: 500, rows: 3 });
    const dialog = h(
      'dialog',
      { 'aria-labelledby': 'unbounce-title' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'unbounce-title' }, `Unbounce ${address}?`),
        h('p', {}, 'The account may mail this address again. Say why: the note is kept in the audit record.'),
        h('label', { for: 'note' }, 'Note (required)'),
        note,
        h('div', { class: 'row' }, h('button', { type: 'submit', value: 'ok' }, 'Unbounce'), h('button', { type: 'submit', value: 'cancel', formnovalidate: true }, 'Cancel')),
      ),
    );
    document.body.appendChild(dialog);
    dialog.showModal();
    note.focus();
    const answer = await new Promise<string>((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue), { once: true }));
    dialog.remove();
    if (answer !== 'ok') return;
    try {
      await api('DELETE', `/v1/suppressions/${encodeURIComponent(address)}${q({ account, note: note.value.trim() })}`);
      status.textContent = `${address} was unbounced.`;
      await showAddress(address);
    } catch (err) {
      mount(status, errorBox(err));
    }
  }

  mount(main(), h('h1', {}, `Suppressions: ${account}`), search, filter, importExport(account, status), status, result);
  await (params.get('address') ? showAddress(params.get('address')!) : list());
}

/**
 * Import an opt-out list (streamed to POST /v1/suppressions/import, with the upload's progress)
 * and export the list as CSV (the API's pages, 1,000 at a time, joined in the browser).
 */
function importExport(account: string, status: HTMLElement): HTMLElement {
  const file = h('input', { id: 'optout', type: 'file', accept: '.csv,.txt,.ndjson,text/csv,text/plain,application/x-ndjson' });
  const progress = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': 'Upload progress' });
  const importForm = h(
    'form',
    {
      class: 'row',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const f = file.files?.[0];
        if (!f) return;
        const type = /\.csv$/i.test(f.name) ? 'text/csv' : /\.ndjson$/i.test(f.name) ? 'application/x-ndjson' : 'text/plain';
        // XMLHttpRequest, not fetch: only it reports an upload's progress.
        const xhr = new XMLHttpRequest();
        xhr.open('POST', `/v1/suppressions/import${q({ account })}`);
        xhr.setRequestHeader('content-type', type);
        xhr.setRequestHeader('x-csrf-token', current()?.csrf ?? '');
        progress.hidden = false;
        progress.value = 0;
        xhr.upload.onprogress = (p) => {
          if (p.lengthComputable) progress.value = Math.round((p.loaded / p.total) * 100);
        };
        xhr.onload = () => {
          progress.hidden = true;
          try {
            const r = JSON.parse(xhr.responseText) as { added?: number; lines?: number; invalid?: number; invalidLines?: number[]; error?: { message: string; code: string } };
            status.textContent = r.error
              ? `Import refused: ${r.error.message} (${r.error.code})`
              : `Imported ${f.name}: ${r.added} new suppressions from ${r.lines} lines; ${r.invalid} invalid${r.invalidLines?.length ? ` (lines ${r.invalidLines.join(', ')})` : ''}.`;
          } catch {
            status.textContent = `Import failed (HTTP ${xhr.status}).`;
          }
        };
        xhr.onerror = () => {
          progress.hidden = true;
          status.textContent = 'Import failed: the connection broke.';
        };
        xhr.send(f);
      },
    },
    h('label', { for: 'optout' }, 'Import an opt-out list (CSV, NDJSON or one address per line)'),
    file,
    h('button', { type: 'submit' }, 'Import'),
    progress,
  );
  const exportButton = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        const lines = ['address,reason,scope,created_at'];
        let cursor: string | undefined;
        do {
          const page = await api<{ items: Suppression[]; next: string | null }>('GET', `/v1/suppressions${q({ account, limit: 1000, cursor })}`);
          for (const s of page.items) lines.push([csvField(s.address), s.reason, s.accountId === null ? 'global' : 'account', new Date(s.createdAt).toISOString()].join(','));
          cursor = page.next ?? undefined;
          status.textContent = `Exporting: ${lines.length - 1} rows…`;
        } while (cursor);
        const a = h('a', { href: URL.createObjectURL(new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' })), download: `suppressions-${account}.csv` });
        a.click();
        URL.revokeObjectURL(a.href);
        status.textContent = `Exported ${lines.length - 1} suppressions.`;
      },
    },
    'Export CSV',
  );
  return h('section', { class: 'card', 'aria-label': 'Import and export' }, importForm, exportButton);
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
const csvField = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

// ---------------------------------------------------------------------------------------
// Appeal: the form where the plan allows it, and the status of those filed

async function appealPage(account: string, health: Health): Promise<void> {
  title(`Appeal for ${account}`);
  const appeals = (await api<{ items: Appeal[] }>('GET', `/v1/appeals${q({ account })}`)).items;
  const status = h('p', { role: 'status' });
  const box = (id: string, text: string) => h('div', { class: 'check' }, h('input', { type: 'checkbox', id, name: id, required: true }), h('label', { for: id }, text));
  const form = health.canAppeal
    ? h(
        'form',
        {
          class: 'card',
          onsubmit: async (e: Event) => {
            e.preventDefault();
            const f = e.target as HTMLFormElement;
            const v = (n: string) => (f.elements.namedItem(n) as HTMLInputElement | HTMLTextAreaElement);
            try {
              const r = await api<{ appealId: number }>('POST', `/v1/accounts/${encodeURIComponent(account)}/appeals`, {
                importedOptOutList: (v('importedOptOutList') as HTMLInputElement).checked,
                cleanedLists: (v('cleanedLists') as HTMLInputElement).checked,
                mailedWithinYear: (v('mailedWithinYear') as HTMLInputElement).checked,
                contactsSource: v('contactsSource').value.trim(),
                message: v('message').value.trim(),
              });
              status.textContent = `Appeal ${r.appealId} filed. The deliverability team will decide.`;
              await route();
            } catch (err) {
              mount(status, errorBox(err));
            }
          },
        },
        h('h2', {}, 'Appeal the suspension'),
        box('importedOptOutList', 'I imported the opt-out list of my previous provider'),
        box('cleanedLists', 'I cleaned my lists of bounced and unengaged contacts'),
        box('mailedWithinYear', 'Every contact was mailed within the last year'),
        h('label', { for: 'contactsSource' }, 'Where did the contacts come from?'),
        h('textarea', { id: 'contactsSource', name: 'contactsSource', required: true, maxlength: 2000, rows: 3 }),
        h('label', { for: 'message' }, 'What happened, and what changed?'),
        h('textarea', { id: 'message', name: 'message', required: true, maxlength: 10000, rows: 5 }),
        h('button', { type: 'submit' }, 'Submit the appeal'),
      )
    : h('p', { class: 'card' }, health.status === 'suspended' ? (health.banner ?? 'No appeal can be filed now.') : 'Marketing is not suspended: there is nothing to appeal.');
  mount(main(), h('h1', {}, `Appeal: ${account}`), form, status, h('h2', {}, 'Appeals filed'), appealsTable(appeals, false));
}

function appealsTable(items: Appeal[], admin: boolean, decide?: (a: Appeal, d: 'reinstate' | 'deny', reason: string) => Promise<void>): HTMLElement {
  if (!items.length) return h('p', { class: 'empty' }, admin ? 'No open appeals.' : 'None.');
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      {},
      h('caption', {}, 'Appeals'),
      h('thead', {}, h('tr', {}, [...(admin ? ['Account'] : []), 'Filed', 'State', 'Where the contacts came from', 'Message', admin ? 'Decision' : 'Reason'].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        {},
        items.map((a) => {
          let last: Node = h('span', {}, a.decisionReason ?? '');
          if (admin && decide) {
            const id = `reason-${a.id}`;
            const reason = h('input', { id, type: 'text', required: true, maxlength: 2000 });
            const act = (d: 'reinstate' | 'deny') => async () => {
              if (!reason.value.trim()) {
                reason.setCustomValidity('Give a reason');
                reason.reportValidity();
                return;
              }
              await decide(a, d, reason.value.trim());
            };
            last = h('div', { class: 'decide' }, h('label', { for: id }, `Reason for ${a.accountId}`), reason, h('button', { type: 'button', onclick: act('reinstate') }, `Reinstate ${a.accountId}`), h('button', { type: 'button', onclick: act('deny') }, `Deny ${a.accountId}`));
          }
          return h(
            'tr',
            {},
            admin ? h('td', {}, h('a', { href: `#/a/${encodeURIComponent(a.accountId)}/health` }, a.accountId)) : null,
            h('td', {}, fmtTime(a.filedAt)),
            h('td', {}, a.state),
            h('td', {}, String(a.form.contactsSource ?? '')),
            h('td', {}, String(a.form.message ?? '')),
            h('td', {}, last),
          );
        }),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------
// Admin: accounts by health, open appeals, accounts held for review

async function adminPage(): Promise<void> {
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

// ---------------------------------------------------------------------------------------

whenSignedOut(() => go('#/login'));
// The skip link moves focus only: the hash belongs to the router.
document.querySelector('.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  main().focus();
});
window.addEventListener('hashchange', () => void route());
void (async () => {
  await resume();
  if (!current() || location.hash === '' || location.hash === '#/login') {
    if (current()) return go(home());
    if (location.hash !== '#/login') history.replaceState(null, '', '#/login');
  }
  await route();
})();

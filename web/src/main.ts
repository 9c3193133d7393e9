// The bounced dashboard (issue #16): screens over the /v1 API, no logic of its own. Every
// figure, banner, recommendation and permission comes from the daemon's policy service; the
// server, not this page, decides what an account may see (an account session asking for
// another account's data gets 404). This module routes and draws what every page shares (the
// header, the health banner, sign-in); each screen is a module of ./pages.
import './style.css';
import { api, ApiFailure, current, resume, signIn, signOut, whenSignedOut } from './api.js';
import { h, mount, type Child } from './dom.js';
import { adminPage, globalSuppressionsPage, webhookFailuresPage } from './pages/admin.js';
import { appealPage } from './pages/appeal.js';
import { bouncePage, bouncesPage, campaignPage } from './pages/bounces.js';
import { $, errorBox, freshMain, go, main, STATUS_WORDS, title, type Health } from './pages/common.js';
import { healthPage } from './pages/health.js';
import { reviewPage } from './pages/review.js';
import { suppressionsPage } from './pages/suppressions.js';
import { trendsPage } from './pages/trends.js';

// ---------------------------------------------------------------------------------------
// Routing: #/login, #/a/<account>/<page>[/<id>], #/admin[/suppressions|/webhooks]

function home(): string {
  const s = current();
  if (!s) return '#/login';
  return s.admin ? '#/admin' : `#/a/${encodeURIComponent(s.accountId!)}/health`;
}

async function route(): Promise<void> {
  const view = freshMain();
  const s = current();
  const parts = location.hash.replace(/^#\/?/, '').split('?')[0]!.split('/').map(decodeURIComponent);
  renderTop();
  if (!s) {
    mount($('banner'));
    return loginPage();
  }
  try {
    if (parts[0] === 'admin' && s.admin) {
      if (parts[1] === 'suppressions') return await globalSuppressionsPage();
      if (parts[1] === 'webhooks') return await webhookFailuresPage();
      return await adminPage();
    }
    if (parts[0] === 'a' && parts[1]) {
      const account = parts[1];
      const health = await showBanner(account);
      if (view !== main()) return; // a newer navigation has begun: its page is drawn, not this one
      renderTop(account, health);
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
        case 'review':
          return await reviewPage(account, health);
        default:
          return healthPage(account, health);
      }
    }
    go(home());
  } catch (err) {
    if (view !== main()) return;
    mount($('banner'));
    mount(view, h('h1', {}, 'Not available'), errorBox(err));
  }
}

// ---------------------------------------------------------------------------------------
// Header, navigation, banner

function renderTop(account?: string, health?: Health): void {
  const s = current();
  const link = (href: string, text: string) => h('a', { href, 'aria-current': location.hash === href ? 'page' : null }, text);
  const nav: Child[] = [];
  if (s?.admin) nav.push(link('#/admin', 'Accounts & appeals'), link('#/admin/suppressions', 'Global suppressions'), link('#/admin/webhooks', 'Webhook failures'));
  if (account) {
    const a = encodeURIComponent(account);
    nav.push(
      link(`#/a/${a}/health`, 'Health'),
      link(`#/a/${a}/trends`, 'Trends'),
      link(`#/a/${a}/bounces`, 'Bounces'),
      link(`#/a/${a}/suppressions`, 'Suppressions'),
      link(`#/a/${a}/appeal`, 'Appeal'),
    );
    // The review page, only while the account is (or was) held for review.
    if (health?.review && health.review !== 'none') nav.push(link(`#/a/${a}/review`, 'Review'));
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
      health.review === 'required' || health.review === 'denied' ? h('p', {}, h('a', { href: `#/a/${encodeURIComponent(account)}/review` }, 'Fill in the review form →')) : null,
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

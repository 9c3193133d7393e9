// Account health: this month's rates against their limits, the channels and figures.
import { h, mount, pct } from '../dom.js';
import { main, STATUS_WORDS, title, type Health, type RateFigure } from './common.js';

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

export function healthPage(account: string, health: Health): void {
  const view = main(); // this navigation's own <main>, taken before any await (common.ts)
  title(`Health of ${account}`);
  const f = health.figures;
  mount(
    view,
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

// Trends: 90 days of daily sends and bounces drawn by uPlot, bounces by category, the numbers in a table.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api } from '../api.js';
import { h, mount, pct } from '../dom.js';
import { main, title } from './common.js';

interface Trends {
  days: string[];
  sends: number[];
  bounces: { hard: number[]; soft: number[]; pending: number[] };
  categories: Record<string, number>;
}

export async function trendsPage(account: string): Promise<void> {
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

// Trends: 90 days of daily sends, bounces, complaints and unsubscribes drawn by uPlot; bounces by
// category and by receiving domain; the numbers in tables. The API computes every figure.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api } from '../api.js';
import { h, mount, pct } from '../dom.js';
import { main, title } from './common.js';

interface Trends {
  days: string[];
  sends: number[];
  bounces: { hard: number[]; soft: number[]; pending: number[] };
  complaints: number[];
  unsubscribes: number[];
  categories: Record<string, number>;
  domains: { top: Array<{ domain: string; count: number }>; other: number };
}

export async function trendsPage(account: string): Promise<void> {
  const view = main(); // this navigation's own <main>, taken before any await (common.ts)
  title(`Trends of ${account}`);
  const t = await api<Trends>('GET', `/v1/accounts/${encodeURIComponent(account)}/trends?days=90`);
  const chart = h('div', { class: 'chart', role: 'img', 'aria-label': `Daily sends, bounces, complaints and unsubscribes over the last ${t.days.length} days; the numbers are in the table below` });
  const total = Object.values(t.categories).reduce((a, b) => a + b, 0);
  const row = (i: number) => [t.sends[i]!, t.bounces.hard[i]!, t.bounces.soft[i]!, t.bounces.pending[i]!, t.complaints[i]!, t.unsubscribes[i]!];
  const active = t.days.map((d, i) => ({ d, i })).filter(({ i }) => row(i).some((n) => n > 0));
  const shareTable = (caption: string, head: string, rows: Array<[string, number]>) =>
    h(
      'table',
      {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, [head, 'Bounces', 'Share'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.map(([name, n]) => h('tr', {}, h('td', {}, name), h('td', {}, n), h('td', {}, pct(n / total, 1))))),
    );
  mount(
    view,
    h('h1', {}, `Trends: ${account}`),
    h('p', {}, `The last ${t.days.length} days (UTC): sends on the left axis; bounces, complaints and unsubscribes on the right one.`),
    h('section', { class: 'card' }, chart),
    h('h2', {}, 'Bounces by category'),
    total === 0
      ? h('p', { class: 'empty' }, 'No bounces in this period.')
      : shareTable(
          'Bounces by category',
          'Category',
          Object.entries(t.categories)
            .filter(([, n]) => n > 0)
            .sort((a, b) => b[1] - a[1])
            .map(([c, n]) => [c.replace(/_/g, ' '), n]),
        ),
    h('h2', {}, 'Bounces by receiving domain'),
    total === 0
      ? h('p', { class: 'empty' }, 'No bounces in this period.')
      : shareTable('Bounces by receiving domain', 'Domain', [...t.domains.top.map((d): [string, number] => [d.domain, d.count]), ...(t.domains.other > 0 ? [['other domains', t.domains.other] as [string, number]] : [])]),
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
            h('thead', {}, h('tr', {}, ['Day', 'Sends', 'Hard', 'Soft', 'Pending', 'Complaints', 'Unsubscribes'].map((x) => h('th', { scope: 'col' }, x)))),
            h('tbody', {}, active.map(({ d, i }) => h('tr', {}, h('td', {}, d), row(i).map((n) => h('td', {}, n))))),
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
        { label: 'complaints', scale: 'b', stroke: '#8250df', width: 2, dash: [1, 2], points: { show: true, size: 5 } },
        { label: 'unsubscribes', scale: 'b', stroke: '#1a7f37', width: 1, points: { show: true, size: 4, fill: '#1a7f37' } },
      ],
    },
    [t.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000), t.sends, t.bounces.hard, t.bounces.soft, t.bounces.pending, t.complaints, t.unsubscribes],
    chart,
  );
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BOUNCE_TYPES, CATEGORIES, utcDay } from '../../domain/index.js';
import type { RouteContext } from '../context.js';
import { accountId, js, out } from '../schemas.js';

// The dashboard's trends (issue #16): an account's daily sends, bounces by type, complaints
// and unsubscribes over the last days, and its bounces by category and by receiving domain
// (the largest domains, the rest as "other"), as series the charts draw without computing.

const DAY_MS = 86_400_000;
const params = z.object({ id: accountId }).strict();
const query = z
  .object({
    days: z.number().int().min(1).max(366).default(90).describe('how many UTC days, today included'),
    domains: z.number().int().min(1).max(50).default(10).describe('how many receiving domains to name; the rest is counted as other'),
  })
  .strict();

const series = z.array(z.number());
const trends = z.object({
  days: z.array(z.string()).describe('YYYY-MM-DD (UTC), oldest first; every series has one value per day'),
  sends: series,
  bounces: z.object(Object.fromEntries(BOUNCE_TYPES.map((t) => [t, series])) as Record<(typeof BOUNCE_TYPES)[number], typeof series>),
  complaints: series.describe('complaints (feedback reports, the abuse desk) per day'),
  unsubscribes: series.describe('unsubscribes (one-click, mailto, the API) per day'),
  categories: z.object(Object.fromEntries(CATEGORIES.map((c) => [c, z.number()])) as Record<(typeof CATEGORIES)[number], z.ZodNumber>).describe('bounces over the whole period'),
  domains: z
    .object({
      top: z.array(z.object({ domain: z.string(), count: z.number() })).describe('the receiving domains with the most bounces over the period, most first'),
      other: z.number().describe('bounces over the period to every other domain (or with no recipient)'),
    })
    .describe('bounces by receiving domain (the recipient\'s part after the last @)'),
});

export function trendRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.route<{ Params: { id: string }; Querystring: { days: number; domains: number } }>({
    method: 'GET',
    url: '/v1/accounts/:id/trends',
    config: { auth: 'account' },
    schema: {
      summary: "Daily sends, bounces by type, complaints and unsubscribes over the last days; bounces by category and by receiving domain (the dashboard's charts)",
      tags: ['accounts'],
      params: js(params),
      querystring: js(query),
      response: { 200: out(trends) },
    },
    async handler(req) {
      const id = await ctx.accountFor(req, req.params.id);
      const today = Date.parse(`${utcDay(ctx.now())}T00:00:00Z`);
      const since = today - (req.query.days - 1) * DAY_MS;
      const days = Array.from({ length: req.query.days }, (_, i) => utcDay(since + i * DAY_MS));
      const index = new Map(days.map((d, i) => [d, i]));
      const zeros = () => days.map(() => 0);
      const sends = zeros();
      for (const s of await ctx.deps.store.sends.list(id)) {
        const i = index.get(s.day);
        if (i !== undefined) sends[i] += s.count;
      }
      const bounces = Object.fromEntries(BOUNCE_TYPES.map((t) => [t, zeros()])) as Record<(typeof BOUNCE_TYPES)[number], number[]>;
      const categories = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<(typeof CATEGORIES)[number], number>;
      let total = 0;
      for (const b of await ctx.deps.store.bounces.daily(id, since)) {
        const i = index.get(b.day);
        if (i === undefined) continue;
        bounces[b.type][i] += b.count;
        categories[b.category] += b.count;
        total += b.count;
      }
      const complaints = zeros();
      const unsubscribes = zeros();
      for (const r of await ctx.deps.store.reports.daily(id, since)) {
        const i = index.get(r.day);
        if (i !== undefined) (r.kind === 'complaint' ? complaints : unsubscribes)[i] += r.count;
      }
      const top = await ctx.deps.store.bounces.domains(id, since, req.query.domains);
      const other = total - top.reduce((n, d) => n + d.count, 0);
      return { days, sends, bounces, complaints, unsubscribes, categories, domains: { top, other } };
    },
  });
}

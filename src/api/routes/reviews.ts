import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { REVIEW_STATES } from '../../domain/index.js';
import type { RouteContext } from '../context.js';
import { policyApiError } from '../errors.js';
import { accountId, js, out } from '../schemas.js';

// The account review (issue #16): an account held for review (new, or past the monthly volume
// that calls for one: src/policy/rules.ts) has its marketing locked until the deliverability
// team approves the form it submits. The account files the form; the admin sees the open
// reviews and approves or denies each with a reason (audited, and the account is told by
// mail: the policy service does both). The appeal routes are the model.

/** The review states the admin still has to act on: held without a form yet, or with one. */
const OPEN_REVIEW = ['required', 'submitted'] as const;

const idParams = z.object({ id: accountId }).strict();
const formBody = z
  .object({
    contactsSource: z.string().trim().min(1).max(2000).describe('where the contacts came from (sign-up form, purchase, import, ...)'),
    emailPurpose: z.string().trim().min(1).max(2000).describe('what mail the account means to send, and how often'),
    message: z.string().max(10_000).optional().describe('anything else the reviewer should know'),
  })
  .strict();
type FormBody = z.infer<typeof formBody>;
const decisionBody = z.object({ decision: z.enum(['approve', 'deny']), reason: z.string().min(1).max(2000) }).strict();
type DecisionBody = z.infer<typeof decisionBody>;
const listQuery = z
  .object({
    account: accountId.optional().describe('admin: one account; an account key sees only its own'),
    state: z.enum(REVIEW_STATES).optional().describe('admin: default the open ones (required, submitted)'),
  })
  .strict();
type ListQuery = z.infer<typeof listQuery>;

const review = z.object({
  accountId: z.string(),
  review: z.enum(REVIEW_STATES),
  form: z.record(z.string(), z.unknown()).nullable().describe('the form as submitted; null before'),
  updatedAt: z.number().describe('when the account\'s policy state last changed'),
});

export function reviewRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx.deps;
  const toItem = (r: { accountId: string; review: string; reviewForm: Record<string, unknown> | null; updatedAt: number }) => ({
    accountId: r.accountId,
    review: r.review as (typeof REVIEW_STATES)[number],
    form: r.reviewForm,
    updatedAt: r.updatedAt,
  });

  app.route<{ Querystring: ListQuery }>({
    method: 'GET',
    url: '/v1/reviews',
    config: { auth: 'account' },
    schema: {
      summary: 'Account reviews: the admin sees the open ones (or those of one state or account); an account sees its own',
      operationId: 'listReviews',
      tags: ['accounts'],
      querystring: js(listQuery),
      response: { 200: out(z.object({ items: z.array(review) })) },
    },
    async handler(req) {
      const p = req.principal!;
      if (p.admin && req.query.account === undefined) {
        const states = req.query.state ? [req.query.state] : OPEN_REVIEW;
        return { items: (await store.accounts.reviews(states)).map(toItem) };
      }
      const id = await ctx.accountFor(req, req.query.account);
      const s = await store.accounts.state(id);
      const item = toItem({ accountId: id, review: s.review, reviewForm: (s.reviewForm as Record<string, unknown> | null | undefined) ?? null, updatedAt: s.updatedAt });
      return { items: s.review === 'none' || (req.query.state && s.review !== req.query.state) ? [] : [item] };
    },
  });

  app.route<{ Params: { id: string }; Body: FormBody }>({
    method: 'POST',
    url: '/v1/accounts/:id/review',
    config: { auth: 'account' },
    schema: {
      summary: 'Submit the account-review form (the account is held for review; the admin decides)',
      operationId: 'submitReview',
      tags: ['accounts'],
      errors: ['conflict'],
      params: js(idParams),
      body: js(formBody),
      response: { 201: out(review) },
    },
    async handler(req, reply) {
      const id = await ctx.accountFor(req, req.params.id);
      const form: Record<string, unknown> = { contactsSource: req.body.contactsSource, emailPurpose: req.body.emailPurpose };
      if (req.body.message?.trim()) form.message = req.body.message.trim();
      const r = await ctx.policy().submitReview(id, form, ctx.now());
      if (!r.ok) throw policyApiError(r);
      ctx.deps.onEvents?.();
      const s = await store.accounts.state(id);
      return reply.code(201).send(toItem({ accountId: id, review: s.review, reviewForm: form, updatedAt: s.updatedAt }));
    },
  });

  app.route<{ Params: { id: string }; Body: { reason: string } }>({
    method: 'POST',
    url: '/v1/accounts/:id/review/hold',
    config: { auth: 'admin' },
    schema: {
      summary: 'Hold an account for review (admin): marketing locked until its form is approved; audited, the account is told',
      operationId: 'holdForReview',
      tags: ['accounts'],
      params: js(idParams),
      body: js(z.object({ reason: z.string().trim().min(1).max(2000) }).strict()),
      response: { 200: out(z.object({ ok: z.boolean() })) },
    },
    async handler(req) {
      const id = await ctx.accountFor(req, req.params.id);
      await ctx.policy().holdForReview(id, `api:${req.principal!.keyId}`, req.body.reason, ctx.now());
      ctx.deps.onEvents?.();
      return { ok: true };
    },
  });

  app.route<{ Params: { id: string }; Body: DecisionBody }>({
    method: 'POST',
    url: '/v1/accounts/:id/review/decision',
    config: { auth: 'admin' },
    schema: {
      summary: 'Decide an account review: approve (marketing unlocked) or deny, with a reason (admin; audited, the account is told)',
      operationId: 'decideReview',
      tags: ['accounts'],
      params: js(idParams),
      body: js(decisionBody),
      response: { 200: out(z.object({ ok: z.boolean() })) },
    },
    async handler(req) {
      const id = await ctx.accountFor(req, req.params.id);
      const r = await ctx.policy().decideReview(id, req.body.decision, req.body.reason, `api:${req.principal!.keyId}`, ctx.now());
      if (!r.ok) throw policyApiError(r);
      ctx.deps.onEvents?.();
      return { ok: true };
    },
  });
}

import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type onRequestHookHandler } from 'fastify';
import { repeated } from '../log-repeat.js';
import { isStoreError } from '../store/contract.js';
import { Authenticator, RateLimiter, type Principal } from './auth.js';
import { ApiError, policyApiError } from './errors.js';
import { sendError, type ApiDeps, type RouteContext } from './context.js';
import type { PolicyError } from '../policy/errors.js';
import { ClientRateLimiter, rateLimitHeaders } from './rate-limit.js';
import { CSRF_HEADER, sessionIdFrom, Sessions } from './session.js';
import { appealRoutes } from './routes/appeals.js';
// Issue #16, the dashboard's second round: reviews and the admin's views.
import { adminRoutes } from './routes/admin.js';
import { reviewRoutes } from './routes/reviews.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { sessionRoutes } from './routes/session.js';
import { trendRoutes } from './routes/trends.js';
import { campaignRoutes } from './routes/campaigns.js';
import { OpenApiCollector } from './openapi.js';
import { accountRoutes } from './routes/accounts.js';
import { bounceRoutes } from './routes/bounces.js';
import { espRoutes } from './routes/esp.js';
import { softLimitRoutes } from './routes/soft-limits.js';
import { exportRoutes } from './routes/exports.js';
import { opsRoutes } from './routes/ops.js';
import { suppressionRoutes } from './routes/suppressions.js';
import { unsubscribeRoutes } from './routes/unsubscribe.js';
import { webhookRoutes } from './routes/webhooks.js';
import { inboxRoutes } from './routes/inboxes.js';

// build(deps) returns the app without listening: tests call app.inject(), main.ts listens.

export type { ApiDeps, ReadinessCheck, RouteContext } from './context.js';
export { sendError } from './context.js';

export function buildApi(deps: ApiDeps): FastifyInstance {
  const logRequest = (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    // The route pattern, never the URL: /v1/suppressions/:address, not the address.
    deps.log.info(
      { evt: 'HTTP_REQUEST', method: req.method, route: req.routeOptions.url ?? 'unknown', status: reply.statusCode, ms: Math.round(reply.elapsedTime), keyId: req.principal?.keyId },
      'request',
    );
    done();
  };
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // Our own log line per request (logRequest), without the URL: it can hold an address or a token.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (nothing logs through req.log): one allocation less on the hot path.
    childLoggerFactory: (logger) => logger,
    bodyLimit: 1024 * 1024,
    // Unknown query/body properties are errors, not silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    // req.ip is the client, not the proxy, only for requests from the proxies named here.
    trustProxy: deps.trustProxy?.length ? deps.trustProxy : false,
  });
  const now = deps.now ?? Date.now;
  const auth = new Authenticator(deps.store.keys, deps.adminKey ?? '');
  const limiter = new RateLimiter(deps.rateLimit?.perSecond ?? 0, deps.rateLimit?.burst ?? 0);
  const cl = deps.clientLimits;
  const openLimiter = new ClientRateLimiter(cl?.perSecond ?? 0, cl?.burst ?? 0);
  const failureLimiter = new ClientRateLimiter((cl?.authFailuresPerMinute ?? 0) / 60, cl?.authFailuresPerMinute ?? 0);
  /** Takes the client's token for a route without a key; false when it answered 429. */
  const openAllowed = (req: FastifyRequest, reply: FastifyReply): boolean => {
    if (!openLimiter.enabled) return true;
    const state = openLimiter.check(req.ip, now());
    reply.headers(rateLimitHeaders(state));
    if (state.allowed) return true;
    deps.metrics?.httpRateLimited.inc();
    sendError(reply, 'rate_limited', 'Too many requests from this address; retry after the time in Retry-After');
    return false;
  };
  const openHook: onRequestHookHandler = (req, reply, done) => {
    if (openAllowed(req, reply)) done();
  };
  const openapi = new OpenApiCollector();
  // Authentication and the rate limit, for routes that need a key. Chosen once per route when
  // it is registered (onRoute below), not per request through req.routeOptions, which builds
  // a new object on every access.
  const authHook =
    (need: 'account' | 'admin'): onRequestHookHandler =>
    (req, reply, done) => {
      const t = now();
      // A client past its failed authentications is not heard until its bucket refills
      // (a key guessed meanwhile would otherwise tell itself apart from the wrong ones).
      if (failureLimiter.enabled) {
        const state = failureLimiter.check(req.ip, t, false);
        if (!state.allowed) {
          deps.metrics?.httpRateLimited.inc();
          return void sendError(reply.headers(rateLimitHeaders(state)), 'rate_limited', 'Too many failed authentications from this address; retry after the time in Retry-After');
        }
      }
      const authorized = (principal: Principal | null) => {
        if (!principal) {
          if (failureLimiter.enabled) reply.headers(rateLimitHeaders(failureLimiter.check(req.ip, t)));
          return void sendError(reply, 'unauthorized');
        }
        if (need === 'admin' && !principal.admin) return void sendError(reply, 'forbidden');
        // The key's bucket in the RateLimit-* fields of every answer, refused or not.
        const state = limiter.takeState(principal.keyId, t);
        if (state) reply.headers(rateLimitHeaders(state));
        if (state && !state.allowed) {
          deps.metrics?.httpRateLimited.inc();
          return void sendError(reply, 'rate_limited');
        }
        req.principal = principal;
        done();
      };
      // The dashboard: no Authorization header but the session cookie (its own CSRF check).
      if (req.headers.authorization === undefined) {
        const sid = sessionIdFrom(req.headers.cookie);
        if (sid !== null) {
          sessions.check(sid, req.method, req.headers[CSRF_HEADER], t).then((r) => {
            if (r.ok) {
              req.dashSession = { id: sid, session: r.session };
              return authorized(r.principal);
            }
            if (r.code === 'csrf_rejected') {
              deps.log.warn({ evt: 'HTTP_CSRF_REJECTED', method: req.method, route: req.routeOptions.url }, 'state-changing dashboard request without its CSRF token');
              return void sendError(reply, 'csrf_rejected');
            }
            authorized(null);
          }, (err: unknown) => done(err as Error));
          return;
        }
      }
      // A key seen lately is answered from memory (the hot path: no promise); else one read.
      const known = auth.cached(req.headers.authorization, t);
      if (known !== undefined) return authorized(known);
      auth.authenticate(req.headers.authorization, t).then(authorized, (err: unknown) => done(err as Error));
    };
  const authHooks = { account: authHook('account'), admin: authHook('admin') };
  const observe = deps.metrics?.observeHttp;
  app.addHook('onRoute', (route) => {
    openapi.add(route);
    // The request time of every route (the hot path too), labelled with its pattern fixed here.
    if (observe) {
      const url = route.url;
      const timed = (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
        observe(url, req.method, reply.statusCode, reply.elapsedTime / 1000);
        done();
      };
      route.onResponse = [...[route.onResponse ?? []].flat(), timed];
    }
    const need = route.config?.auth ?? 'none';
    // First of the route's own hooks: nothing runs for a request without a valid key.
    if (need === 'account' || need === 'admin') route.onRequest = [authHooks[need], ...[route.onRequest ?? []].flat()];
    else if (need === 'provider') route.onRequest = [route.onRequest ?? []].flat();
    else route.onRequest = [openHook, ...[route.onRequest ?? []].flat()];
    // One log line per request, except on quiet routes (the hot path, health probes).
    if (!route.config?.quiet) route.onResponse = [...[route.onResponse ?? []].flat(), logRequest];
  });
  app.decorateRequest('principal', null);
  app.decorateRequest('dashSession', null);
  const sessions = new Sessions(deps.store.sessions, deps.adminKey ?? '');

  const accountExists = (id: string): Promise<boolean> => deps.store.accounts.exists(id);
  const accountNamed = (req: FastifyRequest, requested: string | undefined): string => {
    const p = req.principal!;
    if (!p.admin) {
      if (requested !== undefined && requested !== p.accountId) throw new ApiError('not_found');
      return p.accountId!;
    }
    if (requested === undefined) throw new ApiError('validation_failed', 'account is required with an admin key', 'account');
    return requested;
  };
  const ctx: RouteContext = {
    deps,
    auth,
    now,
    openapi,
    policy() {
      if (!deps.policy) throw new ApiError('policy_unavailable');
      return deps.policy;
    },
    accountNamed,
    async accountFor(req, requested) {
      const id = accountNamed(req, requested);
      if (req.principal!.admin && !(await accountExists(id))) throw new ApiError('not_found', 'No such account');
      return id;
    },
    accountExists,
    sessions,
    authFailures: {
      blocked(req, reply) {
        if (!failureLimiter.enabled) return false;
        const state = failureLimiter.check(req.ip, now(), false);
        if (state.allowed) return false;
        deps.metrics?.httpRateLimited.inc();
        sendError(reply.headers(rateLimitHeaders(state)), 'rate_limited', 'Too many failed authentications from this address; retry after the time in Retry-After');
        return true;
      },
      failed(req, reply) {
        if (failureLimiter.enabled) reply.headers(rateLimitHeaders(failureLimiter.check(req.ip, now())));
      },
    },
  };

  app.setErrorHandler((err: Error & { validation?: unknown; validationContext?: string; statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof ApiError) return sendError(reply, err.code, err.message, err.field);
    if (err.name === 'PolicyError') {
      // The policy service's stable codes (account_exists, invalid_tier, ...): the caller's mistake.
      const mapped = policyApiError(err as PolicyError);
      return sendError(reply, mapped.code, mapped.message);
    }
    if (err.validation) {
      const [first] = err.validation as Array<{ instancePath: string; message?: string; params?: Record<string, unknown> }>;
      const path = [first?.instancePath.slice(1).replace(/\//g, '.'), first?.params?.missingProperty ?? first?.params?.additionalProperty]
        .filter((s) => s !== undefined && s !== '')
        .join('.');
      const field = [err.validationContext === 'body' ? '' : err.validationContext, path].filter(Boolean).join('.') || err.validationContext;
      const what = first?.params?.additionalProperty ? 'is not a known field' : (first?.message ?? 'is not valid');
      return sendError(reply, 'validation_failed', `${field} ${what}`, field);
    }
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, 'payload_too_large');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 'unsupported_media_type');
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // Malformed JSON and the like: the parser's message names no secret.
      return sendError(reply, 'validation_failed', err.message);
    }
    if (isStoreError(err) && err.temporary) {
      // Locked past the busy timeout, unreachable, read-only, full: the same request may work later.
      repeated.log(deps.log, 'warn', { evt: 'HTTP_STORE_UNAVAILABLE', route: req.routeOptions.url, code: err.code, err }, 'the store could not answer; 503', `HTTP_STORE_UNAVAILABLE:${err.code}`);
      return sendError(reply.header('retry-after', '1'), 'store_unavailable');
    }
    repeated.log(deps.log, 'error', { evt: 'HTTP_FAILED', route: req.routeOptions.url, err }, 'request failed', `HTTP_FAILED:${req.routeOptions.url}`);
    return sendError(reply, 'internal');
  });
  app.setNotFoundHandler((req, reply) => {
    if (openAllowed(req, reply)) sendError(reply, 'not_found');
  });

  opsRoutes(app, ctx);
  suppressionRoutes(app, ctx);
  bounceRoutes(app, ctx);
  accountRoutes(app, ctx);
  webhookRoutes(app, ctx);
  inboxRoutes(app, ctx);
  unsubscribeRoutes(app, ctx);
  espRoutes(app, ctx);
  softLimitRoutes(app, ctx);
  exportRoutes(app, ctx);
  // Issue #16: the dashboard's sign-in, the admin's appeals list, the static app.
  sessionRoutes(app, ctx);
  appealRoutes(app, ctx);
  trendRoutes(app, ctx);
  campaignRoutes(app, ctx);
  // Issue #16, second round: the account review, the admin's global suppressions, webhook failures, accounts with health.
  reviewRoutes(app, ctx);
  adminRoutes(app, ctx);
  dashboardRoutes(app, ctx);
  return app;
}

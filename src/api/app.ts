import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type onRequestHookHandler } from 'fastify';
import { repeated } from '../log-repeat.js';
import { isStoreError } from '../store/contract.js';
import { Authenticator, RateLimiter, type Principal } from './auth.js';
import { ApiError, policyApiError, type ErrorCode } from './errors.js';
import { KeyCheck, type Sink } from './key-check.js';
import { presendFastPath, ROUTER_MAX_PARAM_LENGTH, type ErrorAnswer } from './presend-fast.js';
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
import { presendCheck, suppressionRoutes } from './routes/suppressions.js';
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
  // The pre-send check's fast path (./presend-fast.ts) sees each request before fastify's
  // handler; set once the routes are built, off behind a trusted proxy (req.ip would need
  // fastify's X-Forwarded-For reading) and while the app closes (fastify answers 503).
  let fast: ((req: IncomingMessage, res: ServerResponse) => boolean) | null = null;
  const app = Fastify({
    // Fastify's own server (lib/server.js, HTTP/1), with the fast path in front of its handler.
    serverFactory: (handler, opts) => {
      const server = createServer(opts.http ?? {}, (req, res) => {
        if (fast === null || !fast(req, res)) handler(req, res);
      });
      // What fastify sets on the server it makes (its defaults filled in before this call).
      const o = opts as { keepAliveTimeout?: unknown; requestTimeout?: unknown; connectionTimeout?: unknown; maxRequestsPerSocket?: unknown };
      if (typeof o.keepAliveTimeout === 'number') server.keepAliveTimeout = o.keepAliveTimeout;
      if (typeof o.requestTimeout === 'number') server.requestTimeout = o.requestTimeout;
      if (typeof o.connectionTimeout === 'number') server.setTimeout(o.connectionTimeout);
      if (typeof o.maxRequestsPerSocket === 'number' && o.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = o.maxRequestsPerSocket;
      return server;
    },
    loggerInstance: deps.log as FastifyBaseLogger,
    // Our own log line per request (logRequest), without the URL: it can hold an address or a token.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (nothing logs through req.log): one allocation less on the hot path.
    childLoggerFactory: (logger) => logger,
    bodyLimit: 1024 * 1024,
    // a path parameter may be a whole address, percent-encoded (./presend-fast.ts)
    routerOptions: { maxParamLength: ROUTER_MAX_PARAM_LENGTH },
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
  const keys = new KeyCheck(limiter, failureLimiter, deps.metrics);
  /** How the key check answers through fastify's reply. */
  const replySink: Sink<FastifyReply> = {
    headers: (reply, h) => void reply.headers(h),
    refuse: (reply, code: ErrorCode, message?: string) => void sendError(reply, code, message),
  };
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
      if (keys.blocked(req.ip, t, reply, replySink)) return;
      const authorized = (found: Principal | null) => {
        const principal = keys.admit(found, need, req.ip, t, reply, replySink);
        if (principal === null) return;
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
  const accountOf = (p: Principal, requested: string | undefined): string => {
    if (!p.admin) {
      if (requested !== undefined && requested !== p.accountId) throw new ApiError('not_found');
      return p.accountId!;
    }
    if (requested === undefined) throw new ApiError('validation_failed', 'account is required with an admin key', 'account');
    return requested;
  };
  const accountNamed = (req: FastifyRequest, requested: string | undefined): string => accountOf(req.principal!, requested);
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
    accountOf,
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

  /**
   * The answer to an error a route threw (or its hooks passed on): ours and the policy's by
   * their codes, ajv's as validation_failed naming the field, the store's temporary ones 503
   * (logged), anything else 500 (logged). Shared with the pre-send fast path.
   */
  const errorAnswer = (
    err: Error & { validation?: unknown; validationContext?: string; statusCode?: number; code?: string },
    route: string | undefined,
  ): ErrorAnswer => {
    if (err instanceof ApiError) return { code: err.code, message: err.message, field: err.field };
    if (err.name === 'PolicyError') {
      // The policy service's stable codes (account_exists, invalid_tier, ...): the caller's mistake.
      const mapped = policyApiError(err as PolicyError);
      return { code: mapped.code, message: mapped.message };
    }
    if (err.validation) {
      const [first] = err.validation as Array<{ instancePath: string; message?: string; params?: Record<string, unknown> }>;
      const path = [first?.instancePath.slice(1).replace(/\//g, '.'), first?.params?.missingProperty ?? first?.params?.additionalProperty]
        .filter((s) => s !== undefined && s !== '')
        .join('.');
      const field = [err.validationContext === 'body' ? '' : err.validationContext, path].filter(Boolean).join('.') || err.validationContext;
      const what = first?.params?.additionalProperty ? 'is not a known field' : (first?.message ?? 'is not valid');
      return { code: 'validation_failed', message: `${field} ${what}`, field };
    }
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return { code: 'payload_too_large' };
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return { code: 'unsupported_media_type' };
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // Malformed JSON and the like: the parser's message names no secret.
      return { code: 'validation_failed', message: err.message };
    }
    if (isStoreError(err) && err.temporary) {
      // Locked past the busy timeout, unreachable, read-only, full: the same request may work later.
      repeated.log(deps.log, 'warn', { evt: 'HTTP_STORE_UNAVAILABLE', route, code: err.code, err }, 'the store could not answer; 503', `HTTP_STORE_UNAVAILABLE:${err.code}`);
      return { code: 'store_unavailable', headers: { 'retry-after': '1' } };
    }
    repeated.log(deps.log, 'error', { evt: 'HTTP_FAILED', route, err }, 'request failed', `HTTP_FAILED:${route}`);
    return { code: 'internal' };
  };
  app.setErrorHandler((err: Error, req, reply) => {
    const a = errorAnswer(err, req.routeOptions.url);
    if (a.headers) reply.headers(a.headers);
    return sendError(reply, a.code, a.message, a.field);
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

  if (deps.presendFastPath !== false && !deps.trustProxy?.length) {
    const fastPath = presendFastPath({
      auth,
      keys,
      now,
      check: (principal, address, query) => presendCheck(ctx, principal, address, query),
      // fastify hands its error handler an Error whatever was thrown; so does this.
      errorAnswer: (err, route) => errorAnswer(err instanceof Error ? err : new Error(String(err)), route),
      observe,
    });
    app.addHook('onReady', (done) => {
      fast = fastPath;
      done();
    });
    app.addHook('preClose', (done) => {
      fast = null;
      done();
    });
  }
  return app;
}

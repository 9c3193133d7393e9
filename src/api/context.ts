// What the API's routes share, apart from the app that registers them: the dependencies
// (ApiDeps), the request context every route module gets (RouteContext), the error answer
// (sendError), and fastify's request and route-config fields. Route modules import this,
// never ./app.ts (issue #18), so a route can be registered and tested without the whole app.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { PolicyService } from '../policy/contract.js';
import type { DashboardSession, Store } from '../store/contract.js';
import type { Authenticator, Principal } from './auth.js';
import { ApiError, errorBody, type ErrorCode } from './errors.js';
import type { OpenApiCollector } from './openapi.js';
import type { Sessions } from './session.js';
import type { EspDeps } from './routes/esp.js';
import type { InboxApiDeps } from './routes/inboxes.js';

export interface ReadinessCheck {
  ok: boolean;
  /** Why not (said by /readyz). */
  reason?: string;
  /** What /readyz shows of a check besides ok (e.g. the connected inboxes in error). */
  detail?: Record<string, unknown>;
}

export interface ApiDeps {
  store: Store;
  log: Logger;
  /** True while the SMTP listener is bound. */
  smtpListening: () => boolean;
  /** True while the log tailer runs; null when no tailing is configured. */
  tailing?: (() => boolean) | null;
  /** The daemon's readiness checks by name (database, smtp, tailer); replaces the simple ones above. */
  readiness?: () => Promise<Record<string, ReadinessCheck>>;
  /** Accounts, suppressions, health, appeals; its routes answer 503 while it is absent. */
  policy?: PolicyService | null;
  /** Connected inboxes (issue #17): the credential keys and the syncing service; absent: 503. */
  inboxes?: InboxApiDeps | null;
  /** The admin key (config adminKey); empty: no admin access. */
  adminKey?: string;
  metrics?: Metrics | null;
  /** Called after a change that wrote events (wakes the webhook dispatcher). */
  onEvents?: () => void;
  /** Webhook URLs may name loopback and private addresses (config http.webhookAllowPrivateDestinations). */
  webhookAllowPrivateDestinations?: boolean;
  /** Per key; perSecond 0 turns limiting off. */
  rateLimit?: { perSecond: number; burst: number };
  /**
   * Per client address (./rate-limit.ts): requests to routes that need no key, and failed
   * authentications (past the limit a key is not even tried). 0 turns each off; absent: off.
   */
  clientLimits?: { perSecond: number; burst: number; authFailuresPerMinute: number };
  /** Reverse proxies (addresses, CIDR ranges) whose X-Forwarded-For names the client. */
  trustProxy?: string[];
  /** Sending providers' signed events (issue #19); absent: every endpoint answers 404. */
  esp?: EspDeps | null;
  now?: () => number;
  /**
   * The pre-send check's fast path in front of fastify (./presend-fast.ts); false: every
   * request goes through fastify (tests compare the two). On by default; off behind trustProxy.
   */
  presendFastPath?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Set when the request was authenticated by the dashboard's session cookie (src/api/session.ts). */
    dashSession: { id: string; session: DashboardSession } | null;
  }
  /** OpenAPI fields beside the validation schemas (src/api/openapi.ts reads them). */
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: string[];
    hide?: boolean;
    consumes?: string[];
    produces?: string[];
    /** The OpenAPI operationId (default: derived from the method and path, ./openapi.ts). */
    operationId?: string;
    /** Error codes the route answers beyond those of every route of its kind (./openapi.ts). */
    errors?: ErrorCode[];
  }
  interface FastifyContextConfig {
    /**
     * Who may call the route: nobody needs a key (none), any key (account), the admin; a
     * sending provider (provider: verified by the route itself, which limits its refusals).
     */
    auth?: 'none' | 'account' | 'admin' | 'provider';
    /** No request log line (the hot path). */
    quiet?: boolean;
  }
}

/** What route modules get: the deps and the request helpers every route shares. */
export interface RouteContext {
  deps: ApiDeps;
  auth: Authenticator;
  now: () => number;
  openapi: OpenApiCollector;
  /** The policy service, or a 503 when it is not wired. */
  policy(): PolicyService;
  /**
   * The account a request acts for. An account key acts for its own account only: naming
   * another answers 404 (as if it did not exist). The admin key must name an existing one.
   */
  accountFor(req: FastifyRequest, requested: string | undefined): Promise<string>;
  /**
   * The same without the admin's existence check (the caller reads the account anyway and
   * answers 404 itself when it is missing: the pre-send check, one read instead of two).
   */
  accountNamed(req: FastifyRequest, requested: string | undefined): string;
  /** accountNamed for a principal (the pre-send fast path has no fastify request). */
  accountOf(principal: Principal, requested: string | undefined): string;
  /** True when the account exists. */
  accountExists(id: string): Promise<boolean>;
  /** Dashboard sessions (cookie sign-in). */
  sessions: Sessions;
  /**
   * The per-client limit on failed authentications, for routes that check a key themselves
   * (sign-in): `blocked` answers 429 and returns true past the limit; `failed` counts one.
   */
  authFailures: { blocked(req: FastifyRequest, reply: FastifyReply): boolean; failed(req: FastifyRequest, reply: FastifyReply): void };
}

export function sendError(reply: FastifyReply, code: ErrorCode, message?: string, field?: string): FastifyReply {
  const err = new ApiError(code, message, field);
  return reply.code(err.status).send(errorBody(code, err.message, field));
}

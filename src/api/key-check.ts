import type { Metrics } from '../metrics.js';
import type { Principal, RateLimiter } from './auth.js';
import type { ErrorCode } from './errors.js';
import { rateLimitHeaders, type ClientRateLimiter } from './rate-limit.js';

// What a request with a key goes through before its route runs: the client's failed
// authentications, the key's principal and what it may do, the key's rate limit. One module
// for both ways in: fastify's onRequest hook (./app.ts) and the pre-send check's fast path
// (./presend-fast.ts), so the two answer the same refusals with the same fields.
//
// The answer is written through a Sink, a constant object of functions taking the target
// (fastify's reply, or Node's ServerResponse): no object is made per request for it.

export interface Sink<T> {
  /** Adds response header fields. */
  headers(target: T, h: Record<string, string>): void;
  /** Answers the error (the registry's status and body, ./errors.ts). */
  refuse(target: T, code: ErrorCode, message?: string): void;
}

const BLOCKED = 'Too many failed authentications from this address; retry after the time in Retry-After';

export class KeyCheck {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly failureLimiter: ClientRateLimiter,
    private readonly metrics: Pick<Metrics, 'httpRateLimited'> | null | undefined,
  ) {}

  /**
   * A client past its failed authentications is not heard until its bucket refills (a key
   * guessed meanwhile would otherwise tell itself apart from the wrong ones): true when it
   * was answered 429.
   */
  blocked<T>(ip: string, t: number, target: T, sink: Sink<T>): boolean {
    if (!this.failureLimiter.enabled) return false;
    const state = this.failureLimiter.check(ip, t, false);
    if (state.allowed) return false;
    this.metrics?.httpRateLimited.inc();
    sink.headers(target, rateLimitHeaders(state));
    sink.refuse(target, 'rate_limited', BLOCKED);
    return true;
  }

  /**
   * The principal when the request may go on; null when it was answered (no key or an
   * unknown one: 401 and one failed authentication counted; an account key on an admin
   * route: 403; the key past its rate limit: 429). The key's bucket goes in the RateLimit-*
   * fields of every answer, refused or not.
   */
  admit<T>(principal: Principal | null, need: 'account' | 'admin', ip: string, t: number, target: T, sink: Sink<T>): Principal | null {
    if (!principal) {
      if (this.failureLimiter.enabled) sink.headers(target, rateLimitHeaders(this.failureLimiter.check(ip, t)));
      sink.refuse(target, 'unauthorized');
      return null;
    }
    if (need === 'admin' && !principal.admin) {
      sink.refuse(target, 'forbidden');
      return null;
    }
    const state = this.limiter.takeState(principal.keyId, t);
    if (state) sink.headers(target, rateLimitHeaders(state));
    if (state && !state.allowed) {
      this.metrics?.httpRateLimited.inc();
      sink.refuse(target, 'rate_limited');
      return null;
    }
    return principal;
  }
}

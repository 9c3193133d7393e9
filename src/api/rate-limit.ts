import { clientKey } from '../client-address.js';

// Per-client limits of the routes nobody needs a key for (unsubscribe, health, metrics, the
// OpenAPI document, unknown URLs) and of failed authentications. A token bucket per client
// (an IPv4 address or an IPv6 /64: ../client-address.ts); the answer carries the bucket's
// state in the RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset fields of the IETF
// draft (draft-ietf-httpapi-ratelimit-headers), and a refusal Retry-After (RFC 9110 §10.2.3).
// At most `maxClients` buckets are kept: the least recently used one goes first, so a flood
// from many addresses costs bounded memory (an evicted client starts again with a full bucket).

export interface BucketState {
  allowed: boolean;
  /** The burst: what a client may do at once. */
  limit: number;
  /** Requests left now. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** When refused: seconds until the next request is allowed. */
  retryAfterSeconds: number;
}

export class ClientRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    /** Tokens per second; 0 turns the limit off. */
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxClients = 10_000,
  ) {}

  get enabled(): boolean {
    return this.perSecond > 0;
  }

  /** Takes a token for the client (when `take`), or only reads its bucket. */
  check(address: string, now: number, take = true): BucketState {
    const key = clientKey(address);
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key); // re-inserted below: most recently used last
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.perSecond) / 1000);
      b.at = now;
    } else {
      b = { tokens: this.burst, at: now };
      if (this.buckets.size >= this.maxClients) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(key, b);
    const allowed = b.tokens >= 1;
    if (allowed && take) b.tokens -= 1;
    return {
      allowed,
      limit: this.burst,
      remaining: Math.floor(b.tokens),
      resetSeconds: Math.ceil((this.burst - b.tokens) / this.perSecond),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond)),
    };
  }
}

/** The response header fields of a bucket's state. */
export function rateLimitHeaders(s: BucketState): Record<string, string> {
  const h: Record<string, string> = {
    'ratelimit-limit': String(s.limit),
    'ratelimit-remaining': String(s.remaining),
    'ratelimit-reset': String(s.resetSeconds),
  };
  if (!s.allowed) h['retry-after'] = String(s.retryAfterSeconds);
  return h;
}

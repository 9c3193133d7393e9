// A namespace import: crypto.hash is looked up at run time (a named import of it would not link on Node < 20.12).
import * as crypto from 'node:crypto';
import type { ApiStore } from '../store/sqlite-api.js';

// API keys: `Authorization: Bearer <key>`. The admin key comes from config (adminKey); account
// keys are random 32-byte keys stored as their sha256. A presented key is hashed and looked
// up by its hash, then the hashes are compared in constant time; results are kept in a small
// LRU (hash -> principal) so the hot path does no SQL for auth. Revoking through the API
// clears the cache; an entry is also looked up again after CACHE_TTL_MS, so a key revoked by
// another process (`bounced keys revoke`) stops working within that time.

export interface Principal {
  /** `admin` for the configured admin key, else the key's id. */
  keyId: string;
  /** The account the key acts for; null for admin keys. */
  accountId: string | null;
  admin: boolean;
}

// A key is hashed on every request (the pre-send check is the hot path): crypto.hash (Node
// >= 20.12) makes no Hash object per call; older Node 20 releases get createHash.
const sha256: (s: string) => Buffer =
  typeof crypto.hash === 'function' ? (s) => crypto.hash('sha256', s, 'buffer') : (s) => crypto.createHash('sha256').update(s).digest();
export const CACHE_TTL_MS = 30_000;

export class Authenticator {
  private readonly adminHash: Buffer | null;
  private readonly cache = new Map<string, { principal: Principal; at: number }>();

  constructor(
    private readonly repo: ApiStore,
    adminKey: string,
    private readonly cacheSize = 10_000,
  ) {
    this.adminHash = adminKey ? sha256(adminKey) : null;
  }

  /** The principal of an Authorization header, or null (missing, malformed, unknown, revoked). */
  authenticate(header: string | undefined, now = Date.now()): Principal | null {
    if (!header || header.length > 512 || !header.startsWith('Bearer ')) return null;
    const key = header.slice(7).trim();
    if (!key) return null;
    const hash = sha256(key);
    // Equal-length digests: the comparison time says nothing about the admin key.
    if (this.adminHash && crypto.timingSafeEqual(hash, this.adminHash)) return ADMIN;
    const hex = hash.toString('hex');
    const hit = this.cache.get(hex);
    if (hit && now - hit.at < CACHE_TTL_MS) {
      // Least recently used goes first: move the hit to the end.
      this.cache.delete(hex);
      this.cache.set(hex, hit);
      return hit.principal;
    }
    this.cache.delete(hex);
    const row = this.repo.findKeyByHash(hex);
    if (!row || row.revokedAt !== null || !crypto.timingSafeEqual(Buffer.from(row.hash, 'hex'), hash)) return null;
    const principal: Principal = { keyId: row.id, accountId: row.accountId, admin: row.accountId === null };
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(hex, { principal, at: now });
    return principal;
  }

  /** Forget cached keys (after a revocation). */
  invalidate(): void {
    this.cache.clear();
  }
}

const ADMIN: Principal = Object.freeze({ keyId: 'admin', accountId: null, admin: true });

/** Token bucket per key: `perSecond` sustained, `burst` at once. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  /** Takes one token; returns 0 when allowed, else the seconds to wait. */
  take(keyId: string, now: number): number {
    if (this.perSecond <= 0) return 0;
    let b = this.buckets.get(keyId);
    if (!b) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(keyId, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.perSecond) / 1000);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond));
  }
}

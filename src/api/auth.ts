// A namespace import: crypto.hash is looked up at run time (a named import of it would not link on Node < 20.12).
import * as crypto from 'node:crypto';
import type { ApiKeyRecord, KeyRepo } from '../store/contract.js';
import type { BucketState } from './rate-limit.js';

// API keys: `Authorization: Bearer <key>`. The admin key comes from config (adminKey); account
// keys are random 32-byte keys stored as their sha256 (newKey, hashKey: made here, never by the
// store). A presented key is hashed and looked up by its hash, then the hashes are compared in
// constant time; results are kept in a small LRU (hash -> principal) so the hot path does no
// SQL (and no promise) for auth. Revoking through the API
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

/** sha256 (hex) of an API key: what is stored and looked up. */
export function hashKey(key: string): string {
  return sha256(key).toString('hex');
}

/** A new API key: `bnd_` + 32 random bytes (base64url). */
export function newKey(): string {
  return `bnd_${crypto.randomBytes(32).toString('base64url')}`;
}

/** The part of a key stored to tell keys apart in listings (never enough to use it). */
const KEY_PREFIX_CHARS = 12;

/** Creates an API key for an account (or an admin key: null); the key itself is returned here and never again. */
export async function createApiKey(keys: Pick<KeyRepo, 'insert'>, accountId: string | null, name: string | null, now: number): Promise<{ record: ApiKeyRecord; key: string }> {
  const key = newKey();
  const id = `key_${crypto.randomBytes(8).toString('hex')}`;
  const record = await keys.insert({ id, accountId, hash: hashKey(key), prefix: key.slice(0, KEY_PREFIX_CHARS), name }, now);
  return { record, key };
}

export class Authenticator {
  private readonly adminHash: Buffer | null;
  private readonly cache = new Map<string, { principal: Principal; at: number }>();

  constructor(
    private readonly keys: Pick<KeyRepo, 'findByHash'>,
    adminKey: string,
    private readonly cacheSize = 10_000,
  ) {
    this.adminHash = adminKey ? sha256(adminKey) : null;
  }

  /**
   * The principal of an Authorization header when it is known without a read: null for a
   * missing or malformed header, the admin, a key seen within CACHE_TTL_MS; undefined when
   * the store must be asked (authenticate).
   */
  cached(header: string | undefined, now = Date.now()): Principal | null | undefined {
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
    return undefined;
  }

  /** The principal of an Authorization header, or null (missing, malformed, unknown, revoked). */
  async authenticate(header: string | undefined, now = Date.now()): Promise<Principal | null> {
    const known = this.cached(header, now);
    if (known !== undefined) return known;
    const hash = sha256(header!.slice(7).trim());
    const hex = hash.toString('hex');
    this.cache.delete(hex);
    const row = await this.keys.findByHash(hex);
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
    return this.takeState(keyId, now)?.retryAfterSeconds ?? 0;
  }

  /**
   * Takes one token and says the bucket's state (for the RateLimit-* fields of every answer:
   * ./rate-limit.ts); null while limiting is off.
   */
  takeState(keyId: string, now: number): BucketState | null {
    if (this.perSecond <= 0) return null;
    let b = this.buckets.get(keyId);
    if (!b) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(keyId, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.perSecond) / 1000);
      b.at = now;
    }
    const allowed = b.tokens >= 1;
    if (allowed) b.tokens -= 1;
    return {
      allowed,
      limit: this.burst,
      remaining: Math.floor(b.tokens),
      resetSeconds: Math.ceil((this.burst - b.tokens) / this.perSecond),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond)),
    };
  }
}

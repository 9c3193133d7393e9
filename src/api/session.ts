import * as crypto from 'node:crypto';
import type { DashboardSession, SessionRepo } from '../store/contract.js';
import type { Principal } from './auth.js';

// Dashboard sign-in (issue #16): an API key is exchanged once for a session whose id travels
// only in an HttpOnly, SameSite=Strict cookie: the key is never kept by the browser (no URL,
// no local storage). The store keeps the sha256 of the id, never the id.
//
// CSRF: SameSite=Strict already keeps the cookie off cross-site requests in current browsers;
// state-changing requests must also echo the session's token in X-CSRF-Token (the
// synchronizer-token pattern of the OWASP CSRF cheat sheet), which another origin cannot read:
// the page gets it from GET /v1/session, a same-origin JSON answer (the API sends no CORS
// headers). Requests with `Authorization: Bearer` are not cookie-borne and need no token.

export const SESSION_COOKIE = 'bounced_session';
/** A session lasts this long from sign-in, however active (a work day). */
export const SESSION_TTL_MS = 8 * 3_600_000;
export const CSRF_HEADER = 'x-csrf-token';
/** Methods that change nothing (RFC 9110 §9.2.1 safe methods): no CSRF token needed. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const sha256hex = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');

/** What names the config's admin key in a session row without revealing it: a changed key ends old admin sessions. */
export function adminKeyId(adminKey: string): string {
  return `admin:${sha256hex(`bounced-admin-session:${adminKey}`).slice(0, 16)}`;
}

/**
 * The session id in a Cookie header (RFC 6265 §5.4: `name=value` pairs separated by `; `),
 * or null. Bounded: a header past 8 KiB or a value not shaped like ours is ignored.
 */
export function sessionIdFrom(cookieHeader: string | undefined): string | null {
  if (!cookieHeader || cookieHeader.length > 8192) return null;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const v = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{43}$/.test(v) ? v : null;
  }
  return null;
}

/** The Set-Cookie value: Secure when the request came over TLS (directly or via a trusted proxy). */
export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return [`${SESSION_COOKIE}=${id}`, 'Path=/', `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].join('; ');
}

export type SessionCheck =
  | { ok: true; principal: Principal; session: DashboardSession }
  | { ok: false; code: 'unauthorized' | 'csrf_rejected' };

export class Sessions {
  private readonly adminId: string | null;

  constructor(
    private readonly repo: SessionRepo,
    adminKey: string,
  ) {
    this.adminId = adminKey ? adminKeyId(adminKey) : null;
  }

  /** Opens a session for an authenticated key; returns the cookie's value and the session. */
  async open(principal: Principal, now: number): Promise<{ id: string; session: DashboardSession }> {
    const id = crypto.randomBytes(32).toString('base64url');
    const session: DashboardSession = {
      keyId: principal.admin ? this.adminId! : principal.keyId,
      accountId: principal.admin ? null : principal.accountId,
      csrf: crypto.randomBytes(32).toString('base64url'),
      createdAt: now,
      expiresAt: now + SESSION_TTL_MS,
    };
    // Expired rows go at each sign-in (one indexed delete): the table holds live sessions only.
    await this.repo.prune(now);
    await this.repo.insert(sha256hex(id), session);
    return { id, session };
  }

  /**
   * The principal of a cookie-borne request: unauthorized for an unknown, expired or revoked
   * session (or an admin session after the admin key changed); csrf_rejected for a
   * state-changing request without the session's token.
   */
  async check(id: string, method: string, csrfHeader: string | string[] | undefined, now: number): Promise<SessionCheck> {
    const session = await this.repo.find(sha256hex(id), now);
    if (!session) return { ok: false, code: 'unauthorized' };
    let principal: Principal;
    if (session.accountId === null) {
      if (this.adminId === null || session.keyId !== this.adminId) return { ok: false, code: 'unauthorized' };
      principal = ADMIN;
    } else {
      principal = { keyId: session.keyId, accountId: session.accountId, admin: false };
    }
    if (!SAFE_METHODS.has(method) && !sameToken(typeof csrfHeader === 'string' ? csrfHeader : '', session.csrf)) {
      return { ok: false, code: 'csrf_rejected' };
    }
    return { ok: true, principal, session };
  }

  /** Sign-out. */
  close(id: string): Promise<boolean> {
    return this.repo.delete(sha256hex(id));
  }
}

/** Compared through their digests: equal lengths, constant time, whatever was sent. */
function sameToken(sent: string, expected: string): boolean {
  if (!sent) return false;
  return crypto.timingSafeEqual(crypto.createHash('sha256').update(sent).digest(), crypto.createHash('sha256').update(expected).digest());
}

const ADMIN: Principal = Object.freeze({ keyId: 'admin', accountId: null, admin: true });

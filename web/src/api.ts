// The one way the dashboard talks to the daemon: the same /v1 API the applications use, with
// the session cookie (sent by the browser, HttpOnly: this code never sees it) and, on every
// state-changing request, the session's CSRF token.

export interface Session {
  accountId: string | null;
  admin: boolean;
  csrf: string;
  expiresAt: number;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let session: Session | null = null;
let onSignedOut: () => void = () => {};

export const current = (): Session | null => session;
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown, raw = false): Promise<T> {
  const headers: Record<string, string> = { accept: raw ? '*/*' : 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session) headers['x-csrf-token'] = session.csrf;
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
  if (r.status === 401 && !path.startsWith('/v1/session')) {
    session = null;
    onSignedOut();
  }
  if (!r.ok) {
    let code = 'http_' + r.status;
    let message = r.statusText;
    try {
      const e = (await r.json()) as { error?: { code: string; message: string } };
      if (e.error) ({ code, message } = e.error);
    } catch {
      /* not JSON */
    }
    throw new ApiFailure(r.status, code, message);
  }
  if (r.status === 204) return null as T;
  return (raw ? await r.text() : await r.json()) as T;
}

/** The session of this browser's cookie, if any (a reload keeps the user signed in). */
export async function resume(): Promise<Session | null> {
  try {
    session = await api<Session>('GET', '/v1/session');
  } catch {
    session = null;
  }
  return session;
}

export async function signIn(key: string): Promise<Session> {
  session = await api<Session>('POST', '/v1/session', { key });
  return session;
}

export async function signOut(): Promise<void> {
  try {
    await api('DELETE', '/v1/session');
  } finally {
    session = null;
  }
}

export const q = (params: Record<string, string | number | undefined>): string => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
};

// PURE: reading a stranger's JSON. The body's size is checked before anything is parsed;
// JSON.parse is linear and (V8) iterative, so a million nested brackets cost a million steps
// and no stack; the readers below look at named fields only and never walk a value.

export type Json = Record<string, unknown>;

export type ParsedBody = { ok: true; value: unknown } | { ok: false; code: 'payload_too_large' | 'malformed'; detail: string };

/**
 * Integers beyond 2^53 (Postmark's bounce IDs are 64-bit) would lose digits as numbers, and two
 * events would share an id: kept as their source text instead (JSON.parse source text access,
 * V8 since Node 21). Opt-in: a reviver costs a call per value.
 */
function exactIntegers(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  return typeof value === 'number' && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source) ? context.source : value;
}

export function parseJsonBody(body: Buffer | string, maxBytes: number, opts: { exactIntegers?: boolean } = {}): ParsedBody {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size > maxBytes) return { ok: false, code: 'payload_too_large', detail: `${size} bytes, at most ${maxBytes}` };
  try {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    return { ok: true, value: opts.exactIntegers ? JSON.parse(text, exactIntegers as (k: string, v: unknown) => unknown) : JSON.parse(text) };
  } catch {
    return { ok: false, code: 'malformed', detail: 'not JSON' };
  }
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown): Json | null {
  return isObject(v) ? v : null;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** A non-empty string (trimmed), at most `max` characters; else null. */
export function str(v: unknown, max = 4096): string | null {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t && t.length <= max ? t : null;
}

/** A string or a finite number, as a string (ids come as either). */
export function idOf(v: unknown, max: number): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return str(v, max);
}

/** Text cut to `max` characters (diagnostics: we keep their start, which says what happened). */
export function cut(v: string | null, max: number): string | null {
  if (v === null) return null;
  return v.length > max ? v.slice(0, max) : v;
}

/** A header's value from a Node/fastify header object (names lower-cased; repeated: the first). */
export function header(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  const v = headers[name.toLowerCase()];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s : null;
}

/**
 * A provider's time as ms: ISO 8601 strings or Unix seconds (fractions allowed). Missing,
 * unreadable, or more than a day ahead of `now` (a clock that lies must not move a month's
 * counters): `now`, the time we received it.
 */
export function timeOf(v: unknown, now: number): number {
  let t = NaN;
  if (typeof v === 'number') t = v * 1000;
  else if (typeof v === 'string' && v.length <= 64) t = /^\d+(?:\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
  if (!Number.isFinite(t) || t <= 0 || t > now + 86_400_000) return now;
  return Math.floor(t);
}

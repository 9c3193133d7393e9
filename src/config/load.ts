import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { recordOrigin } from './origin.js';
import { configSchema, SECRET_PATHS, URL_SECRET_PATHS, type Config } from './schema.js';
import { redactEspEndpoints } from './esp.js';

// Defaults < config file < BOUNCED_* environment < flags. This module is the only reader
// of process.env in bounced (the env is passed in, so tests give their own).

export { ConfigError };

export interface LoadOptions {
  /** Path of a JSON config file; BOUNCED_CONFIG names one too. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Flag values, as a partial config (highest precedence). */
  overrides?: Record<string, unknown>;
}

type Leaf = string | number | boolean | string[];

/** The default config, flattened to `path -> default value`; it drives env parsing. */
function leaves(obj: Record<string, unknown>, prefix = ''): Array<[string, Leaf]> {
  const out: Array<[string, Leaf]> = [];
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...leaves(v as Record<string, unknown>, path));
    else out.push([path, v as Leaf]);
  }
  return out;
}

/** smtp.maxClients -> BOUNCED_SMTP_MAX_CLIENTS */
export function envName(path: string): string {
  return 'BOUNCED_' + path.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const k of keys.slice(0, -1)) {
    if (!node[k] || typeof node[k] !== 'object') node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

function getPath(source: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((n, k) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[k] : undefined), source);
}

function coerce(name: string, raw: string, like: Leaf): unknown {
  if (Array.isArray(like)) return raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (typeof like === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`${name}: expected a number, got ${JSON.stringify(raw)}`);
    return n;
  }
  if (typeof like === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${name}: expected true or false, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

function readEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const defaults = configSchema.parse({}) as unknown as Record<string, unknown>;
  const fromEnv: Record<string, unknown> = {};
  const secret = new Set<string>(SECRET_PATHS);
  for (const [path, like] of leaves(defaults)) {
    const name = envName(path);
    let raw = env[name];
    const fileVar = env[`${name}_FILE`];
    if (raw === undefined && fileVar !== undefined && secret.has(path)) {
      try {
        raw = readFileSync(fileVar, 'utf8').trim();
      } catch (err) {
        throw new ConfigError(`${name}_FILE: cannot read ${fileVar}: ${(err as Error).message}`);
      }
    }
    if (raw !== undefined) setPath(fromEnv, path, coerce(name, raw, like));
  }
  return fromEnv;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  let fromFile: Record<string, unknown> = {};
  const file = opts.file ?? env.BOUNCED_CONFIG;
  if (file) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`config file ${file}: ${(err as Error).message}`);
    }
    // The example file documents keys with "//" entries; they are comments, not config.
    fromFile = stripComments(fromFile);
  }
  const fromEnv = readEnv(env);
  const merged = deepMerge(deepMerge(fromFile, fromEnv), opts.overrides ?? {});
  const result = configSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(`invalid configuration:\n${formatIssues(result.error)}`);
  // The secret itself is never said; where it came from is (start-up log, `config print`).
  const secretFrom = [
    [getPath(opts.overrides, 'verp.secret'), 'a command-line flag or override (verp.secret)'],
    [env.BOUNCED_VERP_SECRET, 'BOUNCED_VERP_SECRET (environment)'],
    [env.BOUNCED_VERP_SECRET_FILE, `BOUNCED_VERP_SECRET_FILE=${env.BOUNCED_VERP_SECRET_FILE}`],
    [getPath(fromFile, 'verp.secret'), `config file ${file} (verp.secret)`],
  ].find(([v]) => v !== undefined && v !== '');
  if (secretFrom && result.data.verp.secret) recordOrigin(result.data, 'verp.secret', secretFrom[1] as string);
  return result.data;
}

function stripComments(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k.startsWith('//')) continue;
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? stripComments(v as Record<string, unknown>) : v;
  }
  return out;
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .flatMap((i) => {
      const path = i.path.join('.');
      // A misspelt key would otherwise leave its setting at the default without a word
      // (http.publicURL and the public URL that goes into real List-Unsubscribe headers).
      if (i.code === 'unrecognized_keys') {
        return i.keys.map((k) => {
          const full = path ? `${path}.${k}` : k;
          const near = nearestKey(path, k);
          return `  ${full}: unknown key${near ? ` (did you mean ${near}?)` : ''}`;
        });
      }
      return [`  ${path || '(root)'} (${path ? envName(path) : 'file'}): ${i.message}`];
    })
    .join('\n');
}

/** The known key beside `key` (same object) that it most likely misspells, if any. */
function nearestKey(parent: string, key: string): string | null {
  const prefix = parent ? `${parent}.` : '';
  const siblings = describeConfig()
    .map((d) => d.path)
    .filter((p) => p.startsWith(prefix))
    .map((p) => p.slice(prefix.length).split('.')[0]!);
  let best: string | null = null;
  let bestDistance = 3; // at most two edits, or a difference of case only
  for (const s of new Set(siblings)) {
    const d = s.toLowerCase() === key.toLowerCase() ? 0 : editDistance(s, key);
    if (d < bestDistance) [best, bestDistance] = [s, d];
  }
  return best === null ? null : prefix + best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** A copy safe to print or log: secrets replaced by "[redacted]" (or "" when unset); URLs keep all but their password. */
export function redactConfig(config: Config): Config {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const path of SECRET_PATHS) {
    const v = getPath(copy, path);
    if (Array.isArray(v) ? v.length : v) {
      setPath(copy, path, Array.isArray(v) ? v.map(() => '[redacted]') : URL_SECRET_PATHS.includes(path) ? maskUrlPassword(String(v)) : '[redacted]');
    }
  }
  (copy.esp as Config['esp']).endpoints = redactEspEndpoints(config.esp.endpoints);
  return copy as unknown as Config;
}

/**
 * postgres://user:secret@host/db -> postgres://user:***@host/db; a URL that does not parse is
 * redacted whole (it may still hold the password somewhere).
 */
export function maskUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    // A password may also ride in the query string (?password=...).
    for (const k of [...u.searchParams.keys()]) if (/pass/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return '[redacted]';
  }
}

/** Every key with its environment name and default: the reference table in docs/operations.md. */
export function describeConfig(): Array<{ path: string; env: string; default: Leaf }> {
  const defaults = configSchema.parse({}) as unknown as Record<string, unknown>;
  return leaves(defaults).map(([path, def]) => ({ path, env: envName(path), default: def }));
}

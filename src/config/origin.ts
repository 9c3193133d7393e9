import type { Config } from './schema.js';

// Where a loaded configuration took a value from, for the keys an operator must be able to
// trace (today the VERP secret: a daemon started with another secret calls its own mail
// forged). Kept beside the Config object rather than in it: the Config is exactly the
// schema, and the origins are said only at start and in `config print`.

export type TracedKey = 'verp.secret';

const origins = new WeakMap<Config, Partial<Record<TracedKey, string>>>();

export function recordOrigin(config: Config, key: TracedKey, origin: string): void {
  origins.set(config, { ...origins.get(config), [key]: origin });
}

/** e.g. "BOUNCED_VERP_SECRET_FILE=/run/secrets/verp", "config file /etc/bounced.json"; undefined when unknown. */
export function originOf(config: Config, key: TracedKey): string | undefined {
  return origins.get(config)?.[key];
}

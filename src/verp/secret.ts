import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { VerpCodec } from './index.js';

export const SECRET_FILE = 'verp-secret';

/**
 * The configured VERP secret, or the one kept in <dataDir>/verp-secret, created (0600) on
 * first use so that a fresh `npm start` signs and verifies with a stable key.
 */
export function resolveVerpSecret(config: Config): string {
  if (config.verp.secret) return config.verp.secret;
  const file = join(config.dataDir, SECRET_FILE);
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  // 'wx': if another process created it meanwhile, fail and read theirs instead.
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
}

export function verpCodec(config: Config): VerpCodec {
  return new VerpCodec(resolveVerpSecret(config), config.verp.prefix, config.verp.unsubscribePrefix);
}

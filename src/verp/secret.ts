import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { originOf } from '../config/origin.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { VerpCodec } from './index.js';
import { makeDirs } from '../make-dirs.js';

export const SECRET_FILE = 'verp-secret';

export interface VerpSecret {
  secret: string;
  /** Created by this call (no secret configured, no file yet). */
  generated: boolean;
}

/**
 * The configured VERP secret, or the one kept in <dataDir>/verp-secret, created (0600) on
 * first use so that a fresh `npm start` signs and verifies with a stable key.
 */
export function loadVerpSecret(config: Config): VerpSecret {
  if (config.verp.secret) return { secret: config.verp.secret, generated: false };
  const file = join(config.dataDir, SECRET_FILE);
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing) return { secret: existing, generated: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  makeDirs(config.dataDir);
  const secret = randomBytes(32).toString('base64url');
  // 'wx': if another process created it meanwhile, fail and read theirs instead.
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return { secret, generated: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { secret: readFileSync(file, 'utf8').trim(), generated: false };
    throw err;
  }
}

export function resolveVerpSecret(config: Config): string {
  return loadVerpSecret(config).secret;
}

/**
 * Where the secret in use comes from, never the secret: the variable, the file's absolute
 * path or the config file. Said at start and by `config print`, because a command run from
 * another directory (dataDir defaults to ./data) silently uses another secret.
 */
export function describeVerpSecret(config: Config): string {
  if (config.verp.secret) return originOf(config, 'verp.secret') ?? 'the configuration (verp.secret)';
  const file = resolve(config.dataDir, SECRET_FILE);
  return existsSync(file) ? `generated, kept in ${file}` : `none yet: one will be generated into ${file}`;
}

/**
 * The codec with the secret in use. A secret generated while the database already holds
 * messages is almost always a mistake (the configured secret missing from this command's
 * environment, another dataDir, a lost verp-secret file): every token signed before will
 * now fail to verify and the mail it covers be taken for forged. Said loudly, once.
 */
export function verpCodec(config: Config, opts: { log?: Logger; storeHasMessages?: () => boolean } = {}): VerpCodec {
  const { secret, generated } = loadVerpSecret(config);
  if (generated) {
    const file = resolve(config.dataDir, SECRET_FILE);
    if (opts.storeHasMessages?.()) {
      opts.log?.warn(
        { evt: 'VERP_SECRET_GENERATED_WITH_DATA', file },
        'no VERP secret was configured, so a new one was generated, but the database already holds messages: tokens signed with the previous secret will not verify (configure verp.secret, or restore the previous verp-secret file)',
      );
    } else {
      opts.log?.info({ evt: 'VERP_SECRET_GENERATED', file }, 'generated a new VERP secret');
    }
  }
  return new VerpCodec(secret, config.verp.prefix, config.verp.unsubscribePrefix);
}

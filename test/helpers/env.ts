import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesDir = join(repoRoot, 'fixtures');
/** The shared public corpus, read in place (never copied into this repository). */
export const corpusDir = resolve(repoRoot, '../shared/corpus/public');
export const haveCorpus = existsSync(corpusDir);
if (!haveCorpus) console.warn(`SKIPPED: corpus tests need ${corpusDir} (../shared beside the repository)`);

/** CI must run the tests that need Postfix, PostgreSQL, Dovecot or Chromium; elsewhere they skip when they cannot run. */
export const inCI = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';

export const BOUNCE_DOMAIN = 'bounces.test';
export const TEST_SECRET = 'test-verp-secret';

export function tmpDir(prefix = 'bounced-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A config for tests: its own data dir, ephemeral loopback ports, silent logs. */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  const base = {
    dataDir: tmpDir(),
    bounceDomains: [BOUNCE_DOMAIN],
    logLevel: 'silent',
    smtp: { port: 0 },
    http: { port: 0 },
    verp: { secret: TEST_SECRET },
  };
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    const b = (base as Record<string, unknown>)[k];
    merged[k] = b && typeof b === 'object' && !Array.isArray(b) && v && typeof v === 'object' ? { ...b, ...v } : v;
  }
  return loadConfig({ env: {}, overrides: merged });
}

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envName, loadConfig, redactConfig } from '../../src/config/load.js';
import { tmpDir } from '../helpers/env.js';

const tmp = () => tmpDir('bounced-config-');

describe('config', () => {
  it('has defaults that run a loopback daemon on ./data', () => {
    const c = loadConfig({ env: {} });
    expect(c.dataDir).toBe('./data');
    expect(c.smtp).toMatchObject({ host: '127.0.0.1', port: 2525 });
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 8025 });
    expect(c.store.synchronous).toBe('FULL');
  });

  it('layers defaults < file < env < flags', () => {
    const dir = tmp();
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ '// note': 'comments are ignored', smtp: { port: 2600, maxClients: 7 }, logLevel: 'debug' }));
    const c = loadConfig({
      file,
      env: { BOUNCED_SMTP_PORT: '2700', BOUNCED_BOUNCE_DOMAINS: 'A.example, b.example', BOUNCED_DATA_DIR: '/tmp/x' },
      overrides: { logLevel: 'error' },
    });
    expect(c.smtp.port).toBe(2700); // env beats file
    expect(c.smtp.maxClients).toBe(7); // file beats default
    expect(c.bounceDomains).toEqual(['a.example', 'b.example']);
    expect(c.dataDir).toBe('/tmp/x');
    expect(c.logLevel).toBe('error'); // flag beats file
  });

  it('reads secrets from *_FILE and redacts them for printing', () => {
    const dir = tmp();
    writeFileSync(join(dir, 's'), 'file-secret\n');
    const c = loadConfig({ env: { BOUNCED_VERP_SECRET_FILE: join(dir, 's'), BOUNCED_ADMIN_KEY: 'adm' } });
    expect(c.verp.secret).toBe('file-secret');
    expect(c.adminKey).toBe('adm');
    const printed = JSON.stringify(redactConfig(c));
    expect(printed).not.toContain('file-secret');
    expect(printed).not.toContain('"adm"');
  });

  it('names the key and its variable on bad values', () => {
    expect(() => loadConfig({ env: { BOUNCED_SMTP_PORT: 'abc' } })).toThrow(/BOUNCED_SMTP_PORT: expected a number/);
    try {
      loadConfig({ env: { BOUNCED_LOG_LEVEL: 'loud' } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).exitCode).toBe(78);
      expect((err as Error).message).toContain('logLevel (BOUNCED_LOG_LEVEL)');
    }
  });

  it('refuses unknown keys at every level, naming them (a typo must not leave a setting at its default)', () => {
    const dir = tmp();
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ '// note': 'fine', http: { '// x': 'fine', publicURL: 'https://bounced.example.com' }, smtp: { maxclient: 5 }, policy: { hardBounceLimit: 0.1, unknownThing: 1 }, dataDri: '/x' }));
    let message = '';
    try {
      loadConfig({ file, env: {} });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).exitCode).toBe(78);
      message = (err as Error).message;
    }
    expect(message).toContain('http.publicURL: unknown key (did you mean http.publicUrl?)');
    expect(message).toContain('smtp.maxclient: unknown key (did you mean smtp.maxClients?)');
    expect(message).toContain('policy.unknownThing: unknown key');
    expect(message).toContain('dataDri: unknown key (did you mean dataDir?)');
    // Flags are checked the same way.
    expect(() => loadConfig({ env: {}, overrides: { tail: { fiel: 'x' } } })).toThrow(/tail\.fiel: unknown key \(did you mean tail\.file\?\)/);
  });

  it('derives operator-facing variable names from key paths', () => {
    expect(envName('smtp.maxClients')).toBe('BOUNCED_SMTP_MAX_CLIENTS');
    expect(envName('bounceDomains')).toBe('BOUNCED_BOUNCE_DOMAINS');
    expect(envName('verp.secret')).toBe('BOUNCED_VERP_SECRET');
  });
});

describe('config/bounced.example.json', () => {
  it('parses, holds the defaults, and documents every key (so it cannot drift from the schema)', async () => {
    const { describeConfig } = await import('../../src/config/load.js');
    const { readFileSync } = await import('node:fs');
    const file = new URL('../../config/bounced.example.json', import.meta.url);
    const text = readFileSync(file, 'utf8');
    const c = loadConfig({ file: file.pathname, env: {} });
    expect(c).toEqual(loadConfig({ env: {} }));
    for (const key of describeConfig()) {
      const leaf = key.path.split('.').pop()!;
      expect(text, key.path).toContain(`"${leaf}":`);
      expect(text, key.env).toContain(key.env);
    }
  });
});

describe('the configuration table (docs/operations.md)', () => {
  it('names every key and its variable', async () => {
    const { describeConfig } = await import('../../src/config/load.js');
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    for (const key of describeConfig()) {
      expect(readme, key.path).toContain(key.path.split('.').pop()!);
      expect(readme, key.env).toContain(`\`${key.env}\``);
    }
  });
});

// The database keys (issue #15 part 2): a postgres:// URL from the config, the environment or
// a file; its password never printed; the node id.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, maskUrlPassword, redactConfig } from '../../src/config/load.js';
import { nodeId, storeTarget } from '../../src/pipeline/build.js';
import { childEnv, CLI } from '../helpers/child.js';
import { tmpDir } from '../helpers/env.js';

const tmp = () => tmpDir('b2-config-');

describe('database configuration', () => {
  it('has no URL by default: SQLite in dataDir', () => {
    const c = loadConfig({ env: {} });
    expect(c.database.url).toBe('');
    expect(storeTarget(c).url).toBeNull();
  });

  it('reads BOUNCED_DATABASE_URL, or the URL from BOUNCED_DATABASE_URL_FILE, and masks its password for printing', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'url'), 'postgres://bounced:s3cr%40t-pw@db.internal:5432/bounced?sslmode=require\n');
    const c = loadConfig({ env: { BOUNCED_DATABASE_URL_FILE: join(dir, 'url'), BOUNCED_DATABASE_READ_URL: 'postgresql://ro:other-pw@replica:5432/bounced' } });
    expect(c.database.url).toBe('postgres://bounced:s3cr%40t-pw@db.internal:5432/bounced?sslmode=require');
    expect(storeTarget(c).url).toBe(c.database.url);
    const printed = JSON.stringify(redactConfig(c));
    expect(printed).not.toContain('s3cr');
    expect(printed).not.toContain('other-pw');
    expect(printed).toContain('postgres://bounced:***@db.internal:5432/bounced?sslmode=require');
    expect(printed).toContain('postgresql://ro:***@replica:5432/bounced');
    expect(maskUrlPassword('postgres://u@h/db?password=x1')).toBe('postgres://u@h/db?password=***');
    expect(maskUrlPassword('postgres://u@h/db')).toBe('postgres://u@h/db');
  });

  it('refuses a URL of another scheme, naming the variable', () => {
    expect(() => loadConfig({ env: { BOUNCED_DATABASE_URL: 'mysql://x@y/z' } })).toThrow(/database\.url \(BOUNCED_DATABASE_URL\)/);
  });

  it('hands the password file to the PostgreSQL driver, and says which file cannot be read', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'pw'), 'pa55 word\nignored\n');
    const c = loadConfig({ env: { BOUNCED_DATABASE_URL: 'postgres://u@h/db', BOUNCED_DATABASE_PASSWORD_FILE: join(dir, 'pw') } });
    expect(storeTarget(c).postgres?.password).toBe('pa55 word');
    const missing = loadConfig({ env: { BOUNCED_DATABASE_URL: 'postgres://u@h/db', BOUNCED_DATABASE_PASSWORD_FILE: join(dir, 'nope') } });
    expect(() => storeTarget(missing)).toThrow(/database\.passwordFile: cannot read .*nope/);
  });

  it('names the node: BOUNCED_NODE_ID, else the host and a hash of the data directory', () => {
    expect(nodeId(loadConfig({ env: { BOUNCED_NODE_ID: 'mx1' } }))).toBe('mx1');
    const a = nodeId(loadConfig({ env: { BOUNCED_DATA_DIR: '/srv/a' } }));
    expect(a).toMatch(new RegExp(`^${hostname().replace(/[.]/g, '\\.')}:[0-9a-f]{8}$`));
    expect(nodeId(loadConfig({ env: { BOUNCED_DATA_DIR: '/srv/a' } }))).toBe(a); // stable
    expect(nodeId(loadConfig({ env: { BOUNCED_DATA_DIR: '/srv/b' } }))).not.toBe(a);
    expect(nodeId(loadConfig({ env: { BOUNCED_NODE_ID: 'mx1' } }), 'tick')).toBe(`mx1/tick-${process.pid}`);
    expect(() => loadConfig({ env: { BOUNCED_NODE_ID: 'a b' } })).toThrow(/nodeId \(BOUNCED_NODE_ID\)/);
  });

  it('`config print` shows the URL with the password masked (dist/: npm run build)', () => {
    const r = spawnSync(process.execPath, [CLI, 'config', 'print'], {
      env: childEnv({ BOUNCED_DATABASE_URL: 'postgres://bounced:hunter2-pw@127.0.0.1:5432/bounced', BOUNCED_NODE_ID: 'mx1' }),
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
    expect(r.stdout).toContain('postgres://bounced:***@127.0.0.1:5432/bounced');
    expect(r.stdout).toContain('"// node": "mx1"');
  });
});

// `bounced keys create --account A` prints a key once; the daemon's API accepts it.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/app.js';
import { createLogger } from '../../src/log.js';
import { buildPipeline } from '../../src/pipeline/build.js';
import { childEnv, CLI } from '../helpers/child.js';
import { testConfig } from '../helpers/env.js';

describe('bounced keys', () => {
  it('creates a key for an existing account, prints it once, lists it by prefix, revokes it', async () => {
    const cfg = testConfig();
    const first = await buildPipeline(cfg);
    await first.policy.createAccount({ id: 'acme', tier: 'starter' }, 'test', Date.now());
    await first.close();
    const env = childEnv({ BOUNCED_DATA_DIR: cfg.dataDir, BOUNCED_LOG_LEVEL: 'silent' });
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'keys', ...args], { env, encoding: 'utf8' });

    const missing = run('create', '--account', 'nobody');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no account nobody');

    const created = run('create', '--account', 'acme', '--name', 'ci');
    expect(created.status, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^bnd_/);

    const second = await buildPipeline(cfg);
    const app = buildApi({ store: second.store, log: createLogger('silent'), smtpListening: () => true, policy: second.policy });
    const r = await app.inject({ method: 'GET', url: '/v1/accounts/acme', headers: { authorization: `Bearer ${key}` } });
    expect(r.statusCode).toBe(200);
    await app.close();
    await second.close();

    const list = run('list', '--account', 'acme', '--format', 'jsonl');
    expect(list.stdout).toContain(key.slice(0, 12));
    expect(list.stdout).not.toContain(key);
    const id = JSON.parse(list.stdout.trim().split('\n')[0]!).id as string;
    expect(run('revoke', id, '--account', 'acme').status).toBe(0);
    expect(run('revoke', id, '--account', 'acme').status).toBe(1);
  });
});

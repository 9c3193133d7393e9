// The Postfix image in front of several bounced nodes (docker-compose profile `postgres`):
// BOUNCED_SMTP may name several listeners, which become one list of next hops (Postfix 3.5+).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inCI, repoRoot, tmpDir } from '../helpers/env.js';

const havePostconf = spawnSync('sh', ['-c', 'command -v postconf && test -f /etc/postfix/master.cf']).status === 0;
if (!havePostconf && !inCI) console.warn('SKIPPED: test/cluster/postfix-hops.test.ts: needs postconf and /etc/postfix/master.cf');

describe.skipIf(!havePostconf && !inCI)('docker/postfix/entrypoint.sh with two bounced nodes', () => {
  it('writes one transport entry with both nodes as next hops, in order', () => {
    const run = (smtp: string) => {
      const conf = tmpDir('b2-pfx-');
      writeFileSync(join(conf, 'master.cf'), readFileSync('/etc/postfix/master.cf'));
      const env = { ...process.env, POSTFIX_CONFIG_DIR: conf, POSTFIX_MYHOSTNAME: 'mx.example.com', BOUNCED_BOUNCE_DOMAINS: 'bounces.example.com', BOUNCED_SMTP: smtp };
      const r = spawnSync('sh', [join(repoRoot, 'docker/postfix/entrypoint.sh'), 'true'], { env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return spawnSync('postmap', ['-c', conf, '-q', 'bounces.example.com', `texthash:${join(conf, 'bounced/transport')}`], { encoding: 'utf8' }).stdout.trim();
    };
    expect(run('bounced-a:2525,bounced-b:2525')).toBe('smtp:[bounced-a]:2525, [bounced-b]:2525');
    expect(run('bounced:2525')).toBe('smtp:[bounced]:2525');
  });
});

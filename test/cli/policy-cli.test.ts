// The policy commands of `bounced` (dist/cli.js, built by the global setup) over a database
// that real SMTP bounces filled.
import { beforeAll, describe, expect, it } from 'vitest';
import { childEnv, runCli } from '../helpers/child.js';
import { BOUNCE_DOMAIN, TEST_SECRET } from '../helpers/env.js';
import { world } from '../helpers/world.js';

let env: NodeJS.ProcessEnv;
const NOW = new Date().toISOString();

const bounced = (...args: string[]) => runCli(env, args);

beforeAll(async () => {
  const w = await world();
  env = childEnv({ BOUNCED_DATA_DIR: w.config.dataDir, BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN });
  await w.policy.createAccount({ id: 'acme', tier: 'free' }, 'test', Date.now());
  await w.sends('acme', 1000);
  await w.bounces('acme', 51);
  await w.close();
}, 60_000);

describe('bounced accounts / suppressions / appeals / unsubscribe-headers', () => {
  it('accounts create, list, and a duplicate refused', () => {
    expect(bounced('accounts', 'create', '--id', 'shop', '--tier', 'professional', '--profile', 'conservative', '--now', NOW).code).toBe(0);
    const dup = bounced('accounts', 'create', '--id', 'shop', '--tier', 'starter');
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/exists/);
    expect(bounced('accounts', 'create', '--id', 'x', '--tier', 'gold').code).not.toBe(0);
    const list = bounced('accounts', 'list', '--format', 'jsonl').out.trim().split('\n').map((l) => JSON.parse(l));
    expect(list.map((a) => [a.id, a.tier, a.profile])).toEqual([['acme', 'free', 'default'], ['shop', 'professional', 'conservative']]);
  });

  it('accounts health --format json: status, the three rates, limits, banner', () => {
    const r = bounced('accounts', 'health', 'acme', '--format', 'json', '--now', NOW);
    expect(r.code, r.err).toBe(0);
    const h = JSON.parse(r.out);
    expect(h).toMatchObject({ status: 'suspended', suspension: 'rates', canAppeal: false });
    expect(h.rates.hardBounce).toMatchObject({ count: 51, sends: 1000, limit: 0.05 });
    expect(h.rates.complaint.limit).toBe(0.001);
    expect(h.rates.unsubscribe.limit).toBe(0.05);
    expect(h.banner).toMatch(/Free accounts cannot appeal/);
    expect(bounced('accounts', 'health', 'acme').out).toMatch(/status\s+suspended \(rates\)/);
    expect(bounced('accounts', 'health', 'nobody').code).toBe(1);
  });

  it('suppressions check --format json says send or not, and why', () => {
    const d = JSON.parse(bounced('suppressions', 'check', 'X0@example.org', '--account', 'acme', '--format', 'json').out);
    expect(d).toMatchObject({ send: false, address: 'x0@example.org' });
    expect(d.reasons.map((r: { code: string }) => r.code)).toEqual(['account_suspended', 'hard_bounce']);
    const other = JSON.parse(bounced('suppressions', 'check', 'x0@example.org', '--account', 'shop', '--format', 'json').out);
    expect(other).toEqual({ send: true, address: 'x0@example.org', reasons: [] });
  });

  it('suppressions list and remove (unbounce, audited with --why)', () => {
    const rows = bounced('suppressions', 'list', '--account', 'acme', '--format', 'jsonl', '--limit', '5');
    expect(rows.out.trim().split('\n')).toHaveLength(5);
    expect(rows.err).toMatch(/more: --cursor \d+/);
    expect(bounced('suppressions', 'remove', 'x0@example.org', '--account', 'acme').code).not.toBe(0); // --why is required
    expect(bounced('suppressions', 'remove', 'x0@example.org', '--account', 'acme', '--why', 'allowlisted', '--now', NOW).code).toBe(0);
    expect(bounced('suppressions', 'remove', 'x0@example.org', '--account', 'acme', '--why', 'again').code).toBe(1);
    expect(bounced('suppressions', 'add', 'opt-out@example.org', '--account', 'shop', '--reason', 'import').out).toContain('"added":1');
  });

  it('appeals file: a free account is refused', () => {
    const r = bounced('appeals', 'file', '--account', 'acme', '--imported-opt-out-list', '--cleaned-lists', '--mailed-within-year', '--contacts-source', 'shop', '--message', 'sorry', '--now', NOW);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/free accounts cannot appeal/);
  });

  it('appeals file and decide for a paid account', () => {
    expect(bounced('accounts', 'update', 'acme', '--tier', 'starter').code).toBe(0);
    const filed = bounced('appeals', 'file', '--account', 'acme', '--imported-opt-out-list', '--cleaned-lists', '--mailed-within-year', '--contacts-source', 'shop', '--message', 'sorry', '--now', NOW);
    expect(filed.code, filed.err).toBe(0);
    const { appealId } = JSON.parse(filed.out);
    expect(bounced('appeals', 'decide', String(appealId), '--decision', 'reinstate', '--reason', 'cleaned', '--actor', 'admin:kim', '--now', NOW).code).toBe(0);
    expect(JSON.parse(bounced('accounts', 'health', 'acme', '--format', 'json', '--now', NOW).out).status).not.toBe('suspended');
    expect(JSON.parse(bounced('suppressions', 'check', 'x1@example.org', '--account', 'acme', '--format', 'json').out).send).toBe(false);
  });

  it('unsubscribe-headers prints the two headers', () => {
    const r = bounced('unsubscribe-headers', '--account', 'acme', '--message', 'spring/m-1', '--recipient', 'ann@example.org');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^List-Unsubscribe: <http:\/\/127\.0\.0\.1:8025\/v1\/unsubscribe\/[a-z2-7]+\.[a-z2-7]+>, <mailto:u\+[a-z2-7]+\.[a-z2-7]+@bounces\.test>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n$/);
  });
});

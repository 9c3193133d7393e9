// The command-line conventions scripts rely on (issue #18): usage errors exit 64 (EX_USAGE),
// every listing command takes --format json|jsonl|table, tables show times as ISO 8601,
// `suppressions check` answers by its exit status, and `classify` reports progress on
// stderr only. The built CLI (dist/cli.js) in child processes, over a store that real SMTP
// bounces filled (test/helpers/world.ts).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { childEnv, runCli } from '../helpers/child.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET } from '../helpers/env.js';
import { world } from '../helpers/world.js';

let env: NodeJS.ProcessEnv;

const bounced = (...args: string[]) => runCli(env, args, 30_000);

const ISO = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\b/;

beforeAll(async () => {
  const w = await world();
  env = childEnv({ BOUNCED_DATA_DIR: w.config.dataDir, BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN });
  await w.policy.createAccount({ id: 'acme', tier: 'professional' }, 'test', Date.now());
  await w.sends('acme', 100);
  await w.bounces('acme', 2);
  await w.close();
}, 60_000);

describe('usage errors exit 64 (EX_USAGE) with a message; help and --version exit 0', () => {
  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['messages', 'list', '--bogus'], /unknown option '--bogus'/],
    [['verp', 'encode', '--account', 'acme'], /required option '--message <id>' not specified/],
    [['messages', 'list', '--format', 'xml'], /argument 'xml' is invalid.*json, jsonl, table/s],
    [['bounces', 'list', '--limit', 'many'], /must be a whole number/],
    [['sends', 'add', '--account', 'acme', '--count', '-3'], /must be a whole number|unknown option/],
    [['tick', '--now', 'yesterday'], /--now yesterday is not an ISO 8601 date/],
    [['suppressions', 'check', 'a@example.org', '--account', 'acme', '--now', 'soon'], /--now soon is not an ISO 8601 date/],
    [['suppressions'], /Usage: bounced suppressions/],
  ])('%j', (args, message) => {
    const r = bounced(...args);
    expect(r.code, r.err).toBe(64);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('--help and --version exit 0 on stdout', () => {
    const help = bounced('--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Usage: bounced/);
    const v = bounced('--version');
    expect(v.code).toBe(0);
    expect(v.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('--format json|jsonl|table on every listing command', () => {
  const listings: string[][] = [
    ['messages', 'list'],
    ['bounces', 'list'],
    ['deliveries', 'list'],
    ['sends', 'list'],
    ['keys', 'list', '--account', 'acme'],
    ['accounts', 'list'],
    ['suppressions', 'list', '--account', 'acme'],
    ['appeals', 'list'],
    ['notifications', 'list'],
  ];

  it.each(listings)('%s %s: json is one array of the jsonl records; table has a header', (...cmd) => {
    const json = bounced(...cmd, '--format', 'json');
    expect(json.code, json.err).toBe(0);
    const array = JSON.parse(json.out) as unknown[];
    expect(Array.isArray(array)).toBe(true);
    const jsonl = bounced(...cmd, '--format', 'jsonl');
    expect(jsonl.code, jsonl.err).toBe(0);
    const lines = jsonl.out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual(array);
    const table = bounced(...cmd, '--format', 'table');
    expect(table.code, table.err).toBe(0);
    expect(table.out.split('\n').filter(Boolean)).toHaveLength(array.length + 1);
  });

  it('the store holds rows for the listings that matter here', () => {
    expect(JSON.parse(bounced('messages', 'list', '--format', 'json').out).length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(bounced('suppressions', 'list', '--account', 'acme', '--format', 'json').out).length).toBe(2);
  });

  it('tables show times as ISO 8601 (the records keep integer ms)', () => {
    const [row] = JSON.parse(bounced('messages', 'list', '--format', 'json').out) as Array<{ receivedAt: number }>;
    expect(typeof row!.receivedAt).toBe('number');
    const table = bounced('messages', 'list').out.split('\n');
    expect(table[0]).toMatch(/^id\s+receivedAt/);
    expect(table[1]).toContain(new Date(row!.receivedAt).toISOString());
    const sup = bounced('suppressions', 'list', '--account', 'acme').out.split('\n');
    expect(sup[0]).toMatch(/createdAt/);
    expect(sup[1]).toMatch(ISO);
  });
});

describe('suppressions check answers by its exit status', () => {
  it('0 when the account may send, 1 when not, 67 for an unknown account', () => {
    const ok = bounced('suppressions', 'check', 'fresh@example.org', '--account', 'acme');
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/^send: fresh@example.org/);
    const [suppressed] = JSON.parse(bounced('suppressions', 'list', '--account', 'acme', '--format', 'json').out) as Array<{ address: string }>;
    const no = bounced('suppressions', 'check', suppressed!.address, '--account', 'acme', '--format', 'json');
    expect(no.code, no.err).toBe(1);
    expect(JSON.parse(no.out)).toMatchObject({ send: false, address: suppressed!.address });
    expect(bounced('suppressions', 'add', 'later@example.org', '--account', 'acme').code).toBe(0);
    expect(bounced('suppressions', 'check', 'later@example.org', '--account', 'acme').code).toBe(1);
    const unknown = bounced('suppressions', 'check', 'fresh@example.org', '--account', 'nobody');
    expect(unknown.code).toBe(67);
    expect(unknown.err).toMatch(/no account nobody/);
  });
});

describe('classify: formats and progress', () => {
  const folder = join(fixturesDir, 'postfix');

  it('--progress writes the progress on stderr and leaves stdout as it is; piped, no progress by default', () => {
    const plain = bounced('classify', folder);
    expect(plain.code).toBe(0);
    expect(plain.err).toBe('');
    const withProgress = bounced('classify', '--progress', folder);
    expect(withProgress.code).toBe(0);
    expect(withProgress.out).toBe(plain.out);
    const files = new Set(plain.out.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { file: string }).file)).size;
    expect(withProgress.err).toMatch(new RegExp(`^bounced classify: ${files}/${files} files \\(100 %\\), \\d+\\.\\d s\\n$`, 'm'));
    expect(bounced('classify', '--no-progress', folder).err).toBe('');
  });

  it('--format json is one array holding the jsonl records', () => {
    const jsonl = bounced('classify', folder).out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    const json = bounced('classify', '--format', 'json', folder);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual(jsonl);
    expect(JSON.parse(bounced('classify', '--format', 'json', join(folder, 'INDEX.md-none')).out)).toEqual([]);
  });
});

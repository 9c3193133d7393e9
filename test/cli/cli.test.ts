// `bounced` as operators and Postfix's pipe(8) run it: the built CLI in a child process.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DB_FILE } from '../../src/store/sqlite/open.js';
import { childEnv, CLI, spawnDaemon } from '../helpers/child.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, tmpDir } from '../helpers/env.js';

function run(args: string[], env: Record<string, string>, input?: Buffer) {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: childEnv(env), input, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const dsnFile = join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml');

describe('bounced CLI', () => {
  const env = () => ({ BOUNCED_DATA_DIR: tmpDir(), BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN });

  it('verp encode prints an address that verp decode reads back; a forged one exits 1', () => {
    const e = env();
    const enc = run(['verp', 'encode', '--account', 'acme', '--message', 'm-9', '--recipient', 'Ann@Example.org'], e);
    expect(enc.code).toBe(0);
    const address = enc.stdout.trim();
    expect(address.endsWith(`@${BOUNCE_DOMAIN}`)).toBe(true);
    const dec = run(['verp', 'decode', address], e);
    expect(dec.code).toBe(0);
    expect(JSON.parse(dec.stdout)).toEqual({ account: 'acme', message: 'm-9', recipient: 'ann@example.org' });
    const forged = run(['verp', 'decode', address], { ...e, BOUNCED_VERP_SECRET: 'another' });
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain('bad-signature');
  });

  it('ingest stores a piped message with its envelope and exits 0; bounces list shows the record', () => {
    const e = env();
    const to = run(['verp', 'encode', '--account', 'acme', '--message', 'm-1', '--recipient', 'rcpt-550-5.1.1@reject.test'], e).stdout.trim();
    const ing = run(['ingest', '--sender', '<>', '--recipient', to, '-'], e, readFileSync(dsnFile));
    expect(ing.code, ing.stderr).toBe(0);
    const msgs = run(['messages', 'list', '--format', 'jsonl'], e);
    const [m] = msgs.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(m).toMatchObject({ source: 'ingest', mailFrom: '', rcptTo: [to], state: 'processed', kind: 'bounce' });
    const list = run(['bounces', 'list', '--account', 'acme', '--format', 'jsonl'], e);
    const rows = list.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ accountId: 'acme', messageId: 'm-1', recipient: 'rcpt-550-5.1.1@reject.test', type: 'hard', verified: true });
    const table = run(['bounces', 'list'], e);
    expect(table.stdout.split('\n')[0]).toMatch(/^id\s+accountId\s+recipient/);
  });

  it('ingest exits 75 (EX_TEMPFAIL) when the store cannot write, so Postfix retries', () => {
    const e = { ...env(), BOUNCED_STORE_BUSY_TIMEOUT_MS: '100' };
    expect(run(['migrate'], e).code).toBe(0);
    const other = new Database(join(e.BOUNCED_DATA_DIR, DB_FILE));
    other.exec('BEGIN EXCLUSIVE');
    const failed = run(['ingest', '--recipient', `postmaster@${BOUNCE_DOMAIN}`, dsnFile], e);
    other.exec('ROLLBACK');
    other.close();
    expect(failed.code).toBe(75);
    expect(failed.stderr).toContain('will be retried');
    expect(run(['ingest', '--recipient', `postmaster@${BOUNCE_DOMAIN}`, dsnFile], e).code).toBe(0);
    expect(run(['messages', 'list', '--format', 'jsonl'], e).stdout.trim().split('\n')).toHaveLength(1);
  });

  it('config print redacts secrets; a bad value exits 78 naming the variable', () => {
    const e = { ...env(), BOUNCED_ADMIN_KEY: 'super-secret-admin' };
    const printed = run(['config', 'print'], e);
    expect(printed.code).toBe(0);
    expect(printed.stdout).not.toContain('super-secret-admin');
    expect(printed.stdout).not.toContain(TEST_SECRET);
    expect(JSON.parse(printed.stdout).adminKey).toBe('[redacted]');
    const bad = run(['config', 'print'], { ...e, BOUNCED_SMTP_PORT: 'not-a-port' });
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain('BOUNCED_SMTP_PORT');
  });

  it('a misspelt nested key in the config file exits 78 naming it', () => {
    const dir = tmpDir();
    const file = join(dir, 'bounced.json');
    writeFileSync(file, JSON.stringify({ http: { publicURL: 'https://bounced.example.com' } }));
    const r = run(['--config', file, 'config', 'print'], env());
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('http.publicURL: unknown key (did you mean http.publicUrl?)');
  });

  it('says which database and which VERP secret source are in use (never the secret), and warns when a new secret meets old mail', () => {
    const dataDir = tmpDir();
    const secretFile = join(tmpDir(), 'verp_secret');
    writeFileSync(secretFile, 'file-held-secret\n');
    const base = { BOUNCED_DATA_DIR: dataDir, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN };
    const printed = (extra: Record<string, string>) => {
      const r = run(['config', 'print'], { ...base, ...extra });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('file-held-secret');
      return JSON.parse(r.stdout) as Record<string, string>;
    };
    const db = join(dataDir, DB_FILE);
    expect(printed({ BOUNCED_VERP_SECRET_FILE: secretFile })).toMatchObject({
      '// database': `${db} (does not exist yet: created on first start)`,
      '// verp.secret from': `BOUNCED_VERP_SECRET_FILE=${secretFile}`,
    });
    expect(printed({ BOUNCED_VERP_SECRET: 'x' })['// verp.secret from']).toBe('BOUNCED_VERP_SECRET (environment)');
    // `config print` creates nothing, not even the secret it would generate.
    expect(printed({})['// verp.secret from']).toBe(`none yet: one will be generated into ${join(dataDir, 'verp-secret')}`);
    expect(existsSync(join(dataDir, 'verp-secret'))).toBe(false);

    // Mail stored with the configured secret ...
    const ok = run(['ingest', '--recipient', `postmaster@${BOUNCE_DOMAIN}`, dsnFile], { ...base, BOUNCED_VERP_SECRET_FILE: secretFile });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).not.toContain('VERP_SECRET_GENERATED');
    expect(printed({ BOUNCED_VERP_SECRET_FILE: secretFile })['// database']).toBe(`${db} (holds messages)`);
    // ... then a command run without it generates a new one: loudly.
    const tick = run(['tick'], base);
    expect(tick.code, tick.stderr).toBe(0);
    const warning = tick.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.evt === 'VERP_SECRET_GENERATED_WITH_DATA');
    expect(warning).toMatchObject({ level: 40, file: join(dataDir, 'verp-secret') });
    // Once generated it is the file's secret, and it is said so.
    expect(printed({})['// verp.secret from']).toBe(`generated, kept in ${join(dataDir, 'verp-secret')}`);
  });

  it('serve logs the database and the VERP secret source at start', async () => {
    const dataDir = tmpDir();
    const secretFile = join(tmpDir(), 'verp_secret');
    writeFileSync(secretFile, 'file-held-secret\n');
    const d = await spawnDaemon({ BOUNCED_DATA_DIR: dataDir, BOUNCED_VERP_SECRET_FILE: secretFile, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN });
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    const line = d.log().split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.evt === 'DATA_IN_USE');
    expect(line).toMatchObject({ database: join(dataDir, DB_FILE), verpSecret: `BOUNCED_VERP_SECRET_FILE=${secretFile}` });
    expect(d.log()).not.toContain('file-held-secret');
  });

  it('migrate reports the schema version and is idempotent', () => {
    const e = env();
    expect(run(['migrate'], e).stdout).toMatch(/schema at version \d+ \(applied now: 1/);
    expect(run(['migrate'], e).stdout).toMatch(/schema at version \d+ \(up to date\)/);
  });
});

// End to end (issue #17 phase B): `bounced serve` (dist/) with a real Dovecot on loopback.
// An account connects its inbox over the API with its own key; the bounces in the mailbox
// become one-to-one records in the API; a restarted daemon records none of them twice; a
// wrong password is the inbox's error state (API, /readyz details, `inboxes list`, exit 77 of
// `inboxes sync --once`), and the daemon stays up and ready. Run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, CLI, spawnDaemon, type ChildDaemon } from '../helpers/child.js';
import { dovecotMissing, startDovecot, type Dovecot, type DovecotUser } from '../helpers/dovecot.js';
import { inCI, tmpDir } from '../helpers/env.js';
import { dateOf, inboxFixture, INBOX_FILES, SENT_FILES } from '../helpers/inbox-fixtures.js';
import { waitFor } from '../helpers/wait.js';

const missing = dovecotMissing();
if (missing && !inCI) console.warn(`SKIPPED: inbox end-to-end tests: ${missing}`);
if (missing && inCI) throw new Error(`CI must run the inbox end-to-end tests: ${missing}`);

const USERS: DovecotUser[] = ['alice', 'bob'].map((name) => ({ name, password: `pw-${name}-${randomBytes(6).toString('hex')}` }));
const ADMIN = `admin-${randomBytes(12).toString('hex')}`;
const SEED = [
  ...SENT_FILES.map((f) => ({ folder: 'Sent', raw: inboxFixture(f), date: dateOf(inboxFixture(f)) })),
  ...INBOX_FILES.map((f) => ({ folder: 'INBOX', raw: inboxFixture(f), date: dateOf(inboxFixture(f)) })),
];

describe.skipIf(Boolean(missing))('connected inboxes end to end: bounced serve + Dovecot', () => {
  let dovecot: Dovecot;
  let dir: string;
  let env: Record<string, string>;
  let daemon: ChildDaemon | null = null;
  let accountKey = '';
  let good = '';
  let bad = '';
  const logs: string[] = [];

  const api = async (method: string, path: string, body?: unknown, key = accountKey) => {
    const r = await fetch(`http://127.0.0.1:${daemon!.httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null };
  };
  const bounces = async () => (await api('GET', '/v1/bounces?account=acme')).json.items as Array<{ recipient: string; messageId: string; type: string }>;
  const stopDaemon = async () => {
    if (!daemon) return;
    const t0 = Date.now();
    daemon.proc.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    // the watchers' IDLE connections closed at once: well within a container's 10 s grace
    expect(Date.now() - t0).toBeLessThan(5000);
    logs.push(daemon.log());
    daemon = null;
  };

  beforeAll(async () => {
    dovecot = await startDovecot({ users: USERS });
    await dovecot.append(USERS[0]!, SEED);
    dir = tmpDir('bounced-inboxb-e2e-');
    const keyFile = join(dir, 'inbox.key');
    writeFileSync(keyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    env = {
      BOUNCED_DATA_DIR: join(dir, 'data'),
      BOUNCED_ADMIN_KEY: ADMIN,
      BOUNCED_VERP_SECRET: 'e2e-verp-secret',
      BOUNCED_BOUNCE_DOMAINS: 'bounces.test',
      BOUNCED_INBOXES_CREDENTIAL_KEY_FILE: keyFile,
      BOUNCED_SCHEDULER_TICK_MS: '500',
    };
    daemon = await spawnDaemon(env);
    expect((await api('POST', '/v1/accounts', { id: 'acme', tier: 'starter' }, ADMIN)).status).toBe(201);
    accountKey = (await api('POST', '/v1/accounts/acme/keys', {}, ADMIN)).json.key;
    expect(accountKey).toBeTruthy();
  }, 60_000);

  afterAll(async () => {
    await stopDaemon().catch(() => {});
    await dovecot?.stop();
    // no password of any inbox in any log line the daemon wrote
    for (const u of USERS) for (const l of logs) expect(l).not.toContain(u.password);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a bounce in the mailbox becomes a one-to-one record in the API', async () => {
    const r = await api('POST', '/v1/accounts/acme/inboxes', { host: '127.0.0.1', port: dovecot.port, tls: 'none', user: 'alice', password: USERS[0]!.password });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(JSON.stringify(r.json)).not.toContain(USERS[0]!.password);
    good = r.json.id;
    // the first sync starts at once, in the background
    await waitFor('the four bounces recorded', 20_000, async () => ((await bounces()).length === 4 ? true : undefined));
    expect((await bounces()).map((b) => [b.recipient, b.messageId, b.type]).sort()).toEqual([
      ['bob@customer.test', 'o2o:quote-q3.7f2a@sales.test', 'hard'],
      ['dave@secure-corp.test', 'o2o:followup.91c3@sales.test', 'hard'],
      ['erin@exchange-corp.test', 'o2o:intro.44d1@sales.test', 'hard'],
      ['frank@partner.test', 'o2o:intro.44d1@sales.test', 'hard'],
    ]);
    const inbox = (await api('GET', `/v1/accounts/acme/inboxes/${good}`)).json;
    expect(inbox.status).toMatchObject({ state: 'ok', errorCode: null });
    // marketing is untouched: the pre-send check of a bounced address still says send
    expect((await api('GET', '/v1/suppressions/bob@customer.test?account=acme')).json.send).toBe(true);
    // the metrics say it, per inbox id (never its user or host)
    const m = await (await fetch(`http://127.0.0.1:${daemon!.httpPort}/metrics`)).text();
    expect(m).toContain(`bounced_inbox_bounces_total{inbox="${good}",method="dsn_message_id"} 2`);
    expect(m).toContain(`bounced_inbox_bounces_total{inbox="${good}",method="gateway_notice"} 1`);
    expect(m).toContain(`bounced_inbox_messages_scanned_total{inbox="${good}"} 8`);
    expect(m).toContain(`bounced_inbox_up{inbox="${good}"} 1`);
    expect(m).toMatch(/^bounced_inbox_connections 1$/m);
    expect(m).not.toContain('alice');
    expect(m).not.toMatch(/inbox="[^"]*127\.0\.0\.1/);
  });

  it('after a restart and a new sync, the same message is not recorded twice', async () => {
    await stopDaemon();
    daemon = await spawnDaemon(env);
    // a new bounce arrives meanwhile: only that one is new
    const extra = inboxFixture('dsn-postfix.eml').toString('latin1').replace('20261116090005.03EF221699B@mta.test', 'second-copy-77@mta.test');
    await dovecot.append(USERS[0]!, [{ folder: 'INBOX', raw: Buffer.from(extra, 'latin1') }]);
    const synced = await api('POST', `/v1/accounts/acme/inboxes/${good}/sync`);
    expect(synced.status).toBe(200);
    expect(synced.json.status.counters).toMatchObject({ scanned: 1 });
    // a second report of the same failure: a record of its own (it is another message); the first four once each
    const all = await bounces();
    expect(all.length).toBe(5);
    expect(all.filter((b) => b.recipient === 'bob@customer.test').length).toBe(2);
    expect(new Set(all.map((b) => `${b.recipient} ${b.messageId}`)).size).toBe(4);
    // and a sync of nothing new records nothing
    await api('POST', `/v1/accounts/acme/inboxes/${good}/sync`);
    expect((await bounces()).length).toBe(5);
  });

  it('a wrong password: a clear error state, no crash, readiness unaffected', async () => {
    const r = await api('POST', '/v1/accounts/acme/inboxes', { host: '127.0.0.1', port: dovecot.port, tls: 'none', user: 'bob', password: 'wrong-password' });
    expect(r.status).toBe(201);
    bad = r.json.id;
    await waitFor('the error state', 20_000, async () => ((await api('GET', `/v1/accounts/acme/inboxes/${bad}`)).json.status.state === 'error' ? true : undefined));
    const inbox = (await api('GET', `/v1/accounts/acme/inboxes/${bad}`)).json;
    expect(inbox.status).toMatchObject({ state: 'error', errorCode: 'auth_failed', failures: 1 });
    expect(inbox.status.nextAttemptAt).toBeGreaterThan(Date.now() + 10 * 60_000);
    const metrics = async () => (await fetch(`http://127.0.0.1:${daemon!.httpPort}/metrics`)).text();
    await waitFor('the error counted', 10_000, async () => ((await metrics()).includes(`bounced_inbox_errors_total{inbox="${bad}",code="auth_failed"} 1`) ? true : undefined));
    expect(await metrics()).toContain(`bounced_inbox_up{inbox="${bad}"} 0`);
    const ready = await fetch(`http://127.0.0.1:${daemon!.httpPort}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { ok: boolean; checks: Record<string, boolean>; details?: { inboxes?: { inboxes: Array<{ id: string; code: string }> } } };
    expect(body.checks.inboxes).toBe(true);
    expect(body.details?.inboxes?.inboxes).toEqual([expect.objectContaining({ id: bad, code: 'auth_failed' })]);
    expect(daemon!.proc.exitCode).toBeNull();

    // the CLI says the same (on the daemon's database, WAL: both may use it)
    const cliEnv = childEnv(env);
    const list = spawnSync(process.execPath, [CLI, 'inboxes', 'list', '--account', 'acme', '--format', 'jsonl'], { env: cliEnv, encoding: 'utf8' });
    expect(list.status, list.stderr).toBe(0);
    const rows = list.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.user, x.state, x.error])).toEqual([['alice', 'ok', null], ['bob', 'error', 'auth_failed']]);
    // the good one is watched by the daemon (its lease), the bad one by nobody (it waits for its back-off)
    expect(rows.map((x) => x.watchedBy === null)).toEqual([false, true]);
    expect(list.stdout).not.toContain('credentials');
    const once = spawnSync(process.execPath, [CLI, 'inboxes', 'sync', bad, '--once'], { env: cliEnv, encoding: 'utf8' });
    expect(once.status).toBe(77);
    expect(once.stderr).toContain('auth_failed');
    const ok = spawnSync(process.execPath, [CLI, 'inboxes', 'sync', good, '--once'], { env: cliEnv, encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ id: good, scanned: 0, bounces: 0 });
    // removed: gone from the list, its records stay
    expect((await api('DELETE', `/v1/accounts/acme/inboxes/${bad}`)).status).toBe(204);
    expect((await api('GET', '/v1/accounts/acme/inboxes')).json.items.map((i: { id: string }) => i.id)).toEqual([good]);
    // and its metric series with it: the label set stays the registered inboxes
    await waitFor('the removed inbox gone from /metrics', 10_000, async () => (!(await metrics()).includes(bad) ? true : undefined));
    expect(await metrics()).toContain(`bounced_inbox_messages_scanned_total{inbox="${good}"}`);
    expect((await bounces()).length).toBe(5);
  });
});

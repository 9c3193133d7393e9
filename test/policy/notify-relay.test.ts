// The notification relay as an authenticated submission service (issue #18): a real
// smtp-server on 127.0.0.1 with AUTH and TLS, its certificate self-signed here and trusted
// through notify.relayCaFile (verification is never turned off). The password comes from
// BOUNCED_NOTIFY_RELAY_PASSWORD_FILE, as the other secrets do, and never reaches the log.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { buildPipeline } from '../../src/pipeline/build.js';
import { relayOptions, sendDueNotifications } from '../../src/policy/notify.js';
import { BOUNCE_DOMAIN, TEST_SECRET, tmpDir } from '../helpers/env.js';

const USER = 'notify@acme.example';
const PASSWORD = 'S3cret-relay-pass-7f1c';
const WRONG = 'wrong-pass-9a2b';

const dir = mkdtempSync(join(tmpdir(), 'docs-notify-relay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = join(dir, 'key.pem');
const cert = join(dir, 'cert.pem');
// A self-signed certificate for the address the client connects to (its own CA).
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=relay.test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
const passwordFile = join(dir, 'relay-password');
writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Relay {
  port: number;
  received: Array<{ user: unknown; secure: boolean; to: string[] }>;
  authTries: Array<{ method: string; user: string }>;
}

/** A submission service on an ephemeral loopback port: AUTH only over TLS, one user. */
async function startRelay(opts: Partial<SMTPServerOptions>): Promise<Relay> {
  const relay: Relay = { port: 0, received: [], authTries: [] };
  const server = new SMTPServer({
    key: execFileSync('cat', [key]),
    cert: execFileSync('cat', [cert]),
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: false,
    onAuth(auth, _session, cb) {
      relay.authTries.push({ method: auth.method, user: auth.username ?? '' });
      if (auth.username === USER && auth.password === PASSWORD) return cb(null, { user: auth.username });
      const err = Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 });
      return cb(err);
    },
    onData(stream, session, cb) {
      stream.resume();
      stream.on('end', () => {
        relay.received.push({ user: session.user, secure: session.secure, to: session.envelope.rcptTo.map((r) => r.address) });
        cb();
      });
    },
    ...opts,
  });
  // a client that drops the connection (a refused certificate) is reported here, not thrown
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  relay.port = (server.server.address() as AddressInfo).port;
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return relay;
}

/** The daemon's config the way an operator gives it: env variables, the password from a file. */
function relayConfig(port: number, env: Record<string, string>): Config {
  return loadConfig({
    env: {
      BOUNCED_NOTIFY_ENABLED: 'true',
      BOUNCED_NOTIFY_RELAY_HOST: '127.0.0.1',
      BOUNCED_NOTIFY_RELAY_PORT: String(port),
      BOUNCED_NOTIFY_RELAY_USER: USER,
      BOUNCED_NOTIFY_RELAY_PASSWORD_FILE: passwordFile,
      BOUNCED_NOTIFY_RELAY_CA_FILE: cert,
      ...env,
    },
    overrides: { dataDir: tmpDir('docs-notify-'), bounceDomains: [BOUNCE_DOMAIN], logLevel: 'silent', smtp: { port: 0 }, http: { port: 0 }, verp: { secret: TEST_SECRET } },
  });
}

/** A pipeline with one queued notification (a suspension mail to acme's contact), and a log kept in memory. */
async function withNotification(config: Config) {
  const { store, policy, close } = await buildPipeline(config);
  cleanups.push(close);
  await policy.createAccount({ id: 'acme', tier: 'starter', contactEmail: 'owner@acme.example' }, 'test', 1);
  await policy.recordAbuseReport('acme', 'complaint forwarded by an ISP', true, 'admin:kim', 1);
  const lines: string[] = [];
  const log = createLogger('debug', { write: (s: string) => void lines.push(s) });
  // The start-up line carries the configuration (main.ts logs it redacted the same way).
  log.info({ evt: 'STARTING', config: redactConfig(config) }, 'bounced starting');
  return { store, policy, lines, log };
}

describe('notification relay: AUTH and TLS', () => {
  it('implicit TLS (465-style) with AUTH PLAIN: the right password from the _FILE is accepted and the mail sent', async () => {
    const relay = await startRelay({ secure: true, authMethods: ['PLAIN'] });
    const config = relayConfig(relay.port, { BOUNCED_NOTIFY_RELAY_TLS: 'implicit' });
    expect(config.notify.relayPassword).toBe(PASSWORD);
    const { store, policy, lines, log } = await withNotification(config);
    expect(await sendDueNotifications(store.notifications, config, 10, log)).toEqual({ sent: 1, failed: 0 });
    expect(relay.authTries).toEqual([{ method: 'PLAIN', user: USER }]);
    expect(relay.received).toEqual([{ user: USER, secure: true, to: ['owner@acme.example'] }]);
    expect((await policy.listNotifications('acme'))[0]).toMatchObject({ sentAt: 10, lastError: null });
    expect(lines.join('')).not.toContain(PASSWORD);
  });

  it('STARTTLS required with AUTH LOGIN: the session is upgraded before the login', async () => {
    const relay = await startRelay({ secure: false, authMethods: ['LOGIN'] });
    const config = relayConfig(relay.port, { BOUNCED_NOTIFY_RELAY_TLS: 'starttls' });
    const { store, lines, log } = await withNotification(config);
    expect(await sendDueNotifications(store.notifications, config, 10, log)).toEqual({ sent: 1, failed: 0 });
    expect(relay.authTries).toEqual([{ method: 'LOGIN', user: USER }]);
    expect(relay.received).toEqual([{ user: USER, secure: true, to: ['owner@acme.example'] }]);
    expect(lines.join('')).not.toContain(PASSWORD);
  });

  it('a wrong password: a clear NOTIFY_FAILED auth_failed, the notification kept for its retry, no password in the log; sent once it is fixed', async () => {
    const relay = await startRelay({ secure: true });
    const wrongFile = join(dir, 'wrong-password');
    writeFileSync(wrongFile, WRONG);
    const config = relayConfig(relay.port, { BOUNCED_NOTIFY_RELAY_TLS: 'implicit', BOUNCED_NOTIFY_RELAY_PASSWORD_FILE: wrongFile, BOUNCED_NOTIFY_RETRY_BASE_MS: '60000' });
    const { store, policy, lines, log } = await withNotification(config);
    expect(await sendDueNotifications(store.notifications, config, 10, log)).toEqual({ sent: 0, failed: 1 });
    expect(relay.received).toEqual([]);
    expect(relay.authTries).toHaveLength(1);
    const [n] = await policy.listNotifications('acme');
    expect(n).toMatchObject({ sentAt: null, attempts: 1, nextAttemptAt: 10 + 60_000 });
    expect(n!.lastError).toMatch(/^auth_failed: .*535/);
    const failed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.evt === 'NOTIFY_FAILED');
    expect(failed).toEqual([expect.objectContaining({ level: 40, code: 'auth_failed', attempts: 1, error: expect.stringMatching(/^auth_failed: .*535/) })]);
    const text = lines.join('');
    expect(text).not.toContain(WRONG);
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain('"relayPassword":"[redacted]"');

    // The operator fixes the password; the retry, once due, goes through.
    const fixed = { ...config, notify: { ...config.notify, relayPassword: PASSWORD } };
    expect(await sendDueNotifications(store.notifications, fixed, 20, log)).toEqual({ sent: 0, failed: 0 }); // not due yet
    expect(await sendDueNotifications(store.notifications, fixed, 10 + 60_000, log)).toEqual({ sent: 1, failed: 0 });
    expect(relay.received).toHaveLength(1);
  });

  it('verifies the certificate by default: without relayCaFile the self-signed relay is refused (tls_failed) and no password is sent', async () => {
    const relay = await startRelay({ secure: true });
    const config = relayConfig(relay.port, { BOUNCED_NOTIFY_RELAY_TLS: 'implicit', BOUNCED_NOTIFY_RELAY_CA_FILE: '' });
    const { store, policy, lines, log } = await withNotification(config);
    expect(await sendDueNotifications(store.notifications, config, 10, log)).toEqual({ sent: 0, failed: 1 });
    expect(relay.authTries).toEqual([]);
    expect((await policy.listNotifications('acme'))[0]!.lastError).toMatch(/^tls_failed: /);
    expect(lines.join('')).not.toContain(PASSWORD);
  });

  it('never sends a password in clear: with a user, a relay that offers no STARTTLS is refused (opportunistic becomes required)', async () => {
    const relay = await startRelay({ secure: false, disabledCommands: ['STARTTLS'], allowInsecureAuth: true });
    const config = relayConfig(relay.port, {});
    expect(config.notify.relayTls).toBe('opportunistic');
    const { store, policy, log } = await withNotification(config);
    expect(await sendDueNotifications(store.notifications, config, 10, log)).toEqual({ sent: 0, failed: 1 });
    expect(relay.authTries).toEqual([]);
    expect(relay.received).toEqual([]);
    expect((await policy.listNotifications('acme'))[0]!.lastError).toMatch(/^tls_failed: .*STARTTLS/);
  });

  it('a user without a password is a configuration error naming the key (exit 78 at start), not a login refused at each retry', () => {
    const empty = join(dir, 'empty-password');
    writeFileSync(empty, '\n');
    expect(() => relayConfig(25, { BOUNCED_NOTIFY_RELAY_PASSWORD_FILE: empty })).toThrow(/notify\.relayPassword.*empty while notify\.relayUser is set/);
    expect(relayConfig(25, { BOUNCED_NOTIFY_RELAY_PASSWORD_FILE: empty, BOUNCED_NOTIFY_ENABLED: 'false' }).notify.relayUser).toBe(USER);
  });

  it('relayOptions: an unreadable relayCaFile is a clear error naming the key', () => {
    const config = relayConfig(25, { BOUNCED_NOTIFY_RELAY_CA_FILE: join(dir, 'nope.pem') });
    expect(() => relayOptions(config.notify)).toThrow(/notify\.relayCaFile: cannot read .*nope\.pem/);
  });
});

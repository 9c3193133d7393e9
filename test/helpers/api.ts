import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiDeps } from '../../src/api/app.js';
import { createLogger } from '../../src/log.js';
import { createApiKey } from '../../src/api/auth.js';
import { Metrics } from '../../src/metrics.js';
import { buildPipeline } from '../../src/pipeline/build.js';
import { VerpCodec } from '../../src/verp/index.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, testConfig } from './env.js';
import { withMessageId } from './smtp.js';

export const ADMIN_KEY = 'admin-key-for-tests-0123456789';
export const verp = new VerpCodec(TEST_SECRET, 'b');
/** The Postfix DSN for rcpt-550-5.1.1@reject.test (550 5.1.1 user unknown). */
export const S02_RCPT = 'rcpt-550-5.1.1@reject.test';
const s02 = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));

export type Fixture = Awaited<ReturnType<typeof apiFixture>>;

/** The app over a real store and policy service in a temp dir; its log lines are kept in `logs`. */
export async function apiFixture(overrides: Partial<ApiDeps> = {}, config: Record<string, unknown> = {}) {
  const cfg = testConfig({ adminKey: ADMIN_KEY, ...config });
  const built = await buildPipeline(cfg);
  const { store, policy } = built;
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger('debug', sink);
  const metrics = new Metrics({ defaults: false, suppressions: () => store.suppressions.counts() });
  // Every webhook receiver in these tests is on loopback: allowed unless a test says otherwise.
  const app: FastifyInstance = buildApi({ store, log, smtpListening: () => true, policy, adminKey: ADMIN_KEY, metrics, webhookAllowPrivateDestinations: true, ...overrides });
  await app.ready();
  const processor = built.processor(createLogger('silent'));
  let n = 0;
  return {
    app,
    config: cfg,
    store,
    built,
    policy,
    metrics,
    logs: () => lines.join(''),
    /** Stores and processes the s02 hard bounce for `recipient`'s VERP token of `account`; returns its bounce id. */
    async bounce(account: string, message = `m-${++n}`): Promise<number> {
      const to = verp.encode({ account, message, recipient: S02_RCPT }, BOUNCE_DOMAIN);
      await store.messages.insert([
        { receivedAt: Date.now(), source: 'smtp', mailFrom: '', rcptTo: [to], remoteIp: '127.0.0.1', helo: 'test', raw: withMessageId(s02, `${account}.${message}`) },
      ]);
      await processor.drain();
      const all = await store.bounces.list({ accountId: account });
      return all[all.length - 1]!.id;
    },
    /** Creates an API key for an account (what POST /v1/accounts/:id/keys does). */
    createKey(accountId: string | null, name: string | null = 'test') {
      return createApiKey(store.keys, accountId, name, Date.now());
    },
    async close() {
      await app.close();
      await processor.stop();
      await built.close();
    },
  };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
export const admin = bearer(ADMIN_KEY);

/** Creates accounts (policy service) and one key for each (repository); returns the keys. */
export async function withAccounts(fx: Fixture, ...ids: string[]): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  for (const id of ids) {
    await fx.policy.createAccount({ id, tier: 'professional' }, 'test', Date.now());
    keys[id] = (await fx.createKey(id)).key;
  }
  return keys;
}

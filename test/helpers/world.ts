// A bounced for policy scenarios: real SQLite (buildPipeline: the store, the policy and the
// settle step as in the daemon), a real SMTP listener on loopback, the real pipeline. Reports
// are sent with nodemailer; each call waits until the pipeline has settled what it sent.
import { expect } from 'vitest';
import { Listener } from '../../src/listener/index.js';
import { createLogger } from '../../src/log.js';
import { utcDay } from '../../src/domain/index.js';
import { buildPipeline } from '../../src/pipeline/build.js';
import { Intake } from '../../src/pipeline/intake.js';
import { BOUNCE_DOMAIN, testConfig } from './env.js';
import { sendRaw } from './smtp.js';
import { arf, dsn, type Failure } from './policy-mail.js';

export type World = Awaited<ReturnType<typeof world>>;

export async function world(overrides: Record<string, unknown> = {}) {
  // NORMAL: these scenarios test the policy, not fsync (the listener tests keep FULL).
  const config = testConfig({ store: { synchronous: 'NORMAL' }, ...overrides });
  const log = createLogger('silent');
  const built = await buildPipeline(config);
  const { store, verp, policy } = built;
  const processor = built.processor(log);
  const intake = new Intake(store, log, 64, () => processor.kick());
  const listener = new Listener({ config, intake, log });
  const { port } = await listener.listen('127.0.0.1', 0);
  let seq = 0;
  const returnPath = (account: string, message: string, recipient: string) => verp.encode({ account, message, recipient }, BOUNCE_DOMAIN);

  async function deliver(to: string, raw: Buffer): Promise<void> {
    const r = await sendRaw(port, { from: '', to: [to] }, raw);
    expect(r.code, r.response).toBe(250);
    await processor.drain();
  }

  return {
    config,
    built,
    store,
    policy,
    verp,
    port,
    returnPath,
    deliver,
    /** A DSN for one recipient of one message, over SMTP to its VERP return path. */
    async bounce(account: string, message: string, recipient: string, failure: Failure = 'unknown_user'): Promise<void> {
      const rp = returnPath(account, message, recipient);
      await deliver(rp, await dsn({ returnPath: rp, recipient, failure, n: ++seq }));
    },
    /** n hard bounces for n different recipients of account (message m-<i>). */
    async bounces(account: string, n: number, failure: Failure = 'unknown_user', prefix = 'x'): Promise<void> {
      // Ten SMTP sessions at a time, as an MTA flushing its bounces would.
      for (let i = 0; i < n; i += 10) {
        await Promise.all(
          Array.from({ length: Math.min(10, n - i) }, async (_, k) => {
            const rcpt = `${prefix}${i + k}@example.org`;
            const rp = returnPath(account, `m-${prefix}${i + k}`, rcpt);
            const r = await sendRaw(port, { from: '', to: [rp] }, await dsn({ returnPath: rp, recipient: rcpt, failure, n: ++seq }));
            expect(r.code, r.response).toBe(250);
          }),
        );
        await processor.drain();
      }
    },
    /** A feedback-loop report sent to a fixed FBL address (attributed by the original's Return-Path). */
    async complaint(account: string, message: string, recipient: string, feedbackType: 'abuse' | 'not-spam' = 'abuse'): Promise<void> {
      await deliver(`fbl@${BOUNCE_DOMAIN}`, await arf({ returnPath: returnPath(account, message, recipient), recipient, feedbackType, n: ++seq }));
    },
    sends(account: string, count: number, at = Date.now()): Promise<void> {
      return store.sends.add(account, utcDay(at), count);
    },
    async events(type?: string) {
      return (await store.events.list(0, 100_000)).filter((e) => !type || e.type === type);
    },
    audit(account: string) {
      return store.audit.list(account);
    },
    notifications(account?: string) {
      return store.notifications.list(account);
    },
    async close(): Promise<void> {
      await listener.close();
      await processor.stop();
      await built.close();
    },
  };
}

/** The first instant of the next UTC month after t. */
export function nextMonth(t: number): number {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1, 0, 0, 1);
}

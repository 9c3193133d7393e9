// Notifications go through a real SMTP relay (a local smtp-server). The relay is down at
// first, then up: the outbox keeps every mail and the scheduler's send-notifications job
// delivers it once its retry is due. Time is passed in; nothing sleeps.
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { buildPipeline } from '../../src/pipeline/build.js';
import { Scheduler } from '../../src/scheduler/index.js';
import { policyJobs } from '../../src/scheduler/jobs.js';
import { testConfig } from '../helpers/env.js';
import { freePort } from '../helpers/net.js';

const log = createLogger('silent');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Received {
  from: string;
  to: string[];
  raw: string;
}

async function startRelay(port: number): Promise<{ received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return { received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('notifications outbox', () => {
  it('a relay outage loses nothing: queued in SQLite, retried with backoff, delivered once the relay is up', async () => {
    const port = await freePort();
    const config = testConfig({ notify: { enabled: true, relayPort: port, retryBaseMs: 60_000, retryMaxMs: 600_000 } });
    const { store, policy, close } = await buildPipeline(config);
    cleanups.push(close);
    const T0 = Date.parse('2026-11-23T10:00:00Z');

    await policy.createAccount({ id: 'acme', tier: 'starter', contactEmail: 'owner@acme.example' }, 'test', T0);
    await policy.recordAbuseReport('acme', 'complaint forwarded by an ISP', true, 'admin:kim', T0);
    const filed = await policy.fileAppeal('acme', {
      importedOptOutList: true, cleanedLists: true, mailedWithinYear: true, contactsSource: 'shop sign-ups', message: 'sorry',
    }, T0);
    expect(filed.ok).toBe(true);
    expect((await policy.listNotifications('acme')).map((n) => n.kind)).toEqual(['suspension', 'appeal_received']);

    const scheduler = new Scheduler(store.jobs, policyJobs(config, policy, store, log), log);
    // Relay down: both attempts fail, both stay queued with their next attempt a minute on.
    expect(await scheduler.runDue(T0)).toContain('send-notifications');
    let queued = await policy.listNotifications('acme');
    expect(queued.every((n) => n.sentAt === null && n.attempts === 1 && n.nextAttemptAt === T0 + 60_000)).toBe(true);
    expect(queued[0]!.lastError).toMatch(/ECONNREFUSED|connect/i);

    // Still down at the next run: the backoff doubles.
    await scheduler.runDue(T0 + 60_000);
    queued = await policy.listNotifications('acme');
    expect(queued.map((n) => [n.attempts, n.nextAttemptAt])).toEqual([[2, T0 + 180_000], [2, T0 + 180_000]]);

    // The relay comes up; nothing is due before the retry time, everything after it.
    const relay = await startRelay(port);
    cleanups.push(relay.close);
    await scheduler.runDue(T0 + 120_000);
    expect(relay.received).toHaveLength(0);
    await scheduler.runDue(T0 + 180_000);
    expect(relay.received).toHaveLength(2);
    expect(relay.received.map((r) => r.to)).toEqual([['owner@acme.example'], ['owner@acme.example']]);
    expect(relay.received[0]!.from).toBe('deliverability@bounced.localhost');
    expect(relay.received[0]!.raw).toMatch(/Subject: \[bounced\] Marketing sending is suspended/);
    expect((await policy.listNotifications('acme')).every((n) => n.sentAt === T0 + 180_000)).toBe(true);

    // Sent once: the next runs send nothing again.
    await scheduler.runDue(T0 + 3_600_000);
    expect(relay.received).toHaveLength(2);
  });

  it('disabled: notifications are queued, not sent', async () => {
    const config = testConfig();
    const { store, policy, close } = await buildPipeline(config);
    cleanups.push(close);
    await policy.createAccount({ id: 'acme', tier: 'free', contactEmail: 'owner@acme.example' }, 'test', 1);
    await policy.recordAbuseReport('acme', 'x', true, 'admin', 1);
    await new Scheduler(store.jobs, policyJobs(config, policy, store, log), log).runDue(2);
    expect(await policy.listNotifications('acme')).toEqual([expect.objectContaining({ kind: 'suspension', attempts: 0, sentAt: null })]);
  });
});

// What a 250 promises: the message is on disk before the reply, and a crash between the
// reply and the processing is repaired at the next start. Real child processes, SIGKILL.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { startDaemon } from '../../src/main.js';
import { openStore } from '../helpers/db.js';
import { VerpCodec } from '../../src/verp/index.js';
import { spawnDaemon } from '../helpers/child.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, testConfig, tmpDir } from '../helpers/env.js';
import { sendRaw, withMessageId } from '../helpers/smtp.js';

const verp = new VerpCodec(TEST_SECRET, 'b');
const dsn = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));

const uniqueDsn = (n: number) => withMessageId(dsn, n);

describe('recovery', () => {
  it('processes at start what was stored but not processed before a stop', async () => {
    const config = testConfig();
    // Exactly the state a crash after the commit (after the 250) leaves behind.
    const store = await openStore(config);
    await store.messages.insert([1, 2, 3].map((n) => ({ receivedAt: Date.now(), source: 'smtp' as const, mailFrom: '', rcptTo: [`postmaster@${BOUNCE_DOMAIN}`], remoteIp: '127.0.0.1', helo: 'mta.test', raw: uniqueDsn(n) })));
    expect((await store.messages.counts()).received).toBe(3);
    await store.close();

    const d = await startDaemon(config, createLogger('silent'));
    await d.processor.drain();
    expect(await d.store.messages.counts()).toMatchObject({ received: 0, processed: 3 });
    expect(await d.store.bounces.list({})).toHaveLength(3);
    await d.stop();
  });

  it('after SIGKILL right after 250s, every acknowledged message is processed exactly once', async () => {
    const dataDir = tmpDir();
    // 40 sessions from one address: past the per-client limit (smtp.maxClientsPerIp), lifted here.
    const env = { BOUNCED_DATA_DIR: dataDir, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN, BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_SMTP_MAX_CLIENTS_PER_IP: '0' };
    const child = await spawnDaemon(env);
    const acked: number[] = [];
    let killed = false;
    // 40 concurrent deliveries; the process dies at the first 250, mid-stream for the rest.
    await Promise.all(
      Array.from({ length: 40 }, async (_, n) => {
        const to = verp.encode({ account: 'acme', message: `m-${n}`, recipient: 'rcpt-550-5.1.1@reject.test' }, BOUNCE_DOMAIN);
        const res = await sendRaw(child.smtpPort, { from: '', to: [to] }, uniqueDsn(n));
        if (res.code === 250) {
          acked.push(n);
          if (!killed) {
            killed = true;
            child.proc.kill('SIGKILL');
          }
        }
      }),
    );
    await child.exited;
    expect(acked.length).toBeGreaterThan(0);

    const again = await spawnDaemon(env);
    // Wait for the backlog to drain, then stop cleanly.
    const cfg = loadConfig({ env: { BOUNCED_DATA_DIR: dataDir } });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const s = await openStore(cfg);
      const received = (await s.messages.counts()).received;
      await s.close();
      if (received === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    again.proc.kill('SIGTERM');
    expect(await again.exited).toBe(0);

    const store = await openStore(cfg);
    const messages = await store.messages.list({});
    const bounces = await store.bounces.list({});
    await store.close();
    // Every 250 is stored and processed...
    const storedIds = new Set(bounces.map((b) => b.messageId));
    for (const n of acked) expect(storedIds.has(`m-${n}`), `m-${n}`).toBe(true);
    expect(messages.every((m) => m.state === 'processed')).toBe(true);
    // ...and nothing twice: one record per stored message.
    expect(bounces).toHaveLength(messages.length);
    expect(new Set(bounces.map((b) => b.messageRow)).size).toBe(bounces.length);
  });
});

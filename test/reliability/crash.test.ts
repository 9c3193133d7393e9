// Crash safety under load: `bounced serve` killed with SIGKILL at random moments while a
// concurrent SMTP client sends, restarted, again and again (5 cycles in CI, 50 with SOAK=1).
// Every message that got a 250 is stored and processed after the last restart; none twice.
// Likewise `ingest` killed mid-way, and the same report delivered 10 times over SMTP and
// from the log giving one outcome.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../helpers/db.js';
import { VerpCodec } from '../../src/verp/index.js';
import { childEnv, CLI, spawnDaemon } from '../helpers/child.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, tmpDir } from '../helpers/env.js';
import { sendRaw, withMessageId } from '../helpers/smtp.js';
import { rng } from '../../scripts/prng.mjs';

const SOAK = process.env.SOAK === '1';
const verp = new VerpCodec(TEST_SECRET, 'b');
const dsn = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
const RCPT = 'rcpt-550-5.1.1@reject.test';

async function waitDrained(dataDir: string, ms = 20_000): Promise<void> {
  const cfg = loadConfig({ env: { BOUNCED_DATA_DIR: dataDir } });
  const end = Date.now() + ms;
  for (;;) {
    const s = await openStore(cfg);
    const left = (await s.messages.counts()).received;
    await s.close();
    if (left === 0) return;
    if (Date.now() > end) throw new Error(`${left} messages still unprocessed`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('crash safety', () => {
  it(`survives ${SOAK ? 50 : 5} SIGKILLs at random moments under SMTP load`, async () => {
    const dataDir = tmpDir();
    const env = { BOUNCED_DATA_DIR: dataDir, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN, BOUNCED_VERP_SECRET: TEST_SECRET };
    const r = rng(7);
    const acked = new Set<number>();
    let n = 0;
    for (let cycle = 0; cycle < (SOAK ? 50 : 5); cycle++) {
      const child = await spawnDaemon(env);
      let alive = true;
      void child.exited.then(() => (alive = false));
      const killAt = Date.now() + 50 + r() * 400;
      const timer = setTimeout(() => child.proc.kill('SIGKILL'), killAt - Date.now());
      // Ten concurrent senders, each sending until the daemon is gone.
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (alive) {
            const id = n++;
            const to = verp.encode({ account: 'acme', message: `m-${id}`, recipient: RCPT }, BOUNCE_DOMAIN);
            const res = await sendRaw(child.smtpPort, { from: '', to: [to] }, withMessageId(dsn, id)).catch(() => null);
            if (res?.code === 250) acked.add(id);
          }
        }),
      );
      clearTimeout(timer);
      await child.exited;
    }
    expect(acked.size).toBeGreaterThan(0);
    const last = await spawnDaemon(env);
    await waitDrained(dataDir);
    last.proc.kill('SIGTERM');
    expect(await last.exited).toBe(0);

    const s = await openStore(loadConfig({ env: { BOUNCED_DATA_DIR: dataDir } }));
    const messages = await s.messages.list({ limit: 1_000_000 });
    const bounces = await s.bounces.list({ limit: 1_000_000 });
    const deliveries = await s.deliveries.list({ limit: 1_000_000 });
    await s.close();
    const recorded = new Set(bounces.map((b) => Number(b.messageId!.slice(2))));
    for (const id of acked) expect(recorded.has(id), `m-${id} got a 250`).toBe(true);
    expect(messages.every((m) => m.state === 'processed')).toBe(true);
    // One record per stored message, one delivery per message id: nothing processed twice.
    expect(bounces).toHaveLength(messages.length);
    expect(deliveries).toHaveLength(new Set(bounces.map((b) => b.messageId)).size);
    expect(deliveries.every((d) => d.state === 'hard' && d.attempts === 1)).toBe(true);
  }, 300_000);

  it('ingest killed at random moments: every exit 0 is stored, and processed at the next start', async () => {
    const dataDir = tmpDir();
    const env = childEnv({ BOUNCED_DATA_DIR: dataDir, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN, BOUNCED_VERP_SECRET: TEST_SECRET });
    const r = rng(11);
    const ok: number[] = [];
    for (let i = 0; i < (SOAK ? 200 : 20); i++) {
      const to = verp.encode({ account: 'acme', message: `i-${i}`, recipient: RCPT }, BOUNCE_DOMAIN);
      const child = spawn(process.execPath, [CLI, 'ingest', '--recipient', to, '-'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
      child.stdin.end(withMessageId(dsn, `i${i}`));
      const timer = setTimeout(() => child.kill('SIGKILL'), 100 + r() * 500);
      const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
      clearTimeout(timer);
      if (code === 0) ok.push(i);
      else expect([null, 75]).toContain(code);
    }
    const last = await spawnDaemon({ BOUNCED_DATA_DIR: dataDir, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN, BOUNCED_VERP_SECRET: TEST_SECRET });
    await waitDrained(dataDir);
    last.proc.kill('SIGTERM');
    await last.exited;
    const s = await openStore(loadConfig({ env: { BOUNCED_DATA_DIR: dataDir } }));
    const ids = new Set((await s.bounces.list({ limit: 100_000 })).map((b) => b.messageId));
    const messages = await s.messages.list({ limit: 100_000 });
    await s.close();
    for (const i of ok) expect(ids.has(`i-${i}`), `i-${i} exited 0`).toBe(true);
    expect(messages.every((m) => m.state === 'processed')).toBe(true);
    expect(ids.size).toBe(messages.length);
  }, 300_000);

  it('the same report delivered 10 times, over SMTP and in the log, gives one outcome', async () => {
    const dataDir = tmpDir();
    const log = join(tmpDir(), 'maillog');
    writeFileSync(log, '');
    const child = await spawnDaemon({ BOUNCED_DATA_DIR: dataDir, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN, BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_TAIL_FILE: log, BOUNCED_TAIL_POLL_MS: '20' });
    const to = verp.encode({ account: 'acme', message: 'once', recipient: RCPT }, BOUNCE_DOMAIN);
    const lines =
      `Nov 23 02:44:40 mta postfix/qmgr[1]: EED1F2168D3: from=<${to}>, size=2086, nrcpt=1 (queue active)\n` +
      `Nov 23 02:44:41 mta postfix/smtp[2]: EED1F2168D3: to=<${RCPT}>, relay=127.0.0.1[127.0.0.1]:2527, delay=0.04, delays=0.01/0.03/0/0, dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <${RCPT}>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))\n`;
    for (let i = 0; i < 10; i++) {
      expect((await sendRaw(child.smtpPort, { from: '', to: [to] }, dsn)).code).toBe(250);
      appendFileSync(log, lines);
    }
    await waitDrained(dataDir);
    await new Promise((r) => setTimeout(r, 500));
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    const env = childEnv({ BOUNCED_DATA_DIR: dataDir, BOUNCED_VERP_SECRET: TEST_SECRET });
    const list = (what: string) =>
      spawnSync(process.execPath, [CLI, what, 'list', '--format', 'jsonl'], { env }).stdout.toString().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const deliveries = list('deliveries');
    expect(deliveries).toHaveLength(1);
    // One DSN and one log line: the nine copies of each change nothing.
    expect(deliveries[0]).toMatchObject({ state: 'hard', recipient: RCPT, attempts: 2, evidenceCount: 2 });
    expect(list('bounces')).toHaveLength(1);
    expect(list('sends')[0]).toMatchObject({ accountId: 'acme', count: 1 });
  }, 120_000);
});

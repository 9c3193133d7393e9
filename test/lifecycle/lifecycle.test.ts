// One outcome per delivery: pending -> delivered | hard | soft, from real Postfix DSNs and
// real log lines, in every order, with time passed in (no sleeps).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { advance } from '../../src/domain/index.js';
import { createLogger } from '../../src/log.js';
import { Intake } from '../../src/pipeline/intake.js';
import { buildPipeline, type Built } from '../../src/pipeline/build.js';
import { applyLogEvent } from '../../src/pipeline/log-evidence.js';
import { parseLogLine } from '../../src/logtail/parse.js';
import { expirePending } from '../../src/scheduler/jobs.js';
import { VerpCodec } from '../../src/verp/index.js';
import { childEnv, CLI } from '../helpers/child.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, testConfig } from '../helpers/env.js';
import { withMessageId } from '../helpers/smtp.js';

const verp = new VerpCodec(TEST_SECRET, 'b');
const log = createLogger('silent');
const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-23T02:44:00Z');
const WINDOW = 72 * HOUR;

let built: Array<{ b: Built; stop: () => Promise<void> }> = [];
afterEach(async () => {
  for (const { b, stop } of built) {
    await stop();
    await b.close();
  }
  built = [];
});

// Scenario s05 of the Postfix capture: a recipient whose server answers 452 4.2.2 (mailbox
// full): Postfix first sends a `delayed` DSN, later a `failed` one with 4.2.2.
const RCPT = 'rcpt-452-4.2.2@reject.test';
const dsn = (name: string) => readFileSync(join(fixturesDir, 'postfix', name));
const ADDRESS = verp.encode({ account: 'acme', message: 'm-5', recipient: RCPT }, BOUNCE_DOMAIN);

type Step = 'delayed-dsn' | 'failed-dsn' | 'deferred-log' | 'sent-log' | 'bounced-log';

async function world() {
  const config = testConfig();
  const b = await buildPipeline(config);
  const { store } = b;
  let clock = T0;
  const processor = b.processor(log, { now: () => clock });
  built.push({ b, stop: () => processor.stop() });
  const intake = new Intake(store, log, 10);
  let seq = 0;
  const qmgr = `Nov 23 02:44:41 mta postfix/qmgr[1]: 02B79216999: from=<${ADDRESS}>, size=2126, nrcpt=1 (queue active)`;
  const lines: Record<string, string> = {
    'deferred-log': `Nov 23 02:44:41 mta postfix/smtp[2]: 02B79216999: to=<${RCPT}>, relay=127.0.0.1[127.0.0.1]:2527, delay=0.1, delays=0/0/0/0.1, dsn=4.2.2, status=deferred (host 127.0.0.1[127.0.0.1] said: 452 4.2.2 <${RCPT}>: Mailbox full, try again later (in reply to RCPT TO command))`,
    'sent-log': `Nov 23 03:10:00 mta postfix/smtp[2]: 02B79216999: to=<${RCPT}>, relay=127.0.0.1[127.0.0.1]:2527, delay=1500, delays=1500/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X)`,
    'bounced-log': `Nov 23 03:20:00 mta postfix/smtp[2]: 02B79216999: to=<${RCPT}>, relay=127.0.0.1[127.0.0.1]:2527, delay=2100, delays=2100/0/0/0.1, dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <${RCPT}>: User unknown (in reply to RCPT TO command))`,
  };
  const logNow = new Date(2026, 10, 23, 12).getTime();
  const feedLine = (line: string) => b.rules.transaction(store, logNow, (p) => applyLogEvent(parseLogLine(line, logNow)!, line, { policy: p, verp }));
  await feedLine(qmgr);
  return {
    store,
    expire: (now: number) => expirePending(store, b.rules, WINDOW, now),
    setClock: (t: number) => (clock = t),
    async step(s: Step) {
      if (s.endsWith('-dsn')) {
        const file = s === 'delayed-dsn' ? 's05-remote-rcpt452--delayed.eml' : 's05-remote-rcpt452--failed.eml';
        await intake.accept({ receivedAt: clock, source: 'smtp', mailFrom: '', rcptTo: [ADDRESS], remoteIp: null, helo: null, raw: withMessageId(dsn(file), ++seq) });
        await processor.drain();
      } else {
        await feedLine(lines[s]!);
      }
    },
    delivery: async () => {
      const all = await store.deliveries.list({});
      expect(all).toHaveLength(1);
      return all[0]!;
    },
  };
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('delivery lifecycle', () => {
  it('never moves backwards', () => {
    expect(advance('hard', 'pending')).toBe('hard');
    expect(advance('delivered', 'pending')).toBe('delivered');
    expect(advance('soft', 'delivered')).toBe('soft');
    expect(advance('pending', 'delivered')).toBe('delivered');
    expect(advance('soft', 'hard')).toBe('hard');
  });

  it('a delayed DSN makes a pending record, tracked with its evidence', async () => {
    const w = await world();
    await w.step('delayed-dsn');
    expect(await w.delivery()).toMatchObject({ accountId: 'acme', messageId: 'm-5', recipient: RCPT, state: 'pending', reason: 'mailboxfull', attempts: 1 });
  });

  it('pending -> delivered when the log says sent, in either order', async () => {
    for (const order of permutations<Step>(['delayed-dsn', 'deferred-log', 'sent-log'])) {
      const w = await world();
      for (const s of order) await w.step(s);
      expect((await w.delivery()).state, order.join(',')).toBe('delivered');
      expect((await w.delivery()).evidenceCount).toBe(3);
      // Delivered within the window: the window job leaves it alone.
      expect(await w.expire(T0 + 100 * HOUR)).toBe(0);
      expect((await w.delivery()).state).toBe('delivered');
    }
  });

  it('pending -> hard on a permanent failure, in every order of the evidence', async () => {
    for (const order of permutations<Step>(['delayed-dsn', 'deferred-log', 'bounced-log'])) {
      const w = await world();
      for (const s of order) await w.step(s);
      expect(await w.delivery(), order.join(',')).toMatchObject({ state: 'hard', status: '5.1.1', reason: 'userunknown' });
    }
  });

  it('pending -> soft when the MTA gives up with 4.x.x, whatever came first', async () => {
    for (const order of permutations<Step>(['delayed-dsn', 'failed-dsn', 'deferred-log'])) {
      const w = await world();
      for (const s of order) await w.step(s);
      expect(await w.delivery(), order.join(',')).toMatchObject({ state: 'soft', status: '4.2.2' });
    }
  });

  it('pending -> soft after the 72 h window, not a moment before', async () => {
    const w = await world();
    await w.step('delayed-dsn');
    expect(await w.expire(T0 + WINDOW - 1)).toBe(0);
    expect((await w.delivery()).state).toBe('pending');
    expect(await w.expire(T0 + WINDOW)).toBe(1);
    expect(await w.delivery()).toMatchObject({ state: 'soft', reason: 'mailboxfull' });
    // Late evidence cannot reopen it; a later permanent failure still makes it hard.
    await w.step('delayed-dsn');
    expect((await w.delivery()).state).toBe('soft');
    await w.step('bounced-log');
    expect((await w.delivery()).state).toBe('hard');
  });

  it('a duplicate DSN or log line counts once', async () => {
    const w = await world();
    await w.step('deferred-log');
    await w.step('deferred-log');
    expect((await w.delivery()).attempts).toBe(1);
    expect((await w.store.sends.list('acme'))[0]!.count).toBe(1);
  });

  it('`bounced tick --now` runs the due jobs once and turns an expired pending record soft', async () => {
    const config = testConfig();
    const { store, close } = await buildPipeline(config);
    await store.deliveries.applyEvidence(
      { accountId: 'acme', messageId: 'm-1', recipient: 'a@example.org', at: Date.parse('2026-01-01T00:00:00Z'), source: 'log', state: 'pending', status: '4.4.1', reason: 'networkerror', category: 'temporary', diagnostic: 'connect refused', qid: 'AAAAAA', dedupKey: 'k1', countsAsSend: true },
      null,
      Date.now(),
    );
    await close();
    const env = childEnv({ BOUNCED_DATA_DIR: config.dataDir, BOUNCED_VERP_SECRET: TEST_SECRET });
    const tick = (at: string) => {
      const r = spawnSync(process.execPath, [CLI, 'tick', '--now', at], { env });
      expect(r.status, r.stderr.toString()).toBe(0);
      return JSON.parse(r.stdout.toString()) as { ran: string[] };
    };
    expect(tick('2026-01-03T00:00:00Z').ran).toContain('expire-pending');
    const list = () =>
      JSON.parse(spawnSync(process.execPath, [CLI, 'deliveries', 'list', '--format', 'jsonl'], { env }).stdout.toString().trim()) as { state: string };
    expect(list().state).toBe('pending'); // 48 h: still within the window
    // Ran a minute ago: not due again yet.
    expect(tick('2026-01-03T00:01:00Z').ran).not.toContain('expire-pending');
    expect(tick('2026-01-04T00:00:01Z').ran).toContain('expire-pending');
    expect(list().state).toBe('soft');
  });
});

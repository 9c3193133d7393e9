// A sender's 250 waits for its message's commit, never for the classification of a backlog
// on the same thread: the processor lets the intake commit between its steps.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Intake } from '../../src/pipeline/intake.js';
import { Processor } from '../../src/pipeline/processor.js';
import { openStore } from '../../src/store/index.js';
import type { IncomingMessage } from '../../src/store/types.js';
import { VerpCodec } from '../../src/verp/index.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, testConfig } from '../helpers/env.js';
import { withMessageId } from '../helpers/smtp.js';

const dsn = readFileSync(join(fixturesDir, 'postfix', 's07-multi--failed.eml'));
const incoming = (n: number): IncomingMessage => ({
  receivedAt: Date.now(), source: 'smtp', mailFrom: '', rcptTo: [`postmaster@${BOUNCE_DOMAIN}`], remoteIp: '127.0.0.1', helo: 'mta.test', raw: withMessageId(dsn, n),
});

describe('intake priority over processing', () => {
  it('a message arriving while a backlog is classified is committed before that batch is settled', async () => {
    const store = openStore(testConfig());
    store.insertMessages(Array.from({ length: 40 }, (_, n) => incoming(n)));
    const log = createLogger('silent');
    const settled: number[] = [];
    const intake: Intake = new Intake(store, log, 100, () => {}, 0);
    const processor = new Processor(store, new VerpCodec(TEST_SECRET, 'b'), log, {
      batchSize: 40,
      yieldTo: () => intake.flushPending(),
      onSettled: (outcomes) => settled.push(...outcomes.map((o) => o.id)),
    });
    processor.kick();
    // Let the processor get into its batch of 40, then a sender's message arrives.
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
    const settledWhenStored = await intake.accept(incoming(1000)).then(() => settled.length);
    await processor.drain();
    expect(settledWhenStored).toBe(0);
    // ... and the newcomer is processed too, after the backlog.
    expect(settled).toHaveLength(41);
    expect(store.countMessages().received).toBe(0);
    store.close();
  });
});

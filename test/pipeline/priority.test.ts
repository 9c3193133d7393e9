// A sender's 250 waits for its message's commit, never for the processing of a backlog:
// with the intake and the settling on one thread (pipeline.worker off), the parse runs in the
// parse worker, so a commit goes through while a batch is being parsed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Intake } from '../../src/pipeline/intake.js';
import { ParseHost, parseHostOptions } from '../../src/pipeline/parse-host.js';
import { buildPipeline } from '../../src/pipeline/build.js';
import type { IncomingMessage } from '../../src/store/contract.js';
import { BOUNCE_DOMAIN, fixturesDir, testConfig } from '../helpers/env.js';
import { withMessageId } from '../helpers/smtp.js';

const dsn = readFileSync(join(fixturesDir, 'postfix', 's07-multi--failed.eml'));
const incoming = (n: number): IncomingMessage => ({
  receivedAt: Date.now(), source: 'smtp', mailFrom: '', rcptTo: [`postmaster@${BOUNCE_DOMAIN}`], remoteIp: '127.0.0.1', helo: 'mta.test', raw: withMessageId(dsn, n),
});

describe('intake priority over processing', () => {
  it('a message arriving while a backlog is parsed is committed before that batch is settled', async () => {
    const config = testConfig();
    const built = await buildPipeline(config);
    const { store } = built;
    await store.messages.insert(Array.from({ length: 40 }, (_, n) => incoming(n)));
    const log = createLogger('silent');
    const settled: number[] = [];
    const intake: Intake = new Intake(store, log, 100, () => {}, 0);
    const processor = built.processor(log, {
      batchSize: 40,
      parser: new ParseHost(parseHostOptions(config, log)),
      onSettled: (outcomes) => settled.push(...outcomes.map((o) => o.id)),
    });
    processor.kick();
    // Let the processor get into its batch of 40, then a sender's message arrives.
    while ((await store.messages.list({})).every((m) => m.attempts === 0)) await new Promise((r) => setTimeout(r, 1));
    const settledWhenStored = await intake.accept(incoming(1000)).then(() => settled.length);
    await processor.drain();
    expect(settledWhenStored).toBe(0);
    // ... and the newcomer is processed too, after the backlog.
    expect(settled).toHaveLength(41);
    expect((await store.messages.counts()).received).toBe(0);
    await processor.stop();
    await store.close();
  });
});

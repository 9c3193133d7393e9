// The processing window (pipeline.processWindowMs): when the processing side is idle, a kick
// waits for the window so that the messages stored meanwhile are claimed, parsed and settled
// together; drain() never waits for it; and a pass that took everything claimable ends
// without another claim, so a message stored during it is processed on its own kick.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { buildPipeline } from '../../src/pipeline/build.js';
import type { IncomingMessage } from '../../src/store/contract.js';
import { BOUNCE_DOMAIN, fixturesDir, testConfig } from '../helpers/env.js';
import { withMessageId } from '../helpers/smtp.js';
import { waitFor } from '../helpers/wait.js';

const dsn = readFileSync(join(fixturesDir, 'postfix', 's07-multi--failed.eml'));
const incoming = (n: number): IncomingMessage => ({
  receivedAt: Date.now(), source: 'smtp', mailFrom: '', rcptTo: [`postmaster@${BOUNCE_DOMAIN}`], remoteIp: '127.0.0.1', helo: 'mta.test', raw: withMessageId(dsn, n),
});

async function setup(windowMs: number) {
  const built = await buildPipeline(testConfig());
  const batches: number[][] = [];
  const processor = built.processor(createLogger('silent'), { windowMs, onSettled: (items) => batches.push(items.map((i) => i.id)) });
  return { store: built.store, processor, batches };
}

describe('processing window', () => {
  it('messages stored one after another within the window are settled in one batch', async () => {
    // Long enough that three commits fit in it on a loaded machine; nothing is timed.
    const { store, processor, batches } = await setup(2_000);
    const ids: number[] = [];
    for (let n = 0; n < 3; n++) {
      ids.push(...(await store.messages.insert([incoming(n)])));
      processor.kick();
    }
    await waitFor('the three messages settled', 15_000, async () => ((await store.messages.counts()).received === 0 ? true : undefined), 50);
    expect(batches).toEqual([ids]);
    await processor.stop();
    await store.close();
  });

  it('drain() processes at once, without waiting for the window', async () => {
    const { store, processor, batches } = await setup(600_000);
    const ids = await store.messages.insert([incoming(1), incoming(2)]);
    processor.kick();
    await processor.drain();
    expect((await store.messages.counts()).received).toBe(0);
    expect(batches.flat()).toEqual(ids);
    await processor.stop();
    await store.close();
  });

  it('a message stored and kicked while a pass runs is processed after it (no window)', async () => {
    const { store, processor, batches } = await setup(0);
    const [first] = await store.messages.insert([incoming(1)]);
    processor.kick();
    // The pass has claimed the first message (its attempt is counted) and took everything
    // claimable then: the second is stored after that claim and kicks during the pass.
    await waitFor('the first message claimed', 15_000, async () => ((await store.messages.list({})).some((m) => m.attempts > 0) ? true : undefined), 1);
    const [second] = await store.messages.insert([incoming(2)]);
    processor.kick();
    await waitFor('both messages settled', 15_000, async () => ((await store.messages.counts()).received === 0 ? true : undefined), 20);
    expect(batches.flat()).toEqual([first, second]);
    await processor.stop();
    await store.close();
  });

  it('a batch claimed full is followed by another claim without a kick', async () => {
    const built = await buildPipeline(testConfig());
    const batches: number[][] = [];
    const processor = built.processor(createLogger('silent'), { batchSize: 2, onSettled: (items) => batches.push(items.map((i) => i.id)) });
    const ids = await built.store.messages.insert([1, 2, 3, 4, 5].map(incoming));
    processor.kick();
    await waitFor('the five messages settled', 15_000, async () => ((await built.store.messages.counts()).received === 0 ? true : undefined), 20);
    expect(batches).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
    await processor.stop();
    await built.store.close();
  });
});

// A verified record is about the address its token was made for. A DSN may name two
// addresses per recipient (RFC 3464 §2.3.1 Original-Recipient, §2.3.2 Final-Recipient): a
// genuine token matching the Original-Recipient must not make the Final-Recipient, someone
// else (an alias's target, or an address a forger wrote there), a verified hard bounce.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { buildPipeline } from '../../src/pipeline/build.js';
import { BOUNCE_DOMAIN, fixturesDir, testConfig } from '../helpers/env.js';

const s02 = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml')).toString('latin1');
const FINAL = 'rcpt-550-5.1.1@reject.test';

/** The s02 DSN with its Original-Recipient (and nothing else) changed. */
const withOriginalRecipient = (orcpt: string) =>
  Buffer.from(s02.replace(`Original-Recipient: rfc822;${FINAL}`, `Original-Recipient: rfc822;${orcpt}`), 'latin1');

describe('the recipient of a verified record', () => {
  it('is the token recipient, with the Final-Recipient kept as reportedRecipient', async () => {
    const built = await buildPipeline(testConfig());
    const { store, verp, policy } = built;
    await policy.createAccount({ id: 'acme', tier: 'professional' }, 'test', Date.now());
    const alias = 'list-alias@example.org';
    const to = verp.encode({ account: 'acme', message: 'm-1', recipient: alias }, BOUNCE_DOMAIN);
    await store.messages.insert([{ receivedAt: Date.now(), source: 'smtp', mailFrom: '', rcptTo: [to], remoteIp: '127.0.0.1', helo: 'mta.test', raw: withOriginalRecipient(alias) }]);
    await built.processor(createLogger('silent')).drain();

    const records = await store.bounces.list({});
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ verified: true, accountId: 'acme', recipient: alias, reportedRecipient: FINAL, type: 'hard' });
    // Nothing verified, suppressed or delivered names the Final-Recipient.
    expect(await store.bounces.list({ recipient: FINAL })).toHaveLength(0);
    expect((await store.deliveries.list({})).map((d) => d.recipient)).toEqual([alias]);
    expect((await policy.checkSend('acme', FINAL, Date.now())).send).toBe(true);
    expect((await policy.checkSend('acme', alias, Date.now())).send).toBe(false);
    await built.close();
  });

  it('an unverified record keeps the address the report names', async () => {
    const built = await buildPipeline(testConfig());
    const { store, verp } = built;
    const other = verp.encode({ account: 'acme', message: 'm-1', recipient: 'someone@example.org' }, BOUNCE_DOMAIN);
    await store.messages.insert([{ receivedAt: Date.now(), source: 'smtp', mailFrom: '', rcptTo: [other], remoteIp: '127.0.0.1', helo: 'mta.test', raw: Buffer.from(s02, 'latin1') }]);
    await built.processor(createLogger('silent')).drain();
    expect((await store.bounces.list({}))[0]).toMatchObject({ verified: false, accountId: null, recipient: FINAL, reportedRecipient: FINAL });
    await built.close();
  });
});

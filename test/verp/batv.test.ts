// A relay that signs return paths with BATV (draft-levine-smtp-batv-01) sits between the sender
// and the Internet: the bounce comes back over SMTP to `prvs=<tag>=<our signed return path>`,
// and must count as the token's, as it would without the relay.
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { verp } from '../helpers/api.js';
import { BOUNCE_DOMAIN, testConfig } from '../helpers/env.js';
import { dsn } from '../helpers/policy-mail.js';
import { sendRaw } from '../helpers/smtp.js';

let d: Daemon | null = null;
afterEach(async () => {
  await d?.stop();
  d = null;
});

describe('a return path tagged by a BATV relay', () => {
  it('a DSN sent to prvs=<tag>=<token> is the token\'s verified hard bounce; a forged token behind the tag is not', async () => {
    d = await startDaemon(testConfig(), createLogger('silent'));
    const rcpt = 'gone@example.org';
    const token = verp.encode({ account: 'acme', message: 'm-1', recipient: rcpt }, BOUNCE_DOMAIN);
    const tagged = `prvs=0891a9abd5=${token}`;
    const raw = await dsn({ returnPath: tagged, recipient: rcpt, failure: 'unknown_user', n: 1 });
    expect((await sendRaw(d.smtpAddress.port, { from: '', to: [tagged] }, raw)).code).toBe(250);
    // The same tag in front of a token made with another secret.
    const other = token.replace(/\.([a-z2-7])/, (_, c: string) => `.${c === 'a' ? 'b' : 'a'}`);
    const forged = `prvs=0891a9abd5=${other}`;
    const raw2 = await dsn({ returnPath: forged, recipient: rcpt, failure: 'unknown_user', n: 2 });
    expect((await sendRaw(d.smtpAddress.port, { from: '', to: [forged] }, raw2)).code).toBe(250);
    await d.processor.drain();
    const records = await d.store.bounces.list({});
    expect(records.map((b) => [b.recipient, b.type, b.verified, b.accountId, b.messageId])).toEqual([
      [rcpt, 'hard', true, 'acme', 'm-1'],
      [rcpt, 'hard', false, null, null],
    ]);
    expect(await d.store.deliveries.list({})).toMatchObject([{ recipient: rcpt, state: 'hard', messageId: 'm-1' }]);
  });
});

// A report that reaches bounced without a token in its envelope or in the returned message's
// Return-Path (a feedback provider that strips it; a sender whose platform sets one fixed return
// path) is tied to the sent message by the returned message's List-Unsubscribe: its unsubscribe
// token signs the same account, message and recipient. SMTP in over loopback, one real daemon.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { unsubscribeEntries } from '../../src/pipeline/decide.js';
import { VerpCodec } from '../../src/verp/index.js';
import { admin, ADMIN_KEY, verp } from '../helpers/api.js';
import { BOUNCE_DOMAIN, testConfig } from '../helpers/env.js';
import { arf, dsn } from '../helpers/policy-mail.js';
import { sendRaw } from '../helpers/smtp.js';

let d: Daemon;
const FIXED = `bounces@${BOUNCE_DOMAIN}`;
const fields = (message: string, recipient: string) => ({ account: 'acme', message, recipient });
/** RFC 2369 with both methods, as a sender puts them (RFC 8058's one-click URL first). */
const listUnsubscribe = (token: string) =>
  `List-Unsubscribe: <https://bounced.example/v1/unsubscribe/${token}>,\r\n <mailto:u+${token}@${BOUNCE_DOMAIN}?subject=unsubscribe>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n`;

async function send(to: string, raw: Buffer) {
  expect((await sendRaw(d.smtpAddress.port, { from: '', to: [to] }, raw)).code).toBe(250);
}

beforeAll(async () => {
  d = await startDaemon(testConfig({ adminKey: ADMIN_KEY }), createLogger('silent'));
  // 1. A complaint whose returned message lost its Return-Path; both List-Unsubscribe methods.
  await send(`fbl@${BOUNCE_DOMAIN}`, await arf({ returnPath: null, recipient: 'ann@example.org', feedbackType: 'abuse', n: 1, originalHeaders: listUnsubscribe(verp.unsubscribeToken(fields('m-1', 'ann@example.org'))) }));
  // 2. The same with the mailto: method only.
  const gil = verp.unsubscribeToken(fields('m-2', 'gil@example.org'));
  await send(`fbl@${BOUNCE_DOMAIN}`, await arf({ returnPath: null, recipient: 'gil@example.org', feedbackType: 'abuse', n: 2, originalHeaders: `List-Unsubscribe: <mailto:u+${gil}@${BOUNCE_DOMAIN}>\r\n` }));
  // 3. A DSN to the sender's one fixed return path; the returned header names the unsubscribe token.
  await send(FIXED, await dsn({ returnPath: FIXED, recipient: 'hal@example.org', failure: 'unknown_user', n: 3, originalHeaders: listUnsubscribe(verp.unsubscribeToken(fields('m-3', 'hal@example.org'))) }));
  // 4. The same with a token signed by another secret.
  const other = new VerpCodec('another-secret', 'b').unsubscribeToken(fields('m-4', 'ivy@example.org'));
  await send(FIXED, await dsn({ returnPath: FIXED, recipient: 'ivy@example.org', failure: 'unknown_user', n: 4, originalHeaders: listUnsubscribe(other) }));
  // 5. A genuine token for ivy in a report of jon's failure: a token names its own recipient only.
  await send(FIXED, await dsn({ returnPath: FIXED, recipient: 'jon@example.org', failure: 'unknown_user', n: 5, originalHeaders: listUnsubscribe(verp.unsubscribeToken(fields('m-5', 'ivy@example.org'))) }));
  await d.processor.drain();
}, 60_000);
afterAll(async () => {
  await d?.stop();
});

describe('a report tied to its message by the returned List-Unsubscribe', () => {
  it('is verified by a genuine unsubscribe token for the recipient it names, and by nothing else', async () => {
    const records = await d.store.bounces.list({});
    expect(records.map((b) => [b.kind, b.recipient, b.type, b.verified, b.accountId, b.messageId])).toEqual([
      ['complaint', 'ann@example.org', 'none', true, 'acme', 'm-1'],
      ['complaint', 'gil@example.org', 'none', true, 'acme', 'm-2'],
      ['bounce', 'hal@example.org', 'hard', true, 'acme', 'm-3'],
      ['bounce', 'ivy@example.org', 'hard', false, null, null],
      ['bounce', 'jon@example.org', 'hard', false, null, null],
    ]);
    expect((await d.store.deliveries.list({})).map((x) => [x.recipient, x.state, x.messageId])).toEqual([['hal@example.org', 'hard', 'm-3']]);
    for (const [a, send] of [['ann@example.org', false], ['gil@example.org', false], ['hal@example.org', false], ['ivy@example.org', true], ['jon@example.org', true]] as const) {
      const res = await fetch(`http://127.0.0.1:${d.httpAddress.port}/v1/suppressions/${a}?account=acme`, { headers: admin });
      expect([a, ((await res.json()) as { send: boolean }).send]).toEqual([a, send]);
    }
  });

  it('reads both RFC 2369 methods, at most four entries, and nothing outside the angle brackets', () => {
    expect(unsubscribeEntries('<https://h.example/app/v1/unsubscribe/abc.def?x=1>, <mailto:u+abc.def@b.example?subject=x>')).toEqual(['abc.def', 'u+abc.def@b.example']);
    expect(unsubscribeEntries('mailto:u+abc.def@b.example')).toEqual([]);
    expect(unsubscribeEntries('<https://h.example/other/abc.def>')).toEqual([]);
    expect(unsubscribeEntries(Array(9).fill('<mailto:a@b>').join(','))).toHaveLength(4);
    expect(unsubscribeEntries(undefined)).toEqual([]);
  });
});

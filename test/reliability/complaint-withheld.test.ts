// Feedback reports whose provider withheld the complainant (RFC 6590 redaction, or no
// Original-Rcpt-To at all) sent to a fixed feedback address: the genuine token in the returned
// message's Return-Path names the recipient the message went to, so the complaint is that
// recipient's, and nobody else's. SMTP in over loopback, the HTTP API out, one real daemon.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { admin, ADMIN_KEY, verp } from '../helpers/api.js';
import { BOUNCE_DOMAIN, testConfig } from '../helpers/env.js';
import { arf } from '../helpers/policy-mail.js';
import { sendRaw } from '../helpers/smtp.js';

interface Bounce {
  recipient: string;
  reportedRecipient: string | null;
  kind: string;
  feedbackType: string | null;
  verified: boolean;
  accountId: string | null;
  messageId: string | null;
}

let d: Daemon;
let url: string;
const get = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${url}${path}`, { headers: admin });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
};
const sendCheck = (address: string) => get<{ send: boolean; reasons: Array<{ code: string }> }>(`/v1/suppressions/${encodeURIComponent(address)}?account=acme`);

/** Sends one report to the fixed feedback address; its token (if any) is in the returned message's Return-Path. */
async function report(n: number, token: { message: string; recipient: string } | null, o: { originalRcptTo: string | null; to: string }) {
  const returnPath = token ? verp.encode({ account: 'acme', ...token }, BOUNCE_DOMAIN) : 'news@sender.test';
  const raw = await arf({ returnPath, recipient: token?.recipient ?? 'x@y.test', feedbackType: 'abuse', n, originalRcptTo: o.originalRcptTo, to: o.to });
  expect((await sendRaw(d.smtpAddress.port, { from: '', to: [`fbl@${BOUNCE_DOMAIN}`] }, raw)).code).toBe(250);
}

beforeAll(async () => {
  d = await startDaemon(testConfig({ adminKey: ADMIN_KEY }), createLogger('silent'));
  url = `http://127.0.0.1:${d.httpAddress.port}`;
  // 1. No Original-Rcpt-To, and the returned message's To withheld too.
  await report(1, { message: 'm-1', recipient: 'ann@example.org' }, { originalRcptTo: null, to: 'undisclosed-recipients:;' });
  // 2. RFC 6590: the local part replaced by an opaque string, the domain kept.
  await report(2, { message: 'm-2', recipient: 'bob@example.org' }, { originalRcptTo: '5f0c2a9e41d7b38c@example.org', to: '5f0c2a9e41d7b38c@example.org' });
  // 3. No Original-Rcpt-To; the returned message's To is the list the recipient was mailed through.
  await report(3, { message: 'm-3', recipient: 'carol@example.net' }, { originalRcptTo: null, to: 'members@lists.sender.test' });
  // 4. A report naming, in Original-Rcpt-To, somebody of another domain than the token's recipient.
  await report(4, { message: 'm-4', recipient: 'erin@example.org' }, { originalRcptTo: 'dave@elsewhere.test', to: 'dave@elsewhere.test' });
  // 6. Original-Rcpt-To a bare placeholder, no address at all (the reader names nobody); the To the same.
  await report(6, { message: 'm-6', recipient: 'fay@example.com' }, { originalRcptTo: 'redacted', to: 'redacted' });
  // 5. No token, nobody named.
  await report(5, null, { originalRcptTo: null, to: 'undisclosed-recipients:;' });
  await d.processor.drain();
}, 60_000);
afterAll(async () => {
  await d?.stop();
});

describe('a complaint whose provider withheld the recipient', () => {
  it('is the token recipient\'s: verified, the account\'s, with what the report named kept beside it', async () => {
    const { items } = await get<{ items: Bounce[] }>('/v1/bounces?limit=50');
    const rows = items.map((b) => [b.messageId, b.recipient, b.reportedRecipient, b.verified, b.accountId, b.kind, b.feedbackType]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['m-1', 'ann@example.org', null, true, 'acme', 'complaint', 'abuse'],
        ['m-2', 'bob@example.org', '5f0c2a9e41d7b38c@example.org', true, 'acme', 'complaint', 'abuse'],
        ['m-3', 'carol@example.net', 'members@lists.sender.test', true, 'acme', 'complaint', 'abuse'],
        ['m-6', 'fay@example.com', null, true, 'acme', 'complaint', 'abuse'],
        // Somebody of another domain: a report about somebody else, attributed to nobody.
        [null, 'dave@elsewhere.test', 'dave@elsewhere.test', false, null, 'complaint', 'abuse'],
      ]),
    );
    // Report 5 names nobody and carries no token: stored and processed, no record.
    expect(rows).toHaveLength(5);
    const messages = await d.store.messages.list({});
    expect(messages.map((m) => m.state)).toEqual(Array(6).fill('processed'));
  });

  it('suppresses the token\'s recipient only, and counts in the account\'s complaint rate', async () => {
    for (const a of ['ann@example.org', 'bob@example.org', 'carol@example.net', 'fay@example.com']) {
      const r = await sendCheck(a);
      expect([a, r.send, r.reasons.map((x) => x.code)]).toEqual([a, false, ['complaint']]);
    }
    for (const a of ['5f0c2a9e41d7b38c@example.org', 'members@lists.sender.test', 'dave@elsewhere.test', 'erin@example.org']) {
      expect([a, (await sendCheck(a)).send]).toEqual([a, true]);
    }
    const health = await get<{ rates: { complaint: { count: number } } }>('/v1/accounts/acme/health');
    expect(health.rates.complaint.count).toBe(4);
  });
});

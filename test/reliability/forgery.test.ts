// Forgery: only a report that carries a genuine token for the very recipient it names is
// evidence about a delivery. Everything else is stored, classified, marked unverified, and
// attributed to nobody. ARF reports built with nodemailer's MailComposer, sent over SMTP.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { VerpCodec } from '../../src/verp/index.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, testConfig } from '../helpers/env.js';
import { sendRaw } from '../helpers/smtp.js';

const verp = new VerpCodec(TEST_SECRET, 'b');
let daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons) await d.stop();
  daemons = [];
});

/** An RFC 5965 abuse report about a message to `rcpt` whose Return-Path was `returnPath`. */
function arf(rcpt: string, returnPath: string | null, n: number): Promise<Buffer> {
  const original =
    (returnPath ? `Return-Path: <${returnPath}>\r\n` : '') +
    `From: news@sender.example\r\nTo: ${rcpt}\r\nSubject: Our offers\r\nMessage-ID: <orig-${n}@sender.example>\r\nDate: Mon, 23 Nov 2026 02:00:00 +0000\r\n\r\nHello\r\n`;
  const mail = new MailComposer({
    from: 'fbl@isp.example',
    to: `fbl@${BOUNCE_DOMAIN}`,
    subject: 'Abuse report',
    messageId: `<arf-${n}@isp.example>`,
    headers: { 'Content-Type': 'multipart/report; report-type=feedback-report' },
    alternatives: [],
    attachments: [
      { content: 'This is an email abuse report for an email message received from IP 192.0.2.1.\r\n', contentType: 'text/plain' },
      {
        content: `Feedback-Type: abuse\r\nUser-Agent: ISP-FBL/1.0\r\nVersion: 1\r\nOriginal-Mail-From: <${returnPath ?? 'unknown@sender.example'}>\r\nOriginal-Rcpt-To: <${rcpt}>\r\nSource-IP: 192.0.2.1\r\nArrival-Date: Mon, 23 Nov 2026 02:00:05 +0000\r\n`,
        contentType: 'message/feedback-report',
        contentDisposition: 'inline',
      },
      { content: original, contentType: 'message/rfc822', contentDisposition: 'inline' },
    ],
  });
  return mail.compile().build();
}

describe('forgery', () => {
  it('an ARF report for a message the account sent is verified; forged ones are not, and name no account', async () => {
    const d = await startDaemon(testConfig(), createLogger('silent'));
    daemons.push(d);
    const port = d.smtpAddress.port;
    const ann = 'ann@example.org';
    const genuine = verp.encode({ account: 'acme', message: 'm-1', recipient: ann }, BOUNCE_DOMAIN);
    // (Of another domain: a report naming an address of the token recipient's own domain may be a
    // redacted one, RFC 6590, and is then the token recipient's: complaint-withheld.test.ts.)
    const forForeignRecipient = verp.encode({ account: 'acme', message: 'm-1', recipient: 'bob@example.net' }, BOUNCE_DOMAIN);
    const badMac = genuine.replace(/\.([a-z2-7])/, (_, c) => `.${c === 'a' ? 'b' : 'a'}`);
    const cases: Array<[string | null, boolean]> = [
      [genuine, true],
      [forForeignRecipient, false], // a real token replayed for somebody else
      [badMac, false], // a token with a wrong signature
      [null, false], // no token at all: "a message the account never sent"
    ];
    for (const [n, [rp]] of cases.entries()) {
      const res = await sendRaw(port, { from: '', to: [`fbl@${BOUNCE_DOMAIN}`] }, await arf(ann, rp, n));
      expect(res.code).toBe(250);
    }
    await d.processor.drain();
    const records = await d.store.bounces.list({});
    expect(records).toHaveLength(4);
    expect(records.map((r) => [r.kind, r.feedbackType, r.recipient, r.verified, r.accountId])).toEqual([
      ['complaint', 'abuse', ann, true, 'acme'],
      ['complaint', 'abuse', ann, false, null],
      ['complaint', 'abuse', ann, false, null],
      ['complaint', 'abuse', ann, false, null],
    ]);
  });

  it('a forged bounce creates no delivery record, so it cannot suppress or count against anyone', async () => {
    const d = await startDaemon(testConfig(), createLogger('silent'));
    daemons.push(d);
    const dsn = readFileSync(join(fixturesDir, 'postfix', 's01-local-unknown--failed.eml'));
    const forged = verp.encode({ account: 'victim', message: 'm', recipient: 'someone-else@mta.test' }, BOUNCE_DOMAIN);
    expect((await sendRaw(d.smtpAddress.port, { from: '', to: [forged] }, dsn)).code).toBe(250);
    await d.processor.drain();
    expect((await d.store.bounces.list({}))[0]).toMatchObject({ recipient: 'nosuchuser@mta.test', type: 'hard', verified: false, accountId: null });
    expect(await d.store.deliveries.list({})).toHaveLength(0);
    expect(await d.store.events.list()).toHaveLength(0);
  });

  it('a forged mail carrying the Message-ID of a coming DSN does not make the genuine DSN a duplicate', async () => {
    const d = await startDaemon(testConfig(), createLogger('silent'));
    daemons.push(d);
    const port = d.smtpAddress.port;
    const rcpt = 'rcpt-550-5.1.1@reject.test';
    const dsn = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
    const dsnMessageId = /^Message-Id: (<[^>]+>)/im.exec(dsn.toString('latin1'))![1]!;
    // 1. A plain mail to postmaster@ carrying that Message-ID (no report, no token).
    const plain = `From: someone@attacker.example\r\nTo: postmaster@${BOUNCE_DOMAIN}\r\nSubject: hello\r\nMessage-ID: ${dsnMessageId}\r\nDate: Mon, 23 Nov 2026 02:00:00 +0000\r\n\r\nhi\r\n`;
    expect((await sendRaw(port, { from: 'someone@attacker.example', to: [`postmaster@${BOUNCE_DOMAIN}`] }, plain)).code).toBe(250);
    // 2. A forged copy of the report with a genuine token of the same account, replayed from
    //    the attacker's own mail (it names the attacker's address), and the same Message-ID.
    const own = verp.encode({ account: 'acme', message: 'm-9', recipient: 'attacker@example.net' }, BOUNCE_DOMAIN);
    const forgedReport = Buffer.from(dsn.toString('latin1').replaceAll(rcpt, 'attacker@example.net'), 'latin1');
    expect((await sendRaw(port, { from: '', to: [own] }, forgedReport)).code).toBe(250);
    // 3. The genuine DSN for the recipient of acme's message m-1.
    const genuine = verp.encode({ account: 'acme', message: 'm-1', recipient: rcpt }, BOUNCE_DOMAIN);
    expect((await sendRaw(port, { from: '', to: [genuine] }, dsn)).code).toBe(250);
    await d.processor.drain();
    const messages = await d.store.messages.list({});
    expect(messages.map((m) => m.state)).toEqual(['processed', 'processed', 'processed']);
    const records = (await d.store.bounces.list({ accountId: 'acme' })).filter((b) => b.messageId === 'm-1');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ recipient: rcpt, verified: true, type: 'hard', messageRow: messages[2]!.id });
    expect((await d.store.deliveries.list({ accountId: 'acme' })).find((x) => x.messageId === 'm-1')).toMatchObject({ state: 'hard', recipient: rcpt });
    // The genuine report sent again (other bytes: a relay's Received line on top) is a duplicate.
    const relayed = Buffer.concat([Buffer.from('Received: from relay.example by mx.example; Mon, 23 Nov 2026 02:45:00 +0000\r\n'), dsn]);
    expect((await sendRaw(port, { from: '', to: [genuine] }, relayed)).code).toBe(250);
    await d.processor.drain();
    const last = (await d.store.messages.list({})).at(-1)!;
    expect(last).toMatchObject({ state: 'duplicate', duplicateOf: messages[2]!.id });
  });
});

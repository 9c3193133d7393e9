// The daemon over real sockets: after real SMTP traffic /metrics counts what happened (no
// address among the labels), and the pre-send check answers over HTTP.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { LogTailer } from '../../src/logtail/tailer.js';
import { Metrics } from '../../src/metrics.js';
import { buildPipeline } from '../../src/pipeline/build.js';
import { summarizeSettled } from '../../src/pipeline/processor.js';
import { withMessageId } from '../helpers/smtp.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { createApiKey } from '../../src/api/auth.js';
import { BOUNCE_DOMAIN, fixturesDir, testConfig, tmpDir } from '../helpers/env.js';
import { sendRaw } from '../helpers/smtp.js';
import { ADMIN_KEY, S02_RCPT, verp } from '../helpers/api.js';

let daemon: Daemon | null = null;
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
});

const metric = (text: string, name: string, labels = ''): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : NaN;
};

describe('daemon HTTP API on a real socket', () => {
  it('exposes metrics after real SMTP traffic, and answers the pre-send check', async () => {
    daemon = await startDaemon(testConfig({ adminKey: ADMIN_KEY, http: { port: 0, webhookAllowPrivateDestinations: true } }) /* the receiver is on loopback */, createLogger('silent'));
    const base = `http://127.0.0.1:${daemon.httpAddress.port}`;
    const smtp = daemon.smtpAddress.port;
    // A webhook receiver on loopback for acme, registered before the traffic.
    const store = daemon.store;
    const got: Array<{ type: string; id: string }> = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push({ type: JSON.parse(body).type, id: String(req.headers['webhook-id']) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    await store.webhooks.createEndpoint({ id: 'wh_test', accountId: 'acme', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, secret: 'whsec_dGVzdA==', events: [] }, Date.now());

    const raw = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
    const to = verp.encode({ account: 'acme', message: 'm-1', recipient: S02_RCPT }, BOUNCE_DOMAIN);
    expect((await sendRaw(smtp, { from: '', to: [to] }, raw)).code).toBe(250);
    expect((await sendRaw(smtp, { from: '', to: ['someone@not-ours.example'] }, raw)).code).toBe(550);
    await daemon.processor.drain();

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(metric(text, 'bounced_smtp_messages_received_total')).toBe(1);
    expect(metric(text, 'bounced_smtp_rejected_total', 'cause="rcpt"')).toBe(1);
    expect(metric(text, 'bounced_messages_processed_total', 'state="processed",kind="bounce"')).toBe(1);
    expect(metric(text, 'bounced_bounces_total', 'type="hard",reason="userunknown"')).toBe(1);
    expect(metric(text, 'bounced_suppressions', 'scope="account"')).toBe(1);
    expect(text).toContain('bounced_job_duration_seconds_bucket');
    expect(text).toContain('bounced_process_cpu_seconds_total');
    // No address, account or key in any label.
    expect(text).not.toMatch(/@|acme|reject\.test/);

    // The commit woke the webhook dispatcher: the bounce reached the receiver without a scheduler tick.
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(got.map((g) => g.type)).toEqual(['bounce.hard']);
    expect(metric(await (await fetch(`${base}/metrics`)).text(), 'bounced_webhook_deliveries_total', 'result="delivered"')).toBe(1);
    await new Promise<void>((r) => receiver.close(() => r()));

    // The hot path over the socket, with an account key made for acme.
    const { key } = await createApiKey(store.keys, 'acme', null, Date.now());
    const check = await fetch(`${base}/v1/suppressions/${encodeURIComponent(S02_RCPT)}`, { headers: { authorization: `Bearer ${key}` } });
    expect(check.status).toBe(200);
    expect(await check.json()).toMatchObject({ send: false, reasons: [{ code: 'hard_bounce' }] });
    const ready = await fetch(`${base}/readyz`);
    expect(await ready.json()).toEqual({ ok: true, checks: { database: true, smtp: true } });

    // Histograms (issue #18): the request time by route pattern, the processing time of the
    // message; the backlog gauge is back to 0 once the pipeline has drained.
    const after = await (await fetch(`${base}/metrics`)).text();
    expect(metric(after, 'bounced_http_request_duration_seconds_count', 'route="/v1/suppressions/:address",method="GET",status="2xx"')).toBe(1);
    expect(metric(after, 'bounced_http_request_duration_seconds_count', 'route="/metrics",method="GET",status="2xx"')).toBeGreaterThanOrEqual(2);
    expect(metric(after, 'bounced_message_processing_seconds_count', 'state="processed"')).toBe(1);
    expect(metric(after, 'bounced_message_processing_seconds_sum', 'state="processed"')).toBeGreaterThan(0);
    expect(metric(after, 'bounced_messages_backlog')).toBe(0);
    // The two SMTP transactions: the 550 came at RCPT, so only one reached DATA.
    expect(metric(after, 'bounced_smtp_data_seconds_count', 'result="accepted"')).toBe(1);
    expect(after).not.toMatch(/@|acme|reject\.test/);
  });

  it('bounced_messages_backlog counts stored messages not yet processed; bounced_tailer_lag_bytes the unread log', async () => {
    const dir = tmpDir('kept-metrics-');
    const logFile = join(dir, 'mail.log');
    writeFileSync(logFile, 'Dec  3 17:00:00 mta postfix/qmgr[1]: 4ABC: removed\n'.repeat(10));
    daemon = await startDaemon(testConfig({ http: { port: 0 }, tail: { file: logFile, pollMs: 50 } }), createLogger('silent'));
    const scrape = async () => (await fetch(`http://127.0.0.1:${daemon!.httpAddress.port}/metrics`)).text();
    // The tailer reads to the end: nothing unread.
    let lag = NaN;
    for (let i = 0; i < 100 && lag !== 0; i++) {
      lag = metric(await scrape(), 'bounced_tailer_lag_bytes');
      if (lag !== 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(lag).toBe(0);
    // A tailer that has not read the file yet has all of it to read.
    const other = await buildPipeline(testConfig());
    const tailerOf = (path: string) => new LogTailer({ path, store: other.store, rules: other.rules, verp: other.verp, log: createLogger('silent') });
    expect(tailerOf(logFile).lagBytes()).toBe(statSync(logFile).size);
    expect(tailerOf(join(dir, 'none.log')).lagBytes()).toBeNull();
    await other.close();
  });

  it('the backlog gauge over a store with unprocessed messages', async () => {
    const built = await buildPipeline(testConfig());
    const metrics = new Metrics({ defaults: false, messages: () => built.store.messages.counts() });
    const raw = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
    const to = verp.encode({ account: 'acme', message: 'm-1', recipient: S02_RCPT }, BOUNCE_DOMAIN);
    await built.store.messages.insert([1, 2, 3].map((i) => ({ receivedAt: Date.now(), source: 'smtp', mailFrom: '', rcptTo: [to], remoteIp: '127.0.0.1', helo: 'test', raw: withMessageId(raw, `b.${i}`) })));
    const before = await metrics.registry.metrics();
    expect(metric(before, 'bounced_messages_backlog'), before).toBe(3);
    const processor = built.processor(createLogger('silent'), { onSettled: (o) => metrics.countSettled(summarizeSettled(o)) });
    await processor.drain();
    const text = await metrics.registry.metrics();
    expect(metric(text, 'bounced_messages_backlog')).toBe(0);
    // One observation per parsed message, whatever its state (three distinct reports: processed).
    expect(metric(text, 'bounced_message_processing_seconds_count', 'state="processed"')).toBe(3);
    expect(metric(text, 'bounced_messages_processed_total', 'state="processed",kind="bounce"')).toBe(3);
    await processor.stop();
    await built.close();
  });
});

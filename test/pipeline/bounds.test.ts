// Bounded output per message: at most pipeline.maxRecordsPerMessage records (the verified
// token's recipient first) and pipeline.maxTextChars per text field, and the stored message
// and records say what was cut. A report of 10,000 recipients through SMTP, the API and the
// CLI listings; the database grows by about the message's own bytes, not per recipient.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startDaemon } from '../../src/main.js';
import { cutFields, cutText, keepVerdicts } from '../../src/pipeline/bounds.js';
import { DB_FILE } from '../../src/store/sqlite/open.js';
import { VerpCodec } from '../../src/verp/index.js';
import { childEnv, CLI } from '../helpers/child.js';
import { buildDsn } from '../helpers/dsn.js';
import { BOUNCE_DOMAIN, TEST_SECRET, testConfig } from '../helpers/env.js';
import { sendRaw } from '../helpers/smtp.js';

describe('bounds (pure)', () => {
  it('keeps the token recipient first, then report order, at most max', () => {
    expect(keepVerdicts(5, (i) => i === 3, 2)).toEqual({ kept: [3, 0], dropped: 3 });
    expect(keepVerdicts(3, () => false, 10)).toEqual({ kept: [0, 1, 2], dropped: 0 });
    expect(keepVerdicts(4, (i) => i >= 1, 2)).toEqual({ kept: [1, 2], dropped: 2 });
  });

  it('cuts text at the limit, never inside a surrogate pair, and says what was cut', () => {
    expect(cutText('abcdef', 4)).toEqual({ value: 'abcd', cut: 6 });
    expect(cutText('abc', 4)).toEqual({ value: 'abc', cut: null });
    expect(cutText('ab\u{1F600}cd', 3)).toEqual({ value: 'ab', cut: 6 });
    const rec = { diagnostic: 'x'.repeat(10), status: '5.1', remoteMta: null };
    expect(cutFields(rec, ['diagnostic', 'status', 'remoteMta'], 4)).toBe('diagnostic cut to 4 of 10 characters');
    expect(rec).toEqual({ diagnostic: 'xxxx', status: '5.1', remoteMta: null });
  });
});

describe('bounded output per message', () => {
  it('a report of 10,000 recipients gives 100 records, the verified one first, cut text marked, and bounded growth', async () => {
    const config = testConfig({ adminKey: 'admin-key-for-bounds-test' });
    const d = await startDaemon(config, createLogger('silent'));
    try {
      const verp = new VerpCodec(TEST_SECRET, 'b');
      const victim = 'victim@example.net';
      const to = verp.encode({ account: 'acme', message: 'm-big', recipient: victim }, BOUNCE_DOMAIN);
      const raw = await buildDsn({
        recipients: 10_000,
        recipient: (i) => (i === 7_000 ? victim : `user${i}@example.com`),
        // Only the token's recipient has a diagnostic, and a long one; every record carries
        // the 2,000-character Reporting-MTA.
        diagnostic: (i) => (i === 7_000 ? `smtp; 550 5.1.1 <${victim}>: ${'no such user here. '.repeat(260)}` : null),
        reportingMta: `mx.${'a'.repeat(2_000)}.example.org`,
        messageId: '<ten-thousand@mx.example.org>',
      });
      const dbFile = join(config.dataDir, DB_FILE);
      const size = () => {
        const db = new Database(dbFile);
        db.pragma('wal_checkpoint(TRUNCATE)');
        const bytes = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
        db.close();
        return bytes;
      };
      const before = size();
      expect((await sendRaw(d.smtpAddress.port, { from: '', to: [to] }, raw)).code).toBe(250);
      await d.processor.drain();
      const growth = size() - before;

      const [msg] = await d.store.messages.list({});
      expect(msg).toMatchObject({ state: 'processed', warning: '10000 recipients reported, 100 kept (pipeline.maxRecordsPerMessage)' });
      const records = await d.store.bounces.list({ limit: 100_000 });
      expect(records).toHaveLength(100);
      expect(records[0]).toMatchObject({ recipient: victim, verified: true, accountId: 'acme', messageId: 'm-big', type: 'hard' });
      expect(records[0]!.diagnostic).toHaveLength(1_000);
      expect(records[0]!.warning).toMatch(/^diagnostic cut to 1000 of \d{4} characters; reportingMta cut to 1000 of 2015 characters$/);
      expect(records.slice(1).every((r) => !r.verified && r.reportingMta!.length === 1_000)).toBe(true);
      expect(records[1]!.recipient).toBe('user0@example.com');
      const [delivery] = await d.store.deliveries.list({});
      expect(delivery).toMatchObject({ accountId: 'acme', recipient: victim, state: 'hard' });
      expect(delivery!.diagnostic!.length).toBeLessThanOrEqual(1_000);
      // The message's own bytes are stored whole; what it produced is bounded.
      expect(growth).toBeLessThan(raw.length + 512 * 1024);

      // The API shows both warnings.
      const api = (path: string) => fetch(`http://127.0.0.1:${d.httpAddress.port}${path}`, { headers: { authorization: 'Bearer admin-key-for-bounds-test' } }).then((r) => r.json());
      const page = (await api('/v1/bounces?limit=1')) as { items: Array<{ id: number; warning: string | null }> };
      expect(page.items[0]!.warning).toBe(records[0]!.warning);
      const detail = (await api(`/v1/bounces/${records[0]!.id}`)) as { report: { warning: string } };
      expect(detail.report.warning).toBe(msg!.warning);
    } finally {
      await d.stop();
    }
    // ... and so do the CLI listings.
    const env = childEnv({ BOUNCED_DATA_DIR: config.dataDir, BOUNCED_VERP_SECRET: TEST_SECRET });
    const messages = spawnSync(process.execPath, [CLI, 'messages', 'list'], { env }).stdout.toString();
    expect(messages.split('\n')[0]).toMatch(/\bwarning$/);
    expect(messages).toContain('10000 recipients reported, 100 kept');
    const bounces = spawnSync(process.execPath, [CLI, 'bounces', 'list', '--format', 'jsonl', '--limit', '1'], { env }).stdout.toString();
    expect(JSON.parse(bounces).warning).toMatch(/^diagnostic cut to 1000/);
  }, 60_000);
});

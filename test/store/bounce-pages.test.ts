// An account's bounces a page at a time (GET /v1/bounces?account=..., the dashboard's bounces
// page): SQLite 24 adds bounces(account_id, id), so the page is a range of that index instead
// of every bounce of the account read and sorted. Checked by the plan SQLite chooses for the
// statement the store runs, and by the pages themselves.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/open.js';
import { readRows } from '../helpers/db.js';
import { tmpDir } from '../helpers/env.js';

const dir = tmpDir('dash-bounce-pages-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bounces of one account, by page', () => {
  it('pages in id order through bounces_account_id, with and without a since', async () => {
    const s = openSqlite({ dataDir: dir });
    const T = Date.UTC(2026, 11, 1);
    const [row] = await s.messages.insert([{ receivedAt: T, source: 'smtp', mailFrom: '', rcptTo: ['b@bounces.test'], remoteIp: null, helo: null, raw: Buffer.from('x\r\n') }]);
    await s.transaction(async (tx) => {
      for (let i = 0; i < 600; i++) {
        await tx.bounces.insert(row!, {
          createdAt: T + i, accountId: i % 3 === 0 ? 'acme' : 'other', messageId: `m-${i}`, recipient: `r${i}@example.org`, reportedRecipient: null,
          kind: 'bounce', action: 'failed', status: '5.1.1', reason: 'userunknown', hardbounce: true, category: 'unknown_user', type: 'hard',
          rule: 't', detector: 't', replyCode: 550, diagnostic: null, remoteMta: null, reportingMta: null, originalMessageId: null,
          feedbackType: null, verified: true, warning: null,
        });
      }
    });
    const first = await s.bounces.list({ accountId: 'acme', since: T + 30, limit: 50 });
    expect(first.map((b) => b.createdAt)).toEqual(Array.from({ length: 50 }, (_, i) => T + 30 + i * 3));
    const next = await s.bounces.list({ accountId: 'acme', since: T + 30, after: first.at(-1)!.id, limit: 50 });
    expect(next[0]!.createdAt).toBe(T + 180);
    // Per UTC day, type and category, for the trends chart.
    expect(await s.bounces.daily('acme', T + 30)).toEqual([{ day: '2026-12-01', type: 'hard', category: 'unknown_user', count: 190 }]);
    expect(await s.bounces.daily('nobody', 0)).toEqual([]);
    await s.close();
    const daily = readRows<{ detail: string }>(dir, `EXPLAIN QUERY PLAN SELECT count(*) FROM bounces WHERE account_id = ? AND created_at >= ? GROUP BY type`, 'acme', T);
    expect(daily.map((p) => p.detail).join('; ')).toMatch(/USING (COVERING )?INDEX bounces_account_created \(account_id=\? AND created_at>\?\)/);
    for (const where of ['id > ? AND account_id = ?', 'id > ? AND account_id = ? AND created_at >= ?']) {
      const params = [0, 'acme', ...(where.includes('created_at') ? [T] : [])];
      const plan = readRows<{ detail: string }>(dir, `EXPLAIN QUERY PLAN SELECT * FROM bounces WHERE ${where} ORDER BY id LIMIT ?`, ...params, 50);
      expect(plan.map((p) => p.detail).join('; '), where).toMatch(/USING INDEX bounces_account_id \(account_id=\? AND id>\?\)/);
      expect(plan.map((p) => p.detail).join('; ')).not.toContain('TEMP B-TREE');
    }
  });
});

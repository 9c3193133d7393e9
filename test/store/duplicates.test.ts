// Duplicates (the same bytes, or the same report Message-ID) are found by index, earliest first.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { DUPLICATE_SQL } from '../../src/store/sqlite.js';
import type { IncomingMessage, MessageOutcome } from '../../src/store/types.js';
import { BOUNCE_DOMAIN, fixturesDir, testConfig } from '../helpers/env.js';
import { withMessageId } from '../helpers/smtp.js';

const dsn = readFileSync(join(fixturesDir, 'postfix', 's07-multi--failed.eml'));
const incoming = (n: number): IncomingMessage => ({
  receivedAt: Date.now(), source: 'smtp', mailFrom: '', rcptTo: [`postmaster@${BOUNCE_DOMAIN}`], remoteIp: '127.0.0.1', helo: 'mta.test', raw: withMessageId(dsn, n),
});

describe('duplicate look-up', () => {
  it('walks one index in id order to the first match (no sort of every earlier copy)', () => {
    const store = openStore(testConfig());
    const plan = (sql: string) => (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('x', 1) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(plan(DUPLICATE_SQL.bySha)).toBe('SEARCH messages USING INDEX messages_sha256 (sha256=?)');
    expect(plan(DUPLICATE_SQL.byReportId)).toBe('SEARCH messages USING INDEX messages_report_message_id (report_message_id=?)');
    // The earliest copy wins, whichever key matched it.
    const ids = store.insertMessages([1, 2, 3].map((n) => incoming(n)));
    const settled = (id: number): MessageOutcome => ({ state: 'processed', kind: 'bounce', detector: 'test', reportMessageId: `r-${id}`, bounces: [], evidence: [] });
    store.settleMessages(ids.map((id) => ({ id, outcome: settled(id) })), Date.now());
    const [first, second] = ids as [number, number, number];
    const shaOfSecond = store.getMessage(second)!.sha256;
    expect(store.findDuplicate(9999, shaOfSecond, `r-${first}`)).toBe(first);
    expect(store.findDuplicate(9999, shaOfSecond, null)).toBe(second);
    expect(store.findDuplicate(second, shaOfSecond, null)).toBeNull();
    store.close();
  });
});

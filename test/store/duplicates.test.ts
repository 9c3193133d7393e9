// Duplicates (the same bytes, or the same report Message-ID within one verified token) are
// found by index, earliest first.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { duplicateKey } from '../../src/pipeline/decide.js';
import { settlementOf, type MessageOutcome } from '../../src/pipeline/outcome.js';
import type { IncomingMessage } from '../../src/store/contract.js';
import { sqliteMigrations as migrations } from '../../src/store/sqlite/migrations.js';
import { migrateSqlite as migrate } from '../../src/store/sqlite/open.js';
import { DUPLICATE_SQL } from '../../src/store/sqlite/statements.js';
import { openStore, otherConnection } from '../helpers/db.js';
import { BOUNCE_DOMAIN, fixturesDir, testConfig, tmpDir } from '../helpers/env.js';
import { withMessageId } from '../helpers/smtp.js';

const dsn = readFileSync(join(fixturesDir, 'postfix', 's07-multi--failed.eml'));
const incoming = (n: number): IncomingMessage => ({
  receivedAt: Date.now(), source: 'smtp', mailFrom: '', rcptTo: [`postmaster@${BOUNCE_DOMAIN}`], remoteIp: '127.0.0.1', helo: 'mta.test', raw: withMessageId(dsn, n),
});
const record = (verified: boolean) => ({
  createdAt: 0, accountId: verified ? 'acme' : null, messageId: verified ? 'm-1' : null, recipient: 'ann@example.org', reportedRecipient: 'ann@example.org', kind: 'bounce' as const,
  action: 'failed', status: '5.1.1', reason: 'userunknown', hardbounce: true, category: 'unknown_user' as const, type: 'hard' as const,
  rule: 'r', detector: 'test', replyCode: 550, diagnostic: null, remoteMta: null, reportingMta: null, originalMessageId: null, feedbackType: null, verified, warning: null,
});

describe('duplicate look-up', () => {
  it('walks one index in id order to the first match (no sort of every earlier copy)', async () => {
    const config = testConfig();
    const store = await openStore(config);
    const db = otherConnection(config.dataDir);
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('x', 1) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(plan(DUPLICATE_SQL.bySha)).toBe('SEARCH messages USING INDEX messages_sha256 (sha256=?)');
    expect(plan(DUPLICATE_SQL.byKey)).toBe('SEARCH messages USING INDEX messages_duplicate_key (duplicate_key=?)');
    db.close();
    // The earliest copy wins, whichever key matched it.
    const ids = await store.messages.insert([1, 2, 3].map((n) => incoming(n)));
    const settled = (id: number): MessageOutcome => ({ state: 'processed', kind: 'bounce', detector: 'test', reportMessageId: `r-${id}`, duplicateKey: `k-${id}`, bounces: [], evidence: [] });
    for (const id of ids) await store.messages.settle(id, settlementOf(settled(id)), Date.now());
    const [first, second] = ids as [number, number, number];
    const shaOfSecond = (await store.messages.get(second))!.sha256;
    expect(await store.messages.findDuplicate(9999, shaOfSecond, `k-${first}`)).toBe(first);
    expect(await store.messages.findDuplicate(9999, shaOfSecond, null)).toBe(second);
    expect(await store.messages.findDuplicate(second, shaOfSecond, null)).toBeNull();
    // The bare report Message-ID is no key: anybody can send mail that carries it.
    expect(await store.messages.findDuplicate(9999, 'no-such-sha', `r-${first}`)).toBeNull();
    await store.close();
  });

  it('a report Message-ID counts only within a verified token', () => {
    expect(duplicateKey('<r@mta>', [record(false)])).toBeNull();
    expect(duplicateKey(null, [record(true)])).toBeNull();
    expect(duplicateKey('<r@mta>', [record(false), record(true)])).toBe(JSON.stringify(['acme', 'm-1', 'ann@example.org', '<r@mta>']));
  });

  it('the migration gives reports settled before it their key, spelled as the pipeline spells it', () => {
    const db = new Database(join(tmpDir(), 'old.db'));
    for (const m of [...migrations].sort((a, b) => a.version - b.version).filter((m) => m.version <= 6)) {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
    const insert = db.prepare(`INSERT INTO messages (received_at, source, mail_from, rcpt_to, size, sha256, state, report_message_id) VALUES (0, 'smtp', '', '[]', 1, ?, 'processed', ?)`);
    const verifiedRow = Number(insert.run('a', '<r1@mta.test>').lastInsertRowid);
    const unverifiedRow = Number(insert.run('b', '<r1@mta.test>').lastInsertRowid);
    const bounce = db.prepare(`INSERT INTO bounces (message_row, created_at, account_id, message_id, recipient, kind, reason, hardbounce, category, type, rule, detector, verified)
                               VALUES (?, 0, ?, ?, 'ann@example.org', 'bounce', 'userunknown', 1, 'unknown_user', 'hard', 'r', 'd', ?)`);
    bounce.run(verifiedRow, 'acme', 'm-1', 1);
    bounce.run(unverifiedRow, null, null, 0);
    expect(migrate(db)).toContain(7);
    const keys = db.prepare(`SELECT id, duplicate_key FROM messages ORDER BY id`).all() as Array<{ id: number; duplicate_key: string | null }>;
    expect(keys).toEqual([
      { id: verifiedRow, duplicate_key: duplicateKey('<r1@mta.test>', [{ ...record(true) }]) },
      { id: unverifiedRow, duplicate_key: null },
    ]);
    db.close();
  });
});

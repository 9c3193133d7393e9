// Who checkpoints the WAL in the daemon (SqliteStoreOptions.walAutocheckpointPages and
// checkpointEveryMs, src/pipeline/build.ts, issue #20): a commit that crosses SQLite's threshold
// copies the WAL into the database file and fsyncs it before it returns, holding the write turn
// the intake's commits (and 250s) wait for; the processing connection checkpoints after its
// transactions instead. What shows it: the database file only grows when a checkpoint copies
// pages into it.
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IncomingMessage, Store } from '../../src/store/contract.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import { tmpDir } from '../helpers/env.js';

const dirs: string[] = [];
const opened: Store[] = [];
afterAll(async () => {
  for (const s of opened) await s.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const MB = 1024 * 1024;
const msg = (i: number): IncomingMessage => ({
  receivedAt: Date.UTC(2026, 0, 1) + i,
  source: 'smtp',
  mailFrom: '',
  rcptTo: ['b@bounces.test'],
  remoteIp: '127.0.0.1',
  helo: 'mx',
  raw: Buffer.alloc(MB, 0x61 + (i % 26)),
});

/**
 * Writes 8 MiB of messages, 1 MiB per commit, through a store opened with `opts` (as units of
 * their own, or in store.transaction: `inTransactions`); the file sizes after.
 */
async function write8(opts: { walAutocheckpointPages?: number; checkpointEveryMs?: number }, inTransactions = false): Promise<{ db: number; wal: number }> {
  const dir = tmpDir('store-ckpt-');
  dirs.push(dir);
  const s = openSqlite({ dataDir: dir }, opts);
  opened.push(s);
  for (let i = 0; i < 8; i++) {
    if (inTransactions) await s.transaction((tx) => tx.messages.insert([msg(i)]), { durable: false });
    else await s.messages.insert([msg(i)]);
  }
  const size = (f: string) => statSync(join(dir, f)).size;
  return { db: size('bounced.db'), wal: size('bounced.db-wal') };
}

describe('SQLite: who checkpoints the WAL', () => {
  it('a connection with a high walAutocheckpointPages leaves 8 MiB in the WAL; one with the default copies it into the database', async () => {
    const high = await write8({ walAutocheckpointPages: 16_384 });
    expect(high.wal).toBeGreaterThan(8 * MB);
    expect(high.db).toBeLessThan(1 * MB);
    const byDefault = await write8({});
    // SQLite's default (1000 pages, about 4 MB): at least one commit checkpointed.
    expect(byDefault.db).toBeGreaterThan(3 * MB);
  });

  it('checkpointEveryMs: the processing connection copies the WAL after its transactions, the backstop notwithstanding', async () => {
    // Without it, transactions under the backstop leave everything in the WAL too.
    const none = await write8({ walAutocheckpointPages: 16_384 }, true);
    expect(none.db).toBeLessThan(1 * MB);
    const after = await write8({ walAutocheckpointPages: 16_384, checkpointEveryMs: 0 }, true);
    // Every transaction's bytes are in the database file once it is over (the last one's too).
    expect(after.db).toBeGreaterThan(8 * MB);
  });
});

// The WAL's own sync (src/store/sqlite/wal-sync.ts) on a real database file: callers that come
// while a sync runs share the next one (never the running one, which may have begun before
// their commit); a WAL replaced under the path is re-opened; a missing WAL is an `unavailable`
// StoreError that does not stick. Whether the syncs make a 250 durable is the power-cut test's
// (test/reliability/powercut.test.ts).
import { copyFileSync, readdirSync, readlinkSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/store-error.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import { WalSync } from '../../src/store/sqlite/wal-sync.js';
import { tmpDir } from '../helpers/env.js';

function walDb(): { file: string; db: Database.Database } {
  const file = join(tmpDir(), 'w.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (x)');
  return { file, db };
}

describe('WalSync', () => {
  it('callers arriving while a sync runs share one new sync, begun after the running one ended', async () => {
    const { file, db } = walDb();
    const w = new WalSync(file);
    const first = w.sync();
    db.prepare('INSERT INTO t VALUES (1)').run();
    const later = Array.from({ length: 10 }, () => w.sync());
    expect(later.every((p) => p === later[0])).toBe(true);
    expect(later[0]).not.toBe(first);
    await first;
    expect(w.syncs).toBe(1);
    await Promise.all(later);
    expect(w.syncs).toBe(2);
    // Nothing running: a sync of its own at once.
    await w.sync();
    expect(w.syncs).toBe(3);
    await w.close();
    db.close();
  });

  it('re-opens the WAL when the path names another file, and a missing WAL fails without sticking', async () => {
    const { file, db } = walDb();
    const wal = `${file}-wal`;
    // The fds of this process open on the WAL's current file (a replaced one reads "(deleted)").
    const onPath = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === wal;
      } catch {
        return false;
      }
    }).length;
    const w = new WalSync(file);
    await w.sync();
    renameSync(wal, `${wal}.away`);
    const err = await w.sync().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('unavailable');
    // Another file under the name (a new inode, as after SQLite deleted and re-created it).
    copyFileSync(`${wal}.away`, wal);
    expect(onPath()).toBe(0);
    await w.sync();
    expect(w.syncs).toBe(2);
    expect(onPath()).toBe(1);
    await w.close();
    expect(onPath()).toBe(0);
    db.close();
  });

  it('a store opened with syncWalAfterCommit commits at NORMAL and syncs on its own; at NORMAL it does not', async () => {
    const dir = tmpDir();
    const s = openSqlite({ dataDir: dir }, { syncWalAfterCommit: true });
    const walSync = (s as unknown as { conn: { walSync: WalSync | null } }).conn.walSync;
    const message = { receivedAt: 1, source: 'smtp' as const, mailFrom: '', rcptTo: ['a@b.test'], remoteIp: '127.0.0.1', helo: 'h', raw: Buffer.from('Subject: x\r\n\r\nx\r\n') };
    expect(await s.messages.insert([message])).toHaveLength(1);
    expect(walSync?.syncs).toBe(1);
    // A transaction marked not durable does not wait for a sync.
    await s.transaction((tx) => tx.messages.insert([message]), { durable: false });
    expect(walSync?.syncs).toBe(1);
    await s.transaction((tx) => tx.messages.insert([message]));
    expect(walSync?.syncs).toBe(2);
    await s.close();
    const n = openSqlite({ dataDir: dir }, { syncWalAfterCommit: true, synchronous: 'NORMAL' });
    expect((n as unknown as { conn: { walSync: WalSync | null } }).conn.walSync).toBe(null);
    await n.close();
  });
});

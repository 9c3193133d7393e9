// store.mmapBytes (SqliteStoreOptions.mmapBytes, issue #20): the database file is read through
// mmap(2) when it is set, and not when it is 0 (SQLite's default). What shows it is the
// process's own memory map (Linux /proc/self/maps): SQLite maps the file at the first read.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { storeTarget } from '../../src/pipeline/build.js';
import { connectStore } from '../../src/store/connect.js';
import type { Store } from '../../src/store/contract.js';
import { DB_FILE, openSqlite } from '../../src/store/sqlite/open.js';
import { tmpDir } from '../helpers/env.js';

const dirs: string[] = [];
const opened: Store[] = [];
afterAll(async () => {
  for (const s of opened) await s.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const mapped = (file: string) => readFileSync('/proc/self/maps', 'utf8').split('\n').some((l) => l.endsWith(` ${file}`));

describe.runIf(existsSync('/proc/self/maps'))('SQLite mmap (store.mmapBytes)', () => {
  it('maps the database file when set; reads it with read(2) when 0; the answers are the same', async () => {
    const answers: unknown[] = [];
    for (const mmapBytes of [0, 64 * 1024 * 1024]) {
      const dir = tmpDir('bounced-mmap-');
      dirs.push(dir);
      const store = openSqlite({ dataDir: dir }, { synchronous: 'NORMAL', mmapBytes });
      opened.push(store);
      await store.suppressions.add('acme', 'a@example.com', 'manual', 'test', 1);
      answers.push(await store.suppressions.preSend('acme', 'a@example.com'));
      answers.push(await store.suppressions.hitsMany('acme', ['a@example.com', 'b@example.com']));
      expect(mapped(join(dir, DB_FILE))).toBe(mmapBytes > 0);
    }
    expect(answers[2]).toEqual(answers[0]);
    expect(answers[3]).toEqual(answers[1]);
  });

  it('the daemon takes it from config (BOUNCED_STORE_MMAP_BYTES)', async () => {
    const dir = tmpDir('bounced-mmap-');
    dirs.push(dir);
    const config = loadConfig({ env: { BOUNCED_DATA_DIR: dir, BOUNCED_STORE_MMAP_BYTES: '16777216' } });
    expect(config.store.mmapBytes).toBe(16777216);
    const store = await connectStore(storeTarget(config));
    opened.push(store);
    await store.suppressions.preSend('acme', 'a@example.com');
    expect(mapped(join(dir, DB_FILE))).toBe(true);
  });
});

// Store faults that need no mount: a write lock held by another process. The daemon runs
// as operators run it (a child process, its pino log on stderr).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE } from '../../src/store/sqlite.js';
import { spawnDaemon, type ChildDaemon } from '../helpers/child.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET, tmpDir } from '../helpers/env.js';
import { sendRaw, withMessageId } from '../helpers/smtp.js';

const dsn = readFileSync(join(fixturesDir, 'postfix', 's02-remote-rcpt550--failed.eml'));
const to = `postmaster@${BOUNCE_DOMAIN}`;

let daemons: ChildDaemon[] = [];
afterEach(async () => {
  for (const d of daemons) {
    d.proc.kill('SIGTERM');
    await d.exited;
  }
  daemons = [];
});

async function start(extra: Record<string, string> = {}) {
  const dataDir = tmpDir('bounced-storefault-');
  const d = await spawnDaemon({ BOUNCED_DATA_DIR: dataDir, BOUNCED_VERP_SECRET: TEST_SECRET, BOUNCED_BOUNCE_DOMAINS: BOUNCE_DOMAIN, ...extra });
  daemons.push(d);
  return { d, db: join(dataDir, DB_FILE) };
}

const events = (d: ChildDaemon) =>
  d
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { evt?: string; repeated?: number });

describe('a write lock held by another process', () => {
  it('a lasting store fault logs its error once (then a summary per window), not once per commit', async () => {
    const { d, db } = await start({ BOUNCED_STORE_BUSY_TIMEOUT_MS: '20' });
    const other = new Database(db);
    other.exec('BEGIN IMMEDIATE');
    let refused = 0;
    try {
      // 200 messages from 10 sessions at a time: each commit fails after 20 ms.
      for (let round = 0; round < 20; round++) {
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => sendRaw(d.smtpPort, { from: '', to: [to] }, withMessageId(dsn, round * 10 + i))));
        refused += results.filter((r) => r.code === 451).length;
      }
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(refused).toBe(200);
    const failures = events(d).filter((e) => e.evt === 'STORE_WRITE_FAILED');
    // One line whole, and at most a summary line or two (10 s windows) for the rest.
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.length).toBeLessThanOrEqual(3);
    // Service resumes by itself.
    expect((await sendRaw(d.smtpPort, { from: '', to: [to] }, withMessageId(dsn, 'after'))).code).toBe(250);
  });
});

// Retention on a schedule (issue #20): the `prune-raw` job of `bounced serve` and `bounced tick`
// drops the bytes of settled messages older than retention.rawDays; records stay. Runs the CLI
// (dist/: `npm run build` first) against a data dir written through the store.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildPipeline } from '../../src/pipeline/build.js';
import { admin, apiFixture, bearer, withAccounts } from '../helpers/api.js';
import { childEnv, CLI } from '../helpers/child.js';
import { readRows } from '../helpers/db.js';
import { TEST_SECRET, testConfig } from '../helpers/env.js';

const JAN = Date.parse('2026-01-10T00:00:00Z');
const processed = { state: 'processed' as const, kind: 'bounce' as const, detector: 'rfc3464', reportMessageId: null };

async function seed(dataDir: string): Promise<number[]> {
  const { store, close } = await buildPipeline(testConfig({ dataDir }));
  const raw = (s: string) => Buffer.from(`Subject: ${s}\r\n\r\nbody\r\n`);
  const ids = await store.messages.insert([
    { receivedAt: JAN, source: 'smtp', mailFrom: '', rcptTo: ['b@bounces.test'], remoteIp: '127.0.0.1', helo: 'mx', raw: raw('january, processed') },
    { receivedAt: JAN + 40 * 86_400_000, source: 'smtp', mailFrom: '', rcptTo: ['b@bounces.test'], remoteIp: '127.0.0.1', helo: 'mx', raw: raw('february') },
  ]);
  for (const id of ids) await store.messages.settle(id, processed, JAN);
  await close();
  return ids;
}

function tick(dataDir: string, at: string, extra: Record<string, string> = {}): string[] {
  const env = childEnv({ BOUNCED_DATA_DIR: dataDir, BOUNCED_VERP_SECRET: TEST_SECRET, ...extra });
  const r = spawnSync(process.execPath, [CLI, 'tick', '--now', at], { env });
  expect(r.status, r.stderr.toString()).toBe(0);
  return (JSON.parse(r.stdout.toString()) as { ran: string[] }).ran;
}

const withBytes = (dataDir: string) => readRows<{ id: number }>(dataDir, 'SELECT message_id AS id FROM message_raw ORDER BY message_id').map((r) => r.id);

describe('retention: prune-raw', () => {
  it('drops the bytes of settled messages older than retention.rawDays (default 30) and keeps their rows', async () => {
    const { dataDir } = testConfig();
    const [jan, feb] = await seed(dataDir);
    // 20 days on: within 30 days, nothing goes.
    expect(tick(dataDir, '2026-01-30T00:00:00Z')).toContain('prune-raw');
    expect(withBytes(dataDir)).toEqual([jan, feb]);
    // 31 days after January's: its bytes go, February's stay; both rows stay, settled.
    expect(tick(dataDir, '2026-02-10T00:00:01Z')).toContain('prune-raw');
    expect(withBytes(dataDir)).toEqual([feb]);
    expect(readRows(dataDir, 'SELECT id, state, size FROM messages ORDER BY id')).toEqual([
      { id: jan, state: 'processed', size: 'Subject: january, processed\r\n\r\nbody\r\n'.length },
      { id: feb, state: 'processed', size: 'Subject: february\r\n\r\nbody\r\n'.length },
    ]);
  });

  it('retention.rawDays 0 keeps every message (no job); a setting of 45 days moves the cut', async () => {
    const { dataDir } = testConfig();
    const [jan, feb] = await seed(dataDir);
    expect(tick(dataDir, '2027-01-01T00:00:00Z', { BOUNCED_RETENTION_RAW_DAYS: '0' })).not.toContain('prune-raw');
    expect(withBytes(dataDir)).toEqual([jan, feb]);
    // 40 days after January's: kept at 45 days.
    expect(tick(dataDir, '2026-02-19T00:00:00Z', { BOUNCED_RETENTION_RAW_DAYS: '45' })).toContain('prune-raw');
    expect(withBytes(dataDir)).toEqual([jan, feb]);
  });

  it('a pruned message keeps its record: the API shows the bounce and answers 404 not_found for its report', async () => {
    const fx = await apiFixture();
    try {
      const keys = await withAccounts(fx, 'acme');
      const acme = bearer(keys.acme!);
      const id = await fx.bounce('acme');
      const href = `/v1/bounces/${id}/report`;
      expect((await fx.app.inject({ method: 'GET', url: href, headers: acme })).statusCode).toBe(200);
      // A cut after it: its bytes go (the fixture's message is settled).
      expect(await fx.store.messages.pruneRaw(Date.now() + 1000, 10)).toBe(1);
      const gone = await fx.app.inject({ method: 'GET', url: href, headers: acme });
      expect(gone.statusCode).toBe(404);
      expect(gone.json().error).toMatchObject({ code: 'not_found', message: 'The report is no longer stored' });
      const one = await fx.app.inject({ method: 'GET', url: `/v1/bounces/${id}`, headers: admin });
      expect(one.statusCode).toBe(200);
      expect(one.json().bounce).toMatchObject({ id, accountId: 'acme', type: 'hard' });
    } finally {
      await fx.close();
    }
  });
});

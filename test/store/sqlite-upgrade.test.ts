// An existing SQLite database (the newest base schema, written by today's store classes) opened by the new
// store: migration 20 backfills the counters from the rows, and they equal what today's
// figures() sums; migration 21 adds the claim and lease columns; the old classes still open it.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src/domain/index.js';
import { migrations as baseMigrations } from '../../src/store/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { PolicyRepo } from '../../src/store/sqlite-policy.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import type { Evidence } from '../../src/store/types.js';
import { tmpDir } from '../helpers/env.js';

const dir = tmpDir('store-upgrade-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite: an existing database upgraded to the store contract', () => {
  it('backfills the counters to what the rows sum to, per account, month, channel and campaign', async () => {
    const old = openSqliteStore(dir);
    // today's classes bring it to the newest base migration, below the store contract's 20
    expect(old.schemaVersion()).toBe(Math.max(...baseMigrations.map((m) => m.version)));
    expect(old.schemaVersion()).toBeLessThan(20);
    const repo = new PolicyRepo(old.db);
    const months = [Date.UTC(2026, 0, 3), Date.UTC(2026, 0, 31, 23, 59, 59), Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 14)];
    const categories = ['unknown_user', 'spam', 'policy', 'content', 'temporary', null];
    const reasons = ['userunknown', 'blocked', 'badreputation', 'spamdetected', 'expired', null];
    let n = 0;
    old.atomically(() => {
      for (let i = 0; i < 120; i++) {
        const accountId = `acct${i % 3}`;
        const at = months[i % months.length]!;
        const message = i % 5 === 0 ? `o2o:deal/m${i}` : i % 2 ? `spring/m${i}` : `m${i}`;
        const ev: Evidence = {
          accountId, messageId: message, recipient: `r${i % 7}@x.test`, at, source: 'log', state: i % 4 ? 'hard' : 'soft',
          status: null, reason: null, category: null, diagnostic: null, qid: null, dedupKey: `k${n++}`, countsAsSend: true,
        };
        const r = old.lifecycle.applyEvidence(ev, null, at)!;
        const channel = message.startsWith('o2o:') ? 'one_to_one' : 'marketing';
        const campaign = message.includes('/') ? message.replace(/^o2o:/, '').split('/')[0]! : null;
        repo.recordFailure({
          deliveryId: r.deliveryId, accountId, recipient: ev.recipient, channel, campaign, state: ev.state as 'soft' | 'hard',
          reason: reasons[i % reasons.length]!, category: categories[i % categories.length]!, addressReason: i % 3 === 0, at,
        });
        if (i % 3 === 0) {
          repo.insertReport({ accountId, kind: i % 2 ? 'complaint' : 'unsubscribe', messageId: message, recipient: ev.recipient, channel, campaign, at, source: 'arf' });
        }
        if (i % 10 === 0) old.lifecycle.addSends(accountId, new Date(at).toISOString().slice(0, 10), 100 + i);
      }
      repo.ensureCampaign('acct0', 'spring', months[0]!);
      repo.cancelCampaign('acct0', 'spring', months[2]!);
      repo.ensureCampaign('acct1', 'spring', months[0]!);
      repo.cancelCampaign('acct1', 'spring', months[3]!);
    });
    const before = new Map<string, unknown>();
    for (const a of ['acct0', 'acct1', 'acct2']) {
      for (const m of ['2026-01', '2026-02', '2026-03']) for (const ch of CHANNELS) before.set(`${a} ${m} ${ch}`, repo.figures(a, m, ch));
      for (const c of ['spring', 'deal']) {
        // getCampaign()'s count (the statement of sqlite-policy.ts), also where no campaign row exists.
        const hardBounces = old.db
          .prepare(`SELECT count(*) FROM delivery_failures WHERE account_id = ? AND campaign = ? AND state = 'hard' AND channel = 'marketing'`)
          .pluck()
          .get(a, c) as number;
        if (repo.getCampaign(a, c)) expect(repo.getCampaign(a, c)!.hardBounces).toBe(hardBounces);
        before.set(`${a} ${c}`, { hardBounces, ...repo.campaignReports(a, c) });
      }
    }
    old.close();

    const s = openSqlite({ dataDir: dir });
    try {
      expect(s.appliedMigrations).toEqual([20, 21]);
      let nonZero = 0;
      for (const a of ['acct0', 'acct1', 'acct2']) {
        for (const m of ['2026-01', '2026-02', '2026-03']) {
          for (const ch of CHANNELS) {
            const got = await s.counters.month(a, m, ch);
            expect(got, `${a} ${m} ${ch}`).toEqual(before.get(`${a} ${m} ${ch}`));
            nonZero += Object.values(got).filter((x) => x > 0).length;
          }
        }
        for (const c of ['spring', 'deal']) {
          expect(await s.counters.campaign(a, c), `${a} ${c}`).toEqual(before.get(`${a} ${c}`));
        }
      }
      expect(nonZero).toBeGreaterThan(30);
      expect((await s.messages.list({})).length).toBe(0);
    } finally {
      await s.close();
    }
    // Today's classes still open the upgraded file (columns added are nullable).
    const again = openSqliteStore(dir);
    expect(again.schemaVersion()).toBe(21);
    expect(again.countMessages().received).toBe(0);
    again.close();
  });
});

// An existing SQLite database at version 9 (the schema before the store contract, rows
// written by raw SQL as the classes before phase B of issue #15 wrote them) opened by the
// store: migration 20 backfills the counters from the rows, and they equal what those rows
// sum to by the statements the policy ran before the counters (written out below, apart from
// the store's own recount); migration 21 adds the claim and lease columns.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalAddress } from '../../src/address.js';
import { CHANNELS, monthRange, utcDay } from '../../src/domain/index.js';
import { sqliteMigrations } from '../../src/store/sqlite/migrations.js';
import { DB_FILE, openSqlite } from '../../src/store/sqlite/open.js';
import { tmpDir } from '../helpers/env.js';

const dir = tmpDir('store-upgrade-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The month's figures as the policy summed them from the rows before migration 20. */
const FIGURES_BEFORE = `SELECT s.sends, f.hardBounces, f.senderFailures, f.blocklistings,
   (SELECT count(*) FROM contact_reports WHERE account_id = @a AND kind = 'complaint' AND at >= @start AND at < @end AND channel = @channel) AS complaints,
   (SELECT count(*) FROM contact_reports WHERE account_id = @a AND kind = 'unsubscribe' AND at >= @start AND at < @end AND channel = @channel) AS unsubscribes,
   (SELECT count(*) FROM campaigns WHERE account_id = @a AND state = 'cancelled' AND cancelled_at >= @start AND cancelled_at < @end) AS cancelledCampaigns
 FROM (SELECT coalesce(sum(count), 0) AS sends FROM sends WHERE account_id = @a AND day >= @firstDay AND day < @nextFirstDay) AS s,
      (SELECT coalesce(sum(state = 'hard'), 0) AS hardBounces,
              coalesce(sum(state = 'hard' AND category IN ('content', 'spam', 'policy')), 0) AS senderFailures,
              coalesce(sum(reason IN ('blocked', 'badreputation')), 0) AS blocklistings
         FROM delivery_failures WHERE account_id = @a AND at >= @start AND at < @end AND channel = @channel) AS f`;

describe('SQLite: an existing database upgraded to the store contract', () => {
  it('backfills the counters to what the rows sum to, per account, month, channel and campaign', async () => {
    const db = new Database(join(dir, DB_FILE));
    db.function('canonical_address', { deterministic: true }, (a: unknown) => (typeof a === 'string' ? canonicalAddress(a) : a));
    for (const m of [...sqliteMigrations].sort((a, b) => a.version - b.version).filter((m) => m.version <= 9)) {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
    const months = [Date.UTC(2026, 0, 3), Date.UTC(2026, 0, 31, 23, 59, 59), Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 14)];
    const categories = ['unknown_user', 'spam', 'policy', 'content', 'temporary', null];
    const reasons = ['userunknown', 'blocked', 'badreputation', 'spamdetected', 'expired', null];
    const delivery = db.prepare(
      `INSERT INTO deliveries (account_id, message_id, recipient, state, first_at, last_at, attempts, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)`,
    );
    const failure = db.prepare(
      `INSERT INTO delivery_failures (delivery_id, account_id, recipient, channel, campaign, state, reason, category, address_reason, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const report = db.prepare(
      `INSERT INTO contact_reports (account_id, kind, message_id, recipient, channel, campaign, at, source) VALUES (?, ?, ?, ?, ?, ?, ?, 'arf')
       ON CONFLICT (account_id, kind, message_id, recipient) DO NOTHING`,
    );
    const sends = db.prepare(`INSERT INTO sends (account_id, day, count) VALUES (?, ?, ?) ON CONFLICT (account_id, day) DO UPDATE SET count = count + excluded.count`);
    const campaign = db.prepare(`INSERT INTO campaigns (account_id, campaign, created_at, state, cancelled_at) VALUES (?, ?, ?, ?, ?)`);
    db.transaction(() => {
      for (let i = 0; i < 120; i++) {
        const accountId = `acct${i % 3}`;
        const at = months[i % months.length]!;
        const message = i % 5 === 0 ? `o2o:deal/m${i}` : i % 2 ? `spring/m${i}` : `m${i}`;
        const recipient = `r${i % 7}@x.test`;
        const state = i % 4 ? 'hard' : 'soft';
        const id = Number(delivery.run(accountId, message, recipient, state, at, at, at).lastInsertRowid);
        const channel = message.startsWith('o2o:') ? 'one_to_one' : 'marketing';
        const camp = message.includes('/') ? message.replace(/^o2o:/, '').split('/')[0]! : null;
        failure.run(id, accountId, recipient, channel, camp, state, reasons[i % reasons.length]!, categories[i % categories.length]!, i % 3 === 0 ? 1 : 0, at);
        if (i % 3 === 0) report.run(accountId, i % 2 ? 'complaint' : 'unsubscribe', message, recipient, channel, camp, at);
        if (i % 10 === 0) sends.run(accountId, utcDay(at), 100 + i);
      }
      campaign.run('acct0', 'spring', months[0]!, 'cancelled', months[2]!);
      campaign.run('acct1', 'spring', months[0]!, 'cancelled', months[3]!);
    })();
    const figures = db.prepare(FIGURES_BEFORE);
    const campaignHard = db.prepare(`SELECT count(*) FROM delivery_failures WHERE account_id = ? AND campaign = ? AND state = 'hard' AND channel = 'marketing'`).pluck();
    const campaignReports = db.prepare(
      `SELECT coalesce(sum(kind = 'complaint'), 0) AS complaints, coalesce(sum(kind = 'unsubscribe'), 0) AS unsubscribes FROM contact_reports WHERE account_id = ? AND campaign = ?`,
    );
    const before = new Map<string, unknown>();
    for (const a of ['acct0', 'acct1', 'acct2']) {
      for (const m of ['2026-01', '2026-02', '2026-03']) for (const ch of CHANNELS) before.set(`${a} ${m} ${ch}`, figures.get({ a, channel: ch, ...monthRange(m) }));
      for (const c of ['spring', 'deal']) before.set(`${a} ${c}`, { hardBounces: campaignHard.get(a, c), ...(campaignReports.get(a, c) as object) });
    }
    expect(db.pragma('user_version', { simple: true })).toBe(9);
    db.close();

    const s = openSqlite({ dataDir: dir });
    try {
      expect(s.appliedMigrations).toEqual([20, 21, 24]);
      let nonZero = 0;
      for (const a of ['acct0', 'acct1', 'acct2']) {
        for (const m of ['2026-01', '2026-02', '2026-03']) {
          for (const ch of CHANNELS) {
            const got = await s.counters.month(a, m, ch);
            expect(got, `${a} ${m} ${ch}`).toEqual(before.get(`${a} ${m} ${ch}`));
            // The store's own recount (checks and repairs) says the same.
            expect(await s.counters.recount(a, m, ch), `recount ${a} ${m} ${ch}`).toEqual(got);
            nonZero += Object.values(got).filter((x) => x > 0).length;
          }
        }
        for (const c of ['spring', 'deal']) {
          expect(await s.counters.campaign(a, c), `${a} ${c}`).toEqual(before.get(`${a} ${c}`));
        }
      }
      expect(nonZero).toBeGreaterThan(30);
      expect((await s.messages.list({})).length).toBe(0);
      // 21: the claim columns, nullable, empty on the rows already there.
      expect(await s.jobs.get('none')).toBeNull();
    } finally {
      await s.close();
    }
    // Opened again: nothing left to apply.
    const again = openSqlite({ dataDir: dir });
    expect(again.appliedMigrations).toEqual([]);
    expect(await again.schemaVersion()).toBe(24);
    await again.close();
  });
});

// SQLite migrations of the store contract, numbered from 20 so that they cannot collide with
// the ones written meanwhile in ../migrations.ts (7, 8, 9, ...). The opener (./open.ts) runs
// both lists in version order with one user_version: each migration in one transaction with
// its user_version bump. Append only. A migration added to ../migrations.ts after a database
// reached 20 would be skipped: number new ones above the highest here (see README, phase B).
import type { Migration } from '../migrations.js';

export const storeMigrations: Migration[] = [
  {
    version: 20,
    name: 'counters: account months, channels and campaigns, kept in the transaction of each change',
    // Backfilled from the rows (the same figures src/store/sqlite-policy.ts sums today; a NULL
    // category or reason counts as no match, hence the coalesce):
    // sends by the month of their day; failures and reports by the UTC month of `at`;
    // cancelled campaigns by the month of cancelled_at. After this the store keeps them.
    sql: `
      -- Figures of an account's month that are not per channel (sends of every channel, the
      -- campaigns the canary cancelled).
      CREATE TABLE account_months (
        account_id           TEXT NOT NULL,
        month                TEXT NOT NULL,      -- YYYY-MM, UTC
        sends                INTEGER NOT NULL DEFAULT 0,
        cancelled_campaigns  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (account_id, month)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX account_months_month ON account_months(month);

      -- Figures of an account's month per channel: one row read per figures() call.
      CREATE TABLE account_month_channels (
        account_id       TEXT NOT NULL,
        month            TEXT NOT NULL,
        channel          TEXT NOT NULL CHECK (channel IN ('marketing', 'one_to_one')),
        hard_bounces     INTEGER NOT NULL DEFAULT 0,
        sender_failures  INTEGER NOT NULL DEFAULT 0,   -- hard, category content/spam/policy
        blocklistings    INTEGER NOT NULL DEFAULT 0,   -- soft or hard, reason blocked/badreputation
        complaints       INTEGER NOT NULL DEFAULT 0,
        unsubscribes     INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (account_id, month, channel)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX account_month_channels_month ON account_month_channels(month);

      -- A campaign's counts over its life: the canary's hard bounces (marketing), its reports.
      CREATE TABLE campaign_counts (
        account_id    TEXT NOT NULL,
        campaign      TEXT NOT NULL,
        hard_bounces  INTEGER NOT NULL DEFAULT 0,
        complaints    INTEGER NOT NULL DEFAULT 0,
        unsubscribes  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (account_id, campaign)
      ) STRICT, WITHOUT ROWID;

      INSERT INTO account_months (account_id, month, sends)
        SELECT account_id, substr(day, 1, 7), sum(count) FROM sends GROUP BY 1, 2;
      INSERT INTO account_months (account_id, month, cancelled_campaigns)
        SELECT account_id, strftime('%Y-%m', cancelled_at / 1000, 'unixepoch'), count(*)
          FROM campaigns WHERE state = 'cancelled' GROUP BY 1, 2
        ON CONFLICT (account_id, month) DO UPDATE SET cancelled_campaigns = excluded.cancelled_campaigns;
      INSERT INTO account_month_channels (account_id, month, channel, hard_bounces, sender_failures, blocklistings)
        SELECT account_id, strftime('%Y-%m', at / 1000, 'unixepoch'), channel,
               sum(state = 'hard'), coalesce(sum(state = 'hard' AND category IN ('content', 'spam', 'policy')), 0),
               coalesce(sum(reason IN ('blocked', 'badreputation')), 0)
          FROM delivery_failures GROUP BY 1, 2, 3;
      INSERT INTO account_month_channels (account_id, month, channel, complaints, unsubscribes)
        SELECT account_id, strftime('%Y-%m', at / 1000, 'unixepoch'), channel,
               sum(kind = 'complaint'), sum(kind = 'unsubscribe')
          FROM contact_reports WHERE true GROUP BY 1, 2, 3
        ON CONFLICT (account_id, month, channel) DO UPDATE SET complaints = excluded.complaints, unsubscribes = excluded.unsubscribes;
      INSERT INTO campaign_counts (account_id, campaign, hard_bounces)
        SELECT account_id, campaign, count(*) FROM delivery_failures
         WHERE campaign IS NOT NULL AND state = 'hard' AND channel = 'marketing' GROUP BY 1, 2;
      INSERT INTO campaign_counts (account_id, campaign, complaints, unsubscribes)
        SELECT account_id, campaign, sum(kind = 'complaint'), sum(kind = 'unsubscribe')
          FROM contact_reports WHERE campaign IS NOT NULL GROUP BY 1, 2
        ON CONFLICT (account_id, campaign) DO UPDATE SET complaints = excluded.complaints, unsubscribes = excluded.unsubscribes;
    `,
  },
  {
    version: 21,
    name: 'claims and leases: messages, jobs and webhook deliveries taken by one node at a time; two indexes',
    sql: `
      -- A node processing a message holds it until claimed_until; after that another may take it.
      ALTER TABLE messages ADD COLUMN claimed_by TEXT;
      ALTER TABLE messages ADD COLUMN claimed_until INTEGER;
      -- A job runs on the node holding its lease (one run per due time across the cluster).
      ALTER TABLE jobs ADD COLUMN lease_holder TEXT;
      ALTER TABLE jobs ADD COLUMN lease_until INTEGER;
      -- A webhook delivery being attempted by one node.
      ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
      ALTER TABLE webhook_deliveries ADD COLUMN claimed_until INTEGER;
      -- Reads the contract makes that walked a whole table: one bounce's evidence (the API's
      -- GET /v1/bounces/:id) and pruning the Postfix queue-id memory by age.
      CREATE INDEX evidence_bounce ON evidence(bounce_id) WHERE bounce_id IS NOT NULL;
      CREATE INDEX log_queue_seen ON log_queue(seen_at);
    `,
  },
];

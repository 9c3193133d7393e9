// The SQLite schema's migrations, one list with one user_version: 1-9 (the base schema and
// what issue #14 added) and 20-21 (the store contract's counters, claims and leases, written
// beside 7-9 and numbered apart so that they could not collide). Each runs in one transaction
// with its user_version bump, so a crash leaves the database at one version or the next, never
// between; they run in version order (migrateSqlite in ./open.ts). Append only: never edit a
// migration that has shipped; a new one takes a number above the highest here (22, ...): a
// number below a version a database has reached would be skipped there.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const sqliteMigrations: Migration[] = [
  {
    version: 1,
    name: 'messages, bounces, accounts',
    sql: `
      CREATE TABLE accounts (
        id          TEXT PRIMARY KEY,
        name        TEXT,
        created_at  INTEGER NOT NULL
      ) STRICT;

      -- Every message accepted over SMTP or ingest, raw bytes and envelope, stored before the 250.
      -- state: received (waiting for the pipeline), processed, unparseable, duplicate.
      CREATE TABLE messages (
        id            INTEGER PRIMARY KEY,
        received_at   INTEGER NOT NULL,
        source        TEXT NOT NULL,             -- smtp | ingest
        mail_from     TEXT NOT NULL,             -- '' for the null sender <>
        rcpt_to       TEXT NOT NULL,             -- JSON array, lower-cased
        remote_ip     TEXT,
        helo          TEXT,
        size          INTEGER NOT NULL,
        sha256        TEXT NOT NULL,
        state         TEXT NOT NULL DEFAULT 'received'
                        CHECK (state IN ('received', 'processed', 'unparseable', 'duplicate')),
        processed_at  INTEGER,
        attempts      INTEGER NOT NULL DEFAULT 0,
        error         TEXT,
        kind          TEXT,
        detector      TEXT,
        report_message_id TEXT,                  -- Message-ID header of the report itself
        duplicate_of  INTEGER REFERENCES messages(id)
      ) STRICT;
      CREATE INDEX messages_pending ON messages(id) WHERE state = 'received';
      -- The raw bytes live apart from the row whose state changes: SQLite rewrites a whole row
      -- on UPDATE, and settling a message must not write its bytes a second time.
      CREATE TABLE message_raw (
        message_id  INTEGER PRIMARY KEY REFERENCES messages(id),
        raw         BLOB NOT NULL
      ) STRICT;
      CREATE INDEX messages_sha256 ON messages(sha256);
      CREATE INDEX messages_report_message_id ON messages(report_message_id) WHERE report_message_id IS NOT NULL;

      -- One row per recipient per report.
      CREATE TABLE bounces (
        id                  INTEGER PRIMARY KEY,
        message_row         INTEGER NOT NULL REFERENCES messages(id),
        created_at          INTEGER NOT NULL,
        account_id          TEXT,                -- from the VERP token; NULL when unverified and unknown
        message_id          TEXT,                -- the sender's message id from the VERP token
        recipient           TEXT,                -- lower-cased failed address
        kind                TEXT NOT NULL,
        action              TEXT,
        status              TEXT,
        reason              TEXT NOT NULL,
        hardbounce          INTEGER NOT NULL,
        category            TEXT NOT NULL,
        type                TEXT NOT NULL,
        rule                TEXT NOT NULL,
        detector            TEXT NOT NULL,
        reply_code          INTEGER,
        diagnostic          TEXT,
        remote_mta          TEXT,
        reporting_mta       TEXT,
        original_message_id TEXT,
        feedback_type       TEXT,
        verified            INTEGER NOT NULL     -- 1 only when the VERP signature and recipient check out
      ) STRICT;
      CREATE INDEX bounces_account_recipient ON bounces(account_id, recipient);
      CREATE INDEX bounces_recipient ON bounces(recipient);
      CREATE INDEX bounces_message_row ON bounces(message_row);
    `,
  },
  {
    version: 2,
    name: 'lifecycle: deliveries, evidence, sends, jobs, log tailing',
    sql: `
      -- One row per (account, message, recipient): the current outcome of that delivery.
      -- state only moves forward: pending -> delivered -> soft -> hard (see lifecycle/state.ts).
      CREATE TABLE deliveries (
        id              INTEGER PRIMARY KEY,
        account_id      TEXT NOT NULL,
        message_id      TEXT NOT NULL,
        recipient       TEXT NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'soft', 'hard')),
        first_at        INTEGER NOT NULL,        -- earliest evidence time
        last_at         INTEGER NOT NULL,        -- latest evidence time
        pending_since   INTEGER,                 -- first deferral: the 72 h window starts here
        attempts        INTEGER NOT NULL,        -- evidence items from DSNs and log lines
        status          TEXT,                    -- of the evidence that decided the state
        reason          TEXT,
        category        TEXT,
        diagnostic      TEXT,
        send_counted    INTEGER NOT NULL DEFAULT 0,
        updated_at      INTEGER NOT NULL,
        UNIQUE (account_id, message_id, recipient)
      ) STRICT;
      CREATE INDEX deliveries_pending ON deliveries(pending_since) WHERE state = 'pending';
      CREATE INDEX deliveries_account_state ON deliveries(account_id, state);
      CREATE INDEX deliveries_recipient ON deliveries(recipient);

      -- Every piece of evidence that moved (or confirmed) a delivery, in arrival order.
      CREATE TABLE evidence (
        id            INTEGER PRIMARY KEY,
        delivery_id   INTEGER NOT NULL REFERENCES deliveries(id),
        at            INTEGER NOT NULL,          -- when it happened (DSN processed / log line time)
        source        TEXT NOT NULL CHECK (source IN ('dsn', 'log', 'window')),
        state         TEXT NOT NULL,             -- the state this evidence argues for
        status        TEXT,
        reason        TEXT,
        diagnostic    TEXT,
        bounce_id     INTEGER REFERENCES bounces(id),
        qid           TEXT,                      -- Postfix queue id (log evidence)
        dedup_key     TEXT NOT NULL UNIQUE       -- the same evidence twice is recorded once
      ) STRICT;
      CREATE INDEX evidence_delivery ON evidence(delivery_id);
      CREATE INDEX evidence_qid ON evidence(qid) WHERE qid IS NOT NULL;

      -- Sends per account and day (UTC): from the log (once per message and recipient) and
      -- from explicit counts (POST /v1/sends, bounced sends add).
      CREATE TABLE sends (
        account_id  TEXT NOT NULL,
        day         TEXT NOT NULL,               -- YYYY-MM-DD, UTC
        count       INTEGER NOT NULL,
        PRIMARY KEY (account_id, day)
      ) STRICT, WITHOUT ROWID;

      -- Postfix queue ids seen in the log, with their envelope sender, so that a status line
      -- read after a restart still finds its from=<...>.
      CREATE TABLE log_queue (
        qid         TEXT PRIMARY KEY,
        sender      TEXT NOT NULL,
        message_id  TEXT,
        seen_at     INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      -- Where the tailer is: updated in the same transaction as the evidence it produced.
      CREATE TABLE tail_checkpoints (
        path        TEXT PRIMARY KEY,
        inode       INTEGER NOT NULL,
        offset      INTEGER NOT NULL,
        lines       INTEGER NOT NULL DEFAULT 0,
        unparsed    INTEGER NOT NULL DEFAULT 0,
        updated_at  INTEGER NOT NULL
      ) STRICT;

      -- Scheduler: each job's cadence and last run survive restarts.
      CREATE TABLE jobs (
        name         TEXT PRIMARY KEY,
        last_run_at  INTEGER,
        next_run_at  INTEGER NOT NULL,
        last_error   TEXT
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: 'events outbox',
    sql: `
      -- Everything a sending application may hear about, written in the same transaction as
      -- the change it reports (transactional outbox). Webhook delivery reads from here.
      CREATE TABLE events (
        id          INTEGER PRIMARY KEY,
        event_id    TEXT NOT NULL UNIQUE,        -- stable id receivers de-duplicate on
        account_id  TEXT,                        -- NULL for events about no one account
        type        TEXT NOT NULL,               -- bounce.hard, delivery.resolved, complaint, ...
        payload     TEXT NOT NULL,               -- JSON
        created_at  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX events_account ON events(account_id, id);
    `,
  },
  {
    version: 5,
    name: 'api keys, webhook endpoints and deliveries',
    // Depends on nothing of version 4 (policy): it may be written beside it in any order.
    sql: `
      -- API keys: only the sha256 of the key is kept; the key itself is shown once.
      CREATE TABLE api_keys (
        id          TEXT PRIMARY KEY,            -- key_<hex>, public: names the key in lists and logs
        account_id  TEXT,                        -- NULL: an admin key
        hash        TEXT NOT NULL UNIQUE,        -- sha256 (hex) of the key
        prefix      TEXT NOT NULL,               -- first characters of the key, for display
        name        TEXT,
        created_at  INTEGER NOT NULL,
        revoked_at  INTEGER
      ) STRICT;
      CREATE INDEX api_keys_account ON api_keys(account_id);

      -- Where an account wants its events POSTed, signed with its secret.
      CREATE TABLE webhook_endpoints (
        id              TEXT PRIMARY KEY,        -- wh_<hex>
        account_id      TEXT NOT NULL,
        url             TEXT NOT NULL,
        secret          TEXT NOT NULL,           -- whsec_<base64>: the HMAC key (Standard Webhooks)
        events          TEXT NOT NULL,           -- JSON array of event types; [] = every type
        from_event_row  INTEGER NOT NULL,        -- only events after this events.id are sent
        created_at      INTEGER NOT NULL,
        disabled_at     INTEGER
      ) STRICT;
      CREATE INDEX webhook_endpoints_account ON webhook_endpoints(account_id);

      -- One row per (event, endpoint): the delivery and its retry state.
      CREATE TABLE webhook_deliveries (
        id               INTEGER PRIMARY KEY,
        event_row        INTEGER NOT NULL REFERENCES events(id),
        endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints(id),
        created_at       INTEGER NOT NULL,
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  INTEGER,                -- NULL once delivered or given up
        last_attempt_at  INTEGER,
        last_status      INTEGER,                -- HTTP status of the last attempt, NULL on a network error
        last_error       TEXT,
        delivered_at     INTEGER,
        failed_at        INTEGER,                -- gave up (retry period over, or endpoint removed)
        UNIQUE (event_row, endpoint_id)
      ) STRICT;
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
      CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id);

      -- Every attempt, for the API (what did the receiver answer, when).
      CREATE TABLE webhook_attempts (
        id           INTEGER PRIMARY KEY,
        delivery_id  INTEGER NOT NULL REFERENCES webhook_deliveries(id),
        at           INTEGER NOT NULL,
        status       INTEGER,
        error        TEXT,
        duration_ms  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);

      -- How far the dispatcher has fanned the events outbox out to endpoints.
      CREATE TABLE webhook_cursor (
        name            TEXT PRIMARY KEY,
        last_event_row  INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 4,
    name: 'account policy: tiers, suppressions, failures, reports, campaigns, appeals, audit, notifications',
    sql: `
      -- What an account is, for the policy: its plan (appeal rights), its policy profile and
      -- who hears about warnings and suspensions.
      ALTER TABLE accounts ADD COLUMN tier TEXT NOT NULL DEFAULT 'free'
        CHECK (tier IN ('free', 'trial', 'starter', 'professional', 'enterprise',
                        'legacy-basic', 'legacy-professional', 'legacy-enterprise'));
      ALTER TABLE accounts ADD COLUMN profile TEXT NOT NULL DEFAULT 'default'
        CHECK (profile IN ('default', 'conservative'));
      ALTER TABLE accounts ADD COLUMN contact_email TEXT;
      ALTER TABLE accounts ADD COLUMN updated_at INTEGER;

      -- The sending state of an account, kept apart from accounts so that rules can hold any
      -- account id seen in a VERP token (a row appears on the first state change).
      -- Warnings are not stored: they are computed from the month's figures.
      CREATE TABLE account_policy (
        account_id              TEXT PRIMARY KEY,
        marketing               TEXT NOT NULL DEFAULT 'ok' CHECK (marketing IN ('ok', 'suspended')),
        suspension              TEXT,            -- rates | fraud | campaigns | blocklist | abuse
        suspension_detail       TEXT,
        suspended_at            INTEGER,
        one_to_one              TEXT NOT NULL DEFAULT 'ok' CHECK (one_to_one IN ('ok', 'suspended')),
        one_to_one_suspension   TEXT,
        one_to_one_suspended_at INTEGER,
        review                  TEXT NOT NULL DEFAULT 'none'
                                  CHECK (review IN ('none', 'required', 'submitted', 'approved', 'denied')),
        review_form             TEXT,            -- JSON, as submitted
        baseline                TEXT,            -- JSON {month, figures}: counts at the last reinstatement
        warned                  TEXT,            -- JSON {month, causes}: warnings already announced
        updated_at              INTEGER NOT NULL
      ) STRICT;

      -- Who may not be mailed. account_id '*' is a global suppression (every account).
      -- One row per (address, account, reason): a contact can be both bounced and unsubscribed.
      -- The hot pre-send check is one range read of the unique index: address, then account.
      CREATE TABLE suppressions (
        id          INTEGER PRIMARY KEY,
        account_id  TEXT NOT NULL,
        address     TEXT NOT NULL,               -- lower-cased
        reason      TEXT NOT NULL CHECK (reason IN ('hard_bounce', 'global_bounce', 'complaint', 'unsubscribe',
                                                    'import', 'manual', 'spam_trap')),
        created_at  INTEGER NOT NULL,
        source      TEXT,                        -- delivery:<id>, bounce:<id>, token, actor, ...
        UNIQUE (address, account_id, reason)
      ) STRICT;
      CREATE INDEX suppressions_account ON suppressions(account_id, id);

      -- Each delivery that failed for good (soft or hard), once, with the time of the evidence
      -- that made it so: the numerator of the hard-bounce rate, the global-bounce memory and
      -- the blocklist evidence.
      CREATE TABLE delivery_failures (
        delivery_id     INTEGER PRIMARY KEY REFERENCES deliveries(id),
        account_id      TEXT NOT NULL,
        recipient       TEXT NOT NULL,
        channel         TEXT NOT NULL CHECK (channel IN ('marketing', 'one_to_one')),
        campaign        TEXT,
        state           TEXT NOT NULL CHECK (state IN ('soft', 'hard')),
        reason          TEXT,
        category        TEXT,
        address_reason  INTEGER NOT NULL,        -- 1: unknown user / mailbox full (permanent)
        at              INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX delivery_failures_account_at ON delivery_failures(account_id, at);
      CREATE INDEX delivery_failures_campaign ON delivery_failures(account_id, campaign) WHERE campaign IS NOT NULL;
      CREATE INDEX delivery_failures_global ON delivery_failures(recipient, at) WHERE address_reason = 1 AND state = 'hard';

      -- Complaints (ARF abuse reports) and unsubscribes, once per (account, message, recipient).
      CREATE TABLE contact_reports (
        id          INTEGER PRIMARY KEY,
        account_id  TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('complaint', 'unsubscribe')),
        message_id  TEXT NOT NULL,
        recipient   TEXT NOT NULL,
        channel     TEXT NOT NULL,
        campaign    TEXT,
        at          INTEGER NOT NULL,
        source      TEXT NOT NULL,               -- arf | mailto | one-click | api
        UNIQUE (account_id, kind, message_id, recipient)
      ) STRICT;
      CREATE INDEX contact_reports_account_at ON contact_reports(account_id, kind, at);

      -- Campaigns (from the VERP message id <campaign>/<message>): their sends and whether the
      -- canary cancelled them.
      CREATE TABLE campaigns (
        account_id    TEXT NOT NULL,
        campaign      TEXT NOT NULL,
        planned       INTEGER,                   -- declared size, when the sender says
        sends         INTEGER NOT NULL DEFAULT 0,
        state         TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'cancelled')),
        cancelled_at  INTEGER,
        created_at    INTEGER NOT NULL,
        PRIMARY KEY (account_id, campaign)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX campaigns_cancelled ON campaigns(account_id, cancelled_at) WHERE state = 'cancelled';

      -- Evidence an admin records: a direct complaint to the abuse desk.
      CREATE TABLE abuse_reports (
        id          INTEGER PRIMARY KEY,
        account_id  TEXT NOT NULL,
        at          INTEGER NOT NULL,
        actor       TEXT NOT NULL,
        detail      TEXT NOT NULL
      ) STRICT;

      -- Appeals: one open per account at a time.
      CREATE TABLE appeals (
        id               INTEGER PRIMARY KEY,
        account_id       TEXT NOT NULL,
        channel          TEXT NOT NULL CHECK (channel IN ('marketing', 'one_to_one')),
        state            TEXT NOT NULL CHECK (state IN ('open', 'reinstated', 'denied')),
        form             TEXT NOT NULL,          -- JSON
        filed_at         INTEGER NOT NULL,
        decided_at       INTEGER,
        decided_by       TEXT,
        decision_reason  TEXT
      ) STRICT;
      CREATE UNIQUE INDEX appeals_one_open ON appeals(account_id) WHERE state = 'open';

      -- Every policy state change: who, when, what, why.
      CREATE TABLE policy_audit (
        id          INTEGER PRIMARY KEY,
        at          INTEGER NOT NULL,
        actor       TEXT NOT NULL,               -- policy (the rules), cli:<user>, api:<key>, ...
        account_id  TEXT,
        action      TEXT NOT NULL,               -- account.create, suppression.remove, account.suspend, ...
        subject     TEXT,                        -- an address, an appeal id, a campaign
        detail      TEXT                         -- JSON
      ) STRICT;
      CREATE INDEX policy_audit_account ON policy_audit(account_id, action, subject);

      -- Mail to account contacts, sent by the send-notifications job; kept until sent.
      CREATE TABLE notifications (
        id               INTEGER PRIMARY KEY,
        account_id       TEXT,
        kind             TEXT NOT NULL,          -- warning | suspension | appeal_received | decision | ...
        recipient        TEXT NOT NULL,
        subject          TEXT NOT NULL,
        body             TEXT NOT NULL,
        created_at       INTEGER NOT NULL,
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  INTEGER NOT NULL,
        sent_at          INTEGER,
        last_error       TEXT
      ) STRICT;
      CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE sent_at IS NULL;
    `,
  },
  {
    version: 6,
    name: 'the bytes of a message past its head',
    sql: `
      -- message_raw keeps the first RAW_HEAD_BYTES of a message: all that processing reads.
      -- A bigger message's remaining bytes follow here in order, so that neither storing nor
      -- processing it needs the whole message in one buffer.
      CREATE TABLE message_raw_tail (
        message_id  INTEGER NOT NULL REFERENCES messages(id),
        seq         INTEGER NOT NULL,
        bytes       BLOB NOT NULL,
        PRIMARY KEY (message_id, seq)
      ) STRICT;
    `,
  },
  {
    version: 7,
    name: 'duplicate reports by Message-ID only within one verified token; the reported recipient',
    sql: `
      -- A report's Message-ID names it only in the scope of a genuine token: anyone can send
      -- mail with any Message-ID, so a global look-up let a forged mail turn the genuine report
      -- that came after it into a "duplicate". duplicate_key is set only for a report with
      -- verified records: json_array(token account, token message, token recipient, Message-ID).
      ALTER TABLE messages ADD COLUMN duplicate_key TEXT;
      UPDATE messages SET duplicate_key = (
          SELECT json_array(b.account_id, b.message_id, b.recipient, messages.report_message_id)
            FROM bounces b WHERE b.message_row = messages.id AND b.verified = 1 ORDER BY b.id LIMIT 1)
        WHERE state = 'processed' AND report_message_id IS NOT NULL;
      CREATE INDEX messages_duplicate_key ON messages(duplicate_key) WHERE duplicate_key IS NOT NULL;
      DROP INDEX messages_report_message_id;

      -- A verified record's recipient is the address its token was made for; what the report
      -- itself named (its Final-Recipient, e.g. an alias's target) is kept beside it. NULL for
      -- records written before this column.
      ALTER TABLE bounces ADD COLUMN reported_recipient TEXT;

      -- Addresses are stored in one spelling (src/address.ts: an IDN domain in ASCII), which
      -- the pre-send check asks in. Suppressions written before in another (non-ASCII) spelling
      -- are respelled; one whose respelled twin exists already (same account and reason) is
      -- dropped, the twin suppresses the same address. canonical_address() is bounced's own
      -- function, registered on the connection that migrates (migrate() in ./sqlite.ts).
      UPDATE OR IGNORE suppressions SET address = canonical_address(address)
        WHERE address GLOB '*[^ -~]*' AND address <> canonical_address(address);
      DELETE FROM suppressions WHERE address GLOB '*[^ -~]*' AND address <> canonical_address(address);
    `,
  },
  {
    version: 8,
    name: 'write probe of the readiness check; first bytes of the tailed file',
    // (Written as 7 beside the other 7; depends on nothing after version 2.)
    sql: `
      -- /readyz proves the database writable by writing this one row (src/store/write-probe.ts):
      -- a held lock, read-only or immutable files and a full disk all fail a real write, and
      -- only a real write shows them.
      CREATE TABLE write_probe (
        id  INTEGER PRIMARY KEY CHECK (id = 1),
        at  INTEGER NOT NULL
      ) STRICT;

      -- The first bytes (up to 256) of the file the checkpoint is in: a rotated file that was
      -- compressed (maillog.1.gz, a new inode) or copied away is still recognised by them.
      ALTER TABLE tail_checkpoints ADD COLUMN head BLOB;
    `,
  },
  {
    // 9: branches `security` and `ops` took 7 and 8 meanwhile. The store contract's own
    // migrations (20 and 21 below) share user_version and are
    // applied in version order with these, so a fresh database gets this one before them;
    // a database already at 20 or 21 before this migration existed would skip it (only test
    // databases ever were: acceptable).
    version: 9,
    name: 'bounded output and processing attempts',
    sql: `
      -- What was cut from a message's output (records past pipeline.maxRecordsPerMessage, a
      -- Message-ID longer than a line) and from a record's text (pipeline.maxTextChars).
      ALTER TABLE messages ADD COLUMN warning TEXT;
      ALTER TABLE bounces ADD COLUMN warning TEXT;
      -- messages.attempts (migration 1) counted settlements; from here on it counts
      -- processing attempts begun, committed before each parse starts, and a message is
      -- given up after pipeline.maxAttempts. A settled message had exactly one: the counts
      -- already stored mean the same. Messages still received that were never tried: 0.
      UPDATE messages SET attempts = 0 WHERE state = 'received';
    `,
  },

  {
    version: 20,
    name: 'counters: account months, channels and campaigns, kept in the transaction of each change',
    // Backfilled from the rows (the same figures the policy summed before the counters; a NULL
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
  {
    version: 22,
    name: 'connected inboxes (issue #17): inboxes, folder checkpoints, the sent index, found bounces',
    sql: `
      -- An account's connected inbox. credentials: the secret AES-256-GCM encrypted
      -- (src/inbox/credentials.ts, bound to the id); never returned by the API, never logged.
      CREATE TABLE inboxes (
        id               TEXT PRIMARY KEY,
        account_id       TEXT NOT NULL REFERENCES accounts(id),
        host             TEXT NOT NULL,
        port             INTEGER NOT NULL,
        tls              TEXT NOT NULL CHECK (tls IN ('implicit', 'starttls', 'none')),
        username         TEXT NOT NULL,
        auth             TEXT NOT NULL CHECK (auth IN ('password', 'xoauth2')),
        credentials      TEXT NOT NULL,
        sent_folder      TEXT,
        move_to          TEXT,
        window_hours     INTEGER,
        enabled          INTEGER NOT NULL DEFAULT 1,
        created_at       INTEGER NOT NULL,
        -- the last sync attempt: new | ok | error, why, back-off, counters (JSON)
        state            TEXT NOT NULL DEFAULT 'new',
        error_code       TEXT,
        error_message    TEXT,
        error_at         INTEGER,
        failures         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  INTEGER,
        last_sync_at     INTEGER,
        counters         TEXT
      ) STRICT;
      CREATE INDEX inboxes_account ON inboxes(account_id);

      -- Where a watcher is in a folder: UIDs mean something only within one UIDVALIDITY (RFC 3501 2.3.1.1).
      CREATE TABLE inbox_checkpoints (
        inbox_id      TEXT NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
        folder        TEXT NOT NULL,
        uid_validity  INTEGER NOT NULL,
        last_uid      INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        PRIMARY KEY (inbox_id, folder)
      ) STRICT, WITHOUT ROWID;

      -- The sent index: what went to whom (the Sent folder, or sends reported through the API).
      -- message_key: the Message-ID lower-cased, the lookup key.
      CREATE TABLE inbox_sent (
        inbox_id     TEXT NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
        message_key  TEXT NOT NULL,
        message_id   TEXT NOT NULL,
        subject      TEXT,
        sent_at      INTEGER NOT NULL,
        recipients   TEXT NOT NULL,
        source       TEXT NOT NULL CHECK (source IN ('imap', 'api')),
        PRIMARY KEY (inbox_id, message_key)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE inbox_sent_recipients (
        inbox_id     TEXT NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
        recipient    TEXT NOT NULL,
        sent_at      INTEGER NOT NULL,
        message_key  TEXT NOT NULL,
        PRIMARY KEY (inbox_id, recipient, sent_at, message_key)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX inbox_sent_time ON inbox_sent(inbox_id, sent_at);
      -- the one-to-one channel's sends of a month (InboxRepo.sendsOf)
      CREATE INDEX inbox_sent_recipients_time ON inbox_sent_recipients(inbox_id, sent_at);

      -- A bounce found in an inbox: once per (inbox, dedupe key) whatever UIDVALIDITY does; the
      -- message row it was stored as (source imap), found again by (inbox, folder, UIDVALIDITY, UID).
      CREATE TABLE inbox_bounces (
        id               INTEGER PRIMARY KEY,
        inbox_id         TEXT NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
        dedupe_key       TEXT NOT NULL,
        folder           TEXT NOT NULL,
        uid_validity     INTEGER NOT NULL,
        uid              INTEGER NOT NULL,
        method           TEXT NOT NULL,
        sent_message_id  TEXT NOT NULL,
        recipient        TEXT NOT NULL,
        message_row      INTEGER NOT NULL REFERENCES messages(id),
        bounce_id        INTEGER,
        received_at      INTEGER NOT NULL,
        created_at       INTEGER NOT NULL,
        UNIQUE (inbox_id, dedupe_key)
      ) STRICT;
      CREATE INDEX inbox_bounces_uid ON inbox_bounces(inbox_id, folder, uid_validity, uid);
    `,
  },
  {
    version: 23,
    name: 'ESP events and repeated soft bounces (issue #19): esp_events, evidence from a provider, soft-bounce limits',
    sql: `
      -- One row per provider event and recipient that was recorded: the store's idempotency
      -- for SNS and Mailgun retries, SendGrid replays within its window and two nodes taking
      -- the same event (a second insert conflicts: nothing else is written for it).
      CREATE TABLE esp_events (
        id           INTEGER PRIMARY KEY,
        provider     TEXT NOT NULL,              -- ses | sendgrid | mailgun | postmark
        event_id     TEXT NOT NULL,              -- the provider's id (src/esp/README.md "Event ids")
        endpoint_id  TEXT NOT NULL,
        account_id   TEXT NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('bounce', 'complaint', 'delivery', 'delay', 'unsubscribe')),
        recipient    TEXT NOT NULL,
        message_id   TEXT,                       -- the sender's message reference, else <provider>:<its id>
        at           INTEGER NOT NULL,           -- when the provider says it happened
        received_at  INTEGER NOT NULL,
        message_row  INTEGER NOT NULL REFERENCES messages(id),  -- the request body, kept as the report
        UNIQUE (provider, event_id)
      ) STRICT;
      CREATE INDEX esp_events_account ON esp_events(account_id, id);
      CREATE INDEX esp_events_received ON esp_events(received_at);

      -- evidence.source gains 'esp': SQLite changes a CHECK only by rebuilding the table
      -- (https://sqlite.org/lang_altertable.html, "other kinds of table schema changes"). No
      -- table references evidence, so the copy keeps every id and the foreign keys hold.
      CREATE TABLE evidence_new (
        id            INTEGER PRIMARY KEY,
        delivery_id   INTEGER NOT NULL REFERENCES deliveries(id),
        at            INTEGER NOT NULL,
        source        TEXT NOT NULL CHECK (source IN ('dsn', 'log', 'window', 'esp')),
        state         TEXT NOT NULL,
        status        TEXT,
        reason        TEXT,
        diagnostic    TEXT,
        bounce_id     INTEGER REFERENCES bounces(id),
        qid           TEXT,
        dedup_key     TEXT NOT NULL UNIQUE
      ) STRICT;
      INSERT INTO evidence_new (id, delivery_id, at, source, state, status, reason, diagnostic, bounce_id, qid, dedup_key)
        SELECT id, delivery_id, at, source, state, status, reason, diagnostic, bounce_id, qid, dedup_key FROM evidence;
      DROP TABLE evidence;
      ALTER TABLE evidence_new RENAME TO evidence;
      CREATE INDEX evidence_delivery ON evidence(delivery_id);
      CREATE INDEX evidence_qid ON evidence(qid) WHERE qid IS NOT NULL;
      CREATE INDEX evidence_bounce ON evidence(bounce_id) WHERE bounce_id IS NOT NULL;

      -- Repeated soft bounces (issue #19 §2): an account may choose that N soft bounces of one
      -- address within D days, with no delivery in between, suppress it for S days.
      CREATE TABLE account_soft_limits (
        account_id     TEXT PRIMARY KEY,
        bounces        INTEGER NOT NULL CHECK (bounces >= 1),
        window_days    INTEGER NOT NULL CHECK (window_days >= 1),
        suppress_days  INTEGER NOT NULL CHECK (suppress_days >= 1),
        updated_at     INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      -- The rule's two reads: an address's soft failures since a time, its last delivery.
      CREATE INDEX delivery_failures_soft ON delivery_failures(account_id, recipient, at) WHERE state = 'soft';
      CREATE INDEX deliveries_delivered ON deliveries(account_id, recipient, last_at) WHERE state = 'delivered';

      -- suppressions.reason gains 'soft_bounce_limit' (a rebuild, as evidence above; nothing
      -- references suppressions). Ids, rows and the unique key are kept.
      CREATE TABLE suppressions_new (
        id          INTEGER PRIMARY KEY,
        account_id  TEXT NOT NULL,
        address     TEXT NOT NULL,
        reason      TEXT NOT NULL CHECK (reason IN ('hard_bounce', 'global_bounce', 'complaint', 'unsubscribe',
                                                    'import', 'manual', 'spam_trap', 'soft_bounce_limit')),
        created_at  INTEGER NOT NULL,
        source      TEXT,
        UNIQUE (address, account_id, reason)
      ) STRICT;
      INSERT INTO suppressions_new (id, account_id, address, reason, created_at, source)
        SELECT id, account_id, address, reason, created_at, source FROM suppressions;
      DROP TABLE suppressions;
      ALTER TABLE suppressions_new RENAME TO suppressions;
      CREATE INDEX suppressions_account ON suppressions(account_id, id);
      -- The expiry job's read: soft-limit suppressions by age.
      CREATE INDEX suppressions_soft ON suppressions(created_at) WHERE reason = 'soft_bounce_limit';
    `,
  },
  {
    version: 24,
    name: 'dashboard sessions (issue #16); bounces by account in id order',
    sql: `
      -- A signed-in dashboard: an API key exchanged for a cookie. Only the sha256 of the
      -- cookie's value is kept (as for api_keys); key_id ties the session to its key, so a
      -- revoked key ends its sessions (SessionRepo.find joins api_keys).
      CREATE TABLE dashboard_sessions (
        id_hash     TEXT PRIMARY KEY,            -- sha256 (hex) of the cookie value
        key_id      TEXT NOT NULL,               -- api_keys.id, or admin:<fingerprint of the config's key>
        account_id  TEXT,                        -- NULL: an admin session
        csrf        TEXT NOT NULL,               -- echoed in X-CSRF-Token by state-changing requests
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX dashboard_sessions_expires ON dashboard_sessions(expires_at);
      -- An account's bounces a page at a time (GET /v1/bounces?account=..., the dashboard's
      -- bounces page): without it SQLite read every bounce of the account through
      -- bounces_account_recipient and sorted them (476 ms for the first 50 of 100,000; 0.5 ms with it).
      CREATE INDEX bounces_account_id ON bounces(account_id, id);
      -- The dashboard's trends: an account's bounces of the last days, counted per day
      -- (BounceRepo.daily reads that range only, not the account's whole history).
      CREATE INDEX bounces_account_created ON bounces(account_id, created_at);
    `,
  },
  {
    version: 25,
    name: 'inbox watch leases (issue #17): one node watches an inbox at a time',
    sql: `
      -- Several nodes on one database: the node that watches (or syncs) an inbox holds its
      -- lease, renewed while it watches; another node takes it over once it has lapsed (a
      -- node that died). NULL: nobody holds it. As jobs.lease_holder / lease_until.
      ALTER TABLE inboxes ADD COLUMN lease_holder TEXT;
      ALTER TABLE inboxes ADD COLUMN lease_until INTEGER;
    `,
  },
  {
    version: 26,
    name: 'dashboard (issue #16): suppressions by account and reason; failing webhook deliveries',
    sql: `
      -- An account's suppressions of one reason, a page at a time (the dashboard's reason
      -- filter, GET /v1/suppressions?reason=): read in id order from the reason's rows only.
      CREATE INDEX suppressions_account_reason ON suppressions(account_id, reason, id);
      -- The admin's webhook failures: deliveries tried and not delivered (retrying or given up),
      -- newest first, without reading the delivered ones.
      CREATE INDEX webhook_deliveries_failing ON webhook_deliveries(id) WHERE delivered_at IS NULL AND attempts > 0;
    `,
  },
  {
    version: 27,
    name: 'ESP sends (issue #19): esp_events.kind gains send',
    sql: `
      -- A provider's send (SES Send, SendGrid processed, Mailgun accepted) is recorded like its
      -- other events, and each (provider, message, recipient) counts one send of the rates'
      -- denominator once: a row of kind 'send' whose event_id is 'sent:<message>/<recipient>'
      -- (src/pipeline/esp-settle.ts). SQLite changes a CHECK only by rebuilding the table
      -- (https://sqlite.org/lang_altertable.html); no table references esp_events.
      CREATE TABLE esp_events_new (
        id           INTEGER PRIMARY KEY,
        provider     TEXT NOT NULL,
        event_id     TEXT NOT NULL,
        endpoint_id  TEXT NOT NULL,
        account_id   TEXT NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('bounce', 'complaint', 'delivery', 'delay', 'unsubscribe', 'send')),
        recipient    TEXT NOT NULL,
        message_id   TEXT,
        at           INTEGER NOT NULL,
        received_at  INTEGER NOT NULL,
        message_row  INTEGER NOT NULL REFERENCES messages(id),
        UNIQUE (provider, event_id)
      ) STRICT;
      INSERT INTO esp_events_new SELECT id, provider, event_id, endpoint_id, account_id, kind, recipient, message_id, at, received_at, message_row FROM esp_events;
      DROP TABLE esp_events;
      ALTER TABLE esp_events_new RENAME TO esp_events;
      CREATE INDEX esp_events_account ON esp_events(account_id, id);
      CREATE INDEX esp_events_received ON esp_events(received_at);
      `,
  },
  {
    version: 28,
    name: 'big messages in spool files (issue #20)',
    sql: `
      -- A message past spool.aboveBytes keeps its head here and names the spool file that
      -- holds it whole (src/spool); no message_raw_tail rows. Pruning its bytes deletes this
      -- row and then the file. The orphan sweep asks by name: one unique index.
      ALTER TABLE message_raw ADD COLUMN spool_file TEXT;
      CREATE UNIQUE INDEX message_raw_spool_file ON message_raw(spool_file) WHERE spool_file IS NOT NULL;
    `,
  },
  {
    version: 29,
    name: 'fewer indexes written per settled report (issue #20)',
    sql: `
      -- Every settled report inserts a delivery and a bounce; each index on those tables is one
      -- more B-tree insert, and an index keyed by the recipient (in no order of arrival) dirties
      -- a leaf page of its own per row: about one more WAL frame per message, written again by
      -- the checkpoint. These two no statement needs (EXPLAIN QUERY PLAN of every statement the
      -- store prepares; test/store/index-plans.test.ts):
      --
      -- No statement looks deliveries up by recipient without the account: the listing filters
      -- by account, state and time; the one by recipient (lastDeliveredAt) reads the partial
      -- deliveries_delivered (account_id, recipient, last_at); the rest go by the unique
      -- (account_id, message_id, recipient) or by id.
      DROP INDEX IF EXISTS deliveries_recipient;
      -- An account's bounces go by bounces_account_id (account_id, id) since version 24, its
      -- trends by bounces_account_created. Left for this one was the listing filtered by account
      -- and recipient; it reads bounces_recipient (recipient, rowid) instead, in id order, the
      -- account checked on each row: one address's bounces in all accounts, few, never the
      -- account's whole history.
      DROP INDEX IF EXISTS bounces_account_recipient;
    `,
  },
  {
    version: 30,
    name: 'the pre-send check answered from memory: what changed, kept by triggers (issue #20)',
    sql: `
      -- The API's process keeps the accounts, their policy state, the cancelled campaigns and a
      -- Bloom filter of the suppression keys in memory (src/store/sqlite/presend-memory.ts) and
      -- answers "not suppressed" from them while this one row is what it was when they were
      -- read. Triggers keep it, so every writer is seen: the processing thread, the API, the
      -- CLI in another process, a migration. One row, read by its key on each check.
      --   generation: random per database; a restored file of another history differs.
      --   accounts: bumped by every change the check reads of accounts, account_policy (its
      --     deciding columns) and campaigns (their cancellation).
      --   high: the highest suppressions id ever inserted (ids are rowids, reused when the
      --     highest rows are deleted): new rows are those above the high mark last read...
      --   reused: ...unless an insert took an id at or below it, or a row's key changed: then
      --     the memory reads the table again.
      --   deleted: suppressions deleted. The filter needs nothing for them (it only ever says
      --     "maybe" and the statement decides), but every column only grows: a row that went
      --     back (an older copy of this database put in place) makes the memory read it all again.
      -- A migration that rebuilds one of these tables must create its triggers again.
      CREATE TABLE presend_changes (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        generation  INTEGER NOT NULL,
        accounts    INTEGER NOT NULL DEFAULT 0,
        high        INTEGER NOT NULL DEFAULT 0,
        reused      INTEGER NOT NULL DEFAULT 0,
        deleted     INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      INSERT INTO presend_changes (id, generation, high) VALUES (1, random(), coalesce((SELECT max(id) FROM suppressions), 0));

      CREATE TRIGGER presend_suppressions_insert AFTER INSERT ON suppressions BEGIN
        UPDATE presend_changes SET reused = reused + (NEW.id <= high), high = max(high, NEW.id) WHERE id = 1;
      END;
      CREATE TRIGGER presend_suppressions_delete AFTER DELETE ON suppressions BEGIN
        UPDATE presend_changes SET deleted = deleted + 1 WHERE id = 1;
      END;
      CREATE TRIGGER presend_suppressions_key AFTER UPDATE OF id, account_id, address ON suppressions
        WHEN OLD.id IS NOT NEW.id OR OLD.account_id IS NOT NEW.account_id OR OLD.address IS NOT NEW.address BEGIN
        UPDATE presend_changes SET reused = reused + 1 WHERE id = 1;
      END;

      CREATE TRIGGER presend_accounts_insert AFTER INSERT ON accounts BEGIN
        UPDATE presend_changes SET accounts = accounts + 1 WHERE id = 1;
      END;
      CREATE TRIGGER presend_accounts_delete AFTER DELETE ON accounts BEGIN
        UPDATE presend_changes SET accounts = accounts + 1 WHERE id = 1;
      END;
      CREATE TRIGGER presend_accounts_id AFTER UPDATE OF id ON accounts WHEN OLD.id IS NOT NEW.id BEGIN
        UPDATE presend_changes SET accounts = accounts + 1 WHERE id = 1;
      END;

      CREATE TRIGGER presend_policy_insert AFTER INSERT ON account_policy BEGIN
        UPDATE presend_changes SET accounts = accounts + 1 WHERE id = 1;
      END;
      CREATE TRIGGER presend_policy_delete AFTER DELETE ON account_policy BEGIN
        UPDATE presend_changes SET accounts = accounts + 1 WHERE id = 1;
      END;
      -- Not updated_at alone: the settle step saves the state on every evaluation. The memory
      -- answers only for an account whose state decides nothing (not suspended, not under
      -- review), where updated_at is never part of an answer.
      CREATE TRIGGER presend_policy_update AFTER UPDATE ON account_policy
        WHEN OLD.account_id IS NOT NEW.account_id OR OLD.marketing IS NOT NEW.marketing OR OLD.suspension IS NOT NEW.suspension
          OR OLD.suspended_at IS NOT NEW.suspended_at OR OLD.one_to_one IS NOT NEW.one_to_one
          OR OLD.one_to_one_suspension IS NOT NEW.one_to_one_suspension OR OLD.one_to_one_suspended_at IS NOT NEW.one_to_one_suspended_at
          OR OLD.review IS NOT NEW.review BEGIN
        UPDATE presend_changes SET accounts = accounts + 1 WHERE id = 1;
      END;

      -- Only cancelled campaigns are remembered: creating an active one (every logged send
      -- may) changes nothing the check reads.
      CREATE TRIGGER presend_campaigns_insert AFTER INSERT ON campaigns WHEN NEW.state = 'cancelled' BEGIN
        UPDATE presend_changes SET accounts = accounts + 1 WHERE id = 1;
      END;
      CREATE TRIGGER presend_campaigns_delete AFTER DELETE ON campaigns WHEN OLD.state = 'cancelled' BEGIN
        UPDATE presend_changes SET accounts = accounts + 1 WHERE id = 1;
      END;
      CREATE TRIGGER presend_campaigns_update AFTER UPDATE ON campaigns
        WHEN OLD.state IS NOT NEW.state OR OLD.cancelled_at IS NOT NEW.cancelled_at
          OR OLD.account_id IS NOT NEW.account_id OR OLD.campaign IS NOT NEW.campaign BEGIN
        UPDATE presend_changes SET accounts = accounts + 1 WHERE id = 1;
      END;
    `,
  },
  {
    version: 31,
    name: 'a quoted local part that can be written without its quotes is stored without them',
    sql: `
      -- src/address.ts writes "john.smith"@x as john.smith@x (RFC 5321 §4.1.2: a quoted local
      -- part that is a Dot-string is the same mailbox, and the unquoted spelling is the one to
      -- use); the pre-send check asks in that spelling. A suppression stored before in the quoted
      -- one is respelled; one whose twin exists already (same account and reason) is dropped.
      UPDATE OR IGNORE suppressions SET address = canonical_address(address)
        WHERE address GLOB '"*' AND address <> canonical_address(address);
      DELETE FROM suppressions WHERE address GLOB '"*' AND address <> canonical_address(address);
    `,
  },
];

// Numbered schema migrations. Each runs in one transaction with its `user_version` bump,
// so a crash leaves the database at one version or the next, never between.
// Append only: never edit a migration that has shipped.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
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
        raw           BLOB NOT NULL,
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
];

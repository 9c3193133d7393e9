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
];

// Every statement of the SQLite repositories, prepared once per connection. Statements whose
// text depends on the filters given (listings) are prepared on first use and kept (./open.ts).
import type Database from 'better-sqlite3';
import { MESSAGE_COLUMNS, DUE_DELIVERY_COLUMNS, WEBHOOK_DELIVERY_COLUMNS, SQL_BLOCKLIST_REASONS, SQL_SENDER_SIDE_CATEGORIES } from '../rows.js';

/**
 * The pre-send check (the hot path) in one statement: whether the account exists, its state
 * (account_policy), its own and the global suppressions of the address, and (the campaign
 * form) the campaign's cancellation. Each statement outside a transaction takes and drops
 * SQLite's read locks (fcntl calls), so one statement instead of three.
 *
 * A UNION ALL of point and range reads, one row per thing found, its kind first (PRESEND_ROW in
 * ./repos.ts), never a join: SQLite re-prepares a statement on every new binding when a bound
 * parameter reaches a join's ON clause (here `(SELECT ? AS id) AS a LEFT JOIN ... ON ... = a.id`,
 * which the query flattener turns into a parameter: the planner then asks for the value and
 * marks the statement to be planned again, sqlite3VdbeReprepareOnBind). That re-parse was two
 * thirds of the statement's time: 20 us against 5 for this form on 1 M suppressions
 * (issue #20; bench/README.md, "Pre-send check, round 5").
 *
 * The suppressions are one range read of the unique (address, account_id, reason) index by
 * address, the account filtered on the way: the unary + keeps SQLite from making the IN list two
 * seeks from the root; an address has one row per account suppressing it and reason, a few.
 * Parameters (positional, bound faster than named): account, account, address, account.
 * Rows come as arrays (raw: no object per row).
 */
const PRESEND_POLICY = `SELECT 0, marketing, suspension, suspended_at, one_to_one, one_to_one_suspension, one_to_one_suspended_at, review, updated_at
     FROM account_policy WHERE account_id = ?
   UNION ALL SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM accounts WHERE id = ?`;
const PRESEND_HITS = `UNION ALL SELECT 2, account_id, reason, created_at, source, NULL, NULL, NULL, NULL
     FROM suppressions WHERE address = ? AND +account_id IN (?, '*')`;
export const PRESEND_SQL = `${PRESEND_POLICY}
   ${PRESEND_HITS}`;

/** PRESEND_SQL with the campaign's cancellation. Parameters: account, account, account, campaign, address, account. */
export const PRESEND_CAMPAIGN_SQL = `${PRESEND_POLICY}
   UNION ALL SELECT 3, cancelled_at, NULL, NULL, NULL, NULL, NULL, NULL, NULL
     FROM campaigns WHERE account_id = ? AND campaign = ? AND state = 'cancelled'
   ${PRESEND_HITS}`;

/**
 * The suppressions of a list of addresses (the batch pre-send check), in one statement: the
 * addresses come as one JSON array (json_each), SQLite sorts them into a temporary index and
 * seeks the unique (address, account_id, reason) index once for each, in order. The account
 * is filtered on the way (the unary +, as in PRESEND_SQL). Parameters: the JSON array of
 * canonical addresses, the account. Rows as arrays: address, account, reason, created_at, source.
 */
export const HITS_MANY_SQL = `SELECT address, account_id, reason, created_at, source FROM suppressions
    WHERE address IN (SELECT value FROM json_each(?)) AND +account_id IN (?, '*')`;

/** The month's figures from the counters: one row of each counters table, by primary key. */
const MONTH_SQL = `SELECT coalesce(m.sends, 0), coalesce(c.hard_bounces, 0), coalesce(c.complaints, 0), coalesce(c.unsubscribes, 0),
          coalesce(c.sender_failures, 0), coalesce(m.cancelled_campaigns, 0), coalesce(c.blocklistings, 0)
     FROM (SELECT ? AS a, ? AS mo, ? AS ch) AS k
     LEFT JOIN account_months AS m ON m.account_id = k.a AND m.month = k.mo
     LEFT JOIN account_month_channels AS c ON c.account_id = k.a AND c.month = k.mo AND c.channel = k.ch`;

/** The same figures summed from the rows (checks and repairs; before migration 20 every read was this). */
const RECOUNT_SQL = `SELECT s.sends, f.hardBounces, r.complaints, r.unsubscribes, f.senderFailures, c.cancelledCampaigns, f.blocklistings
     FROM (SELECT coalesce(sum(count), 0) AS sends FROM sends WHERE account_id = @a AND day >= @firstDay AND day < @nextFirstDay) AS s,
          (SELECT coalesce(sum(state = 'hard'), 0) AS hardBounces,
                  coalesce(sum(state = 'hard' AND category IN (${SQL_SENDER_SIDE_CATEGORIES})), 0) AS senderFailures,
                  coalesce(sum(reason IN (${SQL_BLOCKLIST_REASONS})), 0) AS blocklistings
             FROM delivery_failures WHERE account_id = @a AND at >= @start AND at < @end AND channel = @channel) AS f,
          (SELECT coalesce(sum(kind = 'complaint'), 0) AS complaints, coalesce(sum(kind = 'unsubscribe'), 0) AS unsubscribes
             FROM contact_reports WHERE account_id = @a AND at >= @start AND at < @end AND channel = @channel) AS r,
          (SELECT count(*) AS cancelledCampaigns FROM campaigns
            WHERE account_id = @a AND state = 'cancelled' AND cancelled_at >= @start AND cancelled_at < @end) AS c`;

/**
 * `col = +?` instead of `col = ?` (same plan, same answer: the unary + changes neither the
 * value nor, on a bound parameter, its affinity). SQLite (3.54.1 as better-sqlite3 13.2 builds
 * it) marks a parameter compared with `=` in a WHERE term that some candidate plan leaves
 * unused (an ORDER BY id walk, another index) as one whose value may change the plan, and
 * sqlite3_clear_bindings(), which better-sqlite3 calls after every run, then expires the
 * statement: each execution parses and plans the SQL again (sqlite3Reprepare: 4 of the 5 µs
 * of the duplicate look-up, 7 of the 9 of the global-bounce count). The + hides the parameter
 * from that check (sqlite3ExprIsInteger stops at TK_UPLUS). Used on the statements every
 * received message runs (bench/README.md "Round 5" has the profile) and, written `= +?`,
 * `<= +?`, `LIMIT +?`, on every other statement that was re-prepared each run (the scheduler's
 * due look-ups, the API's lists, the log tail's `pendingByQid`): `node
 * bench/sqlite-reprepare.mjs` lists none now, and EXPLAIN QUERY PLAN gives the same plan for
 * each with and without the +.
 */
const P = '+?';

/**
 * The earliest settled message with the same bytes, or the same duplicate key: one statement
 * per key, each walking its index in id order to the first match (an OR gathers and sorts
 * every match of both: quadratic for a report received thousands of times).
 */
export const DUPLICATE_SQL = {
  bySha: `SELECT id FROM messages WHERE sha256 = ${P} AND id <> ? AND state IN ('processed', 'duplicate') ORDER BY id LIMIT 1`,
  byKey: `SELECT id FROM messages WHERE duplicate_key = ${P} AND id <> ? AND state IN ('processed', 'duplicate') ORDER BY id LIMIT 1`,
};

export function prepareStatements(db: Database.Database) {
  const p = (sql: string) => db.prepare(sql);
  return {
    // -- messages ---------------------------------------------------------------------------
    insertMessage: p(
      `INSERT INTO messages (received_at, source, mail_from, rcpt_to, remote_ip, helo, size, sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertRaw: p(`INSERT INTO message_raw (message_id, raw) VALUES (?, ?)`),
    insertRawTail: p(`INSERT INTO message_raw_tail (message_id, seq, bytes) VALUES (?, ?, ?)`),
    insertRawSpooled: p(`INSERT INTO message_raw (message_id, raw, spool_file) VALUES (?, ?, ?)`),
    rawHead: p(`SELECT raw, spool_file AS spoolFile FROM message_raw WHERE message_id = ?`),
    rawSpoolFile: p(`SELECT spool_file FROM message_raw WHERE message_id = ?`).pluck(),
    spooledFile: p(`SELECT 1 FROM message_raw WHERE spool_file = ?`).pluck(),
    rawTail: p(`SELECT bytes FROM message_raw_tail WHERE message_id = +? ORDER BY seq`).pluck(),
    // Retention: the messages that still have bytes, in id order (CROSS JOIN keeps message_raw
    // the outer loop, walked by its primary key: pruned messages are never visited again).
    rawWalk: p(
      `SELECT r.message_id AS id, m.received_at AS at, m.state AS state
         FROM message_raw r CROSS JOIN messages m ON m.id = r.message_id
        WHERE r.message_id > ? ORDER BY r.message_id LIMIT +?`,
    ),
    deleteRaw: p(`DELETE FROM message_raw WHERE message_id = ?`),
    deleteRawTail: p(`DELETE FROM message_raw_tail WHERE message_id = ?`),
    claimable: p(
      `SELECT ${MESSAGE_COLUMNS.split(', ').map((c) => `m.${c}`).join(', ')}, r.raw
         FROM messages m JOIN message_raw r ON r.message_id = m.id
        WHERE m.state = 'received' AND (m.claimed_until IS NULL OR m.claimed_until <= +@now OR m.claimed_by = +@node)
        ORDER BY m.id LIMIT +@limit`, // + : see P above (a bound LIMIT is planned with its value too)
    ),
    receivedOne: p(
      `SELECT ${MESSAGE_COLUMNS.split(', ').map((c) => `m.${c}`).join(', ')}, r.raw
         FROM messages m JOIN message_raw r ON r.message_id = m.id
        WHERE m.id = +? AND m.state = 'received'`,
    ),
    claimOne: p(`UPDATE messages SET claimed_by = ?, claimed_until = ? WHERE id = ?`),
    release: p(`UPDATE messages SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ? AND state = 'received'`),
    releaseOne: p(`UPDATE messages SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ? AND id = ? AND state = 'received'`),
    beginAttempt: p(`UPDATE messages SET attempts = attempts + 1 WHERE id = ? AND state = 'received'`),
    refundAttempt: p(`UPDATE messages SET attempts = attempts - 1 WHERE id = ? AND state = 'received' AND attempts > 0`),
    noteFailedAttempt: p(`UPDATE messages SET error = ? WHERE id = ? AND state = 'received'`),
    // attempts: counted before each parse (beginAttempt), not here.
    settle: p(
      `UPDATE messages SET state = @state, processed_at = @now, error = @error, kind = @kind, detector = @detector,
              report_message_id = @rmid, duplicate_of = @duplicateOf, duplicate_key = @duplicateKey, warning = @warning,
              claimed_by = NULL, claimed_until = NULL
        WHERE id = @id AND state = 'received'`,
    ),
    receivedSha: p(`SELECT sha256 FROM messages WHERE id = ? AND state = 'received'`).pluck(),
    duplicateBySha: p(DUPLICATE_SQL.bySha).pluck(),
    duplicateByKey: p(DUPLICATE_SQL.byKey).pluck(),
    getMessage: p(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ?`),
    messageCounts: p(`SELECT state, count(*) AS n FROM messages GROUP BY state`),

    // -- bounces ----------------------------------------------------------------------------
    insertBounce: p(
      `INSERT INTO bounces (message_row, created_at, account_id, message_id, recipient, kind, action, status,
              reason, hardbounce, category, type, rule, detector, reply_code, diagnostic, remote_mta,
              reporting_mta, original_message_id, feedback_type, verified, reported_recipient, warning)
       VALUES (@messageRow, @createdAt, @accountId, @messageId, @recipient, @kind, @action, @status,
              @reason, @hardbounce, @category, @type, @rule, @detector, @replyCode, @diagnostic, @remoteMta,
              @reportingMta, @originalMessageId, @feedbackType, @verified, @reportedRecipient, @warning)`,
    ),
    getBounce: p(`SELECT * FROM bounces WHERE id = ?`),
    evidenceOfBounce: p(`SELECT * FROM evidence WHERE bounce_id = +? ORDER BY id`),

    // -- deliveries -------------------------------------------------------------------------
    evidenceExists: p(`SELECT 1 FROM evidence WHERE dedup_key = ?`).pluck(),
    findDelivery: p(`SELECT * FROM deliveries WHERE account_id = ? AND message_id = ? AND recipient = ?`),
    insertDelivery: p(
      `INSERT INTO deliveries (account_id, message_id, recipient, state, first_at, last_at, pending_since, attempts,
                               status, reason, category, diagnostic, send_counted, updated_at)
       VALUES (@accountId, @messageId, @recipient, @state, @at, @at, @pendingSince, @attempts,
               @status, @reason, @category, @diagnostic, @sendCounted, @now)
       RETURNING *`,
    ),
    updateDelivery: p(
      `UPDATE deliveries SET state = @state, first_at = min(first_at, @at), last_at = max(last_at, @at),
              pending_since = @pendingSince, attempts = attempts + @attempts, send_counted = max(send_counted, @sendCounted),
              status = @status, reason = @reason, category = @category, diagnostic = @diagnostic, updated_at = @now
        WHERE id = @id
       RETURNING *`,
    ),
    insertEvidence: p(
      `INSERT INTO evidence (delivery_id, at, source, state, status, reason, diagnostic, bounce_id, qid, dedup_key)
       VALUES (@deliveryId, @at, @source, @state, @status, @reason, @diagnostic, @bounceId, @qid, @dedupKey)`,
    ),
    evidenceOf: p(`SELECT * FROM evidence WHERE delivery_id = +? ORDER BY id`),
    // oldest first, in the partial index's own order (pending_since, then rowid): with ORDER BY id
    // the planner walked the whole table in id order to skip a sort, every run of the job
    duePending: p(`SELECT * FROM deliveries WHERE state = 'pending' AND pending_since <= +? ORDER BY pending_since, id LIMIT +?`),
    pendingByQid: p(
      `SELECT DISTINCT d.* FROM evidence e JOIN deliveries d ON d.id = e.delivery_id WHERE e.qid = +? AND d.state = 'pending' ORDER BY d.id`,
    ),

    // -- sends and counters -----------------------------------------------------------------
    addSends: p(
      `INSERT INTO sends (account_id, day, count) VALUES (?, ?, ?)
       ON CONFLICT (account_id, day) DO UPDATE SET count = count + excluded.count`,
    ),
    listSendsAll: p(`SELECT account_id, day, count FROM sends ORDER BY account_id, day`),
    listSendsOf: p(`SELECT account_id, day, count FROM sends WHERE account_id = +? ORDER BY day`),
    bumpMonth: p(
      `INSERT INTO account_months (account_id, month, sends, cancelled_campaigns) VALUES (?, ?, ?, ?)
       ON CONFLICT (account_id, month) DO UPDATE SET sends = sends + excluded.sends,
              cancelled_campaigns = cancelled_campaigns + excluded.cancelled_campaigns`,
    ),
    bumpChannel: p(
      `INSERT INTO account_month_channels (account_id, month, channel, hard_bounces, sender_failures, blocklistings, complaints, unsubscribes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id, month, channel) DO UPDATE SET hard_bounces = hard_bounces + excluded.hard_bounces,
              sender_failures = sender_failures + excluded.sender_failures, blocklistings = blocklistings + excluded.blocklistings,
              complaints = complaints + excluded.complaints, unsubscribes = unsubscribes + excluded.unsubscribes`,
    ),
    bumpCampaign: p(
      `INSERT INTO campaign_counts (account_id, campaign, hard_bounces, complaints, unsubscribes) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (account_id, campaign) DO UPDATE SET hard_bounces = hard_bounces + excluded.hard_bounces,
              complaints = complaints + excluded.complaints, unsubscribes = unsubscribes + excluded.unsubscribes`,
    ),
    month: p(MONTH_SQL).raw(true),
    recount: p(RECOUNT_SQL).raw(true),
    campaignCounts: p(`SELECT hard_bounces, complaints, unsubscribes FROM campaign_counts WHERE account_id = ? AND campaign = ?`),
    activeAccounts: p(
      `SELECT account_id FROM account_months WHERE month = +? UNION SELECT account_id FROM account_month_channels WHERE month = +? ORDER BY 1`,
    ).pluck(),

    // -- accounts, state, campaigns ---------------------------------------------------------
    getAccount: p(`SELECT id, name, tier, profile, contact_email, created_at FROM accounts WHERE id = ?`),
    listAccounts: p(`SELECT id, name, tier, profile, contact_email, created_at FROM accounts ORDER BY id`),
    accountExists: p(`SELECT 1 FROM accounts WHERE id = ?`).pluck(),
    insertAccount: p(
      `INSERT INTO accounts (id, name, created_at, tier, profile, contact_email, updated_at)
       VALUES (@id, @name, @now, @tier, @profile, @contactEmail, @now)`,
    ),
    updateAccount: p(
      `UPDATE accounts SET name = @name, tier = @tier, profile = @profile, contact_email = @contactEmail, updated_at = @now WHERE id = @id`,
    ),
    getState: p(`SELECT * FROM account_policy WHERE account_id = ?`),
    saveState: p(
      `INSERT INTO account_policy (account_id, marketing, suspension, suspension_detail, suspended_at, one_to_one,
              one_to_one_suspension, one_to_one_suspended_at, review, review_form, baseline, warned, updated_at)
       VALUES (@accountId, @marketing, @suspension, @suspensionDetail, @suspendedAt, @oneToOne,
              @oneToOneSuspension, @oneToOneSuspendedAt, @review, @reviewForm, @baseline, @warned, @updatedAt)
       ON CONFLICT (account_id) DO UPDATE SET marketing = excluded.marketing, suspension = excluded.suspension,
              suspension_detail = excluded.suspension_detail, suspended_at = excluded.suspended_at,
              one_to_one = excluded.one_to_one, one_to_one_suspension = excluded.one_to_one_suspension,
              one_to_one_suspended_at = excluded.one_to_one_suspended_at, review = excluded.review,
              review_form = excluded.review_form, baseline = excluded.baseline, warned = excluded.warned,
              updated_at = excluded.updated_at`,
    ),
    getCampaign: p(`SELECT * FROM campaigns WHERE account_id = ? AND campaign = ?`),
    ensureCampaign: p(`INSERT INTO campaigns (account_id, campaign, created_at) VALUES (?, ?, ?) ON CONFLICT (account_id, campaign) DO NOTHING`),
    addCampaignSends: p(`UPDATE campaigns SET sends = sends + ? WHERE account_id = ? AND campaign = ?`),
    setCampaignPlanned: p(`UPDATE campaigns SET planned = ? WHERE account_id = ? AND campaign = ?`),
    cancelCampaign: p(`UPDATE campaigns SET state = 'cancelled', cancelled_at = ? WHERE account_id = ? AND campaign = ? AND state = 'active'`),

    // -- suppressions -----------------------------------------------------------------------
    preSend: p(PRESEND_SQL).raw(true),
    preSendCampaign: p(PRESEND_CAMPAIGN_SQL).raw(true),
    hits: p(`SELECT account_id, reason, created_at, source FROM suppressions WHERE address = ? AND account_id IN (?, '*')`),
    hitsMany: p(HITS_MANY_SQL).raw(true),
    addSuppression: p(
      `INSERT INTO suppressions (account_id, address, reason, created_at, source) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (address, account_id, reason) DO NOTHING`,
    ),
    removeSuppression: p(`DELETE FROM suppressions WHERE address = ? AND account_id = ? AND reason = ?`),
    suppressionCounts: p(`SELECT account_id = '*' AS global, count(*) AS n FROM suppressions GROUP BY 1`),

    // -- failures and reports ---------------------------------------------------------------
    getFailure: p(`SELECT * FROM delivery_failures WHERE delivery_id = ?`),
    recordFailure: p(
      `INSERT INTO delivery_failures (delivery_id, account_id, recipient, channel, campaign, state, reason, category, address_reason, at)
       VALUES (@deliveryId, @accountId, @recipient, @channel, @campaign, @state, @reason, @category, @addressReason, @at)
       ON CONFLICT (delivery_id) DO UPDATE SET account_id = excluded.account_id, recipient = excluded.recipient,
              channel = excluded.channel, campaign = excluded.campaign, state = excluded.state, reason = excluded.reason,
              category = excluded.category, address_reason = excluded.address_reason, at = excluded.at`,
    ),
    globalAccounts: p(
      `SELECT count(DISTINCT account_id) FROM delivery_failures
        WHERE recipient = ${P} AND address_reason = 1 AND state = 'hard' AND channel = 'marketing' AND at >= ?`,
    ).pluck(),
    hardFailures: p(
      `SELECT delivery_id, recipient, category, at FROM delivery_failures
        WHERE account_id = +? AND state = 'hard' AND channel = 'marketing' ORDER BY delivery_id`,
    ),
    listFailures: p(`SELECT * FROM delivery_failures WHERE account_id = +? ORDER BY delivery_id`),
    insertReport: p(
      `INSERT INTO contact_reports (account_id, kind, message_id, recipient, channel, campaign, at, source)
       VALUES (@accountId, @kind, @messageId, @recipient, @channel, @campaign, @at, @source)
       ON CONFLICT (account_id, kind, message_id, recipient) DO NOTHING`,
    ),
    listReports: p(`SELECT * FROM contact_reports WHERE account_id = +? ORDER BY id`),

    // -- appeals, abuse, audit, notifications -----------------------------------------------
    insertAppeal: p(`INSERT INTO appeals (account_id, channel, state, form, filed_at) VALUES (?, ?, 'open', ?, ?)`),
    getAppeal: p(`SELECT * FROM appeals WHERE id = ?`),
    openAppeal: p(`SELECT * FROM appeals WHERE account_id = ? AND state = 'open'`),
    listAppealsAll: p(`SELECT * FROM appeals ORDER BY id`),
    listAppealsOf: p(`SELECT * FROM appeals WHERE account_id = +? ORDER BY id`),
    decideAppeal: p(`UPDATE appeals SET state = ?, decided_at = ?, decided_by = ?, decision_reason = ? WHERE id = ? AND state = 'open'`),
    insertAbuse: p(`INSERT INTO abuse_reports (account_id, at, actor, detail) VALUES (?, ?, ?, ?)`),
    listAbuse: p(`SELECT * FROM abuse_reports WHERE account_id = +? ORDER BY id`),
    audit: p(`INSERT INTO policy_audit (at, actor, account_id, action, subject, detail) VALUES (?, ?, ?, ?, ?, ?)`),
    lastAudit: p(`SELECT max(at) FROM policy_audit WHERE account_id = +? AND action = +? AND subject = +?`).pluck(),
    listAudit: p(`SELECT * FROM policy_audit WHERE account_id = +? ORDER BY id`),
    enqueue: p(
      `INSERT INTO notifications (account_id, kind, recipient, subject, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    dueNotifications: p(`SELECT * FROM notifications WHERE sent_at IS NULL AND next_attempt_at <= +? ORDER BY id LIMIT +?`),
    markSent: p(`UPDATE notifications SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?`),
    markFailed: p(`UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`),
    listNotificationsAll: p(`SELECT * FROM notifications ORDER BY id`),
    listNotificationsOf: p(`SELECT * FROM notifications WHERE account_id = +? ORDER BY id`),

    // -- keys -------------------------------------------------------------------------------
    insertKey: p(`INSERT INTO api_keys (id, account_id, hash, prefix, name, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
    keyByHash: p(`SELECT * FROM api_keys WHERE hash = ?`),
    keysOf: p(`SELECT * FROM api_keys WHERE account_id IS ? ORDER BY created_at, id`),
    revokeKey: p(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND account_id IS ? AND revoked_at IS NULL`),

    // -- the dashboard's trends: an account's bounces per UTC day, type and category (a range of bounces_account_created)
    bouncesDaily: p(
      `SELECT strftime('%Y-%m-%d', created_at / 1000, 'unixepoch') AS day, type, category, count(*) AS n
         FROM bounces WHERE account_id = +? AND created_at >= +? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    ),

    // A campaign's failures by page: a range of delivery_failures_campaign (its rowid is the delivery id).
    campaignFailures: p(`SELECT * FROM delivery_failures WHERE account_id = +? AND campaign = +? AND delivery_id > ? ORDER BY delivery_id LIMIT +?`),

    // -- dashboard sessions ---------------------------------------------------------------------
    insertSession: p(`INSERT INTO dashboard_sessions (id_hash, key_id, account_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
    // An account session lives only while its key does (admin sessions have no api_keys row).
    findSession: p(
      `SELECT s.* FROM dashboard_sessions s LEFT JOIN api_keys k ON k.id = s.key_id
        WHERE s.id_hash = +? AND s.expires_at > ? AND (s.account_id IS NULL OR (k.id IS NOT NULL AND k.revoked_at IS NULL))`,
    ),
    deleteSession: p(`DELETE FROM dashboard_sessions WHERE id_hash = ?`),
    pruneSessions: p(`DELETE FROM dashboard_sessions WHERE expires_at <= ?`),

    // -- events and webhooks ----------------------------------------------------------------
    insertEvent: p(`INSERT INTO events (event_id, account_id, type, payload, created_at) VALUES (?, ?, ?, ?, ?)`),
    listEvents: p(`SELECT * FROM events WHERE id > ? ORDER BY id LIMIT +?`),
    maxEventRow: p(`SELECT coalesce(max(id), 0) FROM events`).pluck(),
    insertEndpoint: p(
      `INSERT INTO webhook_endpoints (id, account_id, url, secret, events, from_event_row, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    endpointsOf: p(`SELECT * FROM webhook_endpoints WHERE account_id = +? AND disabled_at IS NULL ORDER BY created_at, id`),
    getEndpoint: p(`SELECT * FROM webhook_endpoints WHERE id = ? AND account_id = ?`),
    disableEndpoint: p(`UPDATE webhook_endpoints SET disabled_at = ? WHERE id = ? AND account_id = ? AND disabled_at IS NULL`),
    abandonDeliveries: p(
      `UPDATE webhook_deliveries SET next_attempt_at = NULL, failed_at = ?, last_error = 'endpoint removed', claimed_by = NULL, claimed_until = NULL
        WHERE endpoint_id = ? AND next_attempt_at IS NOT NULL`,
    ),
    getCursor: p(`SELECT last_event_row FROM webhook_cursor WHERE name = 'fanout'`).pluck(),
    anyEndpoint: p(`SELECT 1 FROM webhook_endpoints WHERE disabled_at IS NULL LIMIT 1`).pluck(),
    setCursor: p(
      `INSERT INTO webhook_cursor (name, last_event_row) VALUES ('fanout', ?) ON CONFLICT (name) DO UPDATE SET last_event_row = excluded.last_event_row`,
    ),
    // An event goes to its account's endpoints that take its type; an event of no account (a
    // global suppression) only to endpoints that asked for that type by name. SQLite commits
    // one writer at a time, so event ids are in commit order and a cursor suffices.
    fanOut: p(
      `INSERT OR IGNORE INTO webhook_deliveries (event_row, endpoint_id, created_at, next_attempt_at)
       SELECT e.id, w.id, @now, @now
         FROM events e JOIN webhook_endpoints w ON w.account_id = e.account_id OR e.account_id IS NULL
        WHERE e.id > @after AND e.id <= @upto AND e.id > w.from_event_row AND w.disabled_at IS NULL
          AND ((e.account_id IS NOT NULL AND w.events = '[]')
               OR EXISTS (SELECT 1 FROM json_each(w.events) j WHERE j.value = e.type))`,
    ),
    dueDeliveries: p(
      `SELECT ${DUE_DELIVERY_COLUMNS}
         FROM webhook_deliveries d
         JOIN webhook_endpoints w ON w.id = d.endpoint_id
         JOIN events e ON e.id = d.event_row
        WHERE d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= +? AND (d.claimed_until IS NULL OR d.claimed_until <= +?)
        ORDER BY d.next_attempt_at, d.id LIMIT +?`,
    ),
    anyDue: p(
      `SELECT 1 FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= +? AND (claimed_until IS NULL OR claimed_until <= +?) LIMIT 1`,
    ).pluck(),
    claimDelivery: p(`UPDATE webhook_deliveries SET claimed_by = ?, claimed_until = ? WHERE id = ?`),
    postpone: p(
      `UPDATE webhook_deliveries SET next_attempt_at = ?, claimed_by = NULL, claimed_until = NULL WHERE id = ? AND next_attempt_at IS NOT NULL`,
    ),
    nextDue: p(`SELECT min(next_attempt_at) FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL`).pluck(),
    insertAttempt: p(`INSERT INTO webhook_attempts (delivery_id, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?)`),
    settleAttempt: p(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = @at, last_status = @status, last_error = @error,
              next_attempt_at = @nextAttemptAt, delivered_at = @deliveredAt, failed_at = @failedAt,
              claimed_by = NULL, claimed_until = NULL
        WHERE id = @id AND next_attempt_at IS NOT NULL`,
    ),
    deliveriesOf: p(
      `SELECT ${WEBHOOK_DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_row
        WHERE d.endpoint_id = +? AND d.id > ? ORDER BY d.id LIMIT +?`,
    ),
    getWebhookDelivery: p(
      `SELECT ${WEBHOOK_DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_row WHERE d.id = +? AND d.endpoint_id = +?`,
    ),
    attemptsOf: p(`SELECT at, status, error, duration_ms FROM webhook_attempts WHERE delivery_id = +? ORDER BY id`),
    retryNow: p(
      `UPDATE webhook_deliveries SET next_attempt_at = ?, failed_at = NULL, claimed_by = NULL, claimed_until = NULL
        WHERE id = ? AND endpoint_id = ? AND delivered_at IS NULL`,
    ),

    // -- jobs and tail ----------------------------------------------------------------------
    getJob: p(`SELECT * FROM jobs WHERE name = ?`),
    // Due (never run, or next run reached) and not leased to another node: take it.
    acquireJob: p(
      `INSERT INTO jobs (name, last_run_at, next_run_at, last_error, lease_holder, lease_until) VALUES (@name, NULL, @now, NULL, @node, @until)
       ON CONFLICT (name) DO UPDATE SET lease_holder = excluded.lease_holder, lease_until = excluded.lease_until
        WHERE jobs.next_run_at <= @now AND (jobs.lease_until IS NULL OR jobs.lease_until <= @now OR jobs.lease_holder = @node)
       RETURNING name`,
    ).pluck(),
    finishJob: p(
      `UPDATE jobs SET last_run_at = @lastRunAt, next_run_at = @nextRunAt, last_error = @error, lease_holder = NULL, lease_until = NULL
        WHERE name = @name AND lease_holder = @node`,
    ),
    saveJob: p(
      `INSERT INTO jobs (name, last_run_at, next_run_at, last_error) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at, next_run_at = excluded.next_run_at, last_error = excluded.last_error`,
    ),
    getCheckpoint: p(`SELECT * FROM tail_checkpoints WHERE path = ?`),
    setCheckpoint: p(
      `INSERT INTO tail_checkpoints (path, inode, offset, lines, unparsed, head, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET inode = excluded.inode, offset = excluded.offset, lines = excluded.lines,
                                        unparsed = excluded.unparsed, head = excluded.head, updated_at = excluded.updated_at`,
    ),
    rememberSender: p(
      `INSERT INTO log_queue (qid, sender, seen_at) VALUES (?, ?, ?) ON CONFLICT (qid) DO UPDATE SET sender = excluded.sender, seen_at = excluded.seen_at`,
    ),
    rememberMessageId: p(
      `INSERT INTO log_queue (qid, sender, message_id, seen_at) VALUES (?, '', ?, ?) ON CONFLICT (qid) DO UPDATE SET message_id = excluded.message_id`,
    ),
    lookupQueue: p(`SELECT sender, message_id FROM log_queue WHERE qid = ?`),
    pruneQueue: p(`DELETE FROM log_queue WHERE seen_at < ?`),

    // -- readiness --------------------------------------------------------------------------
    probe: p(`INSERT INTO write_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at`),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;

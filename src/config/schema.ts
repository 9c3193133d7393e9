import { z } from 'zod';
import { RAW_HEAD_BYTES } from '../domain/index.js';
import { isAddressOrRange } from '../client-address.js';
import { parseCredentialKey } from '../inbox/credentials.js';
import { espConfigSchema } from './esp.js';

// The one description of bounced's configuration. Every key has a default, so an empty
// config file (or none) runs a loopback-only daemon on ./data. The environment name of
// each key is derived from its path: smtp.maxClients -> BOUNCED_SMTP_MAX_CLIENTS.
// Keys listed in SECRET_PATHS may also be read from a file named by <NAME>_FILE.

const port = z.number().int().min(0).max(65535);
/** How the notification relay's connection is protected (notify.relayTls). */
export const NOTIFY_RELAY_TLS = ['opportunistic', 'starttls', 'implicit', 'none'] as const;
const CREDENTIAL_KEY_FORMAT = 'expected 64 hex digits or the base64 of 32 bytes';
function isCredentialKey(v: string): boolean {
  try {
    parseCredentialKey(v);
    return true;
  } catch {
    return false;
  }
}
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const configSchema = z
  .object({
    /** Directory of the SQLite database (bounced.db plus its -wal/-shm files). */
    dataDir: z.string().min(1).default('./data'),
    /** Domains whose mail is ours: RCPT TO for any other domain is refused with 550. */
    bounceDomains: z
      .array(z.string().min(1).transform((d) => d.toLowerCase()))
      .min(1)
      .default(['bounces.localhost']),
    logLevel: logLevel.default('info'),
    /** Key for the admin API; the admin routes stay closed while it is empty. */
    adminKey: z.string().default(''),
    smtp: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: port.default(2525),
        /** Name in the greeting and in Received headers. */
        hostname: z.string().default('bounced.localhost'),
        /** SIZE limit; a larger message is refused with 552. */
        maxMessageBytes: z.number().int().positive().default(30 * 1024 * 1024),
        /**
         * Message bytes held in memory across all sessions until they are stored (each
         * session holds its message whole meanwhile); past it a message gets 452 4.3.1 and is
         * retried by its sender. At least maxMessageBytes.
         */
        maxBytesInFlight: z.number().int().positive().default(256 * 1024 * 1024),
        /** RCPT TO per transaction; more get 452 (RFC 5321 §4.5.3.1.8). */
        maxRecipients: z.number().int().positive().default(50),
        /** Concurrent connections; more get 421. */
        maxClients: z.number().int().positive().default(100),
        /**
         * Concurrent connections from one client (an IPv4 address, an IPv6 /64); more get 421,
         * so that one client cannot hold every slot of maxClients. 0: no per-client limit.
         */
        maxClientsPerIp: z.number().int().min(0).default(10),
        /**
         * Addresses or CIDR ranges the per-client limit does not apply to: an MTA in front of
         * bounced that relays every bounce (Postfix, way 2a), whose connections all come from one address.
         */
        clientLimitExceptions: z.array(z.string().refine(isAddressOrRange, 'expected an IP address or a CIDR range')).default([]),
        /**
         * Commands that make no progress (NOOP, RSET, HELP, VRFY, EXPN, ETRN, a repeated
         * HELO/EHLO, or any command refused with 4xx/5xx) a session may send since its last
         * accepted message; the next one gets 421 and the connection is closed.
         */
        maxIdleCommands: z.number().int().positive().default(10),
        /** Idle socket time-out. */
        socketTimeoutMs: z.number().int().positive().default(60_000),
        /**
         * Longest a session may last, however active: the idle time-out alone never cuts a
         * client that trickles one byte a second. RFC 5321 §4.5.3.2 asks for 10 minutes per
         * DATA block; a whole bounce session needs far less.
         */
        maxSessionMs: z.number().int().positive().default(10 * 60_000),
        /** How long to wait for open sessions to end at shutdown. */
        closeTimeoutMs: z.number().int().positive().default(5_000),
        /**
         * smtp-server waits 100 ms before its 220 greeting to catch early talkers (clients
         * that send before the greeting, a spam-bot habit). With one bounce per connection
         * that caps throughput at ~10 msgs/s per concurrent connection (bench/smtp.mjs), so the
         * default is to greet at once; early talkers are still refused if they send first.
         */
        greetingDelayMs: z.number().int().min(0).max(10_000).default(0),
        /** STARTTLS is offered only when both are set (PEM file paths). */
        tlsKeyFile: z.string().default(''),
        tlsCertFile: z.string().default(''),
      })
      .strict()
      .refine((s) => s.maxBytesInFlight >= s.maxMessageBytes, {
        path: ['maxBytesInFlight'],
        message: 'must be at least smtp.maxMessageBytes (one message of the largest size must fit)',
      })
      .prefault({}),
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: port.default(8025),
        /** Let webhooks go to loopback and private addresses (refused by default: SSRF). */
        webhookAllowPrivateDestinations: z.boolean().default(false),
        /**
         * How the world reaches this HTTP API (behind a TLS proxy: its https URL). Used in the
         * one-click List-Unsubscribe URL (RFC 8058): <publicUrl>/v1/unsubscribe/<token>.
         */
        publicUrl: z.string().url().default('http://127.0.0.1:8025'),
        /** API requests per second per key (token bucket); more get 429. 0: no limit. */
        rateLimitPerSecond: z.number().min(0).default(10_000),
        /** Requests a key may make at once before the per-second rate applies. */
        rateLimitBurst: z.number().int().positive().default(20_000),
        /**
         * Requests per second per client address (an IPv4 address, an IPv6 /64) to the routes
         * that need no key: unsubscribe, health, metrics, the OpenAPI document. More get 429. 0: no limit.
         */
        ipRateLimitPerSecond: z.number().min(0).default(20),
        /** Requests a client address may make at once to those routes. */
        ipRateLimitBurst: z.number().int().positive().default(100),
        /**
         * Failed authentications (a missing, unknown or revoked key) per minute per client
         * address, and at once; past it every keyed request from there gets 429 until time
         * gives some back. 0: no limit.
         */
        authFailuresPerMinute: z.number().min(0).default(30),
        /**
         * Reverse proxies (addresses, CIDR ranges; `loopback` also works) whose
         * X-Forwarded-For names the client. Behind a proxy, name it: else every request comes
         * from the proxy's address and shares one client's limits.
         */
        trustProxy: z
          .array(z.string().refine((v) => isAddressOrRange(v) || ['loopback', 'linklocal', 'uniquelocal'].includes(v), 'expected an IP address, a CIDR range, loopback, linklocal or uniquelocal'))
          .default([]),
      })
      .strict()
      .prefault({}),
    verp: z
      .object({
        /**
         * HMAC key of the VERP tokens. When empty, a random one is created on first start
         * and kept in <dataDir>/verp-secret (mode 0600), so bounces survive restarts.
         */
        secret: z.string().default(''),
        /** Local-part prefix of return paths: <prefix>+<token>@<bounce domain>. */
        prefix: z.string().regex(/^[a-z0-9._-]+$/i).default('b'),
        /** Local-part prefix of List-Unsubscribe mailto: addresses (must differ from prefix). */
        unsubscribePrefix: z.string().regex(/^[a-z0-9._-]+$/i).default('u'),
      })
      .strict()
      .prefault({}),
    pipeline: z
      .object({
        /**
         * Commit received messages on the intake thread and process them on the processing
         * thread (the default), so that neither the commit's fsync nor any parse holds up SMTP
         * sessions, and no parse holds up a commit. Off: commits and settling on the SMTP
         * thread (a commit's fsync then holds the sessions up); parses still run in a parse
         * worker within their budget.
         */
        worker: z.boolean().default(true),
        /**
         * Processing budget, time: the CPU time the parse and classification of one message
         * may use in the parse worker's thread (Linux; wall time elsewhere), and at most 4x
         * that in wall time. A parse past it is abandoned (its parse worker terminated and
         * replaced) and the message settled `unparseable` with the reason. Ordinary reports
         * take 1-3 ms, a 1 MB report of 10,000 recipients a few hundred ms: 2 s is ample,
         * and what one hostile message can cost the processing (never the intake) at most.
         */
        parseBudgetMs: z.number().int().positive().max(600_000).default(2_000),
        /**
         * Processing budget, size: how much of a message is parsed (its head; the rest is
         * stored, never parsed). Every report says what it has to say in its first bytes; what
         * makes a bounce big is the returned original's attachments at its end.
         */
        parseMaxBytes: z.number().int().min(4096).max(RAW_HEAD_BYTES).default(RAW_HEAD_BYTES),
        /** Processing budget, memory: heap of the parse worker (MB); a parse that needs more crashes it, not the daemon. */
        parseMemoryMb: z.number().int().min(8).max(4096).default(256),
        /**
         * Parses begun per message before it is given up as `unparseable`: a message whose
         * parse crashed its worker, or that was being parsed when the process died, is tried
         * again (alone), at most this many times in all.
         */
        maxAttempts: z.number().int().min(1).max(100).default(3),
        /**
         * How long the processing side waits, once a message is stored and no pass is running,
         * before it claims: the messages stored meanwhile are claimed, parsed and settled
         * together (one claim, one settling transaction, one parse worker wake-up). One at a
         * time (a single SMTP session) each message paid for all of these alone. Delays records,
         * never a 250; under load passes follow each other without waiting. 0: at once.
         */
        processWindowMs: z.number().int().min(0).max(1000).default(25),
        /**
         * Bounce records (recipients) kept per message; the record of the recipient a
         * verified VERP token names is kept first. A genuine bounce of VERP mail concerns one
         * recipient; a report listing thousands is a list-wide forward or an attack.
         */
        maxRecordsPerMessage: z.number().int().min(1).max(100_000).default(100),
        /**
         * Longest text kept in a record's fields (the diagnostic above all; also MTA names,
         * addresses, ids). RFC 5321 §4.5.3.1.5 limits a reply line to 512 octets: 1,000
         * characters keeps a two-line reply. Longer text is cut and the record says so.
         */
        maxTextChars: z.number().int().min(64).max(1_000_000).default(1_000),
      })
      .strict()
      .prefault({}),
    lifecycle: z
      .object({
        /**
         * How long a deferred delivery stays `pending` (from its first deferral) before it
         * becomes a soft bounce. Ours, not the MTA's queue lifetime (Postfix: 5 days).
         */
        pendingWindowHours: z.number().positive().default(72),
      })
      .strict()
      .prefault({}),
    // Big messages go to a spool file (issue #20), as Postfix's queue files do.
    spool: z
      .object({
        /**
         * Where the bytes of big messages are written as they arrive (one file per message,
         * fsynced with the directory before the 250). Empty: <dataDir>/spool with SQLite; with
         * PostgreSQL (several nodes) no spool: big messages' bytes go into the database as
         * before, unless this names storage every node reads and writes (a shared mount).
         */
        dir: z.string().default(''),
        /**
         * A message past this many bytes streams to a spool file; its first RAW_HEAD_BYTES
         * (what processing reads) are also kept in the database. 0: never spool.
         */
        aboveBytes: z.number().int().min(0).default(RAW_HEAD_BYTES),
      })
      .strict()
      .prefault({}),
    // Retention (issue #20): how long what a sender sent is kept beside what was made of it.
    retention: z
      .object({
        /**
         * Days the raw bytes of a settled message are kept (from its arrival); then the
         * `prune-raw` job drops them. The message row (envelope, size, sha256, state) and
         * every record, delivery, suppression and event made from it stay. 0: kept forever.
         */
        rawDays: z.number().min(0).default(30),
      })
      .strict()
      .prefault({}),
    tail: z
      .object({
        /** Postfix log to follow (maillog_file); empty: no tailing. */
        file: z.string().default(''),
        /** How often the log is polled for new lines. */
        pollMs: z.number().int().positive().default(500),
      })
      .strict()
      .prefault({}),
    scheduler: z
      .object({
        /** How often the daemon looks for due jobs (each job has its own cadence). */
        tickMs: z.number().int().positive().default(15_000),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        /** FULL: fsync at each commit, like Postfix's queue files. NORMAL may lose the last commits on power loss. */
        synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
        /** Most messages of concurrent SMTP sessions committed together (group commit). */
        groupCommitMax: z.number().int().positive().default(64),
        /** How long a received message waits for others to share its commit (fsync). */
        groupCommitWindowMs: z.number().min(0).max(100).default(2),
        /**
         * PostgreSQL only: group commits of received messages in flight at once per node (each
         * on its own connection of the pool). SQLite takes one writer at a time: always 1 there.
         */
        commitsInFlight: z.number().int().min(1).max(8).default(4),
        /** How long a write waits for a lock held by another process before failing (then SMTP 451). */
        busyTimeoutMs: z.number().int().min(0).default(5000),
        /**
         * SQLite only: bytes of the database file each connection reads through mmap(2)
         * (SQLite's mmap_size) instead of read(2) into its page cache; 0 (SQLite's default): none.
         * Issue #20: the pre-send check's page reads at 5 M suppressions. An I/O error on a
         * mapped page ends the process (SIGBUS) instead of failing one statement.
         */
        mmapBytes: z.number().int().min(0).max(2 ** 40).default(0),
        /**
         * SQLite only: the pre-send check answers "not suppressed" from memory (the accounts and
         * a Bloom filter of the suppression keys, ~1.5 bytes a suppression) while nothing it
         * reads has changed, checked on every request (src/store/sqlite/presend-memory.ts).
         * Issue #20. false: every check runs the statement.
         */
        presendMemory: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /**
     * The shared database of several nodes (issue #15): a postgres:// URL selects PostgreSQL;
     * empty keeps the embedded SQLite in dataDir. The URL may hold the password; a password
     * file keeps it out of the URL and the environment (both never logged: `config print`
     * masks it). The read URL, when set, serves the pre-send check (a read replica).
     */
    database: z
      .object({
        /** postgres://user@host:port/db (or postgresql://); empty: SQLite in dataDir. */
        url: z.string().refine((u) => u === '' || /^postgres(ql)?:\/\//i.test(u), 'expected postgres://... or empty (SQLite)').default(''),
        /** postgres://... of a read replica for the pre-send check; empty: the primary. */
        readUrl: z.string().refine((u) => u === '' || /^postgres(ql)?:\/\//i.test(u), 'expected postgres://... or empty').default(''),
        /** A file holding the password (its first line), for both URLs unless they carry one. */
        passwordFile: z.string().default(''),
        /** Connections per pool (the daemon has three: SMTP/API, intake, processing). */
        poolSize: z.number().int().positive().max(100).default(10),
        /**
         * How long a node's claim of a batch of received messages holds against the other
         * nodes (a node killed mid-batch leaves its messages to them after this). 0: a minute
         * plus the batch's parse bound (src/pipeline/build.ts claimLeaseMs), never cut short.
         */
        claimLeaseMs: z.number().int().min(0).default(0),
      })
      .strict()
      .prefault({}),
    /**
     * This daemon's name among the nodes on one database: claims of messages, webhook
     * deliveries and job leases are held under it, and a restarted node takes back its own.
     * Empty: the host name and a hash of the resolved dataDir (src/pipeline/build.ts nodeId).
     */
    nodeId: z.string().regex(/^[A-Za-z0-9._:@-]{0,100}$/, 'letters, digits and . _ : @ - (at most 100)').default(''),
    /** Account policy: suppression, rates, suspension (src/policy). Rates are fractions. */
    policy: z
      .object({
        /** Monthly hard bounces / sends that suspends marketing. */
        hardBounceLimit: z.number().positive().max(1).default(0.05),
        /** Monthly spam complaints / sends that suspends marketing (1 in 1,000). */
        complaintLimit: z.number().positive().max(1).default(0.001),
        /** Monthly unsubscribes / sends that suspends marketing. */
        unsubscribeLimit: z.number().positive().max(1).default(0.05),
        /** A rate at this fraction of its limit warns the account. */
        warnFraction: z.number().positive().max(1).default(0.8),
        /** Sends in the month before the rates count at all. */
        minimumVolume: z.number().int().min(0).default(200),
        /** Distinct accounts whose mail hard-bounced an address (address reasons) to make it global. */
        globalBounceAccounts: z.number().int().min(2).default(3),
        /** ... within this many days. */
        globalBounceDays: z.number().positive().default(60),
        /** A campaign's canary: at most this many first sends ... */
        canarySends: z.number().int().positive().default(500),
        /** ... or this fraction of its declared size, whichever is smaller. */
        canaryFraction: z.number().positive().max(1).default(0.05),
        /** Campaigns cancelled by the canary in a month that suspend the account. */
        cancelledCampaignsPerMonth: z.number().int().positive().default(3),
        /** Blocklisting bounces (blocked, badreputation) in a month that suspend (one already warns). */
        blocklistSuspendCount: z.number().int().positive().default(10),
        /** Spam-trap addresses: any mail to one suspends the account for fraud. */
        spamTraps: z.array(z.string().min(3).transform((a) => a.toLowerCase())).default([]),
        /** Hold every new account for review (marketing locked until an admin approves). */
        reviewNewAccounts: z.boolean().default(false),
        /** Hold an account for review once its monthly sends pass this (0: never). */
        reviewMonthlySends: z.number().int().min(0).default(0),
        /** One-to-one mail (connected inboxes, issue #17): monthly hard bounces / sends that suspends it. */
        oneToOneHardBounceLimit: z.number().positive().max(1).default(0.1),
        /** One-to-one sends in the month before its rate counts. */
        oneToOneMinimumVolume: z.number().int().min(0).default(20),
      })
      .strict()
      .prefault({}),
    /** Connected inboxes (issue #17): bounces of one-to-one mail found over IMAP (src/inbox). */
    inboxes: z
      .object({
        /**
         * The key that encrypts inbox credentials at rest (AES-256-GCM): 64 hex digits or the
         * base64 of 32 bytes. Empty: inboxes cannot be added and none is synced.
         */
        credentialKey: z.string().refine((v) => v === '' || isCredentialKey(v), CREDENTIAL_KEY_FORMAT).default(''),
        /** Keys the credentials may still be stored with while the key is rotated (read only). */
        previousCredentialKeys: z.array(z.string().refine(isCredentialKey, CREDENTIAL_KEY_FORMAT)).default([]),
        /** How far back a gateway notice may refer to a sent message. */
        windowHours: z.number().positive().max(24 * 60).default(72),
        /** Without IDLE: how often a watched inbox is polled on its connection, and an inbox beyond maxConnections synced in turn. */
        pollIntervalSeconds: z.number().int().min(5).default(60),
        /** Bytes of one message fetched and parsed (a report's head; the rest is attachments). */
        maxMessageBytes: z.number().int().min(64 * 1024).max(16 * 1024 * 1024).default(1024 * 1024),
        /** UIDs read per folder per sync: a large mailbox is caught up over several syncs. */
        maxMessagesPerSync: z.number().int().positive().default(2000),
        /** A sync stops at the next checkpoint once it has run this long. */
        syncTimeSeconds: z.number().int().positive().default(60),
        /**
         * IMAP connections this node holds at most. Each watched inbox holds one (IDLE, RFC 2177,
         * where the server offers it; a poll on it otherwise); with more inboxes than that, one
         * connection is kept to sync the others in turn, every pollIntervalSeconds.
         */
        maxConnections: z.number().int().min(1).max(10_000).default(50),
      })
      .strict()
      .prefault({}),
    /** Mail to account contacts (warnings, suspensions, appeals) through an SMTP relay. */
    notify: z
      .object({
        /** Off: notifications are queued in the database but not sent. */
        enabled: z.boolean().default(false),
        relayHost: z.string().default('127.0.0.1'),
        relayPort: port.default(25),
        /** SMTP AUTH (RFC 4954) user at the relay: a submission service's login. Empty: no AUTH. */
        relayUser: z.string().default(''),
        /** Its password; BOUNCED_NOTIFY_RELAY_PASSWORD_FILE reads it from a file. Never logged. */
        relayPassword: z.string().default(''),
        /**
         * How the connection to the relay is protected (src/policy/notify.ts): `implicit` TLS from
         * the first byte (port 465, RFC 8314), `starttls` required (port 587), `opportunistic`
         * STARTTLS when offered (required as soon as a user is set: a password never goes in
         * clear), or `none` (a relay on loopback). The certificate is always verified.
         */
        relayTls: z.enum(NOTIFY_RELAY_TLS).default('opportunistic'),
        /** PEM file of the CA(s) that sign the relay's certificate, trusted beside the system's. */
        relayCaFile: z.string().default(''),
        /** From: of the notifications (the deliverability team). */
        from: z.string().default('deliverability@bounced.localhost'),
        /** First retry after a failed attempt; doubles up to retryMaxMs. */
        retryBaseMs: z.number().int().positive().default(60_000),
        retryMaxMs: z.number().int().positive().default(6 * 3_600_000),
      })
      .strict()
      // Said at start (exit 78), not as a login refused at every retry.
      .refine((n) => !n.enabled || n.relayUser === '' || n.relayPassword !== '', {
        path: ['relayPassword'],
        message: 'empty while notify.relayUser is set (BOUNCED_NOTIFY_RELAY_PASSWORD_FILE names a file holding it)',
      })
      .prefault({}),
    /** Sending providers' signed bounce and complaint events (issue #19): ./esp.ts. */
    esp: espConfigSchema,
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** Paths whose values are secrets: redacted in `config print` and logs; *_FILE accepted. */
export const SECRET_PATHS = ['adminKey', 'verp.secret', 'database.url', 'database.readUrl', 'inboxes.credentialKey', 'inboxes.previousCredentialKeys', 'notify.relayPassword'] as const;

/** Secret paths that are URLs: printed with the password masked, not redacted whole. */
export const URL_SECRET_PATHS: readonly string[] = ['database.url', 'database.readUrl'];

import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { canonicalDomain } from '../address.js';
import type { Config } from '../config/schema.js';
import type { ListenerEvent } from '../metrics.js';
import { smtpServerLogger, type Logger } from '../log.js';
import type { IncomingMessage } from '../store/contract.js';
import { RAW_HEAD_BYTES } from '../domain/index.js';
import { spoolAbove, spoolDirOf } from '../spool/dir.js';
import { SpoolWriter } from '../spool/writer.js';
import { ByteBudget } from './data-budget.js';
import { SOCKET_HIGH_WATER } from './data-stream.js';
import { dataGcHint } from './gc-hint.js';
import { MessageBytes, type SpoolPlan } from './message-bytes.js';
import { BouncedSmtpServer } from './server.js';

// The inbound MX. It accepts mail for the bounce domains only, spools the raw bytes with
// their envelope through the intake (durable before the 250; a big message's bytes in a
// spool file, synced before that), and knows nothing of MIME or SQL. Every refusal goes through `reply()` so the codes live in one place.

/** An error that smtp-server turns into the SMTP reply `code text`. */
export function reply(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

export const REPLIES = {
  relayDenied: () => reply(550, '5.7.1 Relay access denied: not a bounce domain of this server'),
  tooManyRecipients: (max: number) => reply(452, `4.5.3 Too many recipients (at most ${max} per message)`),
  tooBig: (max: number) => reply(552, `5.3.4 Message too big (at most ${max} bytes)`),
  // Our own fault is always 4xx: the sending MTA keeps the message and retries.
  storeFailed: () => reply(451, '4.3.0 Temporary local problem, please try again later'),
  badRecipient: () => reply(501, '5.1.3 Bad recipient address syntax'),
  // RFC 3463 4.3.1 "mail system full"; RFC 1870 uses 452 for insufficient storage.
  noStorage: () => reply(452, '4.3.1 Insufficient system storage, try again later'),
} as const;


export interface ListenerDeps {
  config: Config;
  /** Stores a message durably; resolves with its row id (Intake, or the pipeline worker). */
  intake: { accept(message: IncomingMessage): Promise<number> };
  log: Logger;
  /** Counters hook (metrics, readiness); called with an event name, and the error of a failed store. */
  count?: (event: ListenerEvent, error?: string) => void;
  /** The DATA transaction's time, from its first byte to our final reply (storage included). */
  timeData?: (result: 'accepted' | 'refused', seconds: number) => void;
}

export class Listener {
  readonly server: BouncedSmtpServer;
  private readonly domains: Set<string>;
  /** Message bytes held across sessions until stored (smtp.maxBytesInFlight). */
  readonly budget: ByteBudget;
  /** Where messages past spool.aboveBytes go (null: held in memory whatever their size). */
  private readonly spool: SpoolPlan | null;
  /** Frees the memory of DATA chunks already spooled or dropped (./gc-hint.ts). */
  private readonly gcHint = dataGcHint();

  constructor(private readonly deps: ListenerDeps) {
    const { config } = deps;
    this.domains = new Set(config.bounceDomains.map(canonicalDomain));
    this.budget = new ByteBudget(config.smtp.maxBytesInFlight);
    const spoolDir = spoolDirOf(config);
    const above = spoolAbove(config);
    this.spool = spoolDir !== null && above !== null ? { dir: spoolDir, above } : null;
    if (this.spool) SpoolWriter.prepare(this.spool.dir);
    const tls = config.smtp.tlsKeyFile && config.smtp.tlsCertFile;
    const options: SMTPServerOptions = {
      name: config.smtp.hostname,
      banner: 'bounced ESMTP',
      // An inbound MX, not a submission server: nobody logs in.
      authOptional: true,
      disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      ...(tls ? { key: readFileSync(config.smtp.tlsKeyFile), cert: readFileSync(config.smtp.tlsCertFile) } : {}),
      size: config.smtp.maxMessageBytes,
      maxClients: config.smtp.maxClients,
      socketTimeout: config.smtp.socketTimeoutMs,
      closeTimeout: config.smtp.closeTimeoutMs,
      // The default PTR look-up costs up to 1.5 s per connection and tells us nothing we use.
      disableReverseLookup: true,
      // Passed on to net.createServer: each socket's read buffer (./data-stream.ts).
      highWaterMark: SOCKET_HIGH_WATER,
      // smtp-server formats every line (util.format) before its logger sees it: below debug,
      // hand it no logger at all rather than pay for lines that are dropped.
      logger: (deps.log.isLevelEnabled('debug') ? smtpServerLogger(deps.log) : false) as never,
      onMailFrom: (address, _session, cb) => cb(this.checkDeclaredSize(address) ?? undefined),
      onRcptTo: (address, session, cb) => cb(this.checkRecipient(address, session) ?? undefined),
      onData: (stream, session, cb) => this.receive(stream, session, cb),
    };
    this.server = new BouncedSmtpServer(options, {
      greetingDelayMs: config.smtp.greetingDelayMs,
      maxSessionMs: config.smtp.maxSessionMs,
      maxClientsPerIp: config.smtp.maxClientsPerIp,
      clientLimitExceptions: config.smtp.clientLimitExceptions,
      maxIdleCommands: config.smtp.maxIdleCommands,
      onLimit: (limit) => deps.count?.(`rejected_${limit}`),
    });
    this.server.on('error', (err) => deps.log.warn({ evt: 'SMTP_ERROR', err }, 'smtp server error'));
  }

  private checkRecipient(address: SMTPServerAddress, session: SMTPServerSession): Error | null {
    const rcpt = address.address.toLowerCase();
    const at = rcpt.lastIndexOf('@');
    if (at <= 0) return REPLIES.badRecipient();
    // An SMTPUTF8 client may spell an internationalised bounce domain in Unicode.
    if (!this.domains.has(canonicalDomain(rcpt.slice(at + 1)))) {
      this.deps.count?.('rejected_rcpt');
      return REPLIES.relayDenied();
    }
    const max = this.deps.config.smtp.maxRecipients;
    if (session.envelope.rcptTo.length >= max) return REPLIES.tooManyRecipients(max);
    return null;
  }

  /** A SIZE= (RFC 1870) that cannot be held now is refused before its bytes are sent. */
  private checkDeclaredSize(address: SMTPServerAddress): Error | null {
    const args = address.args;
    const declared = args ? Number(args.SIZE ?? 0) : 0;
    // A message that will be spooled holds only its head in memory.
    const held = this.spool ? Math.min(declared, Math.max(this.spool.above, RAW_HEAD_BYTES)) : declared;
    if (declared > 0 && !this.budget.fits(held)) {
      this.deps.count?.('rejected_budget');
      return REPLIES.noStorage();
    }
    return null;
  }

  private receive(stream: SMTPServerDataStream, session: SMTPServerSession, done: (err?: Error | null, message?: string) => void): void {
    const started = performance.now();
    const cb = (err?: Error | null, message?: string) => {
      this.deps.timeData?.(err ? 'refused' : 'accepted', (performance.now() - started) / 1000);
      done(err, message);
    };
    const max = this.deps.config.smtp.maxMessageBytes;
    // This message's bytes in memory count against the budget from the first chunk until it
    // is stored (or refused, or its session ends); past the budget it is read to its end and
    // dropped. Past spool.aboveBytes the bytes go to a spool file instead (spool.ts): then
    // only its head stays in memory (and counts).
    const share = this.budget.open();
    const bytes = new MessageBytes(this.spool, share, (paused) => (paused ? stream.pause() : stream.resume()));
    stream.once('close', () => {
      if (!stream.readableEnded) {
        share.release();
        void bytes.discard();
      }
    });
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit keep reading (smtp-server must see the final dot) but hold nothing:
      // the message will be refused, so what was kept is dropped too.
      if (size > max) bytes.drop();
      else bytes.add(chunk);
      this.gcHint(chunk.length, !bytes.heldInMemory);
    });
    stream.on('error', (err) => {
      share.release();
      void bytes.discard();
      cb(err);
    });
    stream.on('end', () => {
      if (stream.sizeExceeded || size > max) {
        share.release();
        void bytes.discard();
        this.deps.count?.('rejected_size');
        return cb(REPLIES.tooBig(max));
      }
      if (share.overBudget) {
        void bytes.discard();
        this.deps.count?.('rejected_budget');
        return cb(REPLIES.noStorage());
      }
      const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      bytes
        .finish()
        .then(
          (held) =>
            this.deps.intake.accept({
              receivedAt: Date.now(),
              source: 'smtp',
              mailFrom,
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
              remoteIp: session.remoteAddress ?? null,
              helo: session.hostNameAppearsAs ?? null,
              ...held,
            }),
          (err: NodeJS.ErrnoException) => {
            // The spool file could not be written or synced: a full disk is 452 4.3.1 (RFC 3463
            // "mail system full"), anything else our fault, 451. The sender retries either way.
            this.deps.log.warn({ evt: 'SPOOL_WRITE_FAILED', err }, 'could not write a spool file');
            void bytes.discard();
            throw Object.assign(err, { spoolFull: err.code === 'ENOSPC' || err.code === 'EDQUOT' });
          },
        )
        .finally(() => share.release())
        .then(
          (id) => {
            this.deps.count?.('accepted');
            // The 250 text names our record: the sending MTA logs it (status=sent (250 ...)),
            // which links its log line to this row.
            cb(null, `2.0.0 Ok: stored as ${id}`);
          },
          (err: Error & { spoolFull?: boolean }) => {
            // Counted as a failed store either way: a full spool disk is a fault the
            // operator must see (readiness, bounced_smtp_rejected_total{cause="store_failed"}).
            this.deps.count?.('store_failed', err?.message);
            if (err.spoolFull) return cb(REPLIES.noStorage());
            // A spool file whose commit failed stays for the orphan sweep: the commit may have
            // happened after all (a thread that died after it), and a row never loses its file.
            cb(REPLIES.storeFailed());
          },
        );
    });
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.server.off('error', onError);
        resolve(this.server.server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting connections and waits for open sessions (up to closeTimeout). */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

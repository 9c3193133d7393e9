// One watcher per connected inbox: connect, sync the Sent folder into the sent index, scan the
// inbox for bounces, then wait for new mail (IDLE, RFC 2177, where the server offers it; a
// poll timer otherwise), and again. Errors never escape: they become the inbox's status, and
// the watcher tries again after a back-off (exponential with jitter, capped; slow and steady
// for credentials the user has to fix). It never deletes mail, never changes flags (messages
// are read with BODY.PEEK, in a mailbox opened read-only unless bounces are to be moved), and
// moves found bounces only when the account says so (`moveTo`), with MOVE (RFC 6851) only.
//
// Resuming: a checkpoint per folder (UIDVALIDITY, last UID handled) is saved after each batch.
// UIDs mean nothing across UIDVALIDITY values (RFC 3501 §2.3.1.1): when it changes, the folder
// is read again from the start and the bounces found again are recognised by their dedupe key.
import type { ImapFlow, FetchMessageObject } from 'imapflow';
import type { Logger } from '../log.js';
import { analyseMessage, decide, dedupeKey, gatewayLookupRange, lookupKeys } from './detect.js';
import { classifyError, findSentFolder, imapClient, StageError, validateAccount } from './imap.js';
import {
  DETECTION_METHODS,
  SKIP_REASONS,
  type BounceSink,
  type FoundBounce,
  type InboxAccount,
  type InboxCounters,
  type InboxError,
  type InboxSecret,
  type InboxState,
  type InboxStatus,
  type SentMessage,
  type WatcherState,
} from './types.js';

export interface WatcherOptions {
  account: InboxAccount;
  /** The decrypted secret, asked for at each connection (so a renewed token is picked up). */
  secret: () => InboxSecret | Promise<InboxSecret>;
  state: InboxState;
  sink: BounceSink;
  log: Logger;
  /** How far back a gateway notice may refer to a sent message. Default 3 days. */
  windowMs?: number;
  /** Without IDLE: how often to look for new mail. Default 60 s. */
  pollIntervalMs?: number;
  /** With IDLE: re-sync and renew the IDLE this often (RFC 2177: within 29 minutes). Default 10 min. */
  idleRenewMs?: number;
  /** Back-off after a failure: base, cap, and the fixed delay for credential errors. */
  backoff?: { baseMs?: number; maxMs?: number; credentialsRetryMs?: number };
  /** UIDs per batch (a checkpoint after each). Default 200. */
  batchSize?: number;
  /** Bytes of a message fetched and parsed (the rest is not needed to read a report). Default 1 MiB. */
  maxMessageBytes?: number;
  /** At most this many bytes of messages are held at once. Default 8 MiB. */
  chunkBytes?: number;
  /** Use polling even where IDLE is offered. */
  forcePolling?: boolean;
  /**
   * UIDs read per folder in one sync (the rest waits for the next one; a checkpoint marks
   * where it stopped). Default: no limit.
   */
  maxMessagesPerSync?: number;
  onStatus?: (status: InboxStatus) => void;
  /**
   * While watching (start()): the outcome of each sync round, or of each failed attempt (its
   * status then carries the back-off's `nextRetryAt`). The daemon writes it to the store; the
   * loop waits for that (so requestSync() answers once the status is stored), never fails by it.
   */
  onSync?: (outcome: SyncOutcome) => void | Promise<void>;
  /** [0, 1) source for the back-off jitter (tests pass a fixed one). */
  random?: () => number;
}

export type SyncOutcome = { ok: true; status: InboxStatus } | { ok: false; error: InboxError; status: InboxStatus };

const INBOX = 'INBOX';
const CREDENTIAL_ERRORS = new Set(['auth_failed', 'token_rejected', 'credentials_unreadable']);

function zeroCounters(): InboxCounters {
  return {
    syncs: 0,
    scanned: 0,
    sentIndexed: 0,
    bounces: Object.fromEntries(DETECTION_METHODS.map((m) => [m, 0])) as InboxCounters['bounces'],
    skipped: Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as InboxCounters['skipped'],
    duplicates: 0,
    moved: 0,
    errors: 0,
  };
}

/** Addresses of an IMAP ENVELOPE list, lower-cased. */
function addresses(list: { address?: string }[] | undefined): string[] {
  return (list ?? []).map((a) => a.address?.trim().toLowerCase() ?? '').filter((a) => a.includes('@'));
}

function bareMessageId(v: string | undefined): string | null {
  const m = v ? /<([^<>\s]+)>/.exec(v) : null;
  const id = m ? m[1] : v?.trim();
  return id || null;
}

async function stage<T>(code: 'state_failed' | 'sink_failed', fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new StageError(code, err);
  }
}

export class InboxWatcher {
  private readonly o: Required<Omit<WatcherOptions, 'onStatus' | 'onSync' | 'backoff'>> & Pick<WatcherOptions, 'onStatus' | 'onSync'>;
  private readonly backoff: { baseMs: number; maxMs: number; credentialsRetryMs: number };
  private readonly log: Logger;
  private readonly st: InboxStatus;
  private running = false;
  private loop: Promise<void> | null = null;
  private client: ImapFlow | null = null;
  private secretKind: InboxSecret['kind'] | null = null;
  private wakeFn: (() => void) | null = null;
  private pendingWake = false;
  private moveSupported = false;
  /** The Sent folder was looked for once (its absence is then said once, not at every sync). */
  private sentLooked = false;
  /** syncOnce({ timeBudgetMs }): a sync stops at the next checkpoint after this (ms, Date.now()). */
  private deadline = Infinity;
  /** A folder stopped at maxMessagesPerSync in the last sync: the loop goes on without waiting. */
  private more = false;
  /** Watching: attempts (connect or sync round) started so far; requestSync() waits for a later one. */
  private round = 0;
  private waiters: { after: number; resolve: (o: SyncOutcome) => void }[] = [];

  constructor(opts: WatcherOptions) {
    validateAccount(opts.account);
    this.o = {
      windowMs: 3 * 24 * 3600_000,
      pollIntervalMs: 60_000,
      idleRenewMs: 10 * 60_000,
      batchSize: 200,
      maxMessageBytes: 1024 * 1024,
      chunkBytes: 8 * 1024 * 1024,
      forcePolling: false,
      maxMessagesPerSync: Number.MAX_SAFE_INTEGER,
      random: Math.random,
      ...opts,
    };
    // RFC 2177: a server may log a client out after 30 minutes of IDLE; re-issued before 29 whatever was asked
    this.o.idleRenewMs = Math.min(this.o.idleRenewMs, 29 * 60_000);
    this.backoff = { baseMs: 1000, maxMs: 5 * 60_000, credentialsRetryMs: 15 * 60_000, ...opts.backoff };
    this.log = opts.log.child({ mod: 'inbox', inbox: opts.account.id });
    this.st = {
      inboxId: opts.account.id,
      state: 'stopped',
      mode: null,
      error: null,
      failures: 0,
      nextRetryAt: null,
      lastSyncAt: null,
      sentFolder: null,
      pendingUids: 0,
      counters: zeroCounters(),
    };
  }

  status(): InboxStatus {
    return structuredClone(this.st);
  }

  /** Starts watching in the background (IDLE or polling), until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops watching: the connection (in IDLE or not) is closed at once, a back-off cut short. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    const c = this.client;
    if (c) c.close();
    await this.loop;
    this.loop = null;
    this.setState('stopped');
    // nobody will sync for them now: they get the last state there is
    this.settle(this.st.error ? { ok: false, error: this.st.error, status: this.status() } : { ok: true, status: this.status() }, Infinity);
  }

  /** Whether start() runs (until stop()). */
  get watching(): boolean {
    return this.running;
  }

  /**
   * While watching: a sync as soon as possible (a back-off cut short), and its outcome (POST
   * .../sync, `inboxes sync` against a daemon). A sync in progress does not count: what
   * arrived before the request may not be in it.
   */
  requestSync(): Promise<SyncOutcome> {
    if (!this.running) return Promise.reject(new Error('requestSync() while the watcher is not running'));
    const p = new Promise<SyncOutcome>((resolve) => this.waiters.push({ after: this.round, resolve }));
    this.wake();
    return p;
  }

  private async reportSync(outcome: SyncOutcome): Promise<void> {
    try {
      await this.o.onSync?.(outcome);
    } catch (err) {
      this.log.error({ evt: 'INBOX_SYNC_REPORT_FAILED', err: { message: (err as Error)?.message } }, 'sync outcome not taken');
    }
  }

  /** Hands the outcome of attempt `round` to onSync and to the requestSync() callers waiting for it. */
  private settle(outcome: SyncOutcome, round: number): void {
    const ready = this.waiters.filter((w) => w.after < round);
    this.waiters = this.waiters.filter((w) => w.after >= round);
    for (const w of ready) w.resolve(outcome);
  }

  /**
   * Ends a syncOnce() in progress at once (shutdown): its connection is closed, so it returns
   * an error; what it recorded stays, and the next sync resumes from its last checkpoint.
   */
  abort(): void {
    this.deadline = 0;
    this.client?.close();
  }

  /**
   * One connection, one sync of Sent and the inbox, logout: `bounced inboxes sync --once` and
   * the daemon's scheduled sync. `timeBudgetMs`: stop at the next checkpoint once it has run
   * that long (the rest is read by the next sync).
   */
  async syncOnce(opts: { timeBudgetMs?: number } = {}): Promise<SyncOutcome> {
    if (this.running) throw new Error('syncOnce() while the watcher runs');
    let client: ImapFlow | null = null;
    this.deadline = opts.timeBudgetMs === undefined ? Infinity : Date.now() + opts.timeBudgetMs;
    try {
      this.setState('starting');
      client = await this.connect();
      await this.syncAll(client);
      this.succeeded();
      this.setState('stopped');
      return { ok: true, status: this.status() };
    } catch (err) {
      const error = this.failed(err);
      return { ok: false, error, status: this.status() };
    } finally {
      await this.disconnect(client);
    }
  }

  // ---- the loop ------------------------------------------------------------------------

  private async run(): Promise<void> {
    while (this.running) {
      let client: ImapFlow | null = null;
      let delay = 0;
      let round = ++this.round;
      try {
        // after a failure the inbox stays `error` (with its reason) until a sync succeeds
        if (!this.st.error) this.setState('starting');
        client = await this.connect();
        while (this.running) {
          await this.syncAll(client);
          this.succeeded();
          const outcome: SyncOutcome = { ok: true, status: this.status() };
          await this.reportSync(outcome);
          this.settle(outcome, round);
          // a large folder is read maxMessagesPerSync UIDs at a time, without waiting in between
          if (!this.more) await this.waitForChange(client);
          round = ++this.round;
        }
      } catch (err) {
        if (!this.running) break;
        const error = this.failed(err);
        delay = Math.max(this.retryDelay(error.code), classifyError(err, this.secretKind).retryAfterMs ?? 0);
        this.st.nextRetryAt = Date.now() + delay;
        this.emit();
        const outcome: SyncOutcome = { ok: false, error, status: this.status() };
        await this.reportSync(outcome);
        this.settle(outcome, round);
      } finally {
        await this.disconnect(client);
      }
      if (this.running && delay) await this.sleep(delay);
    }
    this.st.nextRetryAt = null;
    this.setState('stopped');
  }

  /** Exponential back-off with jitter (half fixed, half random), capped; credential errors wait long. */
  retryDelay(code: string): number {
    if (CREDENTIAL_ERRORS.has(code)) return this.backoff.credentialsRetryMs;
    const exp = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** Math.min(this.st.failures - 1, 30));
    return Math.round(exp / 2 + (exp / 2) * this.o.random());
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeFn = null;
        resolve();
      }, ms);
      this.wakeFn = () => {
        clearTimeout(t);
        this.wakeFn = null;
        resolve();
      };
    });
  }

  private wake(): void {
    this.pendingWake = true;
    this.wakeFn?.();
  }

  /** Waits for new mail in INBOX (IDLE's EXISTS), the renewal/poll timer, a closed connection, or stop(). */
  private async waitForChange(client: ImapFlow): Promise<void> {
    if (!this.running) return;
    // a sync asked for (requestSync) or new mail announced during the last one: no wait
    if (this.pendingWake || this.waiters.length) {
      this.pendingWake = false;
      return;
    }
    const idle = this.st.mode === 'idle';
    let idling: Promise<unknown> | null = null;
    if (idle) {
      if (!client.mailbox || client.mailbox.path !== INBOX) await client.mailboxOpen(INBOX, { readOnly: !this.o.account.moveTo });
      // resolves once the next command breaks the IDLE (imapflow sends DONE first)
      idling = client.idle().catch(() => undefined);
    }
    this.setState(idle ? 'idle' : 'polling');
    // a wake while IDLE was being entered (no await between this test and the sleep's start)
    if (!this.pendingWake && !this.waiters.length) await this.sleep(idle ? this.o.idleRenewMs : this.o.pollIntervalMs);
    this.pendingWake = false;
    if (!client.usable && this.running) throw Object.assign(new Error('the server closed the connection'), { code: 'EConnectionClosed' });
    if (idling && this.running) await client.noop().then(() => idling);
  }

  private async connect(): Promise<ImapFlow> {
    const secret = await this.o.secret();
    this.secretKind = secret.kind;
    const client = imapClient(this.o.account, secret, this.log, { maxLiteralBytes: Math.max(this.o.maxMessageBytes, 1024 * 1024) + 64 * 1024 });
    // imapflow reports socket errors as events too: an unhandled 'error' would end the process
    client.on('error', (err: Error) => this.log.debug({ evt: 'INBOX_CLIENT_ERROR', err: { code: (err as { code?: string }).code, message: err.message } }, 'imap client error'));
    // only the current connection may wake the loop: a closed one's late 'close' must not cut a back-off short
    client.on('close', () => {
      if (this.client === client) this.wake();
    });
    client.on('exists', (d: { path: string }) => {
      if (this.client === client && d.path === INBOX) this.wake();
    });
    this.client = client;
    try {
      await client.connect();
    } catch (err) {
      // the caller never got this client to close: forget it here (its late 'close' is ignored)
      this.client = null;
      client.close();
      throw err;
    }
    this.st.mode = client.capabilities.has('IDLE') && !this.o.forcePolling ? 'idle' : 'poll';
    this.moveSupported = client.capabilities.has('MOVE');
    this.log.info({ evt: 'INBOX_CONNECTED', mode: this.st.mode, tls: this.o.account.tls }, 'connected');
    return client;
  }

  private async disconnect(client: ImapFlow | null): Promise<void> {
    if (!client) return;
    if (this.client === client) this.client = null;
    if (client.usable) {
      await Promise.race([client.logout().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    client.close();
  }

  // ---- status ----------------------------------------------------------------------------

  private setState(s: WatcherState): void {
    if (this.st.state === s) return;
    this.st.state = s;
    this.emit();
  }

  private emit(): void {
    this.o.onStatus?.(this.status());
  }

  private succeeded(): void {
    this.st.failures = 0;
    this.st.error = null;
    this.st.nextRetryAt = null;
    this.st.lastSyncAt = Date.now();
  }

  private failed(err: unknown): InboxError {
    const c = classifyError(err, this.secretKind);
    const error: InboxError = { code: c.code, message: c.message, at: Date.now() };
    this.st.failures++;
    this.st.counters.errors++;
    this.st.error = error;
    this.st.state = 'error';
    this.st.nextRetryAt = null; // set by the loop once it knows the delay
    const lvl = CREDENTIAL_ERRORS.has(c.code) || this.st.failures === 1 ? 'warn' : 'info';
    this.log[lvl]({ evt: c.code === 'auth_failed' || c.code === 'token_rejected' ? 'INBOX_AUTH_FAILED' : 'INBOX_ERROR', code: c.code, failures: this.st.failures, message: c.message }, 'inbox error');
    this.emit();
    return error;
  }

  // ---- sync ------------------------------------------------------------------------------

  private async syncAll(client: ImapFlow): Promise<void> {
    this.setState('syncing');
    this.more = false;
    const sent = findSentFolder(await client.list(), this.o.account.sentFolder);
    if (sent !== this.st.sentFolder || !this.sentLooked) {
      this.sentLooked = true;
      if (!sent) this.log.warn({ evt: 'INBOX_SENT_FOLDER_MISSING' }, 'no Sent folder found: only sends reported through the API can be matched');
      this.st.sentFolder = sent;
    }
    if (sent) await this.syncSent(client, sent);
    await this.syncInbox(client);
    this.st.counters.syncs++;
  }

  /** Opens a folder and works out where to start: after the checkpoint, or from 1 on a new UIDVALIDITY. */
  private async open(client: ImapFlow, folder: string, readOnly: boolean): Promise<{ uidValidity: number; from: number; uidNext: number }> {
    const box = await client.mailboxOpen(folder, { readOnly });
    const uidValidity = Number(box.uidValidity);
    const uidNext = Number(box.uidNext);
    const cp = await stage('state_failed', () => this.o.state.checkpoint(this.o.account.id, folder));
    if (cp && cp.uidValidity !== uidValidity) {
      this.log.warn({ evt: 'INBOX_UIDVALIDITY_CHANGED', folder, was: cp.uidValidity, now: uidValidity }, 'UIDVALIDITY changed: reading the folder again');
    }
    const from = cp && cp.uidValidity === uidValidity ? cp.lastUid + 1 : 1;
    return { uidValidity, from, uidNext };
  }

  private async syncSent(client: ImapFlow, folder: string): Promise<void> {
    const { uidValidity, from, uidNext } = await this.open(client, folder, true);
    const end = Math.min(uidNext, from + this.o.maxMessagesPerSync);
    if (end < uidNext) this.more = true;
    for (let lo = from; lo < end && Date.now() < this.deadline; lo += this.o.batchSize) {
      const hi = Math.min(lo + this.o.batchSize - 1, end - 1);
      const batch: SentMessage[] = [];
      for (const m of await client.fetchAll(`${lo}:${hi}`, { uid: true, envelope: true, internalDate: true }, { uid: true })) {
        if (m.uid < lo || m.uid > hi) continue; // `n:m` never widens, but a server's extra answers are ignored
        const s = this.sentMessage(m);
        if (s) batch.push(s);
      }
      if (batch.length) await stage('state_failed', () => this.o.state.addSent(this.o.account.id, batch));
      await stage('state_failed', () => this.o.state.saveCheckpoint(this.o.account.id, folder, { uidValidity, lastUid: hi }));
      this.st.counters.sentIndexed += batch.length;
    }
  }

  private sentMessage(m: FetchMessageObject): SentMessage | null {
    const env = m.envelope;
    const messageId = bareMessageId(env?.messageId);
    if (!env || !messageId) return null; // nothing can refer to it
    const recipients = [...new Set([...addresses(env.to), ...addresses(env.cc), ...addresses(env.bcc)])];
    if (!recipients.length) return null;
    const date = env.date instanceof Date && !Number.isNaN(env.date.getTime()) ? env.date.getTime() : null;
    const internal = m.internalDate instanceof Date ? m.internalDate.getTime() : new Date(String(m.internalDate ?? 0)).getTime();
    return { messageId, recipients, subject: env.subject ?? null, sentAt: date ?? internal };
  }

  private async syncInbox(client: ImapFlow): Promise<void> {
    const moveTo = this.o.account.moveTo ?? null;
    if (moveTo && !this.moveSupported) this.log.warn({ evt: 'INBOX_MOVE_UNSUPPORTED' }, 'the server has no MOVE: found bounces stay in INBOX');
    const moving = Boolean(moveTo && this.moveSupported);
    if (moving) await this.ensureFolder(client, moveTo!);
    const { uidValidity, from, uidNext } = await this.open(client, INBOX, !moving);
    // what arrived before this SELECT is read now (up to its UIDNEXT); a later EXISTS wakes us again
    this.pendingWake = false;
    // at most maxMessagesPerSync UIDs this time: UIDs are at least as many as messages
    const end = Math.min(uidNext, from + this.o.maxMessagesPerSync);
    this.st.pendingUids = Math.max(0, uidNext - from);
    if (end < uidNext) this.more = true;
    const fetchChunk = (uids: number[]) =>
      uids.length ? client.fetchAll(uids.join(','), { uid: true, internalDate: true, source: { maxLength: this.o.maxMessageBytes } }, { uid: true }) : Promise.resolve([]);
    // One chunk ahead: the server sends the next chunk while this one is parsed (at most two
    // chunks held). imapflow runs commands in order, so a MOVE simply follows that FETCH.
    const plan = this.chunks(client, from, end);
    let cur = await plan.next();
    let curData = cur.done ? null : fetchChunk(cur.value.uids);
    while (!cur.done) {
      const next = await plan.next();
      const nextData = next.done ? null : fetchChunk(next.value.uids);
      nextData?.catch(() => undefined); // awaited in the next turn; a failure now surfaces there
      const toMove: number[] = [];
      for (const m of await curData!) {
        if (!m.source) continue;
        if (await this.scanMessage(m, uidValidity)) toMove.push(m.uid);
      }
      if (moving && toMove.length) {
        await client.messageMove(toMove.join(','), moveTo!, { uid: true });
        this.st.counters.moved += toMove.length;
      }
      const batchEnd = cur.value.batchEnd;
      if (batchEnd !== null) {
        await stage('state_failed', () => this.o.state.saveCheckpoint(this.o.account.id, INBOX, { uidValidity, lastUid: batchEnd }));
        this.st.pendingUids = Math.max(0, uidNext - 1 - batchEnd);
        // out of time: stop here, at a checkpoint (a chunk already asked for is dropped)
        if (Date.now() >= this.deadline) break;
      }
      cur = next;
      curData = nextData;
    }
  }

  /**
   * The UIDs to read, batch by batch (a checkpoint after each), each batch cut into chunks of at
   * most `chunkBytes` by the messages' sizes (RFC822.SIZE, capped at `maxMessageBytes`). The
   * last chunk of a batch carries the batch's end; an empty batch is one empty chunk.
   */
  private async *chunks(client: ImapFlow, from: number, uidNext: number): AsyncGenerator<{ uids: number[]; batchEnd: number | null }> {
    for (let lo = from; lo < uidNext; lo += this.o.batchSize) {
      const hi = Math.min(lo + this.o.batchSize - 1, uidNext - 1);
      const metas = (await client.fetchAll(`${lo}:${hi}`, { uid: true, size: true }, { uid: true })).filter((m) => m.uid >= lo && m.uid <= hi);
      const chunks: number[][] = [[]];
      let bytes = 0;
      for (const m of metas) {
        const b = Math.min(m.size ?? this.o.maxMessageBytes, this.o.maxMessageBytes);
        if (chunks[chunks.length - 1].length && bytes + b > this.o.chunkBytes) {
          chunks.push([]);
          bytes = 0;
        }
        chunks[chunks.length - 1].push(m.uid);
        bytes += b;
      }
      for (let i = 0; i < chunks.length; i++) yield { uids: chunks[i], batchEnd: i === chunks.length - 1 ? hi : null };
    }
  }

  private async ensureFolder(client: ImapFlow, path: string): Promise<void> {
    const list = await client.list();
    if (list.some((m) => m.path === path)) return;
    await client.mailboxCreate(path);
  }

  /** Reads one inbox message; hands its bounces to the sink. True when it holds a bounce of ours. */
  private async scanMessage(m: FetchMessageObject, uidValidity: number): Promise<boolean> {
    const id = this.o.account.id;
    const raw = m.source!;
    const receivedAt = m.internalDate instanceof Date ? m.internalDate.getTime() : new Date(String(m.internalDate ?? 0)).getTime();
    this.st.counters.scanned++;
    const a = analyseMessage(raw);
    const keys = lookupKeys(a);
    let sent: SentMessage[] = [];
    if (keys.messageIds.length) sent = await stage('state_failed', () => this.o.state.sentByMessageId(id, keys.messageIds));
    else if (keys.recipients.length) {
      const r = gatewayLookupRange(receivedAt, this.o.windowMs);
      sent = await stage('state_failed', () => this.o.state.sentToRecipients(id, keys.recipients, r.since, r.until));
    }
    const d = decide(a, sent, { receivedAt, windowMs: this.o.windowMs });
    if (d.skip) {
      this.st.counters.skipped[d.skip]++;
      if (d.skip !== 'not_a_bounce') this.log.debug({ evt: 'INBOX_MESSAGE_SKIPPED', uid: m.uid, why: d.skip }, 'not counted');
      return false;
    }
    const bounceMessageId = a.report?.messageId ?? null;
    for (const f of d.found) {
      const bounce: FoundBounce = {
        inboxId: id,
        folder: INBOX,
        uid: m.uid,
        uidValidity,
        method: f.method,
        sentMessageId: f.sentMessageId,
        recipient: f.recipient,
        verdict: f.verdict,
        bounceMessageId,
        dedupeKey: dedupeKey(bounceMessageId, raw, f.recipient),
        receivedAt,
        subjectMatched: f.subjectMatched,
      };
      if (await stage('state_failed', () => this.o.state.hasBounce(id, bounce.dedupeKey))) {
        this.st.counters.duplicates++;
        continue;
      }
      await stage('sink_failed', () => this.o.sink(bounce, raw));
      await stage('state_failed', () => this.o.state.rememberBounce(id, bounce.dedupeKey));
      this.st.counters.bounces[f.method]++;
      this.log.info({ evt: 'INBOX_BOUNCE_FOUND', uid: m.uid, method: f.method, reason: f.verdict.reason, type: f.verdict.type }, 'bounce found');
      this.log.debug({ evt: 'INBOX_BOUNCE_DETAIL', uid: m.uid, recipient: f.recipient, sentMessageId: f.sentMessageId }, 'bounce detail');
    }
    return true;
  }
}

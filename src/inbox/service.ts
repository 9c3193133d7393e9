// The daemon's side of connected inboxes: registering one (validated, its secret encrypted
// before it reaches the store), and watching them. Every few seconds the service looks at the
// registered inboxes (reconcile): each enabled one it can lease (several nodes on one
// database: one node watches an inbox at a time) gets a watcher of its own on a connection
// held open, waiting in IDLE (RFC 2177) where the server offers it, polling on it otherwise,
// so a new bounce is found within seconds. At most `inboxes.maxConnections` connections: with
// more inboxes than that, one connection is kept to give the others a bounded sync (messages
// per folder, bytes per message, time) in turn, each every pollIntervalSeconds, under a lease
// held for that sync only. Each outcome becomes the inbox's stored status, with the back-off
// of its error (credentials: 15 minutes, the user must act, and the inbox gives its
// connection back meanwhile; others exponential from 1 s to 5 min). One bad inbox is its own
// status, never the daemon's readiness.
//
// Leases: a watched inbox's lease (leaseMs, 60 s) is renewed at every reconcile (10 s); a node
// that dies holds it until it lapses, then the next node to reconcile takes the inbox over. A
// node that finds its lease taken (it was stalled past it) stops its watcher. A manual sync
// (`inboxes sync --once`, POST .../sync on a node that does not watch the inbox) takes no
// lease: it is an operator's explicit act, and the found bounces' dedupe keys make a sync
// beside a watcher harmless.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { PolicyRules } from '../policy/apply.js';
import { takeFoundBounce } from '../pipeline/inbox-intake.js';
import type { InboxRecord, InboxSyncStatus, NodeId, Store } from '../store/contract.js';
import { isStoreError } from '../store/contract.js';
import { CredentialError, decryptSecret, encryptSecret, parseCredentialKey } from './credentials.js';
import { InboxConfigError, validateAccount } from './imap.js';
import { StoreInboxState } from './store-state.js';
import { TLS_MODES, type InboxAccount, type InboxSecret, type InboxStatus, type TlsMode } from './types.js';
import { InboxWatcher, type SyncOutcome, type WatcherOptions } from './watcher.js';

export type InboxesConfig = Config['inboxes'];

/** Why a registration was refused (the API answers 400/404/409/503, the CLI exits 64/65/69). */
export const REGISTER_ERROR_CODES = ['invalid_inbox', 'plaintext_not_allowed', 'unknown_account', 'no_credential_key', 'conflict'] as const;
export type RegisterErrorCode = (typeof REGISTER_ERROR_CODES)[number];

export interface RegisterInput {
  accountId: string;
  host: string;
  port: number;
  tls: TlsMode;
  user: string;
  secret: InboxSecret;
  sentFolder?: string | null;
  moveTo?: string | null;
  windowHours?: number | null;
}

export type RegisterResult = { ok: true; inbox: InboxRecord } | { ok: false; code: RegisterErrorCode; message: string };

/** The configured keys: the current one first, then the previous ones (rotation). Empty: none configured. */
export function credentialKeys(cfg: Pick<InboxesConfig, 'credentialKey' | 'previousCredentialKeys'>): Buffer[] {
  if (!cfg.credentialKey) return [];
  return [cfg.credentialKey, ...cfg.previousCredentialKeys].map(parseCredentialKey);
}

const FOLDER_MAX = 255;

/** Checks, encrypts (bound to a new id) and stores an inbox. */
export async function registerInbox(store: Store, keys: readonly Buffer[], input: RegisterInput, now: number): Promise<RegisterResult> {
  if (!keys.length) return { ok: false, code: 'no_credential_key', message: 'inboxes.credentialKey is not configured: inbox credentials cannot be stored encrypted' };
  const bad = (message: string): RegisterResult => ({ ok: false, code: 'invalid_inbox', message });
  if (!TLS_MODES.includes(input.tls)) return bad(`tls must be one of ${TLS_MODES.join(', ')}`);
  if (typeof input.host !== 'string' || !/^[A-Za-z0-9.:[\]-]{1,255}$/.test(input.host)) return bad('host must be a host name or an IP address');
  if (typeof input.user !== 'string' || !input.user || input.user.length > 320 || /[\r\n\0]/.test(input.user)) return bad('user must be 1-320 characters, no line breaks');
  const secretText = input.secret.kind === 'password' ? input.secret.password : input.secret.accessToken;
  if (typeof secretText !== 'string' || !secretText || secretText.length > 16_384 || /[\r\n\0]/.test(secretText)) return bad('the password or token must be 1-16384 characters, no line breaks');
  for (const [name, v] of [['sentFolder', input.sentFolder], ['moveTo', input.moveTo]] as const) {
    if (v !== undefined && v !== null && (typeof v !== 'string' || !v || v.length > FOLDER_MAX || /[\r\n\0]/.test(v))) return bad(`${name} must be a folder path of 1-${FOLDER_MAX} characters`);
  }
  if (input.windowHours !== undefined && input.windowHours !== null && !(input.windowHours > 0 && input.windowHours <= 24 * 60)) return bad('windowHours must be in (0, 1440]');
  const id = `ibx_${randomUUID()}`;
  try {
    validateAccount({ id, host: input.host, port: input.port, tls: input.tls, user: input.user });
  } catch (err) {
    if (err instanceof InboxConfigError) return { ok: false, code: err.code === 'plaintext_not_allowed' ? 'plaintext_not_allowed' : 'invalid_inbox', message: err.message };
    throw err;
  }
  if (!(await store.accounts.exists(input.accountId))) return { ok: false, code: 'unknown_account', message: `no account ${input.accountId}` };
  const credentials = encryptSecret(input.secret, keys[0]!, id);
  try {
    const inbox = await store.inboxes.add(
      {
        id, accountId: input.accountId, host: input.host, port: input.port, tls: input.tls, user: input.user, auth: input.secret.kind, credentials,
        sentFolder: input.sentFolder ?? null, moveTo: input.moveTo ?? null, windowHours: input.windowHours ?? null,
      },
      now,
    );
    return { ok: true, inbox };
  } catch (err) {
    if (isStoreError(err) && err.code === 'conflict') return { ok: false, code: 'conflict', message: 'an inbox with that id exists' };
    throw err;
  }
}

export interface UpdateInput {
  /** A new password or access token (an OAuth2 token renewed by the application). */
  secret?: InboxSecret;
  enabled?: boolean;
  sentFolder?: string | null;
  moveTo?: string | null;
  windowHours?: number | null;
}

export type UpdateResult = { ok: true; inbox: InboxRecord } | { ok: false; code: 'invalid_inbox' | 'not_found' | 'no_credential_key'; message: string };

/** Changes an account's inbox; a new secret is encrypted (bound to the inbox id) and tried at the next run. */
export async function updateInbox(store: Store, keys: readonly Buffer[], accountId: string, id: string, input: UpdateInput): Promise<UpdateResult> {
  const bad = (message: string): UpdateResult => ({ ok: false, code: 'invalid_inbox', message });
  for (const [name, v] of [['sentFolder', input.sentFolder], ['moveTo', input.moveTo]] as const) {
    if (v !== undefined && v !== null && (typeof v !== 'string' || !v || v.length > FOLDER_MAX || /[\r\n\0]/.test(v))) return bad(`${name} must be a folder path of 1-${FOLDER_MAX} characters`);
  }
  if (input.windowHours !== undefined && input.windowHours !== null && !(input.windowHours > 0 && input.windowHours <= 24 * 60)) return bad('windowHours must be in (0, 1440]');
  let secret: { auth: InboxSecret['kind']; credentials: string } | undefined;
  if (input.secret) {
    if (!keys.length) return { ok: false, code: 'no_credential_key', message: 'inboxes.credentialKey is not configured' };
    const text = input.secret.kind === 'password' ? input.secret.password : input.secret.accessToken;
    if (typeof text !== 'string' || !text || text.length > 16_384 || /[\r\n\0]/.test(text)) return bad('the password or token must be 1-16384 characters, no line breaks');
    secret = { auth: input.secret.kind, credentials: encryptSecret(input.secret, keys[0]!, id) };
  }
  const { secret: _s, ...rest } = input;
  if (!(await store.inboxes.update(accountId, id, { ...rest, ...(secret ? { secret } : {}) }))) return { ok: false, code: 'not_found', message: 'No such inbox' };
  return { ok: true, inbox: (await store.inboxes.get(id))! };
}

export interface InboxServiceOptions {
  store: Store;
  rules: PolicyRules;
  log: Logger;
  config: InboxesConfig;
  /** This node (watch leases); default: this process. */
  node?: NodeId;
  /** After a sync that recorded bounces (wakes the webhook dispatcher). */
  onRecorded?: () => void;
  /** After every sync: the watcher's status before and after, the outcome (metrics). */
  onSynced?: (before: InboxStatus | null, after: InboxStatus, outcome: SyncOutcome) => void;
  /** After every reconcile: the ids of the registered inboxes (metrics drop the others' series). */
  onInboxes?: (ids: ReadonlySet<string>) => void | Promise<void>;
  /** Tests: back-off, batch sizes, IDLE renewal, polling. */
  watcher?: Partial<Pick<WatcherOptions, 'backoff' | 'batchSize' | 'chunkBytes' | 'random' | 'idleRenewMs' | 'forcePolling'>>;
  /** Bounded syncs at once (syncNow, kick) of a service that does not watch. Default 4. */
  concurrency?: number;
  /** Watching: how often the inboxes are reconciled and the leases renewed. Default 10 s. */
  reconcileMs?: number;
  /** Watching: a lease's length. Default 60 s (six renewals). */
  leaseMs?: number;
  clock?: () => number;
}

/** How often the watching service looks at the inboxes and renews its leases. */
export const RECONCILE_MS = 10_000;
/** A watch lease: a node that died gives its inboxes up this long after its last renewal. */
export const LEASE_MS = 60_000;

interface Held {
  watcher: InboxWatcher;
  /** The registration it was made from: a changed one makes a new watcher. */
  shape: string;
}

interface Watched extends Held {
  /** The watcher's status at its last sync (the metrics count the difference). */
  last: InboxStatus | null;
  /** Failures stored so far (the status's count goes on across watchers). */
  failures: number;
}

const CREDENTIAL_CODES = new Set(['auth_failed', 'token_rejected', 'credentials_unreadable']);

const shapeOf = (i: InboxRecord): string => JSON.stringify([i.host, i.port, i.tls, i.user, i.auth, i.sentFolder, i.moveTo, i.windowHours, i.accountId]);

export class InboxService {
  private readonly held = new Map<string, Held>();
  private readonly inFlight = new Map<string, Promise<SyncOutcome | null>>();
  /** Inboxes watched here (a connection held, IDLE or poll), under this node's lease. */
  private readonly watched = new Map<string, Watched>();
  private readonly keys: Buffer[];
  private readonly state: StoreInboxState;
  private readonly clock: () => number;
  private readonly node: NodeId;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private reconciling: Promise<void> | null = null;
  private again = false;

  constructor(private readonly o: InboxServiceOptions) {
    this.keys = credentialKeys(o.config);
    this.clock = o.clock ?? Date.now;
    this.state = new StoreInboxState(o.store, this.clock);
    this.node = o.node ?? `inbox-${process.pid}`;
  }

  get configured(): boolean {
    return this.keys.length > 0;
  }

  /** Whether this service watches (start() called, stop() not yet). */
  get watching(): boolean {
    return this.timer !== null;
  }

  /** Whether an inbox is due at `now` by its stored status: never synced, poll interval passed, back-off over. */
  isDue(i: InboxRecord, now: number): boolean {
    if (!i.enabled) return false;
    const s = i.status;
    if (s.nextAttemptAt !== null && s.nextAttemptAt > now) return false;
    if (s.state === 'error' || s.lastSyncAt === null) return true;
    return now - s.lastSyncAt >= this.o.config.pollIntervalSeconds * 1000;
  }

  /** The daemon: watches the inboxes until stop() (a reconcile now, then every reconcileMs). */
  start(): void {
    if (this.timer || this.stopped || !this.configured) return;
    this.timer = setInterval(() => void this.reconcile(), this.o.reconcileMs ?? RECONCILE_MS);
    this.timer.unref();
    void this.reconcile();
  }

  /**
   * Something changed (an inbox added, a secret replaced): a watching service reconciles now;
   * one that does not starts a bounded sync of every due inbox not already syncing, at most
   * `concurrency` at once, and returns without waiting for them (stop() does).
   */
  async kick(now: number): Promise<number> {
    if (this.stopped || !this.configured) return 0;
    if (this.timer) {
      await this.reconcile();
      return 0;
    }
    const due = (await this.o.store.inboxes.list()).filter((i) => this.isDue(i, now) && !this.inFlight.has(i.id));
    const room = Math.max(0, (this.o.concurrency ?? 4) - this.inFlight.size);
    // not awaited: start() catches its own failures; stop() waits for what is in flight
    for (const i of due.slice(0, room)) void this.startSync(i);
    return Math.min(due.length, room);
  }

  /** Syncs one inbox now, whatever its back-off (`inboxes sync --once`, POST .../sync); null: no such inbox. */
  async syncNow(id: string): Promise<SyncOutcome | null> {
    const w = this.watched.get(id);
    if (w?.watcher.watching) return w.watcher.requestSync();
    const running = this.inFlight.get(id);
    if (running) return running;
    const i = await this.o.store.inboxes.get(id);
    if (!i) return null;
    return this.startSync(i);
  }

  /** The watchers' statuses (metrics, readiness). */
  statuses(): InboxStatus[] {
    return [...this.held.values(), ...this.watched.values()].map((h) => h.watcher.status());
  }

  /** IMAP connections this node holds now or is opening: watchers not in a back-off, and bounded syncs. */
  connections(): number {
    let n = this.inFlight.size;
    for (const w of this.watched.values()) if (w.watcher.status().state !== 'error') n++;
    return n;
  }

  /**
   * Stops: no new sync; the watchers' connections (IDLE or not) and the syncs running are cut
   * at once (what they recorded stays, the next sync resumes at their last checkpoint), so
   * shutdown stays within a container's grace period whatever an IMAP server does; the leases
   * are given back, so another node takes the inboxes over at its next reconcile.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const id of this.inFlight.keys()) this.held.get(id)?.watcher.abort();
    const watched = [...this.watched.keys()];
    await Promise.allSettled([this.reconciling, ...watched.map((id) => this.unwatch(id, true)), ...this.inFlight.values()]);
  }

  /**
   * Stops without giving the leases back, as a node that dies would (tests of the takeover):
   * the connections close, the leases lapse on their own.
   */
  async abandon(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([this.reconciling, ...[...this.watched.keys()].map((id) => this.unwatch(id, false))]);
  }

  // ---- watching ------------------------------------------------------------------------

  /** One reconcile at a time; one asked for meanwhile runs after it. */
  private reconcile(): Promise<void> {
    if (this.reconciling) {
      this.again = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      do {
        this.again = false;
        try {
          await this.reconcileOnce(this.clock());
        } catch (err) {
          // the store failed: said, and tried again at the next reconcile
          this.o.log.error({ evt: 'INBOX_RECONCILE_FAILED', err: { code: (err as { code?: string })?.code, message: (err as Error)?.message } }, 'inbox reconcile failed');
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.reconciling = null));
    return this.reconciling;
  }

  private async reconcileOnce(now: number): Promise<void> {
    if (this.stopped) return;
    const all = await this.o.store.inboxes.list();
    await this.o.onInboxes?.(new Set(all.map((i) => i.id)));
    const byId = new Map(all.map((i) => [i.id, i]));
    const leaseMs = this.o.leaseMs ?? LEASE_MS;
    // 1. watchers no longer wanted here: removed, disabled, changed, lease lost, credentials refused
    for (const [id, w] of this.watched) {
      const i = byId.get(id);
      if (!i || !i.enabled || shapeOf(i) !== w.shape) {
        await this.unwatch(id, true);
        continue;
      }
      const st = w.watcher.status();
      if (st.state === 'error' && st.error && CREDENTIAL_CODES.has(st.error.code)) {
        // the user must act: the connection slot goes to others; the stored back-off brings it back
        this.o.log.info({ evt: 'INBOX_UNWATCHED', inbox: id, why: st.error.code }, 'inbox no longer watched until its credentials are fixed');
        await this.unwatch(id, true);
        continue;
      }
      if (!(await this.o.store.inboxes.acquireLease(id, this.node, now, leaseMs))) {
        this.o.log.warn({ evt: 'INBOX_LEASE_LOST', inbox: id, node: this.node }, 'another node took over the inbox');
        await this.unwatch(id, false);
      }
    }
    if (this.stopped) return;
    // 2. inboxes this node may take: enabled, not watched here, not leased by another node
    const mine = (i: InboxRecord) => i.lease === null || i.lease.until <= now || i.lease.node === this.node;
    const free = all.filter((i) => i.enabled && !this.watched.has(i.id) && mine(i));
    const max = this.o.config.maxConnections;
    // more than fit: one connection stays for the others' syncs in turn
    const cap = this.watched.size + free.length <= max ? max : max - 1;
    while (this.watched.size > cap) await this.unwatch([...this.watched.keys()].pop()!, true);
    for (const i of free) {
      if (this.watched.size >= cap || this.watched.size + this.inFlight.size >= max) break;
      if (this.inFlight.has(i.id)) continue;
      // an inbox in its back-off (a refused password) waits for it to end
      if (i.status.nextAttemptAt !== null && i.status.nextAttemptAt > now) continue;
      if (!(await this.o.store.inboxes.acquireLease(i.id, this.node, now, leaseMs))) continue;
      this.watch(i);
    }
    // 3. the rest: a bounded sync each when due, in turn, on what connections are left
    for (const i of free) {
      if (this.stopped || this.watched.has(i.id) || this.inFlight.has(i.id) || !this.isDue(i, now)) continue;
      if (this.watched.size + this.inFlight.size >= max) break;
      // held for the sync only (its time budget and a margin): the inbox stays free for a node with room to watch it
      if (!(await this.o.store.inboxes.acquireLease(i.id, this.node, now, this.o.config.syncTimeSeconds * 1000 + leaseMs))) continue;
      void this.startSync(i).finally(() => void this.o.store.inboxes.releaseLease(i.id, this.node).catch(() => undefined));
    }
  }

  private watch(i: InboxRecord): void {
    this.held.delete(i.id);
    const entry: Watched = { watcher: null as unknown as InboxWatcher, shape: shapeOf(i), last: null, failures: i.status.failures };
    entry.watcher = this.makeWatcher(i, (outcome) => this.watcherSynced(i, entry, outcome));
    this.watched.set(i.id, entry);
    entry.watcher.start();
    this.o.log.info({ evt: 'INBOX_WATCHING', inbox: i.id, node: this.node }, 'watching inbox');
  }

  private async unwatch(id: string, release: boolean): Promise<void> {
    const w = this.watched.get(id);
    if (!w) return;
    this.watched.delete(id);
    await w.watcher.stop();
    if (release) await this.o.store.inboxes.releaseLease(id, this.node).catch(() => false);
  }

  /** A watcher's sync round or failed attempt: the stored status, the log line, the metrics. */
  private async watcherSynced(i: InboxRecord, w: Watched, outcome: SyncOutcome): Promise<void> {
    const before = w.last;
    w.last = outcome.status;
    if (!outcome.ok) w.failures++;
    else w.failures = 0;
    const nextAttemptAt = outcome.ok ? null : (outcome.status.nextRetryAt ?? this.clock());
    try {
      await this.report(i, before, outcome, { failures: w.failures, nextAttemptAt });
    } catch (err) {
      this.o.log.error({ evt: 'INBOX_SYNC_FAILED', inbox: i.id, err: { code: (err as { code?: string })?.code, message: (err as Error)?.message } }, 'inbox status not stored');
    }
    // credentials refused: its connection slot and lease go now, not at the next reconcile
    // (not awaited: the reconcile stops this watcher, whose loop is waiting for this call)
    if (!outcome.ok && CREDENTIAL_CODES.has(outcome.error.code) && this.timer) void this.reconcile();
  }

  // ---- bounded syncs ---------------------------------------------------------------------

  private startSync(i: InboxRecord): Promise<SyncOutcome | null> {
    const p = this.syncRecord(i)
      .catch((err) => {
        // the store itself failed (the status could not be written): said once per sync, tried again next time
        this.o.log.error({ evt: 'INBOX_SYNC_FAILED', inbox: i.id, err: { code: (err as { code?: string })?.code, message: (err as Error)?.message } }, 'inbox sync failed');
        return null;
      })
      .finally(() => this.inFlight.delete(i.id));
    this.inFlight.set(i.id, p);
    return p;
  }

  private makeWatcher(i: InboxRecord, onSync?: (o: SyncOutcome) => Promise<void>): InboxWatcher {
    const account: InboxAccount = { id: i.id, host: i.host, port: i.port, tls: i.tls, user: i.user, sentFolder: i.sentFolder, moveTo: i.moveTo };
    const cfg = this.o.config;
    return new InboxWatcher({
      account,
      // read and decrypted at each connection: a replaced secret is picked up, a rotated key too
      secret: async () => {
        const blob = await this.o.store.inboxes.credentials(i.id);
        if (blob === null) throw new CredentialError('credentials_unreadable', 'the inbox was removed');
        return decryptSecret(blob, this.keys, i.id);
      },
      state: this.state,
      sink: async (b, raw) => {
        const r = await takeFoundBounce(this.o.store, this.o.rules, { id: i.id, accountId: i.accountId, user: i.user }, b, raw, this.clock(), { durable: Boolean(i.moveTo) });
        if (r.recorded) this.o.log.info({ evt: 'INBOX_BOUNCE_RECORDED', inbox: i.id, bounceId: r.bounceId, messageRow: r.messageRow, method: b.method }, 'one-to-one bounce recorded');
      },
      log: this.o.log,
      windowMs: (i.windowHours ?? cfg.windowHours) * 3600_000,
      maxMessageBytes: cfg.maxMessageBytes,
      maxMessagesPerSync: cfg.maxMessagesPerSync,
      pollIntervalMs: cfg.pollIntervalSeconds * 1000,
      ...(onSync ? { onSync } : {}),
      ...this.o.watcher,
    });
  }

  private watcherFor(i: InboxRecord): InboxWatcher {
    const shape = shapeOf(i);
    const had = this.held.get(i.id);
    if (had && had.shape === shape) return had.watcher;
    const watcher = this.makeWatcher(i);
    this.held.set(i.id, { watcher, shape });
    return watcher;
  }

  private async syncRecord(i: InboxRecord): Promise<SyncOutcome> {
    const w = this.watcherFor(i);
    const before = w.status();
    const outcome = await w.syncOnce({ timeBudgetMs: this.o.config.syncTimeSeconds * 1000 });
    // cut by stop(): not the inbox's fault, its status stays as it was
    if (!outcome.ok && this.stopped) return outcome;
    const st = outcome.status;
    const failures = outcome.ok ? 0 : Math.max(st.failures, i.status.failures + 1);
    await this.report(i, before, outcome, { failures, nextAttemptAt: outcome.ok ? null : this.clock() + w.retryDelay(outcome.error.code) });
    return outcome;
  }

  /** An outcome as the inbox's stored status; the log line; the metrics; the webhook kick. */
  private async report(i: InboxRecord, before: InboxStatus | null, outcome: SyncOutcome, at: { failures: number; nextAttemptAt: number | null }): Promise<void> {
    const st = outcome.status;
    const status: InboxSyncStatus = outcome.ok
      ? { state: 'ok', errorCode: null, errorMessage: null, errorAt: null, failures: 0, nextAttemptAt: null, lastSyncAt: st.lastSyncAt, counters: { ...st.counters, pendingUids: st.pendingUids } }
      : {
          state: 'error',
          errorCode: outcome.error.code,
          errorMessage: outcome.error.message,
          errorAt: outcome.error.at,
          failures: at.failures,
          nextAttemptAt: at.nextAttemptAt,
          lastSyncAt: st.lastSyncAt ?? i.status.lastSyncAt,
          counters: { ...st.counters, pendingUids: st.pendingUids },
        };
    // a removed inbox's status is not written back (the UPDATE finds no row)
    await this.o.store.inboxes.setStatus(i.id, status);
    const found = Object.values(st.counters.bounces).reduce((a, b) => a + b, 0) - (before ? Object.values(before.counters.bounces).reduce((a, b) => a + b, 0) : 0);
    this.o.log.info(
      { evt: outcome.ok ? 'INBOX_SYNCED' : 'INBOX_SYNC_ERROR', inbox: i.id, mode: st.mode, found, pendingUids: st.pendingUids, ...(outcome.ok ? {} : { code: outcome.error.code, retryAt: status.nextAttemptAt }) },
      outcome.ok ? 'inbox synced' : 'inbox sync failed',
    );
    if (found > 0) this.o.onRecorded?.();
    this.o.onSynced?.(before, st, outcome);
  }

  /** Forgets a removed inbox: its watcher stopped, its metric series dropped (a reconcile now). */
  forget(id: string): void {
    this.held.delete(id);
    if (this.timer) void this.reconcile();
  }
}

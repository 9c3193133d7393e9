// The daemon's side of connected inboxes: registering one (validated, its secret encrypted
// before it reaches the store), and syncing them on the scheduler's `inbox-sync` job. Each
// due inbox gets one bounded sync (messages per folder, bytes per message, time) on its own
// connection, in the background so no other job waits for an IMAP server; its outcome
// becomes the inbox's stored status, with the back-off of its error (credentials: 15
// minutes, the user must act; others exponential from 1 s to 5 min). One bad inbox is its
// own status, never the daemon's readiness.
//
// Why scheduled syncs and not a watcher per inbox held in IDLE: the scheduler is what every
// periodic piece of the daemon runs on (a cadence, a stored last run, one place to stop),
// and a sync bounded in time and size cannot hold a connection or memory for long. IDLE's
// seconds of latency do not matter for bounce statistics; the poll interval is configurable.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { PolicyRules } from '../policy/apply.js';
import { takeFoundBounce } from '../pipeline/inbox-intake.js';
import type { InboxRecord, InboxSyncStatus, Store } from '../store/contract.js';
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
  /** After a sync that recorded bounces (wakes the webhook dispatcher). */
  onRecorded?: () => void;
  /** After every sync: the watcher's status before and after, the outcome (metrics). */
  onSynced?: (before: InboxStatus | null, after: InboxStatus, outcome: SyncOutcome) => void;
  /** Tests: back-off, batch sizes. */
  watcher?: Partial<Pick<WatcherOptions, 'backoff' | 'batchSize' | 'chunkBytes' | 'random'>>;
  /** Syncs at once across inboxes. Default 4. */
  concurrency?: number;
  clock?: () => number;
}

interface Held {
  watcher: InboxWatcher;
  /** The registration it was made from: a changed one makes a new watcher. */
  shape: string;
}

export class InboxService {
  private readonly held = new Map<string, Held>();
  private readonly inFlight = new Map<string, Promise<SyncOutcome | null>>();
  private readonly keys: Buffer[];
  private readonly state: StoreInboxState;
  private readonly clock: () => number;
  private stopped = false;

  constructor(private readonly o: InboxServiceOptions) {
    this.keys = credentialKeys(o.config);
    this.clock = o.clock ?? Date.now;
    this.state = new StoreInboxState(o.store, this.clock);
  }

  get configured(): boolean {
    return this.keys.length > 0;
  }

  /** Whether an inbox is due at `now` by its stored status: never synced, poll interval passed, back-off over. */
  isDue(i: InboxRecord, now: number): boolean {
    if (!i.enabled) return false;
    const s = i.status;
    if (s.nextAttemptAt !== null && s.nextAttemptAt > now) return false;
    if (s.state === 'error' || s.lastSyncAt === null) return true;
    return now - s.lastSyncAt >= this.o.config.pollIntervalSeconds * 1000;
  }

  /**
   * The scheduler's job: starts a sync of every due inbox not already syncing, at most
   * `concurrency` at once, and returns without waiting for them (stop() does).
   */
  async kick(now: number): Promise<number> {
    if (this.stopped || !this.configured) return 0;
    const due = (await this.o.store.inboxes.list()).filter((i) => this.isDue(i, now) && !this.inFlight.has(i.id));
    const room = Math.max(0, (this.o.concurrency ?? 4) - this.inFlight.size);
    // not awaited: start() catches its own failures; stop() waits for what is in flight
    for (const i of due.slice(0, room)) void this.start(i);
    return Math.min(due.length, room);
  }

  /** Syncs one inbox now, whatever its back-off (`inboxes sync --once`, POST .../sync); null: no such inbox. */
  async syncNow(id: string): Promise<SyncOutcome | null> {
    const running = this.inFlight.get(id);
    if (running) return running;
    const i = await this.o.store.inboxes.get(id);
    if (!i) return null;
    return this.start(i);
  }

  /** The watchers' statuses (metrics, readiness). */
  statuses(): InboxStatus[] {
    return [...this.held.values()].map((h) => h.watcher.status());
  }

  /**
   * Stops: no new sync; those running are cut at once (their connections closed; what they
   * recorded stays, the next sync resumes at their last checkpoint), so shutdown stays within
   * a container's grace period whatever an IMAP server does.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const id of this.inFlight.keys()) this.held.get(id)?.watcher.abort();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private start(i: InboxRecord): Promise<SyncOutcome | null> {
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

  private watcherFor(i: InboxRecord): InboxWatcher {
    const shape = JSON.stringify([i.host, i.port, i.tls, i.user, i.auth, i.sentFolder, i.moveTo, i.windowHours, i.accountId]);
    const had = this.held.get(i.id);
    if (had && had.shape === shape) return had.watcher;
    const account: InboxAccount = { id: i.id, host: i.host, port: i.port, tls: i.tls, user: i.user, sentFolder: i.sentFolder, moveTo: i.moveTo };
    const cfg = this.o.config;
    const watcher = new InboxWatcher({
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
      ...this.o.watcher,
    });
    this.held.set(i.id, { watcher, shape });
    return watcher;
  }

  private async syncRecord(i: InboxRecord): Promise<SyncOutcome> {
    const w = this.watcherFor(i);
    const before = w.status();
    const t0 = this.clock();
    const outcome = await w.syncOnce({ timeBudgetMs: this.o.config.syncTimeSeconds * 1000 });
    const st = outcome.status;
    const now = this.clock();
    const status: InboxSyncStatus = outcome.ok
      ? { state: 'ok', errorCode: null, errorMessage: null, errorAt: null, failures: 0, nextAttemptAt: null, lastSyncAt: st.lastSyncAt, counters: { ...st.counters, pendingUids: st.pendingUids } }
      : {
          state: 'error',
          errorCode: outcome.error.code,
          errorMessage: outcome.error.message,
          errorAt: outcome.error.at,
          failures: Math.max(st.failures, i.status.failures + 1),
          nextAttemptAt: now + w.retryDelay(outcome.error.code),
          lastSyncAt: st.lastSyncAt ?? i.status.lastSyncAt,
          counters: { ...st.counters, pendingUids: st.pendingUids },
        };
    // cut by stop(): not the inbox's fault, its status stays as it was
    if (!outcome.ok && this.stopped) return outcome;
    // a removed inbox's status is not written back (the UPDATE finds no row)
    await this.o.store.inboxes.setStatus(i.id, status);
    const found = Object.values(st.counters.bounces).reduce((a, b) => a + b, 0) - (before ? Object.values(before.counters.bounces).reduce((a, b) => a + b, 0) : 0);
    this.o.log.info(
      { evt: outcome.ok ? 'INBOX_SYNCED' : 'INBOX_SYNC_ERROR', inbox: i.id, ms: now - t0, found, pendingUids: st.pendingUids, ...(outcome.ok ? {} : { code: outcome.error.code, retryAt: status.nextAttemptAt }) },
      outcome.ok ? 'inbox synced' : 'inbox sync failed',
    );
    if (found > 0) this.o.onRecorded?.();
    this.o.onSynced?.(before, st, outcome);
    return outcome;
  }

  /** Forgets a removed inbox's watcher. */
  forget(id: string): void {
    this.held.delete(id);
  }
}

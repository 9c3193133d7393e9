// The IMAP side of a watcher, kept in one place: imapflow options from an inbox account, the
// mapping of imapflow's and Node's errors onto our error codes, and finding the Sent folder.
import { isIP } from 'node:net';
import { ImapFlow, type ImapFlowOptions, type ListResponse } from 'imapflow';
import type { Logger } from '../log.js';
import { CredentialError } from './credentials.js';
import type { InboxAccount, InboxErrorCode, InboxSecret } from './types.js';

export class InboxConfigError extends Error {
  override name = 'InboxConfigError';
  constructor(
    readonly code: 'plaintext_not_allowed' | 'invalid_account',
    message: string,
  ) {
    super(message);
  }
}

/** Loopback: the only place a cleartext IMAP connection (and its password) may go. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/** Checks an account before any connection (a registration error, not a runtime one). */
export function validateAccount(a: InboxAccount): void {
  if (!a.id || !a.host || !a.user) throw new InboxConfigError('invalid_account', 'an inbox needs an id, a host and a user');
  if (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535) throw new InboxConfigError('invalid_account', `port ${a.port} is not a TCP port`);
  if (a.tls === 'none' && !isLoopbackHost(a.host)) {
    throw new InboxConfigError('plaintext_not_allowed', 'tls "none" is allowed only for loopback hosts: the password would cross the network in clear text (use "implicit" or "starttls")');
  }
}

/** Limits on what a server may send (a broken or hostile server must not exhaust memory). */
export interface ImapLimits {
  /** Largest literal accepted: a fetched message body, a header block. */
  maxLiteralBytes: number;
}

/**
 * imapflow logs bunyan-style objects, some carrying message data and the server's words; they
 * go to debug with only what identifies the connection (never `auth`, never raw frames).
 */
function imapLogger(log: Logger) {
  const at =
    (lvl: 'debug' | 'warn') =>
    (o: unknown): void => {
      const r = (o ?? {}) as { msg?: unknown; cid?: unknown; err?: { code?: unknown; message?: unknown } };
      log[lvl]({ cid: r.cid, err: r.err ? { code: r.err.code, message: r.err.message } : undefined }, typeof r.msg === 'string' ? r.msg.slice(0, 300) : 'imap');
    };
  return { debug: at('debug'), info: at('debug'), trace: () => {}, warn: at('warn'), error: at('warn'), fatal: at('warn') };
}

/**
 * imapflow's choice of the password login, narrowed: SASL PLAIN when the server offers it (as
 * imapflow prefers), else the LOGIN command (RFC 3501 6.2.3, RFC 9051 6.2.3), never SASL LOGIN.
 * imapflow reads the server's SASL LOGIN prompt (a base64 continuation line, up to maxLineLength)
 * with /[:\x00]*$/, which backtracks quadratically: a server that offers only AUTH=LOGIN and
 * sends a prompt of 64 KiB of ':' before one other byte held the thread about 6 s (3 MiB: hours),
 * before any login (test/security/redos-deps.test.ts). Both send the password once, inside the
 * same connection; imapflow reads `auth.loginMethod` when it logs in, after the capabilities.
 */
export function passwordLoginMethod(capabilities: ReadonlyMap<string, unknown> | undefined): '' | 'LOGIN' {
  return capabilities?.has('AUTH=PLAIN') ? '' : 'LOGIN';
}

/** The longest BODY[...] / BINARY[...] section name a server may send back (ours are `BODY[]`). */
export const MAX_SECTION_CHARS = 1024;

/**
 * Where a response line (imapflow's payload: the line's bytes, each literal's replaced by its
 * `{n}` marker) names a FETCH item `BODY[...]` or `BINARY[...]` whose section is longer than
 * MAX_SECTION_CHARS or holds a literal; -1 when it names none. Outside quoted strings only: an
 * ENVELOPE's subject may say anything. One pass over the bytes.
 */
export function oversizedSection(payload: Uint8Array): number {
  const upper = (c: number) => (c >= 97 && c <= 122 ? c - 32 : c);
  const endsWith = (i: number, word: string) => {
    if (i < word.length) return false;
    for (let k = 0; k < word.length; k++) if (upper(payload[i - word.length + k]!) !== word.charCodeAt(k)) return false;
    return true;
  };
  let quoted = false;
  for (let i = 0; i < payload.length; i++) {
    const c = payload[i]!;
    if (quoted) {
      if (c === 92) i++; // a quoted-special escaped with a backslash
      else if (c === 34) quoted = false;
      continue;
    }
    if (c === 34) quoted = true;
    else if (c === 91 && (endsWith(i, 'BODY') || endsWith(i, 'BINARY'))) {
      let j = i + 1;
      while (j < payload.length && j - i <= MAX_SECTION_CHARS && payload[j] !== 93 && payload[j] !== 123) j++;
      if (j >= payload.length || payload[j] !== 93) return i;
      i = j;
    }
  }
  return -1;
}

/**
 * imapflow with one guard before it reads a response: it takes the name of every FETCH item apart
 * with /\.fields.*$/g (tools.js formatMessageResponse), which backtracks quadratically over a name
 * that holds a character '.' does not match (U+2028 in a UTF-8 line, a LF in a literal): a hostile
 * or compromised server's 56 KB name held the thread 0.5 s, a 4 MiB line would hold it for an hour
 * (test/security/redos-deps-api-inbox.test.ts). bounced asks only for `BODY[]` (the source), so a
 * section name longer than MAX_SECTION_CHARS, or one holding a literal, is no answer to it: the
 * response fails the connection (imapflow's own fail-closed path for a response it cannot
 * process) before it is parsed, and the watcher retries later with its backoff.
 */
class GuardedImapFlow extends ImapFlow {
  async handleResponse(data: { payload: Buffer }): Promise<boolean> {
    const at = oversizedSection(data.payload);
    if (at >= 0) throw new Error(`the server named a FETCH item section over ${MAX_SECTION_CHARS} characters or holding a literal (at byte ${at})`);
    return (ImapFlow.prototype as unknown as { handleResponse(d: unknown): Promise<boolean> }).handleResponse.call(this, data);
  }
}

/** The client of an inbox: the options below, the login method chosen from the server's capabilities. */
export function imapClient(a: InboxAccount, secret: InboxSecret, log: Logger, limits: ImapLimits): ImapFlow {
  let client: ImapFlow | null = null;
  client = new GuardedImapFlow(clientOptions(a, secret, log, limits, () => client?.capabilities));
  return client;
}

export function clientOptions(a: InboxAccount, secret: InboxSecret, log: Logger, limits: ImapLimits, capabilities: () => ReadonlyMap<string, unknown> | undefined = () => undefined): ImapFlowOptions {
  const auth: ImapFlowOptions['auth'] =
    secret.kind === 'password'
      ? {
          user: a.user,
          pass: secret.password,
          get loginMethod() {
            return passwordLoginMethod(capabilities());
          },
        }
      : { user: a.user, accessToken: secret.accessToken };
  return {
    host: a.host,
    port: a.port,
    // implicit: TLS from the first byte; starttls: STARTTLS or fail (never a silent downgrade)
    secure: a.tls === 'implicit',
    doSTARTTLS: a.tls === 'starttls' ? true : a.tls === 'none' ? false : undefined,
    tls: { minVersion: 'TLSv1.2', ...(a.ca ? { ca: a.ca } : {}) },
    auth,
    clientInfo: { name: 'bounced' },
    logger: imapLogger(log) as unknown as ImapFlowOptions['logger'],
    logRaw: false,
    // IDLE is started and stopped by the watcher itself
    disableAutoIdle: true,
    connectionTimeout: 30_000,
    greetingTimeout: 16_000,
    // an IDLE is renewed well within this (RFC 2177: servers may drop one after 30 minutes)
    socketTimeout: 35 * 60_000,
    maxLiteralSize: limits.maxLiteralBytes,
    maxResponseSize: limits.maxLiteralBytes * 2 + 1024 * 1024,
    maxLineLength: 4 * 1024 * 1024,
  };
}

const UNREACHABLE = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE',
  'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'ETIMEOUT', 'NoConnection', 'EConnectionClosed', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS',
]);

export interface ClassifiedError {
  code: InboxErrorCode;
  message: string;
  /** Wait at least this long before the next try (a server's throttle hint), ms. */
  retryAfterMs: number | null;
}

/** Tags an error from the injected state or sink, so it is not mistaken for the server's. */
export class StageError extends Error {
  constructor(
    readonly code: 'state_failed' | 'sink_failed',
    override readonly cause: unknown,
  ) {
    super(`${code === 'state_failed' ? 'inbox state' : 'bounce sink'}: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** An error, as an inbox status. Messages are the server's or the library's, cut short. */
export function classifyError(err: unknown, secret: InboxSecret['kind'] | null): ClassifiedError {
  const e = (err ?? {}) as {
    code?: string; message?: string; authenticationFailed?: boolean; serverResponseCode?: string; responseText?: string;
    tlsFailed?: boolean; mailboxMissing?: boolean; throttleReset?: number; responseStatus?: string;
  };
  const message = String(e.responseText || e.message || err).slice(0, 300);
  const out = (code: InboxErrorCode, retryAfterMs: number | null = null): ClassifiedError => ({ code, message, retryAfterMs });
  if (err instanceof StageError) return out(err.code);
  if (err instanceof CredentialError) return out('credentials_unreadable');
  if (e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED' || e.serverResponseCode === 'AUTHORIZATIONFAILED') {
    return out(secret === 'xoauth2' ? 'token_rejected' : 'auth_failed');
  }
  if (e.serverResponseCode === 'EXPIRED' && secret === 'xoauth2') return out('token_rejected');
  if (e.code === 'ETHROTTLE') return out('throttled', typeof e.throttleReset === 'number' ? e.throttleReset : null);
  if (e.tlsFailed || (e.code && (/^ERR_(?:TLS|SSL)_/.test(e.code) || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(e.code)))) return out('tls_failed');
  if (e.code && UNREACHABLE.has(e.code)) return out('unreachable');
  if (e.mailboxMissing || e.serverResponseCode === 'NONEXISTENT' || e.serverResponseCode === 'TRYCREATE') return out('mailbox_error');
  return out('protocol_error');
}

/** Names of Sent folders on servers that mark none with `\Sent` (imapflow's own list covers many more languages). */
const SENT_NAMES = ['sent', 'sent items', 'sent messages', 'sent mail', 'inbox.sent', 'inbox/sent', '[gmail]/sent mail', 'gesendet', 'gesendete elemente', 'envoyés', 'éléments envoyés', 'enviados', 'elementos enviados', 'posta inviata', 'verzonden items'];

/**
 * The Sent folder: the configured one; else the one the server marks `\Sent` (RFC 6154
 * special-use); else the one imapflow recognises by name; else a common English/European name.
 */
export function findSentFolder(list: ListResponse[], configured: string | null | undefined): string | null {
  const usable = list.filter((m) => !m.flags.has('\\Noselect') && !m.flags.has('\\NonExistent'));
  if (configured) return usable.find((m) => m.path === configured)?.path ?? null;
  const bySource = (src: string) => usable.find((m) => m.specialUse === '\\Sent' && m.specialUseSource === src)?.path;
  const flagged = usable.find((m) => m.flags.has('\\Sent'))?.path;
  const named = usable.find((m) => SENT_NAMES.includes(m.path.toLowerCase()))?.path;
  return bySource('extension') ?? flagged ?? bySource('user') ?? bySource('name') ?? named ?? null;
}

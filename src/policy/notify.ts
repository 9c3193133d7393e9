import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { NotificationRepo } from '../store/contract.js';
import { retryDelay } from './rules.js';

// Sends the notifications outbox through the configured SMTP relay. Each mail is marked
// sent (or failed, with its next attempt) in its own short write after the SMTP answer:
// never an await inside a transaction. A relay outage only delays; nothing is dropped. A
// crash between the relay's 250 and the mark sends that one mail twice (at least once).

/** Why an attempt failed, as a stable code (the notification's lastError starts with it). */
export type NotifyFailure = 'auth_failed' | 'tls_failed' | 'unreachable' | 'refused';

/**
 * The relay connection from `notify.*`. A submission service (RFC 6409) wants AUTH (RFC 4954)
 * over TLS: implicit TLS on 465 (RFC 8314 prefers it) or STARTTLS (RFC 3207) on 587. The
 * certificate is always verified, against the system's CAs and `relayCaFile`'s; a password is
 * never sent in clear: with a user, `opportunistic` STARTTLS becomes required (only `none`,
 * meant for a relay on loopback, allows AUTH without TLS).
 */
export function relayOptions(notify: Config['notify'], readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): SMTPTransport.Options {
  let ca: string[] | undefined;
  if (notify.relayCaFile) {
    try {
      // Node's `ca` replaces the default roots; keep them beside the private CA.
      ca = [...rootCertificates, readFile(notify.relayCaFile)];
    } catch (err) {
      throw new Error(`notify.relayCaFile: cannot read ${notify.relayCaFile}: ${(err as Error).message}`, { cause: err });
    }
  }
  const auth = notify.relayUser !== '';
  return {
    host: notify.relayHost,
    port: notify.relayPort,
    secure: notify.relayTls === 'implicit',
    requireTLS: notify.relayTls === 'starttls' || (notify.relayTls === 'opportunistic' && auth),
    ignoreTLS: notify.relayTls === 'none',
    ...(auth ? { auth: { user: notify.relayUser, pass: notify.relayPassword } } : {}),
    tls: { rejectUnauthorized: true, ...(ca ? { ca } : {}) },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  };
}

/** nodemailer's error -> our code; its message names the server's reply, never the password. */
export function notifyFailure(err: unknown): NotifyFailure {
  const e = err as { code?: string; responseCode?: number; cause?: { code?: string } } | undefined;
  const code = e?.code ?? '';
  if (code === 'EAUTH' || e?.responseCode === 535 || e?.responseCode === 534) return 'auth_failed';
  // ETLS: STARTTLS missing or failed; a certificate that does not verify fails the TLS socket itself.
  if (code === 'ETLS' || /cert|ssl|tls|self.signed|verify/i.test(`${code} ${e?.cause?.code ?? ''} ${(err as Error)?.message ?? ''}`)) return 'tls_failed';
  if (typeof e?.responseCode === 'number' && e.responseCode >= 400) return 'refused';
  return 'unreachable';
}

export interface NotifyResult {
  sent: number;
  failed: number;
}

export async function sendDueNotifications(repo: NotificationRepo, config: Config, now: number, log?: Logger): Promise<NotifyResult> {
  const result: NotifyResult = { sent: 0, failed: 0 };
  if (!config.notify.enabled) return result;
  const due = await repo.due(now);
  if (!due.length) return result;
  const transport = nodemailer.createTransport(relayOptions(config.notify));
  try {
    for (const n of due) {
      let sent: boolean;
      let error = '';
      let code: NotifyFailure | undefined;
      try {
        await transport.sendMail({ from: config.notify.from, to: n.recipient, subject: n.subject, text: n.body, headers: { 'Auto-Submitted': 'auto-generated' } });
        sent = true;
      } catch (err) {
        sent = false;
        code = notifyFailure(err);
        error = `${code}: ${(err as Error)?.message ?? String(err)}`;
      }
      // A store fault here is the job's failure (retried at its next run), not the relay's.
      if (sent) {
        await repo.markSent(n.id, now);
        result.sent++;
      } else {
        await repo.markFailed(n.id, now + retryDelay(n.attempts + 1, config.notify.retryBaseMs, config.notify.retryMaxMs), error);
        log?.warn({ evt: 'NOTIFY_FAILED', notification: n.id, attempts: n.attempts + 1, code, error }, 'notification not sent; will retry');
        result.failed++;
      }
    }
  } finally {
    transport.close();
  }
  return result;
}

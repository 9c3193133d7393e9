import nodemailer from 'nodemailer';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { NotificationRepo } from '../store/contract.js';
import { retryDelay } from './rules.js';

// Sends the notifications outbox through the configured SMTP relay. Each mail is marked
// sent (or failed, with its next attempt) in its own short write after the SMTP answer:
// never an await inside a transaction. A relay outage only delays; nothing is dropped. A
// crash between the relay's 250 and the mark sends that one mail twice (at least once).

export interface NotifyResult {
  sent: number;
  failed: number;
}

export async function sendDueNotifications(repo: NotificationRepo, config: Config, now: number, log?: Logger): Promise<NotifyResult> {
  const result: NotifyResult = { sent: 0, failed: 0 };
  if (!config.notify.enabled) return result;
  const due = await repo.due(now);
  if (!due.length) return result;
  const transport = nodemailer.createTransport({
    host: config.notify.relayHost,
    port: config.notify.relayPort,
    secure: false,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  try {
    for (const n of due) {
      let sent: boolean;
      let error = '';
      try {
        await transport.sendMail({ from: config.notify.from, to: n.recipient, subject: n.subject, text: n.body, headers: { 'Auto-Submitted': 'auto-generated' } });
        sent = true;
      } catch (err) {
        sent = false;
        error = (err as Error)?.message ?? String(err);
      }
      // A store fault here is the job's failure (retried at its next run), not the relay's.
      if (sent) {
        await repo.markSent(n.id, now);
        result.sent++;
      } else {
        await repo.markFailed(n.id, now + retryDelay(n.attempts + 1, config.notify.retryBaseMs, config.notify.retryMaxMs), error);
        log?.warn({ evt: 'NOTIFY_FAILED', notification: n.id, attempts: n.attempts + 1, error }, 'notification not sent; will retry');
        result.failed++;
      }
    }
  } finally {
    transport.close();
  }
  return result;
}

// The inbox fixtures (fixtures/inbox, built by fixtures/inbox/build.mjs) as the tests use them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { headerValue, readMail } from '../../src/parser/mime.js';
import { findAddresses } from '../../src/parser/smtp-text.js';
import type { SentMessage } from '../../src/inbox/types.js';
import { fixturesDir } from './env.js';

export const inboxFixture = (name: string): Buffer => readFileSync(join(fixturesDir, 'inbox', name));

export const SENT_FILES = ['sent-quote.eml', 'sent-followup.eml', 'sent-intro.eml', 'sent-hello.eml', 'sent-old.eml'] as const;
export const INBOX_FILES = [
  'dsn-postfix.eml',
  'ndr-exchange.eml',
  'ndr-reply-no-original.eml',
  'notice-gateway.eml',
  'notice-gateway-stale.eml',
  'auto-reply.eml',
  'reply-human.eml',
  'newsletter.eml',
] as const;

/** The Date header of a fixture (APPENDed with it as the internal date, as delivery would). */
export function dateOf(raw: Buffer): Date {
  const v = headerValue(readMail(raw).headers, 'date');
  const d = new Date(v ?? '');
  if (Number.isNaN(d.getTime())) throw new Error('fixture without a Date');
  return d;
}

/** A Sent fixture as the sent index holds it (what the watcher reads from the IMAP ENVELOPE). */
export function sentOf(name: string): SentMessage {
  const raw = inboxFixture(name);
  const h = readMail(raw).headers;
  const rcpts = ['to', 'cc', 'bcc'].flatMap((n) => findAddresses(headerValue(h, n) ?? ''));
  return {
    messageId: /<([^>]+)>/.exec(headerValue(h, 'message-id') ?? '')![1],
    recipients: [...new Set(rcpts)],
    subject: headerValue(h, 'subject'),
    sentAt: dateOf(raw).getTime(),
  };
}

// Synthetic RFC 3464 delivery reports of any size, built with nodemailer's MailComposer
// (multipart/report, RFC 6522), for the budget, bounds and isolation tests and the hostile bench.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

export interface DsnSpec {
  /** Number of recipient blocks. */
  recipients: number;
  /** Address of block i (default user<i>@example.com). */
  recipient?: (i: number) => string;
  /** Diagnostic-Code text of block i, or null for none (default: a short 550). */
  diagnostic?: (i: number) => string | null;
  /** The per-message Reporting-MTA name. */
  reportingMta?: string;
  /** Message-ID of the report (unique per report, so that none is a duplicate). */
  messageId: string;
  to?: string;
}

export function buildDsn(spec: DsnSpec): Promise<Buffer> {
  const rcpt = spec.recipient ?? ((i: number) => `user${i}@example.com`);
  const diag = spec.diagnostic ?? ((i: number) => `smtp; 550 5.1.1 <${rcpt(i)}>: Recipient address rejected: User unknown`);
  const blocks: string[] = [`Reporting-MTA: dns; ${spec.reportingMta ?? 'mx.example.org'}`, ''];
  for (let i = 0; i < spec.recipients; i++) {
    const d = diag(i);
    blocks.push(`Final-Recipient: rfc822; ${rcpt(i)}`, 'Action: failed', 'Status: 5.1.1', ...(d === null ? [] : [`Diagnostic-Code: ${d}`]), '');
  }
  const root = new MailComposer({
    from: 'Mail Delivery System <MAILER-DAEMON@mx.example.org>',
    to: spec.to ?? 'postmaster@bounces.test',
    subject: 'Undelivered Mail Returned to Sender',
    messageId: spec.messageId,
    headers: { 'Auto-Submitted': 'auto-replied' },
    text: 'This is the mail system at host mx.example.org.\n\nYour message could not be delivered to one or more recipients.\n',
    attachments: [
      { contentType: 'message/delivery-status', content: blocks.join('\r\n'), contentDisposition: 'inline', contentTransferEncoding: '7bit' },
      { contentType: 'text/rfc822-headers', content: 'From: sender@example.com\r\nSubject: news\r\nMessage-ID: <orig@example.com>\r\n', contentDisposition: 'inline', contentTransferEncoding: '7bit' },
    ],
  }).compile();
  // MailComposer makes multipart/mixed; a DSN is multipart/report (RFC 6522).
  root.setHeader('Content-Type', 'multipart/report; report-type=delivery-status');
  return new Promise((resolve, reject) => root.build((err, raw) => (err ? reject(err) : resolve(raw))));
}

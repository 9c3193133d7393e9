// Synthetic reports for the policy scenarios, built with nodemailer's MIME builder (not
// hand-typed MIME): an RFC 3464 DSN for one recipient, and an RFC 5965 ARF complaint.
import MimeNode from 'nodemailer/lib/mime-node';

const DATE = 'Mon, 23 Nov 2026 02:44:41 +0000';

export type Failure = 'unknown_user' | 'mailbox_full' | 'policy' | 'spam' | 'blocked';

/** A status and diagnostic the classifier reads as the named failure. */
export const FAILURES: Record<Failure, { status: string; diagnostic: string }> = {
  unknown_user: { status: '5.1.1', diagnostic: '550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table' },
  mailbox_full: { status: '5.2.2', diagnostic: '552 5.2.2 <{rcpt}>: Mailbox full - user quota exceeded' },
  policy: { status: '5.7.26', diagnostic: '550 5.7.26 This mail is unauthenticated, which poses a security risk to the sender: DMARC policy of the sender domain rejects it' },
  spam: { status: '5.7.1', diagnostic: '554 5.7.1 <{rcpt}>: Message rejected as spam by content filter' },
  blocked: { status: '5.7.1', diagnostic: '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org' },
};

export async function dsn(o: {
  returnPath: string;
  recipient: string;
  failure: Failure;
  n: number | string;
  /** Further header lines of the returned message, CRLF-terminated (e.g. its List-Unsubscribe). */
  originalHeaders?: string;
}): Promise<Buffer> {
  const f = FAILURES[o.failure];
  const diagnostic = f.diagnostic.replace('{rcpt}', o.recipient);
  const root = new MimeNode('multipart/report; report-type=delivery-status');
  root.setHeader({
    From: 'MAILER-DAEMON@mta.test (Mail Delivery System)',
    To: o.returnPath,
    Subject: 'Undelivered Mail Returned to Sender',
    'Message-ID': `<dsn-${o.n}@mta.test>`,
    Date: DATE,
    'Auto-Submitted': 'auto-replied',
  });
  root.createChild('text/plain').setContent(`This is the mail system at host mta.test.\n\nYour message could not be delivered.\n\n<${o.recipient}>: host mx.example said: ${diagnostic}\n`);
  root.createChild('message/delivery-status').setContent(
    `Reporting-MTA: dns; mta.test\nArrival-Date: ${DATE}\n\nFinal-Recipient: rfc822; ${o.recipient}\nOriginal-Recipient: rfc822;${o.recipient}\nAction: failed\nStatus: ${f.status}\nRemote-MTA: dns; mx.example\nDiagnostic-Code: smtp; ${diagnostic}\n`,
  );
  root.createChild('text/rfc822-headers').setContent(
    `Return-Path: <${o.returnPath}>\nFrom: news@sender.test\nTo: ${o.recipient}\nSubject: News\nMessage-ID: <orig-${o.n}@sender.test>\nDate: ${DATE}\n${(o.originalHeaders ?? '').replaceAll('\r\n', '\n')}`,
  );
  return root.build();
}

/** A feedback-loop report (RFC 5965) about a mail whose Return-Path was `returnPath`. */
export async function arf(o: {
  /** The returned message's Return-Path (null: none, as some feedback providers strip it). */
  returnPath: string | null;
  recipient: string;
  feedbackType: 'abuse' | 'not-spam';
  n: number | string;
  /** Original-Rcpt-To as the provider wrote it (default the recipient; null: the field left out). */
  originalRcptTo?: string | null;
  /** The To field of the returned message (default the recipient). */
  to?: string;
  /** Further header lines of the returned message, CRLF-terminated (e.g. its List-Unsubscribe). */
  originalHeaders?: string;
}): Promise<Buffer> {
  const rcptTo = o.originalRcptTo === undefined ? o.recipient : o.originalRcptTo;
  const root = new MimeNode('multipart/report; report-type=feedback-report');
  root.setHeader({
    From: 'fbl@isp.example',
    To: 'fbl@bounces.test',
    Subject: 'Complaint about message',
    'Message-ID': `<arf-${o.n}@isp.example>`,
    Date: DATE,
  });
  root.createChild('text/plain').setContent('This is an email abuse report for an email message received from IP 192.0.2.1.\n');
  root.createChild('message/feedback-report').setContent(
    `Feedback-Type: ${o.feedbackType}\nUser-Agent: ExampleFBL/1.0\nVersion: 1\nOriginal-Mail-From: <${o.returnPath ?? 'news@sender.test'}>\n${rcptTo === null ? '' : `Original-Rcpt-To: <${rcptTo}>\n`}Arrival-Date: ${DATE}\nSource-IP: 192.0.2.1\n`,
  );
  root.createChild('message/rfc822').setContent(
    `${o.returnPath === null ? '' : `Return-Path: <${o.returnPath}>\r\n`}From: news@sender.test\r\nTo: ${o.to ?? o.recipient}\r\nSubject: News\r\nMessage-ID: <orig-arf-${o.n}@sender.test>\r\nDate: ${DATE}\r\n${o.originalHeaders ?? ''}\r\nHello\r\n`,
  );
  return root.build();
}

// Builders of report-shaped messages for parser tests, made with nodemailer's MIME builder
// (MimeNode), never typed by hand: an RFC 3464 DSN (multipart/report with text, status part
// and returned message or headers) and a text-only NDR (the prose of a family's notice, with or
// without the returned message attached). Each family's prose is given by the caller, written
// after that family's documented or observed layout (see the detector's header comment).
import MimeNode from 'nodemailer/lib/mime-node';

export const DATE = 'Mon, 23 Nov 2026 02:44:41 +0000';

export interface DsnRecipient {
  final: string;
  original?: string;
  action?: string;
  status?: string;
  diagnostic?: string;
  remoteMta?: string;
  /** Extra raw field lines of the block ("X-Foo: bar"). */
  extra?: string[];
}

/** The message/delivery-status body for `recipients` (RFC 3464 §2.2, §2.3). */
export function statusBody(reportingMta: string, recipients: DsnRecipient[], perMessage: string[] = []): string {
  const blocks = [[`Reporting-MTA: dns; ${reportingMta}`, `Arrival-Date: ${DATE}`, ...perMessage].join('\n')];
  for (const r of recipients) {
    const b = [`Final-Recipient: rfc822; ${r.final}`];
    if (r.original) b.push(`Original-Recipient: rfc822; ${r.original}`);
    b.push(`Action: ${r.action ?? 'failed'}`, `Status: ${r.status ?? '5.1.1'}`);
    if (r.remoteMta) b.push(`Remote-MTA: dns; ${r.remoteMta}`);
    if (r.diagnostic !== undefined) b.push(`Diagnostic-Code: smtp; ${r.diagnostic}`);
    if (r.extra) b.push(...r.extra);
    blocks.push(b.join('\n'));
  }
  return blocks.join('\n\n') + '\n';
}

export interface Returned {
  /** The returned message's header lines, each "Name: value". */
  headers: string[];
  /** Its body; omit to return the headers only (text/rfc822-headers). */
  body?: string;
}

/** A returned message as raw text (CRLF, as a message/rfc822 part carries it). */
export function returnedRaw(r: Returned): string {
  return r.headers.join('\r\n') + '\r\n\r\n' + (r.body ?? '').replace(/\r?\n/g, '\r\n');
}

export interface Envelope {
  from?: string;
  to?: string;
  subject?: string;
  messageId?: string;
  /** Further top-level header fields (raw values). */
  headers?: Record<string, string>;
}

function setTop(node: MimeNode, e: Envelope, defaults: { from: string; subject: string }): void {
  node.setHeader({
    From: e.from ?? defaults.from,
    To: e.to ?? 'bounces+x@bounces.test',
    Subject: e.subject ?? defaults.subject,
    'Message-ID': e.messageId ?? '<report-1@mta.test>',
    Date: DATE,
    ...(e.headers ?? {}),
  });
}

function addReturned(root: MimeNode, r: Returned | undefined): void {
  if (!r) return;
  if (r.body === undefined) root.createChild('text/rfc822-headers').setContent(r.headers.join('\n') + '\n');
  else root.createChild('message/rfc822').setContent(returnedRaw(r));
}

/** An RFC 3464 delivery status notification. */
export function dsn(
  o: Envelope & { text: string; reportingMta?: string; recipients: DsnRecipient[]; perMessage?: string[]; status?: string; returned?: Returned },
): Promise<Buffer> {
  const root = new MimeNode('multipart/report; report-type=delivery-status');
  setTop(root, o, { from: 'MAILER-DAEMON@mta.test (Mail Delivery System)', subject: 'Undelivered Mail Returned to Sender' });
  root.createChild('text/plain').setContent(o.text);
  root.createChild('message/delivery-status').setContent(o.status ?? statusBody(o.reportingMta ?? 'mta.test', o.recipients, o.perMessage));
  addReturned(root, o.returned);
  return root.build();
}

/** A non-standard NDR: the notice's prose as text/plain, the returned message attached. */
export function textNdr(o: Envelope & { text: string; returned?: Returned; html?: boolean }): Promise<Buffer> {
  const type = o.html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8';
  if (!o.returned) {
    const node = new MimeNode(type);
    setTop(node, o, { from: 'MAILER-DAEMON@mta.test', subject: 'failure notice' });
    node.setContent(o.text);
    return node.build();
  }
  const root = new MimeNode('multipart/mixed');
  setTop(root, o, { from: 'MAILER-DAEMON@mta.test', subject: 'failure notice' });
  root.createChild(type).setContent(o.text);
  addReturned(root, o.returned);
  return root.build();
}

/** The usual returned message: sent by `from` to `to`. */
export function returnedTo(to: string, from = 'sender@example.net', extra: string[] = []): Returned {
  return {
    headers: [
      `Return-Path: <${from}>`,
      `From: Sender <${from}>`,
      `To: ${to}`,
      'Subject: Newsletter',
      'Message-ID: <orig-1@example.net>',
      `Date: ${DATE}`,
      ...extra,
    ],
    body: 'Hello,\nthis is the newsletter.\n',
  };
}

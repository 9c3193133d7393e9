// RFC 5965 Abuse Reporting Format (feedback loops, DMARC forensic reports per RFC 6591).
//
// multipart/report; report-type=feedback-report with three parts: prose, the
// message/feedback-report fields (Feedback-Type, User-Agent, Version, Original-Mail-From,
// Original-Rcpt-To (repeatable), Arrival-Date, Reporting-MTA, Source-IP, Reported-Domain...),
// and the reported message (message/rfc822 or text/rfc822-headers). The complained-about
// recipient is Original-Rcpt-To, else (JMRP) the reported message's X-HmXmrOriginalRecipient,
// else the To of the reported message.
//
// Also accepted: the older Microsoft JMRP style (multipart/mixed with the reported message
// attached and a "complaint about message from <ip>" subject, no feedback-report part).
import type { FeedbackReport, RecipientReport } from '../../report.js';
import { headerValue, headerValues } from '../mime.js';
import { findAddresses, normalizeAddress } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

/** Reads `Name: value` fields of a feedback report; repeated fields keep every value. */
function parseFeedbackFields(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let name = '';
  let value = '';
  const flush = () => {
    if (name) {
      const list = out.get(name) ?? [];
      list.push(value.trim());
      out.set(name, list);
    }
    name = '';
  };
  for (const line of text.split('\n')) {
    if (/^[ \t]+\S/.test(line) && name) {
      value += ' ' + line.trim();
      continue;
    }
    // (`[^]*` reads a line as `.*` would, without its quadratic retries at a U+2028: see exim.ts ADDRESS_LINE)
    const m = /^([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*([^]*)$/.exec(line);
    flush();
    if (m) {
      name = m[1].toLowerCase();
      value = m[2];
    }
  }
  flush();
  return out;
}

/** Subjects of complaint reports that are no ARF (Microsoft's JMRP and its likes). */
export const JMRP_SUBJECT = /complaint about message from|abuse report|spam report|feedback loop/i;

/**
 * The attached message is itself a report (a multipart/report, or a complaint by its subject):
 * the message around it forwards a report ("FW: Abuse report"), and is no JMRP complaint whose
 * attachment is the complained-of message. The report's own reader names the complaint's
 * recipient (parser/index.ts reads an enclosed report), never the report's To, which is the
 * sender's own feedback mailbox.
 */
function isReport(headers: MailView['headers']): boolean {
  return /multipart\/report|feedback-report|delivery-status/i.test(headerValue(headers, 'content-type') ?? '') || JMRP_SUBJECT.test(headerValue(headers, 'subject') ?? '');
}

export function detectArf(view: MailView): DetectorResult | null {
  const reportType = (view.contentParams['report-type'] ?? '').toLowerCase();
  let fieldsText: string | null = view.feedbackReports[0] ?? null;
  if (fieldsText === null && reportType === 'feedback-report') {
    // a feedback-report whose part was mislabeled: take the part carrying Feedback-Type
    fieldsText = view.parts.find((p) => /^Feedback-Type[ \t]*:/im.test(p.text))?.text ?? null;
  }
  const subject = view.subject;
  const jmrp =
    fieldsText === null &&
    view.original !== null &&
    view.original.source !== 'inline' &&
    view.original.source !== 'pasted' &&
    view.deliveryStatus.length === 0 &&
    JMRP_SUBJECT.test(subject) &&
    !/undeliver|delivery|failure|returned/i.test(subject) &&
    !isReport(view.original!.headers);
  if (fieldsText === null && !jmrp) return null;

  const f = fieldsText !== null ? parseFeedbackFields(fieldsText) : new Map<string, string[]>();
  const one = (n: string) => f.get(n)?.[0] || null;
  const rcptTo = (f.get('original-rcpt-to') ?? []).map((v) => normalizeAddress(v)).filter((v): v is string => !!v);
  const reportingMta = one('reporting-mta')?.replace(/^dns\s*;\s*/i, '') ?? null;
  const feedback: FeedbackReport = {
    feedbackType: (one('feedback-type') ?? (jmrp ? 'abuse' : 'other')).toLowerCase(),
    userAgent: one('user-agent'),
    version: one('version'),
    sourceIp: one('source-ip'),
    originalMailFrom: normalizeAddress(one('original-mail-from')),
    originalRcptTo: rcptTo,
    arrivalDate: one('arrival-date') ?? one('received-date'),
    reportingMta,
    reportedDomain: one('reported-domain'),
  };

  let addrs = [...new Set(rcptTo)];
  // Microsoft's JMRP names the mailbox that complained in the reported message's
  // X-HmXmrOriginalRecipient; that message's To may be another address (Bcc, a list)
  if (!addrs.length && view.original) {
    const hm = normalizeAddress(headerValue(view.original.headers, 'x-hmxmroriginalrecipient'));
    if (hm && hm.includes('@')) addrs.push(hm);
  }
  if (!addrs.length && view.original) {
    for (const to of headerValues(view.original.headers, 'to')) addrs.push(...findAddresses(to));
    addrs = [...new Set(addrs)];
  }
  if (!addrs.length && view.original) {
    // headers-only originals sometimes keep the envelope recipient in Delivered-To / X-Original-To
    const dt = headerValue(view.original.headers, 'delivered-to') ?? headerValue(view.original.headers, 'x-original-to');
    const a = normalizeAddress(dt);
    if (a && a.includes('@')) addrs.push(a);
  }
  const recipients: RecipientReport[] = addrs.map((a) => newRecipient(a));
  return {
    kind: 'complaint',
    recipients,
    reportingMta,
    arrivalDate: feedback.arrivalDate,
    feedback,
    detector: jmrp ? 'arf-jmrp' : 'arf',
  };
}

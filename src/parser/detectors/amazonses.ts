// Amazon SES event notifications delivered by e-mail through Amazon SNS (From:
// no-reply@sns.amazonaws.com, Subject: AWS Notification Message, x-amz-sns-* headers). The body
// is JSON, not a DSN: either the SES event itself, or (raw message delivery off) the SNS
// envelope whose "Message" field holds the event as a JSON string:
//
//   {"notificationType":"Bounce",
//    "bounce":{"bounceType":"Permanent","bounceSubType":"General",
//              "bouncedRecipients":[{"emailAddress":"a@b","action":"failed","status":"5.1.1",
//                                    "diagnosticCode":"smtp; 550 5.1.1 user unknown"}],
//              "reportingMTA":"dsn; a27-23.smtp-out.us-west-2.amazonses.com", ...},
//    "mail":{"messageId":"...","source":"sender@x","destination":["a@b"],
//            "headers":[{"name":"Message-ID","value":"<...>"}, ...], ...}}
//
// "Complaint" events (complainedRecipients, complaintFeedbackType) are complaints, "Delivery"
// events (delivery.recipients, smtpResponse "250 2.6.0 ...") deliveries, "DeliveryDelay"
// events (deliveryDelay.delayedRecipients, delayType) delays; the other event types name no
// recipient that failed. The current event publishing format says "eventType" instead of
// "notificationType"; both are read.
//
// Transport damage seen in the wild: lines longer than 990 octets were broken by a relay with
// "!" + newline + space (sendmail's line-length fix). JSON never holds a raw newline inside a
// string, so those three characters are removed before parsing.
import type { DsnAction, FeedbackReport, OriginalMessage, RecipientReport } from '../../report.js';
import { headerValue } from '../mime.js';
import { findCommand, findReplyCode, findStatusCode, normalizeAddress, oneLine } from '../smtp-text.js';
import { parseStatus } from './rfc3464.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

type Json = Record<string, unknown>;

const MAX_JSON = 1024 * 1024;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() ? v.trim() : null;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/**
 * The text with every raw line break inside a JSON string turned back into the blank it
 * replaced. A client or relay that re-flows text (format=flowed, a list's footer wrapper, a
 * forward) breaks long lines at blanks, and a blank inside a string value ("smtp; 550 5.1.1
 * user unknown") becomes a line break, which JSON forbids there. One pass, tracking whether
 * the scan is inside a string (a backslash escapes the next character); line breaks between
 * tokens are JSON whitespace and stay.
 */
export function unwrapJsonStrings(raw: string): string {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
      else if (c === 0x0a || c === 0x0d) {
        // the break and the indent a wrapper may add after it read as one blank
        let j = i;
        while (j < raw.length && (raw.charCodeAt(j) === 0x0a || raw.charCodeAt(j) === 0x0d)) j++;
        while (j < raw.length && (raw.charCodeAt(j) === 0x20 || raw.charCodeAt(j) === 0x09)) j++;
        const before = i > 0 ? raw.charCodeAt(i - 1) : 0x20;
        out += raw.slice(from, i) + (before === 0x20 ? '' : ' ');
        from = j;
        i = j - 1;
      }
    } else if (c === 0x22) inString = true;
  }
  return from === 0 ? raw : out + raw.slice(from);
}

/** The JSON object in a notification body, or null. */
function parseBody(text: string): Json | null {
  const a = text.indexOf('{');
  const b = text.lastIndexOf('}');
  if (a < 0 || b <= a || b - a > MAX_JSON) return null;
  const raw = text.slice(a, b + 1);
  const candidates = function* (): Generator<string> {
    yield raw;
    yield raw.replace(/!\n /g, '');
    yield raw.replace(/!?\n[ \t]/g, '');
    yield unwrapJsonStrings(raw);
  };
  for (const candidate of candidates()) {
    try {
      const v: unknown = JSON.parse(candidate);
      if (isObject(v)) return v;
    } catch {
      // try the next repair
    }
  }
  return null;
}

/** The SES event: the body itself, or the SNS envelope's "Message" string. */
function sesEvent(body: Json): Json | null {
  if (str(body['notificationType']) || str(body['eventType'])) return body;
  const msg = body['Message'];
  if (typeof msg === 'string') {
    try {
      const v: unknown = JSON.parse(msg);
      if (isObject(v) && (str(v['notificationType']) || str(v['eventType']))) return v;
    } catch {
      return null;
    }
  }
  return null;
}

function originalFrom(mail: Json | null): OriginalMessage | null {
  if (!mail) return null;
  const headers: Record<string, string> = {};
  for (const h of arr(mail['headers'])) {
    if (!isObject(h)) continue;
    const n = str(h['name']);
    const v = typeof h['value'] === 'string' ? h['value'] : null;
    if (!n || v === null) continue;
    const k = n.toLowerCase();
    headers[k] = k in headers ? `${headers[k]}\n${v}` : v;
  }
  const common = isObject(mail['commonHeaders']) ? mail['commonHeaders'] : {};
  const first = (v: unknown) => (Array.isArray(v) ? (str(v[0]) ?? null) : str(v));
  const mid = headers['message-id'] ?? str(common['messageId']);
  return {
    messageId: mid ? mid.replace(/^<|>$/g, '') : null,
    from: headers['from'] ?? first(common['from']),
    to: headers['to'] ?? first(common['to']),
    subject: headers['subject'] ?? str(common['subject']),
    returnPath: normalizeAddress(str(mail['source'])),
    headers,
  };
}

/** `dns; host` -> `host` (SES writes `dsn;`). */
function withoutType(v: string | null): string | null {
  return v ? v.replace(/^(?:dns|dsn)\s*;\s*/i, '') : null;
}

/** A recipient's `diagnosticCode` ("smtp; 550 5.1.1 ...") as its type and its one-line text. */
function splitDiagnostic(raw: string | null): { type: string | null; text: string | null } {
  if (!raw) return { type: null, text: null };
  const m = /^([A-Za-z][\w-]{0,30})\s*;\s*/.exec(raw);
  return { type: m ? m[1].toLowerCase() : null, text: oneLine(m ? raw.slice(m[0].length) : raw) || null };
}

/**
 * The recipients of an SES event's list (bouncedRecipients, delayedRecipients), each once. A
 * recipient without the remote server's reply gets SES's own verdict (`verdict`) as its
 * diagnostic, typed x-amazonses; a bounce's recipient may say it is only delayed (`action`).
 */
function sesRecipients(list: unknown, event: 'bounce' | 'delay', subType: string | null, verdict: string | null): RecipientReport[] {
  const out: RecipientReport[] = [];
  const seen = new Set<string>();
  for (const r of arr(list)) {
    if (!isObject(r)) continue;
    const addr = normalizeAddress(str(r['emailAddress']));
    if (!addr || !addr.includes('@') || seen.has(addr)) continue;
    seen.add(addr);
    const remote = splitDiagnostic(str(r['diagnosticCode']));
    const diag = remote.text ?? verdict;
    const action: DsnAction = event === 'delay' || str(r['action'])?.toLowerCase() === 'delayed' ? 'delayed' : 'failed';
    const category = sesCategory(event, subType, !!remote.text);
    out.push(
      newRecipient(addr, {
        ...(category ? { vendorCategory: category } : {}),
        action,
        status: parseStatus(str(r['status'])) ?? findStatusCode(diag),
        replyCode: findReplyCode(diag),
        diagnosticType: remote.text || !verdict ? remote.type : 'x-amazonses',
        diagnosticCode: diag,
        command: findCommand(diag),
      }),
    );
  }
  return out;
}

/** A body that opens a JSON object and names an SES event type (plain, or escaped in SNS's envelope). */
const SES_JSON = /^\s*\{[^]*?\\?"(?:notificationType|eventType)\\?"\s*:/;

/**
 * The text holds a JSON object that names an SES event type: the body itself (SES_JSON), or an
 * event pasted below a person's words (a forward: "FYI, see below" / "{...}"); only read as
 * the event when it parses as one.
 */
function namesSesEvent(head: string): boolean {
  if (SES_JSON.test(head)) return true;
  const open = head.indexOf('{');
  if (open < 0) return false;
  const at = head.search(/\\?"(?:notificationType|eventType)\\?"\s*:/);
  return at > open;
}

/** An SES event's type as its JSON names it, read without parsing (plain or escaped in SNS's envelope). */
const SES_TYPE = /\\?"(?:notificationType|eventType)\\?"\s*:\s*\\?"([A-Za-z]{1,40})\\?"/;

/**
 * A body that is an SES event by its schema but whose JSON no repair could read (cut short,
 * damaged in transit): SES's own, so no text reader may take its "source" or "destination"
 * for failed recipients (issue #13, harm class 1). A bounce or delay event is kept as such,
 * with no recipient and a warning, so the message is still stored and seen.
 */
function unreadableEvent(text: string): DetectorResult | null {
  const head = text.slice(0, 4096);
  if (!SES_JSON.test(head)) return null;
  const type = (SES_TYPE.exec(head)?.[1] ?? '').toLowerCase();
  const kind = type === 'bounce' ? 'bounce' : type === 'deliverydelay' ? 'delay' : 'unknown';
  return { kind, recipients: [], settled: true, warnings: [`an Amazon SES ${type || 'event'} notification whose JSON could not be read`] };
}

/**
 * An SES event read whole that names no recipient in its list (empty, or entries without an
 * address): SES's own all the same, kept with a warning and no record. Left to the text readers,
 * "source" and "destination" would be taken for failed recipients (issue #13, harm class 1).
 */
function namesNobody(kind: DetectorResult['kind'], type: string): DetectorResult {
  return { kind, recipients: [], settled: true, warnings: [`an Amazon SES ${type} notification that names no recipient`] };
}

export function detectAmazonSes(view: MailView): DetectorResult | null {
  const from = headerValue(view.headers, 'from') ?? '';
  const snsHeader = !!view.headers['x-amz-sns-message-id'] || !!view.headers['x-amz-sns-subscription-arn'];
  const text = view.text;
  // without SNS's own header fields or sender (a copy relayed or forwarded without them): the
  // body itself, a JSON object naming the event's type, as the SES event schema writes it (left
  // to the text readers, its "source" and "destination" addresses would be taken for failures)
  // (no JSON object, no event: the cheapest question first)
  if (text.indexOf('{') < 0) return null;
  if (!snsHeader && !/@sns\.amazonaws\.com/i.test(from) && !namesSesEvent(text.slice(0, 4096))) return null;
  const body = parseBody(text);
  const ev = body ? sesEvent(body) : null;
  if (!ev) return unreadableEvent(text);
  const type = (str(ev['notificationType']) ?? str(ev['eventType']) ?? '').toLowerCase();
  const mail = isObject(ev['mail']) ? ev['mail'] : null;
  const original = originalFrom(mail);

  if (type === 'bounce') {
    const b = isObject(ev['bounce']) ? ev['bounce'] : {};
    const bounceType = str(b['bounceType']);
    const subType = str(b['bounceSubType']);
    // no remote text (suppression list, SES's own verdict): SES's classification is all there is
    const verdict = bounceType || subType ? `${bounceType ?? 'Undetermined'} bounce: ${subType ?? 'Undetermined'}` : null;
    const recipients = sesRecipients(b['bouncedRecipients'], 'bounce', subType, verdict);
    if (!recipients.length) return namesNobody('bounce', type);
    return {
      kind: recipients.every((r) => r.action === 'delayed') ? 'delay' : 'bounce',
      recipients,
      reportingMta: withoutType(str(b['reportingMTA'])),
      arrivalDate: str(mail?.['timestamp']),
      original,
    };
  }

  if (type === 'complaint') {
    const c = isObject(ev['complaint']) ? ev['complaint'] : {};
    const addrs = [...new Set(arr(c['complainedRecipients']).map((r) => (isObject(r) ? normalizeAddress(str(r['emailAddress'])) : null)).filter((a): a is string => !!a && a.includes('@')))];
    if (!addrs.length) return namesNobody('unknown', type);
    const feedback: FeedbackReport = {
      // SES leaves complaintFeedbackType out when the mailbox provider gave none
      feedbackType: (str(c['complaintFeedbackType']) ?? 'abuse').toLowerCase(),
      userAgent: str(c['userAgent']),
      version: null,
      sourceIp: null,
      originalMailFrom: normalizeAddress(str(mail?.['source'])),
      originalRcptTo: addrs,
      arrivalDate: str(c['arrivalDate']) ?? str(c['timestamp']),
      reportingMta: null,
      reportedDomain: null,
    };
    return { kind: 'complaint', recipients: addrs.map((a) => newRecipient(a)), feedback, arrivalDate: feedback.arrivalDate, original };
  }

  if (type === 'deliverydelay') {
    // Event publishing's DeliveryDelay: SES keeps retrying these recipients until expirationTime;
    // nothing has failed yet. delayType (MailboxFull, SpamDetected, IPFailure, ...) is SES's own
    // reading, the only cause when the remote server's words are missing.
    const d = isObject(ev['deliveryDelay']) ? ev['deliveryDelay'] : {};
    const delayType = str(d['delayType']);
    const recipients = sesRecipients(d['delayedRecipients'], 'delay', delayType, delayType ? `Delivery delay: ${delayType}` : null);
    if (!recipients.length) return namesNobody('delay', type);
    return { kind: 'delay', recipients, reportingMta: withoutType(str(d['reportingMTA'])), arrivalDate: str(mail?.['timestamp']), original };
  }

  if (type === 'delivery') {
    const d = isObject(ev['delivery']) ? ev['delivery'] : {};
    const resp = str(d['smtpResponse']);
    const reply = resp ? /^\s*([2-5]\d\d)\b/.exec(resp) : null;
    const addrs = [...new Set(arr(d['recipients']).map((v) => normalizeAddress(str(v))).filter((a): a is string => !!a && a.includes('@')))];
    if (!addrs.length) return namesNobody('unknown', type);
    const recipients = addrs.map((a) =>
      newRecipient(a, {
        action: 'delivered',
        status: findStatusCode(resp) ?? '2.0.0',
        statusDerived: !findStatusCode(resp),
        replyCode: reply ? Number(reply[1]) : null,
        diagnosticType: 'smtp',
        diagnosticCode: resp ? oneLine(resp) : null,
      }),
    );
    return { kind: 'delivered', recipients, reportingMta: withoutType(str(d['reportingMTA'])), original };
  }
  // Send, Reject, Open, Click, Rendering Failure, Subscription: events about the sending, not
  // about a recipient's mailbox. Known as SES's own, so no other reader may take the addresses
  // of mail.destination for failed ones (issue #13, harm class 1).
  if (SES_OTHER_EVENTS.has(type)) return { kind: 'unknown', recipients: [], original };
  return null;
}

/**
 * SES's own classification as a vendor category (`amazonses:noemail`, `amazonses-delay:ipfailure`;
 * the classifier's table is providers/amazon.ts): given when the remote server's words are
 * missing, and always for the suppression lists (SES sent nothing: its verdict is the only one).
 */
function sesCategory(event: 'bounce' | 'delay', subType: string | null, remoteText: boolean): string | null {
  if (!subType) return null;
  const t = subType.toLowerCase();
  const suppression = event === 'bounce' && (t === 'suppressed' || t === 'onaccountsuppressionlist');
  if (remoteText && !suppression) return null;
  return `${event === 'bounce' ? 'amazonses' : 'amazonses-delay'}:${t}`;
}

const SES_OTHER_EVENTS = new Set(['send', 'reject', 'open', 'click', 'rendering failure', 'renderingfailure', 'subscription']);

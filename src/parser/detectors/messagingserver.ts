// Oracle Communications (Sun Java System, iPlanet) Messaging Server notifications. The text
// part repeats the original's header fields, then one labelled block per recipient:
//
//   This report relates to a message you sent with the following header fields:
//
//     Message-id: <...>
//     To: kijitora@example.jp, hachiware@example.org        <- the original's, not failures
//
//   Your message cannot be delivered to the following recipients:
//
//     Recipient address: kijitora@example.jp                <- one block per recipient
//     Original address: neko@alias.example.jp               <- (optional) what the sender wrote
//     Reason: Remote SMTP server has rejected address       <- the server's own summary
//     Diagnostic code: smtp;550 5.1.1 <kijitora@example.jp>... User Unknown
//     Remote system: dns;mx.example.jp (TCP|192.0.2.1|47323|192.0.2.225|25) (...)
//
// Usually a message/delivery-status part follows, which the RFC 3464 detector reads; this one
// only reads reports without it (seen: relays that dropped the part, issue #13), where the
// fallback took the "Original address" for a second failed recipient and the header summary
// for the diagnostic. Blocks count only under a heading that says the delivery failed or is
// delayed: the same template also reports successful deliveries. The labels are the ones
// Sisimai 4.25's MessagingServer module documents.
import type { DsnAction, RecipientReport } from '../../report.js';
import { headerValue } from '../mime.js';
import { findCommand, findReplyCode, findStatusCode, normalizeAddress, textHead } from '../smtp-text.js';
import { namesRecipientField } from './rfc3464.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

const INTRO = /^[ \t]*This report relates to a message you sent with the following header fields:/im;
/**
 * "Your message <verb> ... the following recipients:" (checked on the trimmed line, in two
 * parts): "cannot be delivered" fails, "has been delayed" / "has not been delivered to the
 * following recipients yet." is a delay, any other (a success report) is skipped.
 */
const HEADING_START = /^Your message /i;
const HEADING_END = /recipients?(?::| yet[.:])$/i;
/**
 * A label line, indented by the server (the indentation is optional: an HTML rendering or a
 * client's re-flow drops it, and the labels alone are the template's); the value is trimmed in
 * code (a lazy `.*?` before `\s*$` is quadratic).
 */
const LABEL = /^[ \t]*(Recipient address|Original address|Reason|Diagnostic code|Remote system):(.*)$/i;

export function detectMessagingServer(view: MailView): DetectorResult | null {
  const subject = view.subject;
  const type = headerValue(view.headers, 'content-type') ?? '';
  const text = textHead(view.reportText, 100_000);
  const intro = INTRO.exec(text);
  if (!intro && !/^Delivery Notification: /i.test(subject) && !type.includes('Boundary_(ID_')) return null;
  if (namesRecipientField(view)) return null;

  const recipients: RecipientReport[] = [];
  let action: DsnAction | null = null; // the current heading's; null: not a failure heading
  let current: RecipientReport | null = null;
  let reason: string | null = null;
  const close = () => {
    if (current) {
      current.diagnosticCode ??= reason;
      const d = current.diagnosticCode;
      current.status = findStatusCode(d);
      current.replyCode = findReplyCode(d);
      current.command = findCommand(d);
      recipients.push(current);
    }
    current = null;
    reason = null;
  };
  const lines = text.slice(intro ? intro.index + intro[0].length : 0).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let t = line.trim();
    // a heading re-flowed onto two lines ("... to the following" / "recipients:")
    if (HEADING_START.test(t) && !HEADING_END.test(t) && i + 1 < lines.length && HEADING_END.test(lines[i + 1]!.trim())) {
      t = `${t} ${lines[i + 1]!.trim()}`;
      i++;
    }
    if (HEADING_START.test(t) && HEADING_END.test(t)) {
      close();
      action = /^Your message cannot be delivered/i.test(t) ? 'failed' : /^Your message has (?:been delayed|not been delivered)/i.test(t) ? 'delayed' : null;
      continue;
    }
    if (!action) continue;
    const m = LABEL.exec(line);
    if (!m) continue;
    const label = m[1].toLowerCase();
    const value = m[2].trim();
    if (label === 'recipient address') {
      close();
      const a = normalizeAddress(value);
      if (a && a.includes('@') && recipients.length < 1000) current = newRecipient(a, { action });
    } else if (!current) {
      continue;
    } else if (label === 'original address') {
      const a = normalizeAddress(value);
      if (a && a.includes('@') && a !== current.finalRecipient) current.originalRecipient = a;
    } else if (label === 'reason') {
      reason = value || null;
    } else if (label === 'diagnostic code') {
      // "smtp;550 5.1.1 ...": the type, then the remote server's words
      const semi = value.indexOf(';');
      current.diagnosticType = semi > 0 ? value.slice(0, semi).trim().toLowerCase() : null;
      current.diagnosticCode = (semi > 0 ? value.slice(semi + 1) : value).trim() || null;
    } else if (label === 'remote system') {
      const host = /^dns;[ \t]*([A-Za-z0-9.-]+)/i.exec(value);
      if (host) current.remoteMta = host[1].toLowerCase();
    }
  }
  close();
  if (!recipients.length) return null;
  return { kind: recipients.every((r) => r.action === 'delayed') ? 'delay' : 'bounce', recipients };
}

// Gmail and Google Workspace bounces (From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>)
// that the RFC 3464 detector cannot read. Two text formats:
//
// 1. The classic Gmail DSN (until about 2016), text only, no message/delivery-status part:
//
//      Delivery to the following recipient failed permanently:     (or: recipients / "has been
//                                                                    delayed:" for a warning)
//           kijitora@example.jp
//
//      Technical details of permanent failure:                      (or: temporary failure)
//      Google tried to deliver your message, but it was rejected by the server for the
//      recipient domain example.jp by mx.example.jp. [192.0.2.59].
//
//      The error that the other server returned was:
//      550 5.1.1 <kijitora@example.jp>... User Unknown (state 14).
//
//    The remote server's words follow "The error that the other server returned was:"; when
//    Gmail never got an answer the technical details are Gmail's own ("DNS Error: Domain name
//    not found", "The recipient server did not accept our requests to connect. ... [host ip:
//    socket error]"). "(state N)" is Gmail's SMTP client state when the reply came: it tells
//    the command the reply answered (14 RCPT, 15/17/18 DATA, ...).
//
// 2. The current format ("** Address not found **", "** Message not delivered **", ...):
//
//      ** Address not found **
//
//      Your message wasn't delivered to kijitora@example.jp because the address couldn't be
//      found, or is unable to receive mail.                       (Google's explanation)
//
//      Learn more here: https://support.google.com/mail/?p=NoSuchUser
//
//      The response was:                  (or "The response from the remote server was:")
//
//      550 <kijitora@example.jp>: User unknown
//
//    usually with a message/delivery-status part: its fields give the recipients and codes
//    (read through the RFC 3464 detector). When the part names no recipient (seen: an empty
//    part) the failed address is in X-Failed-Recipients. Google's explanation is its own reading
//    of the failure and often the only cause named ("You're sending this from a different
//    address or alias using the 'Send mail as' feature", with a bare "Unspecified Error" as the
//    response): it goes into diagnosticCode after the remote server's words. "because the
//    address couldn't be found" under "Address not found" is Google's verdict that the remote
//    server refused the recipient address itself, i.e. at RCPT TO (Google gives no transcript).
import type { DsnAction, RecipientReport } from '../../report.js';
import { headerValue, headerValues } from '../mime.js';
import { clipLine, findCommand, findReplyCode, findStatusCode, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { detectRfc3464, namesRecipientField, preferStatus } from './rfc3464.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

const GOOGLE_DAEMON = /mailer-daemon@(?:googlemail|google|gmail)\.com/i;

// ("failed." with a full stop in some versions)
const CLASSIC_START = /^[ \t]*Delivery to the following recipients? (failed permanently|has been delayed|failed)[ \t]*(?:[:.][ \t]*)?$/im;
const DETAILS = /^[ \t]*Technical details of (?:permanent|temporary) failure[ \t]*:?/im;
// (Gmail hyphenated its wrapped lines: "The error that the other server re-" / "turned was:")
const RETURNED = /The error that the other server re(?:-[ \t]*\n?[ \t]*)?turned was[ \t]*:?/i;
/** "(state 14)." at the end of the reply: Gmail's SMTP client state. */
const STATE = /\(state (\d{1,2})\)\.?\s*$/;
const STATE_COMMAND: Record<string, string> = {
  '6': 'STARTTLS', '8': 'AUTH', '9': 'AUTH', '12': 'AUTH', '13': 'EHLO', '14': 'RCPT', '15': 'DATA', '17': 'DATA', '18': 'DATA',
};

/** "... rejected by the server for the recipient domain example.jp by mx.example.jp. [192.0.2.59]." */
const REMOTE_HOST = /\bby ([A-Za-z0-9][A-Za-z0-9.-]{0,253}[A-Za-z0-9])\.? \[([0-9A-Fa-f.:]{3,45})\]/;

const NEW_HEADING = /^[ \t]*\*\* ?[^\s*][^*\n]{2,80}\*\*[ \t]*$/m;
const NEW_RESPONSE = /^[ \t]*The response (?:from the remote server )?was[ \t]*:[ \t]*$/im;

function hasDsnRecipients(view: MailView): boolean {
  return namesRecipientField(view);
}

function isGoogleDaemon(view: MailView): boolean {
  const from = headerValue(view.headers, 'from') ?? '';
  return GOOGLE_DAEMON.test(from);
}

function readClassic(view: MailView, text: string): DetectorResult | null {
  const start = CLASSIC_START.exec(text);
  if (!start) return null;
  const delayed = /delayed/i.test(start[1]);
  const after = text.slice(start.index + start[0].length);
  const details = DETAILS.exec(after);
  // the recipients: the indented address lines between the heading and the details (or the
  // "Message will be retried" line of a warning)
  const listEnd = details ? details.index : after.length;
  const addresses = new Set<string>();
  for (const line of after.slice(0, listEnd).split('\n')) {
    if (/^[ \t]*message will be retried/i.test(line)) break;
    const t = line.trim();
    if (!t || /\s/.test(t)) continue; // one address per line, nothing else on it
    const a = normalizeAddress(t);
    if (a && a.includes('@')) addresses.add(a);
  }
  if (!addresses.size) return null;

  let diag: string | null = null;
  let remoteMta: string | null = null;
  if (details) {
    // up to the next heading-like line Gmail never writes inside the details: we stop at the
    // end of the report text (the copy of the original is already cut off)
    const body = oneLine(after.slice(details.index + details[0].length));
    const host = REMOTE_HOST.exec(body);
    if (host) remoteMta = host[1].toLowerCase();
    const ret = RETURNED.exec(body);
    diag = (ret ? body.slice(ret.index + ret[0].length) : body).trim() || null;
  }
  let command: string | null = null;
  if (diag) {
    const st = STATE.exec(diag);
    if (st) command = STATE_COMMAND[st[1]] ?? null;
    command ??= findCommand(diag);
  }
  const action: DsnAction = delayed ? 'delayed' : 'failed';
  // one failure text for every listed address: read it once
  const shared = { action, status: findStatusCode(diag), replyCode: findReplyCode(diag), diagnosticCode: diag, remoteMta, command };
  const recipients: RecipientReport[] = [...addresses].map((a) => newRecipient(a, { ...shared }));
  return { kind: delayed ? 'delay' : 'bounce', recipients };
}

/** Google's explanation: the first paragraph after the "** ... **" heading. */
function explanationOf(rest: string): string | null {
  const para = rest.split(/\n[ \t]*\n/).find((p) => p.trim());
  if (!para || NEW_RESPONSE.test(para) || /^\s*learn more\b/i.test(para)) return null;
  // a sentence or two, added to every recipient's diagnostic: a longer one is cut
  return oneLine(clipLine(para)) || null;
}

/** "** Address not found **" + "... because the address couldn't be found": refused at RCPT. */
function addressNotFound(heading: string, explanation: string | null): boolean {
  return /address not found/i.test(heading) && !!explanation && /\bbecause the address (?:couldn't|could not|can't|cannot) be found\b/i.test(explanation);
}

/** The remote server's words, then Google's explanation when they do not already hold it. */
function withExplanation(diag: string | null, explanation: string | null): string | null {
  if (!explanation) return diag;
  if (!diag) return explanation;
  if (diag.includes(explanation) || explanation.includes(diag)) return diag.length >= explanation.length ? diag : explanation;
  return `${diag} ${explanation}`;
}

/** The paragraph after "The response (from the remote server) was:", on one line. */
function responseOf(rest: string): string | null {
  const resp = NEW_RESPONSE.exec(rest);
  if (!resp) return null;
  const after = rest.slice(resp.index + resp[0].length).replace(/^\s*\n/, '');
  return oneLine(after.split(/\n[ \t]*\n/)[0]) || null;
}

/** A Diagnostic-Code that is a reply code and nothing else ("smtp; 550"): says no cause. */
const BARE_REPLY = /^\s*[45]\d\d\s*$/;

/**
 * The text's lines that start with a reply code and say more ("550 #5.1.0 Address rejected."),
 * each with the lines after it up to a blank line, by code (the first of each): where a DSN's
 * bare code came from when the heading above it is not "The response ... was:" (a localized
 * report). One scan for all codes.
 */
function replyParagraphs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (!/^[45]\d\d[ -]\S/.test(t) || out.has(t.slice(0, 3))) continue;
    let j = i + 1;
    while (j < lines.length && lines[j].trim() && j - i < 20) j++;
    out.set(t.slice(0, 3), oneLine(clipLine(lines.slice(i, j).join(' '))));
  }
  return out;
}

/** A Google report with a delivery-status part naming the recipients. */
function readWithDsn(view: MailView, text: string): DetectorResult | null {
  const dsn = detectRfc3464(view);
  if (!dsn || !dsn.recipients.length) return null;
  const heading = NEW_HEADING.exec(text);
  const rest = heading ? text.slice(heading.index + heading[0].length) : text;
  const explanation = heading ? explanationOf(rest) : null;
  const rcpt = heading ? addressNotFound(heading[0], explanation) : false;
  // G Suite relays write "Status: 5.0.0" and "Diagnostic-Code: smtp; 550": the remote server's
  // words are then only in the text, under "The response from the remote server was:"
  // (Sisimai's GSuite module reads them from there too), or, in a report whose prose is in
  // another language, on the text's line that starts with that code. Read once per code.
  let under: string | null | undefined; // the paragraph under "The response ... was:" (read once)
  let byCode: Map<string, string> | null = null;
  const responseFor = (code: string) => {
    if (under === undefined) under = heading ? responseOf(rest) : null;
    if (under?.startsWith(code)) return under;
    return (byCode ??= replyParagraphs(rest)).get(code) ?? under;
  };
  for (const r of dsn.recipients) {
    const bare = r.diagnosticCode ? BARE_REPLY.exec(r.diagnosticCode) : null;
    const response = bare ? responseFor(bare[0].trim()) : null;
    if (response) {
      r.diagnosticCode = response;
      r.status = preferStatus(r.status, response);
      r.replyCode ??= findReplyCode(response);
    }
    r.diagnosticCode = withExplanation(r.diagnosticCode, explanation);
    if (rcpt && r.action === 'failed') r.command ??= 'RCPT';
  }
  return dsn;
}

function readCurrent(view: MailView, text: string): DetectorResult | null {
  const heading = NEW_HEADING.exec(text);
  if (!heading) return null;
  let addresses = headerValues(view.headers, 'x-failed-recipients')
    .flatMap((v) => v.split(','))
    .map((v) => normalizeAddress(v))
    .filter((a): a is string => !!a && a.includes('@'));
  if (!addresses.length) {
    // "Your message wasn't delivered to kijitora@example.com because ..." (the token, then a
    // check for '@': /(\S+@\S+?)[ \t]+because/ backtracks over every '@' of a long token)
    // ... or, in a delay notice, "There was a temporary problem delivering your message to
    // kijitora@example.net. Gmail will retry ..." (the sentence's full stop is not the address's)
    // ... or, under "** Message blocked **", "Your message to kijitora@example.net has been
    // blocked." (the X-Failed-Recipients field gone: a relay, an inbox export)
    // (a re-wrap may break the sentence at any of its blanks: each may be a line break)
    const m =
      /wasn't\s+delivered\s+to\s+(\S+)\s+because/i.exec(text) ??
      /temporary\s+problem\s+delivering\s+your\s+message\s+to\s+(\S+)/i.exec(text) ??
      /your\s+message\s+to\s+(\S+)\s+has\s+been\s+blocked\b/i.exec(text);
    // (trailing punctuation matched from the first mark of a run only: /[.,;:]+$/ alone rescans a
    // long run of marks inside the token from each of its marks)
    const token = m ? m[1].replace(/(?<![.,;:])[.,;:]+$/, '') : null;
    const a = token && /^[^@]+@./.test(token) ? normalizeAddress(token) : null;
    if (a) addresses = [a];
  }
  addresses = [...new Set(addresses)];
  if (!addresses.length) return null;
  const rest = text.slice(heading.index + heading[0].length);
  const explanation = explanationOf(rest);
  // the reply is the paragraph after "The response was:"
  const response = responseOf(rest);
  const diag = response ? withExplanation(response, explanation) : explanation;
  const rcpt = addressNotFound(heading[0], explanation);
  // a delay notice says so in its heading, its Subject ("Delivery Status Notification (Delay)")
  // or Google's own sentence under the heading ("Gmail will retry for 46 more hours")
  const delayed = /delivery incomplete|delayed|will (?:keep trying|retry)|\(delay\)/i.test(heading[0] + ' ' + view.subject + ' ' + (explanation ?? ''));
  // one failure text for every address: read it once
  const shared = {
    action: (delayed ? 'delayed' : 'failed') as DsnAction,
    status: findStatusCode(diag),
    replyCode: findReplyCode(diag),
    diagnosticCode: diag,
    command: findCommand(diag) ?? (rcpt && !delayed ? 'RCPT' : null),
  };
  const recipients = addresses.map((a) => newRecipient(a, { ...shared }));
  return { kind: delayed ? 'delay' : 'bounce', recipients };
}

export function detectGmail(view: MailView): DetectorResult | null {
  if (!isGoogleDaemon(view)) return null;
  const text = textHead(view.reportText, 100_000);
  // Google Groups' own notice (same sender) is another family's
  if (/groups\.google\.com\/support/i.test(text)) return null;
  if (hasDsnRecipients(view)) return readWithDsn(view, text);
  return readClassic(view, text) ?? readCurrent(view, text);
}


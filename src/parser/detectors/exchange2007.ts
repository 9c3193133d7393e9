// Exchange Server 2007 and later, Exchange Online / Office 365 NDRs when the report carries no
// usable message/delivery-status part (stripped by a gateway, forwarded as text, or empty).
// The human-readable part (possibly localized) has a fixed structure:
//
//   Delivery has failed to these recipients or groups:          (localized)
//
//   Neko<mailto:mikeneko@example.co.jp>                         one line per recipient,
//   The recipient's e-mail address was not found ...            then Exchange's explanation
//
//   Diagnostic information for administrators:                  (localized)
//
//   Generating server: mta4.example.org
//
//   mikeneko@example.co.jp                                      the address alone, then the
//   #550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##         reply: "#code text ##", or
//                                                               "Remote Server returned '...'",
//                                                               or (Office 365) dated lines
//   5/25/2018 8:21:10 AM - Server at X returned '550 5.4.312 ...' (newest first)
//
//   Original message headers:
//
// Office 365 since 2017 writes "Recipient Address: a@b" and "Reported error: 550 5.1.10 ..."
// under "Original Message Details" / "Error Details" instead of the administrators' section.
// The reply in the administrators' section is the diagnostic; when a recipient has none, the
// explanation under its `<mailto:>` line is used. With a delivery-status part naming the
// recipients the generic RFC 3464 detector is used instead.
import type { RecipientReport } from '../../report.js';
import { headerValue, headerValues } from '../mime.js';
import { findCommand, findReplyCode, findStatusCode, normalizeAddress, oneLine } from '../smtp-text.js';
import { compile, DELAY_STATEMENTS, HELP_CONTEXT } from '../phrases.js';
import { deliveryStatusTexts } from './rfc3464.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

const DELAY = compile(DELAY_STATEMENTS);
const HELP = compile(HELP_CONTEXT);

/** `Name<mailto:a@b>` or `a@b (a@b)<mailto:a@b>` at the start of the recipient list. */
const MAILTO_LINE = /<mailto:([^\s<>@]{1,256}@[^\s<>]{1,256})>[ \t]*$/i;
/** A line holding one address and nothing else (the administrators' section). */
const BARE_ADDRESS = /^[ \t]*<?([^\s<>@]{1,256}@[^\s<>]{1,256}?)>?[ \t]*$/;
/** The reply line after it. */
const REPLY_LINE = /^[ \t]*(?:#?[245]\d\d[ -]|#[245]\.\d|Remote Server returned '|.{0,80}\bServer at .{1,255} returned ')/i;

function isExchange(view: MailView): boolean {
  const h = view.headers;
  if (Object.keys(h).some((k) => k.startsWith('x-ms-exchange-'))) return true;
  if (/microsoftexchange|postmaster@(?:[\w-]+\.)*(?:outlook|hotmail|live|office365)\.com/i.test(headerValue(h, 'from') ?? '')) return true;
  if (headerValues(h, 'received').some((r) => /with Microsoft SMTP Server|\.outlook\.com\b/i.test(r))) return true;
  // `[^<>\n]`: a run of "<mailto:" without '>' must not send each one to the end of the text
  return /^[ \t]*Generating server:/im.test(view.reportText) || /<mailto:[^<>\n]+>[ \t]*$/m.test(view.reportText);
}

/** Exchange's NDR subjects (English and the localized ones seen) or its sender. */
function looksLikeNdr(view: MailView): boolean {
  const subject = headerValue(view.headers, 'subject') ?? '';
  if (/^\s*(?:automatic reply|auto(?:matische)? ?(?:reply|antwort)|r\u00e9ponse automatique|out of office)/i.test(subject)) return false;
  if (/undeliverable|undelivered|non remis|unzustellbar|no entregado|non recapitabile|delivery (?:has )?failed|failure notice|\u914d\u4fe1\u4e0d\u80fd/i.test(subject)) return true;
  return /postmaster|mailer-daemon|microsoftexchange/i.test(headerValue(view.headers, 'from') ?? '');
}

/**
 * The reply text of a reply line: after the first "returned '" without the closing quote, or
 * without Exchange's `#`/`##` decoration. Index searches, not /returned '(.*)'\s*$/ and
 * /\s*##.*$/, which rescan the rest of the line from every "returned '" or blank.
 */
function replyText(line: string): string {
  const t = line.trim();
  const q = /returned '/i.exec(t);
  if (q) {
    const rest = t.slice(q.index + q[0].length).trimEnd();
    return (rest.endsWith("'") ? rest.slice(0, -1) : rest).trim();
  }
  const hashes = t.indexOf('##', 1);
  return (hashes < 0 ? t : t.slice(0, hashes)).replace(/^#/, '').trim();
}

export function detectExchange2007(view: MailView): DetectorResult | null {
  if (deliveryStatusTexts(view).some((t) => /^[ \t]*(?:final|original)-recipient[ \t]*:[ \t]*\S/im.test(t))) return null;
  const text = view.reportText.length > 100_000 ? view.reportText.slice(0, 100_000) : view.reportText;
  if (text.indexOf('@') < 0 || !isExchange(view)) return null;
  let lines = text.split('\n');
  // the returned header block ("Original message headers:", localized) ends the report
  const headersAt = lines.findIndex((l) => /^(?:Received|Return-Path|DKIM-Signature|ARC-Seal|Message-ID|MIME-Version):[ \t]/i.test(l));
  if (headersAt > 0) lines = lines.slice(0, headersAt);
  // a signature (RFC 3676 "-- ") ends what the report says
  const signature = lines.findIndex((l) => /^-- ?$/.test(l));
  if (signature > 0) lines = lines.slice(0, signature);

  // 1. the recipient list: `<mailto:>` lines and the explanation under each. A `<mailto:>` link
  //    in help text ("contact your helpdesk<mailto:help@example.com>") is no recipient.
  const explained = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    const m = MAILTO_LINE.exec(lines[i]);
    const a = m ? normalizeAddress(m[1]) : null;
    if (!a || explained.has(a) || HELP.test(lines[i].slice(0, m!.index))) continue;
    const expl: string[] = [];
    for (let k = i + 1; k < lines.length && k <= i + 6; k++) {
      const t = lines[k].trim();
      if (!t) {
        if (expl.length) break;
        continue;
      }
      if (MAILTO_LINE.test(t) || /:$/.test(t)) break;
      expl.push(t);
    }
    explained.set(a, oneLine(expl.join(' ')));
  }

  // 2. the administrators' section: a bare address, then its reply line(s)
  const replies = new Map<string, string>();
  for (let i = 0; i + 1 < lines.length; i++) {
    const m = BARE_ADDRESS.exec(lines[i]);
    const a = m ? normalizeAddress(m[1]) : null;
    if (!a || !a.includes('@') || replies.has(a)) continue;
    let k = i + 1;
    while (k < lines.length && !lines[k].trim()) k++;
    if (k >= lines.length || !REPLY_LINE.test(lines[k])) continue;
    // Office 365 lists attempts newest first: the first one is the final answer
    replies.set(a, oneLine(replyText(lines[k])));
  }

  // 3. the Office 365 layout of 2017+: "Recipient Address: a@b" and "Reported error: 550 ..."
  //    (under "Original Message Details", which the MIME layer takes for a copy marker)
  let details = (view.text.length > 100_000 ? view.text.slice(0, 100_000) : view.text).split('\n');
  const detailsEnd = details.findIndex((l) => /^(?:Received|Return-Path|DKIM-Signature|ARC-Seal|Message-ID|MIME-Version):[ \t]/i.test(l));
  if (detailsEnd > 0) details = details.slice(0, detailsEnd);
  for (let i = 0; i < details.length; i++) {
    const m = /^[ \t]*Recipient Address:[ \t]*(\S+@\S+)[ \t]*$/i.exec(details[i]);
    const a = m ? normalizeAddress(m[1]) : null;
    if (!a || replies.has(a)) continue;
    for (let k = i + 1; k < details.length && k <= i + 12; k++) {
      const e = /^[ \t]*Reported error:[ \t]*(\S.*)$/i.exec(details[k]);
      if (e) {
        replies.set(a, oneLine(e[1]));
        break;
      }
      if (/^[ \t]*Recipient Address:/i.test(details[k])) break;
    }
  }

  // `<mailto:>` lines alone also appear in signatures (auto-replies): without a reply from the
  // administrators' section, the message itself must say it is a non-delivery report
  if (!replies.size && !looksLikeNdr(view)) return null;
  const addresses = [...new Set([...explained.keys(), ...replies.keys()])];
  if (!addresses.length) return null;
  const delayed = DELAY.test(headerValue(view.headers, 'subject') ?? '') || DELAY.test(oneLine(text.slice(0, 4000)));
  const recipients: RecipientReport[] = [];
  for (const a of addresses) {
    const diag = replies.get(a) || explained.get(a) || null;
    if (!diag) continue;
    recipients.push(
      newRecipient(a, {
        // a delay notification ("Delivery is delayed to these recipients or groups") is a
        // warning, unless the server's own reply for the address is permanent
        action: delayed && !/(?:^|\D)5\d\d(?!\d)|(?:^|\D)5\.\d/.test(diag) ? 'delayed' : 'failed',
        status: findStatusCode(diag),
        replyCode: findReplyCode(diag),
        diagnosticCode: diag,
        command: findCommand(diag),
      }),
    );
  }
  if (!recipients.length) return null;
  const generating = /^[ \t]*(?:Generating server|DSN generated by):[ \t]*(\S+)/im.exec(details.join('\n'));
  const kind = recipients.every((r) => r.action === 'delayed') ? 'delay' : 'bounce';
  return { kind, recipients, reportingMta: generating ? generating[1].toLowerCase() : null };
}

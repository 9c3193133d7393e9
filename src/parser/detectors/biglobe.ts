// BIGLOBE (and the cable ISPs on its mail platform: inacatv, tmtv, ttv) returned mail.
// From: postmaster@biglobe.ne.jp, Subject: "Returned mail: ...", no delivery-status part:
//
//      ----- The following addresses had delivery problems -----
//   kijitora@mxr.biglobe.ne.jp
//
//      ----- Non-delivered information -----
//   The number of messages in recipient's mailbox exceeded the local limit.
//
// Every listed address shares the one "Non-delivered information" text (seen: "The number of
// messages in recipient's mailbox exceeded the local limit.", "Mail Delivery Failed... User
// unknown"). There is no SMTP code: the status is left to the classifier.
import type { RecipientReport } from '../../report.js';
import { headerValue } from '../mime.js';
import { findReplyCode, findStatusCode, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

const SENDER = /postmaster@(?:[\w-]+\.)*(?:biglobe|inacatv|tmtv|ttv)\.ne\.jp/i;
const LIST_HEAD = /^[ \t]*-{3,}[ \t]*The following addresses had delivery problems[ \t]*-{3,}[ \t]*$/im;
const INFO_HEAD = /^[ \t]*-{3,}[ \t]*Non-delivered information[ \t]*-{3,}[ \t]*$/im;

export function detectBiglobe(view: MailView): DetectorResult | null {
  if (!SENDER.test(headerValue(view.headers, 'from') ?? '')) return null;
  const text = textHead(view.reportText, 50_000);
  const list = LIST_HEAD.exec(text);
  if (!list) return null;
  const rest = text.slice(list.index + list[0].length);
  const info = INFO_HEAD.exec(rest);
  const listText = info ? rest.slice(0, info.index) : rest;
  const addresses = new Set<string>();
  for (const line of listText.split('\n')) {
    const t = line.trim();
    if (!t || /\s/.test(t)) continue;
    const a = normalizeAddress(t);
    if (a && a.includes('@')) addresses.add(a);
  }
  if (!addresses.size) return null;
  let diag: string | null = null;
  if (info) {
    // the information paragraph, up to the next "-----" heading or blank-line-separated block
    const body = rest.slice(info.index + info[0].length).replace(/^\s*\n/, '');
    diag = oneLine(body.split(/\n[ \t]*\n|\n[ \t]*-{3,}/)[0]) || null;
  }
  // one text for every address: read it once
  const status = findStatusCode(diag);
  const replyCode = findReplyCode(diag);
  const recipients: RecipientReport[] = [...addresses].map((a) => newRecipient(a, { action: 'failed', status, replyCode, diagnosticCode: diag }));
  return { kind: 'bounce', recipients };
}

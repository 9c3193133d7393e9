// 1&1 / IONOS (mx.kundenserver.de) bounces: Exim-like prose, no delivery-status part, the
// returned header block after "--- The header of the original message is following. ---".
// Two shapes of the failure list:
//
//   The following address failed:                The following address(es)
//                                                failed:
//   general@example.eu
//                                                xxxx@example.fr:
//   For the following reason:                    SMTP error from remote server for TEXT command,
//                                                host: smtp-in.orange.fr (193.252.22.65) reason:
//   Mail size limit exceeded. For explanation    550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]
//   visit http://postmaster.1and1.com/en/...
//
// In the second shape the remote server's reply follows "reason:" and "for <X> command" names
// the SMTP phase (1&1 says TEXT for the message content, i.e. DATA). GMX writes the first shape
// with "Reason:" for "For the following reason:". A reason after a list of several addresses
// is each one's (issue #13 round 3, metamorphic tests: with one more address listed, the first
// lost its reason to the last).
import type { RecipientReport } from '../../report.js';
import { headerValue } from '../mime.js';
import { codeReader, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

const OPENING = /This message was created automatically by mail delivery software/i;
const HEADER_MARKER = /^-{2,}[ \t]*The header of the original message is following\.?[ \t]*-{2,}/im;
const SENDER = /@(?:[\w-]+\.)*(?:kundenserver\.de|1und1\.de|1and1\.(?:com|de|co\.uk|es|fr|mx)|ionos\.(?:com|de|co\.uk|es|fr|mx))\b/i;
const FAILED_HEAD = /the following address(?:\(es\)|es)?\s+failed\s*:/i;
// "For the following reason:" (1&1) or "Reason:" alone on its line (GMX, web.de): the text after
// it is the reason of every address listed before it that has none of its own
// (the blanks after the colon only when there is one: two runs of blanks side by side try every
// split of a long run between them)
const REASON_HEAD = /^[ \t]*(?:For the following reason|Reason)[ \t]*(?::[ \t]*)?$/im;
const ADDRESS_LINE = /^[ \t]*<?([^\s<>@]{1,256}@[^\s<>:]{1,256})>?:?[ \t]*$/;
const COMMANDS: Record<string, string> = { TEXT: 'DATA', DATA: 'DATA', RCPT: 'RCPT', MAIL: 'MAIL', HELO: 'HELO', EHLO: 'EHLO' };

export function detectEinsUndEins(view: MailView): DetectorResult | null {
  const text = textHead(view.text, 100_000);
  if (!OPENING.test(text)) return null;
  const from = headerValue(view.headers, 'from') ?? '';
  // the header marker is 1&1's own; the sender domain covers reports that lost it
  const marker = HEADER_MARKER.exec(text);
  if (!marker && !SENDER.test(from)) return null;
  const report = marker ? text.slice(0, marker.index) : view.reportText;
  const head = FAILED_HEAD.exec(report);
  if (!head) return null;
  const body = report.slice(head.index + head[0].length);

  // "For the following reason:" holds one text for every address above it
  const reasonAt = REASON_HEAD.exec(body);
  const listText = reasonAt ? body.slice(0, reasonAt.index) : body;
  const shared = reasonAt ? oneLine(body.slice(reasonAt.index + reasonAt[0].length)) || null : null;

  const blocks: { address: string; lines: string[] }[] = [];
  const seen = new Set<string>();
  // the line above, when it is a block's text: one ending in a colon ("..., help:") announces the
  // next line, an address a relay's re-wrap put on a line of its own, which is no entry then
  let above = '';
  for (const line of listText.split('\n')) {
    const m = ADDRESS_LINE.exec(line);
    const a = m ? normalizeAddress(m[1]) : null;
    const announced = /:[ \t]*$/.test(above);
    above = '';
    if (a && a.includes('@') && !announced) {
      if (!seen.has(a)) blocks.push({ address: a, lines: [] });
      seen.add(a);
      continue;
    }
    if (blocks.length && line.trim()) {
      blocks[blocks.length - 1].lines.push(line.trim());
      above = line;
    }
  }
  if (!blocks.length) return null;

  const codesOf = codeReader();
  const recipients: RecipientReport[] = blocks.map((b) => {
    const own = b.lines.length ? oneLine(b.lines.join(' ')) : null;
    let diag = own ?? shared;
    let remoteMta: string | null = null;
    let command: string | null = null;
    if (own) {
      const host = /\bhost:?[ \t]+([A-Za-z0-9][A-Za-z0-9.-]{0,253})/i.exec(own);
      if (host) remoteMta = host[1].toLowerCase().replace(/\.$/, '');
      const cmd = /\bfor ([A-Z]{4}) command\b/i.exec(own);
      if (cmd) command = COMMANDS[cmd[1].toUpperCase()] ?? null;
      const reason = /\breason:[ \t]*(\S.*)$/i.exec(own);
      if (reason) diag = reason[1].trim();
    }
    const codes = codesOf(diag);
    return newRecipient(b.address, {
      action: 'failed',
      status: codes.status,
      replyCode: codes.replyCode,
      diagnosticType: own && /\bSMTP error\b/i.test(own) ? 'smtp' : null,
      diagnosticCode: diag,
      remoteMta,
      command,
    });
  });
  return { kind: 'bounce', recipients };
}

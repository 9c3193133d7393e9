// Detector registry: the ordered list the parser tries, first match wins.
//
// HOW TO ADD A DETECTOR (e.g. a family of non-standard NDRs: Exchange, qmail, Exim, ...)
//  1. Create `src/parser/detectors/<family>.ts` exporting `detect<Family>(view: MailView)`
//     returning a DetectorResult or null. Types and `newRecipient()` are in ./types.ts.
//     - Read only the MailView (../mime.ts): `headers` (lower-cased names), `text` /
//       `reportText` (human-readable text, before any pasted copy of the original),
//       `deliveryStatus`, `parts`, `original`. No I/O, no globals, no throwing on odd input.
//     - Gate cheaply first on what identifies the family (From, Subject, X-Mailer, a
//       Received line, a fixed sentence), then parse. Return null when unsure: the generic
//       detectors after yours will still try.
//     - One RecipientReport per failed address; never merge two addresses.
//     - Put the remote server's text in `diagnosticCode` (one line) and use the shared helpers
//       of ../smtp-text.ts (findStatusCode, findReplyCode, normalizeAddress, findCommand).
//       Leave `status` null when the message carries no code: the classifier derives one
//       from the reason (statusDerived). Set `action` ('failed' / 'delayed').
//     - Reuse ./rfc3464.ts (parseDsnFields, recipientFromBlock) when the family sends RFC 3464
//       fields with quirks.
//  2. Add ONE import line and ONE entry in the FAMILIES block below (keep it sorted by name
//     unless a family must run before another; say why in a comment if so).
//  3. Add `fixtures/<family>/*.eml` and `test/parser/<family>.test.ts`.
//
// ORDER: ARF first (explicit report type), then family detectors (most specific: they know the
// quirks of a standard-looking report), then plain RFC 3464, then challenge/response requests
// and auto-replies (they must not swallow NDRs, which also carry Auto-Submitted), then the
// generic text fallback.
import { headerValues, type MailView } from '../mime.js';
import { detectAmazonSes } from './amazonses.js';
import { detectApacheJames } from './apachejames.js';
import { detectArf } from './arf.js';
import { detectAutoReply } from './auto-reply.js';
import { detectBiglobe } from './biglobe.js';
import { detectChallengeResponse } from './challenge-response.js';
import { detectCourier } from './courier.js';
import { detectDomino } from './domino.js';
import { detectDragonfly } from './dragonfly.js';
import { detectEinsUndEins } from './einsundeins.js';
import { detectExchange2003 } from './exchange2003.js';
import { detectExchange2007 } from './exchange2007.js';
import { detectExim } from './exim.js';
import { detectEzweb } from './ezweb.js';
import { detectFallback } from './fallback.js';
import { detectGmail } from './gmail.js';
import { detectGoogleGroups } from './googlegroups.js';
import { detectHaraka } from './haraka.js';
import { detectImailServer } from './imailserver.js';
import { detectFml } from './fml.js';
import { detectMailMarshal } from './mailmarshal.js';
import { detectMdnReject } from './mdn-reject.js';
import { detectMessagingServer } from './messagingserver.js';
import { detectMimecast } from './mimecast.js';
import { detectNullmailer } from './nullmailer.js';
import { detectOpenSmtpd } from './opensmtpd.js';
import { detectPostal } from './postal.js';
import { detectQmail } from './qmail.js';
import { detectRfc3464 } from './rfc3464.js';
import { detectSendmail } from './sendmail.js';
import type { RecipientReport } from '../../report.js';
import { findAddresses, mailboxesNamed, mailboxProblem, textHead } from '../smtp-text.js';
import type { Detector, DetectorResult } from './types.js';

export type { Detector, DetectorResult, DetectFn } from './types.js';
export { newRecipient } from './types.js';

// --- FAMILIES: one import above and one entry here per family detector ---
const FAMILIES: Detector[] = [
  // { name: 'exim', detect: detectExim },
  { name: 'amazonses', detect: detectAmazonSes },
  { name: 'apachejames', detect: detectApacheJames },
  { name: 'biglobe', detect: detectBiglobe },
  { name: 'courier', detect: detectCourier },
  { name: 'domino', detect: detectDomino },
  { name: 'dragonfly', detect: detectDragonfly },
  { name: 'einsundeins', detect: detectEinsUndEins },
  { name: 'exchange2003', detect: detectExchange2003 },
  { name: 'exchange2007', detect: detectExchange2007 },
  { name: 'exim', detect: detectExim },
  { name: 'ezweb', detect: detectEzweb },
  { name: 'gmail', detect: detectGmail },
  { name: 'googlegroups', detect: detectGoogleGroups },
  // (before qmail: Haraka's default bounce text copies qmail's "Hi. This is the ... program")
  { name: 'haraka', detect: detectHaraka },
  { name: 'imailserver', detect: detectImailServer },
  { name: 'fml', detect: detectFml },
  { name: 'mailmarshal', detect: detectMailMarshal },
  { name: 'mdn-reject', detect: detectMdnReject },
  { name: 'messagingserver', detect: detectMessagingServer },
  { name: 'mimecast', detect: detectMimecast },
  { name: 'nullmailer', detect: detectNullmailer },
  { name: 'opensmtpd', detect: detectOpenSmtpd },
  { name: 'postal', detect: detectPostal },
  { name: 'qmail', detect: detectQmail },
  { name: 'sendmail', detect: detectSendmail },
];

export const DETECTORS: readonly Detector[] = [
  { name: 'arf', detect: detectArf },
  ...FAMILIES,
  { name: 'rfc3464', detect: detectRfc3464 },
  // before auto-replies and the fallback: a challenge is neither a vacation notice nor an NDR
  { name: 'challenge-response', detect: detectChallengeResponse },
  { name: 'auto-reply', detect: detectAutoReply },
  { name: 'fallback', detect: detectFallback },
];

/**
 * The recipients whose address is a mailbox (see mailboxProblem): the one place where every
 * detector's addresses are checked. A mangled Final-Recipient with a usable Original-Recipient
 * becomes that address; any other mangled address is dropped with a warning, never recorded.
 */
function mailboxesOnly(rs: RecipientReport[], warnings: string[], view: MailView): RecipientReport[] {
  let out: RecipientReport[] | null = null;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i];
    const problem = mailboxProblem(r.finalRecipient);
    let keep: RecipientReport | null = r;
    if (problem) {
      const orig = (r.originalRecipient && !mailboxProblem(r.originalRecipient) ? r.originalRecipient : null) ?? (problem === 'no @' ? completed(r, view) : null);
      keep = orig ? { ...r, finalRecipient: orig } : null;
      if (warnings.length < 20) warnings.push(`recipient "${r.finalRecipient.slice(0, 100)}" ${orig ? `replaced by ${orig}` : 'dropped'}: ${problem}`);
    }
    if (keep !== r) out ??= rs.slice(0, i);
    if (out && keep) out.push(keep);
  }
  return out ?? rs;
}

/**
 * A Final-Recipient that is a bare local part ("rfc822; jane.doe": GroupWise, some Exchange and
 * LDAP-routed set-ups) completed from what the same report states about it: the one address
 * with that local part in the recipient's own Diagnostic-Code ("550 5.1.1 <jane.doe@x>: ...")
 * or in the report's X-Failed-Recipients. Null unless exactly one such address is named.
 */
function completed(r: RecipientReport, view: MailView): string | null {
  const local = r.finalRecipient.trim().toLowerCase();
  if (!local || local.length > 64) return null;
  const named = new Set<string>();
  // (in the Diagnostic-Code, only an address the reply names as a mailbox: not where to write
  // instead, "551 5.1.6 User not local; please try <jane@newco.example>", whom to ask, the sender)
  const diag = r.diagnosticCode ?? '';
  const lists = [mailboxesNamed(textHead(diag, 4096))];
  for (const t of headerValues(view.headers, 'x-failed-recipients')) lists.push(findAddresses(textHead(t, 4096)));
  for (const list of lists) {
    for (const a of list) {
      if (a.slice(0, a.lastIndexOf('@')).toLowerCase() === local && !mailboxProblem(a)) named.add(a.toLowerCase());
    }
  }
  return named.size === 1 ? [...named][0] : null;
}

export interface DetectionOutcome {
  result: (DetectorResult & { detector: string }) | null;
  /** Detectors that threw (a bug in them must not lose the message). */
  warnings: string[];
}

/**
 * Runs the detectors in order. The first result with recipients (or a non-bounce kind) wins;
 * a bounce result without recipients is kept only if nothing better follows.
 */
export function runDetectors(view: MailView, detectors: readonly Detector[] = DETECTORS): DetectionOutcome {
  const warnings: string[] = [];
  let weak: (DetectorResult & { detector: string }) | null = null;
  for (const d of detectors) {
    let r: DetectorResult | null;
    try {
      r = d.detect(view);
    } catch (err) {
      warnings.push(`detector ${d.name} failed: ${(err as Error)?.message ?? String(err)}`);
      continue;
    }
    if (!r) continue;
    const recipients = mailboxesOnly(r.recipients, warnings, view);
    // Object.assign, not `{ ...r, detector }`: that spread costs V8 (Node 20) about a microsecond
    const named = Object.assign({}, r, { detector: r.detector ?? d.name, recipients });
    // 'unknown': a detector that knows the message as its family's non-bounce (an SES send event)
    // (settled: the family's reader found nobody that failed, on purpose)
    if (recipients.length || r.settled || r.kind === 'auto_reply' || r.kind === 'complaint' || r.kind === 'unknown') return { result: named, warnings };
    weak ??= named;
  }
  return { result: weak, warnings };
}

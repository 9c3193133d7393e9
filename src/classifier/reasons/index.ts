// The reason tables in the order they are consulted (first table with a matching phrase wins).
// Order = specificity: a wording that names one cause beats one that names a broader one.
//   STRONG   phrases that name one cause; they beat any status code, because servers send
//            5.1.1 / 5.7.1 / 5.0.0 loosely ("user over quota (#5.1.1)").
//   (specific status codes, see ../index.ts)
//   WEAK     words that hint ("access denied", "blocked", "filter", "service unavailable").
//   (generic status codes: the subject and detail of RFC 3463)
//   LAST     wordings that name no cause by themselves ("Recipient address rejected").
import { authfailure } from './authfailure.js';
import { badreputation } from './badreputation.js';
import { blocked, blockedHint, refusedByHost } from './blocked.js';
import { contenterror, contentHeader } from './contenterror.js';
import { emailtoolarge } from './emailtoolarge.js';
import { expired, noAnswer } from './expired.js';
import { filtered, filterWord } from './filtered.js';
import { hasmoved } from './hasmoved.js';
import { dnsTemporary, dnsUnresolved, hostunknown } from './hostunknown.js';
import { addressRejected, notAccepted, policyRefusal } from './last-resort.js';
import { mailboxfull } from './mailboxfull.js';
import { mailererror } from './mailererror.js';
import { networkerror, noConnection } from './networkerror.js';
import { norelaying } from './norelaying.js';
import { notaccept } from './notaccept.js';
import { notcompliantrfc } from './notcompliantrfc.js';
import { policyPhrases, policyviolation } from './policyviolation.js';
import { ratelimited, ratePhrases } from './ratelimited.js';
import { rejected } from './rejected.js';
import { requireptr } from './requireptr.js';
import { failedstarttls, securityerror } from './security.js';
import { spamVerdict, spamWords } from './spamdetected.js';
import { suspend } from './suspend.js';
import { syntaxerror } from './syntaxerror.js';
import { serviceUnavailable, systemerror, systemFaultWordings } from './systemerror.js';
import { systemfull } from './systemfull.js';
import type { ReasonTable } from './table.js';
import { userunknown } from './userunknown.js';
import { virusdetected } from './virusdetected.js';

export type { ReasonTable } from './table.js';

export const STRONG: readonly ReasonTable[] = [
  virusdetected, spamVerdict, authfailure, requireptr, badreputation,
  // before blocked: qmail wraps every MAIL FROM refusal in "but sender was rejected"
  rejected, blocked, systemFaultWordings, norelaying, policyPhrases,
  // before mailboxfull / emailtoolarge: "daily quota exceeded" (sender), "header size exceeds"
  ratePhrases, contentHeader,
  // before emailtoolarge: "mailbox size limit exceeded" is the mailbox, not the message
  mailboxfull, emailtoolarge, hasmoved, notaccept, suspend,
  // before userunknown: "mailbox unavailable (not enough free space)" names the full system
  systemfull,
  // before hostunknown: "Host not found, try again" is a resolver failure, not a missing domain
  dnsTemporary, dnsUnresolved, hostunknown, userunknown, filtered, spamWords, ratelimited, failedstarttls,
  securityerror, notcompliantrfc, contenterror, policyviolation, noConnection,
  // (systemfull, above, is before expired too: "452 4.3.1 Insufficient system storage: retry
  // timeout exceeded" (Exim) gave up on a full system; the expiry only says the retries ended)
  expired, mailererror, refusedByHost, noAnswer, networkerror, systemerror, syntaxerror,
];

// Between the tables above and the hints below, and only when the enhanced code names no ground
// (rules.ts matchUnspecified): refusals that are the sender's by the definitions of the names.
export const UNSPECIFIED: readonly ReasonTable[] = [policyRefusal];

export const WEAK: readonly ReasonTable[] = [blockedHint, filterWord];

// After the command's and the enhanced code's defaults (rules.ts decide): "Service unavailable"
// is RFC 5321's stock text for 421 and 554 and says nothing a 5.7.1 or a refused MAIL FROM
// has not said better; it decides only when they are silent.
export const LAST: readonly ReasonTable[] = [addressRejected, notAccepted, serviceUnavailable];

/** Tables whose words say which mailbox or domain failed: not read in a local program's error. */
export const ADDRESS_TABLES: ReadonlySet<ReasonTable> = new Set([userunknown, hostunknown, filtered, addressRejected]);

import { p } from '../phrase.js';
import { SISIMAI, SISIMAI5 } from '../sources.js';
import type { ReasonTable } from './table.js';

/**
 * "Recipient address rejected" alone names no cause: Postfix prefixes every RCPT-time policy reply
 * with it. Only when no code and no other text spoke is it read as a refused recipient.
 */
export const addressRejected: ReasonTable = {
  id: 'text.address-rejected',
  reason: 'userunknown',
  note: 'the recipient address was refused, no cause given',
  notCommand: ['MAIL'],
  phrases: [
    p('recipient address rejected', 'Postfix: smtpd recipient restrictions reply', '550 <a@example.jp>: Recipient address rejected.'),
    p('address rejected', SISIMAI),
    p('rcpt to not accepted', 'seen: Sendmail, IIS SMTP'),
    p('recipient not accepted', 'seen: Sendmail, IIS SMTP'),
  ],
};

/** A refusal that names nothing at all: the sender was turned away. */
export const notAccepted: ReasonTable = {
  id: 'text.not-accepted',
  reason: 'rejected',
  note: 'the message was refused, no cause given',
  phrases: [
    p('rejected', SISIMAI, '550 Message rejected'),
    p('not accepted', SISIMAI),
    p('denied', SISIMAI),
  ],
};

/**
 * Refusals that name no ground but are, by the reason definitions whose names we use, the
 * sender's refusal (Sisimai 5 Rejected): read before the hinting words and before an enhanced
 * code that names no ground either (none, X.0.0, a permanent 5.7.0 / 5.7.1 / 5.7.2, X.3.0),
 * never against a code that names one (rules.ts `matchUnspecified`).
 */
export const policyRefusal: ReasonTable = {
  id: 'text.policy-refusal',
  reason: 'rejected',
  note: 'a refusal by the receiver\'s policy that names no other ground',
  phrases: [
    p('administrative prohibition', 'Exim: 550 "Administrative prohibition" (ACL deny without a message); ' + SISIMAI5 + ' (Rejected)', '550 Administrative prohibition'),
    p('delivery not authorized, message refused', 'RFC 3463 X.7.1\'s title as a reply text (Exchange: a sender the recipient does not accept); ' + SISIMAI5 + ' (Rejected)', '550 5.7.1 Delivery not authorized, message refused'),
    // a refusal of the envelope (its sender) by a gateway's policy, and BATV's (RFC-less Bounce
    // Address Tag Validation: a bounce whose recipient carries no valid tag is refused)
    p('envelope blocked', SISIMAI5 + ' (Rejected: "envelope blocked"); Mimecast (550 envelope blocked)', '550 5.7.1 <x@example.org>: Envelope blocked - example.org'),
    p('recipient addresses rejected : access denied', SISIMAI5 + ' (Rejected); m-FILTER', '550 5.4.1 All recipient addresses rejected : Access denied'),
    p('access denied (sender blacklisted)', SISIMAI5 + ' (Rejected)', '550 5.7.1 <x@example.org>: Access denied (sender blacklisted)'),
    p('(batv: no tag', SISIMAI5 + ' (Rejected: "recipient not accepted. (batv: no tag")', '550 5.7.1 <x@example.org>: Recipient not accepted. (BATV: no tag'),
  ],
};

import { p } from '../phrase.js';
import { SISIMAI } from '../sources.js';
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
    p('administrative prohibition', 'Exim: 550 "Administrative prohibition" (ACL deny)'),
  ],
};

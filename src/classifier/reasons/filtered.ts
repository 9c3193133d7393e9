import { p } from '../phrase.js';
import { SISIMAI } from '../sources.js';
import type { ReasonTable } from './table.js';

const USER_FILTER = "seen: AOL, Facebook, Willcom, au/docomo (the recipient's own filter refused the sender)";

/** The recipient's own settings or filter refused this sender or message. */
export const filtered: ReasonTable = {
  id: 'text.filtered',
  reason: 'filtered',
  note: "a recipient-side filter or the recipient's preferences refused the message",
  phrases: [
    p('refused due to recipient preferences', USER_FILTER),
    p('recipient is only accepting mail from specific', USER_FILTER),
    p('user refuses to receive this mail', USER_FILTER),
    p('recipient id refuse to receive mail', USER_FILTER),
    p('you have been blocked by the recipient', USER_FILTER),
    p('account is protected by', USER_FILTER),
    p('message rejected due to user rules', USER_FILTER),
    p('user reject', USER_FILTER),
    p('rejected by recipient', USER_FILTER),
    p('rejected by the recipient', USER_FILTER),
    p('recipient has refused', USER_FILTER),
    p('recipient rejected your', USER_FILTER),
    p('has restricted sms e-mail', 'AT&T: SMS gateway restriction'),
    p('restricted email', USER_FILTER),
    p('message filtered', SISIMAI),
    p('rejected by filter', SISIMAI),
    p('rejected by * filter', SISIMAI, '550 rejected by content filter'),
    p("recipient's filter", USER_FILTER),
    p("user's filter", USER_FILTER),
    p('recipient filter', USER_FILTER),
    p('user filter', USER_FILTER),
    p("recipient's preferences", USER_FILTER),
    p('recipient preferences', USER_FILTER),
    p('recipient rules', USER_FILTER),
    p('due to extended inactivity new mail', SISIMAI),
    p('not found recipient account', SISIMAI),
    p('is not accepting any mail', SISIMAI),
    p('that recipient is not allowed', 'Haraka: haraka-plugin-access README, [deny_msg] rcpt default "That recipient is not allowed", its reply to a recipient on the receiving site\'s rcpt_to.access blacklist', '550 x@example.net That recipient is not allowed'),
    // Postfix's generic text for an access(5) REJECT or DEFER that gives none of its own, on
    // the recipient (check_recipient_access): the receiving site filters mail for this address,
    // RFC 3463 X.7.1 "per-host or per-recipient filtering". The host check of the same table
    // says "Client host rejected" (blocked); Microsoft's 5.4.1 of these words is DBEB (../providers)
    p(
      'recipient address rejected: access denied',
      'Postfix access(5) REJECT/DEFER without text, check_recipient_access; RFC 3463 X.7.1 (per-recipient filtering)',
      '554 5.7.1 <a@example.net>: Recipient address rejected: Access denied',
    ),
  ],
};

/** The word "filter" alone: after every cause a code or text names precisely. */
export const filterWord: ReasonTable = {
  id: 'text.filter-word',
  reason: 'filtered',
  note: 'a filter named without a cause',
  phrases: [
    p('filter', 'seen: Sendmail milters, Postfix header_checks, Exim system filter', '550 Message caught by filter'),
    p('filtering', 'seen: Sendmail milters, Postfix header_checks, Exim system filter'),
  ],
};

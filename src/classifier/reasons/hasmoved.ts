import { p } from '../phrase.js';
import { APPLE, RFC3463, SISIMAI } from '../sources.js';
import type { ReasonTable } from './table.js';

const MOVED = 'seen: Sendmail (551 "User not local; please try"), Microsoft Exchange, iCloud';

/** The address was valid once and is no longer (RFC 3463 X.1.6), or a new address is given. */
export const hasmoved: ReasonTable = {
  id: 'text.hasmoved',
  reason: 'hasmoved',
  note: 'the mailbox has moved; a new address may be given (RFC 3463 X.1.6, RFC 5321 551)',
  phrases: [
    p(' has been replaced by ', SISIMAI, '550 5.1.6 kijitora@example.jp has been replaced by neko@example.org'),
    p('address has moved', MOVED),
    // X.1.6's registered title, "Destination mailbox has moved, No forwarding address", as
    // servers word its subject ("Recipient mailbox has moved, no forwarding address")
    p('mailbox has moved', RFC3463 + ' X.1.6 (title)', '550 Recipient mailbox has moved, no forwarding address'),
    p('address has been moved', MOVED),
    p('address has changed', MOVED),
    p('address has been changed', MOVED),
    p('changed his email address', MOVED),
    p('changed her email address', MOVED),
    p('changed their email address', MOVED),
    p('no longer at this address', MOVED),
    p('no longer with this domain', MOVED),
    p('user has moved', MOVED),
    p('recipient no longer on server', APPLE),
    // RFC 3463 X.1.6: "the mailbox address provided was at one time valid, but mail is no
    // longer being accepted for that address": the words of a server whose user left
    p('has left the company', RFC3463, '550 Jane Doe has left the company'),
    p('has left the organization', RFC3463),
    p('has left the organisation', RFC3463),
    p('no longer with the company', RFC3463, '550 This employee is no longer with the company'),
    p('no longer with the organization', RFC3463),
    p('no longer with the organisation', RFC3463),
    p('no longer employed', RFC3463, '550 The recipient is no longer employed here'),
    p('address is no longer in use', RFC3463, '550 This address is no longer in use'),
    p('mailbox is no longer in use', RFC3463),
    p('account is no longer in use', RFC3463),
  ],
};

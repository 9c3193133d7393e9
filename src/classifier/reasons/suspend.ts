import { p } from '../phrase.js';
import { GODADDY, NETEASE, QQ, SISIMAI, YAHOO } from '../sources.js';
import type { ReasonTable } from './table.js';

const DISABLED = 'seen: Gmail, Yahoo, Zimbra, cPanel/Exim, QQ Mail (disabled or suspended account)';

/** The mailbox exists but is disabled or suspended (RFC 3463 X.2.1, RFC 5248 X.7.13). */
export const suspend: ReasonTable = {
  id: 'text.suspend',
  reason: 'suspend',
  note: 'the account exists but is disabled, suspended or inactive',
  phrases: [
    p('the user(s) account is temporarily limited', 'au by KDDI (EZweb): its refusal notices for a restricted contract ("The user(s) account is disabled." / "... is temporarily limited."; au support Q&A 3429203, cited by Sisimai::Lhost::EZweb)'),
    p('this mailbox is disabled', YAHOO),
    // the account's own switch (CommuniGate Pro's "mail receiving disabled"), not a domain that
    // takes no mail: RFC 3463 X.2.1's mailbox that exists and is not accepting messages
    p('mail receiving disabled', 'RFC 3463 X.2.1 (title: "Mailbox disabled, not accepting messages")'),
    p('is currently suspended', DISABLED),
    p('has been suspended', DISABLED),
    p('has been temporarily suspended', DISABLED),
    p('account has been disabled', DISABLED),
    p('account is disabled', DISABLED),
    p('account disabled', GODADDY),
    p('account has been suspended', DISABLED),
    p('account is suspended', DISABLED),
    p('account suspended', DISABLED),
    p('account has been deactivated', DISABLED),
    p('account is deactivated', DISABLED),
    p('account is locked', DISABLED),
    p('account has been locked', DISABLED),
    p('account is frozen', DISABLED),
    p('account is inactive', DISABLED),
    p('account inactive', DISABLED),
    p('account is not active', DISABLED),
    p('account has been terminated', DISABLED),
    p('account has expired', DISABLED),
    p('mailbox disabled', DISABLED),
    p('mailbox is disabled', DISABLED),
    p('mailbox has been disabled', DISABLED),
    p('mailbox is suspended', DISABLED),
    p('mailbox currently suspended', DISABLED),
    p('mailbox is frozen', DISABLED),
    p('mailbox is inactive', DISABLED),
    p('inactive account', DISABLED),
    p('inactive mailbox', DISABLED),
    p('inactive user', DISABLED),
    p('disabled account', DISABLED),
    p('disabled mailbox', DISABLED),
    p('disabled recipient', DISABLED),
    p('user suspended', NETEASE),
    p('recipient suspended', DISABLED),
    p('recipient suspend the service', SISIMAI),
    p('user is terminated', SISIMAI),
    p('user or domain is disabled', SISIMAI),
    p('temporarily inactive', SISIMAI),
    p('temporary locked', SISIMAI),
    p('temporarily locked', SISIMAI),
    p('is a deactivated mailbox', QQ),
    p('archived recipient', SISIMAI),
    p('boite du destinataire archivee', 'Orange: postmaster error codes (420)'),
    p('le compte du destinataire est bloque', 'Orange: postmaster error codes (426)'),
  ],
};

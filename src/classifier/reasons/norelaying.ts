import { p } from '../phrase.js';
import { APPLE, GOOGLE, MESSAGELABS, MIMECAST, SISIMAI, SISIMAI5, YAHOO } from '../sources.js';
import type { ReasonTable } from './table.js';

const RELAY = 'seen: Postfix (reject_unauth_destination), Sendmail, Exim, Microsoft Exchange';

export const norelaying: ReasonTable = {
  id: 'text.norelaying',
  reason: 'norelaying',
  note: 'the server is not the destination of the address and will not relay for us',
  phrases: [
    p("isn't in my list of allowed rcpthost", SISIMAI5 + ' (NoRelaying, the singular spelling)', "553 sorry, that domain isn't in my list of allowed rcpthost"),
    p('as a relay', SISIMAI5 + ' (NoRelaying); ' + MESSAGELABS + ' ("You are trying to use me as a relay")', '553 You are trying to use me [server-7.example.net] as a relay, but I have not been configured to let you do this.'),
    p('not an open relay', SISIMAI, '550 This is not an open relay, so get lost'),
    p('not a gateway', SISIMAI),
    p("we don't handle mail for", SISIMAI, "550 5.7.1 we don't handle mail for example.org"),
    p('not local host', SISIMAI, '550 5.7.1 example.org... not local host, not a gateway'),
    p('requires authentication when attempting to send to a non-local e-mail address', SISIMAI),
    p('relay access denied', APPLE, '554 5.7.1 <x@example.net>: Relay access denied'),
    p('relaying denied', YAHOO),
    p('relay denied', RELAY),
    p('relaying not permitted', RELAY),
    p('relaying not allowed', RELAY),
    p('relaying prohibited', RELAY),
    p('relay not permitted', RELAY),
    p('relay not allowed', RELAY),
    p('relay prohibited', RELAY),
    p('relaying refused', RELAY),
    p('not permitted to relay', RELAY),
    p('not allowed to relay', RELAY),
    p("isn't allowed to relay", RELAY),
    p('we do not relay', RELAY),
    p('unable to relay', RELAY),
    p('cannot relay', RELAY),
    p('will not relay', RELAY),
    p('relay not authorized', RELAY),
    p('no relaying', RELAY),
    p('relaying mail to * is not allowed', RELAY, '550 relaying mail to example.org is not allowed'),
    p('not configured to relay', RELAY),
    p("isn't in my list of allowed rcpthosts", 'qmail-smtpd(8): control/rcpthosts, "envelope recipient address with a domain not listed in rcpthosts" is refused (not a domain it relays for)', "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"),
    p('mail relay denied', GOOGLE),
    // (Haraka's core reply to a recipient no rcpt plugin accepted; its default rcpt plugin,
    // rcpt_to.in_host_list, accepts only the domains it lists: a domain it does not serve)
    p('i cannot deliver mail for', 'Haraka: docs/Plugins.md, the rcpt hook ("a rcpt plugin MUST return next(OK) or the sender will receive the error message \'I cannot deliver for that user\'. The default rcpt plugin is rcpt_to.in_host_list, which lists the domains for which to accept email"; connection.js words it "I cannot deliver mail for <addr>")', '550 I cannot deliver mail for <x@example.net>'),
    p('open relay not allowed', MIMECAST),
    p('email address is not verified. the following identities failed', 'Amazon SES: unverified identity'),
  ],
};

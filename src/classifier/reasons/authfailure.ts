import { p } from '../phrase.js';
import { APPLE, GOOGLE, MICROSOFT, RFC7208, RFC7489, SISIMAI5, YAHOO, ZOHO } from '../sources.js';
import type { ReasonTable } from './table.js';

export const authfailure: ReasonTable = {
  id: 'text.authfailure',
  reason: 'authfailure',
  note: 'the message failed SPF, DKIM or DMARC (sender domain authentication)',
  phrases: [
    // libspf2's default explanation, a link to the SPF project's "why" page for the failed sender
    p('//spf.pobox.com/why', SISIMAI5 + ' (AuthFailure)', '550 5.7.1 Please see http://spf.pobox.com/why.html?sender=x%40example.org&ip=192.0.2.1&receiver=mx'),
    // the same page's later homes: libspf2's default explanation ("Please see http://www.openspf.
    // org/Why?id=..."), and Debian's postfix-policyd-spf-python, whose every SPF refusal ends
    // "Please see http://www.openspf.net/Why?s=mfrom;id=..." (fixtures/generated, *-spf*: the
    // refusal read without its 5.7.23 is still the SPF check's, not "Recipient address rejected")
    p('//www.openspf.org/why', 'libspf2 (SPF_DEFAULT_EXP: the SPF project\'s "why" page)', '550 5.7.1 Please see http://www.openspf.org/Why?id=x%40example.org&ip=192.0.2.1&receiver=mx'),
    p('//www.openspf.net/why', 'postfix-policyd-spf-python (Debian), fixtures/generated spf', '550 5.7.23 <x@x.x>: Recipient address rejected: Message rejected due to: domain owner discourages use of this host. Please see http://www.openspf.net/Why?s=mfrom;id=x@x.x;ip=192.0.2.1;r=mx'),
    p('dmarc', RFC7489, '550 5.7.1 Email rejected: DMARC check failed'),
    p('spf', RFC7208, '550 5.7.1 SPF check failed'),
    p('sender policy framework', RFC7208),
    p('dkim', 'RFC 6376 (DKIM)'),
    p('domainkeys', 'RFC 4870 (DomainKeys)'),
    p('is not designated by', 'seen: Gmail, Exim SPF ACLs (SPF "not designated" result)'),
    p('not authorized to send on behalf', 'seen: Exim, Postfix policyd-spf'),
    p('unauthenticated email from', GOOGLE),
    p('unauthenticated email is not accepted', GOOGLE),
    p('fails to pass authentication checks', GOOGLE),
    p('does not have authentication information', GOOGLE),
    p('senders to authenticate with either spf or dkim', YAHOO),
    p("doesn't meet the required authentication level", MICROSOFT),
    p("doesn't meet the authentication requirements", MICROSOFT),
    p('email rejected per dmarc policy', ZOHO),
    p("'s dmarc policy", APPLE),
    p('sender authentication failed', 'seen: Exim, Postfix policyd-spf'),
    p('email authentication failed', 'seen: Proofpoint, Mimecast'),
    p('authentication-results * fail', 'seen: Exim, Postfix (quoted Authentication-Results, RFC 8601)'),
  ],
};

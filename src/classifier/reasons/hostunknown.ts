import { p } from '../phrase.js';
import { SISIMAI } from '../sources.js';
import type { ReasonTable } from './table.js';

const NXDOMAIN =
  'seen: Postfix ("Host or domain name not found"), Sendmail ("Host unknown"), ' +
  'Exim ("Unrouteable address"), qmail ("couldn\'t find any host named")';

/** The domain part of the recipient address does not exist (RFC 3463 X.1.2). */
export const hostunknown: ReasonTable = {
  id: 'text.hostunknown',
  reason: 'hostunknown',
  note: 'the domain of the recipient address does not exist or has no mail route',
  notCommand: ['MAIL'],
  phrases: [
    p('host unknown', NXDOMAIN, '550 5.1.2 Host unknown (Name server: example.invalid: host not found)'),
    p('unknown host', NXDOMAIN),
    p('host not found', NXDOMAIN),
    p('host or domain name not found', NXDOMAIN),
    p("couldn't find any host named", NXDOMAIN),
    p('host * not found', NXDOMAIN, 'DNS lookup failure: host mx.example.org not found'),
    p('unroutable address', NXDOMAIN),
    p('unrouteable address', NXDOMAIN),
    p('unknown domain', NXDOMAIN),
    p('no such domain', NXDOMAIN),
    p('domain does not exist', NXDOMAIN),
    p('domain must exist', NXDOMAIN),
    p('domain not found', NXDOMAIN),
    p('domain name not found', NXDOMAIN),
    p('domain is not reachable', NXDOMAIN),
    p('host unreachable', SISIMAI),
    p('domain is invalid', NXDOMAIN),
    p('domain is not valid', NXDOMAIN),
    p('name or service not known', 'seen: Postfix, Exim (getaddrinfo EAI_NONAME)'),
    p('nxdomain', NXDOMAIN),
    p('mx records point to non-existent hosts', 'Exim: "all relevant MX records point to non-existent hosts"'),
    // (Exim's smtp transport before 4.9x, when every host of the domain has no address record:
    // no route to the domain, RFC 3463 X.4.4)
    // hMailServer's own text when the recipient domain has neither an MX nor an address record
    // (ExternalDelivery.cpp, _HandleNoRecipientServers, spelt as it writes it)
    p('no mail servers appear to exists', "hMailServer source (ExternalDelivery.cpp): the look-up of the recipient domain's mail servers found none (RFC 3463 X.1.2 / X.4.4)", "Error Description: No mail servers appear to exists for the recipient's address."),
    // SmarterMail's own text when the recipient domain has no MX records; its knowledge base
    // gives it as what a mistyped recipient domain yields
    p(
      'no mx records were found for the',
      "SmarterMail knowledge base, common delivery errors (kb.indsoft.net/kb/a70, support.rackteam.com/kb/a136): a mistyped recipient domain gives \"No MX records were found for the '<domain>' domain\"",
      "Reason: Failed to connect to the recipients mail server. No MX records were found for the 'example.com' domain.",
    ),
    p('all host address lookups failed permanently', 'Exim 4.x transports/smtp.c, every host\'s address lookup failed permanently (RFC 3463 X.4.4 unable to route)', 'all host address lookups failed permanently'),
    p('no route to domain', NXDOMAIN),
    p('illegal host/domain name found', 'Oracle Communications Messaging Server'),
    p('mail domain mentioned in email address is unknown', SISIMAI),
    p('account or domain may not exist', SISIMAI),
    // Gmail's permanent failure when the domain has no MX and no address records (NODATA):
    // nowhere to deliver (Sisimai 4.25 Lhost/Gmail.pm, hostunknown); a 4xx stays networkerror
    p('dns server returned answer with no data', SISIMAI, 'DNS Error: DNS server returned answer with no data for example.com'),
  ],
};

/**
 * DNS trouble the text calls temporary: a network error, before host-unknown wording. With no
 * specific code and no permanent reply, the failure is transient (the MTA gave up after
 * temporary failures; Postfix's DSN for the same says 4.4.3).
 */
export const dnsTemporary: ReasonTable = {
  id: 'text.dns-temporary',
  reason: 'networkerror',
  note: 'the resolver failed for now; the domain was not found missing',
  transient: true,
  phrases: [
    p('host not found, try again', 'Sendmail: temporary resolver failure (TRY_AGAIN)'),
    p('malformed or unexpected name server reply', 'Postfix: DNS reply it cannot use'),
    p('temporary lookup failure', 'seen: Postfix, Exim'),
    p('temporary dns failure', 'seen: Postfix, Exim'),
  ],
};

/** DNS trouble that names no missing domain and does not say it is temporary: a network error. */
export const dnsUnresolved: ReasonTable = {
  id: 'text.dns-unresolved',
  reason: 'networkerror',
  note: 'the destination could not be resolved; the domain was not found missing',
  phrases: [
    p('unrouteable mail domain', 'Exim: sender/recipient domain it cannot route now'),
    p('dns records for the destination computer could not be found', 'Microsoft Exchange 2007+: DNS query failed'),
  ],
};

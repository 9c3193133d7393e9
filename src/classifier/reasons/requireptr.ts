import { p } from '../phrase.js';
import { COX, GOOGLE, MICROSOFT, SISIMAI5 } from '../sources.js';
import type { ReasonTable } from './table.js';

const SM_RDNS = "Sendmail 8.17: cf/m4/proto.m4, the relay check and FEATURE(`require_rdns') on ${client_resolve} (FORGED: \"IP name possibly forged\", \"Possibly forged hostname for\"; TEMP: \"Client IP address <ip> does not resolve\", \"Cannot resolve PTR record for\")";
// the reason's definition: the sending host has no DNS name that leads back to its address
const DEFINITION = SISIMAI5 + " (RequirePTR: the sending host's name and address do not resolve to each other)";
const CHECKS = 'seen: Postfix reject_unknown_client_hostname, Exim ACL (verify = reverse_host_lookup), Sendmail';

export const requireptr: ReasonTable = {
  id: 'text.requireptr',
  reason: 'requireptr',
  note: "the sending IP address has no (matching) reverse DNS name",
  phrases: [
    p('cannot find your reverse hostname', 'Postfix: reject_unknown_reverse_client_hostname reply'),
    p('cannot find your hostname', 'Postfix: reject_unknown_client_hostname reply'),
    p('reverse dns', CHECKS),
    p('reverse lookup', CHECKS),
    p('reverse hostname', CHECKS),
    p('reverse host name', CHECKS),
    p('reverse mapping', 'Sendmail: "reverse mapping checking getaddrinfo"'),
    p('ptr record', GOOGLE),
    p('ptr', CHECKS, '550 5.7.1 No PTR for 192.0.2.1'),
    p('rdns', COX),
    p('no dns pointer', CHECKS),
    p('ip name lookup failed', CHECKS),
    // Sendmail's rulesets for a client whose reverse DNS failed or does not match
    // (${client_resolve} TEMP, FORGED), in its relay check and in FEATURE(`require_rdns')
    p('ip name possibly forged', SM_RDNS, '550 5.7.1 Relaying denied. IP name possibly forged [192.0.2.1]'),
    p('possibly forged hostname for', SM_RDNS, '451 4.1.8 Possibly forged hostname for 192.0.2.1'),
    p('client ip address * does not resolve', SM_RDNS, '451 4.1.8 Client IP address 192.0.2.1 does not resolve'),
    p('cannot resolve ptr record for', SM_RDNS, '450 4.4.0 Relaying temporarily denied. Cannot resolve PTR record for 192.0.2.1'),
    p('unresolvable relay host name', CHECKS),
    p('unresolvable host name', CHECKS),
    p('does not have a valid hostname', CHECKS),
    p('forward dns entry does not point to the sending ip', GOOGLE),
    p('must have a reverse dns record', MICROSOFT),
    p('dns check failure - try again later', COX),
    p('cannot resolve your address', CHECKS),
    p('host name of your ip', CHECKS),
    p('the ip address you are sending from has no', CHECKS),
    p('unverifyable sending', 'Exim: "service permits N unverifyable sending IPs" (sender host checks)'),
    p('mismatches client ip', 'Outlook.com: HELO domain does not match the client address'),
    // (round 17) the sending host's own name named as unresolvable: without these, hostunknown's
    // "host not found" made them the recipient's domain, a hard bounce
    p('sending host not found', DEFINITION, '550 Sending host not found in DNS'),
    p('your host name does not resolve', DEFINITION + ' ("your" is the sending side)', '550 Your host name does not resolve'),
    p('your hostname does not resolve', DEFINITION + ' ("your" is the sending side)', '550 Your hostname does not resolve'),
  ],
};

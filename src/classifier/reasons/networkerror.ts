import { p } from '../phrase.js';
import { GOOGLE, MIMECAST, SISIMAI } from '../sources.js';
import type { ReasonTable } from './table.js';

const NET = 'seen: Postfix, Sendmail, Exim, qmail (connection and DNS failures)';
const OSMTPD_MTA = 'OpenSMTPD: its mta\'s reasons for an unreachable destination (smtpd 6.8, mta.c), as its bounces quote them';

export const noConnection: ReasonTable = {
  id: 'text.no-connection',
  reason: 'networkerror',
  note: 'no SMTP connection could be made to the destination',
  phrases: [
    p("wasn't able to establish an smtp connection", 'qmail: "Sorry, I wasn\'t able to establish an SMTP connection. (#4.4.1)"'),
    p('dns lookup * servfail', NET, 'DNS lookup of example.org failed: SERVFAIL'),
    p('dns lookup * timed out', NET, 'DNS lookup of example.org timed out'),
  ],
};

export const networkerror: ReasonTable = {
  id: 'text.networkerror',
  reason: 'networkerror',
  note: 'a network, DNS or routing failure (RFC 3463 X.4.x)',
  phrases: [
    p('malformed name server reply', SISIMAI),
    // (no "connection refused": a refused TCP connection is no answer from the host, RFC 3463
    // X.4.1, see ./expired.ts `noAnswer`; Sendmail's "Connection refused by <host>", ./blocked.ts)
    p('network error on destination mxs', 'OpenSMTPD: mta.c failstr "Network error on destination MXs" (Sisimai networkerror example)'),
    p('connection reset', NET),
    p('connection lost', NET),
    p('lost connection', 'Postfix: "lost connection with <host> while ..."'),
    p('connection dropped', NET),
    p('connection closed', NET),
    p('no route to host', NET),
    p('network is unreachable', NET),
    p('host is unreachable', NET),
    p('could not connect', NET),
    p('unable to connect', NET),
    p('dns lookup failed', NET),
    p('dns query failed', NET),
    p('mx lookup failed', NET),
    p('dns lookup failure', 'seen: Haraka (outbound, "DNS lookup failure: <domain>"), Courier ("417 DNS lookup failure:")', 'DNS lookup failure: example.net'),
    p('mx lookup for * failed', 'Haraka: outbound, "MX Lookup for <domain> failed: <error>"', 'MX Lookup for example.net failed: Error: queryMx ESERVFAIL example.net'),
    // OpenSMTPD's own reasons for a destination it could not reach (its mta gives them when no
    // route, address or MX answer is usable; smtpd 6.8): the network side, not the recipient
    p('temporary failure in mx lookup', OSMTPD_MTA, 'Temporary failure in MX lookup'),
    p('no valid route to remote mx', OSMTPD_MTA, 'No valid route to remote MX'),
    p('no valid route to destination', OSMTPD_MTA, 'No valid route to destination'),
    p('address family mismatch on destination mxs', OSMTPD_MTA, 'Address family mismatch on destination MXs'),
    p('could not retrieve source address', OSMTPD_MTA, 'Could not retrieve source address'),
    // (its own route blocking after repeated errors, not a refusal by the destination)
    p('all routes to destination blocked', OSMTPD_MTA, 'All routes to destination blocked'),
    p('dns failure', NET),
    p('dns error', NET),
    p('dns problem', NET),
    p('dns servfail', NET),
    p('name server failure', NET),
    p('name server error', NET),
    p('name server timeout', NET),
    p('unable to resolve', NET),
    p('host name lookup failure', 'Exim: "host lookup did not complete"/Sendmail "Host name lookup failure"'),
    p('host lookup did not complete', 'Exim: "host lookup did not complete", "host lookup for <h> did not complete (DNS timeout?)" (exim4 4.96): the DNS gave no answer', 'host lookup did not complete'),
    p('mail forwarding loop for', 'Postfix: "mail forwarding loop for <address>"'),
    p('maximum forwarding loop count exceeded', NET),
    p('message looping', NET),
    p('message is looping', 'qmail: "This message is looping: it already has my Delivered-To line. (#5.4.6)"'),
    p('loops back to myself', 'Postfix: "mail for <domain> loops back to myself"'),
    p('mail for * loops back to myself', 'Postfix: "mail for <domain> loops back to myself"', 'mail for example.org loops back to myself'),
    p('too many hops', 'RFC 5321 §6.3 (hop count); seen: Postfix, Exchange'),
    p('hop count exceeded', 'RFC 5321 §6.3 (hop count); seen: Sendmail, Exim'),
    p('exceeded maximum hop count', 'RFC 5321 §6.3 (hop count); seen: Lotus Notes ("Message has exceeded maximum hop count")', 'Message has exceeded maximum hop count'),
    p('message exceeded 50 hops', GOOGLE),
    p('routing loop', 'RFC 3463 X.4.6 (title)'),
    p('loop detected', NET),
    p('mail loop detected', MIMECAST),
  ],
};

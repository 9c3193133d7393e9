import { p } from '../phrase.js';
import { APPLE, BARRACUDA_BRBL, GMX, GOOGLE, MICROSOFT, POSTFIX_HELO, QQ, SISIMAI, SISIMAI5, SISIMAI5_RHOST, SPAMHAUS_PBL, YAHOO } from '../sources.js';
import type { ReasonTable } from './table.js';

const DNSBL = 'seen: Postfix reject_rbl_client, Exim dnslists, Sendmail dnsbl';
/** Block lists of sending IPs whose names refusals cite (their zones stay in the text: src/host-name.ts). */
const DNSBL_OPERATORS = 'RFC 5782 (DNS block lists) and the lists\' own pages: the CBL (cbl.abuseat.org), UCEPROTECT (dnsbl-1.uceprotect.net), Mailspike (bl.mailspike.net), PSBL (psbl.surriel.com), backscatterer.org (ips.backscatterer.org): lists of sending IP addresses';
const CLIENT = 'seen: Postfix smtpd_client_restrictions, Sendmail access db, qmail tcpserver';
/**
 * Greylisting: a first delivery from an unknown sending host is deferred with a 4xx until it
 * retries. postgrey(8) documents its reply ("--greylist-text", default "Greylisted, see
 * <help URL>"); Zoho and Mimecast document theirs (../providers). A deferral of the sending
 * host, read like Zoho's.
 */
const GREYLIST = 'postgrey(8) --greylist-text (default "Greylisted, see ..."), Zoho and Mimecast greylisting replies';

/** The sending host (its IP address or name) was refused. */
export const blocked: ReasonTable = {
  id: 'text.blocked',
  reason: 'blocked',
  note: 'the sending host (IP address or name) is refused, by a block list or a host check',
  phrases: [
    // the sending IP named as a spam source (Sisimai 5 Blocked): the client is refused, whatever the message
    p('you are sending spam', SISIMAI5 + ' (Blocked)', '554 5.7.1 Service unavailable; client [192.0.2.1] You are sending spam'),
    p('currently sending spam', SISIMAI5 + ' (Blocked)', '554 5.7.1 Currently sending spam see: http://www.example.org/'),
    p('zombied', SISIMAI5 + ' (Blocked: "dynamic/zombied/spam ips blocked")', '554 5.7.1 Dynamic/zombied/spam IPs blocked'),
    p('temporarily deferred due to user complaints', YAHOO + ' ([TS01]); ' + SISIMAI5 + ' (Blocked)', '421 4.7.0 [TS01] Messages from 192.0.2.1 temporarily deferred due to user complaints - 4.16.55.1'),
    p('found on one or more dnsbls', 'Cloudflare Email Routing postmaster page; ' + SISIMAI5_RHOST + ' (Cloudflare)', '554 <192.0.2.1> found on one or more DNSBLs (abusixip). Refer to https://developers.cloudflare.com/email-routing/postmaster/'),
    // (the name that does not resolve, "Host not found", is the sending host's HELO name: before
    // hostunknown, which would read it as the recipient's domain)
    p('helo command rejected', POSTFIX_HELO, '450 4.7.1 <mta.example.org>: Helo command rejected: Host not found'),
    p('greylisted', GREYLIST, '451 4.7.1 Recipient address rejected: Greylisted, see http://postgrey.example/help/example.com.html'),
    p('greylisting', GREYLIST, '451 4.7.1 Greylisting in action, please come back later'),
    p('graylisted', GREYLIST),
    p('graylisting', GREYLIST),
    p('client host blocked', CLIENT),
    p('client host [*] blocked', CLIENT, '554 Client host [192.0.2.1] blocked using zen.spamhaus.org'),
    p('blocked using', 'Postfix: reject_rbl_client reply'),
    p('listed in spamhaus', DNSBL),
    p('listed at spamhaus', DNSBL),
    p('listed on spamhaus', DNSBL),
    p('spamhaus', DNSBL),
    p('spamcop', DNSBL),
    p('sorbs', DNSBL),
    p('abuseat', DNSBL_OPERATORS + '; ' + SISIMAI5 + ' (Blocked: "listed at *.abuseat.org")', '550 5.7.1 Rejected: 192.0.2.9 listed at cbl.abuseat.org'),
    p('uceprotect', DNSBL_OPERATORS, '550 5.7.1 Rejected: IP 192.0.2.9 is listed in UCEPROTECT-Level1'),
    p('mailspike', DNSBL_OPERATORS, '554 5.7.1 Rejected: 192.0.2.9 listed at bl.mailspike.net'),
    p('psbl', DNSBL_OPERATORS, '550 5.7.1 Rejected: 192.0.2.9 listed at psbl.surriel.com'),
    p('backscatterer', DNSBL_OPERATORS, '550 5.7.1 Rejected: 192.0.2.9 listed at ips.backscatterer.org'),
    p('barracudacentral', BARRACUDA_BRBL),
    p('barracuda reputation', 'seen: Barracuda appliances, BRBL users'),
    p('dnsbl', DNSBL),
    p('rbl', DNSBL),
    p('blacklisted by', DNSBL),
    p('ip address is blacklisted', DNSBL),
    p('ip address blacklisted', DNSBL),
    p('blacklist', DNSBL),
    p('black list', DNSBL),
    p('blocklist', DNSBL),
    p('block list', MICROSOFT),
    // round 6 (issue #13): 'block list' ends on a word boundary, so it does not read 'block listed'
    p('block listed', GMX + ' ("554-IP address is block listed.", its case r0201)', '554-IP address is block listed.'),
    p('black listed', GMX + ' ("554-IP address is black listed.", its case r0401)', '554-No SMTP service 554-IP address is black listed.'),
    p('ip blacklisted', QQ + ' (550 Ip blacklisted)', '550 Ip blacklisted. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000738'),
    // round 16: Sisimai 5's Blocked wordings that our tables lacked (a 5.7.1 beside them read as
    // a block by the code's old default): a host to be confirmed or validated, a refused client
    p('confirm this mail server', SISIMAI5 + ' (Blocked)', '554 5.7.1 Service unavailable; client [192.0.2.1] Confirm this mail server'),
    p('your server requires confirmation', SISIMAI5 + ' (Blocked)', '554 5.7.1 Service unavailable; client [192.0.2.1] Your server requires confirmation'),
    p('no matches to nameserver query', SISIMAI5 + ' (Blocked)', '554 5.7.1 Service unavailable; client [192.0.2.1] No matches to nameserver query'),
    p('the sending mta or the sender has not passed validation', SISIMAI5 + ' (Blocked)', '554 5.7.1 Rejected because the sending MTA or the sender has not passed validation'),
    p('sender ip address rejected', SISIMAI5 + ' (Blocked)', '554 5.7.1 Service unavailable; client [192.0.2.1] Sender ip address rejected'),
    p('to submit messages to this e-mail system has been rejected', SISIMAI5 + ' (Blocked)', '554 5.7.1 Service unavailable; client [192.0.2.1] To submit messages to this e-mail system has been rejected'),
    p('refused to talk to me', 'Sendmail: "<host> refused to talk to me: 554 ..."'),
    p('no access from mail server', 'seen: IIS SMTP, Sendmail access db'),
    p('not accepting connections', APPLE),
    p('connections not accepted from', YAHOO),
    p('connection refused from', CLIENT),
    p('connections will not be accepted from', YAHOO),
    p('my name was rejected', 'qmail: "Connected to <host> but my name was rejected"'),
    p('your ip address has been blocked', 'seen: Spectrum (AUP#1000), Cox'),
    p('your ip has been blocked', CLIENT),
    p('your network is blocked', CLIENT),
    p('use the smtp server of your isp', CLIENT),
    p('dynamic ip', SPAMHAUS_PBL),
    p('dial-up', SPAMHAUS_PBL),
    p('dialup', SPAMHAUS_PBL),
    p('residential ip', CLIENT),
    p('banned sending ip', MICROSOFT),
    p('access denied, banned sender', MICROSOFT),
    p('access denied, bad helo', MICROSOFT),
    p('ip not in whitelist for rcpt domain', GOOGLE),
    p('invalid ip for', CLIENT),
    p('adresse ip source bloquee', 'Orange: postmaster error codes (OFR_102)'),
    // refusals of the sending host in Sisimai 4.25's definition of blocked (Reason/Blocked.pm)
    p('bad sender ip address', SISIMAI, '550 Bad sender IP address'),
    p('extreme bad ip profile', SISIMAI),
    p('not currently accepting mail from your ip', SISIMAI),
    p('rejecting open proxy', SISIMAI),
    p('server access forbidden by your ip', SISIMAI),
    p('listed as abusive', SISIMAI, '550 Server IP 192.0.2.1 listed as abusive'),
    p('looks suspiciously like spammer', SISIMAI),
    p('too many spams from your ip', SISIMAI),
    p('too many unwanted messages have been sent from the following ip address', SISIMAI),
    p('network is temporary blacklisted', SISIMAI),
    p('is in an xrbl on', SISIMAI),
  ],
};

/** The remote host turned the connection away itself (it refused us; it was reachable). */
export const refusedByHost: ReasonTable = {
  id: 'text.blocked-connection',
  reason: 'blocked',
  note: 'the remote host refused or dropped our connection in the SMTP session',
  phrases: [
    p('connection refused by', 'Sendmail: "Deferred: Connection refused by <host>"', 'Deferred: Connection refused by mx.example.jp.'),
    p('connection reset by peer', 'seen: Sendmail, Exim (remote host reset the session)'),
    p('connection dropped by remote host', 'seen: Sendmail, Courier'),
    // Exim's words when the remote host hangs up right after a command of ours (its answer to
    // that command, as "connection dropped by remote host" above)
    p('remote host closed connection in response to', 'Exim: smtp transport, "Remote host closed connection in response to <command>" (exim4 4.96)', 'Remote host closed connection in response to RCPT TO:<a@example.net>'),
  ],
};

/** Words that hint at a refused sender host: after every cause a code names precisely. */
export const blockedHint: ReasonTable = {
  id: 'text.blocked-hint',
  reason: 'blocked',
  note: 'refusal words that name no other cause (access denied, blocked, banned, refused)',
  phrases: [
    // Postfix's prefix for every smtpd_client_restrictions refusal (postconf(5): "Client host
    // rejected: cannot find your hostname", an access map's "Client host rejected: <its text>"):
    // the text after it names the cause when a table knows it ("try again slower", "too many
    // connections" are a rate, not a block list); the prefix alone says the client was refused
    p('client host rejected', 'Postfix: smtpd_client_restrictions reply, postconf(5) reject_unknown_client_hostname / check_client_access', '554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: Your network is not welcome here'),
    p('blocked', CLIENT, '550 Your host is blocked'),
    p('access denied', 'seen: Microsoft Exchange, Sendmail access db'),
    p('banned', CLIENT),
    p('refused', CLIENT, '550 Service refused'),
    p('not allowed to connect', CLIENT),
    p('not allowed to send', CLIENT),
    p('poor ip', CLIENT),
    // round 16: a list named by its wording alone ("The IP 192.0.2.1 is blacklisted"; an address
    // or a URL on a list is decided before, by the rejected and spamdetected tables), and
    // Sisimai 5's Blocked wordings that say only that the session was refused or dropped: they
    // decide before a 5.7.1 that names no ground, never before a wording that names one
    p('blacklisted', DNSBL + '; ' + SISIMAI5 + ' (Blocked: "the ip/domain/email ... is blacklisted")', '550 5.7.1 The IP 192.0.2.1 is blacklisted'),
    p('go away', SISIMAI5 + ' (Blocked)', '554 5.7.1 Service unavailable; client [192.0.2.1] Go away'),
    p('connection was dropped by remote host', SISIMAI5 + ' (Blocked)', '554 5.7.1 Service unavailable; client [192.0.2.1] Connection was dropped by remote host'),
    p('service not available, closing transmission channel', SISIMAI5 + ' (Blocked)', '554 5.7.1 Service unavailable; client [192.0.2.1] Service not available, closing transmission channel'),
    p('smtp error from remote mail server after initial connection', SISIMAI5 + ' (Blocked)', '554 5.7.1 SMTP error from remote mail server after initial connection: go'),
  ],
};

import { p } from '../phrase.js';
import { MESSAGELABS, MICROSOFT, MIMECAST, RFC3207, RFC4954, SISIMAI5 } from '../sources.js';
import type { ReasonTable } from './table.js';

const TLS = 'seen: Postfix (smtp_tls_security_level), Exim, Exchange Online, Mimecast (TLS required/failed)';
const AUTH = 'seen: Postfix submission, Exchange, Gmail, Amazon SES (authentication needed or failed)';

/** STARTTLS was required, not offered, or failed (RFC 3207, RFC 8689). */
export const failedstarttls: ReasonTable = {
  id: 'text.failedstarttls',
  reason: 'failedstarttls',
  note: 'TLS was required and could not be used',
  phrases: [
    p('starttls is required', SISIMAI5 + ' (FailedSTARTTLS); ' + MICROSOFT + ' (4.4.317 / 5.4.317)', '451 4.4.317 STARTTLS is required to send mail'),
    p('tls/sslv3 connection required', MESSAGELABS + '; ' + SISIMAI5, '451 TLS/SSLv3 Connection required. (#4.7.1)'),
    // MTA-STS (RFC 8461) is the destination's policy that mail reach it over verified TLS
    p('failed mta-sts validation', MICROSOFT + ' (4.4.8 / 5.4.8 / 4.7.5); RFC 8461', '451 4.4.8 MX hosts of example.jp failed MTA-STS validation'),
    p('must issue a starttls command first', RFC3207, '530 5.7.0 Must issue a STARTTLS command first'),
    p('does not support starttls', TLS),
    p('does not support tls', TLS),
    p('starttls is not supported', TLS),
    p('starttls not supported', TLS),
    p('tls not available', TLS),
    p('tls is not available', TLS),
    p('starttls failed', TLS),
    p('starttls error', TLS),
    p('tls handshake failed', TLS),
    p('tls negotiation failed', TLS),
    p('cannot negotiate tls', TLS),
    p('could not establish tls', TLS),
    p('unable to establish tls', TLS),
    p('tls is required but', TLS),
    // Postfix's smtp(8) when its TLS policy (encrypt, verify, secure) cannot be met: "TLS is
    // required, but was not offered by host <h>" and "... but host <h> refused to start TLS"
    p('failed tls verification', 'Haraka: outbound, "Host failed TLS verification required by configuration." (tls.ini: a destination whose certificate must verify)', 'Host failed TLS verification required by configuration.'),
    p('tls is required, but', 'Postfix: smtp(8) with smtp_tls_security_level encrypt or stronger (TLS_README), "TLS is required, but was not offered by host <host>" (postfix 3.7)', 'TLS is required, but was not offered by host mx.example.net[192.0.2.1]'),
    p('tls required', TLS),
    p('encryption required', TLS),
    p('requires a secure connection', TLS),
    p('requires encrypted connection', TLS),
    p('requires tls connection', TLS),
    p('this route requires encryption', MIMECAST),
    p('this route requires tls version', MIMECAST),
  ],
};

/** Authentication needed or refused: the sending side's credentials or setup. */
export const securityerror: ReasonTable = {
  id: 'text.securityerror',
  reason: 'securityerror',
  note: 'SMTP authentication was needed or failed, or a security check refused (RFC 4954)',
  phrases: [
    p('authentication required', RFC4954 + ' (530 5.7.0)', '530 5.7.0 Authentication required'),
    p('authentication is required', RFC4954),
    p('authentication needed', RFC4954),
    p('authentication failed', RFC4954 + ' (535 5.7.8)'),
    p('authentication failure', RFC4954),
    p('authentication credentials invalid', RFC4954 + ' (535 5.7.8)'),
    p('incorrect authentication data', 'Exim: its AUTH failure reply, "535 Incorrect authentication data" (exim4 4.96)', '535 Incorrect authentication data'),
    p('must be authenticated', AUTH),
    p('need to authenticate', AUTH),
    p('must authenticate', AUTH),
    p('not authenticated', AUTH),
    p('sender requires authentication', AUTH),
    p('submission requires authentication', AUTH),
    p('smtp auth required', AUTH),
    p('smtp authentication required', AUTH),
    p('smtp auth failed', AUTH),
    p('unauthenticated sender', AUTH),
    p('unauthenticated senders', AUTH),
    p('turn on smtp authentication', AUTH),
    p('authentication turned on in your email client', AUTH),
    p("you don't authenticate", AUTH),
    p('login failed', AUTH),
    p('unauthorized sender', AUTH),
    p('unauthorized access', AUTH),
    p('unauthorized user', AUTH),
    p('insecure mail relay', AUTH),
    p('security policy', AUTH),
    p('security violation', AUTH),
    p('security error', AUTH),
    p('account not subscribed to ses', 'Amazon SES: account not subscribed'),
    p('is not authorized to perform ses:', 'Amazon SES: IAM permission refusal'),
    p('executable files are not allowed in compressed files', 'seen: Gmail, Exchange attachment security filters'),
  ],
};

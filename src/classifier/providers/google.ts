import { p } from '../phrase.js';
import { GOOGLE, SISIMAI5_RHOST } from '../sources.js';
import type { Provider } from './provider.js';

/** Gmail and Google Workspace receivers; their wordings are unique enough to need no host. */
export const google: Provider = {
  id: 'google',
  name: 'Google (Gmail, Workspace)',
  source: GOOGLE,
  rules: [
    // (round 15) Google's reply reference, as Sisimai 5 files it
    {
      id: 'helo-refused', reason: 'blocked',
      phrases: [
        p('empty helo/ehlo argument not allowed', GOOGLE + ' (501 5.5.4); ' + SISIMAI5_RHOST + ' (Google)', '501 5.5.4 Empty HELO/EHLO argument not allowed, closing connection.'),
        p('helo/ehlo argument is invalid', GOOGLE + ' (501 5.5.4); ' + SISIMAI5_RHOST + ' (Google)', '501 5.5.4 HELO/EHLO argument is invalid.'),
      ],
    },
    {
      id: 'headers-not-compliant', reason: 'notcompliantrfc',
      phrases: [
        p('unicode character in a disallowed header', GOOGLE + ' (550 5.7.1); ' + SISIMAI5_RHOST + ' (Google)', '550 5.7.1 This message contains a unicode character in a disallowed header.'),
        p('encoded-word syntax is not permitted', GOOGLE + ' (550 5.7.1); ' + SISIMAI5_RHOST + ' (Google)', '550 5.7.1 Encoded-word syntax is not permitted in message header'),
      ],
    },
    {
      id: 'no-such-account', reason: 'userunknown',
      phrases: [
        p(
          'email account that you tried to reach does not exist',
          GOOGLE,
          "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address",
        ),
        // (round 23) the help link every Gmail reply ends with names its article: the one line
        // left when a relay keeps only the last line of the multi-line reply
        p('p=nosuchuser', GOOGLE + ' (550 5.1.1 "... Learn more at https://support.google.com/mail/?p=NoSuchUser")', '550 5.1.1 https://support.google.com/mail/?p=NoSuchUser a1si123 - gsmtp'),
      ],
    },
    {
      id: 'account-disabled', reason: 'suspend', phrases: [
        p('email account that you tried to reach is disabled', GOOGLE, '550 5.2.1 The email account that you tried to reach is disabled.'),
        p('email account that you tried to reach is inactive', GOOGLE, '550 5.2.1 The email account that you tried to reach is inactive.'),
        p('p=disableduser', GOOGLE + ' (550 5.2.1 "... Learn more at https://support.google.com/mail/?p=DisabledUser")', '550 5.2.1 https://support.google.com/mail/?p=DisabledUser a1si123 - gsmtp'),
      ],
    },
    {
      id: 'over-quota', reason: 'mailboxfull', phrases: [
        p(
          "recipient's inbox is out of storage space",
          GOOGLE + ' (OverQuotaTemp/OverQuotaPerm)',
          "452 4.2.2 The recipient's inbox is out of storage space. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp",
        ),
        p('email account that you tried to reach is over quota', GOOGLE),
        p('overquotatemp', GOOGLE),
        p('overquotaperm', GOOGLE),
      ],
    },
    {
      id: 'receiving-rate', reason: 'ratelimited', phrases: [
        p('is receiving mail too quickly', GOOGLE),
        p('receiving mail at a rate that prevents additional messages from being delivered', GOOGLE),
        // (round 23) the reply's help link, alone when a relay kept its last line only
        p('p=receivingrate', GOOGLE + ' (450 4.2.1 "... https://support.google.com/mail/?p=ReceivingRate")', '450 4.2.1 https://support.google.com/mail/?p=ReceivingRate a1si123 - gsmtp'),
        p('p=receivingrateperm', GOOGLE + ' (450 4.2.1 "... https://support.google.com/mail/?p=ReceivingRatePerm")', '450 4.2.1 message at a later time. https://support.google.com/mail/?p=ReceivingRatePerm a1si123 - gsmtp'),
      ],
    },
    {
      id: 'unusual-rate',
      reason: 'blocked',
      phrases: [
        p('an unusual rate of unsolicited mail', GOOGLE + ' (UnsolicitedRateLimitError)'),
        p('has detected an unusual rate of mail', GOOGLE + ' (4.7.28)'),
        // the first line of either reply, when a relay kept only that ("421-4.7.0 [192.0.2.1]
        // Our system has detected an unusual rate of"): both rate replies are this rule's
        p('our system has detected an unusual rate of', GOOGLE + ' (421 4.7.0 and 4.7.28: the first line of both replies)', '421 4.7.0 [192.0.2.1] Our system has detected an unusual rate of'),
        p('p=unsolicitedratelimiterror', GOOGLE + ' (421 4.7.0 "... https://support.google.com/mail/?p=UnsolicitedRateLimitError")', '421 4.7.0 https://support.google.com/mail/?p=UnsolicitedRateLimitError a1si123 - gsmtp'),
      ],
    },
    // (round 23) "Our system has detected that this message is likely unsolicited mail ... Please
    // visit https://support.google.com/mail/?p=UnsolicitedMessageError": the link alone (the
    // reply's last line) says the same as its words (reasons/spamdetected.ts)
    {
      id: 'unsolicited-message', reason: 'spamdetected',
      phrases: [p('p=unsolicitedmessageerror', GOOGLE + ' (550 5.7.1 likely unsolicited mail)', '550 5.7.1 https://support.google.com/mail/?p=UnsolicitedMessageError a1si123 - gsmtp')],
    },
    // "Send mail as": an external SMTP server the sender configured for an alias failed
    {
      id: 'send-mail-as', reason: 'rejected',
      phrases: [
        p(
          "from a different address or alias using the 'send mail as' feature",
          GOOGLE,
          "Smtp server does not advertise AUTH capability You're sending this from a different address or alias using the 'Send mail as' feature.",
        ),
      ],
    },
    // Round 5 (issue #13): further replies of Google's SMTP error reference
    {
      id: 'tls-required', reason: 'failedstarttls',
      phrases: [
        p(
          'senders to use tls/ssl for smtp',
          GOOGLE + ' (4.7.29/5.7.29: bulk senders must use TLS)',
          "421 4.7.29 Your email has been rate limited because this message wasn't sent over a TLS connection. Gmail requires all bulk email senders to use TLS/SSL for SMTP connections.",
        ),
      ],
    },
    // (round 16) two refusals whose 5.7.1 read as a block only by the code's old default: the
    // sending IP refused outright (Workspace's reference, as Sisimai 5 files it under GoogleApps),
    // and the recipient's or sender's domain policy (Sisimai 5's Google: policyviolation)
    {
      id: 'ip-not-authorized', reason: 'blocked',
      phrases: [
        p(
          "the ip you're using to send mail is not authorized to send email directly",
          GOOGLE + ' (550 5.7.1); ' + SISIMAI5_RHOST + ' (GoogleApps)',
          "550-5.7.1 [192.0.2.1] The IP you're using to send mail is not authorized to send email directly to our servers. Please use the SMTP relay at your service provider instead.",
        ),
      ],
    },
    {
      id: 'domain-policy', reason: 'policyviolation',
      phrases: [
        p(
          'sending to (or from) has a policy that prohibited',
          GOOGLE + ' (550 5.7.1); ' + SISIMAI5_RHOST + ' (Google)',
          '550 5.7.1 The user or domain that you are sending to (or from) has a policy that prohibited the mail that you sent. Please contact your domain administrator for further details.',
        ),
      ],
    },
    // round 16: a message whose headers are over Google's size limits is too large (Sisimai 5's
    // Google conventions: exceedlimit, the size reason of the labels), not malformed content
    {
      id: 'header-size', reason: 'emailtoolarge',
      phrases: [
        p("google's message header size", GOOGLE + ' (552 5.3.4); ' + SISIMAI5_RHOST + ' (Google)', "552-5.3.4 Your message exceeded Google's message header size limits. - gsmtp"),
        p('bytes per individual header size', GOOGLE + ' (552 5.3.4); ' + SISIMAI5_RHOST + ' (Google)', '552 5.3.4 Your message exceeded the limit of 25000 bytes per individual header size.'),
      ],
    },
    // round 16: the reference's protocol errors (pipelining after STARTTLS, a broken command
    // sequence): RFC 5321's syntax and sequence errors, not a policy (Sisimai 5's Google and
    // GoogleApps conventions: syntaxerror); before the generic "protocol violation"
    {
      id: 'protocol-violation', reason: 'syntaxerror',
      phrases: [p('smtp protocol violation', GOOGLE + ' (451/454 4.5.0, 525 5.7.10); ' + SISIMAI5_RHOST + ' (Google, GoogleApps)', '451 4.5.0 SMTP protocol violation, see RFC 2821')],
    },
    {
      id: 'relay-credentials', reason: 'norelaying',
      phrases: [p('invalid credentials for relay', GOOGLE + ' (SMTP relay service: 5.7.1 invalid credentials for relay)', '550 5.7.1 Invalid credentials for relay [192.0.2.1].')],
    },
    {
      id: 'not-rfc5322', reason: 'notcompliantrfc',
      phrases: [
        p('not rfc 5322 compliant because', GOOGLE + ' (RfcMessageNonCompliant)', '550-5.7.1 This message is not RFC 5322 compliant because it has duplicate headers.'),
        p('mail message is malformed', GOOGLE + ' (5.6.0 RfcMessageNonCompliant)', '554 5.6.0 Mail message is malformed. Not accepted.'),
      ],
    },
    { id: 'timeout', reason: 'expired', phrases: [p('timeout - closing connection', GOOGLE + ' (4.4.2)', '451 4.4.2 Timeout - closing connection.')] },
    {
      id: 'temporarily-rejected', reason: 'systemerror',
      phrases: [
        p('mail server temporarily rejected message', GOOGLE + ' (4.3.0)', '451 4.3.0 Mail server temporarily rejected message.'),
        p('multiple destination domains per transaction is unsupported', GOOGLE + ' (4.3.0)'),
        // round 6 (issue #13)
        p('temporary system problem. try again later', GOOGLE + ' (421 4.3.0)', '421 4.3.0 Temporary System Problem. Try again later.'),
        // round 15 (Sisimai 5 Rhost/Google files it so)
        p('server busy, try again later', GOOGLE + ' (421 4.4.5); ' + SISIMAI5_RHOST + ' (Google)', '421 4.4.5 Server busy, try again later.'),
        // round 16: the same reply without its sentence end, and the AUTH variant
        p('mail server has temporarily rejected this message', GOOGLE + ' (451 4.3.0); ' + SISIMAI5_RHOST + ' (Google)', '451 4.3.0 Mail server has temporarily rejected this message.'),
        p('temporary system problem', GOOGLE + ' (421 4.3.0, 454 4.7.0 "Cannot authenticate due to temporary system problem"); ' + SISIMAI5_RHOST + ' (Google)', '454 4.7.0 Cannot authenticate due to temporary system problem. Try again later.'),
      ],
    },
    // Round 14: the reference's AUTH refusals (a sending MTA that logs in to Gmail or the SMTP
    // relay; 534/535 with a 5.7.x code that would otherwise read as a block). Its "421 4.7.0 Try
    // again later, closing connection" (a denial of service at HELO) names no cause in its words
    // and stays so (an expiry after it is an expiry: test/classifier/rules.test.ts, round 11).
    {
      id: 'auth', reason: 'securityerror',
      phrases: [
        p('application-specific password required', GOOGLE + ' (534 5.7.9 / 535 5.7.1)', '534 5.7.9 Application-specific password required.'),
        p('please log in with your web browser and then try again', GOOGLE + ' (534 5.7.14 / 535 5.7.1)'),
        p('username and password not accepted', GOOGLE + ' (535 5.7.8 / 535 5.7.1)', '535 5.7.8 Username and Password not accepted.'),
        p('too many login attempts', GOOGLE + ' (454 4.7.0); ' + SISIMAI5_RHOST + ' (Google)', '454 4.7.0 Too many login attempts, please try again later.'),
      ],
    },
  ],
};

/**
 * Rules that hold only when a Google server refused (round 6, issue #13). Its SMTP relay service
 * answers a Workspace sender over its sending quota with "550 5.7.1 Email quota exceeded.": the
 * sender's limit, not the recipient's mailbox (elsewhere the same words may be a full mailbox).
 */
export const googleHosts: Provider = {
  id: 'google-host',
  name: 'Google receiving and relay servers',
  source: GOOGLE,
  hosts: ['google.com', 'gmail.com', 'googlemail.com'],
  rules: [
    {
      id: 'sender-quota', reason: 'ratelimited',
      phrases: [p('email quota exceeded', GOOGLE + ' (SMTP relay: 550 5.7.1 the sending user over quota)', '550 5.7.1 Email quota exceeded.')],
    },
    // (round 16) at Google's own servers: "421 4.7.0 Try again later, closing connection" is, by
    // the reference, typically a denial of service for the client at HELO (the sending host
    // refused for now; Sisimai 5's Google conventions: blocked). Elsewhere the words name no
    // cause and an expiry after them stays an expiry. "Connection expired" is the session's.
    {
      id: 'dos-at-helo', reason: 'blocked',
      phrases: [p('try again later, closing connection', GOOGLE + ' (421 4.7.0, a denial of service at HELO); ' + SISIMAI5_RHOST + ' (Google)', '421 4.7.0 Try again later, closing connection. - gsmtp')],
    },
    {
      id: 'connection-expired', reason: 'expired',
      phrases: [p('connection expired', GOOGLE + ' (421 4.7.0); ' + SISIMAI5_RHOST + ' (Google)', '421 4.7.0 Connection expired - gsmtp')],
    },
  ],
};

// Filtering gateways and mail services whose reply texts are documented by their vendor.
import { p } from '../phrase.js';
import { MESSAGELABS, MIMECAST, PROOFPOINT_ESSENTIALS, SISIMAI5_RHOST, ZOHO } from '../sources.js';
import type { Provider } from './provider.js';

export const mimecast: Provider = {
  id: 'mimecast',
  name: 'Mimecast',
  source: MIMECAST,
  hosts: ['mimecast.com'],
  rules: [
    // (round 15) "501 Invalid address": the recipient's address is not valid at the customer
    { id: 'invalid-address-501', reason: 'userunknown', reply: [501], phrases: [p('invalid address', MIMECAST + ' (501); ' + SISIMAI5_RHOST + ' (Mimecast)', '501 Invalid address - https://community.mimecast.com/docs/DOC-1369#501')], exampleContext: { replyCode: 501 } },
    {
      id: 'invalid-recipient', reason: 'userunknown',
      phrases: [
        p('invalid recipient', MIMECAST, '550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550'),
        p('user unknown', MIMECAST),
      ],
    },
    {
      id: 'auth', reason: 'authfailure',
      phrases: [
        p('spf sender invalid', MIMECAST),
        p('dkim sender invalid', MIMECAST),
        p('dmarc sender invalid', MIMECAST),
      ],
    },
    { id: 'reputation', reason: 'badreputation', phrases: [p('local ct ip reputation', MIMECAST)] },
    {
      id: 'sender-blocked', reason: 'rejected',
      phrases: [
        p('envelope blocked', MIMECAST),
        p('administrative prohibition envelope blocked', MIMECAST),
        p('block policy for envelope from address', MIMECAST),
        // its header-based block lists: the From header's sender is on a blocked-senders list
        p('rejected by header-based manually blocked senders', MIMECAST),
        p('rejected by header-based blocked senders', MIMECAST),
      ],
    },
    {
      id: 'policy', reason: 'policyviolation',
      phrases: [
        p('anti-spoofing policy', MIMECAST),
        p('content examination policy', MIMECAST),
        p('host network not allowed', MIMECAST),
        p('host network, not allowed', MIMECAST),
      ],
    },
    { id: 'ip-blocked', reason: 'blocked', phrases: [p('ip temporarily blacklisted', MIMECAST), p('sender address blocked', MIMECAST)] },
    { id: 'security-policies', reason: 'policyviolation', phrases: [p('email rejected due to security policies', MIMECAST)] },
    { id: 'size', reason: 'emailtoolarge', phrases: [p('maximum email size exceeded', MIMECAST)] },
    // Mimecast's code list: "451 Internal resource temporarily unavailable" means the sending
    // server is being greylisted, or its IP has a poor reputation: a deferral of the sender's
    // host, read as `blocked` like Zoho's greylisting (round 5 read it as Mimecast's own fault).
    {
      id: 'greylisted', reason: 'blocked',
      phrases: [p('internal resource temporarily unavailable', MIMECAST), p('internal resources are temporarily unavailable', MIMECAST)],
    },
    {
      // a route that requires TLS, or stronger TLS than the sender offered
      id: 'tls', reason: 'failedstarttls',
      phrases: [p('this route requires high-strength ciphers', MIMECAST), p('configuration is invalid for this certificate', MIMECAST)],
    },
    { id: 'relay', reason: 'norelaying', phrases: [p('open relay not allowed', MIMECAST), p('open relay is not allowed', MIMECAST)] },
  ],
};

export const zoho: Provider = {
  id: 'zoho',
  name: 'Zoho Mail',
  source: ZOHO,
  hosts: ['zoho.com', 'zoho.eu', 'zoho.in', 'zohomail.com'],
  rules: [
    { id: 'no-such-user', reason: 'userunknown', phrases: [p('user does not exist', ZOHO, '550 5.1.1 User does not exist - <x@zoho.com>')] },
    { id: 'dmarc', reason: 'authfailure', phrases: [p('email rejected per dmarc policy', ZOHO)] },
    {
      id: 'destination-refused', reason: 'rejected',
      phrases: [
        p('mail rejected by destination domain', ZOHO),
        p('email cannot be delivered. reason: email flagged as spam', ZOHO),
      ],
    },
    {
      id: 'policy', reason: 'policyviolation',
      phrases: [
        p('email policy violation detected', ZOHO),
        p('mailbox delivery restricted by policy error', ZOHO),
      ],
    },
    { id: 'virus', reason: 'virusdetected', phrases: [p('detected by zoho mail', ZOHO)] },
    { id: 'greylisted', reason: 'blocked', phrases: [p('greylisted, try again after some time', ZOHO)] },
  ],
};

/** Symantec Email Security.cloud (MessageLabs) refuses an invalid recipient with reply 542. */
export const messagelabs: Provider = {
  id: 'messagelabs',
  name: 'Symantec Email Security.cloud (MessageLabs)',
  source: MESSAGELABS,
  hosts: ['messagelabs.com'],
  rules: [
    { id: 'invalid-recipient-542', reason: 'userunknown', reply: [542], exampleContext: { replyCode: 542 } },
    // (round 15) its reply list as Sisimai 5 files it, at its own hosts
    {
      id: 'no-such-user', reason: 'userunknown',
      phrases: [
        p('no such user', MESSAGELABS + '; ' + SISIMAI5_RHOST + ' (MessageLabs)', '550 No such user <x@x.x>'),
        p('recipient mailbox is not allowed', MESSAGELABS + '; ' + SISIMAI5_RHOST + ' (MessageLabs)', '553 Recipient mailbox is not allowed'),
      ],
    },
    { id: 'filtered', reason: 'spamdetected', phrases: [p('message filtered', MESSAGELABS + '; ' + SISIMAI5_RHOST + ' (MessageLabs)', '553 - Message Filtered')] },
    { id: 'policy-connection', reason: 'badreputation', phrases: [p('connection rejected by policy', MESSAGELABS + '; ' + SISIMAI5_RHOST + ' (MessageLabs)', '501 Connection rejected by policy [7.7] 20805, please visit www.messagelabs.com/support for more details about this error message.')] },
    { id: 'stray-lf', reason: 'contenterror', phrases: [p('stray linefeeds in message', MESSAGELABS + '; ' + SISIMAI5_RHOST + ' (MessageLabs)', '550 Stray linefeeds in message')] },
    { id: 'auth', reason: 'authfailure', phrases: [p('domain authentication fail', MESSAGELABS + '; ' + SISIMAI5_RHOST + ' (MessageLabs)', '550 Domain authentication fail')] },
    { id: 'rate', reason: 'ratelimited', phrases: [p('too many recipients received this hour', MESSAGELABS + '; ' + SISIMAI5_RHOST + ' (MessageLabs)', '452 Too many recipients received this hour')] },
  ],
};

/**
 * Mimecast wordings no other product writes: they speak for Mimecast wherever the reply is
 * quoted (an NDR of a relaying server names no Mimecast host). "Envelope blocked" refuses the
 * sender's address by a block policy.
 */
export const mimecastWording: Provider = {
  id: 'mimecast-wording',
  name: 'Mimecast (its own wordings, any host)',
  source: MIMECAST,
  rules: [
    {
      id: 'envelope-blocked', reason: 'rejected',
      phrases: [
        p(
          'administrative prohibition - envelope blocked',
          MIMECAST + ' (550 envelope blocked)',
          '550 Administrative prohibition - envelope blocked - https://community.mimecast.com/docs/DOC-1369#550',
        ),
      ],
    },
  ],
};

/**
 * Proofpoint Essentials refuses an address its SMTP Discovery marked invalid with a 5.7.1 and its
 * own words: the mailbox does not exist there, whatever the X.7.1 says. No other product writes
 * them, so they speak wherever the reply is quoted (round 6, issue #13).
 */
export const proofpointEssentials: Provider = {
  id: 'proofpoint-essentials',
  name: 'Proofpoint Essentials',
  source: PROOFPOINT_ESSENTIALS,
  rules: [
    {
      id: 'marked-invalid', reason: 'userunknown',
      phrases: [
        p(
          'user email address is marked as invalid',
          PROOFPOINT_ESSENTIALS,
          '550 5.7.1 <x@example.com>: Recipient address rejected: User email address is marked as invalid',
        ),
      ],
    },
  ],
};

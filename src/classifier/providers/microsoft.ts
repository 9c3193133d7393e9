import { p } from '../phrase.js';
import { MICROSOFT, OUTLOOKCOM, SISIMAI5_RHOST } from '../sources.js';
import type { Provider } from './provider.js';

/**
 * Exchange Online / Outlook.com. Its three-digit status details (5.4.312, 5.7.509 ...) name one
 * cause each and come with generic prose ("Message expired, DNS query failed"): they decide.
 */
export const microsoft: Provider = {
  id: 'microsoft',
  name: 'Microsoft (Exchange Online, Outlook.com)',
  source: MICROSOFT,
  rules: [
    { id: 'dns-failed', reason: 'networkerror', status: ['x.4.312', 'x.4.311'], exampleContext: { status: '5.4.312' } },
    { id: 'domain-missing', reason: 'hostunknown', status: ['5.4.310'], exampleContext: { status: '5.4.310' } },
    { id: 'expired', reason: 'expired', status: ['x.4.316', 'x.4.300'], exampleContext: { status: '5.4.316' } },
    { id: 'recipient', reason: 'userunknown', status: ['x.1.351', 'x.1.352'], exampleContext: { status: '5.1.351' } },
    { id: 'dmarc', reason: 'authfailure', status: ['x.7.509', 'x.7.515'], exampleContext: { status: '5.7.509' } },
    { id: 'reputation', reason: 'badreputation', status: ['x.7.650', 'x.7.651', 'x.7.652'], exampleContext: { status: '4.7.650' } },
    { id: 'banned-ip', reason: 'blocked', statusRange: ['x.7.', 606, 649], exampleContext: { status: '5.7.606' } },
    { id: 'blocked', reason: 'blocked', status: ['x.7.506', 'x.7.507', 'x.7.510', 'x.7.511', 'x.7.513'], exampleContext: { status: '5.7.511' } },
    // Round 5 (issue #13): the limits and sender restrictions of the same NDR reference
    {
      id: 'limits', reason: 'ratelimited', status: ['x.1.90', 'x.2.121', 'x.2.122', 'x.7.508'],
      exampleContext: { status: '5.2.122' },
    },
    { id: 'rfc5322', reason: 'notcompliantrfc', status: ['x.7.512'], exampleContext: { status: '5.7.512' } },
    // 5.7.124 the sender is not in a group's allowed senders; 5.7.133-5.7.136 the group,
    // mailbox, public folder or mail user takes mail from authenticated (internal) senders only
    { id: 'sender-restricted', reason: 'rejected', status: ['x.7.124'], exampleContext: { status: '5.7.124' } },
    { id: 'sender-not-authenticated', reason: 'rejected', statusRange: ['x.7.', 133, 136], exampleContext: { status: '5.7.133' } },
    // Directory-Based Edge Blocking: the recipient is not in the tenant's directory. Elsewhere
    // (5.7.1 from a Postfix access map) the same words are a policy refusal, not a missing mailbox.
    {
      id: 'dbeb-access-denied', reason: 'userunknown', status: ['x.4.1'],
      phrases: [
        p(
          'recipient address rejected: access denied',
          MICROSOFT + ' (5.4.1 Recipient address rejected: Access denied)',
          '550 5.4.1 Recipient address rejected: Access denied. AS(201806281)',
        ),
      ],
      exampleContext: { status: '5.4.1' },
    },
    {
      id: 'recipient-not-found', reason: 'userunknown',
      phrases: [
        p(
          'resolver.adr.recipientnotfound',
          MICROSOFT + ' (5.1.10)',
          '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
        ),
        p('resolver.adr.recipnotfound', MICROSOFT + ' (5.1.1)'),
      ],
    },
    // Round 6 (issue #13, providers2). 5.6.11: the message has bare line feeds, which RFC 5322
    // §2.3 forbids (CR and LF only as a pair). 5.7.12 is RFC 4954's "password transition needed"
    // in the IANA registry: only Microsoft's own words say "sender not authenticated for this
    // recipient" (the authenticated-senders-only restriction of 5.7.133-5.7.136).
    { id: 'bare-linefeeds', reason: 'notcompliantrfc', status: ['x.6.11'], exampleContext: { status: '5.6.11' } },
    // (round 16) "451 4.7.500-699 (ASxxx) Server busy, please try again later": its page ("Fix
    // error code 451 4.7.500-699 (ASxxx) in Exchange Online") gives the sending IP's suspicious
    // traffic as the cause, deferred for a while: a block of the sender's host. (It read so by
    // the 4.7.x default until the permanent X.7 details became securityerror; the 4.7.650-652
    // reputation codes above decide first.)
    { id: 'server-busy', reason: 'blocked', statusRange: ['4.7.', 500, 699], exampleContext: { status: '4.7.500' } },
    // (round 16) 5.7.900-5.7.999 "Delivery not authorized, message refused": a mail flow (transport)
    // rule of the receiving organisation refused the message (its NDR reference; Sisimai 5's
    // Microsoft conventions file it as policyviolation), not the sender's address
    { id: 'mail-flow-rule', reason: 'policyviolation', statusRange: ['x.7.', 900, 999], exampleContext: { status: '5.7.900' } },
    // (round 17) The access-denied details of the same reference, as Sisimai 5's Microsoft
    // conventions file them; until now the generic "access denied" hint read them `blocked`,
    // which counts a block list entry against the sender where no list is involved.
    // 5.7.501-5.7.503 "Access denied, spam abuse detected" / "banned sender": Exchange Online
    // stopped the sending account itself (outbound spam), a refusal of the sender.
    { id: 'sender-banned', reason: 'rejected', statusRange: ['x.7.', 501, 503], exampleContext: { status: '5.7.501' } },
    // 5.7.504 "Recipient address rejected: Access denied" and 5.7.505 "Access denied, banned
    // recipient": the recipient exists and is barred from receiving (5.4.1 with the same words
    // is Directory-Based Edge Blocking, an address not in the directory: `dbeb-access-denied`).
    { id: 'recipient-banned', reason: 'suspend', status: ['x.7.504', 'x.7.505'], exampleContext: { status: '5.7.505' } },
    // (No rule for the range 5.7.700-5.7.749, which Sisimai 5 files as ratelimited whole: its
    // words decide. "Tenant has exceeded threshold" is ratelimited by its phrase
    // (reasons/ratelimited.ts); 5.7.708 "traffic not accepted from this IP" is, by its page, a
    // block of the sending IP for suspicious traffic, and stays `blocked`.)
    // 5.7.750 "Client blocked from sending from unregistered domains": the sending tenant uses
    // domains it has not added and verified, a refusal of the sender's domain
    { id: 'unregistered-domains', reason: 'rejected', status: ['x.7.750'], exampleContext: { status: '5.7.750' } },
    // 4.3.2 is "System not accepting network messages" (RFC 3463 X.3.2, `notaccept`); Exchange
    // Online also sends it for its mailbox store's limit on concurrent deliveries to one
    // recipient, a rate limit, and for a transport service that is stopped, its own fault
    {
      id: 'recipient-thread-limit', reason: 'ratelimited', status: ['4.3.2'],
      phrases: [p('recipient thread limit exceeded', MICROSOFT + ' (4.3.2 STOREDRV.Deliver)', '451 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded')],
      exampleContext: { status: '4.3.2' },
    },
    {
      id: 'service-stopped', reason: 'systemerror', status: ['4.3.2'],
      phrases: [p('service not available', SISIMAI5_RHOST + ' (Microsoft 4.3.2)'), p('service not active', SISIMAI5_RHOST + ' (Microsoft 4.3.2)')],
      exampleContext: { status: '4.3.2' },
    },
    {
      id: 'sender-not-authenticated-org', reason: 'rejected',
      phrases: [
        p(
          'resolver.rst.sendernotauthenticated',
          MICROSOFT + ' (5.7.12 the sender was not authenticated by the organization)',
          '550 5.7.12 RESOLVER.RST.SenderNotAuthenticated; Sender was not authenticated by organization',
        ),
        p('sender was not authenticated by organization', MICROSOFT + ' (5.7.12)'),
      ],
    },
    // Round 14: the rest of the NDR reference's fixed wordings, where a generic phrase or the
    // code's class gave another reading
    {
      // the sender's own submission limit, not the recipient's mailbox quota
      id: 'submission-quota', reason: 'ratelimited',
      phrases: [p('submission quota exceeded', MICROSOFT + ' (5.2.2 Submission quota exceeded: the sender went past its sending limits)', '550 5.2.2 Submission quota exceeded')],
    },
    {
      // Exchange Online's outbound TLS and DANE checks of the destination (5.7.321-5.7.325)
      id: 'tls-required', reason: 'failedstarttls',
      phrases: [
        p('starttls-not-supported', MICROSOFT + ' (5.7.321: the destination must support TLS)', '550 5.7.321 starttls-not-supported: Destination mail server must support TLS to receive mail.'),
        p('certificate-expired', MICROSOFT + " (5.7.322: the destination's certificate has expired)"),
        p('tlsa-invalid', MICROSOFT + ' (5.7.323: the domain failed DANE validation)'),
        p('certificate-host-mismatch', MICROSOFT + ' (5.7.325: the certificate does not name the host, DANE)'),
      ],
    },
    {
      id: 'dnssec-invalid', reason: 'networkerror',
      phrases: [p('dnssec-invalid', MICROSOFT + ' (5.7.324: the destination domain returned invalid DNSSEC records)')],
    },
    {
      // the address can never name a mailbox: a domain RFC 2606 reserves, a single-label domain
      id: 'address-never-valid', reason: 'userunknown',
      phrases: [
        p('reserved by rfc 2606', MICROSOFT + ' (5.1.4 Recipient address reserved by RFC 2606)', '550 5.1.4 Recipient address reserved by RFC 2606'),
        p('single label domains not accepted', MICROSOFT + ' (5.1.6 Recipient addresses in single label domains not accepted)', '550 5.1.6 Recipient addresses in single label domains not accepted'),
      ],
    },
    {
      id: 'system-faults', reason: 'systemerror',
      phrases: [
        p('misconfigured forwarding address', MICROSOFT + " (5.2.14: the recipient's forwarding is misconfigured)", '550 5.2.14 Misconfigured forwarding address'),
        p('message failed to be replicated', MICROSOFT + ' (4.4.24-4.4.28: shadow redundancy could not replicate the message)'),
        p('temporary server error. please try again later', MICROSOFT + ' (4.4.3 Temporary server error. Please try again later ATTR...)'),
        p('pfa agent busy', MICROSOFT + ' (4.7.700 PFA agent busy, please try again)'),
      ],
    },
    {
      id: 'content-filter-quarantine', reason: 'spamdetected',
      phrases: [p('content filter agent quarantined', MICROSOFT + ' (5.2.1 Content Filter agent quarantined this message)', '550 5.2.1 Content Filter agent quarantined this message')],
    },
    {
      // 5.7.13 and 5.7.133-5.7.136 in words: the group, mailbox or public folder takes mail
      // from authenticated (internal) senders only
      id: 'sender-not-authenticated-for', reason: 'rejected',
      phrases: [p('sender was not authenticated for', MICROSOFT + ' (5.7.13 / 5.7.133-5.7.136)', '550 5.7.13 Sender was not authenticated for public folder')],
    },
    // Exchange's transport component codes (RESOLVER.*, SMTPSEND.*, QUEUE.*) stand after the
    // enhanced code in every NDR, whatever the language of the prose around them
    // (Exchange Server's NDR reference: the "Enhanced status code" and "Description" tables).
    {
      id: 'transport-codes-recipient-side', reason: 'systemerror',
      phrases: [
        // the recipient object exists but its directory entry cannot be used: the primary
        // address is invalid, the address is not valid in SMTP, or it matches several objects
        p('resolver.adr.badprimary', MICROSOFT + ' (5.2.0 RESOLVER.ADR.BadPrimary: the recipient\'s primary SMTP address is invalid)', '550 5.2.0 RESOLVER.ADR.BadPrimary; recipient primary SMTP address is invalid'),
        p('resolver.adr.invalidinsmtp', MICROSOFT + ' (5.1.0 RESOLVER.ADR.InvalidInSmtp: the recipient address is not valid for SMTP)'),
        p('resolver.adr.ambiguous', MICROSOFT + ' (5.1.4 RESOLVER.ADR.Ambiguous: the address matches more than one recipient object)'),
      ],
    },
    {
      id: 'transport-codes-auth-required', reason: 'securityerror',
      phrases: [p('resolver.rst.authrequired', MICROSOFT + ' (5.7.1 RESOLVER.RST.AuthRequired: the recipient accepts mail from authenticated senders only)', '550 5.7.1 RESOLVER.RST.AuthRequired; authentication required')],
    },
    {
      // the sender is not among those the recipient or group accepts (delivery restrictions),
      // as 5.7.124 above
      id: 'transport-codes-not-authorized', reason: 'rejected',
      phrases: [p('resolver.rst.notauthorized', MICROSOFT + ' (5.7.1 RESOLVER.RST.NotAuthorized: delivery restrictions on the recipient refuse this sender)', '550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized')],
    },
    {
      id: 'transport-codes-size', reason: 'emailtoolarge',
      phrases: [p('resolver.rst.recipsizelimit', MICROSOFT + ' (5.2.3 RESOLVER.RST.RecipSizeLimit: the message is larger than the recipient accepts)')],
    },
    {
      id: 'transport-codes-recipient-limit', reason: 'ratelimited',
      phrases: [p('resolver.adr.reciplimit', MICROSOFT + ' (5.5.3 RESOLVER.ADR.RecipLimit: too many recipients)')],
    },
    {
      // the domain's MX points back at the sending server: a routing loop, not a missing host
      id: 'transport-codes-mx-loopback', reason: 'networkerror',
      phrases: [p('smtpsend.dns.mxloopback', MICROSOFT + ' (5.4.4 SMTPSEND.DNS.MxLoopback: the MX record points to the sending server itself)', '554 5.4.4 SMTPSEND.DNS.MxLoopback; DNS records for the destination domain are misconfigured to loop back')],
    },
    {
      id: 'transport-codes-no-domain', reason: 'hostunknown',
      phrases: [p('smtpsend.dns.nonexistentdomain', MICROSOFT + ' (5.4.4 SMTPSEND.DNS.NonExistentDomain: the recipient\'s domain does not exist)')],
    },
    {
      id: 'transport-codes-expired', reason: 'expired',
      phrases: [p('queue.expired', MICROSOFT + ' (4.4.7 / 5.4.7 QUEUE.Expired: the message stayed in the queue past its expiry)')],
    },
    {
      id: 'network-block-list', reason: 'blocked',
      phrases: [
        p(
          'part of their network is on our block list',
          MICROSOFT + ' (Outlook.com S3150)',
          '550 5.7.1 Unfortunately, messages from [192.0.2.1] weren\'t sent. Please contact your Internet service provider since part of their network is on our block list (S3150).',
        ),
      ],
    },
  ],
};

/**
 * Outlook.com (Hotmail) consumer codes: "550 SC-001 (BAY004-MC1F57) ...", "421 RP-001 ...".
 * SC (sending IP blocked), DY (dynamic or compromised IP), OU (refused for policy, reputation)
 * name a block of the sending server; RP the rate limits of connections and messages.
 */
export const outlookcom: Provider = {
  id: 'outlookcom',
  name: 'Outlook.com (Hotmail) consumer mail',
  source: OUTLOOKCOM,
  codes: {
    pattern: /\b((?:sc|dy|ou|rp)-00[1-4])\b/,
    codes: {
      'sc-001': 'blocked', 'sc-002': 'blocked', 'sc-003': 'blocked', 'sc-004': 'blocked', 'dy-001': 'blocked', 'dy-002': 'blocked',
      'ou-001': 'blocked', 'ou-002': 'blocked', 'rp-001': 'ratelimited', 'rp-002': 'ratelimited', 'rp-003': 'ratelimited',
    },
    example: '550 SC-002 (COL004-MC1F12) Mail rejected by Outlook.com for policy reasons.',
  },
  rules: [],
};

/**
 * Exchange 5.5/2000/2003 NDRs: "MSEXCH:IMS:<org>:<site>:<server> 0 (000C05A6) Unknown Recipient";
 * the eight hex digits name the cause.
 */
export const exchangeLegacy: Provider = {
  id: 'msexch',
  name: 'Microsoft Exchange 5.5-2003 (IMS diagnostic codes)',
  source: 'Microsoft KB: Exchange IMS NDR diagnostic codes',
  rules: [
    {
      id: 'unknown', reason: 'userunknown',
      phrases: [
        p('(000c05a6)', 'Microsoft KB: 000C05A6 unknown recipient', 'MSEXCH:IMS:ORG:SITE:MX 0 (000C05A6) Unknown Recipient'),
      ],
    },
    {
      id: 'ambiguous', reason: 'filtered',
      phrases: [
        p('(000c0595)', 'Microsoft KB: 000C0595 ambiguous recipient', 'MSEXCH:IMS:ORG:SITE:MX 0 (000C0595) Ambiguous Recipient'),
      ],
    },
    {
      id: 'system', reason: 'systemerror',
      phrases: [
        p('(00010256)', 'Microsoft KB: 00010256'),
        p('(000d06b5)', 'Microsoft KB: 000D06B5 no proxy for recipient'),
      ],
    },
    { id: 'hops', reason: 'networkerror', phrases: [p('(00120270)', 'Microsoft KB: 00120270 too many hops')] },
    {
      id: 'conversion', reason: 'contenterror',
      phrases: [
        p('(00050311)', 'Microsoft KB: 00050311 conversion failed'),
        p('(000502cc)', 'Microsoft KB: 000502CC conversion failed'),
      ],
    },
    { id: 'auth', reason: 'securityerror', phrases: [p('(000b0981)', 'Microsoft KB: 000B0981 AUTH not supported')] },
  ],
};

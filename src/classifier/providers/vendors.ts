// Fixed wordings of one MTA, gateway or carrier, and the reporting MTA's own classification.
import { p } from '../phrase.js';
import { DOCOMO, DOVECOT_QUOTA, POSTFIX_VERIFY, POWERMTA, SISIMAI5_RHOST } from '../sources.js';
import type { Provider } from './provider.js';

export const vendors: Provider = {
  id: 'vendor',
  name: 'MTA and gateway products with fixed wordings',
  source: 'the wording of each product, seen in its NDRs',
  rules: [
    {
      id: 'notes-directory', reason: 'userunknown',
      phrases: [
        p('not listed in domino directory', 'IBM Lotus Domino NDRs', 'User some.name (x@example.jp) not listed in Domino Directory'),
        p('not listed in public name & address book', 'IBM Lotus Notes NDRs'),
        p('domino ディレクトリには見つかりません', 'IBM Lotus Domino NDRs (Japanese)'),
        p('ディレクトリのリストにありません', 'IBM Lotus Domino NDRs (Japanese)'),
        // Domino's French localization of "not listed in Domino Directory"
        p("non répertorié dans l'annuaire domino", 'IBM Lotus Domino NDRs (French)', "Utilisateur kijitora (kijitora@example.jp) non répertorié dans l'annuaire Domino"),
        // and its Spanish one (Sisimai 5's Domino module lists it beside the French and Japanese)
        p('no se encuentra en el directorio de domino', 'IBM Lotus Domino NDRs (Spanish)', 'El usuario kijitora (kijitora@example.jp) no se encuentra en el Directorio de Domino'),
      ],
    },
    {
      id: 'imail-user', reason: 'userunknown',
      phrases: [
        p('invalid final delivery userid:', 'Ipswitch IMail NDRs'),
        p('unknown user: *@', 'Ipswitch IMail NDRs', 'Unknown user: kijitora@example.com'),
      ],
    },
    // Postfix's recipient verification answers 450 4.1.1 while its probe is still out: nothing
    // is known about the mailbox yet, whatever the X.1.1 says (a known result is quoted instead:
    // "unverified address: host ... said: 550 5.1.1 ...", read by the inner reply).
    {
      id: 'postfix-verify-pending', reason: 'onhold',
      phrases: [p('address verification in progress', POSTFIX_VERIFY, '450 4.1.1 <kijitora@example.jp>: Recipient address rejected: unverified address: Address verification in progress')],
    },
    { id: 'verizon-mms', reason: 'userunknown', phrases: [p('no valid recipients for this mm', 'Verizon Wireless MMS gateway NDRs')] },
    {
      id: 'trendmicro-unable', reason: 'userunknown',
      phrases: [
        p(
          'reason: unable to deliver message to <',
          'Trend Micro InterScan/Vision One NDRs',
          'Reason: Unable to deliver message to <kijitora@example.jp> (and other recipients in the same domain).',
        ),
      ],
    },
  ],
};

/** Google Groups answers a refused post with a fixed notice listing four possible causes. */
export const families: Provider = {
  id: 'family',
  name: 'report families whose failures all mean one thing',
  source: 'the detector that read the report',
  rules: [
    { id: 'googlegroups-post', reason: 'rejected', detector: ['googlegroups'], exampleContext: { detector: 'googlegroups' } },
    // au (EZweb) marks a refusal by the recipient's own reception settings with X-SPASIGN: NG
    {
      id: 'ezweb-spasign', reason: 'filtered', detector: ['ezweb'],
      phrases: [
        p(
          'x-spasign;',
          'KDDI au: X-SPASIGN header of its filter refusals',
          'x-spasign; Each of the following recipients was rejected by a remote mail server.',
        ),
      ],
      exampleContext: { detector: 'ezweb' },
    },
    // An MDN "deleted" by automatic action (RFC 5429 §2.1, Sieve reject; Dovecot's
    // mail_send_rejection sends its LDA/LMTP refusals so too): the recipient's own filter
    // refused the message, whatever the script's text says; only the delivery agent's own
    // over-quota refusal (Dovecot before 2.3 sent it as such an MDN) is the mailbox's state
    {
      id: 'mdn-reject-quota', reason: 'mailboxfull', detector: ['mdn-reject'],
      phrases: [p('quota exceeded (mailbox for user is full)', DOVECOT_QUOTA, 'Your message to <kijitora@example.jp> was automatically rejected: Quota exceeded (mailbox for user is full)')],
      exampleContext: { detector: 'mdn-reject' },
    },
    { id: 'mdn-reject', reason: 'filtered', detector: ['mdn-reject'], exampleContext: { detector: 'mdn-reject' } },
  ],
};

/** NTT docomo refuses by the recipient's reception settings with "550 Unknown user" to DATA. */
export const docomo: Provider = {
  id: 'docomo',
  name: 'NTT docomo',
  source: DOCOMO,
  hosts: ['docomo.ne.jp'],
  rules: [
    {
      id: 'data-refused',
      reason: 'rejected',
      command: ['DATA'],
      status: ['5.0.0'],
      phrases: [p('unknown user', DOCOMO, '550 Unknown user kijitora@docomo.ne.jp')],
      exampleContext: { command: 'DATA', status: '5.0.0' },
    },
    // (round 15) the same words to RCPT, or with the addressing status docomo writes (5.1.1,
    // its own 5.0.911): no such subscriber address
    {
      id: 'unknown-user-rcpt', reason: 'userunknown', command: ['RCPT'],
      phrases: [p('unknown user', DOCOMO + '; ' + SISIMAI5_RHOST + ' (NTTDOCOMO)', '550 Unknown user x@x.x')],
      exampleContext: { command: 'RCPT', status: '5.0.0' },
    },
    {
      id: 'unknown-user-status', reason: 'userunknown', status: ['5.1.1', '5.0.911'],
      phrases: [p('unknown user', DOCOMO + '; ' + SISIMAI5_RHOST + ' (NTTDOCOMO)', '550 Unknown user x@x.x')],
      exampleContext: { status: '5.1.1' },
    },
  ],
};

/**
 * au by KDDI (EZweb): "550 <address>: User unknown" names the refused address, a missing
 * subscriber; without the address ("550 : User unknown") it is the reception filter's refusal,
 * read by the general tables (Sisimai 5 Rhost/KDDI).
 */
export const kddi: Provider = {
  id: 'kddi',
  name: 'au by KDDI (EZweb)',
  source: SISIMAI5_RHOST + ' (KDDI)',
  hosts: ['ezweb.ne.jp', 'au.com'],
  rules: [
    { id: 'user-unknown', reason: 'userunknown', phrases: [p('>: user unknown', SISIMAI5_RHOST + ' (KDDI)', '550 <x@x.x>: User unknown')] },
  ],
};

/**
 * The reporting MTA's own classification (PowerMTA's X-PowerMTA-BounceCategory), made with rules
 * tuned to the remote hosts it talks to: final. Categories naming no cause (other, unknown) fall through.
 */
export const powermta: Provider = {
  id: 'category',
  name: 'PowerMTA bounce categories',
  source: POWERMTA,
  rules: [
    // "bad mailbox" with X.2.1 "mailbox disabled": the mailbox exists but is disabled
    {
      id: 'mailbox-disabled',
      reason: 'suspend',
      vendorCategory: ['powermta:bad-mailbox', 'powermta:inactive-mailbox'],
      status: ['x.2.1'],
      exampleContext: { vendorCategory: 'powermta:bad-mailbox', status: '5.2.1' },
    },
    {
      id: 'bad-mailbox',
      reason: 'userunknown',
      vendorCategory: ['powermta:bad-mailbox'],
      exampleContext: { vendorCategory: 'powermta:bad-mailbox' },
    },
    {
      id: 'inactive-mailbox',
      reason: 'suspend',
      vendorCategory: ['powermta:inactive-mailbox'],
      exampleContext: { vendorCategory: 'powermta:inactive-mailbox' },
    },
    { id: 'bad-domain', reason: 'hostunknown', vendorCategory: ['powermta:bad-domain'], exampleContext: { vendorCategory: 'powermta:bad-domain' } },
    { id: 'quota', reason: 'mailboxfull', vendorCategory: ['powermta:quota-issues'], exampleContext: { vendorCategory: 'powermta:quota-issues' } },
    {
      id: 'expired',
      reason: 'expired',
      vendorCategory: ['powermta:message-expired'],
      exampleContext: { vendorCategory: 'powermta:message-expired' },
    },
    {
      id: 'no-answer',
      reason: 'networkerror',
      vendorCategory: ['powermta:no-answer-from-host', 'powermta:bad-connection'],
      exampleContext: { vendorCategory: 'powermta:no-answer-from-host' },
    },
    {
      id: 'routing',
      reason: 'systemerror',
      vendorCategory: ['powermta:routing-errors'],
      exampleContext: { vendorCategory: 'powermta:routing-errors' },
    },
    { id: 'spam', reason: 'spamdetected', vendorCategory: ['powermta:spam-related'], exampleContext: { vendorCategory: 'powermta:spam-related' } },
    {
      id: 'virus',
      reason: 'virusdetected',
      vendorCategory: ['powermta:virus-related'],
      exampleContext: { vendorCategory: 'powermta:virus-related' },
    },
    {
      id: 'policy',
      reason: 'policyviolation',
      vendorCategory: ['powermta:policy-related'],
      exampleContext: { vendorCategory: 'powermta:policy-related' },
    },
    {
      id: 'content',
      reason: 'contenterror',
      vendorCategory: ['powermta:content-related'],
      exampleContext: { vendorCategory: 'powermta:content-related' },
    },
    {
      id: 'invalid-sender',
      reason: 'rejected',
      vendorCategory: ['powermta:invalid-sender'],
      exampleContext: { vendorCategory: 'powermta:invalid-sender' },
    },
    {
      id: 'relaying',
      reason: 'norelaying',
      vendorCategory: ['powermta:relaying-issues'],
      exampleContext: { vendorCategory: 'powermta:relaying-issues' },
    },
  ],
};

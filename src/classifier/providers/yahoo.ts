import { p } from '../phrase.js';
import { SISIMAI5_RHOST, YAHOO } from '../sources.js';
import type { Provider } from './provider.js';

/** Yahoo / AOL (Yahoo Inc.): "delivery error: dd ..." replies are Yahoo's own wording. */
export const yahoo: Provider = {
  id: 'yahoo',
  name: 'Yahoo Inc. (Yahoo Mail, AOL)',
  source: YAHOO,
  rules: [
    // [TSS09]/[TSS11] "All messages from <IP> will be permanently deferred": the IP is refused
    {
      id: 'ip-refused',
      reason: 'blocked',
      phrases: [
        p(
          'all messages from * will be permanently deferred',
          YAHOO + ' (TSS09, TSS11)',
          '553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred; Retrying will NOT succeed.',
        ),
      ],
    },
    {
      id: 'no-such-account', reason: 'userunknown',
      phrases: [
        p(
          "dd this user doesn't have a",
          YAHOO + ' (554 delivery error)',
          "554 delivery error: dd This user doesn't have a yahoo.com account (x@yahoo.com) [0]",
        ),
      ],
    },
    {
      id: 'disabled', reason: 'suspend', phrases: [
        p('delivery error: dd * is no longer valid', YAHOO, '554 delivery error: dd kijitora@yahoo.com is no longer valid. [-20]'),
        p('this mailbox is disabled (554.30)', YAHOO),
      ],
    },
    // Round 5 (issue #13): a sender over Yahoo's per-connection message limit
    { id: 'per-connection', reason: 'ratelimited', phrases: [p('max message per connection exceeded', YAHOO, '421 Max message per connection exceeded, try again later.')] },
  ],
};

/** Rules that hold only when a Yahoo server refused (*.yahoodns.net). */
export const yahooHosts: Provider = {
  id: 'yahoo-host',
  name: 'Yahoo Inc. receiving servers',
  source: YAHOO,
  hosts: ['yahoodns.net'],
  rules: [
    // (round 15) at Yahoo's own hosts its sender deferrals read as the sender's refusal, as its
    // TSS04 above (Sisimai 5 YahooInc); elsewhere "permanently deferred" stays the IP's (yahoo, below)
    {
      id: 'sender-refused', reason: 'rejected', phrases: [
        p('all messages from * will be permanently deferred', YAHOO + ' (TSS09, TSS11); ' + SISIMAI5_RHOST + ' (YahooInc)', '553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred; Retrying will NOT succeed.'),
        p('due to unresolvable rfc.5321', YAHOO + ' (the sender\'s domain does not resolve); ' + SISIMAI5_RHOST + ' (YahooInc)', '451 Message temporarily deferred due to unresolvable RFC.5321 from domain'),
      ],
    },
    // [TSS04] and [TSS09]/[TSS11] refuse a sender (reputation, missing authentication, volume):
    // Yahoo's page says the sender is deferred, without saying which check failed
    {
      id: 'sender-deferred', reason: 'rejected', phrases: [
        p(
          'temporarily deferred due to unexpected volume or user complaints',
          YAHOO + ' (TSS04)',
          '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1',
        ),
      ],
    },
    // "552 1 Requested mail action aborted, mailbox not found" answers DATA at Yahoo: no such user
    {
      id: 'mailbox-not-found', reason: 'userunknown',
      phrases: [
        p('mailbox not found', YAHOO, '552 1 Requested mail action aborted, mailbox not found'),
      ],
    },
  ],
};

import { p } from '../phrase.js';
import { GODADDY, MICROSOFT } from '../sources.js';
import type { ReasonTable } from './table.js';

const QUEUE = 'seen: Postfix (maximal_queue_lifetime), Sendmail (Timeout.queuereturn), Exim (retry rules), qmail (queuelifetime)';

/** The MTA gave up after retrying for its queue lifetime (RFC 3463 X.4.7). */
export const expired: ReasonTable = {
  id: 'text.expired',
  reason: 'expired',
  note: 'the message stayed in a queue until the MTA gave up (RFC 3463 X.4.7)',
  phrases: [
    p('delivery time expired', QUEUE, 'Delivery time expired: giving up on delivery'),
    // Zoho Mail's notice once its retries end: "[Status: Error, Address: <a>, ResponseCode 421,
    // , Host not reachable.]" under "This is a permanent error" (the family's format, Sisimai's
    // Lhost::Zoho, files it under expired: the host stayed unreachable until it gave up)
    p('host not reachable', 'Zoho Mail: the notice after its retries, "ResponseCode 421, , Host not reachable." (Sisimai Lhost::Zoho: expired)', 'Host not reachable'),
    p('message expired', MICROSOFT),
    p('queue expired', MICROSOFT),
    p('envelope expired', QUEUE),
    p('message has expired', QUEUE),
    p('delivery expired', QUEUE),
    p('retry timeout exceeded', 'Exim: "retry timeout exceeded"'),
    p('retry time not reached', 'Exim: "retry time not reached for any host"'),
    p('retry limit exceeded', QUEUE),
    p('queue time expired', QUEUE),
    p('queue period expired', QUEUE),
    p('delivery period expired', QUEUE),
    p('giving up on', QUEUE),
    p('gave up on', QUEUE),
    p('gave up after', QUEUE),
    p('giving up after', QUEUE),
    p('could not be delivered for more than', QUEUE),
    p('could not be delivered for too long', 'Sendmail: "Message could not be delivered for N days"'),
    p('could not be delivered for * days', 'Sendmail: "Message could not be delivered for N days"', 'Message could not be delivered for 5 days'),
    p('could not be delivered within', QUEUE),
    p('was not delivered within', QUEUE),
    p('has been in the queue too long', 'qmail: "this message has been in the queue too long"; ' + GODADDY),
    p('too long in the queue', QUEUE),
    p('in the queue too long', QUEUE),
    p('queued too long', QUEUE),
    p('message timed out', QUEUE),
    p('delivery timeout', GODADDY),
    p('have been failing for', 'Exim: "all hosts for <domain> have been failing for a long time"'),
    p('has not been collected after', QUEUE),
    p('unable to deliver message after multiple retries', QUEUE),
    p('was not reachable within the allowed queue period', QUEUE),
    p('could not deliver for the last', QUEUE),
    p('failed to deliver to domain', QUEUE),
    p('could not find a gateway for', QUEUE),
    p('maximum time exceeded', QUEUE),
    p('delivery failed * attempts', 'Ipswitch IMail: "Delivery failed N attempts"', 'Delivery failed 20 attempts: kijitora@example.com'),
    p('expired after', QUEUE),
    // Haraka outbound: once the retries of temp_fail_intervals / maxTempFailures ran out the
    // message bounces (docs/Outbound.md) with the reason "Too many failures (<last error>)"
    // (outbound/hmail.js)
    p('too many failures (', 'Haraka, docs/Outbound.md (maxTempFailures: "Maximum temp-fail retries before the message bounces") and outbound/hmail.js ("Too many failures (<last error>)")', 'Too many failures (Tried all MXs)'),
    // XMail: the reason it gives once the spool file expired (QueueUtils.cpp, QueUtResendMessage on
    // ERR_SPOOL_FILE_EXPIRED), in "[<00>] XMail bounce: Rcpt=[a];Error=[...]" and "[<02>]"
    p('the maximum number of delivery attempts has been reached', "XMail source (QueueUtils.cpp, QueUtResendMessage): its reason once the spool file's retries expired", 'The maximum number of delivery attempts has been reached'),
    p('no longer retrying', QUEUE),
    p('delivery attempts will continue to be made', 'RFC 3464 delay notices (Postfix, Sendmail, Exim wording)'),
    p('connection timed out', MICROSOFT + ' (4.4.1 connection timed out)'),
    p('timed out while', 'Postfix: "conversation with <host> timed out while ..."'),
    p('did not accept our requests to connect', QUEUE),
    p('server did not respond', QUEUE),
  ],
};

/**
 * A TCP connection the destination refused, in the reporting MTA's own words: the host gave
 * no SMTP answer at all (RFC 3463 X.4.1 "No answer from host"), the MTA keeps the message and
 * retries until its queue lifetime ends, so the notice is the expiry's (Sisimai's reading of
 * 4.4.1). After ./blocked.ts `refusedByHost`: Sendmail's "Connection refused by <host>" is read
 * as the host turning us away, the convention of the public labels.
 */
export const noAnswer: ReasonTable = {
  id: 'text.no-answer',
  reason: 'expired',
  note: 'the destination refused the TCP connection: no answer from the host (RFC 3463 X.4.1)',
  phrases: [
    p(
      'connect to * connection refused',
      'Postfix: "connect to <host>[<ip>]:25: Connection refused" (dsn 4.4.1)',
      'connect to mx.example.org[192.0.2.25]:25: Connection refused',
    ),
    p('connection refused', 'seen: Postfix, Exim, qmail (a refused TCP connection; RFC 3463 X.4.1)'),
  ],
};

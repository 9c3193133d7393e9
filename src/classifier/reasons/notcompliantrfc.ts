import { p } from '../phrase.js';
import { GOOGLE, YAHOO } from '../sources.js';
import type { ReasonTable } from './table.js';

const RFC5322 = 'RFC 5322 §3.6 (one From, one Date, one Message-ID...), seen: Gmail, Yahoo';

export const notcompliantrfc: ReasonTable = {
  id: 'text.notcompliantrfc',
  reason: 'notcompliantrfc',
  note: 'the message breaks RFC 5322 (duplicate or missing header fields)',
  phrases: [
    p('is not rfc 5322 compliant', GOOGLE),
    p('not rfc 5322 compliant', GOOGLE),
    p('not rfc5322 compliant', RFC5322),
    p('not rfc 2822 compliant', RFC5322),
    p('not rfc compliant', YAHOO),
    p('headers are not rfc compliant', YAHOO),
    p('not compliant with rfc', RFC5322),
    p('rfcmessagenoncompliant', GOOGLE),
    p('multiple addresses in from', GOOGLE),
    p('missing a valid address in the from', GOOGLE),
    p('missing a valid message-id', GOOGLE),
    p('duplicate header', RFC5322),
    p('multiple from headers', RFC5322),
    p('duplicate from', RFC5322),
    p('duplicate date', RFC5322),
    p('duplicate subject', RFC5322),
    p('duplicate message-id', RFC5322),
    p('missing required header', RFC5322),
    p('missing date header', RFC5322),
    p('missing from header', RFC5322),
    p('missing message-id', RFC5322),
    p('message is not rfc', RFC5322),
  ],
};

import { p } from '../phrase.js';
import { APPLE, RFC7505, SISIMAI5 } from '../sources.js';
import type { ReasonTable } from './table.js';

const NOMX = 'seen: Postfix ("Host or domain name not found ... type=MX"), Exim, Gmail (null MX)';

/** The destination accepts no mail at all (null MX, no SMTP service). */
export const notaccept: ReasonTable = {
  id: 'text.notaccept',
  reason: 'notaccept',
  note: 'the destination domain or host accepts no mail (RFC 7505 null MX, RFC 3463 X.3.2)',
  phrases: [
    // (round 15) Sisimai 5 files it here, the labels' own definition; stop 36 had moved it to suspend
    // on RFC 3463 X.2.1's title (CommuniGate's per-account switch)
    p('mail receiving disabled', SISIMAI5 + ' (NotAccept)', '556 5.1.10 Mail receiving disabled'),
    p('null mx', RFC7505, '556 5.1.10 Recipient domain example.com has null MX'),
    p('nullmx', RFC7505),
    p('indicated no smtp service', RFC7505 + '; Exim'),
    p('host/domain does not accept mail', APPLE),
    p('host does not accept mail', NOMX),
    p('domain does not accept mail', NOMX),
    p('server does not accept mail', NOMX),
    p('does not accept any mail', NOMX),
    p('does not accept mail', NOMX),
    p('will not accept mail', NOMX),
    p('not accepting network messages', 'RFC 3463 X.3.2 (title)'),
    p('no mx record', NOMX),
    p('no mx found', NOMX),
    p("couldn't find a mail exchanger", NOMX),
  ],
};

import { p } from '../phrase.js';
import { GOOGLE, MICROSOFT, MIMECAST, YAHOO } from '../sources.js';
import type { ReasonTable } from './table.js';

export const badreputation: ReasonTable = {
  id: 'text.badreputation',
  reason: 'badreputation',
  note: "the receiver refuses because of the sending IP's or domain's reputation",
  phrases: [
    p('very low reputation', GOOGLE),
    p('poor reputation', 'seen: GoDaddy (IB103), Proofpoint'),
    p('poor email reputation', 'seen: Barracuda, Proofpoint'),
    p('bad reputation', 'seen: Barracuda, Cisco IronPort (SenderBase)'),
    p('low reputation', GOOGLE),
    p('sender reputation', 'seen: Cisco IronPort, Proofpoint'),
    p('ip reputation', MICROSOFT),
    p('ip/domain reputation', 'seen: Cisco IronPort, Trend Micro ERS'),
    p('local ct ip reputation', MIMECAST),
    p('unexpected volume or user complaints', YAHOO),
  ],
};

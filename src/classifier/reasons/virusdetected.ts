import { p } from '../phrase.js';
import { AMAVIS, GODADDY, SISIMAI, SISIMAI5 } from '../sources.js';
import type { ReasonTable } from './table.js';

const AV = 'seen: Exim (av_scanner), amavisd-new, ClamAV milter';

export const virusdetected: ReasonTable = {
  id: 'text.virusdetected',
  reason: 'virusdetected',
  note: 'an anti-virus scanner found malware in the message',
  phrases: [
    p('contains prohibited virus or spam content', SISIMAI5 + ' (VirusDetected)', '554 5.7.1 The message was rejected because it contains prohibited virus or spam content'),
    p('virus detected', AV),
    p('virus found', AV),
    p('virus infected message rejected', GODADDY),
    p('infected with', AV, '550 message infected with Eicar-Test-Signature'),
    p('contains a virus', AV),
    p('contains virus', AV),
    p('malware detected', AV),
    p('malware found', AV),
    p('message contains malicious', SISIMAI),
    // Gmail's refusals of an attachment type malware uses (Sisimai 4.25 Reason/VirusDetected.pm)
    p('it has a potentially executable attachment', SISIMAI, '552-5.7.0 It has a potentially executable attachment.'),
    p('this form of attachment has been used by recent viruses or other malware', SISIMAI),
    p('virus * rejected', AV, '550 5.7.0 Virus Win32.X was found and rejected'),
    p('reject, id=* - infected:', AMAVIS, '554 5.7.0 Reject, id=12345-01 - INFECTED: Eicar-Test-Signature'),
  ],
};

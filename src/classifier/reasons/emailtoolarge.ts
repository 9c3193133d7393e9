import { p } from '../phrase.js';
import { GOOGLE, MICROSOFT, MIMECAST, SISIMAI } from '../sources.js';
import type { ReasonTable } from './table.js';

const SIZE = 'seen: Postfix (message_size_limit), Sendmail (MaxMessageSize), Exim (message_size_limit), Exchange';

export const emailtoolarge: ReasonTable = {
  id: 'text.emailtoolarge',
  reason: 'emailtoolarge',
  note: 'the message is larger than the receiver accepts (RFC 3463 X.3.4, X.2.3)',
  phrases: [
    p('max message size exceeded', SISIMAI),
    p('message size exceeds fixed maximum message size', MICROSOFT + '; Sendmail'),
    p('message size exceeds', SIZE),
    p('message too large', SIZE),
    p('message too big', SIZE),
    p('message is too large', SIZE),
    p('message is too big', SIZE),
    p('message was too large', SIZE),
    p('message length exceeds', SIZE),
    // (Courier writes the length between the words: "523 Message length (N bytes) exceeds administrative limit(N).")
    p('message length * exceeds administrative limit', 'RFC 3463 X.2.3 (title: "Message length exceeds administrative limit")', '523 Message length (20550 bytes) exceeds administrative limit(20480).'),
    p('message exceeds', SIZE),
    p('email is too large', SIZE),
    p('mail too large', SIZE),
    p('larger than the maximum', SIZE),
    p('size limit', SIZE),
    p('size exceeds maximum', SIZE),
    p('size of message exceeds', SIZE),
    p('exceeds the maximum size', SIZE),
    p('exceeds maximum size', SIZE),
    p('exceeds the message size', SIZE),
    p('exceeds size limit', SIZE),
    p('exceeded the maximum allowed size', SIZE),
    p('exceeded maximum inbound message size', SIZE),
    p('maximum message size', SIZE),
    p('message file too big', SIZE),
    p('too big for', SIZE),
    p('line limit exceeded', SIZE),
    p("exceeded google's message size limits", GOOGLE),
    p('maximum email size exceeded', MIMECAST),
    p('taille limite du message', 'Orange: postmaster error codes (514)'),
  ],
};

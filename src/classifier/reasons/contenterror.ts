import { p } from '../phrase.js';
import { MICROSOFT, SISIMAI } from '../sources.js';
import type { ReasonTable } from './table.js';

const CONTENT = 'seen: Postfix (header_checks, cleanup), Sendmail, Exim, Microsoft Exchange';

/** Header and encoding problems whose words say "size exceeds" (not the message size). */
export const contentHeader: ReasonTable = {
  id: 'text.content-header',
  reason: 'contenterror',
  note: 'the headers or the encoding of the message are refused',
  phrases: [
    p('header size exceeds', CONTENT),
    p('headers too large', 'Sendmail: "Headers too large"'),
    p('header line too long', CONTENT),
    p('header lines too long', CONTENT),
    p('too many headers', CONTENT),
    p('message header size', CONTENT),
    p('improperly-formatted binary content', SISIMAI),
    p('unnecessary base64 encoding', SISIMAI),
    p('mime complexity exceeds', SISIMAI),
  ],
};

export const contenterror: ReasonTable = {
  id: 'text.contenterror',
  reason: 'contenterror',
  note: 'the content, MIME structure or attachments of the message are refused',
  phrases: [
    p('improper use of 8-bit data', 'Postfix: 8-bit data in message header'),
    p('mime error', CONTENT),
    p('mime format', CONTENT),
    p('routing loop detected -- too many received', CONTENT),
    // Exim's limits on the header block (header_line_maxsize, header_maxsize): the message's
    // header refused, a content error by the reason definitions we reuse ("rejected due to a
    // header format of the email")
    p('a message header line is too long', SISIMAI + ' (ContentError: the header format); Exim: header_line_maxsize, "552 A message header line is too long" (exim4 4.96)', '552 A message header line is too long'),
    p('message header is ridiculously long', SISIMAI + ' (ContentError: the header format); Exim: header_maxsize, "552 Message header is ridiculously long" (exim4 4.96)', '552 Message header is ridiculously long'),
    // Exim's refusal (and bounce) once a message carries more Received: headers than
    // received_headers_max (30), a loop by the Exim FAQ (Q0061); the reason definitions we
    // reuse file "too many Received headers" under content errors (the header block refused),
    // as Courier's "Routing loop detected -- too many Received: headers" above
    p('too many "received" headers', SISIMAI + ' (ContentError: "Too many Received headers"); Exim: received_headers_max, "Too many "Received" headers - suspected mail loop" (Exim FAQ Q0061)', '550 Too many "Received" headers - suspected mail loop'),
    p('invalid message content', MICROSOFT),
    p('invalid content', CONTENT),
    p('invalid header', CONTENT),
    p('invalid mime', CONTENT),
    p('invalid character', CONTENT),
    p('invalid characters', MICROSOFT),
    p('malformed message', CONTENT),
    p('malformed header', CONTENT),
    p('malformed mime', CONTENT),
    p('content rejected', CONTENT),
    p('content not allowed', CONTENT),
    p('attachment not allowed', CONTENT),
    p('attachment type', CONTENT),
    p('attachment rejected', CONTENT),
    p('prohibited attachment', CONTENT),
    p('banned attachment', CONTENT),
    p('banned file', CONTENT),
    p('illegal attachment', CONTENT),
    p('illegal characters in header', CONTENT),
    p('line too long', CONTENT),
  ],
};

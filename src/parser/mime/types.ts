// The values the MIME layer hands to the detectors: plain data, no methods, no buffers.

/** Header fields: names lower-cased, one entry per occurrence, values unfolded and decoded. */
export type HeaderMap = Record<string, string[]>;

export interface MimePart {
  /** `type/subtype`, lower case (`text/plain` when absent). */
  contentType: string;
  /** Content-Type parameters, names lower-cased. */
  params: Record<string, string>;
  headers: HeaderMap;
  /** Decoded text for textual parts (text/*, message/*-status, feedback-report, disposition-notification); '' otherwise. */
  text: string;
  /** Nesting depth (0 = the top-level entity). */
  depth: number;
}

/** The returned original message, as far as it was returned. */
export interface OriginalView {
  /** Where it came from: `message/rfc822`, `message/global`, `text/rfc822-headers`, `inline`, `pasted` (a part with a message's fields as its header block). */
  source: string;
  headers: HeaderMap;
  /** The whole returned message (latin1, LF) for message/rfc822 and pasted parts, capped at 1 MiB. */
  raw?: string;
}

export interface MailView {
  /** Top-level header fields. */
  headers: HeaderMap;
  /**
   * The Subject as the notice's sender wrote it: decoded, without the tags a gateway or an
   * inbox puts in front ("[EXTERNAL] ", "***SPAM*** ": `withoutSubjectTags`). Detectors read
   * this one; the report keeps the header as received.
   */
  subject: string;
  /** Top-level Content-Type, lower case. */
  contentType: string;
  /** Content-Type parameters of the top level (e.g. `report-type`). */
  contentParams: Record<string, string>;
  /** All leaf parts outside the returned original, in document order. */
  parts: MimePart[];
  /**
   * The human-readable text: text/plain parts outside the original joined with '\n' (HTML
   * parts reduced to text when there is no text/plain part). LF line ends.
   */
  text: string;
  /**
   * `text` cut before an inline copy of the original message (the header block or a
   * "this is a copy of the message" style marker), for detectors that scan for addresses.
   */
  reportText: string;
  /** Bodies of message/delivery-status and message/global-delivery-status parts. */
  deliveryStatus: string[];
  /** Bodies of message/feedback-report parts. */
  feedbackReports: string[];
  /** The returned original (structural part, or a header block found inline in the text). */
  original: OriginalView | null;
  /** Non-fatal oddities (unknown charset, missing boundary, ...). */
  warnings: string[];
}

export class UnparseableError extends Error {
  override name = 'UnparseableError';
}

/** A message entity split into its header block and body (see splitEntity in headers.ts). */
export interface Entity {
  headers: HeaderMap;
  /** Body as a latin1 string (one char per byte), LF line ends. */
  body: string;
  /** Number of header fields found. */
  fieldCount: number;
}

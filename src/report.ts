// The plain values that flow between the pure core modules:
//   parser      Buffer        -> ParsedReport
//   classifier  ParsedReport  -> Verdict[]   (one per recipient)
// Nothing here does I/O. Keep these types small and stable: the store, the API and
// `bounced classify` all speak them. Their vocabularies (kinds, actions, reasons, categories,
// types) are said once, in src/domain/classification.ts.
import type { BounceType, Category, DsnAction, Reason, ReportKind } from './domain/classification.js';

export type { BounceType, Category, DsnAction, Reason, ReportKind };

/** One recipient block of a report (RFC 3464 per-recipient fields, or what a detector found). */
export interface RecipientReport {
  /** The failed address, lower-cased, without `rfc822;` or angle brackets. */
  finalRecipient: string;
  /** Original-Recipient (the address as the sender wrote it), lower-cased, when given. */
  originalRecipient: string | null;
  action: DsnAction | null;
  /** Enhanced status code `c.s.d` (RFC 3463) as found in the report or the reply text. */
  status: string | null;
  /** True when the status was derived by us, not read from the message. */
  statusDerived: boolean;
  /** Three-digit SMTP reply code when one is known (from Diagnostic-Code or the NDR text). */
  replyCode: number | null;
  /** Diagnostic-Code type (`smtp`, `x-postfix`, ...) when the report gave one. */
  diagnosticType: string | null;
  /** The remote server's text (unfolded, one line). */
  diagnosticCode: string | null;
  /** Remote-MTA without the `dns;` type. */
  remoteMta: string | null;
  /** The SMTP command the failure answered (RCPT, DATA, MAIL, ...), when known. */
  command: string | null;
  lastAttemptDate: string | null;
  willRetryUntil: string | null;
  /**
   * The reporting MTA's own classification of the failure, as `<vendor>:<category>` in lower
   * case (PowerMTA's `X-PowerMTA-BounceCategory: bad-mailbox` -> `powermta:bad-mailbox`), when
   * the report carries one. Optional: absent or null when there is none.
   */
  vendorCategory?: string | null;
  /**
   * True when the report wrote one reply for the whole message as every recipient's (nullmailer
   * gives up a message at its first refused RCPT) and that reply names none of them: which
   * recipient it answered is not known. Optional: absent when the reply is the recipient's own.
   */
  sharedReply?: boolean;
}

/** RFC 5965 feedback report fields. */
export interface FeedbackReport {
  feedbackType: string; // abuse, fraud, virus, not-spam, other, ...
  userAgent: string | null;
  version: string | null;
  sourceIp: string | null;
  originalMailFrom: string | null;
  originalRcptTo: string[];
  arrivalDate: string | null;
  reportingMta: string | null;
  reportedDomain: string | null;
}

/** What we keep of the returned original message (message/rfc822 or text/rfc822-headers). */
export interface OriginalMessage {
  messageId: string | null;
  from: string | null;
  to: string | null;
  subject: string | null;
  returnPath: string | null;
  /** Header fields, names lower-cased; repeated fields joined with '\n'. */
  headers: Record<string, string>;
}

export interface ParsedReport {
  kind: ReportKind;
  /** Which detector produced the recipients (`rfc3464`, `arf`, `auto-reply`, `exim`, ...). */
  detector: string;
  /** Headers of the report itself. */
  messageId: string | null;
  subject: string | null;
  from: string | null;
  date: string | null;
  /** Reporting-MTA of the per-message block, without `dns;`. */
  reportingMta: string | null;
  arrivalDate: string | null;
  recipients: RecipientReport[];
  original: OriginalMessage | null;
  feedback: FeedbackReport | null;
  /** Why this was taken for an auto-reply (the header or subject that said so). */
  autoReply: string | null;
  /** Non-fatal oddities met while parsing (unknown charset, bad block, ...). */
  warnings: string[];
}

/** The classifier's answer for one recipient of one report. */
export interface Verdict {
  recipient: string | null;
  kind: ReportKind;
  action: DsnAction | null;
  status: string | null;
  /** True when `status` was derived by the classifier (the message carried no code). */
  statusDerived?: boolean;
  reason: Reason;
  hardbounce: boolean;
  category: Category;
  type: BounceType;
  replyCode: number | null;
  diagnosticCode: string | null;
  remoteMta: string | null;
  reportingMta: string | null;
  originalMessageId: string | null;
  feedbackType: string | null;
  /** Id of the rule that decided the reason (e.g. `text.user-unknown`, `status.5.1.1`). */
  rule: string;
  /** The field the rule matched and the text it matched in, for `--explain`. */
  matched: { field: string; text: string } | null;
  detector: string;
}

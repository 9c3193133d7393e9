// Types shared by all detectors. A detector reads a MailView (see ../mime.ts) and either
// recognizes the message (returns a DetectorResult) or says "not mine" (returns null).
import type { FeedbackReport, OriginalMessage, RecipientReport, ReportKind } from '../../report.js';
import type { MailView } from '../mime.js';

export type { MailView };

export interface DetectorResult {
  /**
   * Any ReportKind. A detector that cannot tell returns null; `unknown` says "mine, and no
   * report about a recipient" (an SES send event), so no later detector reads it.
   */
  kind: ReportKind;
  /** One entry per recipient block / failed address; never merge two addresses. */
  recipients: RecipientReport[];
  /** Reporting-MTA (without `dns;`) when the detector knows it. */
  reportingMta?: string | null;
  arrivalDate?: string | null;
  feedback?: FeedbackReport | null;
  /** For auto-replies: the header or subject that said so. */
  autoReply?: string | null;
  /** Overrides the returned original the MIME layer found (rarely needed). */
  original?: OriginalMessage | null;
  warnings?: string[];
  /**
   * The detector read the report and found nobody in it that failed (every address it names
   * has another role): no later detector may read it, even with `recipients` empty.
   */
  settled?: boolean;
  /** Filled in by the registry from Detector.name; a detector may set a sub-name. */
  detector?: string;
}

export type DetectFn = (view: MailView) => DetectorResult | null;

export interface Detector {
  /** Stable lower-case name recorded in ParsedReport.detector (`rfc3464`, `exim`, ...). */
  name: string;
  detect: DetectFn;
}

/** A RecipientReport with every optional field empty. */
export function newRecipient(finalRecipient: string, fields: Partial<RecipientReport> = {}): RecipientReport {
  return {
    finalRecipient,
    originalRecipient: null,
    action: null,
    status: null,
    statusDerived: false,
    replyCode: null,
    diagnosticType: null,
    diagnosticCode: null,
    remoteMta: null,
    command: null,
    lastAttemptDate: null,
    willRetryUntil: null,
    ...fields,
  };
}

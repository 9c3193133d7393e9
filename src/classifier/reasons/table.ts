// The shape of a reason's phrase table (see ../phrase.ts for the phrases themselves).
import type { Reason } from '../../report.js';
import type { Phrase } from '../phrase.js';

export interface ReasonTable {
  /** Stable id of the table (`text.mailboxfull`); a verdict's rule is `<id>:<phrase slug>`. */
  id: string;
  reason: Reason;
  /** What the table's wordings have in common, for a maintainer. */
  note: string;
  phrases: Phrase[];
  /** Never when the failure answered one of these commands (user "unknown" after MAIL is the sender). */
  notCommand?: string[];
  /** Only when the failure answered one of these commands. */
  command?: string[];
  /**
   * The wordings say the failure is temporary ("try again"): with no specific code and no
   * permanent reply, a failed notice of it is transient, as an expiry is (index.ts failureClass).
   */
  transient?: boolean;
}

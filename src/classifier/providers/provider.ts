// The shape of a provider (receiving service, gateway or MTA vendor) convention table: replies
// whose meaning is that provider's own, documented on its reply-code pages or fixed by its
// software. A convention is final: it decides before the general reason tables, and the
// "user unknown after DATA is a filter" reading (../index.ts) does not apply to it.
import type { Reason } from '../../report.js';
import type { Phrase } from '../phrase.js';

/** What a rule may look at besides the text. */
export interface RuleContext {
  /** The refusing host (Remote-MTA, else Reporting-MTA), lower case, no trailing dot. */
  host?: string | null;
  status?: string | null;
  replyCode?: number | null;
  command?: string | null;
  detector?: string | null;
  vendorCategory?: string | null;
}

export interface ProviderRule {
  /** Unique within the provider; the verdict's rule is `<provider id>.<rule id>`. */
  id: string;
  reason: Reason;
  /** Any of these wordings (with the other conditions). */
  phrases?: Phrase[];
  /** Status prefixes ('x.4.312', '5.7.' ...), see statusMatches. */
  status?: string[];
  /** A range of three-digit status details under one prefix: ['x.7.', 606, 649]. */
  statusRange?: [string, number, number];
  command?: string[];
  reply?: number[];
  detector?: string[];
  vendorCategory?: string[];
  /** Context the tests give the rule's examples (status, command, ...). */
  exampleContext?: RuleContext;
}

/** Numbered codes a provider puts in its replies ("AUP#CXBL", "OFR_506", "IB212"). */
export interface CodeTable {
  /** A short pattern over the normalised text; group 1 is the code. Linear: no nested repeats. */
  pattern: RegExp;
  /** code -> reason; or ranges of numeric codes. */
  codes: Record<string, Reason>;
  ranges?: [number, number, Reason][];
  /** A text carrying a code (tests). */
  example: string;
}

export interface Provider {
  id: string;
  name: string;
  /** Its published reply reference, or the families/messages the conventions were seen in. */
  source: string;
  /** Suffixes of its servers' names; when given, the provider speaks only for those hosts. */
  hosts?: string[];
  rules: ProviderRule[];
  codes?: CodeTable;
}

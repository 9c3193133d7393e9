import { p } from '../phrase.js';
import { GODADDY, GOOGLE, GTUBE, SISIMAI, SISIMAI5 } from '../sources.js';
import type { ReasonTable } from './table.js';

const FILTERS = 'seen: SpamAssassin (spamass-milter, Exim), Barracuda, Proofpoint';

/** A verdict that the message IS spam: beats the advice that often follows it ("... set up SPF"). */
export const spamVerdict: ReasonTable = {
  id: 'text.spam-verdict',
  reason: 'spamdetected',
  note: "the receiver's content filter judged the message to be spam",
  phrases: [
    p('rejected due to spam classification', SISIMAI),
    // round 16: a receiver's own content rule that named the sender (Sisimai 5 SpamDetected's
    // pair); before the blocked table's bare "blacklisted"
    p('rule imposed as * is blacklisted on', SISIMAI5 + ' (SpamDetected)', '550 Rule imposed as sironeko@example.com is blacklisted on mx.example.jp'),
    p('spam classification', SISIMAI),
    p('classified as spam', FILTERS),
    p('identified as spam', FILTERS),
    p('detected as spam', FILTERS),
    p('flagged as spam', 'seen: Zoho, Barracuda'),
    p('marked as spam', FILTERS),
    p('rejected as spam', FILTERS),
    p('rejected due to spam', FILTERS),
    p('rejected because of spam', FILTERS),
    p('blocked as spam', FILTERS),
    p('content judged to be spam', GODADDY),
    p('message rejected for spam or virus content', GODADDY),
    p('likely unsolicited mail', GOOGLE),
    p('due to the nature of the content or the links within', GOOGLE),
    p('rejected by spam filtering engine', SISIMAI),
    p('failed several antispam checks', SISIMAI),
    p('blacklisted url in message', SISIMAI),
    p('message rejected because of unacceptable content', SISIMAI),
    p('mail content denied', SISIMAI),
    p('rejected - bulk email', SISIMAI),
    p('reject bulk.advertising', SISIMAI),
    p('rejecting banned content', 'seen: amavisd-new, Exim'),
    p('temporarily blocked by our filter', SISIMAI),
    p('recurrent pattern detection system', 'seen: Cyren/Commtouch RPD engine (in several gateways)'),
    // (the filter names the test string it found: its documented meaning is "this is spam")
    p('gtube pattern', GTUBE, '554 5.7.1 Gtube pattern'),
  ],
};

/** Words that say spam without saying more: after the causes a code or text names precisely. */
export const spamWords: ReasonTable = {
  id: 'text.spam',
  reason: 'spamdetected',
  note: 'spam, junk, bulk or unsolicited mail named as the cause',
  phrases: [
    // MX Logic's (McAfee's) spam score over its threshold
    p('over mxthreshold', SISIMAI5 + ' (SpamDetected: "mail score (n) over mxthreshold")', '550 5.7.1 Mail score (12.5) over MXTHRESHOLD'),
    // MailMarshal's (Trustwave SEG's) spam engine
    p('spamprofiler', SISIMAI5 + ' (SpamDetected)', '550 5.7.1 Message refused by MailMarshal SpamProfiler'),
    p('spam', FILTERS, '550 5.7.1 Message rejected as possible spam'),
    p('spamming', FILTERS),
    p('spammy', FILTERS),
    p('spamassassin', FILTERS),
    p('unsolicited', FILTERS),
    p('uce', 'seen: qmail-spp, Sendmail access maps'),
    p('junk mail', FILTERS),
    p('bulk mail', FILTERS),
    p('content filter rejection', FILTERS),
    p('content filtering rejection', FILTERS),
    p('message content rejected', FILTERS),
    p('message content was rejected', FILTERS),
    p('message body rejected', FILTERS),
    p('rejected as junk', FILTERS),
    p('rejected for bulk', FILTERS),
    p('high spam score', FILTERS),
    p('classified as junk', FILTERS),
    p('classified as bulk', FILTERS),
    p('looks like junk', FILTERS),
    p('surbl', 'seen: SpamAssassin URI rules, Exim ACLs'),
    p('uribl', 'seen: SpamAssassin URI rules, Exim ACLs'),
    p('url in message is blacklisted', SISIMAI),
    p('url is blacklisted', SISIMAI),
    p('suspicious content', FILTERS),
    p('suspicious url', FILTERS),
  ],
};

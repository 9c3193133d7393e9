import { p } from '../phrase.js';
import { AMAVIS, APPLE, GOOGLE, MIMECAST, SISIMAI, YAHOO, ZOHO } from '../sources.js';
import type { ReasonTable } from './table.js';

const POLICY = 'seen: Microsoft Exchange transport rules, Proofpoint, Mimecast, Barracuda';

/** Policies of the receiving organization, specific wordings (before size/content words). */
export const policyPhrases: ReasonTable = {
  id: 'text.policy-phrase',
  reason: 'policyviolation',
  note: "a stated policy of the receiving organization refused the message",
  phrases: [
    p('illegal attachment on your message', GOOGLE),
    p('content presents a potential security issue', GOOGLE),
    p('has a policy that prohibited the mail that you sent', GOOGLE),
    p('message bounced due to organizational settings', SISIMAI),
    p('recipient is not accepting mail with', SISIMAI),
    p('by non-member to a members-only list', SISIMAI),
    p('not subscribed to this group', SISIMAI),
    p('do not accept messages containing images', SISIMAI),
    p('without solving a captcha', SISIMAI),
    p('message given low priority', SISIMAI),
    p('anti-spoofing policy', MIMECAST),
    p('content examination policy', MIMECAST),
    p('email policy violation detected', ZOHO),
    // amavisd-new's reply for banned contents (Amavis/Conf.pm %smtp_reason_by_ccat CC_BANNED,
    // "id=%n - BANNED: %F"): a part's name or type is on the site's banned_filename_re list,
    // the site's stated content-type policy (the reason definitions file an attachment policy,
    // "not accepting mail with attachments", under PolicyViolation); before blocked's "banned"
    p('reject, id=* - banned:', AMAVIS, '554 5.7.0 Reject, id=28021-02 - BANNED: application/octet-stream,.asc,invoice.exe'),
  ],
};

export const policyviolation: ReasonTable = {
  id: 'text.policyviolation',
  reason: 'policyviolation',
  note: 'a policy named as the cause',
  phrases: [
    p('policy violation', POLICY),
    p('policy reasons', YAHOO),
    p('policy rejection', POLICY),
    p('violates our policy', POLICY),
    p('violates our * policy', POLICY, '550 message violates our email policy'),
    p('violation of our * policy', POLICY, '550 violation of our email policy'),
    p('rejected by * policy', POLICY, '554 rejected by content policy'),
    p('rejected due to * policy', POLICY, '550 rejected due to company policy'),
    p('rejected due to * policies', MIMECAST, '554 Email rejected due to security policies'),
    p('due to local policy', APPLE),
    p('blocked by * policy', POLICY, '550 blocked by content policy'),
    p('denied by * policy', POLICY, '550 denied by local policy'),
    p('not allowed by * policy', POLICY, '550 not allowed by organization policy'),
    p('prohibited by policy', POLICY),
    p('organizational policy', POLICY),
    p('organization policy', POLICY),
    p('content policy', POLICY),
    p('does not comply with our policy', POLICY),
    p('closed mailing list', 'seen: Mailman, Sympa'),
    p('mass mailer', SISIMAI),
    p('header error', 'seen: Gmail relaying, Exim header checks'),
    p('host network not allowed', MIMECAST),
    p('protocol violation', SISIMAI),
  ],
};

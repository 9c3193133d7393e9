// Google Groups' refusal of a post (From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>,
// Subject: Delivery Status Notification (Failure)). No delivery-status part: a notice in the
// sender's language, and the group address only in the X-Failed-Recipients header.
//
//   Hello kijitora@example.jp,
//
//   We're writing to let you know that the group you tried to contact (libsisimai) may not
//   exist, or you may not have permission to post messages to the group. A few more details
//   on why you weren't able to post:
//
//    * You might have spelled or formatted the group name incorrectly.
//    * The owner of the group may have removed this group.
//    * You may need to join the group before receiving permission to post.
//    * This group may not be open to posting.
//
//   If you have questions related to this or any other Google Group, visit the Help Center at
//   https://groups.google.com/support/.
//
//   Thanks,
//
//   Google Groups
//
//   ----- Original message -----
//
// The notice is localized (Japanese, Arabic, Hebrew, ... seen) but its shape is fixed: a
// greeting, the explanation, the bullet list, the help-centre link. The explanation and the
// bullets are the diagnostic; its type is `x-google-groups`, so the reason can be decided
// from the type when the words are in a language no rule reads.
import type { RecipientReport } from '../../report.js';
import { headerValue, headerValues } from '../mime.js';
import { findAddresses, oneLine, textHead } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

const GOOGLE_DAEMON = /mailer-daemon@(?:googlemail|google)\.com/i;
const HELP_LINK = /https?:\/\/groups\.google\.com\/support/i;

export function detectGoogleGroups(view: MailView): DetectorResult | null {
  if (!GOOGLE_DAEMON.test(headerValue(view.headers, 'from') ?? '')) return null;
  const text = textHead(view.reportText, 50_000);
  const help = HELP_LINK.exec(text);
  if (!help) return null;
  const failed = headerValues(view.headers, 'x-failed-recipients').flatMap((v) => findAddresses(v));
  if (!failed.length) return null;

  // paragraphs before the one holding the help link; the first is the greeting
  const paras = text
    .slice(0, help.index)
    .split(/\n[ \t]*\n/)
    .map((p) => p.trim())
    .filter(Boolean);
  paras.pop(); // the paragraph with the link
  const body = paras.length > 1 ? paras.slice(1) : paras;
  const diag = oneLine(body.join(' ')) || null;

  const recipients: RecipientReport[] = [...new Set(failed)].map((a) =>
    newRecipient(a, { action: 'failed', diagnosticType: 'x-google-groups', diagnosticCode: diag }),
  );
  return { kind: 'bounce', recipients };
}

// fml (fml.org mailing list manager) rejection notices: the list refuses a post (sender not a
// member, loop, spam) and tells the sender from `<list>-admin@`. Not an NDR of a mailbox: the
// "recipient" is the list address the post was refused by, named in angle brackets in the
// notice ("You are not a member of this mailing list <neko-nyaan@example.org>."). The notice
// text is the diagnostic; the returned post follows "Original mail as follows:".
import { headerValue } from '../mime.js';
import { compile, HELP_CONTEXT } from '../phrases.js';
import { firstBracketedAddress, normalizeAddress, oneLine, textHead } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

/** A paragraph that tells the sender where to write ("please send mail ... to the address <x>"). */
const HELP = compile(HELP_CONTEXT);

export function detectFml(view: MailView): DetectorResult | null {
  const server = headerValue(view.headers, 'x-mlserver') ?? '';
  const from = headerValue(view.headers, 'from') ?? '';
  if (!/^fml\b/i.test(server.trim()) || !/-admin@/i.test(from)) return null;
  let text = textHead(view.reportText, 20_000);
  const cut = text.search(/Original mail as follows:/i);
  if (cut >= 0) text = text.slice(0, cut);
  const recipients = [];
  const seen = new Set<string>();
  // the notice's own sender (<list>-admin@) signs it; it is never the list that refused the post
  const self = normalizeAddress(from);
  const paragraphs = text.split(/\n[ \t]*\n/);
  for (const p of paragraphs) {
    // the "guide" paragraph names the list's command address (<list>-ctl@) to write to
    if (HELP.test(p)) continue;
    // the sentence naming the list: "... mailing list <ml@example.org>." / "in <ml@example.org>";
    // each line may name one (Sisimai's FML module reads every "<address>." line end)
    const diag = oneLine(p);
    for (const line of p.split('\n')) {
      const m = firstBracketedAddress(line, true);
      if (!m) continue;
      const addr = normalizeAddress(m);
      if (!addr || addr === self || seen.has(addr) || recipients.length >= 100) continue;
      seen.add(addr);
      recipients.push(newRecipient(addr, { action: 'failed', diagnosticCode: diag }));
    }
  }
  if (!recipients.length) return null;
  return { kind: 'bounce', recipients };
}

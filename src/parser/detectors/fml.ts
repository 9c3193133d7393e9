// fml (fml.org mailing list manager) rejection notices: the list refuses a post (sender not a
// member, loop, spam) and tells the sender from `<list>-admin@`. Not an NDR of a mailbox: the
// "recipient" is the list address the post was refused by, named in angle brackets in the
// notice ("You are not a member of this mailing list <neko-nyaan@example.org>."). The notice
// text is the diagnostic; the returned post follows "Original mail as follows:".
import { headerValue } from '../mime.js';
import { firstBracketedAddress, normalizeAddress, oneLine } from '../smtp-text.js';
import { newRecipient, type DetectorResult, type MailView } from './types.js';

export function detectFml(view: MailView): DetectorResult | null {
  const server = headerValue(view.headers, 'x-mlserver') ?? '';
  const from = headerValue(view.headers, 'from') ?? '';
  if (!/^fml\b/i.test(server.trim()) || !/-admin@/i.test(from)) return null;
  let text = view.reportText.length > 20_000 ? view.reportText.slice(0, 20_000) : view.reportText;
  const cut = text.search(/Original mail as follows:/i);
  if (cut >= 0) text = text.slice(0, cut);
  const recipients = [];
  const seen = new Set<string>();
  const paragraphs = text.split(/\n[ \t]*\n/);
  for (const p of paragraphs) {
    // the sentence naming the list: "... mailing list <ml@example.org>." / "in <ml@example.org>";
    // each line may name one (Sisimai's FML module reads every "<address>." line end)
    const diag = oneLine(p);
    for (const line of p.split('\n')) {
      const m = firstBracketedAddress(line, true);
      if (!m) continue;
      const addr = normalizeAddress(m);
      if (!addr || seen.has(addr) || recipients.length >= 100) continue;
      seen.add(addr);
      recipients.push(newRecipient(addr, { action: 'failed', diagnosticCode: diag }));
    }
  }
  if (!recipients.length) return null;
  return { kind: 'bounce', recipients };
}

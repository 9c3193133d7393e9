// Detection of one-to-one bounces (src/inbox/detect.ts), pure: the fixtures of Alice's mailbox
// against her sent index, with the shared parser and classifier doing the reading.
import { describe, expect, it } from 'vitest';
import { analyseMessage, decide, dedupeKey, lookupKeys, type Decision } from '../../src/inbox/detect.js';
import type { SentMessage } from '../../src/inbox/types.js';
import { dateOf, inboxFixture, SENT_FILES, sentOf } from '../helpers/inbox-fixtures.js';

const DAY = 24 * 3600_000;
const SENT = SENT_FILES.map(sentOf);

/** What the watcher does: look up the keys in the sent index, then decide. */
function run(raw: Buffer, sent: SentMessage[] = SENT, windowMs = 3 * DAY, receivedAt = dateOf(raw).getTime()): Decision {
  const a = analyseMessage(raw);
  const keys = lookupKeys(a);
  const ids = new Set(keys.messageIds.map((i) => i.toLowerCase()));
  const matches = sent.filter((s) => ids.has(s.messageId.toLowerCase()) || s.recipients.some((r) => keys.recipients.includes(r)));
  return decide(a, matches, { receivedAt, windowMs });
}

const brief = (d: Decision) => d.found.map((f) => ({ method: f.method, sent: f.sentMessageId, recipient: f.recipient, reason: f.verdict.reason, type: f.verdict.type }));

describe('inbox bounce detection', () => {
  it('a Postfix DSN whose returned headers carry a sent Message-ID: dsn_message_id', () => {
    const d = run(inboxFixture('dsn-postfix.eml'));
    expect(brief(d)).toEqual([{ method: 'dsn_message_id', sent: 'quote-q3.7f2a@sales.test', recipient: 'bob@customer.test', reason: 'userunknown', type: 'hard' }]);
  });

  it('an Exchange NDR (status part, returned headers and thread references): the returned headers win', () => {
    const d = run(inboxFixture('ndr-exchange.eml'));
    expect(brief(d)).toEqual([{ method: 'dsn_message_id', sent: 'intro.44d1@sales.test', recipient: 'erin@exchange-corp.test', reason: 'userunknown', type: 'hard' }]);
  });

  it('an NDR that only answers in the thread (In-Reply-To) of a sent message: reply_reference, the Bcc recipient', () => {
    const d = run(inboxFixture('ndr-reply-no-original.eml'));
    expect(brief(d)).toEqual([{ method: 'reply_reference', sent: 'intro.44d1@sales.test', recipient: 'frank@partner.test', reason: 'userunknown', type: 'hard' }]);
  });

  it('a gateway notice with no reference, naming a recipient written to 5 minutes before and quoting the subject', () => {
    const d = run(inboxFixture('notice-gateway.eml'));
    expect(brief(d)).toEqual([{ method: 'gateway_notice', sent: 'followup.91c3@sales.test', recipient: 'dave@secure-corp.test', reason: 'userunknown', type: 'hard' }]);
    expect(d.found[0].subjectMatched).toBe(true);
  });

  it('a gateway notice about someone last written to two weeks ago: outside the window, not counted', () => {
    expect(run(inboxFixture('notice-gateway-stale.eml'))).toEqual({ found: [], skip: 'outside_window' });
    // the same notice with a 30-day window is counted (the window is the only reason)
    expect(brief(run(inboxFixture('notice-gateway-stale.eml'), SENT, 30 * DAY))).toEqual([
      { method: 'gateway_notice', sent: 'old-proposal.0d19@sales.test', recipient: 'ivan@secure-corp.test', reason: 'userunknown', type: 'hard' },
    ]);
  });

  it('the auto-reply, the human reply and the newsletter are never counted', () => {
    expect(run(inboxFixture('auto-reply.eml'))).toEqual({ found: [], skip: 'auto_reply' });
    expect(run(inboxFixture('reply-human.eml'))).toEqual({ found: [], skip: 'not_a_bounce' });
    // it names dave, who was written to an hour before: ordinary mail is still not a bounce
    expect(run(inboxFixture('newsletter.eml'))).toEqual({ found: [], skip: 'not_a_bounce' });
  });

  it('a DSN about a message not in the sent index is not guessed by address', () => {
    // bob was written to (another message, same day), but the DSN names the quote's Message-ID
    const other: SentMessage = { messageId: 'other@sales.test', recipients: ['bob@customer.test'], subject: 'Other', sentAt: Date.parse('2026-11-16T08:00:00Z') };
    expect(run(inboxFixture('dsn-postfix.eml'), [other])).toEqual({ found: [], skip: 'unmatched' });
  });

  it('gateway notices: the quoted subject picks among several messages, else the latest; a foreign subject is not counted', () => {
    const notice = inboxFixture('notice-gateway.eml');
    const at = (iso: string) => Date.parse(iso);
    const followup = sentOf('sent-followup.eml');
    const later: SentMessage = { messageId: 'later@sales.test', recipients: ['dave@secure-corp.test'], subject: 'Contract draft', sentAt: at('2026-11-16T10:03:00Z') };
    // the later message was sent closer to the notice, but the notice quotes the follow-up's subject
    let d = run(notice, [followup, later]);
    expect(d.found.map((f) => [f.sentMessageId, f.subjectMatched])).toEqual([['followup.91c3@sales.test', true]]);
    // a notice that quotes no subject goes to the latest message to that recipient
    const unquoted = Buffer.from(notice.toString('latin1').replace(/^Subject: Following up on our call$/m, ''), 'latin1');
    d = run(unquoted, [followup, later]);
    expect(d.found.map((f) => [f.sentMessageId, f.subjectMatched])).toEqual([['later@sales.test', false]]);
    // a notice quoting a subject none of them had is about another message
    expect(run(notice, [later])).toEqual({ found: [], skip: 'subject_mismatch' });
  });

  it('a notice received before the message was sent (beyond clock skew) is not about it', () => {
    const notice = inboxFixture('notice-gateway.eml');
    const early = dateOf(notice).getTime() - 2 * 3600_000;
    expect(run(notice, SENT, 3 * DAY, early).found).toEqual([]);
  });

  it('dedupe keys: the bounce Message-ID with the recipient; the bytes when there is no Message-ID', () => {
    const raw = inboxFixture('dsn-postfix.eml');
    expect(dedupeKey('A@b', raw, 'x@y')).toBe(dedupeKey('a@B', Buffer.from('other bytes'), 'X@y'));
    expect(dedupeKey('a@b', raw, 'x@y')).not.toBe(dedupeKey('a@b', raw, 'z@y'));
    expect(dedupeKey(null, raw, 'x@y')).toBe(dedupeKey(null, Buffer.from(raw), 'x@y'));
    expect(dedupeKey(null, raw, 'x@y')).not.toBe(dedupeKey(null, Buffer.concat([raw, Buffer.from('\n')]), 'x@y'));
  });

  it('linear: a notice naming many addresses with a long References header takes about twice as long at twice the size', () => {
    const notice = (n: number) => {
      const refs = Array.from({ length: n }, (_, i) => `<ref-${i}@x.test>`).join(' ');
      const lines = Array.from({ length: n }, (_, i) => `  user${i}@secure-corp.test: 550 5.1.1 mailbox unavailable (Subject: Following up)`).join('\n');
      return Buffer.from(`From: postmaster@gw.test\nTo: alice@sales.test\nSubject: Message could not be delivered\nReferences: ${refs}\n\nYour message could not be delivered:\n${lines}\n`);
    };
    // the fastest of 7 runs, each the CPU time of this process (not the wall clock: the machine
    // is shared, and a run preempted by other processes would count their time); the two sizes
    // alternate so that both meet the same conditions
    const once = (raw: Buffer) => {
      const t = process.cpuUsage();
      decide(analyseMessage(raw), SENT, { receivedAt: Date.parse('2026-11-16T12:00:00Z'), windowMs: DAY });
      const d = process.cpuUsage(t);
      return (d.user + d.system) / 1000;
    };
    const ratio = (small: Buffer, big: Buffer) => {
      once(small); // warm-up
      let s = Infinity;
      let b = Infinity;
      for (let k = 0; k < 7; k++) {
        s = Math.min(s, once(small));
        b = Math.min(b, once(big));
      }
      return b / s;
    };
    // below the parser's own cap on recipients per report, so that all of them are read
    const small = notice(500);
    const big = notice(1000);
    // a shared machine is noisy (this failed once at x2.71 under a full parallel run, stop 28):
    // a ratio over the limit is measured once more and the better taken, as test/parser/
    // linear.test.ts does; a super-linear path fails both times
    let r = ratio(small, big);
    if (r >= 2.5) r = Math.min(r, ratio(small, big));
    expect(r).toBeLessThan(2.5);
  });

  it('bytes that are not mail are skipped as unparseable, never thrown', () => {
    const now = Date.parse('2026-11-16T12:00:00Z');
    expect(run(Buffer.alloc(0), SENT, DAY, now)).toEqual({ found: [], skip: 'unparseable' });
    expect(run(Buffer.from('\x00\x01\x02 not a message'), SENT, DAY, now).found).toEqual([]);
  });
});

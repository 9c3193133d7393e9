import { createHash } from 'node:crypto';
import { classifyRecipient } from '../classifier/index.js';
import type { DeliveryState } from '../domain/index.js';
import type { LogEvent } from '../logtail/parse.js';
import { newRecipient } from '../parser/detectors/types.js';
import { findReplyCode, findStatusCode } from '../parser/smtp-text.js';
import type { PolicyTx } from '../policy/apply.js';
import type { ParsedReport } from '../report.js';
import type { Evidence } from '../store/contract.js';
import type { VerpCodec } from '../verp/index.js';
import { canonicalAddress } from '../address.js';

// From a Postfix log event to delivery evidence: the log's `status=` lines are the same
// facts a DSN reports, often earlier (a synchronous 550 never produces a DSN to us) and
// always for every attempt. Correlation is by queue id: qmgr's `from=<...>` line names the
// envelope sender, which is the signed VERP return path (account, message, recipient).
// Runs inside the caller's transaction (with the tail checkpoint); the evidence goes through
// the same policy step as a DSN's (src/policy/apply.ts recordEvidence).

export type LogOutcome =
  /** Evidence recorded (or a correlation fact kept). */
  | 'matched'
  /** Evidence already recorded (a line read twice). */
  | 'duplicate'
  /** A status line whose queue id has no known sender (its from= line came before we started). */
  | 'unmatched'
  /** Not ours: a sender that is no signed VERP address, or a token for another recipient. */
  | 'foreign'
  /** A Postfix line with nothing to track. */
  | 'ignored';

const STATE_OF_STATUS = (status: string, dsn: string | null): DeliveryState => {
  switch (status) {
    case 'sent':
      return 'delivered';
    case 'deferred':
      return 'pending';
    case 'expired':
      return 'soft';
    default:
      // `bounced` is final; with a 4.x.x code it is a temporary failure made final.
      return dsn?.startsWith('4') ? 'soft' : 'hard';
  }
};

/** The reason for a log line, by the same rules as a DSN's diagnostic. */
function classifyLine(to: string, state: DeliveryState, dsn: string | null, text: string | null) {
  if (state === 'delivered') return { reason: 'delivered', category: 'none' };
  const r = newRecipient(to, {
    action: state === 'pending' ? 'delayed' : 'failed',
    status: dsn,
    diagnosticCode: text,
    replyCode: findReplyCode(text),
  });
  if (!r.status) r.status = findStatusCode(text);
  const report: ParsedReport = {
    kind: state === 'pending' ? 'delay' : 'bounce',
    detector: 'postfix-log',
    messageId: null,
    subject: null,
    from: null,
    date: null,
    reportingMta: null,
    arrivalDate: null,
    recipients: [r],
    original: null,
    feedback: null,
    autoReply: null,
    warnings: [],
  };
  const v = classifyRecipient(report, r);
  return { reason: v.reason as string, category: v.category as string };
}

export function lineKey(line: string): string {
  return 'log:' + createHash('sha1').update(line).digest('base64url');
}

export async function applyLogEvent(event: LogEvent, line: string, deps: { policy: PolicyTx; verp: VerpCodec }): Promise<LogOutcome> {
  const { policy, verp } = deps;
  const tail = policy.tx.tail;
  switch (event.type) {
    case 'from':
      await tail.rememberSender(event.qid, event.from, event.time);
      return 'matched';
    case 'message-id':
      await tail.rememberMessageId(event.qid, event.messageId, event.time);
      return 'matched';
    case 'ndr':
    case 'removed':
      return 'matched';
    case 'other':
      return 'ignored';
    case 'delivery':
      break;
  }

  const key = lineKey(line);
  const state = STATE_OF_STATUS(event.status, event.dsn);

  // A whole-message `status=expired`: every recipient still pending in that queue file.
  if (event.to === null) {
    if (event.status !== 'expired') return 'ignored';
    const pending = await policy.tx.deliveries.pendingByQid(event.qid);
    if (!pending.length) return 'unmatched';
    let any = false;
    for (const d of pending) {
      const ev: Evidence = {
        accountId: d.accountId,
        messageId: d.messageId,
        recipient: d.recipient,
        at: event.time,
        source: 'log',
        state: 'soft',
        status: d.status,
        reason: 'expired',
        category: 'temporary',
        diagnostic: event.text,
        qid: event.qid,
        dedupKey: `${key}:${d.id}`,
        countsAsSend: false,
      };
      if (await policy.recordEvidence(ev, null)) any = true;
    }
    return any ? 'matched' : 'duplicate';
  }

  const queued = await tail.lookupQueue(event.qid);
  const sender = event.from ?? queued?.sender;
  if (!sender) return 'unmatched';
  const token = verp.decode(sender);
  if (!token.ok) return 'foreign';
  // As for DSNs: the token must be for this very recipient (or the address it was sent to).
  const want = canonicalAddress(token.fields.recipient);
  if ((event.to === null || canonicalAddress(event.to) !== want) && (event.origTo === null || canonicalAddress(event.origTo) !== want)) return 'foreign';

  const { reason, category } = classifyLine(event.to, state, event.dsn, event.text);
  const ev: Evidence = {
    accountId: token.fields.account,
    messageId: token.fields.message,
    recipient: want,
    at: event.time,
    source: 'log',
    state,
    status: event.dsn,
    reason: event.status === 'expired' ? 'expired' : reason,
    category,
    diagnostic: event.text,
    qid: event.qid,
    dedupKey: key,
    // Every attempt line proves the mail was sent; the first one per delivery counts.
    countsAsSend: true,
  };
  return (await policy.recordEvidence(ev, null)) ? 'matched' : 'duplicate';
}

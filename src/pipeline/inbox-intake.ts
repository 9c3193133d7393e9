// A bounce found in a connected inbox (src/inbox/, issue #17) enters the store as any other
// report does: the message is stored (source `imap`) and settled through the settle step's
// writeOutcome, with the policy, in ONE transaction, on disk before the watcher moves it or
// checkpoints past it (see takeFoundBounce). The watcher has already parsed and classified it with the shared
// parser and classifier (src/inbox/detect.ts), and tied it to a sent message: the record is
// the account's (the inbox is the account's), on the one-to-one channel (the `o2o:` message
// reference, domain/accounts.ts parseMessageRef), so it never suppresses marketing mail and
// never counts in the marketing rates.
//
// Idempotent twice over: a bounce is recorded once per (inbox, dedupe key) (the key survives
// a UIDVALIDITY change: the bounce's Message-ID or its bytes' hash, with the recipient), and
// an inbox message is stored once per (inbox, folder, UIDVALIDITY, UID) however many
// recipients it reports (the further ones are written on the same message row).
import { canonicalAddress } from '../address.js';
import { stateOfVerdict } from '../domain/index.js';
import type { FoundBounce } from '../inbox/types.js';
import type { PolicyRules } from '../policy/apply.js';
import type { BounceInput, Evidence, Store } from '../store/contract.js';
import { cutFields, DEFAULT_OUTPUT_LIMITS, MAX_MESSAGE_ID_CHARS } from './bounds.js';
import { verdictFields } from './decide.js';
import { settlementOf, type MessageOutcome } from './outcome.js';
import { writeOutcome } from './settle.js';

/** The inbox a bounce was found in, as the intake needs it. */
export interface IntakeInbox {
  id: string;
  accountId: string;
  /** The mailbox's login: the message's envelope recipient (where the bounce was delivered). */
  user: string;
}

/** What the intake did with one found bounce. */
export type IntakeResult = { recorded: true; messageRow: number; bounceId: number } | { recorded: false; reason: 'duplicate' };

const TEXT_FIELDS = ['diagnostic', 'recipient', 'reportedRecipient', 'action', 'status', 'remoteMta', 'reportingMta', 'originalMessageId', 'feedbackType', 'messageId'] as const;

/**
 * The message reference of a one-to-one delivery: `o2o:` + the sent Message-ID. A `/` in a
 * Message-ID (RFC 5322 allows it) would read as a campaign separator: it is escaped.
 */
export function oneToOneRef(sentMessageId: string): string {
  return `o2o:${sentMessageId.replaceAll('%', '%25').replaceAll('/', '%2F')}`;
}

/** The record and the delivery evidence of one found bounce. PURE. */
export function inboxOutcome(inbox: IntakeInbox, b: FoundBounce, now: number): Extract<MessageOutcome, { state: 'processed' }> {
  const v = b.verdict;
  const recipient = canonicalAddress(b.recipient);
  const messageId = oneToOneRef(b.sentMessageId);
  const record: BounceInput = {
    createdAt: now,
    accountId: inbox.accountId,
    messageId,
    recipient,
    reportedRecipient: v.recipient === null ? null : canonicalAddress(v.recipient),
    ...verdictFields(v),
    // Attributed by the account's own mailbox and sent index, not by a signed VERP token:
    // the account is known (it registered the inbox), so the record is its own.
    verified: true,
    warning: null,
  };
  record.warning = cutFields(record, TEXT_FIELDS, DEFAULT_OUTPUT_LIMITS.maxTextChars);
  const state = stateOfVerdict(v.reason, v.type);
  const evidence: Array<Evidence & { bounceIndex: number | null }> = state
    ? [
        {
          accountId: inbox.accountId,
          messageId: record.messageId!,
          recipient,
          at: b.receivedAt,
          source: 'dsn',
          state,
          status: record.status,
          reason: v.reason,
          category: v.category,
          diagnostic: record.diagnostic,
          qid: null,
          dedupKey: `imap:${inbox.id}:${b.dedupeKey}`,
          countsAsSend: false,
          bounceIndex: 0,
        },
      ]
    : [];
  const reportMessageId = b.bounceMessageId && b.bounceMessageId.length <= MAX_MESSAGE_ID_CHARS ? b.bounceMessageId : null;
  return { state: 'processed', kind: v.kind, detector: v.detector, reportMessageId, duplicateKey: null, bounces: [record], evidence, warning: record.warning };
}

/**
 * Stores and settles one found bounce in one transaction (the watcher moves the message, or
 * checkpoints past it, only after this resolved). A bounce already recorded (the same dedupe
 * key) writes nothing.
 *
 * `durable`: the commit waits for the disk. Needed when the message is then moved out of the
 * folder (`moveTo`): a power cut must not lose a record whose message is gone from INBOX.
 * Without a move the record only has to be on disk before the checkpoint passes its UID, and
 * the checkpoint is a durable commit of the same database after it (SQLite's WAL and
 * PostgreSQL's log keep commits in order): one disk sync per batch instead of one per bounce,
 * on the thread that also serves SMTP and the API.
 */
export async function takeFoundBounce(store: Store, rules: PolicyRules, inbox: IntakeInbox, b: FoundBounce, raw: Buffer, now: number, opts: { durable?: boolean } = {}): Promise<IntakeResult> {
  const outcome = inboxOutcome(inbox, b, now);
  return rules.transaction(store, now, async (p): Promise<IntakeResult> => {
    const tx = p.tx;
    if (await tx.inboxes.hasBounce(inbox.id, b.dedupeKey)) return { recorded: false, reason: 'duplicate' };
    let row = await tx.inboxes.messageOf(inbox.id, b.folder, b.uidValidity, b.uid);
    if (row === null) {
      [row] = await tx.messages.insert([{ receivedAt: b.receivedAt, source: 'imap', mailFrom: '', rcptTo: [inbox.user], remoteIp: null, helo: null, raw }]);
      await tx.messages.settle(row!, settlementOf(outcome), now);
    }
    const [bounceId] = await writeOutcome(p, row!, outcome);
    await tx.inboxes.recordBounce(
      { inboxId: inbox.id, dedupeKey: b.dedupeKey, folder: b.folder, uidValidity: b.uidValidity, uid: b.uid, method: b.method, sentMessageId: b.sentMessageId, recipient: b.recipient, messageRow: row!, bounceId: bounceId!, receivedAt: b.receivedAt },
      now,
    );
    return { recorded: true, messageRow: row!, bounceId: bounceId! };
  }, { durable: opts.durable ?? true });
}

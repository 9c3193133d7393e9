// `bounced reclassify` (issue #19): after a classifier change, re-runs the pipeline's own
// parse and classification (decide(), through a ParseRunner: the parse worker with its time
// budget, as for new mail) over the stored raw messages of the selected bounce records, and
// rewrites the records whose classification changed (reason, category, type, hardbounce,
// rule), each change with an audit entry (`bounce.reclassify`, from and to).
//
// What it does not do, on purpose: it writes no evidence, no delivery state, no event, no
// send and no suppression. Those were decided once, when the report arrived, and each is
// counted once (evidence by its dedup key, sends by their delivery, events in the outbox);
// replaying them would count again (a webhook consumer would hear of a bounce twice, the
// rates would have two failures for one delivery). So the rates and events stay as they
// were; the records (the API, the exports, `classify --explain`, the dashboard's trends)
// say what the classifier says now, and the audit trail says what changed. A suppression
// made or missed under the old classification is the operator's call (the audit lists them).
//
// Idempotent: a second run over the same records finds nothing to change. Bounded memory:
// records are read a page at a time by id (the store's cursor), one message at a time.
//
// Skipped (counted): records made from a provider's event (`esp-*`: their body is a
// provider's JSON, not a report; replaying it through src/esp is left for later), messages
// whose bytes retention pruned, messages that no longer parse (or not within the budget),
// and messages whose records no longer line up with what the parser reports now (another
// number of recipients, another recipient at a place): a parser change, not a classifier
// change, which this command does not rewrite.
import type { BounceClassification, BounceRecord, Store } from '../store/contract.js';
import type { ParseRunner } from './parse-host.js';

export const RECLASSIFY_SKIPS = ['esp', 'raw_pruned', 'unparseable', 'shape_changed'] as const;
export type ReclassifySkip = (typeof RECLASSIFY_SKIPS)[number];

export interface ReclassifyFilter {
  accountId?: string;
  /** Records created at or after (ms). */
  since?: number;
  /** ... and before (ms). */
  until?: number;
  /** Only records of this detector (as recorded: `postfix`, `exim`, ...). */
  detector?: string;
}

export interface ReclassifyOptions {
  now: number;
  /** Who the audit entries name. */
  actor: string;
  /** Count what would change; write nothing. */
  dryRun?: boolean;
  /** Records read a page at a time. */
  page?: number;
  /** Told of each change (the CLI's --verbose). */
  onChange?: (c: ReclassifyChange) => void;
}

export interface ReclassifyChange {
  bounceId: number;
  accountId: string | null;
  recipient: string | null;
  from: BounceClassification;
  to: BounceClassification;
}

export interface ReclassifyResult {
  /** Records selected by the filter. */
  records: number;
  /** Messages parsed and classified again. */
  messages: number;
  changed: number;
  unchanged: number;
  skipped: Record<ReclassifySkip, number>;
}

const FIELDS = ['reason', 'category', 'type', 'hardbounce', 'rule'] as const;
const classificationOf = (b: BounceClassification): BounceClassification => ({ reason: b.reason, category: b.category, type: b.type, hardbounce: b.hardbounce, rule: b.rule });
const sameClassification = (a: BounceClassification, b: BounceClassification): boolean => FIELDS.every((f) => a[f] === b[f]);

const selected = (f: ReclassifyFilter, b: BounceRecord): boolean =>
  (f.accountId === undefined || b.accountId === f.accountId) && (f.detector === undefined || b.detector === f.detector);

export async function reclassify(store: Store, parser: ParseRunner, f: ReclassifyFilter, o: ReclassifyOptions): Promise<ReclassifyResult> {
  const result: ReclassifyResult = { records: 0, messages: 0, changed: 0, unchanged: 0, skipped: { esp: 0, raw_pruned: 0, unparseable: 0, shape_changed: 0 } };
  const pageSize = o.page ?? 500;
  let after = 0;
  // A message's records are written together (consecutive ids): the last message seen is
  // enough to take each message once, and a message cut by a page boundary is still whole
  // (read by ofMessage).
  let lastMessage = -1;
  for (;;) {
    const page = await store.bounces.list({ accountId: f.accountId, since: f.since, until: f.until, after, limit: pageSize });
    for (const b of page) {
      if (b.messageRow === lastMessage || !selected(f, b)) continue;
      lastMessage = b.messageRow;
      await reclassifyMessage(store, parser, f, o, b.messageRow, result);
    }
    if (page.length < pageSize) return result;
    after = page[page.length - 1]!.id;
  }
}

async function reclassifyMessage(store: Store, parser: ParseRunner, f: ReclassifyFilter, o: ReclassifyOptions, row: number, result: ReclassifyResult): Promise<void> {
  const records = (await store.bounces.ofMessage(row)).filter((b) => selected(f, b) && (f.since === undefined || b.createdAt >= f.since) && (f.until === undefined || b.createdAt < f.until));
  result.records += records.length;
  const skip = (code: ReclassifySkip) => {
    result.skipped[code] += records.length;
  };
  if (records.some((b) => b.detector.startsWith('esp-'))) return skip('esp');
  const [summary, raw] = await Promise.all([store.messages.get(row), store.messages.raw(row)]);
  if (!summary || !raw) return skip('raw_pruned');
  const parsed = await parser.decide({ ...summary, raw }, o.now);
  result.messages++;
  if (!parsed.ok || parsed.outcome.state !== 'processed') return skip('unparseable');
  // The records of the message in the order decide() makes them, matched by place and recipient.
  const all = await store.bounces.ofMessage(row);
  const fresh = parsed.outcome.bounces;
  if (fresh.length !== all.length || fresh.some((b, i) => (b.reportedRecipient ?? null) !== (all[i]!.reportedRecipient ?? null))) return skip('shape_changed');
  const changes: ReclassifyChange[] = [];
  all.forEach((old, i) => {
    if (!records.some((r) => r.id === old.id)) return;
    const from = classificationOf(old);
    const to = classificationOf(fresh[i]!);
    if (sameClassification(from, to)) result.unchanged++;
    else changes.push({ bounceId: old.id, accountId: old.accountId, recipient: old.recipient, from, to });
  });
  if (changes.length === 0) return;
  if (!o.dryRun) {
    await store.transaction(async (tx) => {
      for (const c of changes) {
        await tx.bounces.reclassify(c.bounceId, c.to);
        await tx.audit.add({ at: o.now, actor: o.actor, accountId: c.accountId, action: 'bounce.reclassify', subject: `bounce:${c.bounceId}`, detail: { from: { ...c.from }, to: { ...c.to } } });
      }
    });
  }
  result.changed += changes.length;
  for (const c of changes) o.onChange?.(c);
}

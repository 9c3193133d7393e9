// The settle step of a sending provider's events (issue #19, src/esp): verified requests,
// each written whole in a durable transaction (several at once share one: EspSettler's group
// commit). The request body is kept as a message (source `esp`, detector
// `esp-<provider>`, the endpoint id in its envelope) so that every record links to a report;
// each event is recorded once by (provider, event id) in esp_events, and a conflict there is a
// duplicate (an SNS or Mailgun retry, a SendGrid replay, another node): nothing else is
// written for it. A new event then takes the path of a DSN's recipient: a bounce record
// (verified: the provider's signature stands for the VERP token), its delivery evidence
// (source `esp`), the lifecycle and the policy (src/policy/apply.ts), the events outbox.
//
//   bounce, delay      -> a bounce record + evidence (hard/soft/pending from the provider's type)
//   complaint          -> a bounce record (kind complaint) -> a contact report when spam feedback
//   delivery           -> evidence only (as a DSN's `delivered` notice: never a bounce record)
//   unsubscribe        -> a contact report and the suppression (as a signed unsubscribe token)
//   send               -> nothing but the send it proves (below)
//
// Sends (the rates' denominator; ESP mail is not in the Postfix log): an event that proves the
// provider sent the message to the recipient counts one send of its account (and of its
// marketing campaign), once per (provider, message, recipient), whichever of those events
// comes first: SES Send / SendGrid processed / Mailgun accepted, or else the delivery, the
// deferral or the bounce (Postmark has no send event; a sender may not subscribe to sends).
// So SendGrid's processed and delivered of one message count one send, not two. A bounce the
// provider made without trying (its own suppression list: SES Suppressed and
// OnAccountSuppressionList, SendGrid dropped, Mailgun suppress-*) proves no send. The once is a
// row of esp_events, kind `send`, event id `sent:<provider's message id>/<recipient>`. An
// account whose provider mail is also counted through POST /v1/accounts/:id/sends counts it
// twice: report those sends one way only.
//
// A request whose every event is a duplicate writes nothing: a retry stores no second copy of
// its body.
import { parseMessageRef, stateOfVerdict, utcDay, type ReportKind } from '../domain/index.js';
import { resolveEspSecrets } from '../config/esp.js';
import type { Config } from '../config/schema.js';
import { httpsCertFetcher, httpsVisitor, type HttpsGetOptions } from '../esp/https-get.js';
import { EspIntake } from '../esp/intake.js';
import { tagVerifier } from '../esp/tag.js';
import type { EspEvidence, Provider } from '../esp/types.js';
import type { VerpCodec } from '../verp/index.js';
import type { PolicyRules, PolicyTx } from '../policy/apply.js';
import type { BounceInput, Store } from '../store/contract.js';

/** One verified request's evidence, as the route hands it over. */
export interface EspRequest {
  provider: Provider;
  endpointId: string;
  body: Buffer;
  remoteIp: string | null;
  receivedAt: number;
  evidence: readonly EspEvidence[];
}

export interface EspSettled {
  /** The message row holding the body; null when no event was new (nothing written). */
  messageRow: number | null;
  /** Events recorded now. */
  recorded: EspEvidence[];
  /** Events recorded before (by this node or another): nothing written for them. */
  duplicates: EspEvidence[];
  /** Sends counted now (see the top of this file). */
  sends: number;
}

/** The report kind a request's message is settled as: the most telling of its recorded events. */
const KIND_ORDER: ReadonlyArray<[EspEvidence['kind'], ReportKind]> = [
  ['bounce', 'bounce'],
  ['complaint', 'complaint'],
  ['delay', 'delay'],
  ['delivery', 'delivered'],
  ['unsubscribe', 'unknown'],
  ['send', 'unknown'],
];

export function reportKindOf(recorded: readonly EspEvidence[]): ReportKind {
  for (const [kind, report] of KIND_ORDER) if (recorded.some((e) => e.kind === kind)) return report;
  return 'unknown';
}

/** The detector of a provider's records (bounces.detector, messages.detector). */
export const espDetector = (provider: Provider): string => `esp-${provider}`;

/** The delivery's message id: the sender's reference (a tag), else the provider's id of the message. */
export function espMessageId(e: EspEvidence): string {
  return e.messageId ?? `${e.provider}:${e.providerMessageId ?? e.eventId}`;
}

/** The bounce record of a bounce, delay or complaint event. */
export function espBounceInput(e: EspEvidence, now: number): BounceInput {
  const kind: ReportKind = e.kind === 'complaint' ? 'complaint' : e.kind === 'delay' ? 'delay' : 'bounce';
  return {
    createdAt: now,
    accountId: e.account,
    messageId: espMessageId(e),
    recipient: e.recipient,
    reportedRecipient: e.recipient,
    kind,
    // RFC 3464 §2.3.3 words, as a DSN would say it.
    action: e.kind === 'delay' ? 'delayed' : e.kind === 'bounce' ? 'failed' : null,
    status: e.status,
    reason: e.reason ?? (e.kind === 'complaint' ? 'feedback' : 'undefined'),
    hardbounce: e.hardbounce,
    category: e.category,
    type: e.type,
    rule: e.rule,
    detector: espDetector(e.provider),
    replyCode: e.replyCode,
    diagnostic: e.diagnostic,
    remoteMta: e.remoteMta,
    reportingMta: e.reportingMta,
    originalMessageId: e.providerMessageId,
    feedbackType: e.feedbackType,
    verified: true,
    warning: null,
  };
}

/** Bounces a provider made without trying to deliver (its own suppression lists): no send. */
const NOT_SENT = [/^Bounce\/Permanent\/(?:Suppressed|OnAccountSuppressionList)$/, /^dropped\//, /^failed\/[^/]*\/suppress-/];

/** Whether the event proves that the provider sent the message to the recipient (see the top of this file). PURE. */
export function provesSend(e: Pick<EspEvidence, 'kind' | 'providerType'>): boolean {
  if (e.kind === 'send' || e.kind === 'delivery' || e.kind === 'delay') return true;
  return e.kind === 'bounce' && !NOT_SENT.some((re) => re.test(e.providerType));
}

/** The esp_events key that counts a message's send to a recipient once (the provider's message id, else the event's). */
export function sendKey(e: Pick<EspEvidence, 'providerMessageId' | 'messageId' | 'eventId' | 'recipient'>): string {
  return `sent:${e.providerMessageId ?? e.messageId ?? e.eventId}/${e.recipient.toLowerCase()}`;
}

/** Counts the send an event proves, once per (provider, message, recipient); true when counted now. */
async function countSend(p: PolicyTx, e: EspEvidence, req: EspRequest, messageRow: number): Promise<boolean> {
  const fresh = await p.tx.espEvents.add({
    provider: e.provider, eventId: sendKey(e), endpointId: e.endpointId, accountId: e.account, kind: 'send',
    recipient: e.recipient, messageId: e.messageId, at: e.at, receivedAt: req.receivedAt, messageRow,
  });
  if (!fresh) return false;
  await p.ensureAccount(e.account, `esp:send`);
  await p.tx.sends.add(e.account, utcDay(e.at), 1);
  const ref = parseMessageRef(espMessageId(e));
  if (ref.channel === 'marketing' && ref.campaign !== null) await p.tx.campaigns.addSends(e.account, ref.campaign, 1, p.now);
  return true;
}

/**
 * Writes one request in the transaction of `p` (see the top of this file). The body's message
 * row is written with the first new event: a request of duplicates only writes nothing.
 */
export async function settleEspRequest(p: PolicyTx, req: EspRequest): Promise<EspSettled> {
  const { tx, now } = p;
  let messageRow: number | null = null;
  const recorded: EspEvidence[] = [];
  const duplicates: EspEvidence[] = [];
  let sends = 0;
  for (const e of req.evidence) {
    if (await tx.espEvents.has(e.provider, e.eventId)) {
      duplicates.push(e);
      continue;
    }
    messageRow ??= (await tx.messages.insert([
      { receivedAt: req.receivedAt, source: 'esp', mailFrom: '', rcptTo: [], remoteIp: req.remoteIp, helo: `esp:${req.endpointId}`, raw: req.body },
    ]))[0]!;
    // Another node may have recorded it since the read: the unique key decides.
    const fresh = await tx.espEvents.add({
      provider: e.provider, eventId: e.eventId, endpointId: e.endpointId, accountId: e.account, kind: e.kind,
      recipient: e.recipient, messageId: e.messageId, at: e.at, receivedAt: req.receivedAt, messageRow,
    });
    if (!fresh) {
      duplicates.push(e);
      continue;
    }
    recorded.push(e);
    await recordEvent(p, e, messageRow);
    if (provesSend(e) && (await countSend(p, e, req, messageRow))) sends++;
  }
  if (messageRow !== null) {
    await tx.messages.settle(messageRow, { state: 'processed', kind: reportKindOf(recorded), detector: espDetector(req.provider), reportMessageId: null }, now);
  }
  return { messageRow, recorded, duplicates, sends };
}

async function recordEvent(p: PolicyTx, e: EspEvidence, messageRow: number): Promise<void> {
  if (e.kind === 'send') return;
  if (e.kind === 'unsubscribe') {
    await p.unsubscribe({ account: e.account, message: espMessageId(e), recipient: e.recipient }, 'esp');
    return;
  }
  let bounceId: number | null = null;
  if (e.kind !== 'delivery') {
    const b = espBounceInput(e, p.now);
    bounceId = await p.tx.bounces.insert(messageRow, b);
    await p.recordWritten(b, bounceId, 'esp');
  }
  if (e.kind === 'complaint') return;
  const state = e.kind === 'delivery' ? 'delivered' : stateOfVerdict(e.reason ?? 'undefined', e.type);
  if (!state) return;
  await p.recordEvidence(
    {
      accountId: e.account,
      messageId: espMessageId(e),
      recipient: e.recipient,
      at: e.at,
      source: 'esp',
      state,
      status: e.status,
      reason: e.reason,
      category: e.category,
      diagnostic: e.diagnostic,
      qid: null,
      dedupKey: `esp:${e.provider}:${e.eventId}`,
      // Counted by countSend, once per provider message and recipient (the top of this file).
      countsAsSend: false,
    },
    bounceId,
  );
}

interface Waiting {
  req: EspRequest;
  now: number;
  resolve: (s: EspSettled) => void;
  reject: (err: unknown) => void;
}

/**
 * Settles accepted requests durably (the provider is told 200 only after the commit), with
 * group commit: requests that arrive while a transaction commits wait for it and go together
 * into the next one (at most `maxBatch`), so that one fsync serves many (SNS posts one event a
 * request, several at once). A batch that fails is retried one request at a time, so that a
 * request that cannot be written fails alone and the others are recorded.
 *
 * Each batch is taken only after turns of the event loop (setImmediate, after the poll phase;
 * see gather()): a SQLite transaction never gives the loop a turn (its awaits are microtasks,
 * its commit a synchronous fsync), so without them the requests in flight never met in one
 * queue and every request committed alone: one fsync per event, ~100-350 events/s whatever the
 * concurrency (issue #19, found with `node --cpu-prof bench/esp-record.mjs`: one transaction
 * per request, the commit the largest self time). The wait costs loop turns, not a timer.
 */
export class EspSettler {
  private readonly queue: Waiting[] = [];
  private running = false;

  constructor(
    private readonly store: Store,
    private readonly rules: PolicyRules,
    private readonly maxBatch = 64,
  ) {}

  /** Transactions committed (batches, and the retries of a failed batch one by one). */
  commits = 0;

  settle(req: EspRequest, now: number): Promise<EspSettled> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, now, resolve, reject });
      if (!this.running) {
        this.running = true;
        void this.drain();
      }
    });
  }

  /**
   * Lets the requests already readable join the batch (see above): turns of the event loop
   * while the queue still grows (a request's body, its verification and the route's hooks take
   * a turn or two after its first bytes), at most `GATHER_TURNS` of them, none once the batch
   * is full. A lone request waits two turns: microseconds on an idle loop.
   */
  private async gather(): Promise<void> {
    let seen = -1;
    for (let turn = 0; turn < GATHER_TURNS && this.queue.length !== seen && this.queue.length < this.maxBatch; turn++) {
      seen = this.queue.length;
      await nextTurn();
    }
  }

  private async drain(): Promise<void> {
    try {
      await this.gather();
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        const now = Math.max(...batch.map((w) => w.now));
        try {
          const results = await this.rules.transaction(this.store, now, async (p) => {
            const out: EspSettled[] = [];
            for (const w of batch) out.push(await settleEspRequest(p, w.req));
            return out;
          });
          this.commits++;
          batch.forEach((w, i) => w.resolve(results[i]!));
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err);
            continue;
          }
          for (const w of batch) {
            try {
              w.resolve(await this.rules.transaction(this.store, w.now, (p) => settleEspRequest(p, w.req)));
              this.commits++;
            } catch (e) {
              w.reject(e);
            }
          }
        }
        // The requests read while this batch committed join the next one.
        await this.gather();
      }
    } finally {
      this.running = false;
    }
  }
}

const GATHER_TURNS = 8;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The intake of the configured endpoints and the settle step, as the API takes them (main.ts). Throws EspConfigError / ConfigError. */
export function buildEsp(config: Config, verp: VerpCodec, store: Store, rules: PolicyRules, https: HttpsGetOptions = {}): { intake: EspIntake; settler: EspSettler } {
  const e = config.esp;
  const intake = new EspIntake({
    endpoints: resolveEspSecrets(e.endpoints),
    tags: tagVerifier(verp, config.verp.prefix),
    tagName: e.tagName,
    tagHeader: e.tagHeader,
    fetchCert: httpsCertFetcher(https),
    certCache: { maxEntries: e.certCacheEntries, ttlMs: e.certCacheTtlMs },
    visitSubscribeUrl: httpsVisitor(https),
    maxTokens: e.maxTokens,
  });
  return { intake, settler: new EspSettler(store, rules) };
}

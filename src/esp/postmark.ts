// Postmark bounce, spam complaint and delivery webhooks (Postmark developer docs, "Bounce
// webhook", "Spam complaint webhook", "Delivery webhook", "Bounce types"). Postmark signs
// nothing; its documented protection is HTTP basic auth credentials in the webhook URL
// (`https://user:pass@host/...`) and custom headers on the webhook. We require both: the
// basic auth pair, and a per-endpoint secret either as the last path segment of the URL or in
// a header of the endpoint's choosing. All three are compared in constant time, and all three
// always (no early exit that would tell which one was wrong).
//
// | RecordType / Type (TypeCode)         | kind        | type (decided by)                     | reason hint        |
// |--------------------------------------|-------------|---------------------------------------|--------------------|
// | Bounce HardBounce (1)                | bounce      | hard (Postmark: permanent)            | -                  |
// | Bounce SoftBounce (4096)             | bounce      | soft (temporary, final for this mail) | -                  |
// | Bounce Transient (2)                 | delay       | pending (Postmark keeps trying)       | -                  |
// | Bounce DnsError (256)                | bounce      | soft (a temporary DNS failure)        | networkerror       |
// | Bounce SpamNotification (512)        | bounce      | hard (Postmark deactivates it)        | spamdetected       |
// | Bounce BadEmailAddress (100000)      | bounce      | hard (not a valid address)            | userunknown        |
// | Bounce Blocked (100006)              | bounce      | the classifier (an ISP block)         | blocked            |
// | Bounce DMARCPolicy (100009)          | bounce      | the classifier                        | authfailure        |
// | Bounce SpamComplaint (100001), RecordType SpamComplaint | complaint | none; feedback type abuse | -         |
// | Bounce Unsubscribe (16)              | unsubscribe | -                                     | -                  |
// | Delivery                             | delivery    | none                                  | -                  |
// | AutoResponder, AddressChange, Subscribe, OpenRelayTest, Unknown, VirusNotification,
// | ChallengeVerification, ManuallyDeactivated, Unconfirmed, SMTPApiError, InboundError,
// | TemplateRenderingFailed, other RecordTypes (Open, Click, SubscriptionChange) | skipped: unsupported_type |
//
// `Details` is the remote server's text (`smtp;550 5.1.1 ...`), what the classifier reads.
// `Description` is Postmark's fixed sentence for the type ("... (ex: unknown user, mailbox not
// found)" for every hard bounce): never read, it would make every hard bounce look the same.
//
// Event id: the bounce's `ID` (one per bounce or complaint); a delivery has none, and is once
// per (message, recipient): `<MessageID>/delivery/<recipient>`.
import { cut, header, idOf, obj, parseJsonBody, str, timeOf, type Json } from './json.js';
import { secretEquals } from './compare.js';
import type { EventFacts, ReasonHint } from './evidence.js';
import type { EspLimits, EventSkip, RequestRefusal } from './types.js';

export interface PostmarkAuth {
  username: string;
  password: string;
  secret: string;
  /** Header carrying the secret; null: the secret is the URL's last path segment. */
  secretHeader: string | null;
}

/** Basic auth and the endpoint secret; `pathSecret` is the URL's secret segment, if the route has one. */
export function verifyPostmarkAuth(headers: Record<string, string | string[] | undefined>, pathSecret: string | null, auth: PostmarkAuth): { ok: true } | { ok: false; refusal: RequestRefusal } {
  let user = '';
  let pass = '';
  const authorization = header(headers, 'authorization') ?? '';
  const m = /^Basic ([A-Za-z0-9+/=]{1,1024})$/i.exec(authorization.trim());
  if (m) {
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) {
      user = decoded.slice(0, colon);
      pass = decoded.slice(colon + 1);
    }
  }
  const given = (auth.secretHeader ? header(headers, auth.secretHeader) : pathSecret) ?? '';
  // evaluate all three whatever the first said
  const okUser = secretEquals(user, auth.username);
  const okPass = secretEquals(pass, auth.password);
  const okSecret = secretEquals(given.slice(0, 1024), auth.secret);
  if (m && okUser && okPass && okSecret) return { ok: true };
  return { ok: false, refusal: { code: 'auth_failed', detail: !m ? 'no basic auth' : 'wrong credentials or endpoint secret' } };
}

export function parsePostmark(body: Buffer, maxBytes: number): { ok: true; record: Json } | { ok: false; refusal: RequestRefusal } {
  const parsed = parseJsonBody(body, maxBytes, { exactIntegers: true });
  if (!parsed.ok) return { ok: false, refusal: { code: parsed.code, detail: parsed.detail } };
  const record = obj(parsed.value);
  if (!record) return { ok: false, refusal: { code: 'malformed', detail: 'not a JSON object' } };
  return { ok: true, record };
}

const hint = (reason: ReasonHint['reason'], category: ReasonHint['category'], word: string): ReasonHint => ({ reason, category, rule: `esp.postmark.${word}` });

export interface BounceRule {
  kind: EventFacts['kind'];
  type: EventFacts['providerBounceType'];
  hint: ReasonHint | null;
}

export const POSTMARK_BOUNCE_TYPES: Record<string, BounceRule> = {
  HardBounce: { kind: 'bounce', type: 'hard', hint: null },
  SoftBounce: { kind: 'bounce', type: 'soft', hint: null },
  Transient: { kind: 'delay', type: 'pending', hint: null },
  DnsError: { kind: 'bounce', type: 'soft', hint: hint('networkerror', 'temporary', 'DnsError') },
  SpamNotification: { kind: 'bounce', type: 'hard', hint: hint('spamdetected', 'spam', 'SpamNotification') },
  BadEmailAddress: { kind: 'bounce', type: 'hard', hint: hint('userunknown', 'unknown_user', 'BadEmailAddress') },
  Blocked: { kind: 'bounce', type: null, hint: hint('blocked', 'policy', 'Blocked') },
  DMARCPolicy: { kind: 'bounce', type: null, hint: hint('authfailure', 'policy', 'DMARCPolicy') },
  SpamComplaint: { kind: 'complaint', type: null, hint: null },
  Unsubscribe: { kind: 'unsubscribe', type: null, hint: null },
};

export type PostmarkItem = { facts: EventFacts } | { skip: EventSkip };

export function mapPostmarkRecord(r: Json, tagName: string, now: number, limits: EspLimits): PostmarkItem {
  const recordType = str(r['RecordType'], 64);
  const type = str(r['Type'], 64);
  const id = idOf(r['ID'], limits.maxIdChars);
  const messageId = idOf(r['MessageID'], limits.maxIdChars);
  const metadata = obj(r['Metadata']);
  const skip = (code: EventSkip['code'], detail: string, providerType: string | null, eventId: string | null = id): PostmarkItem => ({ skip: { code, eventId, providerType, detail } });
  const text = (v: unknown) => cut(str(v, 64 * 1024), limits.maxDiagnosticChars);
  const base = {
    provider: 'postmark' as const,
    providerMessageId: messageId,
    tag: metadata ? str(metadata[tagName], limits.maxIdChars * 4) : null,
    status: null,
    replyCode: null,
    remoteMta: null,
    reportingMta: null,
    feedbackType: null,
    providerBounceType: null,
    hint: null,
  };
  if (recordType === 'Delivery') {
    const recipient = str(r['Recipient'], limits.maxAddressChars);
    if (!recipient || !messageId) return skip('malformed', 'a delivery without Recipient or MessageID', 'Delivery', null);
    return {
      facts: { ...base, eventId: `${messageId}/delivery/${recipient.toLowerCase()}`, providerType: 'Delivery', kind: 'delivery', recipient, at: timeOf(r['DeliveredAt'], now), diagnostic: text(r['Details']) },
    };
  }
  if (recordType !== 'Bounce' && recordType !== 'SpamComplaint') return skip('unsupported_type', `Postmark record ${recordType ?? '(none)'}`, recordType);
  const providerType = `${recordType}/${type ?? ''}`;
  const rule = recordType === 'SpamComplaint' ? POSTMARK_BOUNCE_TYPES['SpamComplaint']! : type ? POSTMARK_BOUNCE_TYPES[type] : undefined;
  if (!rule) return skip('unsupported_type', `Postmark bounce type ${type ?? '(none)'}`, providerType);
  if (!id) return skip('malformed', 'a bounce without ID', providerType);
  const recipient = str(r['Email'], limits.maxAddressChars);
  if (!recipient) return skip('malformed', 'a bounce without Email', providerType);
  const details = str(r['Details'], 64 * 1024);
  return {
    facts: {
      ...base,
      eventId: id,
      providerType,
      kind: rule.kind,
      recipient,
      at: timeOf(r['BouncedAt'], now),
      diagnostic: rule.kind === 'bounce' || rule.kind === 'delay' ? cut(details, limits.maxDiagnosticChars) : null,
      feedbackType: rule.kind === 'complaint' ? 'abuse' : null,
      providerBounceType: rule.type,
      hint: rule.hint,
    },
  };
}

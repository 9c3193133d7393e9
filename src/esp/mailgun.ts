// Mailgun webhooks (Mailgun docs, "Securing webhooks" and "Webhook payloads"). The JSON body is
// `{"signature": {"timestamp", "token", "signature"}, "event-data": {...}}`; `signature` is the
// hex HMAC-SHA256 of timestamp + token (the two strings concatenated) under the domain's HTTP
// webhook signing key. As Mailgun advises: the digest is compared in constant time, a
// timestamp outside the replay window is refused, and a token is accepted once: the used
// tokens are remembered (bounded) until their timestamp leaves the window, so a captured
// request replayed inside the window is refused as `replayed`. (Legacy form-encoded webhooks
// are not read.)
//
// Tokens are remembered when the request verifies; the route releases the token when it
// cannot process the request (it answers 5xx and Mailgun retries with the same request).
//
// | event-data.event (severity / reason)  | kind        | type (decided by)                    | reason hint            |
// |---------------------------------------|-------------|--------------------------------------|------------------------|
// | failed, severity permanent            | bounce      | hard (Mailgun: permanent)            | suppress-bounce,       |
// |                                       |             |                                      | suppress-unsubscribe,  |
// |                                       |             |                                      | suppress-complaint ->  |
// |                                       |             |                                      | suppressed; espblock ->|
// |                                       |             |                                      | blocked                |
// | failed, permanent, reason "old"       | bounce      | soft: Mailgun gave up after temporary failures (as a DSN with Action failed and 4.x.x) | expired |
// | failed, severity temporary            | delay       | pending (Mailgun retries)            | -                      |
// | failed, no severity                   | bounce      | the classifier (code, status)        | -                      |
// | delivered                             | delivery    | none                                 | -                      |
// | complained                            | complaint   | none; feedback type abuse            | -                      |
// | unsubscribed                          | unsubscribe | -                                    | -                      |
// | accepted                              | send        | none (a send of the rates' denominator) | -                   |
// | opened, clicked, stored, ...          | skipped: unsupported_type                                                   |
//
// delivery-status: `code` is the SMTP reply code (Mailgun's own 6xx codes, e.g. 605 "not
// delivering to a previously bounced address", are not SMTP and are dropped), `message` the
// remote server's text, `description` Mailgun's words (used when there is no message),
// `enhanced-code` the RFC 3463 status when given.
//
// Event id: event-data.id is only unique within a day (Mailgun), so the id is
// `<event-data.id>@<event-data.timestamp>`: the same on every retry of one event, distinct
// across days.
import { createHmac } from 'node:crypto';
import { BoundedCache } from './bounded-cache.js';
import { hexDigestEquals } from './compare.js';
import { cut, idOf, obj, parseJsonBody, str, timeOf, type Json } from './json.js';
import type { EventFacts, ReasonHint } from './evidence.js';
import type { EspLimits, EventSkip, RequestRefusal } from './types.js';

/** Mailgun's tokens seen within the replay window (per signing key). */
export class TokenMemory {
  private readonly seen: BoundedCache<true>;

  /** Default 200,000 tokens (a few MB): a flood needs the signing key to get in at all. */
  constructor(maxEntries = 200_000) {
    this.seen = new BoundedCache(maxEntries);
  }

  /** False when the token was already used and is still remembered; else remembers it until `expiresAt`. */
  claim(token: string, expiresAt: number, now: number): boolean {
    if (this.seen.has(token, now)) return false;
    this.seen.set(token, true, expiresAt);
    return true;
  }

  /** Forgets a token (its request was not processed: the provider's retry must pass). */
  release(token: string): void {
    this.seen.delete(token);
  }

  get size(): number {
    return this.seen.size;
  }
}

export type MailgunVerified = { ok: true; token: string; eventData: Json } | { ok: false; refusal: RequestRefusal };

export function verifyMailgun(body: Buffer, signingKey: string, replayWindowSeconds: number, tokens: TokenMemory, now: number, maxBytes: number): MailgunVerified {
  const refuse = (code: RequestRefusal['code'], detail: string): MailgunVerified => ({ ok: false, refusal: { code, detail } });
  const parsed = parseJsonBody(body, maxBytes);
  if (!parsed.ok) return refuse(parsed.code, parsed.detail);
  const v = obj(parsed.value);
  const sig = obj(v?.['signature']);
  if (!v || !sig) return refuse('signature_invalid', 'no signature object');
  const timestamp = sig['timestamp'];
  const token = sig['token'];
  const signature = sig['signature'];
  if (typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return refuse('signature_invalid', 'the timestamp is not Unix seconds');
  if (typeof token !== 'string' || token.length < 16 || token.length > 256) return refuse('signature_invalid', 'no usable token');
  if (typeof signature !== 'string') return refuse('signature_invalid', 'no signature');
  const expected = createHmac('sha256', signingKey).update(timestamp).update(token).digest();
  if (!hexDigestEquals(signature, expected)) return refuse('signature_invalid', 'the HMAC does not verify');
  const age = now / 1000 - Number(timestamp);
  if (Math.abs(age) > replayWindowSeconds) return refuse('timestamp_out_of_window', `signed ${Math.round(age)} s ago`);
  if (!tokens.claim(token, (Number(timestamp) + replayWindowSeconds) * 1000 + 1, now)) return refuse('replayed', 'this token was already used');
  const eventData = obj(v['event-data']);
  if (!eventData) {
    tokens.release(token);
    return refuse('malformed', 'no event-data');
  }
  return { ok: true, token, eventData };
}

const hint = (reason: ReasonHint['reason'], category: ReasonHint['category'], word: string): ReasonHint => ({ reason, category, rule: `esp.mailgun.${word}` });

/** event-data.reason of a failure (Mailgun's documented values that name a cause). */
export const MAILGUN_FAILURE_HINTS: Record<string, ReasonHint> = {
  'suppress-bounce': hint('suppressed', 'other', 'suppress-bounce'),
  'suppress-unsubscribe': hint('suppressed', 'other', 'suppress-unsubscribe'),
  'suppress-complaint': hint('suppressed', 'other', 'suppress-complaint'),
  espblock: hint('blocked', 'policy', 'espblock'),
  old: hint('expired', 'temporary', 'old'),
};

export type MailgunItem = { facts: EventFacts } | { skip: EventSkip };

export function mapMailgunEvent(ed: Json, tagName: string, now: number, limits: EspLimits): MailgunItem {
  const event = str(ed['event'], 64);
  const rawId = idOf(ed['id'], limits.maxIdChars);
  const stamp = typeof ed['timestamp'] === 'number' || typeof ed['timestamp'] === 'string' ? String(ed['timestamp']).slice(0, 32) : '';
  const eventId = rawId ? `${rawId}@${stamp}` : null;
  const skip = (code: EventSkip['code'], detail: string, providerType = event): MailgunItem => ({ skip: { code, eventId, providerType, detail } });
  if (!eventId) return skip('malformed', 'an event without id');
  const recipient = str(ed['recipient'], limits.maxAddressChars);
  if (!recipient && event && ['failed', 'delivered', 'complained', 'unsubscribed', 'accepted'].includes(event)) return skip('malformed', 'an event without recipient');
  const message = obj(ed['message']);
  const headers = obj(message?.['headers']);
  const messageId = str(headers?.['message-id'], limits.maxIdChars);
  const vars = obj(ed['user-variables']);
  const ds = obj(ed['delivery-status']) ?? {};
  const code = typeof ds['code'] === 'number' && ds['code'] >= 200 && ds['code'] <= 599 ? ds['code'] : null;
  const text = cut(str(ds['message'], 64 * 1024) ?? str(ds['description'], 64 * 1024), limits.maxDiagnosticChars);
  const base: EventFacts = {
    provider: 'mailgun',
    eventId,
    providerType: event ?? '',
    kind: 'bounce',
    recipient: recipient ?? '',
    at: timeOf(ed['timestamp'], now),
    providerMessageId: messageId ? messageId.replace(/^<|>$/g, '') : null,
    tag: vars ? str(vars[tagName], limits.maxIdChars * 4) : null,
    status: str(ds['enhanced-code'], 32),
    diagnostic: text,
    replyCode: code,
    remoteMta: str(ds['mx-host'], 255),
    reportingMta: null,
    feedbackType: null,
    providerBounceType: null,
    hint: null,
  };
  switch (event) {
    case 'failed': {
      const severity = str(ed['severity'], 32);
      const reason = str(ed['reason'], 64);
      const providerType = `failed/${severity ?? ''}/${reason ?? ''}`;
      if (severity === 'temporary') return { facts: { ...base, kind: 'delay', providerType, providerBounceType: 'pending' } };
      const providerBounceType = severity === 'permanent' ? (reason === 'old' ? 'soft' : 'hard') : null;
      return { facts: { ...base, providerType, providerBounceType, hint: reason ? (MAILGUN_FAILURE_HINTS[reason] ?? null) : null } };
    }
    case 'delivered':
      return { facts: { ...base, kind: 'delivery', providerType: 'delivered', status: null } };
    case 'complained':
      return { facts: { ...base, kind: 'complaint', providerType: 'complained', status: null, diagnostic: null, replyCode: null, feedbackType: 'abuse' } };
    case 'unsubscribed':
      return { facts: { ...base, kind: 'unsubscribe', providerType: 'unsubscribed' } };
    case 'accepted':
      return { facts: { ...base, kind: 'send', providerType: 'accepted', status: null, diagnostic: null, replyCode: null, remoteMta: null } };
    default:
      return skip('unsupported_type', event ? `Mailgun event ${event}` : 'no event field');
  }
}


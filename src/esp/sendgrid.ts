// Twilio SendGrid Event Webhook with "Signed Event Webhook Requests" (SendGrid docs, "Getting
// Started with the Event Webhook Security Features" and the Event Webhook reference).
//
// Verification: SendGrid signs each POST with its ECDSA P-256 key; the signature (base64 of
// the DER-encoded ECDSA signature, SHA-256) is in X-Twilio-Email-Event-Webhook-Signature and
// covers the bytes of X-Twilio-Email-Event-Webhook-Timestamp (Unix seconds) followed by the
// raw body, exactly as received (parsing and re-serialising the JSON would break it). The
// verification key shown in the SendGrid console is base64 DER (SubjectPublicKeyInfo); a PEM
// is accepted too. A timestamp older (or further ahead) than the replay window is refused;
// within it a replayed POST verifies again and is made harmless by idempotency on sg_event_id.
//
// The body is a JSON array of events, each for one recipient:
//
// | event (type / reason)            | kind        | type (decided by)                   | reason hint (bounce_classification) |
// |----------------------------------|-------------|-------------------------------------|-------------------------------------|
// | bounce, type "bounce" (or none)  | bounce      | hard (SendGrid: permanent)          | Invalid Address -> userunknown,     |
// | bounce, type "blocked"           | bounce      | soft (a block: this message only)   |  Content -> contenterror, Reputation |
// |                                  |             |                                     |  -> badreputation, Frequency or     |
// |                                  |             |                                     |  Volume -> ratelimited              |
// | dropped (reason)                 | bounce      | hard (SendGrid never tried)         | "Bounced/Unsubscribed/Spam Reporting |
// |                                  |             |                                     |  Address" -> suppressed, "Spam      |
// |                                  |             |                                     |  Content" -> spamdetected           |
// | deferred (response, attempt)     | delay       | pending (SendGrid retries)          | -                                   |
// | delivered (response)             | delivery    | none                                | -                                   |
// | spamreport                       | complaint   | none; feedback type abuse           | -                                   |
// | unsubscribe, group_unsubscribe   | unsubscribe | -                                   | -                                   |
// | processed                        | send        | none (a send of the rates' denominator) | -                               |
// | open, click, group_resubscribe, anything else | skipped: unsupported_type               |
//
// Event id: sg_event_id (unique per event). Events without one (old accounts' dropped
// events) get `sha256:` of their identifying fields, so a replay still finds the same key.
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { cut, header, idOf, isObject, parseJsonBody, str, timeOf, type Json } from './json.js';
import type { EventFacts, ReasonHint } from './evidence.js';
import { EspConfigError, type EspLimits, type EventSkip, type RequestRefusal } from './types.js';

export const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/** The verification key from configuration: base64 DER (as SendGrid shows it) or PEM; P-256 only. */
export function sendgridPublicKey(configured: string): KeyObject {
  let key: KeyObject;
  try {
    const t = configured.trim();
    key = t.includes('-----BEGIN') ? createPublicKey(t) : createPublicKey({ key: Buffer.from(t, 'base64'), format: 'der', type: 'spki' });
  } catch (err) {
    throw new EspConfigError(`SendGrid verification key: not a public key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new EspConfigError('SendGrid verification key: not an ECDSA P-256 public key');
  }
  return key;
}

export type SendgridVerified = { ok: true; events: unknown[] } | { ok: false; refusal: RequestRefusal };

export function verifySendgrid(
  body: Buffer,
  headers: Record<string, string | string[] | undefined>,
  key: KeyObject,
  replayWindowSeconds: number,
  now: number,
  limits: Pick<EspLimits, 'maxBodyBytes' | 'maxEventsPerRequest'>,
): SendgridVerified {
  const refuse = (code: RequestRefusal['code'], detail: string): SendgridVerified => ({ ok: false, refusal: { code, detail } });
  if (body.length > limits.maxBodyBytes.sendgrid) return refuse('payload_too_large', `${body.length} bytes, at most ${limits.maxBodyBytes.sendgrid}`);
  const signature = header(headers, SIGNATURE_HEADER);
  const timestamp = header(headers, TIMESTAMP_HEADER);
  if (!signature || !timestamp) return refuse('signature_invalid', 'no signature or timestamp header');
  if (!/^\d{1,12}$/.test(timestamp)) return refuse('signature_invalid', 'the timestamp header is not Unix seconds');
  if (Math.abs(now / 1000 - Number(timestamp)) > replayWindowSeconds) return refuse('timestamp_out_of_window', `signed ${Math.round(now / 1000 - Number(timestamp))} s ago`);
  const sig = signature.length <= 256 ? Buffer.from(signature, 'base64') : Buffer.alloc(0);
  let good: boolean;
  try {
    good = sig.length > 0 && cryptoVerify('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), body]), key, sig);
  } catch {
    good = false;
  }
  if (!good) return refuse('signature_invalid', 'the ECDSA signature does not verify');
  const parsed = parseJsonBody(body, limits.maxBodyBytes.sendgrid);
  if (!parsed.ok) return refuse(parsed.code, parsed.detail);
  if (!Array.isArray(parsed.value)) return refuse('malformed', 'not a JSON array of events');
  if (parsed.value.length > limits.maxEventsPerRequest) return refuse('payload_too_large', `${parsed.value.length} events, at most ${limits.maxEventsPerRequest}`);
  return { ok: true, events: parsed.value };
}

const hint = (reason: ReasonHint['reason'], category: ReasonHint['category'], word: string): ReasonHint => ({ reason, category, rule: `esp.sendgrid.${word}` });

/** bounce_classification (SendGrid's documented values); "Mailbox Unavailable", "Technical" and "Unclassified" name no one cause. */
export const SENDGRID_CLASSIFICATION_HINTS: Record<string, ReasonHint> = {
  'Invalid Address': hint('userunknown', 'unknown_user', 'invalid-address'),
  Content: hint('contenterror', 'content', 'content'),
  Reputation: hint('badreputation', 'policy', 'reputation'),
  'Frequency or Volume': hint('ratelimited', 'policy', 'frequency-or-volume'),
};

/** The reason SendGrid gives for a drop. */
export function sendgridDropHint(reason: string | null): ReasonHint | null {
  if (!reason) return null;
  if (/^(?:bounced|unsubscribed|spam reporting) address/i.test(reason)) return hint('suppressed', 'other', 'dropped-suppressed');
  if (/^spam content/i.test(reason)) return hint('spamdetected', 'spam', 'dropped-spam-content');
  return null;
}

export type SendgridItem = { facts: EventFacts } | { skip: EventSkip };

/** `<sg_message_id>` is `<id>.filter...`: the part before `.filter` is the X-Message-Id SendGrid answered at send time. */
function messageIdOf(e: Json, limits: EspLimits): string | null {
  const id = str(e['sg_message_id'], limits.maxIdChars);
  if (id) return id.replace(/\.filter.*$/i, '');
  const smtp = str(e['smtp-id'], limits.maxIdChars);
  return smtp ? smtp.replace(/^<|>$/g, '') : null;
}

function eventIdOf(e: Json, limits: EspLimits): string {
  const id = idOf(e['sg_event_id'], limits.maxIdChars);
  if (id) return id;
  const h = createHash('sha256');
  for (const k of ['event', 'email', 'timestamp', 'sg_message_id', 'smtp-id', 'reason', 'response', 'status']) h.update(`${k}\0${String(e[k] ?? '').slice(0, 2048)}\0`);
  return `sha256:${h.digest('hex')}`;
}

export function mapSendgridEvent(item: unknown, tagName: string, now: number, limits: EspLimits): SendgridItem {
  if (!isObject(item)) return { skip: { code: 'malformed', eventId: null, providerType: null, detail: 'an event that is no JSON object' } };
  const e = item;
  const event = str(e['event'], 64);
  const eventId = eventIdOf(e, limits);
  const skip = (code: EventSkip['code'], detail: string, providerType = event): SendgridItem => ({ skip: { code, eventId, providerType, detail } });
  const recipient = str(e['email'], limits.maxAddressChars);
  const base = {
    provider: 'sendgrid' as const,
    eventId,
    recipient: recipient ?? '',
    at: timeOf(e['timestamp'], now),
    providerMessageId: messageIdOf(e, limits),
    tag: str(e[tagName], limits.maxIdChars * 4),
    status: null,
    diagnostic: null,
    replyCode: null,
    remoteMta: null,
    reportingMta: null,
    feedbackType: null,
    providerBounceType: null,
    hint: null,
  };
  const facts = (f: Partial<EventFacts> & Pick<EventFacts, 'kind' | 'providerType'>): SendgridItem => (recipient ? { facts: { ...base, ...f } } : skip('malformed', 'an event without email', f.providerType));
  const text = (v: unknown) => cut(str(v, 64 * 1024), limits.maxDiagnosticChars);
  switch (event) {
    case 'bounce': {
      const blocked = str(e['type'], 32) === 'blocked';
      const classification = str(e['bounce_classification'], 64);
      return facts({
        kind: 'bounce',
        providerType: `bounce/${blocked ? 'blocked' : 'bounce'}${classification ? `/${classification}` : ''}`,
        status: str(e['status'], 32),
        diagnostic: text(e['reason']),
        providerBounceType: blocked ? 'soft' : 'hard',
        hint: classification ? (SENDGRID_CLASSIFICATION_HINTS[classification] ?? null) : null,
      });
    }
    case 'dropped': {
      const reason = str(e['reason'], 256);
      return facts({ kind: 'bounce', providerType: `dropped/${reason ?? ''}`, status: str(e['status'], 32), diagnostic: text(e['reason']), providerBounceType: 'hard', hint: sendgridDropHint(reason) });
    }
    case 'deferred':
      return facts({ kind: 'delay', providerType: 'deferred', diagnostic: text(e['response']), providerBounceType: 'pending' });
    case 'delivered':
      return facts({ kind: 'delivery', providerType: 'delivered', diagnostic: text(e['response']) });
    case 'spamreport':
      return facts({ kind: 'complaint', providerType: 'spamreport', feedbackType: 'abuse' });
    case 'unsubscribe':
    case 'group_unsubscribe':
      return facts({ kind: 'unsubscribe', providerType: event });
    case 'processed':
      return facts({ kind: 'send', providerType: 'processed' });
    default:
      return skip('unsupported_type', event ? `SendGrid event ${event}` : 'no event field');
  }
}

export function mapSendgridEvents(events: unknown[], tagName: string, now: number, limits: EspLimits): SendgridItem[] {
  return events.map((e) => mapSendgridEvent(e, tagName, now, limits));
}


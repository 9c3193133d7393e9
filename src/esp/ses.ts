// PURE: Amazon SES notifications (the `Message` of a verified SNS notification) -> EventFacts,
// one per recipient. Both formats are read: identity notifications say `notificationType`,
// configuration-set event publishing says `eventType` (and adds DeliveryDelay, Subscription,
// and the message tags).
//
// | SES event                           | kind        | type (decided by)                         | reason hint                      |
// |-------------------------------------|-------------|-------------------------------------------|----------------------------------|
// | Bounce Permanent / General          | bounce      | hard (SES)                                | -                                |
// | Bounce Permanent / NoEmail          | bounce      | hard (SES)                                | userunknown                      |
// | Bounce Permanent / Suppressed       | bounce      | hard (SES: on its global suppression list)| suppressed                       |
// | Bounce Permanent / OnAccountSuppressionList | bounce | hard (SES: on the account's list)     | suppressed                       |
// | Bounce Transient / General          | bounce      | soft (SES gave up on this message)        | -                                |
// | Bounce Transient / MailboxFull      | bounce      | soft                                      | mailboxfull                      |
// | Bounce Transient / MessageTooLarge  | bounce      | soft                                      | emailtoolarge                    |
// | Bounce Transient / ContentRejected  | bounce      | soft                                      | contenterror                     |
// | Bounce Transient / AttachmentRejected | bounce    | soft                                      | contenterror                     |
// | Bounce Undetermined                 | bounce      | the classifier (status, reply code)       | -                                |
// | Complaint (complaintFeedbackType)   | complaint   | none; feedback type as given, else abuse  | -                                |
// | Complaint, complaintSubType OnAccountSuppressionList | skipped: SES refused to send, nobody complained |
// | Delivery                            | delivery    | none (delivered)                          | -                                |
// | DeliveryDelay (delayType)           | delay       | pending (SES retries)                     | MailboxFull, SpamDetected, IPFailure, TransientCommunicationFailure, RecipientServerError |
// | Subscription, unsubscribeAll: true, one destination | unsubscribe | -                          | -                                |
// | Send (mail.destination)             | send        | none (a send of the rates' denominator)   | -                                |
// | Reject, Open, Click, Rendering Failure, Subscription to a topic, anything else | skipped: unsupported_type |
//
// A hint decides only when the remote server's text names no cause (src/esp/evidence.ts).
//
// Event ids (idempotency, per recipient): bounces and complaints carry SES's feedbackId (one
// per feedback, several recipients each): `<feedbackId>/<recipient>`. Deliveries have none:
// one delivery per (message, recipient), so `<mail.messageId>/delivery/<recipient>`; a
// delivery can be delayed several times, so delays add their timestamp. A Subscription event:
// `<mail.messageId>/unsubscribe/<recipient>`. A Send: `<mail.messageId>/send/<recipient>`, one
// per destination (SES sends one message to all of them). SNS retries carry the same event, so
// the same ids.
import { arr, cut, idOf, obj, str, timeOf, type Json } from './json.js';
import type { EventFacts, ReasonHint } from './evidence.js';
import { DEFAULT_LIMITS, type EspLimits, type EventSkip } from './types.js';

export type SesItem = { facts: EventFacts } | { skip: EventSkip };

const hint = (reason: ReasonHint['reason'], category: ReasonHint['category'], word: string): ReasonHint => ({ reason, category, rule: `esp.ses.${word}` });

/** bounceSubType -> hint (SES Developer Guide, "Bounce types"). */
export const SES_BOUNCE_HINTS: Record<string, ReasonHint> = {
  NoEmail: hint('userunknown', 'unknown_user', 'NoEmail'),
  Suppressed: hint('suppressed', 'other', 'Suppressed'),
  OnAccountSuppressionList: hint('suppressed', 'other', 'OnAccountSuppressionList'),
  MailboxFull: hint('mailboxfull', 'mailbox_full', 'MailboxFull'),
  MessageTooLarge: hint('emailtoolarge', 'content', 'MessageTooLarge'),
  ContentRejected: hint('contenterror', 'content', 'ContentRejected'),
  AttachmentRejected: hint('contenterror', 'content', 'AttachmentRejected'),
};

/** DeliveryDelay delayType -> hint (SES Developer Guide, event publishing contents). */
export const SES_DELAY_HINTS: Record<string, ReasonHint> = {
  MailboxFull: hint('mailboxfull', 'mailbox_full', 'delay.MailboxFull'),
  SpamDetected: hint('spamdetected', 'spam', 'delay.SpamDetected'),
  IPFailure: hint('blocked', 'policy', 'delay.IPFailure'),
  TransientCommunicationFailure: hint('networkerror', 'temporary', 'delay.TransientCommunicationFailure'),
  RecipientServerError: hint('systemerror', 'temporary', 'delay.RecipientServerError'),
};

export interface SesTagNames {
  /** Message tag name (`mail.tags.<name>`). */
  tag: string;
  /** Header name (`mail.headers`), compared case-insensitively. */
  header: string;
}

/** The signed tag of the message: a message tag first, else a header. */
function tagOf(mail: Json | null, names: SesTagNames, limits: EspLimits): string | null {
  if (!mail) return null;
  const tags = obj(mail['tags']);
  const fromTag = tags ? str(arr(tags[names.tag])[0], limits.maxIdChars * 4) : null;
  if (fromTag) return fromTag;
  const want = names.header.toLowerCase();
  const headers = arr(mail['headers']);
  for (let i = 0; i < headers.length && i < 500; i++) {
    const h = obj(headers[i]);
    if (h && typeof h['name'] === 'string' && h['name'].toLowerCase() === want) return str(h['value'], limits.maxIdChars * 4);
  }
  return null;
}

/** `dsn; mta.example.com` -> `mta.example.com`. */
function mtaOf(v: unknown): string | null {
  const s = str(v, 512);
  return s ? s.replace(/^(?:dns|dsn)\s*;\s*/i, '') : null;
}

/** The address out of `Name <a@b>` or `a@b` (SES writes both in recipient lists). */
function addressOf(v: unknown, limits: EspLimits): string | null {
  const s = str(v, limits.maxAddressChars + 200);
  if (!s) return null;
  const m = /<([^<>\s]+)>\s*$/.exec(s);
  return m ? m[1]! : s;
}

export function mapSesEvent(ev: Json, names: SesTagNames, now: number, limits: EspLimits = DEFAULT_LIMITS): SesItem[] {
  const type = str(ev['eventType'], 64) ?? str(ev['notificationType'], 64);
  const mail = obj(ev['mail']);
  const messageId = idOf(mail?.['messageId'], limits.maxIdChars);
  const tag = tagOf(mail, names, limits);
  const skip = (code: EventSkip['code'], providerType: string | null, detail: string, eventId: string | null = null): SesItem => ({ skip: { code, eventId, providerType, detail } });
  const base = { provider: 'ses' as const, providerMessageId: messageId, tag, remoteMta: null, feedbackType: null, replyCode: null };
  const out: SesItem[] = [];
  /** Each recipient once, at most maxRecipientsPerEvent (the rest is said, not read). */
  const each = (list: unknown[], fn: (item: unknown, address: string) => SesItem | null): void => {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      if (i >= limits.maxRecipientsPerEvent) {
        if (i === limits.maxRecipientsPerEvent) out.push(skip('malformed', type, `more than ${limits.maxRecipientsPerEvent} recipients: the rest is not read`));
        return;
      }
      const address = addressOf(typeof item === 'string' ? item : obj(item)?.['emailAddress'], limits);
      if (!address) return void out.push(skip('malformed', type, 'a recipient without an address'));
      const key = address.toLowerCase();
      if (seen.has(key)) return;
      seen.add(key);
      const r = fn(item, address);
      if (r) out.push(r);
    });
  };

  switch (type) {
    case 'Bounce': {
      const b = obj(ev['bounce']);
      const bounceType = str(b?.['bounceType'], 64) ?? 'Undetermined';
      const subType = str(b?.['bounceSubType'], 64) ?? 'Undetermined';
      const feedbackId = idOf(b?.['feedbackId'], limits.maxIdChars);
      if (!b || !feedbackId) return [skip('malformed', 'Bounce', 'a bounce without feedbackId')];
      const providerType = `Bounce/${bounceType}/${subType}`;
      const providerBounceType = bounceType === 'Permanent' ? 'hard' : bounceType === 'Transient' ? 'soft' : null;
      const at = timeOf(b['timestamp'], now);
      const reportingMta = mtaOf(b['reportingMTA']);
      each(arr(b['bouncedRecipients']), (item, address) => {
        const r = obj(item) ?? {};
        return {
          facts: {
            ...base,
            eventId: `${feedbackId}/${address.toLowerCase()}`,
            providerType,
            kind: 'bounce',
            recipient: address,
            at,
            status: str(r['status'], 32),
            diagnostic: cut(str(r['diagnosticCode'], 64 * 1024), limits.maxDiagnosticChars),
            reportingMta,
            providerBounceType,
            hint: SES_BOUNCE_HINTS[subType] ?? null,
          },
        };
      });
      return out;
    }
    case 'Complaint': {
      const c = obj(ev['complaint']);
      const feedbackId = idOf(c?.['feedbackId'], limits.maxIdChars);
      if (!c || !feedbackId) return [skip('malformed', 'Complaint', 'a complaint without feedbackId')];
      const subType = str(c['complaintSubType'], 64);
      // SES did not send: the address is on the account's suppression list for an earlier
      // complaint. Nobody complained about this message.
      if (subType) return [skip('unsupported_type', `Complaint/${subType}`, 'SES refused to send; no complaint', feedbackId)];
      const feedbackType = (str(c['complaintFeedbackType'], 64) ?? 'abuse').toLowerCase();
      const at = timeOf(c['timestamp'] ?? c['arrivalDate'], now);
      each(arr(c['complainedRecipients']), (_item, address) => ({
        facts: {
          ...base,
          eventId: `${feedbackId}/${address.toLowerCase()}`,
          providerType: `Complaint/${feedbackType}`,
          kind: 'complaint',
          recipient: address,
          at,
          status: null,
          diagnostic: null,
          reportingMta: null,
          feedbackType,
          providerBounceType: null,
          hint: null,
        },
      }));
      return out;
    }
    case 'Delivery': {
      const d = obj(ev['delivery']);
      if (!d || !messageId) return [skip('malformed', 'Delivery', 'a delivery without mail.messageId')];
      const at = timeOf(d['timestamp'], now);
      const response = cut(str(d['smtpResponse'], 64 * 1024), limits.maxDiagnosticChars);
      const reportingMta = mtaOf(d['reportingMTA']);
      each(arr(d['recipients']), (_item, address) => ({
        facts: { ...base, eventId: `${messageId}/delivery/${address.toLowerCase()}`, providerType: 'Delivery', kind: 'delivery', recipient: address, at, status: null, diagnostic: response, reportingMta, providerBounceType: null, hint: null },
      }));
      return out;
    }
    case 'DeliveryDelay': {
      const d = obj(ev['deliveryDelay']);
      if (!d || !messageId) return [skip('malformed', 'DeliveryDelay', 'a delay without mail.messageId')];
      const delayType = str(d['delayType'], 64) ?? 'Undetermined';
      const stamp = str(d['timestamp'], 64) ?? '';
      const at = timeOf(d['timestamp'], now);
      const reportingMta = mtaOf(d['reportingMTA']);
      each(arr(d['delayedRecipients']), (item, address) => {
        const r = obj(item) ?? {};
        return {
          facts: {
            ...base,
            eventId: `${messageId}/delay/${address.toLowerCase()}/${stamp}`,
            providerType: `DeliveryDelay/${delayType}`,
            kind: 'delay',
            recipient: address,
            at,
            status: str(r['status'], 32),
            diagnostic: cut(str(r['diagnosticCode'], 64 * 1024), limits.maxDiagnosticChars),
            reportingMta,
            providerBounceType: 'pending',
            hint: SES_DELAY_HINTS[delayType] ?? null,
          },
        };
      });
      return out;
    }
    case 'Send': {
      if (!messageId) return [skip('malformed', 'Send', 'a send without mail.messageId')];
      const at = timeOf(mail?.['timestamp'], now);
      each(arr(mail?.['destination']), (_item, address) => ({
        facts: { ...base, eventId: `${messageId}/send/${address.toLowerCase()}`, providerType: 'Send', kind: 'send', recipient: address, at, status: null, diagnostic: null, reportingMta: null, providerBounceType: null, hint: null },
      }));
      return out;
    }
    case 'Subscription': {
      const s = obj(ev['subscription']);
      const prefs = obj(s?.['newTopicPreferences']);
      // only "unsubscribe from everything" is an unsubscribe; a change of topics is the
      // sender's business (its contact list), not a suppression
      if (!s || prefs?.['unsubscribeAll'] !== true) return [skip('unsupported_type', 'Subscription', 'a change of topic preferences')];
      if (!messageId) return [skip('malformed', 'Subscription', 'an unsubscribe without mail.messageId')];
      // the event does not say which recipient clicked: only a message to one contact tells
      const destination = arr(mail?.['destination']);
      if (destination.length !== 1) return [skip('malformed', 'Subscription', 'an unsubscribe from a message to several recipients names nobody')];
      const at = timeOf(s['timestamp'], now);
      each(destination, (_item, address) => ({
        facts: { ...base, eventId: `${messageId}/unsubscribe/${address.toLowerCase()}`, providerType: 'Subscription/unsubscribeAll', kind: 'unsubscribe', recipient: address, at, status: null, diagnostic: null, reportingMta: null, providerBounceType: null, hint: null },
      }));
      return out;
    }
    default:
      return [skip('unsupported_type', type, type ? `SES event ${type}` : 'no eventType or notificationType')];
  }
}

// PURE: the vocabulary of ESP event intake (issue #19 §1), said once. Senders who send part of
// their mail through Amazon SES, SendGrid, Mailgun or Postmark hear about its bounces and
// complaints as signed HTTP events, not as DSNs; this folder verifies them by each provider's
// documented mechanism and turns each into the same evidence a DSN gives for one recipient.
import type { BounceType, Category, Reason } from '../domain/index.js';

/** `ses`: Amazon SES notifications delivered by Amazon SNS over HTTPS. */
export const PROVIDERS = ['ses', 'sendgrid', 'mailgun', 'postmark'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** What one provider event says about one recipient. */
export const ESP_EVENT_KINDS = ['bounce', 'complaint', 'delivery', 'delay', 'unsubscribe', 'send'] as const;
export type EspEventKind = (typeof ESP_EVENT_KINDS)[number];

/**
 * Why a whole request is refused (nothing in it is used). The API answers with the status of
 * README.md's table; every refusal is counted per provider and code.
 */
export const REQUEST_REFUSALS = [
  'unknown_endpoint', // no endpoint with this id (or of this provider)
  'payload_too_large', // the body is over the provider's limit (read no further)
  'malformed', // not the provider's JSON shape, a required field missing or of the wrong type
  'unsupported_type', // an SNS message Type other than the three documented ones
  'unsupported_signature_version', // SNS SignatureVersion other than 1 and 2
  'cert_url_not_allowed', // SigningCertURL not https, not an allowed host, not a .pem path
  'subscribe_url_not_allowed', // SubscribeURL not https on an allowed host for this topic
  'cert_unavailable', // the signing certificate could not be fetched now (temporary: 503)
  'cert_invalid', // the fetched certificate is no RSA X.509 certificate, or not valid now
  'signature_invalid', // the signature (or its header) is missing, malformed or does not verify
  'timestamp_out_of_window', // the signed timestamp is too old or too far in the future
  'replayed', // a Mailgun token already used within the replay window
  'topic_not_allowed', // an SNS TopicArn the endpoint does not subscribe to
  'auth_failed', // Postmark: basic auth or the endpoint secret is wrong or missing
] as const;
export type RequestRefusalCode = (typeof REQUEST_REFUSALS)[number];

/**
 * Why one event of a verified request is not evidence. Counted per provider and code; never a
 * suppression. `no_account`, `tag_invalid`, `tag_recipient_mismatch` and `account_mismatch`
 * are events that verified for no account.
 */
export const EVENT_SKIPS = [
  'unsupported_type', // a type that says nothing about a recipient's mail (opens, clicks, sends), or one we do not know
  'malformed', // a required field missing (recipient, event id), an address that is none
  'no_account', // the endpoint names no account and the event carries no signed tag
  'tag_invalid', // the signed tag does not verify (bad MAC, not a token); endpoint names no account
  'tag_recipient_mismatch', // the tag was signed for another recipient; endpoint names no account
  'account_mismatch', // the tag names another account than the endpoint's
] as const;
export type EventSkipCode = (typeof EVENT_SKIPS)[number];

/** The account's evidence of one event: the endpoint's configuration, or a signed tag. */
export const ACCOUNT_SOURCES = ['endpoint', 'tag'] as const;
export type AccountSource = (typeof ACCOUNT_SOURCES)[number];

/** What became of the tag an event carried. */
export const TAG_STATES = ['absent', 'valid', 'invalid', 'other_recipient'] as const;
export type TagState = (typeof TAG_STATES)[number];

/** One provider event about one recipient, verified, attributed and classified. */
export interface EspEvidence {
  provider: Provider;
  /** The endpoint the request came to. */
  endpointId: string;
  /** The provider's id of this event (per recipient): store idempotency is by (provider, eventId). */
  eventId: string;
  account: string;
  accountSource: AccountSource;
  tag: TagState;
  /** The sender's message reference (the tag's, as in a VERP token), else the provider's message id. */
  messageId: string | null;
  /** The provider's own message id (SES mail.messageId, sg_message_id, Message-ID, Postmark MessageID). */
  providerMessageId: string | null;
  /** Canonical spelling (src/address.ts). */
  recipient: string;
  /** When the provider says it happened (ms); the time of receipt when it says nothing usable. */
  at: number;
  kind: EspEventKind;
  /** The provider's own words for the event, e.g. `Bounce/Permanent/General`, `bounce/blocked`. */
  providerType: string;
  /** Null only for unsubscribes: nothing to classify. */
  reason: Reason | null;
  category: Category;
  type: BounceType;
  hardbounce: boolean;
  status: string | null;
  statusDerived: boolean;
  replyCode: number | null;
  /** The provider's diagnostic text (the remote server's words), one line, bounded. */
  diagnostic: string | null;
  remoteMta: string | null;
  reportingMta: string | null;
  /** Complaints: the feedback type (RFC 5965 §7.3; `abuse` when the provider names none). */
  feedbackType: string | null;
  /** The rule that decided the reason: a classifier rule id, or `esp.<provider>.<...>`. */
  rule: string;
  /** Who decided hard/soft/pending: the provider's permanent/transient, or the classifier. */
  typeSource: 'provider' | 'classifier';
}

export interface RequestRefusal {
  code: RequestRefusalCode;
  /** For logs and the error body; never a secret, never the payload. */
  detail: string;
}

export interface EventSkip {
  code: EventSkipCode;
  /** The provider's event id when it had one. */
  eventId: string | null;
  providerType: string | null;
  detail: string;
}

/** Bounds on what a stranger can make us hold or scan. */
export interface EspLimits {
  /** Bytes of one request body, per provider. */
  maxBodyBytes: Record<Provider, number>;
  /** Events in one SendGrid batch. */
  maxEventsPerRequest: number;
  /** Recipients of one SES event (SES sends to at most 50 per message). */
  maxRecipientsPerEvent: number;
  /** Characters of diagnostic text kept (the classifier reads the first 1,500). */
  maxDiagnosticChars: number;
  /** Characters of an address (RFC 5321: 64 + 1 + 255). */
  maxAddressChars: number;
  /** Characters of an id (event, message) or a tag. */
  maxIdChars: number;
}

export const DEFAULT_LIMITS: Readonly<EspLimits> = Object.freeze({
  // SNS messages are at most 256 KiB; JSON escaping of the SES event inside may double it
  // SendGrid posts batches of events; Postmark may include the whole bounce (`Content`)
  maxBodyBytes: Object.freeze({ ses: 1024 * 1024, sendgrid: 8 * 1024 * 1024, mailgun: 1024 * 1024, postmark: 2 * 1024 * 1024 }),
  maxEventsPerRequest: 10_000,
  maxRecipientsPerEvent: 100,
  maxDiagnosticChars: 1000,
  maxAddressChars: 320,
  maxIdChars: 256,
});

/** A configuration error: thrown when endpoints are prepared (the daemon does not start). */
export class EspConfigError extends Error {
  override readonly name = 'EspConfigError';
}

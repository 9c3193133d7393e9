// Rows as both backends return them (snake_case columns, the same names in SQLite and
// PostgreSQL) and the records the contract hands out. Booleans are 0/1 in SQLite and
// true/false in PostgreSQL; JSON columns are text in both (the webhook body is sent as stored).
import type {
  EspEventRecord,
  AbuseReport, Account, ApiKeyRecord, Appeal, DashboardSession, AuditRecord, BounceRecord, Campaign, ContactReport, DeliveryRecord,
  DueDelivery, EvidenceRecord, FailureRecord, JobState, MessageSummary, Notification, PolicyState, StoredEvent,
  SuppressionHit, SuppressionRecord, TailCheckpoint, WebhookDelivery, WebhookEndpoint,
} from './contract.js';
import { DEFAULT_POLICY_STATE } from './contract.js';
import { BLOCKLIST_REASONS, GLOBAL_ACCOUNT, SENDER_SIDE_CATEGORIES } from '../domain/index.js';

/** A domain list as the SQL of an IN (...) (its members are plain words: no quoting to escape). */
const sqlList = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');
/** The categories and reasons the counters count (domain/classification.ts), for the recount's SQL. */
export const SQL_SENDER_SIDE_CATEGORIES = sqlList(SENDER_SIDE_CATEGORIES);
export const SQL_BLOCKLIST_REASONS = sqlList(BLOCKLIST_REASONS);

// Rows are plain objects from the drivers; fields are read by name.
export type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const bool = (v: unknown): boolean => v === true || v === 1;
const json = <T>(v: string | null): T | null => (v === null || v === undefined ? null : (JSON.parse(v) as T));

export const MESSAGE_COLUMNS =
  'id, received_at, source, mail_from, rcpt_to, remote_ip, helo, size, sha256, state, processed_at, attempts, error, warning, kind, detector, report_message_id, duplicate_of, claimed_by, claimed_until';

export function toMessage(r: Row): MessageSummary {
  return {
    id: r.id,
    receivedAt: r.received_at,
    source: r.source,
    mailFrom: r.mail_from,
    rcptTo: JSON.parse(r.rcpt_to) as string[],
    remoteIp: r.remote_ip,
    helo: r.helo,
    size: r.size,
    sha256: r.sha256,
    state: r.state,
    processedAt: r.processed_at,
    attempts: r.attempts,
    error: r.error,
    warning: r.warning ?? null,
    kind: r.kind,
    detector: r.detector,
    reportMessageId: r.report_message_id,
    duplicateOf: r.duplicate_of,
    claimedBy: r.claimed_by ?? null,
    claimedUntil: r.claimed_until ?? null,
  };
}

export function toBounce(r: Row): BounceRecord {
  return {
    id: r.id,
    messageRow: r.message_row,
    createdAt: r.created_at,
    accountId: r.account_id,
    messageId: r.message_id,
    recipient: r.recipient,
    reportedRecipient: r.reported_recipient ?? null,
    kind: r.kind,
    action: r.action,
    status: r.status,
    reason: r.reason,
    hardbounce: bool(r.hardbounce),
    category: r.category,
    type: r.type,
    rule: r.rule,
    detector: r.detector,
    replyCode: r.reply_code,
    diagnostic: r.diagnostic,
    remoteMta: r.remote_mta,
    reportingMta: r.reporting_mta,
    originalMessageId: r.original_message_id,
    feedbackType: r.feedback_type,
    verified: bool(r.verified),
    warning: r.warning ?? null,
  };
}

export function toDelivery(r: Row): DeliveryRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    messageId: r.message_id,
    recipient: r.recipient,
    state: r.state,
    firstAt: r.first_at,
    lastAt: r.last_at,
    pendingSince: r.pending_since,
    attempts: r.attempts,
    evidenceCount: r.evidence_count ?? 0,
    status: r.status,
    reason: r.reason,
    category: r.category,
    diagnostic: r.diagnostic,
    updatedAt: r.updated_at,
  };
}

export function toEvidence(r: Row): EvidenceRecord {
  return {
    id: r.id,
    at: r.at,
    source: r.source,
    state: r.state,
    status: r.status,
    reason: r.reason,
    diagnostic: r.diagnostic,
    bounceId: r.bounce_id,
    qid: r.qid,
  };
}

export const toAccount = (r: Row): Account => ({
  id: r.id,
  name: r.name,
  tier: r.tier,
  profile: r.profile,
  contactEmail: r.contact_email,
  createdAt: r.created_at,
});

export function toPolicyState(r: Row | undefined): PolicyState {
  if (!r) return { ...DEFAULT_POLICY_STATE };
  return {
    marketing: r.marketing,
    suspension: r.suspension,
    suspensionDetail: r.suspension_detail,
    suspendedAt: r.suspended_at,
    oneToOne: r.one_to_one,
    oneToOneSuspension: r.one_to_one_suspension,
    oneToOneSuspendedAt: r.one_to_one_suspended_at,
    review: r.review,
    reviewForm: json(r.review_form),
    baseline: json(r.baseline),
    warned: json(r.warned),
    updatedAt: r.updated_at,
  };
}

/** account_policy's columns of a state, as bound parameters (JSON as text). */
export function policyStateParams(accountId: string, s: PolicyState, now: number) {
  return {
    accountId,
    marketing: s.marketing,
    suspension: s.suspension,
    suspensionDetail: s.suspensionDetail,
    suspendedAt: s.suspendedAt,
    oneToOne: s.oneToOne,
    oneToOneSuspension: s.oneToOneSuspension,
    oneToOneSuspendedAt: s.oneToOneSuspendedAt,
    review: s.review,
    reviewForm: s.reviewForm ? JSON.stringify(s.reviewForm) : null,
    baseline: s.baseline ? JSON.stringify(s.baseline) : null,
    warned: s.warned ? JSON.stringify(s.warned) : null,
    updatedAt: now,
  };
}

export const toCampaign = (r: Row): Campaign => ({
  accountId: r.account_id,
  campaign: r.campaign,
  planned: r.planned,
  sends: r.sends,
  state: r.state,
  cancelledAt: r.cancelled_at,
  createdAt: r.created_at,
});

export const toSuppression = (r: Row): SuppressionRecord => ({
  id: r.id,
  accountId: r.account_id === GLOBAL_ACCOUNT ? null : r.account_id,
  address: r.address,
  reason: r.reason,
  createdAt: r.created_at,
  source: r.source,
});

export const toHit = (r: Row): SuppressionHit => ({ accountId: r.account_id, reason: r.reason, createdAt: r.created_at, source: r.source });

export const toFailure = (r: Row): FailureRecord => ({
  deliveryId: r.delivery_id,
  accountId: r.account_id,
  recipient: r.recipient,
  channel: r.channel,
  campaign: r.campaign,
  state: r.state,
  reason: r.reason,
  category: r.category,
  addressReason: bool(r.address_reason),
  at: r.at,
});

export const toReport = (r: Row): ContactReport => ({
  accountId: r.account_id,
  kind: r.kind,
  messageId: r.message_id,
  recipient: r.recipient,
  channel: r.channel,
  campaign: r.campaign,
  at: r.at,
  source: r.source,
});

export const toAppeal = (r: Row): Appeal => ({
  id: r.id,
  accountId: r.account_id,
  channel: r.channel,
  state: r.state,
  form: JSON.parse(r.form) as Record<string, unknown>,
  filedAt: r.filed_at,
  decidedAt: r.decided_at,
  decidedBy: r.decided_by,
  decisionReason: r.decision_reason,
});

export const toAbuse = (r: Row): AbuseReport => ({ id: r.id, accountId: r.account_id, at: r.at, actor: r.actor, detail: r.detail });

export const toAudit = (r: Row): AuditRecord => ({
  id: r.id,
  at: r.at,
  actor: r.actor,
  accountId: r.account_id,
  action: r.action,
  subject: r.subject,
  detail: json(r.detail),
});

export const toNotification = (r: Row): Notification => ({
  id: r.id,
  accountId: r.account_id,
  kind: r.kind,
  recipient: r.recipient,
  subject: r.subject,
  body: r.body,
  createdAt: r.created_at,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  sentAt: r.sent_at,
  lastError: r.last_error,
});

export const toKey = (r: Row): ApiKeyRecord => ({
  id: r.id,
  accountId: r.account_id,
  prefix: r.prefix,
  name: r.name,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export const toSession = (r: Row): DashboardSession => ({
  keyId: r.key_id,
  accountId: r.account_id,
  csrf: r.csrf,
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
});

export const toEvent = (r: Row): StoredEvent => ({
  id: r.id,
  eventId: r.event_id,
  accountId: r.account_id,
  type: r.type,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
  createdAt: r.created_at,
});

export const toEndpoint = (r: Row): WebhookEndpoint => ({
  id: r.id,
  accountId: r.account_id,
  url: r.url,
  events: JSON.parse(r.events) as string[],
  createdAt: r.created_at,
  disabledAt: r.disabled_at,
});

export const WEBHOOK_DELIVERY_COLUMNS = `d.id, d.endpoint_id, e.event_id, e.type AS event_type, d.created_at, d.attempts, d.next_attempt_at,
  d.last_attempt_at, d.last_status, d.last_error, d.delivered_at, d.failed_at`;

export const toWebhookDelivery = (r: Row): WebhookDelivery => ({
  id: r.id,
  endpointId: r.endpoint_id,
  eventId: r.event_id,
  eventType: r.event_type,
  createdAt: r.created_at,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastAttemptAt: r.last_attempt_at,
  lastStatus: r.last_status,
  lastError: r.last_error,
  deliveredAt: r.delivered_at,
  failedAt: r.failed_at,
});

export const DUE_DELIVERY_COLUMNS = `d.id, d.endpoint_id, d.attempts, d.created_at, w.url, w.secret, e.event_id, e.type AS event_type, e.payload,
  e.created_at AS event_created_at`;

export const toDue = (r: Row): DueDelivery => ({
  id: r.id,
  endpointId: r.endpoint_id,
  attempts: r.attempts,
  createdAt: r.created_at,
  url: r.url,
  secret: r.secret,
  eventId: r.event_id,
  eventType: r.event_type,
  payload: r.payload,
  eventCreatedAt: r.event_created_at,
});

export const toJob = (r: Row): JobState => ({
  name: r.name,
  lastRunAt: r.last_run_at,
  nextRunAt: r.next_run_at,
  lastError: r.last_error,
  leaseHolder: r.lease_holder ?? null,
  leaseUntil: r.lease_until ?? null,
});

export const toCheckpoint = (r: Row): TailCheckpoint => ({
  path: r.path,
  inode: r.inode,
  offset: r.offset,
  lines: r.lines,
  unparsed: r.unparsed,
  head: r.head ? Buffer.from(r.head) : null,
});

export const toEspEvent = (r: Row): EspEventRecord => ({
  id: r.id,
  provider: r.provider,
  eventId: r.event_id,
  endpointId: r.endpoint_id,
  accountId: r.account_id,
  kind: r.kind,
  recipient: r.recipient,
  messageId: r.message_id,
  at: r.at,
  receivedAt: r.received_at,
  messageRow: r.message_row,
});

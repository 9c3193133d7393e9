// Exports (issue #19 §3): bounces, deliveries, suppressions and provider events as CSV or JSON lines,
// filtered like the list endpoints, read a page at a time by id (the store's cursor) and
// yielded page by page, so that what is held at once is one page whatever the export's size:
// the API streams the generator into the response, the CLI into stdout, each waiting for the
// consumer (backpressure) before the next page is read.
import { CATEGORIES, DELIVERY_STATES, SUPPRESSION_REASONS, type DeliveryState } from '../domain/index.js';
import { ESP_EVENT_KINDS, PROVIDERS } from '../esp/types.js';
import type { BounceRecord, DeliveryRecord, EspEventRecord, Repositories, SuppressionRecord } from '../store/contract.js';

export const EXPORT_KINDS = ['bounces', 'deliveries', 'suppressions', 'events'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', jsonl: 'application/x-ndjson' };

/** What `category` filters per kind: a bounce's category, a delivery's state, a suppression's reason, an event's kind. */
export const CATEGORY_VALUES: Record<ExportKind, readonly string[]> = {
  bounces: CATEGORIES,
  deliveries: DELIVERY_STATES,
  suppressions: SUPPRESSION_REASONS,
  events: ESP_EVENT_KINDS,
};

export interface ExportFilter {
  /** Required for suppressions (an account's own and the global ones); else all accounts. */
  accountId?: string;
  /** Created (deliveries: first evidence; events: received) at or after, ms. */
  since?: number;
  /** ... and before, ms. */
  until?: number;
  category?: string;
  /** Events only. */
  provider?: (typeof PROVIDERS)[number];
}

export class ExportError extends Error {
  override readonly name = 'ExportError';
}

/** Rows read per page: a page is what the export holds at once. */
export const EXPORT_PAGE = 1000;

type Column<T> = [string, (r: T) => string | number | boolean | null];
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

const BOUNCE_COLUMNS: Column<BounceRecord>[] = [
  ['id', (r) => r.id], ['created_at', (r) => iso(r.createdAt)], ['account_id', (r) => r.accountId], ['message_id', (r) => r.messageId],
  ['recipient', (r) => r.recipient], ['reported_recipient', (r) => r.reportedRecipient], ['kind', (r) => r.kind], ['type', (r) => r.type],
  ['category', (r) => r.category], ['reason', (r) => r.reason], ['status', (r) => r.status], ['reply_code', (r) => r.replyCode],
  ['diagnostic', (r) => r.diagnostic], ['detector', (r) => r.detector], ['rule', (r) => r.rule], ['remote_mta', (r) => r.remoteMta],
  ['reporting_mta', (r) => r.reportingMta], ['feedback_type', (r) => r.feedbackType], ['verified', (r) => r.verified],
];
const DELIVERY_COLUMNS: Column<DeliveryRecord>[] = [
  ['id', (r) => r.id], ['first_at', (r) => iso(r.firstAt)], ['last_at', (r) => iso(r.lastAt)], ['account_id', (r) => r.accountId],
  ['message_id', (r) => r.messageId], ['recipient', (r) => r.recipient], ['state', (r) => r.state], ['pending_since', (r) => iso(r.pendingSince)],
  ['attempts', (r) => r.attempts], ['evidence_count', (r) => r.evidenceCount], ['status', (r) => r.status], ['reason', (r) => r.reason],
  ['category', (r) => r.category], ['diagnostic', (r) => r.diagnostic], ['updated_at', (r) => iso(r.updatedAt)],
];
const SUPPRESSION_COLUMNS: Column<SuppressionRecord>[] = [
  ['id', (r) => r.id], ['created_at', (r) => iso(r.createdAt)], ['scope', (r) => (r.accountId === null ? 'global' : 'account')],
  ['account_id', (r) => r.accountId], ['address', (r) => r.address], ['reason', (r) => r.reason], ['source', (r) => r.source],
];
const EVENT_COLUMNS: Column<EspEventRecord>[] = [
  ['id', (r) => r.id], ['received_at', (r) => iso(r.receivedAt)], ['at', (r) => iso(r.at)], ['provider', (r) => r.provider],
  ['event_id', (r) => r.eventId], ['endpoint_id', (r) => r.endpointId], ['account_id', (r) => r.accountId], ['kind', (r) => r.kind],
  ['recipient', (r) => r.recipient], ['message_id', (r) => r.messageId], ['message_row', (r) => r.messageRow],
];

/**
 * One CSV field (RFC 4180 §2: quoted when it holds a comma, a quote or a line break; quotes
 * doubled). Text that a spreadsheet would run as a formula (starting with =, +, -, @, a tab
 * or CR: OWASP "CSV injection") gets a leading apostrophe: diagnostic text comes from strangers.
 */
export function csvField(v: string | number | boolean | null): string {
  if (v === null) return '';
  if (typeof v !== 'string') return String(v);
  let s = v;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Text chunks yielded at about this size: small strings and buffers, collected young (not a page's megabytes). */
const CHUNK_CHARS = 64 * 1024;

function* render<T>(rows: readonly T[], columns: Column<T>[], format: ExportFormat): Generator<string> {
  let out = '';
  for (const r of rows) {
    out += format === 'jsonl' ? `${JSON.stringify(r)}\n` : `${columns.map(([, get]) => csvField(get(r))).join(',')}\r\n`;
    if (out.length >= CHUNK_CHARS) {
      yield out;
      out = '';
    }
  }
  if (out) yield out;
}

/** Throws ExportError when the filter does not fit the kind (call before a response starts). */
export function checkExportFilter(kind: ExportKind, f: ExportFilter): void {
  if (f.category !== undefined && !CATEGORY_VALUES[kind].includes(f.category)) {
    throw new ExportError(`category of ${kind} must be one of ${CATEGORY_VALUES[kind].join(', ')}`);
  }
  if (kind === 'suppressions' && f.accountId === undefined) throw new ExportError('a suppressions export names its account');
  if (f.provider !== undefined && kind !== 'events') throw new ExportError('provider filters events only');
}

/** One page of a kind's rows after id `after`, the filter applied by the store. */
function readPage(store: Repositories, kind: ExportKind, f: ExportFilter, after: number, limit: number): Promise<Array<{ id: number }>> {
  const { accountId, since, until } = f;
  switch (kind) {
    case 'bounces':
      return store.bounces.list({ accountId, since, until, category: f.category as BounceRecord['category'] | undefined, after, limit });
    case 'deliveries':
      return store.deliveries.list({ accountId, since, until, state: f.category as DeliveryState | undefined, after, limit });
    case 'suppressions':
      return store.suppressions.list({ accountId: accountId!, since, until, reason: f.category as SuppressionRecord['reason'] | undefined, afterId: after, limit });
    case 'events':
      return store.espEvents.list({ accountId, since, until, kind: f.category, provider: f.provider, after, limit });
  }
}

/** The export as chunks of text (the CSV header, then about 64 KB at a time, a page of rows read at a time). Throws ExportError on a bad filter. */
export async function* exportChunks(store: Repositories, kind: ExportKind, format: ExportFormat, f: ExportFilter, page = EXPORT_PAGE): AsyncGenerator<string> {
  checkExportFilter(kind, f);
  const columns = { bounces: BOUNCE_COLUMNS, deliveries: DELIVERY_COLUMNS, suppressions: SUPPRESSION_COLUMNS, events: EVENT_COLUMNS }[kind] as Column<unknown>[];
  if (format === 'csv') yield `${columns.map(([name]) => name).join(',')}\r\n`;
  let after = 0;
  for (;;) {
    const rows = await readPage(store, kind, f, after, page);
    if (rows.length === 0) return;
    yield* render(rows, columns, format);
    if (rows.length < page) return;
    after = rows[rows.length - 1]!.id;
  }
}

// The parser: raw message bytes -> ParsedReport. PURE (no I/O, no clock).
//
//   readMail (./mime.ts)       Buffer -> MailView (headers, texts, status parts, original)
//   runDetectors (./detectors)  MailView -> the first detector result, in registry order
//   here                        assemble the ParsedReport (report headers, original, warnings)
import type { OriginalMessage, ParsedReport } from '../report.js';
import { runDetectors } from './detectors/index.js';
import { JMRP_SUBJECT } from './detectors/arf.js';
import { BOUNCE_FROM, BOUNCE_SUBJECT } from './detectors/fallback.js';
import { headerValue, readMail, UnparseableError, type MailView, type OriginalView } from './mime.js';
import { normalizeAddress } from './smtp-text.js';

export { UnparseableError } from './mime.js';
export type { MailView } from './mime.js';

function messageIdOf(v: string | null): string | null {
  if (!v) return null;
  const m = /<([^<>\s]+)>/.exec(v);
  const id = (m ? m[1] : v.trim().split(/\s+/)[0]).trim();
  return id || null;
}

/** A header's occurrences, one per line (most fields occur once). */
function joinValues(vs: string[]): string {
  return vs.length === 1 ? vs[0] : vs.join('\n');
}

function toOriginalMessage(o: OriginalView | null): OriginalMessage | null {
  if (!o) return null;
  const headers: Record<string, string> = {};
  for (const k in o.headers) headers[k] = joinValues(o.headers[k]);
  return {
    messageId: messageIdOf(headerValue(o.headers, 'message-id')),
    from: headerValue(o.headers, 'from'),
    to: headerValue(o.headers, 'to'),
    subject: headerValue(o.headers, 'subject'),
    returnPath: normalizeAddress(headerValue(o.headers, 'return-path')),
    headers,
  };
}

/** The returned "original" is itself a delivery report (a bounce forwarded or bounced again). */
function innerReport(view: MailView, depth: number): MailView | null {
  const o = view.original;
  if (!o?.raw || depth >= 2) return null;
  const ct = (headerValue(o.headers, 'content-type') ?? '').toLowerCase();
  const from = headerValue(o.headers, 'from') ?? '';
  // (round 15) or a notice by its sender or subject, as the fallback reader knows them: a
  // plain-text bounce forwarded as an attachment ("Fwd: Undeliverable: ...")
  const subject = headerValue(o.headers, 'subject') ?? '';
  // (round 20) or a complaint by its subject (a JMRP report is multipart/mixed)
  if (!/multipart\/report|delivery-status/.test(ct) && !BOUNCE_FROM.test(from) && !BOUNCE_SUBJECT.test(subject) && !JMRP_SUBJECT.test(subject)) return null;
  try {
    return readMail(Buffer.from(o.raw, 'latin1'));
  } catch {
    return null;
  }
}

/** Parses a view (exported for detector tests that build views directly). */
function parseView(view: MailView, depth = 0): ParsedReport {
  const outcome = runDetectors(view);
  const { result, warnings } = outcome;
  // a forwarded bounce: the outer message only wraps it, the report is inside
  if (!result || result.detector === 'fallback') {
    const inner = innerReport(view, depth);
    if (inner) {
      const nested = parseView(inner, depth + 1);
      if (nested.recipients.length && nested.kind !== 'unknown') {
        nested.warnings.unshift('report taken from the enclosed message/rfc822');
        return nested;
      }
    }
  }
  const h = view.headers;
  return {
    kind: result ? result.kind : 'unknown',
    detector: result ? result.detector : 'none',
    messageId: messageIdOf(headerValue(h, 'message-id')),
    subject: headerValue(h, 'subject'),
    from: headerValue(h, 'from'),
    date: headerValue(h, 'date'),
    reportingMta: result?.reportingMta ?? null,
    arrivalDate: result?.arrivalDate ?? null,
    recipients: result ? result.recipients : [],
    original: result?.original !== undefined ? result.original : toOriginalMessage(view.original),
    feedback: result?.feedback ?? null,
    autoReply: result?.autoReply ?? null,
    warnings: [...view.warnings, ...warnings, ...(result?.warnings ?? [])],
  };
}

/**
 * Parses one raw message. Rejects with UnparseableError only when the bytes are not a mail
 * message at all; any mail yields a report (kind 'unknown' when it is no bounce).
 * Async for the contract's sake (callers may move parsing to a worker later); the work is
 * synchronous and bounded by the input size.
 */
export async function parseMessage(raw: Buffer): Promise<ParsedReport> {
  return parseMessageSync(raw);
}

export function parseMessageSync(raw: Buffer): ParsedReport {
  if (!Buffer.isBuffer(raw)) throw new UnparseableError('input is not a Buffer');
  return parseView(readMail(raw));
}

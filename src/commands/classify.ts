// `bounced classify PATH...`: parse + classify message files, print one record per
// (file, recipient). Never throws on a file: unreadable or unparseable files become a record
// with an `error` field. Exit code: 0, or 1 when a path does not exist.
// Formats as every listing command: jsonl (default: one record a line, streamable), json (one
// array), table. A progress line goes to stderr, never stdout, so piped output stays clean.
import { closeSync, openSync, readdirSync, readSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { classify } from '../classifier/index.js';
import { parseMessageSync, UnparseableError } from '../parser/index.js';
import { FileReadAhead, type ReadResult } from './classify-reader.js';
import type { ParsedReport, Verdict } from '../report.js';

export interface ClassifyOptions {
  format: 'json' | 'jsonl' | 'table';
  explain: boolean;
  /** Where a progress line goes (cli.ts: stderr when it is a terminal, or --progress). */
  progress?: ProgressOptions;
  /**
   * Threads that classify at once (--jobs; default 1 here, the CLI passes the cores less one). Output
   * stays in input order whatever the number. Used only for runs of many files: see
   * PARALLEL_MIN_FILES.
   */
  jobs?: number;
}

export interface ProgressOptions {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  /** Print even a short run's closing line (--progress); else only runs past `afterMs`. */
  always: boolean;
  now?: () => number;
}

/** A run shorter than this prints no progress on a terminal; then a line at most every 500 ms. */
const PROGRESS_AFTER_MS = 1000;
const PROGRESS_EVERY_MS = 500;

/**
 * The progress line: `classify: 1200/5000 files (24 %)`. On a terminal it is rewritten in
 * place (CR, then erase to the end of the line, ECMA-48 EL); elsewhere one line each time.
 */
function progressReporter(total: number, opts: ProgressOptions | undefined) {
  if (!opts) return { update: (_done: number) => {}, end: (_done: number) => {} };
  const now = opts.now ?? Date.now;
  const started = now();
  let last = 0;
  let shown = false;
  const line = (done: number) => `bounced classify: ${done}/${total} files (${total ? Math.floor((done * 100) / total) : 100} %)`;
  const write = (s: string, final: boolean) => {
    opts.out.write(opts.out.isTTY ? `\r${s}\x1b[K${final ? '\n' : ''}` : `${s}\n`);
    shown = true;
  };
  return {
    update(done: number) {
      const t = now();
      if (t - started < PROGRESS_AFTER_MS || t - last < PROGRESS_EVERY_MS) return;
      last = t;
      write(line(done), false);
    },
    end(done: number) {
      if (shown || opts.always || now() - started >= PROGRESS_AFTER_MS) write(`${line(done)}, ${((now() - started) / 1000).toFixed(1)} s`, true);
    },
  };
}

export interface ClassifyRecord {
  file: string;
  kind: string;
  recipient: string | null;
  /** The report's Original-Recipient (the address the sender wrote), when it is not `recipient`. */
  alias?: string;
  action: string | null;
  status: string | null;
  reason: string | null;
  hardbounce: boolean;
  category: string | null;
  type: string | null;
  replyCode: number | null;
  diagnosticCode: string | null;
  remoteMta: string | null;
  reportingMta: string | null;
  originalMessageId: string | null;
  feedbackType: string | null;
  rule: string | null;
  detector: string;
  statusDerived?: boolean;
  explain?: { detector: string; rule: string | null; field: string | null; text: string | null };
  error?: string;
}

/** Files under `paths`, directories walked recursively, names sorted (dot files skipped). */
export function listFiles(paths: string[], missing: string[] = []): string[] {
  const out: string[] = [];
  // a folder's entries carry their type (readdir's d_type): no stat(2) per file, only for a
  // symbolic link or an entry the file system did not type (a stat per file was ~4 % of a run)
  const visitDir = (p: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(p, { withFileTypes: true });
    } catch {
      return;
    }
    // the order of `readdirSync(p).sort()`: UTF-16 code units
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const q = join(p, e.name);
      if (e.isDirectory()) visitDir(q);
      else if (e.isFile()) out.push(q);
      else visit(q, false);
    }
  };
  const visit = (p: string, top: boolean) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      if (top) missing.push(p);
      return;
    }
    if (st.isDirectory()) visitDir(p);
    else if (st.isFile()) out.push(p);
  };
  for (const p of paths) visit(p, true);
  return out;
}

/**
 * The buffer files are read into, reused from file to file (grown for a larger one): a file's
 * bytes are parsed at once and never kept (the parser copies what it keeps into strings), so
 * no buffer per file, and no fstat(2) as readFileSync makes to size one.
 */
let readBuffer = Buffer.allocUnsafe(64 * 1024);

/** A file's bytes, valid until the next call (see readBuffer). Throws as readFileSync does. */
export function readFileReused(file: string): Buffer {
  // one very large file does not keep its buffer for the rest of the run
  if (readBuffer.length > 4 * 1024 * 1024) readBuffer = Buffer.allocUnsafe(64 * 1024);
  const fd = openSync(file, 'r');
  try {
    let len = 0;
    for (;;) {
      if (len === readBuffer.length) {
        const bigger = Buffer.allocUnsafe(readBuffer.length * 2);
        readBuffer.copy(bigger, 0, 0, len);
        readBuffer = bigger;
      }
      const n = readSync(fd, readBuffer, len, readBuffer.length - len, null);
      if (n === 0) return readBuffer.subarray(0, len);
      len += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** The records for one file's bytes (pure apart from nothing: exported for tests). */
export function recordsFor(file: string, raw: Buffer, explain: boolean): ClassifyRecord[] {
  let report: ParsedReport;
  try {
    report = parseMessageSync(raw);
  } catch (err) {
    const msg = err instanceof UnparseableError ? err.message : `parser failure: ${(err as Error)?.message ?? String(err)}`;
    return [errorRecord(file, msg)];
  }
  let verdicts: Verdict[];
  try {
    verdicts = classify(report);
  } catch (err) {
    return [errorRecord(file, `classifier failure: ${(err as Error)?.message ?? String(err)}`, report.kind, report.detector)];
  }
  if (!verdicts.length) {
    const rec: ClassifyRecord = { ...emptyRecord(file, report.kind, report.detector), originalMessageId: report.original?.messageId ?? null, reportingMta: report.reportingMta, feedbackType: report.feedback?.feedbackType ?? null };
    if (explain) rec.explain = { detector: report.detector, rule: null, field: null, text: null };
    return [rec];
  }
  return verdicts.map((v, i) => {
    const alias = report.recipients[i]?.originalRecipient;
    const rec: ClassifyRecord = {
      file,
      kind: v.kind,
      recipient: v.recipient,
      ...(alias && v.recipient && alias.toLowerCase() !== v.recipient.toLowerCase() ? { alias } : {}),
      action: v.action,
      status: v.status,
      reason: v.reason,
      hardbounce: v.hardbounce,
      category: v.category,
      type: v.type,
      replyCode: v.replyCode,
      diagnosticCode: v.diagnosticCode,
      remoteMta: v.remoteMta,
      reportingMta: v.reportingMta,
      originalMessageId: v.originalMessageId,
      feedbackType: v.feedbackType,
      rule: v.rule,
      detector: v.detector,
    };
    if (v.statusDerived) rec.statusDerived = true;
    if (explain) rec.explain = { detector: v.detector, rule: v.rule, field: v.matched?.field ?? null, text: v.matched?.text ?? null };
    return rec;
  });
}

function emptyRecord(file: string, kind: string, detector: string): ClassifyRecord {
  return {
    file, kind, recipient: null, action: null, status: null, reason: null, hardbounce: false, category: null,
    type: null, replyCode: null, diagnosticCode: null, remoteMta: null, reportingMta: null,
    originalMessageId: null, feedbackType: null, rule: null, detector,
  };
}

function errorRecord(file: string, error: string, kind = 'unknown', detector = 'none'): ClassifyRecord {
  return { ...emptyRecord(file, kind, detector), error };
}

const TABLE_COLUMNS: [keyof ClassifyRecord, string][] = [
  ['file', 'FILE'], ['kind', 'KIND'], ['recipient', 'RECIPIENT'], ['status', 'STATUS'], ['reason', 'REASON'],
  ['hardbounce', 'HARD'], ['type', 'TYPE'], ['category', 'CATEGORY'], ['rule', 'RULE'],
];

function tableRow(rec: ClassifyRecord, explain: boolean): string {
  const cells = TABLE_COLUMNS.map(([k]) => {
    const v = rec[k];
    return v === null || v === undefined ? '-' : String(v);
  });
  if (rec.error) cells.push(`error: ${rec.error}`);
  if (explain && rec.explain) cells.push(`${rec.explain.detector} ${rec.explain.field ?? ''}=${JSON.stringify(rec.explain.text ?? '')}`);
  return cells.join('\t');
}

function write(out: NodeJS.WritableStream, s: string): Promise<void> | void {
  if (!out.write(s)) return new Promise((resolve) => out.once('drain', () => resolve()));
}

/**
 * Records are written in chunks of about this many characters: stdout to a file or a pipe is
 * a synchronous write(2) per call, and one per message file costs more than the JSON does.
 */
const OUTPUT_CHUNK = 64 * 1024;

/** One record as the format prints it (without the separator between records). */
export function formatRecord(r: ClassifyRecord, format: ClassifyOptions['format'], explain: boolean): string {
  return format === 'table' ? tableRow(r, explain) : JSON.stringify(r);
}

/** The printed records of some files, in their order: what a worker thread sends back. */
export function classifyFiles(files: readonly string[], format: ClassifyOptions['format'], explain: boolean): string[] {
  const lines: string[] = [];
  for (const file of files) {
    let recs: ClassifyRecord[];
    try {
      recs = recordsFor(file, readFileReused(file), explain);
    } catch (err) {
      recs = [errorRecord(file, `cannot read: ${(err as Error)?.message ?? String(err)}`)];
    }
    for (const r of recs) lines.push(formatRecord(r, format, explain));
  }
  return lines;
}

/** classifyFiles for one file whose bytes were read already (or whose reading failed). */
function classifyRead(file: string, read: ReadResult, format: ClassifyOptions['format'], explain: boolean): string[] {
  let recs: ClassifyRecord[];
  try {
    if (read.error !== null) throw new Error(read.error);
    recs = recordsFor(file, read.bytes, explain);
  } catch (err) {
    recs = [errorRecord(file, `cannot read: ${(err as Error)?.message ?? String(err)}`)];
  }
  return recs.map((r) => formatRecord(r, format, explain));
}

/**
 * Below this many files per thread no worker thread is started: a thread loads the parser and
 * the classifier (about 50 ms of CPU) before its first file, and a file takes about 0.15 ms.
 */
export const PARALLEL_MIN_FILES = 500;

export async function runClassify(paths: string[], opts: ClassifyOptions, out: NodeJS.WritableStream): Promise<number> {
  const missing: string[] = [];
  const files = listFiles(paths, missing);
  let pending = opts.format === 'table' ? TABLE_COLUMNS.map(([, h]) => h).join('\t') + '\n' : opts.format === 'json' ? '[' : '';
  let first = true;
  const progress = progressReporter(files.length, opts.progress);
  let done = 0;
  // the records of the next files in input order, whichever thread classified them
  const emit = async (lines: string[], nFiles: number) => {
    for (const line of lines) {
      if (opts.format === 'json') {
        // One JSON array, written as it goes (never held whole): a record a line inside it.
        pending += (first ? '\n' : ',\n') + line;
        first = false;
      } else pending += line + '\n';
    }
    done += nFiles;
    progress.update(done);
    if (pending.length >= OUTPUT_CHUNK) {
      await write(out, pending);
      pending = '';
    }
  };
  const jobs = Math.max(1, Math.min(opts.jobs ?? 1, Math.floor(files.length / PARALLEL_MIN_FILES)));
  if (jobs > 1) await (await import('./classify-threads.js')).classifyInThreads(files, opts, jobs, (batch) => classifyFiles(batch, opts.format, opts.explain), emit);
  else if (files.length >= PARALLEL_MIN_FILES) {
    // one thread classifies; another reads the files ahead (./classify-reader.ts)
    const ahead = new FileReadAhead(files, readFileReused);
    try {
      for (let i = 0; i < files.length; i++) await emit(classifyRead(files[i], await ahead.take(i), opts.format, opts.explain), 1);
    } finally {
      await ahead.close();
    }
  } else for (const file of files) await emit(classifyFiles([file], opts.format, opts.explain), 1);
  if (opts.format === 'json') pending += first ? ']\n' : '\n]\n';
  if (pending) await write(out, pending);
  progress.end(done);
  for (const m of missing) process.stderr.write(`bounced classify: no such file or directory: ${m}\n`);
  return missing.length ? 1 : 0;
}

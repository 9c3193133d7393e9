// Prints records for the list commands, in the one set of formats every listing command
// takes (--format): `json` (one JSON array), `jsonl` (one JSON object a line, every field) or
// `table` (the named columns, aligned, times as ISO 8601 UTC).
import { Option } from 'commander';

export const LIST_FORMATS = ['json', 'jsonl', 'table'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

/** The --format option of a listing command. */
export function formatOption(defaultFormat: ListFormat = 'table'): Option {
  return new Option('--format <format>', 'output format').choices(LIST_FORMATS).default(defaultFormat);
}

/**
 * Our records keep times as integer ms since the epoch, in fields named `...At` or `...Since`
 * (receivedAt, createdAt, pendingSince). A table shows them as ISO 8601, as people read times.
 */
const TIME_FIELD = /(?:At|Since)$/;

function cell(column: string, v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number' && TIME_FIELD.test(column) && Number.isFinite(v)) return new Date(v).toISOString();
  if (Array.isArray(v)) return v.join(',');
  const s = String(v).replace(/\s+/g, ' ');
  return s.length > 60 ? s.slice(0, 59) + '…' : s;
}

export function printRows(rows: Record<string, unknown>[], format: ListFormat, columns: string[], out: NodeJS.WritableStream = process.stdout): void {
  if (format === 'json') {
    out.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  if (format === 'jsonl') {
    for (const r of rows) out.write(JSON.stringify(r) + '\n');
    return;
  }
  const table = [columns, ...rows.map((r) => columns.map((c) => cell(c, r[c])))];
  const widths = columns.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table) out.write(row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
}

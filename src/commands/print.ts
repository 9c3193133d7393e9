// Prints records for the list commands: JSON lines (every field) or an aligned table
// (the named columns).

function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.join(',');
  const s = String(v).replace(/\s+/g, ' ');
  return s.length > 60 ? s.slice(0, 59) + '…' : s;
}

export function printRows(
  rows: Record<string, unknown>[],
  format: 'jsonl' | 'table',
  columns: string[],
  out: NodeJS.WritableStream = process.stdout,
): void {
  if (format === 'jsonl') {
    for (const r of rows) out.write(JSON.stringify(r) + '\n');
    return;
  }
  const table = [columns, ...rows.map((r) => columns.map((c) => cell(r[c])))];
  const widths = columns.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table) out.write(row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
}

// The WHERE clause of an ESP event listing, shared by both backends (placeholders differ).
import type { EspEventQuery } from './contract.js';

/** Clauses and parameters in order; `ph(i)` writes the i-th placeholder (1-based). */
export function espEventWhere(q: EspEventQuery, ph: (i: number) => string): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (column: string, op: string, v: unknown) => {
    params.push(v);
    clauses.push(`${column} ${op} ${ph(params.length)}`);
  };
  add('id', '>', q.after ?? 0);
  if (q.accountId !== undefined) add('account_id', '=', q.accountId);
  if (q.provider !== undefined) add('provider', '=', q.provider);
  if (q.kind !== undefined) add('kind', '=', q.kind);
  if (q.since !== undefined) add('received_at', '>=', q.since);
  if (q.until !== undefined) add('received_at', '<', q.until);
  return { where: clauses.join(' AND '), params };
}

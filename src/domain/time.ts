// PURE: time as bounced counts it. Timestamps are integer milliseconds since the epoch (UTC);
// days and months are UTC calendar days and months, as the `sends` rows and the monthly
// figures are kept (a sender's month does not depend on where the daemon runs).

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** YYYY-MM-DD (UTC) of an instant. */
export function utcDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** YYYY-MM (UTC) of an instant. */
export function monthOf(t: number): string {
  return new Date(t).toISOString().slice(0, 7);
}

/** YYYY-MM of a YYYY-MM-DD day. */
export function monthOfDay(day: string): string {
  return day.slice(0, 7);
}

export interface MonthRange {
  /** First instant of the month (ms). */
  start: number;
  /** First instant of the next month (ms): the range is [start, end). */
  end: number;
  /** YYYY-MM-DD of the first day. */
  firstDay: string;
  /** YYYY-MM-DD of the first day of the next month. */
  nextFirstDay: string;
}

/** [start, end) of a YYYY-MM month in ms, and its first and next day as YYYY-MM-DD. */
export function monthRange(month: string): MonthRange {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const start = Date.UTC(y, m - 1, 1);
  const end = Date.UTC(y, m, 1);
  return { start, end, firstDay: utcDay(start), nextFirstDay: utcDay(end) };
}

/** True for a well-formed YYYY-MM-DD that names a real day. */
export function isDay(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && utcDay(Date.parse(`${s}T00:00:00Z`) || 0) === s;
}

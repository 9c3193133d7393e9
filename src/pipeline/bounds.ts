// What one message may leave behind in the store, whatever it says: a bounded number of
// records, each with bounded text. PURE. One 47 KB unverified report once made 4,000
// records and grew the database by 189 MB; a 167 KB one made 2.4 GB. With these bounds a
// message costs at most maxRecords x (fields x maxTextChars) besides its own bytes.

export interface OutputLimits {
  /** Verdicts (records and delivery evidence) kept per message. */
  maxRecords: number;
  /** Longest text kept in one field of a record. */
  maxTextChars: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = { maxRecords: 100, maxTextChars: 1_000 };

/**
 * RFC 5322 §2.1.1: a line is at most 998 characters, so a Message-ID longer than that was
 * never a Message-ID; it identifies nothing and is not kept (duplicates are then found by
 * the bytes alone).
 */
export const MAX_MESSAGE_ID_CHARS = 998;

/**
 * Which of a report's `count` verdicts are kept: those for the recipient a verified VERP
 * token names first (they are the account's evidence), then the others in report order,
 * at most `max`. Returns their indexes in that order, and how many were left out.
 */
export function keepVerdicts(count: number, isTokenRecipient: (i: number) => boolean, max: number): { kept: number[]; dropped: number } {
  const first: number[] = [];
  const rest: number[] = [];
  for (let i = 0; i < count; i++) {
    if (isTokenRecipient(i)) {
      if (first.length < max) first.push(i);
    } else if (first.length + rest.length < max) {
      rest.push(i);
    }
  }
  const kept = [...first, ...rest].slice(0, max);
  return { kept, dropped: count - kept.length };
}

/** Text cut to `max` characters (never inside a surrogate pair); `cut` is its length before. */
export function cutText(value: string | null, max: number): { value: string | null; cut: number | null } {
  if (value === null || value.length <= max) return { value, cut: null };
  let end = max;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return { value: value.slice(0, end), cut: value.length };
}

/**
 * Cuts the named text fields of `fields` to `max` characters, in place, and says what was
 * cut in one sentence (null when nothing was).
 */
export function cutFields<T extends object>(fields: T, names: ReadonlyArray<keyof T & string>, max: number): string | null {
  const notes: string[] = [];
  for (const name of names) {
    const v = (fields as Record<string, unknown>)[name];
    if (typeof v !== 'string') continue;
    const { value, cut } = cutText(v, max);
    if (cut === null) continue;
    (fields as Record<string, unknown>)[name] = value;
    notes.push(`${name} cut to ${max} of ${cut} characters`);
  }
  return notes.length ? notes.join('; ') : null;
}

// Text a relay, a gateway or a mail client re-wrapped with hard line breaks (a forward re-flowed
// at 72-80 columns): the lines a break makes start at the margin, without the indentation or the
// mark of the line they come from. Readers use this to take such a line as the rest of the one
// above it (issue #13, round 23: 297 readings of the dev part and fixtures changed at 72 columns).

/** Re-flowing leaves lines of this many characters (a line longer than `max` was not re-flowed). */
const REFLOWED = { min: 60, max: 80 };
/** The narrowest width a re-flow is taken to break at, for the fit test below. */
const WIDTH = 72;

/**
 * Whether `next` may be the rest of a line of `lastLen` characters that a re-flow broke: that
 * line is as long as re-flowing leaves them, or shorter only because `next`'s first word (a long
 * web address, a long Message-ID) would not have fitted on it. Never past a longer line: an MTA's
 * own long line (Sendmail's "<a@b>... Deferred: ...") is followed by a line of its own.
 */
export function continuesReflowed(lastLen: number, next: string): boolean {
  if (lastLen > REFLOWED.max) return false;
  return lastLen >= REFLOWED.min || lastLen + 1 + /^\s*(\S*)/.exec(next)![1].length > WIDTH;
}

// A report quoted in an inline forward ("> " before every line, the quote marks mail clients
// write, RFC 3676 §4.5): its lines read without the marks. A block under a reply attribution
// ("On <date>, <name> wrote:") is the message replied to and keeps its marks: the readers stop
// there (detectors/fallback.ts).

/**
 * A mail client's reply attribution ("On <date>, <name> <address> wrote:", and the same line
 * of the clients' other languages). Plain string tests on one trimmed line: the line opens with
 * the word the language's template opens with and ends with its verb and a colon.
 */
const ATTRIBUTIONS: readonly { open: string; verb: string }[] = [
  { open: 'on ', verb: ' wrote' }, // English (Gmail, Apple Mail, Thunderbird)
  { open: 'le ', verb: ' a \u00e9crit' }, // French
  { open: 'am ', verb: ' schrieb' }, // German ("Am <date> schrieb <name>:": the verb inside)
  { open: 'el ', verb: ' escribi\u00f3' }, // Spanish
  { open: 'op ', verb: ' schreef' }, // Dutch (the verb inside, as in German)
  { open: 'em ', verb: ' escreveu' }, // Portuguese
  { open: 'il ', verb: ' ha scritto' }, // Italian
];

/** Whether the line (at most 300 characters, itself perhaps quoted: "> On ... wrote:") is a reply attribution. */
export function isAttribution(line: string): boolean {
  // (the colon first, before any copy is made: most lines do not end in one; taking the quote
  // marks and the case off leaves the last character as it is)
  if (line.length > 300 || !line.trimEnd().endsWith(':')) return false;
  const t = line.replace(/^[\s>]+/, '').trimEnd().toLowerCase();
  const body = t.slice(0, -1).trimEnd();
  return ATTRIBUTIONS.some((a) => body.startsWith(a.open) && body.includes(a.verb));
}

/** Quote levels taken off at most (a forward of a forward of a forward). */
const MAX_LEVELS = 3;
/** Lines a quoted block must have: fewer is a quoted line or two inside prose, left alone. */
const MIN_QUOTED = 3;

/**
 * The text with the quote marks of each quoted block taken off: a run of consecutive lines that
 * all open with ">", of which at least MIN_QUOTED, and at least half, are quote lines proper
 * (">" alone or "> " and text). A Sendmail transcript's ">>> RCPT To:<a>" opens with ">" too,
 * but with ">>" and then a command, and never runs alone for long: it is no quote line, so a
 * transcript that is not itself quoted is never touched. One level a pass, at most MAX_LEVELS;
 * linear in the text. Lines outside quoted blocks (the forwarder's own words) stay as they are.
 */
export function unquoteBlocks(text: string): string {
  let out = text;
  for (let level = 0; level < MAX_LEVELS; level++) {
    const next = unquoteOnce(out);
    if (next === out) break;
    out = next;
  }
  return out;
}

function unquoteOnce(text: string): string {
  if (!text.includes('\n>') && !text.startsWith('>')) return text;
  const lines = text.split('\n');
  let changed = false;
  for (let i = 0; i < lines.length; ) {
    if (!lines[i].startsWith('>')) {
      i++;
      continue;
    }
    let end = i;
    let proper = 0;
    while (end < lines.length && lines[end].startsWith('>')) {
      if (isQuoteLine(lines[end])) proper++;
      end++;
    }
    const run = end - i;
    if (proper >= MIN_QUOTED && proper * 2 >= run && !attributed(lines, i)) {
      for (let k = i; k < end; k++) lines[k] = lines[k].charCodeAt(1) === 32 ? lines[k].slice(2) : lines[k].slice(1);
      changed = true;
    }
    i = end;
  }
  return changed ? lines.join('\n') : text;
}

/** The quoted block at `start` stands under a reply attribution (one blank line may stand between). */
function attributed(lines: readonly string[], start: number): boolean {
  for (let k = start - 1; k >= 0 && k >= start - 2; k--) {
    if (lines[k].trim() === '') continue;
    return isAttribution(lines[k]);
  }
  return false;
}

/**
 * ">" alone, "> " then anything, or ">> " (a second level written without the blank): how
 * clients quote a line. Not ">>> DATA" (a transcript's command).
 */
function isQuoteLine(line: string): boolean {
  return line.length === 1 || line.charCodeAt(1) === 32 || (line.charCodeAt(1) === 62 && line.charCodeAt(2) === 32);
}

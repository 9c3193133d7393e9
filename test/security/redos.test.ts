// Every regular expression the code runs is checked for super-linear backtracking (ReDoS), with
// recheck (automaton analysis, then fuzzing): V8's irregexp backtracks, and one slow regex over a
// stranger's message holds the thread that commits intake (issue #20). A regex recheck calls
// vulnerable, or cannot decide, fails the test unless it is in ALLOWED below, which names its
// file, the bound its input has in the calling code, and why that bound holds.
//
// Speed: the automaton checker first (fast, and exact when it answers), with a short timeout;
// the regexes it cannot decide in that time go to the fuzz checker. Allow-listed regexes are
// not checked again. The classifier's compiled
// tables (1,300+ regexes of one restricted form: escaped literals, \b, bounded lazy gaps) are
// decided by the automaton checker alone, which answers each in milliseconds.
// recheck picks its backend itself (RECHECK_BACKEND: auto = the native binary of the optional
// dependency when installed, else the JVM jar, else pure JS); results are the same, only the
// time differs.
import { check, type Diagnostics } from 'recheck';
import { describe, expect, it } from 'vitest';
import { collectRegexes, type Collection, type FoundRegex } from './regexes.js';

interface Allowed {
  /** The file the regex is written in (or the builder's name, for compiled ones). */
  file: string;
  source: string;
  /** The most characters the calling code lets the regex read, and where that limit is set. */
  bound: string;
  why: string;
  /** `source` is the beginning of the regex's source only (a long table alternation). */
  prefix?: boolean;
}

// Regexes recheck flags whose cost the calling code keeps linear or bounded. Each was run with
// recheck's attack string at doubling lengths (the growth is real at the regex level: ratio
// about 4 per doubling unless said otherwise) and the bound checked in the code.
const ALLOWED: Allowed[] = [
  {
    file: 'src/classifier/index.ts',
    source: String.raw`(?:^|\s)([45]\d\d)[ -]([45]\.\d{1,3}\.\d{1,3}) ([^]{0,1000}?):? retry timeout exceeded$`,
    bound: '1,200 characters: beforeExpiryNote runs it on t.slice(-1200) of a rule text cut at 1,500 (ruleText)',
    why: 'a constant worst case at that length',
  },
  {
    file: 'src/classifier/phrase.ts',
    source: String.raw`\s*\*\s*`,
    bound: 'our own phrase tables (exampleOf): never a message',
    why: 'runs on the wordings of src/classifier tables, written by us',
  },
  {
    file: 'src/classifier/phrase.ts',
    source: String.raw`^-+|-+$`,
    bound: 'our own phrase tables (slug): never a message',
    why: 'runs on the wordings of src/classifier tables, written by us',
  },
  {
    file: 'src/policy/service.ts',
    source: String.raw`\/+$`,
    bound: 'the configured http.publicUrl',
    why: 'set by the operator, never by a sender',
  },
  {
    file: 'src/esp/sendgrid.ts',
    source: String.raw`\.filter.*$`,
    bound: '256 characters: str(e.sg_message_id, limits.maxIdChars) returns null for a longer id (src/esp/json.ts)',
    why: 'a constant worst case at that length',
  },
  {
    file: 'src/parser/mime/content-type.ts',
    source: String.raw`\*.*$`,
    bound: 'linear here: the key is a match of [^\\s=;]+ (no white space), so it holds no line terminator',
    why: 'without a line terminator the first "*" matches to the end: one pass (the attack needs a "\\n")',
  },
  {
    file: 'src/parser/detectors/rfc3464.ts',
    source: String.raw`[^a-z].*$`,
    bound: 'linear here: parseAction reads a field value made one line by oneLine (every white-space run one space)',
    why: 'without a line terminator the first non-letter matches to the end: one pass',
  },
  {
    file: 'src/parser/detectors/rfc3464.ts',
    source: String.raw`^([A-Za-z0-9][\w.+-]*)[ \t]*;[ \t]*(.*)$`,
    bound: 'linear here: the value is made one line by oneLine (parseField)',
    why: 'blank runs are one space and (.*)$ always reaches the end: no split to try',
  },
  {
    file: 'src/parser/detectors/einsundeins.ts',
    source: String.raw`\breason:[ \t]*(\S.*)$`,
    bound: 'linear here: `own` is oneLine(...) of the block',
    why: 'no line terminator, so the first "reason:" followed by a character matches to the end',
  },
  {
    file: 'src/parser/detectors/gmail.ts',
    source: String.raw`The error that the other server re(?:-[ \t]*\n?[ \t]*)?turned was[ \t]*:?`,
    bound: 'linear here: `body` is oneLine(...) of the details',
    why: 'every blank run is one space and there is no "\\n": the two [ \\t]* runs hold one character',
  },
  {
    file: 'src/parser/detectors/rfc3464.ts',
    source: String.raw`(?<!-)-{3,}[ \t]*[A-Za-z][^\n-]{0,80}?[ \t]*-{3,}`,
    bound: 'the lazy gap is at most 80 characters; the look-behind starts one attempt per run of dashes',
    why: 'measured with the attack: x2.0, x2.4, x1.8 per doubling to 64 kB (linear, constant about 80)',
  },
  {
    file: 'src/parser/detectors/exchange2003.ts',
    source: String.raw`\bSMTP[:=]([^\s<>"()@]{1,256}@[^\s<>"()]{1,256}?)[>)]?[ \t]+on[ \t]+\S`,
    bound: 'each attempt reads at most about 520 characters (two {1,256} runs)',
    why: 'recheck counts the bounded repeats as a degree; measured with its attack: x2.4, x1.8 per doubling to 80 kB',
  },
  {
    file: 'src/parser/detectors/exchange2007.ts',
    source: String.raw`^[ \t]*(?:[\w.-]{1,255}[ \t]+(?=#[245]))?(?:#?[245]\d\d[ -]|#[245]\.\d|Remote Server returned '|.{0,80}\bServer at .{1,255} returned ')`,
    bound: 'one anchored attempt per line; past the leading blanks every repeat is bounded (255, 80)',
    why: 'measured with recheck\'s attack: x2.0, x1.1 per doubling to 16 kB',
  },
  {
    file: 'src/parser/detectors/fallback.ts',
    source: String.raw`^[\s>*+#|\u2022\u00b7-]*(?:"[^"\n]{1,80}"|[^\s<>@"():;,]{1,40}(?:[ \t][^\s<>@"():;,]{1,40}){0,4})[ \t]*[<(]$`,
    bound: 'one anchored attempt per lead; past the leading marks every repeat is bounded (80, 40 x 5)',
    why: 'measured with recheck\'s attack: x2.0 per doubling to 12 kB (then noise)',
  },
  {
    file: 'src/parser/smtp-text.ts',
    source: String.raw`^[ \t]*>>>[ \t]*RCPT TO:[ \t]*<([^<>\r\n]{1,320})>[^\r\n]*\r?\n[ \t]*<<<[ \t]*[45]\d\d(?![0-9])`,
    bound: 'transcriptRefusedRcpts, measured on its path with recheck\'s attack: x1.7, x1.7, x2.0 per doubling',
    why: 'linear on its path; test/parser/linear.test.ts also grows it with long unanswered lines',
  },
  // ---- too large for recheck's automaton checker (over a minute) and undecided by its fuzzer
  // in MS_FUZZ: decided by their structure, and grown with adversarial inputs on their path
  // (test/parser/linear.test.ts, "regexes recheck could not decide"; slopes as measured there)
  {
    file: 'parser table FAILURE_PREDICATES',
    source: '',
    prefix: true,
    bound: 'linear: a top-level alternation of the table\'s entries backtracks, at each start, through each entry in turn and no more, so it costs at most what its entries cost together; each entry is checked alone ("parser table FAILURE_PREDICATES entry k", the automaton checker\'s answer required below)',
    why: 'near misses of every entry on many lines: slope 0.74; a long word run in the one unbounded-looking entry ({1,255} now): 0.24',
  },
  {
    file: 'parser table LIST_HEADINGS',
    source: '',
    prefix: true,
    bound: 'linear: a top-level alternation of its entries, each checked alone ("parser table LIST_HEADINGS entry k", automaton checker) as for FAILURE_PREDICATES',
    why: 'near misses of every entry on many lines: slope 0.74',
  },
  {
    file: 'src/parser/detectors/exim.ts',
    source: String.raw`(?:SMTP|LMTP) error from remote (?:mail server|mailer)? ?aft`,
    prefix: true,
    bound: 'linear, at most about 80 steps a character: an attempt starts only at the literal "SMTP|LMTP error from remote" / "LMTP error after"; its unbounded runs stop at the next ":" (the parameters after MAIL FROM:<...>, [A-Z]+ words) or the next "<" / ">" (the address), and each of their positions is retried against the bounded gap [^:]{0,80} only; splitLeadIn runs it on one Exim block of a text cut at 100,000 characters',
    why: 'adversarial inputs on its path: parameters without a colon 0.94, a long capital run 0.94, an unclosed address 0.77, many near-miss lead-ins 0.75',
  },
  {
    file: 'src/parser/mime/inline-original.ts',
    source: String.raw`^[ \t>|*=_-]*(?:this is a copy of the message|below this lin`,
    prefix: true,
    bound: 'linear, at most about 50 steps a character: multi-line, anchored at each line start; the leading run of marks is retried against the phrases (literals, each failing at its first letter on a mark), and the one gap [^\n]{0,40} against the trailing run of marks to the end of the line; the (?! details) look-ahead (what the automaton checker does not support) reads 8 characters',
    why: 'adversarial inputs on its path (readMail): a long trailing run of marks 0.91, a long leading run 0.52, many near-miss lines 0.88',
  },
];

const MS_AUTOMATON = 1_000;
const MS_FUZZ = 10_000;

interface Result {
  regex: FoundRegex;
  diag: Diagnostics;
}

const fileOf = (r: FoundRegex) => (r.kind === 'literal' ? r.where.replace(/:\d+$/, '') : r.where);
const names = (a: Allowed, r: FoundRegex) => a.file === fileOf(r) && (a.prefix ? r.source.startsWith(a.source) : a.source === r.source);

// The fuzz checker's own clocks (a match that runs past attackTimeout counts as an attack that
// worked) make its answer depend on the machine's load; without them it counts steps instead
// (incubationLimit, attackLimit): the same answer on any machine. Only the overall timeout is
// a clock, and it can only turn an answer into "unknown".
const FUZZ_STEPS_ONLY = { incubationTimeout: null, attackTimeout: null, seedingTimeout: null } as const;

/**
 * The entries of the parser tables decide their tables (ALLOWED): the automaton checker's exact
 * answer is required for them, with more time (one took about 2 s on a loaded machine).
 */
const MS_AUTOMATON_ENTRY = 30_000;
const isTableEntry = (r: FoundRegex) => /^parser table \w+ entry \d+$/.test(r.where);

async function checkOne(r: FoundRegex, automatonOnly: boolean): Promise<Diagnostics> {
  if (isTableEntry(r)) return patiently((timeout) => check(r.source, r.flags, { checker: 'automaton', timeout }), MS_AUTOMATON_ENTRY);
  const first = await check(r.source, r.flags, { checker: 'automaton', timeout: MS_AUTOMATON });
  if (first.status !== 'unknown' || automatonOnly) return first;
  return patiently((timeout) => check(r.source, r.flags, { checker: 'fuzz', timeout, ...FUZZ_STEPS_ONLY }), MS_FUZZ);
}

/**
 * A check that ran out of its overall time says nothing about the regex, only about the machine
 * (the fuzz checker counts steps, not time: its answer is the same on any machine once it has
 * one). On a loaded machine (CI runs every test file at once on two cores) two of Exim's
 * regexes came back "unknown: timeout" at 10 s: such a check is asked once more with four times
 * the time before it counts.
 */
async function patiently(run: (timeout: number) => Promise<Diagnostics>, timeout: number): Promise<Diagnostics> {
  const first = await run(timeout);
  return first.status === 'unknown' && first.error.kind === 'timeout' ? run(timeout * 4) : first;
}

function describeFlagged(x: Result): string {
  const d = x.diag;
  const why = d.status === 'vulnerable' ? `${d.complexity.summary}; attack ${d.attack.pattern.slice(0, 120)}` : `unknown: ${d.status === 'unknown' ? d.error.kind : ''}`;
  return `${x.regex.where} /${x.regex.source}/${x.regex.flags}: ${why}`;
}

describe('no regular expression backtracks super-linearly', () => {
  let collection: Collection;
  const results: Result[] = [];

  it('every non-literal RegExp site has a builder that yields what it builds', async () => {
    collection = await collectRegexes();
    expect(collection.uncovered.map((s) => `${s.where}: ${s.call}`)).toEqual([]);
    // the collection is not empty by accident (a moved dist/, a parser that finds nothing)
    expect(collection.literals.length).toBeGreaterThan(300);
    expect(collection.compiled.length).toBeGreaterThan(1_000);
  });

  it('recheck finds no vulnerable regex outside the allow-list', { timeout: 600_000 }, async () => {
    const t0 = Date.now();
    // the allow-listed ones were decided by hand: not checked again (they are the slow ones)
    const queue = [...collection.literals, ...collection.compiled].filter((r) => !ALLOWED.some((a) => names(a, r)));
    // two at a time: the native and JVM backends answer in a process of their own
    const worker = async () => {
      for (let r = queue.shift(); r; r = queue.shift()) results.push({ regex: r, diag: await checkOne(r, r.where.startsWith('classifier ')) });
    };
    await Promise.all([worker(), worker()]);
    const flagged = results.filter((x) => x.diag.status !== 'safe');
    if (process.env.REDOS_REPORT) {
      console.log(`${results.length} regexes checked (${collection.literals.length} literal, ${collection.compiled.length} compiled, ${ALLOWED.length} allowed) in ${Date.now() - t0} ms`);
      for (const x of flagged) console.log(describeFlagged(x));
    }
    expect(flagged.map(describeFlagged)).toEqual([]);
  });

  it('a table allowed whole has every entry decided safe by the automaton checker', () => {
    const tables = ALLOWED.filter((a) => a.file.startsWith('parser table '));
    expect(tables.length).toBe(2);
    for (const t of tables) {
      const entries = results.filter((x) => x.regex.where.startsWith(`${t.file} entry `));
      // (an entry's flags are its table's; its source is the entry in a group)
      expect(entries.length, t.file).toBeGreaterThan(3);
      expect(entries.filter((x) => x.diag.status !== 'safe' || x.diag.checker !== 'automaton').map(describeFlagged), t.file).toEqual([]);
    }
  });

  it('every allow-list entry still names a regex of the code (a removed one leaves the list)', () => {
    // (a regex that now checks safe may stay: the fuzz checker's answer can vary with the
    // machine's speed; one that is gone from the code may not)
    const all = [...collection.literals, ...collection.compiled];
    const stale = ALLOWED.filter((a) => !all.some((r) => names(a, r)));
    expect(stale.map((a) => `${a.file} /${a.source}/`)).toEqual([]);
  });
});

// Phrase tables and the matchers compiled from them at module load. PURE.
//
// A phrase is the wording a server writes, in lower case, one entry per wording, with where it
// comes from (`source`). A table's phrases all mean one thing (one reason); the table compiles
// to ONE regular expression: an alternation of escaped literals with their common beginnings
// shared (a trie), then an anchored pass names the entry that matched. `*` in a phrase is a gap of at most GAP characters, compiled
// as a bounded lazy `.{0,GAP}?`: no nested quantifier, no unbounded run, so a match costs at most
// (text length x phrases x GAP) steps whatever a stranger sends.
//
// Matching runs over normalised text (normaliseText): lower case, typographic quotes made
// plain, every run of white space one space, accents dropped. A phrase starting or ending with a
// word character is anchored there on a word boundary ("spf" does not fire inside "despf").

/** One wording of one table. */
export interface Phrase {
  /** Lower-case wording; `*` stands for a gap of at most GAP characters. */
  text: string;
  /**
   * Why this wording means the table's reason: an RFC section, a provider's published reply
   * reference (its title or address), or the MTA families it is seen from (two or more).
   */
  source: string;
  /** A reply that must fire this entry (tests). Default: the text with each `*` as `x`. */
  example?: string;
}

/** Gap allowed by a `*` of a phrase, in characters. */
export const GAP = 40;

/** Shorthand for a table entry: p('mailbox is full', 'seen: Sendmail, qmail'). */
export function p(text: string, source: string, example?: string): Phrase {
  return example === undefined ? { text, source } : { text, source, example };
}

const NON_ASCII = /[^ -~\t\n\r]/;
const COMBINING_MARKS = /[\u0300-\u036f]/g;
/** The quotes normaliseText makes plain. */
const QUOTES = /[\u2018\u2019\u0060\u00b4\u201c\u201d]/;
/** White space that `\s+` -> ' ' changes: a run of two, or one that is not a plain space. */
const UNCOLLAPSED_SPACE = /\s\s|[^\S ]/;

/**
 * Lower case, plain quotes, single spaces, Latin letters without their accents: the text every
 * phrase is matched against. Servers write the same words with and without accents ("Boîte du
 * destinataire pleine", "Boite ..."; "Buzón", "buzon") and the tables are mostly written
 * without: a letter and its accent are one letter here, on both sides (the phrases are
 * normalised by this function too). Only the combining accents of canonical decomposition go;
 * other scripts keep their letters (a Japanese voiced mark stays, as a separate character).
 */
export function normaliseText(s: string): string {
  let t = s.toLowerCase();
  // (each replace only when it has something to do: most replies have no typographic quote and
  // single spaces, and a replace copies the text)
  if (QUOTES.test(t)) t = t.replace(/[\u2018\u2019\u0060\u00b4]/g, "'").replace(/[\u201c\u201d]/g, '"');
  if (UNCOLLAPSED_SPACE.test(t)) t = t.replace(/\s+/g, ' ');
  t = sameWords(t);
  return NON_ASCII.test(t) ? t.normalize('NFD').replace(COMBINING_MARKS, '') : t;
}

/**
 * One spelling for the words servers write two ways: a negation contracted or not ("doesn't" /
 * "does not", "can't" / "cannot" / "can not", "won't" / "will not"), "e-mail" / "email", "mail
 * box" / "mail-box" / "mailbox". The same server family words the same refusal both ways across
 * versions and configurations ("The email account that you tried to reach does not exist",
 * "...doesn't exist"; "e-mail address", "email address"), and a table holds one of them: on
 * both sides of a match (phrases and text) they are one wording. Each is one fixed pattern, no
 * backtracking.
 */
function sameWords(t: string): string {
  if (t.includes("'t")) t = t.replace(/\bcan't\b/g, 'cannot').replace(/\bwon't\b/g, 'will not').replace(/n't\b/g, ' not');
  if (t.includes('can not')) t = t.replace(/\bcan not\b/g, 'cannot');
  if (t.includes('e-mail')) t = t.replace(/\be-mail/g, 'email');
  if (t.includes('mail box') || t.includes('mail-box')) t = t.replace(/\bmail[ -]box/g, 'mailbox');
  return t;
}

const isWordChar = (c: string): boolean => /\w/.test(c);
const SPECIAL = new Set('.*+?^${}()|[]\\/');
const escape = (c: string): string => (SPECIAL.has(c) ? '\\' + c : c);

/** The regex atoms of one phrase: `\\b` at word edges, one escaped character each, bounded gaps. */
function phraseAtoms(text: string): string[] {
  const t = normaliseText(text).trim();
  const atoms: string[] = [];
  if (isWordChar(t[0] ?? '')) atoms.push('\\b');
  t.split('*').map((x) => x.trim()).forEach((part, i) => {
    if (i > 0) atoms.push(`.{0,${GAP}}?`);
    for (const c of part) atoms.push(escape(c));
  });
  if (isWordChar(t[t.length - 1] ?? '')) atoms.push('\\b');
  return atoms;
}

/**
 * The character a match of the phrase must start with, or null when it can start with any (a
 * phrase opening with a gap). The first atom after a leading `\\b` is that character, escaped
 * when special (phraseAtoms).
 */
function firstChar(text: string): number | null {
  const atoms = phraseAtoms(text);
  const a = atoms[0] === '\\b' ? atoms[1] : atoms[0];
  if (a === undefined || a.startsWith('.{')) return null;
  return (a.length === 2 && a[0] === '\\' ? a[1] : a).charCodeAt(0);
}

/** The regex source of one phrase: escaped literals, bounded gaps, word boundaries at the ends. */
export function phraseSource(text: string): string {
  return phraseAtoms(text).join('');
}

/**
 * One regex source for a set of phrases, their common beginnings shared ("user (?:unknown|not
 * found)"): the engine tests each first character once per position instead of once per phrase.
 * It finds the same leftmost position as the flat alternation; which entry is then named by the
 * anchored pass of compilePhrases. Built by grouping the atom lists on their k-th atom.
 */
function trieSource(phrases: readonly Phrase[]): string {
  const lists = phrases.map((ph) => phraseAtoms(ph.text));
  const emit = (group: string[][], k: number): string => {
    // a shorter phrase ends here: whatever the longer ones add, the shorter one already matched
    if (group.some((l) => l.length === k)) return '';
    const byAtom = new Map<string, string[][]>();
    for (const l of group) {
      const g = byAtom.get(l[k]);
      if (g) g.push(l);
      else byAtom.set(l[k], [l]);
    }
    const alts: string[] = [];
    for (const [atom, g] of byAtom) alts.push(atom + emit(g, k + 1));
    return alts.length === 1 ? alts[0] : `(?:${alts.join('|')})`;
  };
  return emit(lists, 0);
}

/** The key of a table's prebuilt source: its wordings, one a line (all trieSource reads). */
const keyOf = (phrases: readonly Phrase[]): string => phrases.map((ph) => ph.text).join('\n');

/**
 * Regex sources computed at build time from these very wordings, by trieSource itself: the
 * single-file build of `bounced classify` (scripts/bundle-classify.mjs) puts them here, as
 * building them is most of what classifying one file costs (issue #20). Keyed by the wordings,
 * so a table edited since is simply not found and built here; null outside that build.
 */
const PREBUILT_SOURCES = null as ReadonlyMap<string, string> | null;

const sourceOf = (phrases: readonly Phrase[]): string => PREBUILT_SOURCES?.get(keyOf(phrases)) ?? trieSource(phrases);

/** Every table compiled in this process (the build's list for PREBUILT_SOURCES). */
const compiledTables: (readonly Phrase[])[] = [];

/** The key and regex source of every table compiled so far (scripts/bundle-classify.mjs). */
export function compiledSources(): [string, string][] {
  return compiledTables.map((phrases) => [keyOf(phrases), trieSource(phrases)]);
}

/** A compiled table: which entry matched and the text it matched, or null. */
export interface PhraseMatcher {
  readonly phrases: readonly Phrase[];
  /** Does any entry occur in the text? (one pass, no entry named) */
  test(normalised: string): boolean;
  match(normalised: string): { phrase: Phrase; index: number; text: string } | null;
}

/** Compiles a list of phrases into one matcher (one regex, one group per entry). */
export function compilePhrases(phrases: readonly Phrase[]): PhraseMatcher {
  if (!phrases.length) return { phrases, test: () => false, match: () => null };
  for (const ph of phrases) {
    if (ph.text !== ph.text.toLowerCase()) throw new Error(`phrase not in lower case: ${ph.text}`);
    if (!ph.text.replace(/\*/g, '').trim()) throw new Error('empty phrase');
    if (!ph.source.trim()) throw new Error(`phrase without a source: ${ph.text}`);
  }
  // one alternation without groups finds whether (and where) any entry matches; only then is
  // the entry found, by trying each one anchored (sticky) at that position, in table order:
  // the same answer the alternation gave, without the cost of a capture group per entry.
  // Both are built on first use, not at load: `bounced classify` on one file reads a few
  // tables, and building every table's source cost most of its start-up (issue #20).
  compiledTables.push(phrases);
  let any: RegExp | null = null;
  let each: RegExp[] | null = null; // built on the first hit: most tables never hit in a run
  // the character each entry's match starts with (null: any): the entries that cannot start
  // at the hit are passed over without running their regex
  let first: (number | null)[] | null = null;
  return {
    phrases,
    test: (normalised) => (any ??= new RegExp(sourceOf(phrases))).test(normalised),
    match(normalised) {
      const m = (any ??= new RegExp(sourceOf(phrases))).exec(normalised);
      if (!m) return null;
      each ??= phrases.map((ph) => new RegExp(phraseSource(ph.text), 'y'));
      first ??= phrases.map((ph) => firstChar(ph.text));
      const at = normalised.charCodeAt(m.index);
      for (let i = 0; i < each.length; i++) {
        const c = first[i];
        if (c !== null && c !== at) continue;
        each[i].lastIndex = m.index;
        const e = each[i].exec(normalised);
        if (e) return { phrase: phrases[i], index: i, text: e[0] };
      }
      return { phrase: phrases[0], index: 0, text: m[0] }; // unreachable: `any` is the union of `each`
    },
  };
}

/**
 * Several lists at once: which of them have an entry occurring anywhere in the text, or null when
 * no entry of any list does. Exact, and cheaper than a matcher per list when most lists miss:
 * one alternation of every entry finds each position where some entry starts (searched again
 * from the next character, so that entries starting inside another's match are found too), and
 * at each such position only the entries beginning with its character are tried there. (The
 * provider rules: a reply that carries one provider wording ran the matcher of every rule until
 * one hit, about a hundred passes over the text; issue #20.)
 */
export function compilePhraseLists(lists: readonly (readonly Phrase[])[]): (normalised: string) => boolean[] | null {
  const all = lists.flat();
  const owner = lists.flatMap((l, i) => l.map(() => i));
  if (!all.length) return () => null;
  compiledTables.push(all);
  let any: RegExp | null = null;
  let each: RegExp[] | null = null;
  let first: (number | null)[] | null = null;
  return (normalised) => {
    any ??= new RegExp(sourceOf(all), 'g');
    any.lastIndex = 0;
    let m = any.exec(normalised);
    if (!m) return null;
    each ??= all.map((ph) => new RegExp(phraseSource(ph.text), 'y'));
    first ??= all.map((ph) => firstChar(ph.text));
    const hit = new Array<boolean>(lists.length).fill(false);
    while (m) {
      const at = m.index;
      const c = normalised.charCodeAt(at);
      for (let i = 0; i < each.length; i++) {
        const f = first[i];
        if (hit[owner[i]] || (f !== null && f !== c)) continue;
        each[i].lastIndex = at;
        if (each[i].test(normalised)) hit[owner[i]] = true;
      }
      any.lastIndex = at + 1;
      m = any.exec(normalised);
    }
    return hit;
  };
}

/** The example text of an entry (its own, else the wording with each gap filled by `x`). */
export function exampleOf(ph: Phrase): string {
  return ph.example ?? ph.text.replace(/\s*\*\s*/g, ' x ');
}

/** A stable id for an entry within its table: its words joined by dashes (`mailbox-is-full`). */
export function slug(text: string): string {
  return text.replace(/\*/g, ' ').replace(/[^a-z0-9\u00c0-\uffff]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'x';
}

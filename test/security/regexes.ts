// Every regular expression the code can run, for the ReDoS check (test/security/redos.test.ts,
// scripts/redos-check.mjs). Three kinds:
//
//   literal   a regex literal, or `new RegExp` / `RegExp` with literal arguments, in src/**/*.ts,
//             found with the TypeScript compiler's own parser (a regex over the source would
//             miss or invent some: regex-like text in strings and comments, `/` as division);
//   compiled  the matchers the phrase tables compile to at load time, read from dist/ (what
//             the daemon runs): the classifier's one-regex-per-table tries and the sticky
//             per-phrase regexes (src/classifier/phrase.ts), the parser's table alternations
//             (src/parser/phrases.ts compile()) and the other regexes built from tables;
//   dynamic   a `new RegExp` whose arguments are not literal. Each must have a builder below
//             (DYNAMIC_BUILDERS, keyed by file and the call's text) that yields the regexes it
//             can produce, else the site is reported as not covered and the test fails.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

export interface FoundRegex {
  kind: 'literal' | 'compiled';
  /** Where it is written or built: `src/file.ts:line`, or the builder's name. */
  where: string;
  source: string;
  flags: string;
  /** The constant a literal initialises (`const NAME = /.../`), if any. */
  constant?: string;
}

export interface DynamicSite {
  where: string;
  /** The constructor call's text, as written. */
  call: string;
  /** The constant it initialises (`const NAME = new RegExp(...)`), if any. */
  constant?: string;
}

const ROOT = join(import.meta.dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The value of a literal argument, or undefined when it is not one. */
function literalText(node: ts.Expression): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  // String.raw`...` without substitutions: the raw text is the value
  if (ts.isTaggedTemplateExpression(node) && ts.isNoSubstitutionTemplateLiteral(node.template) && node.tag.getText() === 'String.raw') {
    return node.template.rawText ?? node.template.text;
  }
  return undefined;
}

/** Regex literals and literal `RegExp(...)` calls in src/, and the non-literal calls. */
export function sourceRegexes(root = ROOT): { literals: FoundRegex[]; dynamic: DynamicSite[] } {
  return fileRegexes(tsFiles(join(root, 'src')), root);
}

/**
 * The same for the given files (TypeScript, or JavaScript such as an installed package's
 * sources: test/security/redos-deps.test.ts); `where` is relative to `root`.
 */
export function fileRegexes(files: readonly string[], root = ROOT): { literals: FoundRegex[]; dynamic: DynamicSite[] } {
  const literals: FoundRegex[] = [];
  const dynamic: DynamicSite[] = [];
  for (const file of files) {
    const rel = relative(root, file);
    const kind = /\.[cm]?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, kind);
    const where = (n: ts.Node) => `${rel}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
    const visit = (node: ts.Node): void => {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const text = (node as ts.RegularExpressionLiteral).text;
        const end = text.lastIndexOf('/');
        const decl = node.parent;
        const constant = ts.isVariableDeclaration(decl) && ts.isIdentifier(decl.name) ? decl.name.text : undefined;
        literals.push({ kind: 'literal', where: where(node), source: text.slice(1, end), flags: text.slice(end + 1), ...(constant ? { constant } : {}) });
      } else if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && node.expression.text === 'RegExp') {
        const args = node.arguments ?? [];
        const src = args[0] && literalText(args[0]);
        const flags = args[1] ? literalText(args[1]) : '';
        if (src !== undefined && flags !== undefined) literals.push({ kind: 'literal', where: where(node), source: src, flags });
        else {
          const decl = node.parent;
          const constant = ts.isVariableDeclaration(decl) && ts.isIdentifier(decl.name) ? decl.name.text : undefined;
          dynamic.push({ where: where(node), call: node.getText(sf), ...(constant ? { constant } : {}) });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { literals, dynamic };
}

const dist = (p: string) => import(pathToFileURL(join(ROOT, 'dist', p)).href);

/**
 * The builders of the non-literal `new RegExp` sites: each key is `<file>|<call text>` and yields
 * every regex the site builds. A new site, or an edited call, has no builder: the test says so.
 */
type Builder = () => Promise<FoundRegex[]>;

const compiled = (where: string, source: string, flags: string): FoundRegex => ({ kind: 'compiled', where, source, flags });

/** The classifier's phrase tables, as src/classifier/phrase.ts compiles them at load. */
async function classifierTables(): Promise<FoundRegex[]> {
  await dist('classifier/rules.js'); // compiles every table at its load
  const phrase = await dist('classifier/phrase.js');
  const out: FoundRegex[] = [];
  const seen = new Set<string>();
  for (const [key, source] of phrase.compiledSources() as [string, string][]) {
    const words = key.split('\n');
    // the table's one regex (test / the first pass of match): flags '' as in compilePhrases
    out.push(compiled(`classifier table "${words[0]}" (+${words.length - 1})`, source, ''));
    // then one sticky regex per entry (the anchored pass that names the entry)
    for (const w of words) {
      const s = phrase.phraseSource(w) as string;
      if (seen.has(s)) continue;
      seen.add(s);
      out.push(compiled(`classifier phrase "${w}"`, s, 'y'));
    }
  }
  return out;
}

/** The parser's phrase tables (src/parser/phrases.ts), compiled as the detectors compile them. */
async function parserTables(): Promise<FoundRegex[]> {
  const m = await dist('parser/phrases.js');
  const out: FoundRegex[] = [];
  for (const [name, value] of Object.entries(m)) {
    if (!Array.isArray(value) || !value.every((e) => typeof e?.re === 'string')) continue;
    const re = m.compile(value) as RegExp; // every call site uses the default flags ('i')
    out.push(compiled(`parser table ${name}`, re.source, re.flags));
    // and each entry alone: the table's regex is their top-level alternation, which backtracks
    // at most as much as its alternatives together (redos.test.ts decides a large table so)
    value.forEach((e: { re: string }, k: number) => out.push(compiled(`parser table ${name} entry ${k + 1}`, `(?:${e.re})`, re.flags)));
  }
  return out;
}

export const DYNAMIC_BUILDERS: Record<string, Builder> = {
  'src/parser/phrases.ts|new RegExp(table.map((p) => `(?:${p.re})`).join(\'|\'), flags)': parserTables,
  'src/classifier/phrase.ts|new RegExp(sourceOf(phrases))': classifierTables,
  // compilePhraseLists' one alternation of many lists (registered in compiledSources as a table
  // of its own); 'g' only moves where each exec starts, not how one backtracks
  'src/classifier/phrase.ts|new RegExp(sourceOf(all), \'g\')': classifierTables,
  'src/classifier/phrase.ts|new RegExp(phraseSource(ph.text), \'y\')': classifierTables,
  // the reply-code prefix of a multi-line reply: `code` is a match of [45]\d\d (ruleText), so
  // every regex of this site is this one with other digits
  'src/classifier/index.ts|new RegExp(`\\\\s${code}[ -](?:[245]\\\\.\\\\d{1,3}\\\\.\\\\d{1,3}\\\\s)?`, \'g\')': async () => [
    compiled('src/classifier/index.ts replyPrefix("550")', String.raw`\s550[ -](?:[245]\.\d{1,3}\.\d{1,3}\s)?`, 'g'),
  ],
  // module constants built from a literal list: the built regex is exported for this check
  'src/parser/detectors/auto-reply.ts|VACATION_SUBJECT': async () => {
    const re = (await dist('parser/detectors/auto-reply.js')).VACATION_SUBJECT as RegExp;
    return [compiled('src/parser/detectors/auto-reply.ts VACATION_SUBJECT', re.source, re.flags)];
  },
  'src/parser/detectors/rfc3464.ts|FIRST_FIELD': async () => {
    const re = (await dist('parser/detectors/rfc3464.js')).FIRST_FIELD as RegExp;
    return [compiled('src/parser/detectors/rfc3464.ts FIRST_FIELD', re.source, re.flags)];
  },
};

/** The builder key of a site: its file and call text, or its file and the constant it makes. */
export function builderKey(site: DynamicSite): string {
  return `${site.where.replace(/:\d+$/, '')}|${site.call}`;
}

export interface Collection {
  literals: FoundRegex[];
  compiled: FoundRegex[];
  /** Non-literal sites without a builder. */
  uncovered: DynamicSite[];
  dynamic: DynamicSite[];
}

/** Everything, each (source, flags) pair once per kind. */
export async function collectRegexes(): Promise<Collection> {
  const { literals, dynamic } = sourceRegexes();
  const uncovered: DynamicSite[] = [];
  const builders = new Set<Builder>();
  for (const site of dynamic) {
    const b = DYNAMIC_BUILDERS[builderKey(site)] ?? DYNAMIC_BUILDERS[constantKey(site)];
    if (b) builders.add(b);
    else uncovered.push(site);
  }
  const compiledAll: FoundRegex[] = [];
  for (const b of builders) compiledAll.push(...(await b()));
  const dedupe = (xs: FoundRegex[]) => {
    const seen = new Set<string>();
    return xs.filter((r) => {
      const k = `/${r.source}/${r.flags}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  };
  return { literals: dedupe(literals), compiled: dedupe(compiledAll), uncovered, dynamic };
}

/** `const NAME = new RegExp(...)` at a module's top: the key is the file and NAME. */
function constantKey(site: DynamicSite): string {
  return `${site.where.replace(/:\d+$/, '')}|${site.constant ?? ''}`;
}

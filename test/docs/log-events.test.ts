// docs/log-events.md lists every stable `evt` code the daemon logs, with its level (issue #18):
// operators alert on these codes, so a code added, renamed or dropped in src/ must be said there.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/env.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/**
 * The codes a source file logs, with the levels found for each. A code is an upper-case string
 * literal on a line that names `evt` (`{ evt: 'X' }`, `evt: ok ? 'X' : 'Y'`, a typed `evt`
 * parameter); its level is the logger method (`log.warn({ evt: 'X'`) or the level given to
 * `repeated.log(log, 'error', { evt: 'X'` when the call names the code itself.
 */
export function loggedCodes(source: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const lines = source.split('\n');
  lines.forEach((line, i) => {
    if (!/\bevt\b/.test(line)) return;
    for (const [, code] of line.matchAll(/'([A-Z][A-Z0-9_]{2,})'/g)) {
      const levels = out.get(code!) ?? new Set<string>();
      out.set(code!, levels);
      // the call may start a line or two above the fields (a multi-line call)
      const call = lines.slice(Math.max(0, i - 2), i + 1).join(' ');
      const direct = [...call.matchAll(new RegExp(`\\.(${LEVELS.join('|')})\\(\\s*\\{\\s*evt:\\s*'${code}'`, 'g'))];
      const repeated = [...call.matchAll(new RegExp(`repeated\\.log\\([^,]+,\\s*'(${LEVELS.join('|')})',\\s*\\{\\s*evt:\\s*'${code}'`, 'g'))];
      for (const m of [...direct, ...repeated]) levels.add(m[1]!);
    }
  });
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.(ts|mts|js|mjs)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** The rows of docs/log-events.md: code -> levels. */
function listed(doc: string): Map<string, Set<string>> {
  const rows = [...doc.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| ([a-z, ]+) \| (.+) \|$/gm)];
  const out = new Map<string, Set<string>>();
  for (const [, code, levels, meaning] of rows) {
    expect(out.has(code!), `${code} listed twice`).toBe(false);
    expect(meaning!.trim().length, `${code} has no meaning`).toBeGreaterThan(10);
    out.set(code!, new Set(levels!.split(',').map((l) => l.trim())));
  }
  return out;
}

describe('docs/log-events.md', () => {
  const used = new Map<string, Set<string>>();
  for (const f of sourceFiles(join(repoRoot, 'src'))) {
    for (const [code, levels] of loggedCodes(readFileSync(f, 'utf8'))) {
      const all = used.get(code) ?? new Set<string>();
      for (const l of levels) all.add(l);
      used.set(code, all);
    }
  }
  const doc = listed(readFileSync(join(repoRoot, 'docs/log-events.md'), 'utf8'));

  it('lists every code src/ logs, and no code src/ no longer logs', () => {
    expect(used.size).toBeGreaterThan(60);
    expect([...used.keys()].filter((c) => !doc.has(c)), 'logged in src/, missing from docs/log-events.md').toEqual([]);
    expect([...doc.keys()].filter((c) => !used.has(c)), 'in docs/log-events.md, logged nowhere in src/').toEqual([]);
  });

  it('gives each code the level(s) it is logged at', () => {
    for (const [code, levels] of used) {
      const said = doc.get(code)!;
      for (const l of said) expect(LEVELS, `${code}: ${l}`).toContain(l);
      // where the code fixes its level in the call, the list names exactly those levels
      if (levels.size) for (const l of levels) expect([...said], `${code} is logged at ${l}`).toContain(l);
    }
  });

  it('the scan finds codes in every shape src/ writes them, with their levels', () => {
    const found = loggedCodes(
      [
        "log.warn({ evt: 'A_CODE', err }, 'x');",
        "this.log.info(",
        "  { evt: ok ? 'B_OK' : 'B_FAILED', n },",
        "repeated.log(this.log, 'error', { evt: 'C_REPEATED', err }, 'x');",
        "private retry(err: unknown, evt: 'D_ONE' | 'D_TWO' = 'D_ONE') {}",
        "const notACode = 'E_NOT_LOGGED';",
      ].join('\n'),
    );
    expect(Object.fromEntries([...found].map(([c, l]) => [c, [...l]]))).toEqual({
      A_CODE: ['warn'],
      B_OK: [],
      B_FAILED: [],
      C_REPEATED: ['error'],
      D_ONE: [],
      D_TWO: [],
    });
  });
});

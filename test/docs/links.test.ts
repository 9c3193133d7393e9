// Every relative link in README.md and docs/*.md leads somewhere: the file exists, and an
// anchor (`file.md#section`, `#section`) is a heading of that file. The README was split into
// docs/ (issue #18); a moved section must not leave a dead link behind.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/env.js';
import { anchors, relativeLinks } from './markdown.js';

const files = ['README.md', ...readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The broken links of one file, as `file:line target (why)`. */
function broken(file: string, text: string): string[] {
  const out: string[] = [];
  for (const { line, target } of relativeLinks(text)) {
    const [path, anchor] = target.split('#', 2) as [string, string | undefined];
    const dest = path === '' ? join(repoRoot, file) : join(repoRoot, dirname(file), decodeURIComponent(path));
    const where = `${file}:${line} ${target}`;
    if (relative(repoRoot, dest).startsWith('..')) out.push(`${where} (outside the repository)`);
    else if (!existsSync(dest)) out.push(`${where} (no such file)`);
    else if (anchor !== undefined) {
      if (!dest.endsWith('.md') || statSync(dest).isDirectory()) out.push(`${where} (an anchor into a file that is not markdown)`);
      else if (!anchors(path === '' ? text : readFileSync(dest, 'utf8')).has(anchor)) out.push(`${where} (no such heading)`);
    }
  }
  return out;
}

describe('documentation links', () => {
  it('README.md and every docs/ page link only to files and headings that exist', () => {
    expect(files.length).toBeGreaterThan(10);
    const all = files.flatMap((f) => broken(f, readFileSync(join(repoRoot, f), 'utf8')));
    expect(all).toEqual([]);
  });

  it('the README links every docs/ page', () => {
    const linked = new Set(relativeLinks(readFileSync(join(repoRoot, 'README.md'), 'utf8')).map((l) => l.target.split('#')[0]));
    for (const f of files.filter((f) => f.startsWith('docs/'))) expect(linked.has(f), f).toBe(true);
  });

  it('the checker itself finds a missing file, a missing heading and ignores code and other sites', () => {
    const text = [
      '# Title',
      '## Running the daemon',
      '[ok](#running-the-daemon) [ok](README.md) [ok](docs/operations.md#metrics) [web](https://example.org/x)',
      '[gone](docs/nope.md) [gone](#no-such-heading) [gone](docs/operations.md#nowhere)',
      '`[in code](nope.md)`',
      '```',
      '[in a block](nope.md)',
      '```',
    ].join('\n');
    expect(broken('README.md', text)).toEqual([
      'README.md:4 docs/nope.md (no such file)',
      'README.md:4 #no-such-heading (no such heading)',
      'README.md:4 docs/operations.md#nowhere (no such heading)',
    ]);
    expect([...anchors('# A `b` c\n## Several nodes on PostgreSQL\n## A b c\n')]).toEqual(['a-b-c', 'several-nodes-on-postgresql', 'a-b-c-1']);
  });
});

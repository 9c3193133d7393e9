// Reading our markdown the way GitHub renders it, for the documentation tests: the relative
// links of a file and the anchors its headings make. Only what README.md and docs/ use:
// ATX headings (`## Title`), inline links `[text](target)`, fenced code blocks (not read).

/** The text outside fenced code blocks and inline code, where links and headings live. */
function prose(text: string): string[] {
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of text.split('\n')) {
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (m) {
      if (fence === null) fence = m[1]![0]!;
      else if (m[1]![0] === fence) fence = null;
      out.push('');
      continue;
    }
    out.push(fence === null ? line.replace(/`[^`]*`/g, ' ') : '');
  }
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to `-`; repeats get -1, -2, ... */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(text.replace(/`([^`]*)`/g, '$1'))) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

export interface Link {
  line: number;
  target: string;
}

/** Every `[text](target)` link that is not to another site or a mail address. */
export function relativeLinks(text: string): Link[] {
  const out: Link[] = [];
  prose(text).forEach((line, i) => {
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
      out.push({ line: i + 1, target });
    }
  });
  return out;
}

// The metrics lists in docs/ say every metric bounced registers, and only those: an operator
// builds dashboards and alerts from them (docs/operations.md "Metrics", docs/inboxes.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/env.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every metric src/ registers by name (prom-client's `name: 'bounced_...'`). */
const registered = new Set(sourceFiles(join(repoRoot, 'src')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\bname:\s*'(bounced_[a-z0-9_]+)'/g)].map((m) => m[1]!)));

/** The metric names a markdown section names in code spans (`bounced_x`, `bounced_x{label}`). */
function named(text: string): Set<string> {
  return new Set([...text.matchAll(/`(bounced_[a-z0-9_]+)(?:\{[^`]*\})?`/g)].map((m) => m[1]!));
}

/** From a heading (or a bullet) to the next heading of the same or a higher level. */
function section(text: string, start: string): string {
  const from = text.indexOf(start);
  expect(from, start).toBeGreaterThanOrEqual(0);
  const next = text.slice(from + start.length).search(/^#{1,2} /m);
  return next < 0 ? text.slice(from) : text.slice(from, from + start.length + next);
}

describe('metrics in docs/', () => {
  const ops = section(readFileSync(join(repoRoot, 'docs/operations.md'), 'utf8'), '## Metrics');
  const inboxes = section(readFileSync(join(repoRoot, 'docs/inboxes.md'), 'utf8'), '- **Metrics**');
  const documented = new Set([...named(ops), ...named(inboxes)]);

  it('name every registered metric', () => {
    expect(registered.size).toBeGreaterThan(30);
    expect([...registered].filter((m) => !documented.has(m))).toEqual([]);
  });

  it('name no metric that is not registered (Node\'s default ones are bounced_process_* and bounced_nodejs_*)', () => {
    expect([...documented].filter((m) => !registered.has(m))).toEqual([]);
    expect(ops).toContain('`bounced_process_*`');
  });
});

#!/usr/bin/env node
// Aggregates a V8 .cpuprofile (node --cpu-prof): self time per function and per module.
//   node bench/cpuprofile-top.mjs FILE.cpuprofile [--top 25] [--json]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, round } from './lib/common.mjs';

/**
 * Returns { totalMs, functions: [{ name, selfMs, pct }], modules: [...], inclusive: [...] }:
 * self time per function and per module, and the inclusive time per function (its own and
 * its callees', each sample counted once per function however deep the recursion): where a
 * native call (an SQLite statement, a write(2)) spends its time shows under the function of
 * ours that made it.
 */
export function aggregate(file, top = 25) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Self time per node from the samples and their time deltas (µs).
  const self = new Map();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map();
  const mod = new Map();
  for (const [id, us] of self) {
    const { callFrame: cf } = byId.get(id);
    const url = cf.url.replace(/^file:\/\//, '');
    const where = url ? `${shorten(url)}:${cf.lineNumber + 1}` : '';
    const name = cf.functionName || (url ? '(anonymous)' : `${cf.functionName}`) || '(anonymous)';
    const key = `${name === '' ? '(program)' : name} ${where}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const m = moduleOf(url, cf.functionName);
    mod.set(m, (mod.get(m) ?? 0) + us);
  }
  const keyOf = (id) => {
    const { callFrame: cf } = byId.get(id);
    const url = cf.url.replace(/^file:\/\//, '');
    return `${cf.functionName || (url ? '(anonymous)' : '(program)')} ${url ? `${shorten(url)}:${cf.lineNumber + 1}` : ''}`;
  };
  const incl = new Map();
  for (const [id, us] of self) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf(cur);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + us);
    }
  }
  // the root and the idle/program pseudo-frames say nothing
  for (const k of [...incl.keys()]) if (/^\((?:root|program|idle|garbage collector)\) $/.test(k)) incl.delete(k);
  const rows = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ name: k, selfMs: round(us / 1000, 1), pct: round((100 * us) / total, 1) }));
  return { totalMs: round(total / 1000, 1), functions: rows(fn), modules: rows(mod), inclusive: rows(incl) };
}

function shorten(url) {
  const i = url.indexOf('/node_modules/');
  if (i >= 0) return url.slice(i + 14);
  const d = url.indexOf('/dist/');
  if (d >= 0) return url.slice(d + 1);
  return url.replace(/^node:/, 'node:');
}

function moduleOf(url, name) {
  if (!url) return name ? `(${name.replace(/[()]/g, '')})` : '(native)';
  const i = url.indexOf('/node_modules/');
  if (i >= 0) {
    const rest = url.slice(i + 14).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const d = url.indexOf('/dist/');
  if (d >= 0) return url.slice(d + 1).split('/').slice(0, 2).join('/');
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  return url;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs();
  const r = aggregate(args._[0], Number(args.top ?? 25));
  if (args.json) console.log(JSON.stringify(r, null, 1));
  else {
    console.log(`total sampled ${r.totalMs} ms\n\nself time by function:`);
    for (const f of r.functions) console.log(`${String(f.selfMs).padStart(9)} ms ${String(f.pct).padStart(5)} %  ${f.name}`);
    console.log('\nself time by module:');
    for (const m of r.modules) console.log(`${String(m.selfMs).padStart(9)} ms ${String(m.pct).padStart(5)} %  ${m.name}`);
    console.log('\ninclusive time by function (own + callees):');
    for (const f of r.inclusive) console.log(`${String(f.selfMs).padStart(9)} ms ${String(f.pct).padStart(5)} %  ${f.name}`);
  }
}

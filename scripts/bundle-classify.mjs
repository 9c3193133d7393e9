#!/usr/bin/env node
// `npm run build`, after tsc: dist/classify-main.js (what `bounced classify` runs, src/bin.ts)
// becomes ONE module holding what it imports, commander included: Node then loads one file
// instead of about 110 (resolving, reading and compiling each cost most of classify's
// start-up, issue #20). Built by Vite (a dev dependency; its Rolldown bundles) from tsc's
// output of the sources, so it is always what the sources say; never committed.
// Kept as separate modules: Node's built-ins and the dynamic imports (the --jobs threads,
// commands/classify-threads.js, which start dist/commands/classify-worker.js).
import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const entry = join(dist, 'classify-main.js');
if (!existsSync(entry)) {
  console.error('bundle-classify: dist/classify-main.js not found: run tsc first');
  process.exit(2);
}
const out = join(dist, '.classify-bundle');

await build({
  configFile: false,
  logLevel: 'warn',
  plugins: [
    {
      // a dynamic import stays a module of its own, named relative to the bundle (dist/)
      name: 'keep-dynamic-imports',
      resolveDynamicImport(specifier, importer) {
        if (typeof specifier !== 'string' || !importer) return null;
        const target = join(dirname(importer), specifier);
        return { id: './' + relative(dist, target), external: true };
      },
    },
  ],
  ssr: { noExternal: true, target: 'node' },
  build: {
    ssr: entry,
    outDir: out,
    emptyOutDir: true,
    minify: false,
    sourcemap: false,
    target: 'node22',
    rolldownOptions: { output: { format: 'esm', entryFileNames: 'classify-main.js', codeSplitting: false } },
  },
});

renameSync(join(out, 'classify-main.js'), entry);
rmSync(join(dist, 'classify-main.js.map'), { force: true });
rmSync(out, { recursive: true, force: true });

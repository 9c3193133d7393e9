#!/usr/bin/env node
// `npm run build`, after tsc: dist/classify-main.js (what `bounced classify` runs, src/bin.ts)
// becomes ONE module holding what it imports, commander included: Node then loads one file
// instead of about 110 (resolving, reading and compiling each cost most of classify's
// start-up, issue #20). Built by Vite (a dev dependency; its Rolldown bundles) from tsc's
// output of the sources, so it is always what the sources say; never committed.
// The phrase tables' regex sources are computed here and shipped in it (see below).
// Kept as separate modules: Node's built-ins and the dynamic imports (the --jobs threads,
// commands/classify-threads.js, which start dist/commands/classify-worker.js).
import { chmodSync, existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const entry = join(dist, 'classify-main.js');
if (!existsSync(entry)) {
  console.error('bundle-classify: dist/classify-main.js not found: run tsc first');
  process.exit(2);
}
const out = join(dist, '.classify-bundle');

// The phrase tables' regex sources, computed here once by the classifier's own code (every
// table compiled at the load of dist/classifier/rules.js), shipped in the bundle keyed by the
// tables' wordings (src/classifier/phrase.ts PREBUILT_SOURCES).
await import(pathToFileURL(join(dist, 'classifier/rules.js')).href);
const { compiledSources } = await import(pathToFileURL(join(dist, 'classifier/phrase.js')).href);
const sources = compiledSources();
const PLACEHOLDER = 'const PREBUILT_SOURCES = null;';

await build({
  configFile: false,
  logLevel: 'warn',
  plugins: [
    {
      name: 'prebuilt-phrase-sources',
      transform(code, id) {
        if (!id.endsWith(join('classifier', 'phrase.js'))) return null;
        if (!code.includes(PLACEHOLDER)) throw new Error(`bundle-classify: ${PLACEHOLDER} not found in ${id}`);
        return code.replace(PLACEHOLDER, `const PREBUILT_SOURCES = new Map(JSON.parse(${JSON.stringify(JSON.stringify(sources))}));`);
      },
    },
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
    // no comments: a fifth less to read and compile at every start (the sources keep them)
    rolldownOptions: { output: { comments: false, format: 'esm', entryFileNames: 'classify-main.js', codeSplitting: false } },
  },
});

renameSync(join(out, 'classify-main.js'), entry);
rmSync(join(dist, 'classify-main.js.map'), { force: true });
rmSync(out, { recursive: true, force: true });

// The `bounced` command (package.json "bin") runs by its shebang: `npx bounced` in a clone runs
// dist/bin.js itself, and tsc writes new files without the execute bit (a fresh clone's
// `npx bounced` then failed with "Permission denied" whenever npm did not link the bin itself).
chmodSync(join(dist, 'bin.js'), 0o755);

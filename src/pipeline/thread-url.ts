import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The URL of a thread entry module: the pipeline's (`intake-worker`, `processing-worker`,
 * `parse-worker`) or, with `dir`, another folder's (`commands`: `classify-worker`). A Worker
 * runs JavaScript: under the test runner (TypeScript sources) its built twin in dist/ runs, so
 * tests that start threads need `npm run build` first.
 */
export function threadUrl(name: string, dir = 'pipeline'): URL {
  const here = new URL(`../${dir}/${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL(`../../dist/${dir}/${name}.js`, import.meta.url);
}

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The URL of one of the pipeline's thread entry modules (`intake-worker`, `processing-worker`,
 * `parse-worker`). A Worker runs JavaScript: under the test runner (TypeScript sources) its
 * built twin in dist/ runs, so tests that start threads need `npm run build` first.
 */
export function threadUrl(name: string): URL {
  const here = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL(`../../dist/pipeline/${name}.js`, import.meta.url);
}

// The dashboard (issue #16): plain TypeScript, built by Vite into dist/dashboard, which the
// daemon serves under /dashboard/ (src/api/routes/dashboard.ts). No CDN, font or script from
// elsewhere; no inline script (the page's Content-Security-Policy forbids it).
import { fileURLToPath, URL } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    // Inline nothing: every asset is a file of this origin (CSP script-src/style-src 'self').
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
});

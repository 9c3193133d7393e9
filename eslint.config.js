// ESLint flat config (`npm run lint`, run by .ci/run before the tests). @eslint/js's and
// typescript-eslint's recommended sets, the ones that need no type information, plus one
// type-aware rule that catches a real bug class in a daemon. Formatting is not linted.
// Linted: src/, test/ and the config files; the fixture generators (fixtures/**/*.mjs),
// bench/ and scripts/ are one-off tools, not linted.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/', 'scripts/', 'docker/', 'fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      // src/ is typed by tsconfig.json, test/ by test/tsconfig.json (which `npm run typecheck` checks too).
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits or catches: its rejection is lost or, under Node's default
      // unhandled-rejection mode, ends the daemon. Mark a deliberate one with `void`.
      '@typescript-eslint/no-floating-promises': 'error',
      // `_name` marks a value kept on purpose (a destructured field left out, a callback's unused argument).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests read the API's JSON answers by path, as fastify's inject().json() (typed any) does.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);

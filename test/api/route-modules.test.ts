// Route modules are registered by src/api/app.ts and get what they share from
// src/api/context.ts; none imports the app (issue #18), so a route module can be built and
// tested on its own fastify instance and the app's wiring stays in one file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROUTES = join(import.meta.dirname, '../../src/api/routes');

describe('API route modules', () => {
  const files = readdirSync(ROUTES).filter((f) => f.endsWith('.ts'));
  it('are there to check', () => {
    expect(files.length).toBeGreaterThan(10);
  });
  for (const f of files) {
    it(`${f} does not import the app`, () => {
      const src = readFileSync(join(ROUTES, f), 'utf8');
      expect(src).not.toMatch(/from '\.\.\/app\.js'/);
    });
  }
});

import { defineConfig } from 'vitest/config';

// Registry, vault and browser tests start real servers and databases, so they get generous
// timeouts; the two-core machine runs two test files at a time.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '.data/**', 'site/.astro/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});

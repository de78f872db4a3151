import { defineConfig } from 'vitest/config';

// Registry, vault and browser tests start real servers and databases, so they get generous
// timeouts; the two-core machine runs two test files at a time. The global setup builds the site
// and dumps a fresh PGlite cluster once, before the files that need them start (see its header).
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '.data/**', 'site/.astro/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['site/test/helpers/global-setup.ts'],
  },
});

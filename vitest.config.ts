import { defineConfig } from 'vitest/config';

// Registry, vault and browser tests start real servers and databases, so they get generous
// timeouts. Three test files at a time on the two-core machine: those files mostly wait (on child
// processes, fsync, sockets, a browser), so a third keeps the cores busy; eight registry and
// npm start files took 164 s with three against 277 s with two (load average 13-15 from others).
// The global setup builds the site and dumps a fresh PGlite cluster once, before the files that
// need them start (see its header).
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '.data/**', 'site/.astro/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 3,
    globalSetup: ['site/test/helpers/global-setup.ts'],
  },
});

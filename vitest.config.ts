import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that start processes, a browser or a site go first. Without vitest's cache of past
 * durations (a fresh CI checkout has none) it orders by file size, and the smallest file, the
 * bench smoke test, is among the slowest: started among the last, it would keep one worker busy
 * for minutes after the others had finished. Within each group vitest's own order stands (by past duration when known).
 */
class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const slow = (spec: TestSpecification) => /\bspawn\(|launchChromium\(|startFixture\(|startEmbeddedRegistry\(/.test(readFileSync(spec.moduleId, 'utf8'));
    const first = ordered.filter(slow);
    return [...first, ...ordered.filter((spec) => !first.includes(spec))];
  }
}

// Registry, vault and browser tests start real servers and databases, so they get generous
// timeouts. Three test files at a time on the two-core machine: those files mostly wait (on child
// processes, fsync, sockets, a browser), so a third keeps the cores busy; eight registry and
// npm start files took 164 s with three against 277 s with two (load average 13-15 from others).
// The process files all start in the first wave, so on a loaded machine an npm start test's setup
// (a fresh data dir's initdb, migrations, first sync, site) has taken over 120 s: hooks get 240 s.
// The global setup builds the site and dumps a fresh PGlite cluster once, before the files that
// need them start (see its header).
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '.data/**', 'site/.astro/**'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    pool: 'forks',
    maxWorkers: 3,
    globalSetup: ['site/test/helpers/global-setup.ts'],
    sequence: { sequencer: SlowFirst },
  },
});

/**
 * Run once by vitest before any test file (vitest.config.ts globalSetup), for what many files would
 * otherwise each wait for at once:
 * - the site build: the site tests' fixtures and every `npm start` a process test runs (in a copy
 *   of the repository that keeps the built site's timestamps) find site/dist fresh instead of
 *   building it, several at a time, on two cores;
 * - the dump of a fresh PGlite cluster that pipeline/registry/testing.ts loads instead of running
 *   initdb for every test database.
 * Both are the same steps the tests would take themselves, done once; nothing is skipped.
 */
import { freshDatabase } from '../../../pipeline/registry/testing.ts';
import { ensureSiteBuilt } from '../../build.ts';

export default async function setup(): Promise<void> {
  // A failure here must not stop every other file: the tests that need the site or PGlite meet the
  // same error again (ensureSiteBuilt's "astro build failed ... Its output"), each in its own test.
  await Promise.all([
    ensureSiteBuilt().catch(() => undefined),
    freshDatabase('pglite').then((db) => db.drop()).catch(() => undefined),
  ]);
}

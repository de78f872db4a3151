/**
 * npm start's syncs on the watcher's word (pipeline/sentinel/git-since.ts): with the real watcher
 * on a real git checkout, an edit, a new folder and a removed one are each synced from a look at
 * the folders that changed, not a full `git status`, and the registry ends exactly as a CLI sync
 * of the same checkout (with git asked in full) leaves it.
 */
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { watchedGit, type WatchedGit } from '../../sentinel/git-since.ts';
import { runSync } from '../../sentinel/index.ts';
import { dumpRegistry, gitRepo, type TestRepo } from '../../sentinel/test/helpers.ts';
import { createSyncRunner, type SyncRunner } from '../sync-runner.ts';
import { watchTrees, type TreeWatcher } from '../watch.ts';

describe.each(testBackends())('npm start syncs what its watcher saw change (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let repo: TestRepo;
  let gitWatch: WatchedGit;
  let runner: SyncRunner;
  let watcher: TreeWatcher;
  /** Each sync the watcher started: its summary and how git was asked for it. */
  const runs: { summary: string; look: string | undefined }[] = [];

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
    repo = gitRepo(['north', 'south', 'east']);

    gitWatch = watchedGit(repo.root);
    runner = createSyncRunner({
      pool, repoRoot: repo.root, log: () => undefined, git: gitWatch,
      health: { lost: () => undefined, state: () => ({ reachable: true, since: null, reason: null }) },
    });
    watcher = watchTrees(['connectors', '_template', 'pipeline/catalog'].map((d) => path.join(repo.root, d)), async (changed, note) => {
      const summary = await runner.afterChange(changed, note);
      runs.push({ summary, look: gitWatch.lastLook() });
    }, { debounceMs: 50, recheckMs: 0 });
    await watcher.armed;
    runner.watching();
    expect(await runner.sync()).toMatch(/3 added/);
    expect(gitWatch.lastLook()).toBe('full');
  });
  afterAll(async () => {
    watcher.close();
    await runner.close();
    await pool.end();
    await db.drop();
    repo.cleanup();
  });

  /** Waits for the watcher's next sync after a change. */
  async function nextRun(from: number) {
    const deadline = Date.now() + 20_000;
    while (runs.length <= from) {
      if (Date.now() > deadline) throw new Error('the watcher started no sync within 20 s of the change');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return runs[from]!;
  }

  /** The registry the watched syncs left, against the one a CLI sync (git asked in full) leaves. */
  async function sameAsCliSync() {
    const watched = await dumpRegistry(pool);
    const cli = await runSync({ db: pool, repoRoot: repo.root, actor: 'npm start' });
    expect(cli.result!.outcome).toBe('noop');
    expect(await dumpRegistry(pool)).toEqual(watched);
  }

  it('an edit, a new folder and a removed folder are synced from a look since the last sync', async () => {
    let n = runs.length;
    repo.write('north', { display_name: 'North, edited' });
    expect(await nextRun(n)).toEqual({ summary: expect.stringMatching(/1 changed/), look: 'since' });
    await sameAsCliSync();

    n = runs.length;
    repo.write('west');
    // A new folder may come as more than one run (the folder, then its file): the last one counts.
    await nextRun(n);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runs.slice(n).map((r) => r.look)).not.toContain('full');
    expect((await pool.query(`SELECT display_name FROM connector_providers WHERE provider_slug = 'west'`)).rows).toEqual([{ display_name: 'Service west' }]);
    await sameAsCliSync();

    n = runs.length;
    repo.remove('south');
    expect(await nextRun(n)).toEqual({ summary: expect.stringMatching(/1 retired/), look: 'since' });
    await sameAsCliSync();
  });
});

/**
 * The syncs npm start makes on its watcher's word (pipeline/sentinel/git-since.ts), in a fresh
 * process that watches the generated tree as npm start does: the watcher (watchTrees over
 * connectors/, _template/ and pipeline/catalog/), the sync runner and its look at git. Timed, per
 * run: a manifest saved with the same bytes (nothing changed), one manifest changed, and one
 * committed (as a pull brings it). Each figure is the sync the watcher started, from its start (the look at git
 * included) to its end; `reaction` is from the save to the same end, so it adds the watcher's
 * 200 ms debounce and the event's delivery.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { secondsSince } from '../files.ts';

export interface WatchedSyncInput {
  databaseUrl: string;
  /** What generateRepo was given (openGeneratedRepo reads the tree back). */
  dir: string;
  connectors: number;
  seed: number;
  runs: number;
  /** The first revision number the changes write (default 1000): another, to change a tree changed before. */
  revision?: number;
}

export interface WatchedSyncOutcome {
  /** Until every directory has its watch. */
  arm_s: number;
  /** The first sync: a full look at git, as npm start's first. */
  first_s: number;
  noop_s: number[];
  one_change_s: number[];
  one_change_reaction_s: number[];
  committed_s: number[];
  /** How git was asked for each timed sync: 'since' unless something made it look in full. */
  looks: string[];
}

export async function watchedSyncTask(input: WatchedSyncInput): Promise<WatchedSyncOutcome> {
  const { openRegistry } = await import('../../registry/connect.ts');
  const { watchedGit } = await import('../../sentinel/git-since.ts');
  const { createSyncRunner } = await import('../../start/sync-runner.ts');
  const { watchTrees } = await import('../../start/watch.ts');
  const { changeOneManifest, commitOneManifest, openGeneratedRepo } = await import('../generate.ts');
  const tree = await openGeneratedRepo({ dir: input.dir, connectors: input.connectors, seed: input.seed, git: true });
  const registry = await openRegistry({ databaseUrl: input.databaseUrl });
  const git = watchedGit(tree.repoRoot);
  const runner = createSyncRunner({
    pool: registry.pool, repoRoot: tree.repoRoot, log: () => undefined, git,
    health: { lost: () => undefined, state: () => ({ reachable: true, since: null, reason: null }) },
  });
  /** The next run's outcome: the watcher's callback settles it. */
  let waiting: ((run: { seconds: number; summary: string; look: string; endedAt: number }) => void) | undefined;
  const watcher = watchTrees(['connectors', '_template', 'pipeline/catalog'].map((d) => path.join(tree.repoRoot, d)), async (changed, note) => {
    const start = performance.now();
    const summary = await runner.afterChange(changed, note);
    waiting?.({ seconds: secondsSince(start), summary, look: git.lastLook() ?? 'none', endedAt: performance.now() });
  });
  try {
    const armStart = performance.now();
    await watcher.armed;
    runner.watching();
    const arm_s = secondsSince(armStart);
    const firstStart = performance.now();
    await runner.sync();
    const first_s = secondsSince(firstStart);
    await watcher.pictured; // the safety net's first picture: seconds of stat calls at 100,000, not a sync's cost

    const out: WatchedSyncOutcome = { arm_s, first_s, noop_s: [], one_change_s: [], one_change_reaction_s: [], committed_s: [], looks: [] };
    const after = async (what: string, change: () => Promise<unknown>, expected: RegExp) => {
      let timer: NodeJS.Timeout | undefined;
      const next = new Promise<{ seconds: number; summary: string; look: string; endedAt: number }>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`the watcher started no sync within 60 s of ${what}`)), 60_000);
        waiting = (run) => {
          waiting = undefined;
          resolve(run);
        };
      });
      const savedAt = performance.now();
      const run = await change()
        .then(() => next)
        .finally(() => clearTimeout(timer));
      if (!expected.test(run.summary)) throw new Error(`after ${what} npm start's sync said: ${run.summary}`);
      out.looks.push(run.look);
      return { ...run, reaction: (run.endedAt - savedAt) / 1000 };
    };
    const revision = input.revision ?? 1000;
    for (let i = 0; i < input.runs; i++) {
      // Indexes and revisions of their own: the parent's CLI syncs changed others.
      const file = path.join(tree.repoRoot, tree.manifestFile((i * 7919 + 11) % input.connectors));
      const same = await readFile(file);
      out.noop_s.push((await after('a manifest saved unchanged', () => writeFile(file, same), /: 0 added, 0 changed, 0 retired, 0 revived/)).seconds);
      const one = await after('one manifest changed', () => changeOneManifest(tree, (i * 7919 + 13) % input.connectors, revision + i), /, 1 changed/);
      out.one_change_s.push(one.seconds);
      out.one_change_reaction_s.push(one.reaction);
      // As a pull brings it: HEAD holds the change by the time the file is written.
      const pulled = () => commitOneManifest(tree, (i * 7919 + 17) % input.connectors, revision + i, { worktreeLast: true });
      out.committed_s.push((await after('one manifest committed', pulled, /, 1 changed/)).seconds);
    }
    return out;
  } finally {
    watcher.close();
    await runner.close();
    await registry.close();
  }
}

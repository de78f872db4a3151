/**
 * npm start's syncs: one at a time (a watcher run, a retry after a lost connection), each reported
 * in the log and kept as the state the site's banner shows. Validation problems and failures are
 * reported, never thrown, so neither a broken manifest nor a lost registry connection stops the
 * factory; a sync the connection dropped is run again, with a growing pause, once the registry is back.
 */
import type pg from 'pg';
import { isConnectionLost } from '../registry/pool.ts';
import { runSync } from '../sentinel/index.ts';
import type { WatchedGit } from '../sentinel/git-since.ts';
import { CommitUnknownError } from '../sentinel/sync.ts';
import { formatProblem } from '../validate/format.ts';
import type { ValidationResult } from '../validate/types.ts';
import type { RegistryHealth, RegistryHealthState } from './registry-health.ts';

/** The latest sync's outcome and the registry connection, shown on the site (PipelineBanner). */
export interface PipelineState {
  validation: ValidationResult | null;
  syncedAt: Date | null;
  error: string | null;
  registry: RegistryHealthState;
}

export interface SyncRunner {
  /** Runs a sync after any in progress; resolves with its one-line summary. */
  sync(): Promise<string>;
  /**
   * A watcher run: git's view (the `git` option) learns which paths changed, or that the watcher
   * may have missed something (`doubt`: the next look at git is a full one); then a sync.
   */
  afterChange(changed: readonly string[], note: { doubt?: string }): Promise<string>;
  /** The watcher has every directory watched: from now on a look at git can be made from the last one. */
  watching(): void;
  /** A sync lost to the connection is retried: call when the registry answers again. */
  registryBack(): void;
  state(): PipelineState;
  /** No sync starts from now on; resolves once the one running (if any) has committed or rolled back. */
  close(): Promise<void>;
}

export function createSyncRunner(args: {
  pool: Pick<pg.Pool, 'connect'>;
  repoRoot: string;
  log: (line: string) => void;
  health: Pick<RegistryHealth, 'lost' | 'state'>;
  /** What git says of the checkout, brought up to date from the watcher's events (git-since.ts); default: runSync asks git. */
  git?: WatchedGit;
}): SyncRunner {
  const { log, health } = args;
  const last: Omit<PipelineState, 'registry'> = { validation: null, syncedAt: null, error: null };
  let chain: Promise<unknown> = Promise.resolve();
  let lostRuns = 0;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  const once = async (): Promise<string> => {
    if (closed) return 'not run: npm start is stopping';
    try {
      // log: what the sync worked around (git failing: every folder read) and the migrations it applied.
      const { validation, result } = await runSync({ db: args.pool, repoRoot: args.repoRoot, actor: 'npm start', log, git: args.git });
      lostRuns = 0;
      last.validation = validation;
      last.syncedAt = new Date();
      last.error = null;
      for (const p of validation.errors) log(`  error   ${formatProblem(p)}`);
      for (const p of validation.warnings) log(`  warning ${formatProblem(p)}`);
      if (!validation.ok) {
        return `${validation.errors.length} problem(s) in the manifests; the registry is unchanged until they are fixed`;
      }
      const c = result?.plan.counts.providers;
      return c
        ? `${c.added + c.changed + c.unchanged + c.revived} connector(s): ${c.added} added, ${c.changed} changed, ${c.retired} retired, ${c.revived} revived, ${c.unchanged} unchanged`
        : 'done';
    } catch (err) {
      if (isConnectionLost(err) || err instanceof CommitUnknownError) {
        // Not the sync's fault: it is run again once the registry answers (health's probe).
        lostRuns++;
        health.lost(err);
        return 'the connection to the registry was lost during the sync; nothing was written. It runs again once the registry answers';
      }
      last.error = (err as Error).message;
      return `failed: ${(err as Error).message}`;
    }
  };

  const sync = () => {
    const run = chain.then(once);
    chain = run.catch(() => undefined);
    return run;
  };

  return {
    sync,
    afterChange(changed, note) {
      if (note.doubt) args.git?.doubt();
      args.git?.changed(changed);
      return sync();
    },
    watching: () => args.git?.armed(),
    registryBack() {
      if (lostRuns === 0 || closed || retry) return;
      // Back off between retries that keep losing the connection (a server that accepts, then drops).
      const pause = Math.min(250 * 2 ** Math.min(lostRuns - 1, 6), 15_000);
      retry = setTimeout(() => {
        retry = undefined;
        if (closed) return;
        log('sync: retrying the sync the lost connection interrupted');
        void sync().then((summary) => log(`sync: ${summary}`));
      }, pause);
      retry.unref();
    },
    state: () => ({ ...last, registry: health.state() }),
    async close() {
      closed = true;
      args.git?.doubt(); // no event is seen from here on
      if (retry) clearTimeout(retry);
      await chain;
    },
  };
}

import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { changedPaths, readTreeState, type TreeState } from './tree-state.ts';

/** Why a run was asked for: changed paths, or doubt (the watcher may have missed something). */
export interface ChangeNote {
  /** Set when the run is a full re-check because the watcher lost track (error, a replaced directory…). */
  doubt?: string;
}

export interface WatchOptions {
  /** Quiet time after the last event before a run. Default 200 ms. */
  debounceMs?: number;
  /** The safety net: compare a stat picture of the trees this often. Default 3 s; 0 turns it off. */
  recheckMs?: number;
  /** The picture the first re-check compares with: take it before the first sync so nothing is missed in between. */
  baseline?: TreeState;
  /** Tests: no fs.watch at all, only the re-check. */
  events?: boolean;
}

export interface TreeWatcher {
  close(): void;
  /** Directories with a live watch (tests). */
  watchedDirs(): string[];
}

/**
 * Calls `onChange` once after a burst of changes under any of `dirs` settles. Runs are serialized:
 * a change during a run schedules exactly one more run after it.
 *
 * Every directory is watched on its own (non-recursive fs.watch), never a file: a directory's watch
 * reports an editor's rename-over save as a `rename` of the entry, and keeps reporting after it,
 * whereas Node 20's recursive watch on Linux follows the replaced file's old inode and goes deaf to
 * the file after the first such save. A `rename` event (an entry appeared, went or was replaced),
 * a watch error or a directory replaced re-arms the watches from a fresh walk. And whatever the
 * events say, a stat picture of the trees is compared every `recheckMs`: a change the events
 * missed (an overflowed queue, a filesystem without events) starts a run all the same.
 */
export function watchTrees(
  dirs: string[],
  onChange: (changed: string[], note: ChangeNote) => Promise<void>,
  opts: WatchOptions = {},
): TreeWatcher {
  const debounceMs = opts.debounceMs ?? 200;
  const recheckMs = opts.recheckMs ?? 3_000;
  const roots = dirs.map((d) => path.resolve(d));
  const watchers = new Map<string, { watcher: FSWatcher; ino: bigint }>();
  let last: TreeState | undefined = opts.baseline;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let pending = new Set<string>();
  let doubt: string | undefined;
  let rearm = true;
  let closed = false;

  const schedule = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  };

  const onEvent = (dir: string) => (event: string, file: string | Buffer | null) => {
    if (closed) return;
    if (file === null) {
      // No name: the kernel could not say what changed (e.g. its queue overflowed).
      doubt ??= `an event without a file name in ${dir}`;
    } else {
      pending.add(path.join(dir, String(file)));
    }
    if (event === 'rename' || file === null) rearm = true;
    schedule();
  };

  /** Brings the set of watches in line with the directories of `state`. */
  const arm = (state: TreeState) => {
    rearm = false;
    for (const [dir, held] of watchers) {
      if (state.dirs.get(dir) === held.ino) continue;
      held.watcher.close(); // gone or replaced: its watch follows the old directory
      watchers.delete(dir);
    }
    if (opts.events === false) return;
    for (const [dir, ino] of state.dirs) {
      if (watchers.has(dir)) continue;
      let watcher: FSWatcher;
      try {
        watcher = watch(dir, { persistent: false }, onEvent(dir));
      } catch (err) {
        // Removed between the walk and here, or out of watches: the re-check still covers it.
        doubt ??= `could not watch ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
        continue;
      }
      watcher.on('error', (err: NodeJS.ErrnoException) => {
        watcher.close();
        if (watchers.get(dir)?.watcher === watcher) watchers.delete(dir);
        if (closed) return;
        doubt ??= `the watch on ${dir} failed (${err.code ?? err.message})`;
        rearm = true;
        schedule();
      });
      watchers.set(dir, { watcher, ino });
    }
  };

  /** One run: a fresh picture (taken before onChange reads anything), re-armed watches, onChange. */
  const fire = () => {
    timer = undefined;
    if (running || closed) return; // the run in progress reschedules itself when it ends
    const changed = [...pending];
    const note: ChangeNote = doubt ? { doubt } : {};
    pending = new Set();
    doubt = undefined;
    running = (async () => {
      const state = await readTreeState(roots);
      if (closed) return;
      arm(state);
      last = state;
      await onChange(changed, note);
    })()
      .catch(() => {}) // onChange reports its own failures; the watcher must outlive them
      .finally(() => {
        running = undefined;
        if (!closed && (pending.size > 0 || doubt)) schedule();
      });
  };

  /** The safety net: a run when the trees differ from the picture of the last run. */
  const recheck = async () => {
    if (running || closed || timer) return;
    const state = await readTreeState(roots);
    if (closed || running || timer) return;
    if (rearm || [...state.dirs].some(([d, ino]) => watchers.get(d)?.ino !== ino)) arm(state);
    if (!last) {
      last = state;
      return;
    }
    const changed = changedPaths(last, state);
    if (changed.length === 0) return;
    for (const p of changed) pending.add(p);
    fire();
  };

  let ticker: NodeJS.Timeout | undefined;
  const tick = () => {
    ticker = setTimeout(() => {
      void recheck().finally(() => {
        if (!closed) tick();
      });
    }, recheckMs);
    ticker.unref();
  };

  // Arm at once from a first walk; with a baseline, the first re-check compares with it.
  void readTreeState(roots).then((state) => {
    if (closed) return;
    arm(state);
    last ??= state;
    if (opts.baseline && changedPaths(opts.baseline, state).length > 0) void recheck();
  });
  if (recheckMs > 0) tick();

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (ticker) clearTimeout(ticker);
      for (const { watcher } of watchers.values()) watcher.close();
      watchers.clear();
    },
    watchedDirs: () => [...watchers.keys()].sort(),
  };
}

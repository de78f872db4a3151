import { watch, type FSWatcher } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { changedPaths, listDirs, readTreeState, refreshPaths, type TreeState } from './tree-state.ts';

/** Why a run was asked for: changed paths, or doubt (the watcher may have missed something). */
export interface ChangeNote {
  /** Set when the run is a full re-check because the watcher lost track (error, a replaced directory…). */
  doubt?: string;
}

export interface WatchOptions {
  /** Quiet time after the last event before a run. Default 200 ms. */
  debounceMs?: number;
  /**
   * The safety net: compare a stat picture of the trees this often. Default 3 s; 0 turns it off.
   * A picture of a big tree takes long (seconds at 100,000 connectors): when the last one took
   * more than a tenth of a second, the pause is stretched to 20 times its duration, so the net
   * never takes more than about a twentieth of a core.
   */
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
  /** Resolves once every directory found at the start has its watch: from then on no change goes unseen. */
  armed: Promise<void>;
  /** Resolves once the first stat picture is taken (in the background, after `armed`): from then on a run costs what changed. */
  pictured: Promise<void>;
}

/** The safety net's pause is at least this many times the last picture's duration, once that is above STRETCH_FROM_MS. */
const RECHECK_STRETCH = 20;
const STRETCH_FROM_MS = 100;

/**
 * Calls `onChange` once after a burst of changes under any of `dirs` settles. Runs are serialized:
 * a change during a run schedules exactly one more run after it.
 *
 * Every directory is watched on its own (non-recursive fs.watch), never a file: a directory's watch
 * reports an editor's rename-over save as a `rename` of the entry, and keeps reporting after it,
 * whereas Node 20's recursive watch on Linux follows the replaced file's old inode and goes deaf to
 * the file after the first such save. A `rename` event names an entry that appeared, went or was
 * replaced: if it is (or was) a directory, its watches are set again from a walk of it alone. A
 * watch error or an event without a name is doubt: the next run re-arms everything from a full
 * picture. And whatever the events say, a stat picture of the trees is compared every `recheckMs`:
 * a change the events missed (an overflowed queue, a filesystem without events) starts a run all
 * the same.
 *
 * Nothing at the start costs a stat per file: the watches are armed from a listing of the
 * directories (`armed` says when), and the safety net's first picture is taken after that, in the
 * background. A run keeps the picture up to date for the paths its events named only.
 */
export function watchTrees(
  dirs: string[],
  onChange: (changed: string[], note: ChangeNote) => Promise<void>,
  opts: WatchOptions = {},
): TreeWatcher {
  const debounceMs = opts.debounceMs ?? 200;
  const recheckMs = opts.recheckMs ?? 3_000;
  const roots = dirs.map((d) => path.resolve(d));
  /**
   * A watch's inode is unknown (null) when it was armed from the listing, until a picture tells it.
   * `set` counts watches set: a picture taken before a watch was set knows nothing about it.
   */
  const watchers = new Map<string, { watcher: FSWatcher; ino: bigint | null; set: number }>();
  let watchesSet = 0;
  let last: TreeState | undefined = opts.baseline;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let pending = new Set<string>();
  /** Entries a `rename` event named: their watches are set again before the run. */
  let renamed = new Set<string>();
  let doubt: string | undefined;
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
      const p = path.join(dir, String(file));
      pending.add(p);
      if (event === 'rename') renamed.add(p);
    }
    schedule();
  };

  const unwatch = (dir: string) => {
    watchers.get(dir)?.watcher.close();
    watchers.delete(dir);
  };

  const watchDir = (dir: string, ino: bigint | null) => {
    if (watchers.has(dir) || opts.events === false) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false }, onEvent(dir));
    } catch (err) {
      // Removed between the walk and here, or out of watches: the re-check still covers it.
      doubt ??= `could not watch ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
      return;
    }
    watcher.on('error', (err: NodeJS.ErrnoException) => {
      watcher.close();
      if (watchers.get(dir)?.watcher === watcher) watchers.delete(dir);
      if (closed) return;
      doubt ??= `the watch on ${dir} failed (${err.code ?? err.message})`;
      schedule();
    });
    watchers.set(dir, { watcher, ino, set: ++watchesSet });
  };

  /**
   * Brings the set of watches in line with the directories of a full picture begun when `since`
   * watches had been set. A watch set after that is newer than the picture and stays: closing it
   * would also drop the events the kernel holds for it that were not read yet.
   */
  const armFrom = (state: TreeState, since: number) => {
    for (const [dir, held] of watchers) {
      if (held.set > since) continue;
      const ino = state.dirs.get(dir);
      if (ino !== undefined && held.ino === null) held.ino = ino; // armed from the listing: now we know it
      if (ino !== undefined && ino === held.ino) continue;
      unwatch(dir); // gone or replaced: its watch follows the old directory
    }
    for (const [dir, ino] of state.dirs) watchDir(dir, ino);
  };

  /** A full picture, and how many watches had been set when it began (for armFrom). */
  let lastPictureMs = 0;
  const picture = async () => {
    const since = watchesSet;
    const started = performance.now();
    const state = await readTreeState(roots, () => closed);
    lastPictureMs = performance.now() - started;
    return { state, since };
  };

  /** Sets the watches at and under each renamed path again, from a walk of that path alone. */
  const rearmAt = async (paths: Set<string>) => {
    for (const p of paths) {
      const st = await lstat(p, { bigint: true }).catch(() => null);
      const held = watchers.get(p);
      if (!held && !st?.isDirectory()) continue; // a file came or went: its directory's watch goes on
      if (held && st?.isDirectory() && held.ino === st.ino) continue; // the same directory, still watched
      const under = p + path.sep;
      for (const dir of [...watchers.keys()]) if (dir === p || dir.startsWith(under)) unwatch(dir);
      if (closed || !st?.isDirectory()) continue;
      for (const dir of await listDirs([p], () => closed)) watchDir(dir, dir === p ? st.ino : null);
    }
  };

  /** One run: the picture and watches brought up to date (before onChange reads anything), then onChange. */
  const fire = () => {
    timer = undefined;
    if (running || closed) return; // the run in progress reschedules itself when it ends
    const changed = [...pending];
    const rearm = renamed;
    const note: ChangeNote = doubt ? { doubt } : {};
    pending = new Set();
    renamed = new Set();
    doubt = undefined;
    running = (async () => {
      if (note.doubt) {
        // Lost track: everything is looked at again.
        const { state, since } = await picture();
        if (closed) return;
        armFrom(state, since);
        last = state;
      } else {
        await rearmAt(rearm);
        if (last) await refreshPaths(last, changed);
        if (closed) return;
      }
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
    const { state, since } = await picture();
    if (closed || running || timer) return;
    armFrom(state, since);
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
    }, lastPictureMs > STRETCH_FROM_MS ? Math.max(recheckMs, RECHECK_STRETCH * lastPictureMs) : recheckMs);
    ticker.unref();
  };

  // Arm at once from a listing of the directories; then, in the background, the first picture: the
  // baseline's comparison (a change made before the watcher started), or the net's starting point.
  const armed = listDirs(roots, () => closed).then(async (found) => {
    // In slices: 100,000 watches set in one go would hold the event loop (the site, the sync) for seconds.
    for (let i = 0; i < found.length && !closed; i += 2_000) {
      for (const dir of found.slice(i, i + 2_000)) watchDir(dir, null);
      await new Promise((resolve) => setImmediate(resolve));
    }
  });
  const pictured = armed
    .then(async () => {
      if (closed) return;
      if (opts.baseline) return recheck();
      const { state, since } = await picture();
      if (closed) return;
      armFrom(state, since);
      last ??= state;
    })
    .catch(() => undefined)
    .finally(() => {
      if (recheckMs > 0 && !closed) tick();
    });

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (ticker) clearTimeout(ticker);
      for (const { watcher } of watchers.values()) watcher.close();
      watchers.clear();
    },
    watchedDirs: () => [...watchers.keys()].sort(),
    armed: armed.catch(() => undefined),
    pictured,
  };
}

/**
 * A cheap picture of the watched trees: every directory and file by path with its inode, size and
 * modification time (lstat only, nothing is read). Two pictures that differ name exactly the paths
 * that changed, whatever the watcher's events said: the watcher's safety net (watch.ts).
 *
 * At 100,000 connectors a picture is 200,000 lstat calls (seconds), so the watcher takes one only
 * in the background, and otherwise keeps it up to date path by path (refreshPaths). Arming the
 * watches needs the directories only (listDirs: one readdir per directory, no stat at all).
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Directory names never watched or compared: dependencies and VCS internals change on their own. */
export const SKIPPED_DIRS = new Set(['node_modules', '.git']);

/** How many file-system calls a walk has in flight at once: enough to keep the disk busy, without a promise per entry of a 100,000-entry directory. */
const IN_FLIGHT = 64;

export interface TreeState {
  /** path → "d|f ino size mtimeNs" */
  entries: Map<string, string>;
  /** Every directory under the roots (roots included), with its inode. */
  dirs: Map<string, bigint>;
}

/**
 * Walks `roots` (a missing root is simply absent). Entries that vanish mid-walk are left out.
 * `stop` (checked between directories) ends the walk early, with a partial picture: for a watcher
 * that was closed meanwhile, which throws it away.
 */
export async function readTreeState(roots: string[], stop?: () => boolean): Promise<TreeState> {
  const state: TreeState = { entries: new Map(), dirs: new Map() };
  for (const root of roots) await addTree(state, root, stop);
  return state;
}

/** Adds `dir` and everything under it to `state` (nothing when it is not a directory). */
async function addTree(state: TreeState, top: string, stop?: () => boolean): Promise<void> {
  const st = await lstat(top, { bigint: true }).catch(() => null);
  if (!st?.isDirectory()) return;
  state.dirs.set(top, st.ino);
  state.entries.set(top, `d ${st.ino}`);
  const queue = [top];
  while (queue.length > 0 && !stop?.()) {
    const dir = queue.pop()!;
    const names = await readdir(dir).catch(() => [] as string[]);
    await inBatches(names, async (name) => {
      const p = path.join(dir, name);
      const s = await lstat(p, { bigint: true }).catch(() => null);
      if (!s) return;
      if (s.isDirectory()) {
        if (SKIPPED_DIRS.has(name)) return;
        state.dirs.set(p, s.ino);
        state.entries.set(p, `d ${s.ino}`);
        queue.push(p);
        return;
      }
      state.entries.set(p, `f ${s.ino} ${s.size} ${s.mtimeNs} ${s.mode}`);
    });
  }
}

/**
 * Brings `state` up to date for `paths` only (what the events named): each path is looked at
 * again, a directory with everything under it. Costs what changed, not what is watched.
 */
export async function refreshPaths(state: TreeState, paths: Iterable<string>): Promise<void> {
  for (const p of new Set(paths)) {
    if (state.dirs.has(p)) {
      // It was a directory: forget its whole subtree, then read it again if it is still there.
      const under = p + path.sep;
      for (const key of state.entries.keys()) if (key.startsWith(under)) state.entries.delete(key);
      for (const key of state.dirs.keys()) if (key.startsWith(under)) state.dirs.delete(key);
    }
    state.entries.delete(p);
    state.dirs.delete(p);
    const s = await lstat(p, { bigint: true }).catch(() => null);
    if (!s) continue;
    if (s.isDirectory()) {
      if (!SKIPPED_DIRS.has(path.basename(p))) await addTree(state, p);
    } else {
      state.entries.set(p, `f ${s.ino} ${s.size} ${s.mtimeNs} ${s.mode}`);
    }
  }
}

/** The paths whose entry differs between two pictures (added, removed or changed), sorted. */
export function changedPaths(before: TreeState, after: TreeState): string[] {
  const changed = new Set<string>();
  for (const [p, v] of after.entries) if (before.entries.get(p) !== v) changed.add(p);
  for (const p of before.entries.keys()) if (!after.entries.has(p)) changed.add(p);
  return [...changed].sort();
}

/**
 * Every directory under `roots` (roots included; a missing root is absent), without stat calls:
 * the file types come with the directory listing. What the watcher needs to arm its watches.
 * `stop` ends it early, as for readTreeState.
 */
export async function listDirs(roots: string[], stop?: () => boolean): Promise<string[]> {
  const dirs: string[] = [];
  for (const root of roots) {
    const st = await lstat(root).catch(() => null);
    if (!st?.isDirectory()) continue;
    const queue = [root];
    while (queue.length > 0 && !stop?.()) {
      const batch = queue.splice(0, IN_FLIGHT);
      dirs.push(...batch);
      await Promise.all(
        batch.map(async (dir) => {
          const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
          for (const e of entries) if (e.isDirectory() && !SKIPPED_DIRS.has(e.name)) queue.push(path.join(dir, e.name));
        }),
      );
    }
  }
  return dirs;
}

async function inBatches<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += IN_FLIGHT) await Promise.all(items.slice(i, i + IN_FLIGHT).map(fn));
}

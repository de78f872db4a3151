/**
 * A cheap picture of the watched trees: every directory and file by path with its inode, size and
 * modification time (lstat only, nothing is read). Two pictures that differ name exactly the paths
 * that changed, whatever the watcher's events said: the watcher's safety net (watch.ts).
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Directory names never watched or compared: dependencies and VCS internals change on their own. */
export const SKIPPED_DIRS = new Set(['node_modules', '.git']);

export interface TreeState {
  /** path → "d|f ino size mtimeNs" */
  entries: Map<string, string>;
  /** Every directory under the roots (roots included), with its inode. */
  dirs: Map<string, bigint>;
}

/** Walks `roots` (a missing root is simply absent). Entries that vanish mid-walk are left out. */
export async function readTreeState(roots: string[]): Promise<TreeState> {
  const state: TreeState = { entries: new Map(), dirs: new Map() };
  const walk = async (dir: string): Promise<void> => {
    const st = await lstat(dir, { bigint: true }).catch(() => null);
    if (!st?.isDirectory()) return;
    state.dirs.set(dir, st.ino);
    state.entries.set(dir, `d ${st.ino}`);
    const names = await readdir(dir).catch(() => [] as string[]);
    const subdirs: string[] = [];
    await Promise.all(
      names.map(async (name) => {
        const p = path.join(dir, name);
        const s = await lstat(p, { bigint: true }).catch(() => null);
        if (!s) return;
        if (s.isDirectory()) {
          if (!SKIPPED_DIRS.has(name)) subdirs.push(p);
          return;
        }
        state.entries.set(p, `f ${s.ino} ${s.size} ${s.mtimeNs} ${s.mode}`);
      }),
    );
    for (const sub of subdirs) await walk(sub);
  };
  for (const root of roots) await walk(root);
  return state;
}

/** The paths whose entry differs between two pictures (added, removed or changed), sorted. */
export function changedPaths(before: TreeState, after: TreeState): string[] {
  const changed = new Set<string>();
  for (const [p, v] of after.entries) if (before.entries.get(p) !== v) changed.add(p);
  for (const p of before.entries.keys()) if (!after.entries.has(p)) changed.add(p);
  return [...changed].sort();
}

/**
 * The watcher on real directories: every save is seen, however the editor saves. An editor's
 * rename-over save (write a temp file, `mv` it over the manifest) is what Node 20's recursive
 * fs.watch misses from the second time on; these tests do it three times in a row.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchTrees, type ChangeNote, type TreeWatcher } from '../watch.ts';

/** Runs of the watcher, awaited one by one: each `next()` resolves with the next run's paths. */
function runRecorder() {
  const runs: { changed: string[]; note: ChangeNote }[] = [];
  const waiters: Array<() => void> = [];
  return {
    onChange: async (changed: string[], note: ChangeNote) => {
      runs.push({ changed, note });
      waiters.shift()?.();
    },
    /** Resolves once a run names `file` (runs already recorded count). */
    async until(file: string, from: number): Promise<number> {
      for (;;) {
        const i = runs.findIndex((r, n) => n >= from && r.changed.includes(file));
        if (i >= 0) return i + 1;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    runs,
  };
}

describe('watchTrees', () => {
  let tmp: string;
  let root: string;
  let elsewhere: string;
  let watcher: TreeWatcher | undefined;

  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cf-watch-'));
    root = path.join(tmp, 'connectors');
    elsewhere = path.join(tmp, 'editor-temp');
    mkdirSync(path.join(root, 'acme'), { recursive: true });
    mkdirSync(elsewhere);
    writeFileSync(path.join(root, 'acme', 'manifest.yaml'), 'display_name: v0\n');
  });

  afterEach(() => {
    watcher?.close();
    watcher = undefined;
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Saves as many editors do: a new file elsewhere, renamed over the target. */
  const saveByRename = (target: string, text: string, n: number) => {
    const temp = path.join(elsewhere, `save-${n}.tmp`);
    writeFileSync(temp, text);
    renameSync(temp, target);
  };

  const armed = async (w: TreeWatcher, dir: string) => {
    while (!w.watchedDirs().includes(dir)) await new Promise((r) => setTimeout(r, 20));
  };

  it('sees every rename-over save of one manifest, three in a row, from the events alone', async () => {
    const rec = runRecorder();
    watcher = watchTrees([root], rec.onChange, { debounceMs: 50, recheckMs: 0 });
    await armed(watcher, path.join(root, 'acme'));
    const manifest = path.join(root, 'acme', 'manifest.yaml');
    let seen = 0;
    for (let n = 1; n <= 3; n++) {
      saveByRename(manifest, `display_name: v${n}\n`, n);
      seen = await rec.until(manifest, seen);
    }
    expect(rec.runs.length).toBeGreaterThanOrEqual(3);
  });

  it('sees saves into a connector folder that was replaced, and into one added after the start', async () => {
    const rec = runRecorder();
    watcher = watchTrees([root], rec.onChange, { debounceMs: 50, recheckMs: 0 });
    await armed(watcher, path.join(root, 'acme'));
    // The whole folder swapped for a new one (a checkout, a tool regenerating it).
    const fresh = path.join(elsewhere, 'acme');
    mkdirSync(fresh);
    writeFileSync(path.join(fresh, 'manifest.yaml'), 'display_name: swapped\n');
    rmSync(path.join(root, 'acme'), { recursive: true });
    renameSync(fresh, path.join(root, 'acme'));
    let seen = await rec.until(path.join(root, 'acme'), 0);
    await armed(watcher, path.join(root, 'acme'));
    saveByRename(path.join(root, 'acme', 'manifest.yaml'), 'display_name: after swap\n', 1);
    seen = await rec.until(path.join(root, 'acme', 'manifest.yaml'), seen);

    mkdirSync(path.join(root, 'newcomer'));
    await rec.until(path.join(root, 'newcomer'), seen);
    await armed(watcher, path.join(root, 'newcomer'));
    writeFileSync(path.join(root, 'newcomer', 'manifest.yaml'), 'display_name: new\n');
    await rec.until(path.join(root, 'newcomer', 'manifest.yaml'), seen);
  });

  it('finds a change that no event reported by comparing the trees (the safety net)', async () => {
    const rec = runRecorder();
    // No fs.watch at all: only the periodic stat comparison can see the saves.
    watcher = watchTrees([root], rec.onChange, { debounceMs: 20, recheckMs: 50, events: false });
    const manifest = path.join(root, 'acme', 'manifest.yaml');
    let seen = 0;
    for (let n = 1; n <= 3; n++) {
      // Let the watcher's first picture be taken before the first save.
      if (n === 1) await new Promise((r) => setTimeout(r, 200));
      saveByRename(manifest, `display_name: v${n}\n`, n);
      seen = await rec.until(manifest, seen);
    }
  });

  it('with a baseline taken before the first sync, a change made before the watcher started is synced', async () => {
    const { readTreeState } = await import('../tree-state.ts');
    const baseline = await readTreeState([root]);
    const manifest = path.join(root, 'acme', 'manifest.yaml');
    saveByRename(manifest, 'display_name: while starting\n', 1);
    const rec = runRecorder();
    watcher = watchTrees([root], rec.onChange, { debounceMs: 20, recheckMs: 100_000, baseline, events: false });
    await rec.until(manifest, 0);
  });
});

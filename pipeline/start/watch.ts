import { existsSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/**
 * Calls `onChange` once after a burst of file changes under any of `dirs` settles.
 * Runs are serialized: a change during a run schedules exactly one more run after it.
 * Editors write through temp files and renames, so we watch directories recursively and
 * debounce, rather than trusting single events.
 */
export function watchTrees(
  dirs: string[],
  onChange: (changed: string[]) => Promise<void>,
  { debounceMs = 200 }: { debounceMs?: number } = {},
): { close(): void } {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let pending = new Set<string>();
  let closed = false;

  const fire = () => {
    timer = undefined;
    if (running) return; // the run in progress reschedules itself when it ends
    const changed = [...pending];
    pending = new Set();
    running = onChange(changed)
      .catch(() => {}) // onChange reports its own failures; the watcher must outlive them
      .finally(() => {
        running = undefined;
        if (!closed && pending.size > 0) timer = setTimeout(fire, debounceMs);
      });
  };

  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    const w = watch(dir, { recursive: true }, (_event, file) => {
      if (closed) return;
      pending.add(path.join(dir, file ? String(file) : ''));
      if (timer) clearTimeout(timer);
      timer = setTimeout(fire, debounceMs);
    });
    w.on('error', () => {}); // a watched folder removed mid-run is not fatal
    watchers.push(w);
  }

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}

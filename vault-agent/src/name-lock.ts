/**
 * Per-name serialization: operations on one key name run one after another, in arrival order;
 * different names run concurrently. Also counts operations in flight so shutdown can wait for them.
 */
export interface KeyedLock {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Resolves when no operation is running or queued. */
  idle(): Promise<void>;
}

export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<void>>();
  let active = 0;
  let idleWaiters: (() => void)[] = [];
  return {
    async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const prev = tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const tail = prev.then(() => new Promise<void>((r) => (release = r)));
      tails.set(key, tail);
      active++;
      try {
        await prev;
        return await fn();
      } finally {
        release?.();
        if (tails.get(key) === tail) tails.delete(key);
        if (--active === 0) {
          const w = idleWaiters;
          idleWaiters = [];
          for (const f of w) f();
        }
      }
    },
    idle() {
      return active === 0 ? Promise.resolve() : new Promise((r) => idleWaiters.push(r));
    },
  };
}

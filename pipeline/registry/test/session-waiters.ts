/**
 * For isolation tests on the embedded registry: how many client messages are waiting for its one
 * PGlite session (SessionQueue, pipeline/registry/session-queue.ts), counted over every wire
 * server this process serves. A test waits until its read is seen queued, then says the read is
 * still pending while the transaction is open, and settled once it ends: no sleep, and no hoping
 * that the read had reached the server by then.
 *
 * It observes only: enqueue still does exactly what it did.
 */
import { SessionQueue } from '../session-queue.ts';

export interface SessionWaiters {
  /** Client messages queued behind the session's current owner, now. */
  waiting(): number;
  /** Resolves once at least `n` messages are queued (polled; the test's own timeout bounds it). */
  until(n?: number): Promise<void>;
  /** Puts enqueue back as it was. */
  stop(): void;
}

export function watchSessionWaiters(): SessionWaiters {
  const queues = new Set<SessionQueue>();
  const original = SessionQueue.prototype.enqueue;
  SessionQueue.prototype.enqueue = function (this: SessionQueue, ...args: Parameters<SessionQueue['enqueue']>) {
    queues.add(this);
    return original.apply(this, args);
  };
  const waiting = () => [...queues].reduce((n, q) => n + q.getQueueLength(), 0);
  return {
    waiting,
    async until(n = 1) {
      while (waiting() < n) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    stop() {
      SessionQueue.prototype.enqueue = original;
    },
  };
}

/** A promise with its state readable at any moment, for "still pending" and "settled" assertions. */
export function observed<T>(promise: Promise<T>): { promise: Promise<T>; settled(): boolean } {
  let done = false;
  const tracked = promise.finally(() => {
    done = true;
  });
  return { promise: tracked, settled: () => done };
}

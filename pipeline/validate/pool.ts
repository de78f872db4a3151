/**
 * Validates many connector folders on every core. The folders are cut into chunks on one queue;
 * the main thread takes chunks itself (blocking reads, about 25 ms per chunk, yielding between
 * chunks) while worker threads start, and each worker takes chunks as soon as it is up. Starting a
 * worker costs a few hundred milliseconds (it loads the TypeScript validator), so the pool is used
 * only above POOL_THRESHOLD folders, and the main thread's work hides the start-up. A worker that
 * fails to start or dies hands its chunk back to the queue: the pool is only ever a speed-up.
 */
import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { Catalog } from '../schema/manifest.ts';
import { checkConnectorFolderSync } from './check-file.ts';
import type { ManifestResult } from './manifest.ts';

/** Above this many folders the work is shared with worker threads. */
export const POOL_THRESHOLD = 500;
const CHUNK = 250;
const MAX_WORKERS = 3;

export interface PoolOptions {
  /** Worker threads besides the main thread (default: one per extra core, at most 3). */
  workers?: number;
  /** Folders per chunk (default 250). */
  chunkSize?: number;
  /** Whether the main thread takes chunks too (default true; tests turn it off to exercise the workers). */
  mainThreadWorks?: boolean;
  /** Filled in with who did how many chunks. */
  stats?: { mainChunks: number; workerChunks: number };
}

export interface PoolRequest { chunk: number; repoRoot: string; folders: string[] }
export interface PoolReply { chunk: number; results: ManifestResult[] }

/** Worker threads besides the main thread: one per extra core, at most MAX_WORKERS. */
export const defaultWorkerCount = (): number => Math.max(0, Math.min(availableParallelism() - 1, MAX_WORKERS));

export async function checkFoldersInPool(repoRoot: string, folders: string[], catalog: Catalog, opts: PoolOptions = {}): Promise<ManifestResult[]> {
  const { workers = defaultWorkerCount(), chunkSize = CHUNK, mainThreadWorks = true } = opts;
  const stats = opts.stats ?? { mainChunks: 0, workerChunks: 0 };
  const chunks: string[][] = [];
  for (let i = 0; i < folders.length; i += chunkSize) chunks.push(folders.slice(i, i + chunkSize));
  const results: ManifestResult[][] = new Array(chunks.length);
  const queue = chunks.map((_, i) => i);
  let pending = chunks.length;
  // Wakes the main thread when a worker finishes a chunk or dies (and may have re-queued one).
  let wake = () => {};
  const changed = () => new Promise<void>((resolve) => (wake = resolve));
  const complete = (i: number, r: ManifestResult[]) => {
    results[i] = r;
    pending--;
    wake();
  };

  const live = new Set<Worker>();
  for (let w = 0; w < Math.min(workers, mainThreadWorks ? chunks.length - 1 : chunks.length); w++) {
    const worker = new Worker(new URL('./pool-worker.mjs', import.meta.url), { workerData: { catalog }, execArgv: [] });
    live.add(worker);
    let current: number | undefined;
    const feed = () => {
      current = queue.shift();
      if (current === undefined) return;
      worker.postMessage({ chunk: current, repoRoot, folders: chunks[current]! } satisfies PoolRequest);
    };
    worker.once('online', feed);
    worker.on('message', (reply: PoolReply) => {
      stats.workerChunks++;
      complete(reply.chunk, reply.results);
      feed();
    });
    worker.on('error', () => {
      if (current !== undefined) queue.push(current);
      current = undefined;
      wake();
    });
    worker.on('exit', () => {
      if (current !== undefined) queue.push(current);
      current = undefined;
      live.delete(worker);
      wake();
    });
  }

  // The main thread works too, and finishes whatever dead workers left behind.
  while (pending > 0) {
    const i = mainThreadWorks || live.size === 0 ? queue.shift() : undefined;
    if (i !== undefined) {
      stats.mainChunks++;
      complete(i, chunks[i]!.map((f) => checkConnectorFolderSync(repoRoot, f, catalog)));
      await yieldToEventLoop();
    } else {
      await changed();
    }
  }
  await Promise.all([...live].map((w) => w.terminate()));
  return results.flat();
}

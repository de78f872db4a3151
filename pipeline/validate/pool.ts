/**
 * Validates many connector folders, on more than one core when one is not enough.
 *
 * The folders are cut into chunks on one queue, and the main thread takes chunks itself (blocking
 * reads, tens of milliseconds per chunk, yielding between chunks). After each chunk it projects the
 * CPU time the rest will take from the last chunk's cost; only when that exceeds spawnAboveMs does it
 * start worker threads, which then take chunks from the same queue. Why adaptive: a worker costs
 * about 0.4 s of CPU to start (it loads the TypeScript validator) and its results are copied back,
 * so for clean manifests (the js-yaml fast path, ~0.1 ms each) one core finishes 10,000 sooner than
 * two, and on a busy machine extra threads only add load; manifests that need the full positional
 * parser (~0.4 ms each) are where the second core pays. From EAGER_WORKERS_FROM folders on the
 * workers start at once: there the rest is seconds of CPU whatever the manifests hold. A worker that
 * fails to start or dies hands its chunk back to the queue: the pool is only ever a speed-up.
 */
import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { Catalog } from '../schema/manifest.ts';
import { checkConnectorFolderSync, type FolderCheckOptions } from './check-file.ts';
import type { ManifestResult } from './manifest.ts';
import { fromWire, packManifests, toWire, type WireConnector } from './parsed-connector.ts';

/** Above this many folders validateRepo uses the chunked queue (and may start workers). */
export const POOL_THRESHOLD = 500;
const CHUNK = 250;
const MAX_WORKERS = 3;
/** Start workers when the main thread alone would still need more than this much CPU time. */
const SPAWN_ABOVE_MS = 2500;
/**
 * From this many folders on, workers start at once: even clean manifests then need several seconds
 * of CPU (about 0.2 ms each), so measuring first only delays the second core.
 */
export const EAGER_WORKERS_FROM = 20_000;

export interface PoolOptions {
  /** Worker threads besides the main thread (default: one per extra core, at most 3; 0 = main thread only). */
  workers?: number;
  /** Folders per chunk (default 250). */
  chunkSize?: number;
  /** Start workers when the projected remaining main-thread CPU exceeds this (default 2500 ms, 0 from EAGER_WORKERS_FROM folders on; 0 = at once). */
  spawnAboveMs?: number;
  /** Whether the main thread takes chunks while workers live (default true; tests turn it off to exercise the workers). */
  mainThreadWorks?: boolean;
  /** Filled in with who did how many chunks. */
  stats?: { mainChunks: number; workerChunks: number; workersStarted: number };
}

export interface PoolRequest { chunk: number; repoRoot: string; folders: string[] }
export interface PoolReply { chunk: number; results: WireResult[] }
/** A worker's reply and what it moves rather than copies: the buffer of the chunk's manifests. */
export interface WireChunk { reply: Omit<PoolReply, 'chunk'>; transfer: ArrayBuffer[] }
/** A result as a worker sends it: its connector as plain data (parsed-connector.ts toWire). */
export type WireResult = Omit<ManifestResult, 'connector'> & { connector?: WireConnector };

/** A worker's chunk (pool-worker.mjs), in the form it is sent back in. */
export function checkChunkForWire(repoRoot: string, folders: string[], catalog: Catalog, check: FolderCheckOptions): WireChunk {
  const { results, packed } = checkChunk(repoRoot, folders, catalog, check);
  return {
    reply: { results: results.map((r) => (r.connector ? { ...r, connector: toWire(r.connector) } : (r as WireResult))) },
    transfer: packed ? [packed] : [],
  };
}

/** One chunk, on whichever thread, its valid manifests packed outside the heap (parsed-connector.ts packManifests). */
function checkChunk(repoRoot: string, folders: string[], catalog: Catalog, check: FolderCheckOptions): { results: ManifestResult[]; packed?: ArrayBuffer } {
  const results = folders.map((f) => checkConnectorFolderSync(repoRoot, f, catalog, check));
  return { results, packed: packManifests(results) };
}

const fromWireResult = (r: WireResult): ManifestResult => (r.connector ? { ...r, connector: fromWire(r.connector) } : (r as ManifestResult));

/** Worker threads besides the main thread: one per extra core, at most MAX_WORKERS. */
export const defaultWorkerCount = (): number => Math.max(0, Math.min(availableParallelism() - 1, MAX_WORKERS));

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function checkFoldersInPool(
  repoRoot: string, folders: string[], catalog: Catalog, opts: PoolOptions = {}, check: FolderCheckOptions = {},
): Promise<ManifestResult[]> {
  const { workers = defaultWorkerCount(), chunkSize = CHUNK, mainThreadWorks = true } = opts;
  const spawnAboveMs = opts.spawnAboveMs ?? (folders.length >= EAGER_WORKERS_FROM ? 0 : SPAWN_ABOVE_MS);
  const stats = opts.stats ?? { mainChunks: 0, workerChunks: 0, workersStarted: 0 };
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
  let started = false;
  const startWorkers = () => {
    started = true;
    const count = Math.min(workers, mainThreadWorks ? queue.length - 1 : queue.length);
    for (let w = 0; w < count; w++) {
      stats.workersStarted++;
      const worker = new Worker(new URL('./pool-worker.mjs', import.meta.url), { workerData: { catalog, known: check.known, keep: check.keep }, execArgv: [] });
      live.add(worker);
      let current: number | undefined;
      const feed = () => {
        current = queue.shift();
        if (current === undefined) void worker.terminate();
        else worker.postMessage({ chunk: current, repoRoot, folders: chunks[current]! } satisfies PoolRequest);
      };
      const handBack = () => {
        if (current !== undefined) queue.push(current);
        current = undefined;
        wake();
      };
      worker.once('online', feed);
      worker.on('message', (reply: PoolReply) => {
        stats.workerChunks++;
        current = undefined;
        complete(reply.chunk, reply.results.map(fromWireResult));
        feed();
      });
      worker.on('error', handBack);
      worker.on('exit', () => {
        live.delete(worker);
        handBack();
      });
    }
  };
  if (workers > 0 && spawnAboveMs <= 0) startWorkers();
  let measuredMs = 0;
  let measuredFolders = 0;

  while (pending > 0) {
    const i = mainThreadWorks || live.size === 0 ? queue.shift() : undefined;
    if (i === undefined) {
      await changed();
      continue;
    }
    const before = cpuMs();
    complete(i, checkChunk(repoRoot, chunks[i]!, catalog, check).results);
    stats.mainChunks++;
    // The first chunk pays for JIT warm-up, so the cost is averaged from the second chunk on.
    if (stats.mainChunks >= 2) {
      measuredMs += cpuMs() - before;
      measuredFolders += chunks[i]!.length;
    }
    if (!started && workers > 0 && measuredFolders > 0) {
      const remaining = queue.reduce((n, q) => n + chunks[q]!.length, 0);
      if ((measuredMs / measuredFolders) * remaining > spawnAboveMs) startWorkers();
    }
    await yieldToEventLoop();
  }
  await Promise.all([...live].map((w) => w.terminate()));
  return results.flat();
}

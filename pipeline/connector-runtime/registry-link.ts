/**
 * How a running connector reaches the registry to check licences: DATABASE_URL when set, else the
 * embedded registry of the `npm start` that holds CONNECTORS_DATA_DIR (default: the repository's
 * `.data/`), found through its registry.json. It never starts an embedded registry of its own: a
 * connector without a running factory simply has no licences.
 *
 * Every use is bounded: connecting and the work together get `timeoutMs`; past it the connection
 * is destroyed (so the server rolls back whatever the work had begun) and the caller gets a
 * failure, which the licence gate turns into a refusal. Nothing here throws.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { infoPath, pidAlive, readInfo } from '../registry/info-file.ts';

export type LinkResult<T> = { ok: true; value: T } | { ok: false; reason: 'registry_unreachable' | 'registry_slow' | 'registry_error'; message: string };

export interface RegistryLink {
  /** Runs `fn` on one registry connection within the timeout. */
  run<T>(fn: (client: pg.ClientBase) => Promise<T>): Promise<LinkResult<T>>;
  /** The site URL the running npm start announced in registry.json, as last seen by run(); null with DATABASE_URL or none. */
  siteUrl(): string | null;
  /** Closes the idle connections (in-flight work ends on its own). */
  close(): Promise<void>;
}

export interface RegistryLinkOptions {
  /** Where DATABASE_URL and CONNECTORS_DATA_DIR are read, at each use (npm start may restart). */
  env: NodeJS.ProcessEnv;
  /** Connecting plus the work, at most. */
  timeoutMs: number;
  log: (line: string) => void;
}

type Target = { ok: true; url: string; where: string; siteUrl?: string } | { ok: false; message: string };

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The data dir whose npm start a connector asks: CONNECTORS_DATA_DIR, else the repository's `.data/`.
 * The same rule as resolveDataDir in pipeline/registry/connect.ts (a test holds them equal), not
 * imported from there because that module loads the embedded registry (PGlite): over a second on a
 * connector's first firearm call, for a path.
 */
export function dataDirOf(env: NodeJS.ProcessEnv): string {
  return path.resolve(env.CONNECTORS_DATA_DIR || path.join(PROJECT_ROOT, '.data'));
}

/** Where the registry is right now, or why there is none to reach. */
export async function findRegistry(env: NodeJS.ProcessEnv): Promise<Target> {
  if (env.DATABASE_URL) return { ok: true, url: env.DATABASE_URL, where: 'the registry at DATABASE_URL' };
  const dataDir = dataDirOf(env);
  const start = `Start the factory (npm start) on that data dir, or set DATABASE_URL for the connector.`;
  const file = infoPath(dataDir);
  let info: Awaited<ReturnType<typeof readInfo>>;
  try {
    // registry.json says where the registry is served; only a file of ours that nobody else can
    // write is believed (the data dir is private to the factory's user).
    const st = await lstat(file).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
    if (!st) return { ok: false, message: `no npm start is running for the data dir ${dataDir} (no ${file}). ${start}` };
    if (!st.isFile() || (process.getuid && st.uid !== process.getuid()) || (st.mode & 0o022) !== 0) {
      return { ok: false, message: `${file} is not a private file of this user, so it is not trusted. Remove it and restart npm start.` };
    }
    info = await readInfo(dataDir);
  } catch (err) {
    return { ok: false, message: `cannot read ${file}: ${(err as Error).message}. ${start}` };
  }
  if (info === null) return { ok: false, message: `no npm start is running for the data dir ${dataDir}. ${start}` };
  if (info === 'unreadable' || info.url === null) return { ok: false, message: `the registry of ${dataDir} is still starting; call again in a moment.` };
  if (!pidAlive(info.pid)) return { ok: false, message: `the npm start that held ${dataDir} (process ${info.pid}) is gone. ${start}` };
  const siteUrl = typeof info.site_url === 'string' && /^https?:\/\/[^/?#]+\/?$/.test(info.site_url) ? info.site_url : undefined;
  return { ok: true, url: info.url, where: `the registry of the npm start holding ${dataDir}`, ...(siteUrl ? { siteUrl } : {}) };
}

export function openRegistryLink(opts: RegistryLinkOptions): RegistryLink {
  let current: { url: string; pool: pg.Pool } | null = null;
  let announcedSite: string | null = null;

  const poolFor = (url: string): pg.Pool => {
    if (current?.url === url) return current.pool;
    const old = current?.pool;
    void old?.end().catch(() => undefined);
    const pool = new pg.Pool({
      connectionString: url,
      max: 2,
      // The caller's deadline (bounded) decides; this only frees a connection attempt that hangs.
      connectionTimeoutMillis: opts.timeoutMs * 2 + 100,
      idleTimeoutMillis: 30_000,
      // A connector's stdio loop must be able to end while a connection idles.
      allowExitOnIdle: true,
    });
    pool.on('error', (err) => opts.log(`licence registry connection lost: ${err.message}`));
    current = { url, pool };
    return pool;
  };

  return {
    async run(fn) {
      const target = await findRegistry(opts.env);
      if (!target.ok) return { ok: false, reason: 'registry_unreachable', message: target.message };
      announcedSite = target.siteUrl ?? null;
      return bounded(poolFor(target.url), opts.timeoutMs, target.where, fn);
    },
    siteUrl: () => announcedSite,
    async close() {
      const pool = current?.pool;
      current = null;
      await pool?.end().catch(() => undefined);
    },
  };
}

const TIMED_OUT = Symbol('timed out');

async function bounded<T>(pool: pg.Pool, timeoutMs: number, where: string, fn: (client: pg.ClientBase) => Promise<T>): Promise<LinkResult<T>> {
  let client: pg.PoolClient | undefined;
  let released = false;
  let timedOut = false;
  const release = (err?: Error) => {
    if (client && !released) {
      released = true;
      client.release(err);
    }
  };
  const work = (async () => {
    client = await pool.connect();
    if (timedOut) {
      release(new Error('timed out'));
      throw new Error('timed out');
    }
    return fn(client);
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
  });
  try {
    const settled = await Promise.race([work.then((value) => ({ value }), (error: unknown) => ({ error })), deadline]);
    if (settled === TIMED_OUT) {
      timedOut = true;
      // Destroying the connection rolls back an unfinished transaction on the server.
      release(new Error('timed out'));
      work.catch(() => undefined);
      return { ok: false, reason: 'registry_slow', message: `${where} did not answer within ${timeoutMs} ms` };
    }
    if ('error' in settled) {
      const err = settled.error as Error & { code?: string };
      release(err);
      const reachable = typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code);
      return {
        ok: false,
        reason: reachable ? 'registry_error' : 'registry_unreachable',
        message: reachable ? `${where} answered with an error: ${err.message}` : `cannot reach ${where}: ${err.message}`,
      };
    }
    release();
    return { ok: true, value: settled.value };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens the registry a command works on: `--database-url` or DATABASE_URL when given, else the
 * embedded registry in the data dir (reached through the unix socket of the process that owns it,
 * a running `npm start` or another command, else opened in this process for the duration of the
 * command). Either way the embedded registry is only ever reached through `<dataDir>/run/.s.PGSQL.5432`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { startEmbeddedRegistry } from './embedded.ts';
import { createPool, isConnectionLost } from './pool.ts';

export interface OpenRegistryOptions {
  /** Default: DATABASE_URL. */
  databaseUrl?: string;
  /** Default: CONNECTORS_DATA_DIR, else `<repoRoot>/.data`. */
  dataDir?: string;
  /** Where `.data/` lives by default; default: this project's root. */
  repoRoot?: string;
  log?: (line: string) => void;
}

export interface OpenedRegistry {
  pool: pg.Pool;
  /** The connection URL; for the embedded registry, through its unix socket (`?host=<run dir>`). */
  url: string;
  /** True when the registry is the embedded PGlite (this process's or another's). */
  embedded: boolean;
  /** True when the embedded registry is another process's (npm start, or a command that got there first). */
  reached: boolean;
  close(): Promise<void>;
}

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** --data-dir, else CONNECTORS_DATA_DIR, else `<repoRoot>/.data`. */
export function resolveDataDir(dataDir: string | undefined, repoRoot: string = PROJECT_ROOT): string {
  return path.resolve(dataDir ?? process.env.CONNECTORS_DATA_DIR ?? path.join(repoRoot, '.data'));
}

export async function openRegistry(opts: OpenRegistryOptions = {}): Promise<OpenedRegistry> {
  const external = opts.databaseUrl ?? process.env.DATABASE_URL;
  if (external) {
    const pool = newPool(external, 4);
    return { pool, url: external, embedded: false, reached: false, close: () => pool.end() };
  }
  const registry = await startEmbeddedRegistry({ dataDir: resolveDataDir(opts.dataDir, opts.repoRoot), log: opts.log });
  // The embedded registry runs one statement at a time for everyone; more connections from one
  // process would only queue at the server, so one is enough.
  const pool = newPool(registry.url, 1);
  return {
    pool,
    url: registry.url,
    embedded: true,
    reached: !registry.owner,
    close: async () => {
      await pool.end();
      await registry.close();
    },
  };
}

/** How many times a command reaching another process's registry starts over when that process stops under it. */
const REACH_ATTEMPTS = 5;

/**
 * Opens the registry, runs `fn`, always closes it. When `fn` reached another process's embedded
 * registry and lost the connection because that process stopped (a first `sync` finishing while a
 * second one waited on it, an `npm start` stopped), it starts over on the data dir: it now owns it or
 * reaches the next owner. `fn` must be safe to run again; the sentinel's are (one transaction, and a
 * sync that finds its work done changes nothing).
 */
export async function withOpenRegistry<T>(opts: OpenRegistryOptions, fn: (registry: OpenedRegistry) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const registry = await openRegistry(opts);
    try {
      return await fn(registry);
    } catch (err) {
      if (!(registry.reached && isConnectionLost(err) && attempt < REACH_ATTEMPTS)) throw err;
      opts.log?.('registry: the process serving the registry stopped under us; starting over on the data dir');
    } finally {
      await registry.close().catch(() => undefined);
    }
  }
}

function newPool(url: string, max: number): pg.Pool {
  // A connection lost (idle or in a statement) must not crash the command: the statement in
  // flight (or the next one) fails, and the command says so in its one line (cli/main.ts).
  return createPool(url, { max });
}

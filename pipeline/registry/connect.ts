/**
 * Opens the registry a command works on: `--database-url` or DATABASE_URL when given, else the
 * embedded registry in the data dir (reached through the unix socket of a running `npm start`
 * when one holds it, else started in this process for the duration of the command). Either way
 * the embedded registry is only ever reached through `<dataDir>/run/.s.PGSQL.5432`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { createPool } from './pool.ts';
import { startEmbeddedRegistry } from './embedded.ts';

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
  /** True when the registry is the embedded PGlite (this process's or a running `npm start`'s). */
  embedded: boolean;
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
    const pool = newPool(external, 4, opts.log);
    return { pool, url: external, embedded: false, close: () => pool.end() };
  }
  const registry = await startEmbeddedRegistry({ dataDir: resolveDataDir(opts.dataDir, opts.repoRoot), log: opts.log });
  // The embedded registry runs one statement at a time for everyone; more connections from one
  // process would only queue at the server, so one is enough.
  const pool = newPool(registry.url, 1, opts.log);
  return {
    pool,
    url: registry.url,
    embedded: true,
    close: async () => {
      await pool.end();
      await registry.close();
    },
  };
}

function newPool(url: string, max: number, log?: (line: string) => void): pg.Pool {
  // A connection lost (idle or in a statement) must not crash the command: the statement in
  // flight (or the next one) fails, and the command says so in its one line (cli/main.ts).
  void log;
  return createPool(url, { max });
}

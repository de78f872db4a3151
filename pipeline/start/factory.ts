/**
 * `npm start`: the whole factory on one machine. Starts (or reaches) the registry, applies
 * migrations, syncs connectors/, starts vault-agent and the God Config site, then watches the
 * manifests and re-syncs on change. Every part it started is stopped by `close()`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { urlWithoutPassword } from '../registry/db.ts';
import { runDirOf, startEmbeddedRegistry, type EmbeddedRegistry } from '../registry/embedded.ts';
import { migrateRegistry } from '../registry/migrate.ts';
import { damagedAdvice, DataDirError } from '../registry/data-dir-check.ts';
import { readTablesThrough } from '../registry/integrity.ts';
import { createPool, isConnectionLost, lostReason } from '../registry/pool.ts';
import { escapeControl } from '../validate/terminal-text.ts';
import { startSite, ensureSiteBuilt } from '../../site/server.ts';
import { watchRegistryHealth, type RegistryHealth } from './registry-health.ts';
import { createSyncRunner } from './sync-runner.ts';
import { superviseVault } from './vault-supervisor.ts';
import { readTreeState } from './tree-state.ts';
import { watchTrees } from './watch.ts';

/** Where the factory's own code is (vault-agent's entry): not always the repository it syncs. */
const CODE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface FactoryOptions {
  /** The repository whose connectors/, _template/ and pipeline/catalog/ are synced and watched. */
  repoRoot: string;
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  vaultDir?: string;
  socketPath?: string;
  /** The name every registry event the site writes records (npm start's --operator, default the OS user). */
  operator: string;
  watch: boolean;
  log: (line: string) => void;
  /** Aborted (Ctrl-C during start-up): no further part is started, and those running are stopped. */
  signal?: AbortSignal;
}

/** Start-up was interrupted; everything started so far has been stopped. */
export class StartAborted extends Error {
  override name = 'StartAborted';
  constructor() {
    super('start-up interrupted');
  }
}

export interface Factory {
  /** The site's address, without a login. */
  url: string;
  /** `url` with this run's login token: printed once for the operator, stored nowhere. */
  loginUrl: string;
  vaultDir: string;
  close(): Promise<void>;
}

/** The latest sync's outcome and the registry connection, shown on the site. */
export type { PipelineState } from './sync-runner.ts';

export async function startFactory(opts: FactoryOptions): Promise<Factory> {
  const { log } = opts;
  const step = <T>(label: string, fn: () => Promise<{ value: T; note: string }>) => runStep(log, label, fn, opts.signal);
  const cleanups: Array<() => Promise<void> | void> = [];
  /** Told synchronously the moment stopping begins, before any part is stopped (e.g. no vault-agent restart). */
  const onStopping: Array<() => void> = [];
  const close = async () => {
    for (const tell of onStopping.splice(0)) tell();
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        log(`while stopping: ${(err as Error).message}`);
      }
    }
    cleanups.length = 0;
  };

  try {
    let embedded: EmbeddedRegistry | undefined;
    const databaseUrl = await step('registry', async () => {
      if (opts.databaseUrl) return { value: opts.databaseUrl, note: urlWithoutPassword(opts.databaseUrl) };
      // npm start owns its data dir, or refuses at once when another npm start does (embedded.ts).
      const registry = await startEmbeddedRegistry({ dataDir: opts.dataDir, log, kind: 'npm start' });
      embedded = registry;
      cleanups.push(() => registry.close());
      return { value: registry.url, note: `embedded PGlite in ${displayPath(opts.repoRoot, opts.dataDir)}` };
    });

    await step('migrations', async () => {
      await migrateWithRetries(databaseUrl, log, opts.signal);
      return { value: undefined, note: 'schema up to date' };
    });

    if (embedded) {
      // The embedded registry's files are ours to vouch for: a table cut short must stop npm start
      // with words, not serve half the registry (integrity.ts).
      await step('registry check', async () => ({ value: undefined, note: await checkEmbeddedTables(databaseUrl, opts.dataDir) }));
    }

    // One pool for the syncs and the site. A lost connection is one log line, a banner on the site
    // and a retry with backoff (registry-health.ts), never the end of npm start.
    let health: RegistryHealth | undefined;
    const pool = createPool(databaseUrl, { max: 6, onLost: (err) => health?.lost(err) });
    cleanups.push(() => pool.end());
    const runner = createSyncRunner({ pool, repoRoot: opts.repoRoot, log, health: { lost: (err) => health?.lost(err), state: () => health!.state() } });
    health = watchRegistryHealth({ pool, log, onBack: () => runner.registryBack() });
    cleanups.push(() => {
      health?.close();
      runner.close();
    });
    const sync = () => runner.sync();
    // The watched trees as they are before the first sync reads them: a change made from here on,
    // even before the watcher starts, differs from this picture and is synced.
    const watchDirs = ['connectors', '_template', 'pipeline/catalog'].map((d) => path.join(opts.repoRoot, d));
    const baseline = opts.watch ? await readTreeState(watchDirs) : undefined;
    await step('sync connectors/', async () => ({ value: undefined, note: await sync() }));

    const vault = await step('vault-agent', async () => {
      const v = await superviseVault({
        repoRoot: CODE_ROOT,
        runDir: runDirOf(opts.dataDir), // the socket's private directory unless VAULT_AGENT_SOCKET names one
        vaultDir: opts.vaultDir,
        socketPath: opts.socketPath,
        log,
      });
      onStopping.push(() => v.stopping());
      cleanups.push(() => v.stop());
      return { value: v, note: `vault ${v.vaultDir}` };
    });

    const site = await step('God Config site', async () => {
      await ensureSiteBuilt({ log });
      const s = await startSite({
        host: opts.host,
        port: opts.port,
        pool,
        vaultSocket: vault.socketPath,
        pipelineState: () => runner.state(),
        actor: opts.operator,
        log,
      });
      cleanups.push(() => s.close());
      // For a second npm start's refusal and for doctor: where this factory's site is (never its login token).
      await embedded?.publishSiteUrl(s.url);
      return { value: s, note: s.url };
    });

    if (opts.watch) {
      const watcher = watchTrees(
        watchDirs,
        async (changed, note) => {
          if (note.doubt) log(`watcher: ${note.doubt}; re-checking every manifest`);
          if (changed.length > 0) log(`change in ${summarizePaths(opts.repoRoot, changed)}: re-syncing`);
          log(`sync: ${await sync()}`);
        },
        { baseline },
      );
      cleanups.push(() => watcher.close());
    }

    log('');
    // The one place the login token is shown: whoever reads this terminal is the operator.
    log(`God Config: ${site.loginUrl}`);
    log(`            Open this URL to log in as ${opts.operator}. Its token is new at every start; restart npm start for a new one.`);
    log(`Vault:      ${vault.vaultDir} (keys are written there by vault-agent, never shown)`);
    log(opts.watch ? 'Watching connectors/, _template/ and pipeline/catalog/. Ctrl-C stops everything.' : 'Ctrl-C stops everything.');
    return { url: site.url, loginUrl: site.loginUrl, vaultDir: vault.vaultDir, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Reads every table of the embedded registry through; throws DataDirError naming the damaged ones. */
async function checkEmbeddedTables(databaseUrl: string, dataDir: string): Promise<string> {
  const pool = createPool(databaseUrl, { max: 1 });
  try {
    const client = await pool.connect();
    let readings;
    try {
      readings = await readTablesThrough(client);
    } finally {
      client.release();
    }
    const bad = readings.filter((t) => t.problem);
    if (bad.length > 0) {
      throw new DataDirError(
        `the embedded registry in ${path.join(dataDir, 'registry')} is damaged: ${bad.map((t) => `table ${t.table} cannot be read whole (${t.problem})`).join('; ')}. ${damagedAdvice(dataDir)}`,
      );
    }
    return `${readings.length} tables read through, ${readings.reduce((n, t) => n + (t.rows ?? 0), 0)} rows`;
  } finally {
    await pool.end();
  }
}

/**
 * Migrations, tried again (0.5 s doubling, 6 attempts) when the connection is lost on the way: a
 * registry that drops a connection at start-up must not stop npm start. Any other failure stops it.
 */
async function migrateWithRetries(databaseUrl: string, log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateRegistry(databaseUrl);
    } catch (err) {
      if (!isConnectionLost(err) || attempt >= 6 || signal?.aborted) throw err;
      const pause = 500 * 2 ** (attempt - 1);
      log(`registry: the connection was lost while migrating (${lostReason(err)}); trying again in ${pause / 1000} s`);
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

async function runStep<T>(
  log: (line: string) => void,
  label: string,
  fn: () => Promise<{ value: T; note: string }>,
  signal?: AbortSignal,
): Promise<T> {
  if (signal?.aborted) throw new StartAborted();
  const started = performance.now();
  log(`… ${label}`);
  const { value, note } = await fn();
  log(`✓ ${label} (${Math.round(performance.now() - started)} ms): ${note}`);
  return value;
}

function displayPath(root: string, target: string): string {
  const rel = path.relative(root, target);
  return rel && !rel.startsWith('..') ? rel : target;
}

/** Changed files, named as data: a file name may hold control characters (terminal-text.ts). */
function summarizePaths(root: string, files: string[]): string {
  const rel = [...new Set(files.map((f) => escapeControl(path.relative(root, f))))];
  return rel.length <= 3 ? rel.join(', ') : `${rel.slice(0, 3).join(', ')} and ${rel.length - 3} more`;
}

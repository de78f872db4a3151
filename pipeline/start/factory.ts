/**
 * `npm start`: the whole factory on one machine. Starts (or reaches) the registry, applies
 * migrations, syncs connectors/, starts vault-agent and the God Config site, then watches the
 * manifests and re-syncs on change. Every part it started is stopped by `close()`.
 */
import path from 'node:path';
import type pg from 'pg';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { urlWithoutPassword } from '../registry/db.ts';
import { runDirOf, startEmbeddedRegistry, type EmbeddedRegistry } from '../registry/embedded.ts';
import { migrateRegistry } from '../registry/migrate.ts';
import { damagedAdvice, DataDirError } from '../registry/data-dir-check.ts';
import { readTablesThrough } from '../registry/integrity.ts';
import { createPool, isConnectionLost, lostReason } from '../registry/pool.ts';
import { watchedGit } from '../sentinel/git-since.ts';
import { escapeControl } from '../validate/terminal-text.ts';
import { ENTRY_FILE } from '../../site/build.ts';
import { startSite, ensureSiteBuilt } from '../../site/server.ts';
import { watchRegistryHealth, type RegistryHealth } from './registry-health.ts';
import { createSyncRunner } from './sync-runner.ts';
import { vaultSocketPath } from './vault-process.ts';
import { superviseVault, type SupervisedVault } from './vault-supervisor.ts';
import { watchTrees, type TreeWatcher } from './watch.ts';

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
  // Ctrl-C reaches vault-agent too: from that moment its exit is no reason to restart it.
  opts.signal?.addEventListener('abort', () => onStopping.forEach((tell) => tell()), { once: true });
  let stopping = false;
  const close = async () => {
    stopping = true;
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
  /** Parts started beside the main line: a failure waits for them to settle, so their cleanups are in before close(). */
  const inflight: Promise<unknown>[] = [];
  const beside = <T>(work: Promise<T>): Promise<T> => {
    inflight.push(work);
    work.catch(() => undefined); // awaited later, or settled in the catch below: never unhandled
    return work;
  };

  try {
    // Once the data dir is ours (a second npm start has refused by now, before starting anything):
    // vault-agent, its own process with its socket in the data dir's run dir, and the site's code
    // (build check, a stale build rebuilt; modules loaded) start beside the registry's opening.
    const vaultOptions = {
      repoRoot: CODE_ROOT,
      runDir: runDirOf(opts.dataDir), // the socket's private directory unless VAULT_AGENT_SOCKET names one
      vaultDir: opts.vaultDir,
      socketPath: opts.socketPath,
    };
    let beside1: { vault: Promise<SupervisedVault>; site: Promise<void> } | undefined;
    const startBeside = () =>
      (beside1 ??= {
        site: beside(loadSiteCode(log)),
        vault: beside(
          step('vault-agent', async () => {
            const v = await superviseVault({ ...vaultOptions, log });
            onStopping.push(() => v.stopping());
            cleanups.push(() => v.stop());
            if (opts.signal?.aborted) v.stopping();
            return { value: v, note: `vault ${v.vaultDir}` };
          }),
        ),
      });

    let embedded: EmbeddedRegistry | undefined;
    const databaseUrl = await step('registry', async () => {
      if (opts.databaseUrl) {
        startBeside();
        return { value: opts.databaseUrl, note: urlWithoutPassword(opts.databaseUrl) };
      }
      // npm start owns its data dir, or refuses at once when another npm start does (embedded.ts).
      const registry = await startEmbeddedRegistry({ dataDir: opts.dataDir, log, kind: 'npm start', onOwned: startBeside });
      embedded = registry;
      cleanups.push(() => registry.close());
      return { value: registry.url, note: `embedded PGlite in ${displayPath(opts.repoRoot, opts.dataDir)}` };
    });
    const { vault: vaultStarted, site: siteCode } = startBeside();

    await step('migrations', async () => {
      await migrateWithRetries(databaseUrl, log, opts.signal);
      return { value: undefined, note: 'schema up to date' };
    });

    if (embedded) {
      // The embedded registry's files are ours to vouch for: a table cut short must stop npm start
      // with words, not serve half the registry (integrity.ts). Files exactly as the last clean stop
      // left them (clean-stamp.ts) have not been touched since: reading 1.8 million rows through
      // (100,000 connectors) would find nothing new.
      const registry = embedded;
      await step('registry check', async () => ({
        value: undefined,
        note: registry.cleanSinceLastStop
          ? 'files as the last clean stop left them, not read through again'
          : await checkEmbeddedTables(databaseUrl, opts.dataDir),
      }));
    }

    // One pool for the syncs and the site. A lost connection is one log line, a banner on the site
    // and a retry with backoff (registry-health.ts), never the end of npm start.
    let health: RegistryHealth | undefined;
    const pool = createPool(databaseUrl, { max: 6, onLost: (err) => health?.lost(err) });
    cleanups.push(() => pool.end());
    // With the watcher, each sync asks git only about what changed since the last one (git-since.ts).
    const runner = createSyncRunner({
      pool, repoRoot: opts.repoRoot, log, git: opts.watch ? watchedGit(opts.repoRoot, { log }) : undefined,
      health: { lost: (err) => health?.lost(err), state: () => health!.state() },
    });
    health = watchRegistryHealth({ pool, log, onBack: () => runner.registryBack() });
    cleanups.push(async () => {
      health?.close();
      await runner.close(); // a sync in progress commits or rolls back before the pool ends
    });
    const sync = () => runner.sync();

    // The first sync, with the watcher set up just before it: the watches are set before the sync
    // reads the trees, so a change made from then on is seen. Setting them costs a listing of the
    // directories (watch.ts), in the background; a change made while they are still being set is
    // found by one more sync once they are all set.
    const watchDirs = ['connectors', '_template', 'pipeline/catalog'].map((d) => path.join(opts.repoRoot, d));
    let firstSummary: string | undefined;
    const firstSync = async (): Promise<void> => {
      if (stopping) return; // stopped before the sync's turn came (an existing registry's sync runs after the start)
      let watcher: TreeWatcher | undefined;
      if (opts.watch) {
        const w = watchTrees(watchDirs, async (changed, note) => {
          if (note.doubt) log(`watcher: ${note.doubt}; re-checking every manifest`);
          if (changed.length > 0) log(`change in ${summarizePaths(opts.repoRoot, changed)}: re-syncing`);
          log(`sync: ${await runner.afterChange(changed, note)}`);
        });
        watcher = w;
        void w.armed.then(() => runner.watching());
        cleanups.push(() => w.close());
      }
      const armedEarly = watcher ? await settlesWithin(watcher.armed, 100) : true;
      const first = step('sync connectors/', async () => {
        firstSummary = await sync();
        return { value: undefined, note: firstSummary };
      });
      if (watcher && !armedEarly) {
        void watcher.armed.then(async () => {
          if (stopping) return;
          const summary = await sync();
          if (summary !== firstSummary) log(`sync: ${summary} (changes made while the watches were being set)`);
        });
      }
      await first;
    };

    // An empty registry is served once the first sync has filled it. An existing one is served as
    // it is at once, and synced right after: the site shows the last sync until this one ends.
    const existing = await hasSynced(pool);
    if (!existing) await firstSync();

    // The site starts once vault-agent has proved itself (a socket npm start cannot trust stops it
    // before any site listens); its code was loaded meanwhile, so what is left takes little.
    const vault = await vaultStarted;
    const site = await step('God Config site', async () => {
      await siteCode;
      const s = await startSite({
        host: opts.host,
        port: opts.port,
        pool,
        vaultSocket: vaultSocketPath(vaultOptions),
        pipelineState: () => runner.state(),
        actor: opts.operator,
        log,
      });
      cleanups.push(() => s.close());
      // For a second npm start's refusal and for doctor: where this factory's site is (never its login token).
      await embedded?.publishSiteUrl(s.url);
      return { value: s, note: s.url };
    });
    if (existing) beside(firstSync());
    if (opts.signal?.aborted) throw new StartAborted();

    log('');
    // The one place the login token is shown: whoever reads this terminal is the operator.
    log(`God Config: ${site.loginUrl}`);
    log(`            Open this URL to log in as ${opts.operator}. Its token is new at every start; restart npm start for a new one.`);
    log(`Vault:      ${vault.vaultDir} (keys are written there by vault-agent, never shown)`);
    if (firstSummary === undefined) log('Sync:       the first sync is running; until it ends the site shows the registry as its last sync left it.');
    log(opts.watch ? 'Watching connectors/, _template/ and pipeline/catalog/. Ctrl-C stops everything.' : 'Ctrl-C stops everything.');
    return { url: site.url, loginUrl: site.loginUrl, vaultDir: vault.vaultDir, close };
  } catch (err) {
    await Promise.allSettled(inflight);
    await close();
    throw err;
  }
}

/** Whether the registry already holds a sync's result (a sync applied before this start). */
async function hasSynced(pool: pg.Pool): Promise<boolean> {
  try {
    const { rows } = await pool.query<{ synced: boolean }>(`SELECT EXISTS (SELECT 1 FROM registry_syncs WHERE outcome = 'applied') AS synced`);
    return rows[0]?.synced === true;
  } catch {
    return false; // the first sync says what is wrong
  }
}

/**
 * The site's code, ready before the site starts: the build checked (a stale one rebuilt) and the
 * built server's modules loaded, which is most of startSite's own time (it then finds them loaded).
 */
async function loadSiteCode(log: (line: string) => void): Promise<void> {
  await ensureSiteBuilt({ log });
  const { pageMap } = (await import(pathToFileURL(ENTRY_FILE).href)) as { pageMap: Map<string, () => Promise<unknown>> };
  for (const load of pageMap.values()) await load();
}

/** True when `work` settles within `ms`. */
function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.then(() => true, () => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
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

/**
 * `npm start`: the whole factory on one machine. Starts (or reaches) the registry, applies
 * migrations, syncs connectors/, starts vault-agent and the God Config site, then watches the
 * manifests and re-syncs on change. Every part it started is stopped by `close()`.
 */
import path from 'node:path';
import pg from 'pg';
import { runDirOf, startEmbeddedRegistry } from '../registry/embedded.ts';
import { migrateRegistry } from '../registry/migrate.ts';
import { runSync } from '../sentinel/index.ts';
import { formatProblem } from '../validate/format.ts';
import { escapeControl } from '../validate/terminal-text.ts';
import type { ValidationResult } from '../validate/types.ts';
import { startSite, ensureSiteBuilt } from '../../site/server.ts';
import { startVaultProcess } from './vault-process.ts';
import { watchTrees } from './watch.ts';

export interface FactoryOptions {
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

/** The latest sync's validation outcome, shown on the site while a manifest is broken. */
export interface PipelineState {
  validation: ValidationResult | null;
  syncedAt: Date | null;
  error: string | null;
}

export async function startFactory(opts: FactoryOptions): Promise<Factory> {
  const { log } = opts;
  const step = <T>(label: string, fn: () => Promise<{ value: T; note: string }>) => runStep(log, label, fn, opts.signal);
  const cleanups: Array<() => Promise<void> | void> = [];
  const close = async () => {
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
    const databaseUrl = await step('registry', async () => {
      if (opts.databaseUrl) return { value: opts.databaseUrl, note: redactUrl(opts.databaseUrl) };
      const registry = await startEmbeddedRegistry({ dataDir: opts.dataDir, log });
      cleanups.push(() => registry.close());
      return { value: registry.url, note: `embedded PGlite in ${displayPath(opts.repoRoot, opts.dataDir)}` };
    });

    await step('migrations', async () => {
      await migrateRegistry(databaseUrl);
      return { value: undefined, note: 'schema up to date' };
    });

    const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    cleanups.push(() => pool.end());

    const state: PipelineState = { validation: null, syncedAt: null, error: null };
    const sync = () => syncOnce({ pool, repoRoot: opts.repoRoot, state, log });
    await step('sync connectors/', async () => ({ value: undefined, note: await sync() }));

    const vault = await step('vault-agent', async () => {
      const v = await startVaultProcess({
        repoRoot: opts.repoRoot,
        runDir: runDirOf(opts.dataDir), // the socket's private directory unless VAULT_AGENT_SOCKET names one
        vaultDir: opts.vaultDir,
        socketPath: opts.socketPath,
        log,
      });
      cleanups.push(() => v.stop());
      return { value: v, note: `vault ${v.vaultDir}` };
    });

    const site = await step('God Config site', async () => {
      await ensureSiteBuilt({ log });
      const s = await startSite({
        host: opts.host,
        port: opts.port,
        databaseUrl,
        vaultSocket: vault.socketPath,
        pipelineState: () => state,
        actor: opts.operator,
        log,
      });
      cleanups.push(() => s.close());
      return { value: s, note: s.url };
    });

    if (opts.watch) {
      const dirs = ['connectors', '_template', 'pipeline/catalog'].map((d) => path.join(opts.repoRoot, d));
      const watcher = watchTrees(dirs, async (changed) => {
        log(`change in ${summarizePaths(opts.repoRoot, changed)}: re-syncing`);
        log(`sync: ${await sync()}`);
      });
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

/** One sync; validation problems are reported, never thrown, so a broken manifest can't stop the factory. */
async function syncOnce(args: {
  pool: pg.Pool;
  repoRoot: string;
  state: PipelineState;
  log: (line: string) => void;
}): Promise<string> {
  const { state, log } = args;
  try {
    const { validation, result } = await runSync({ db: args.pool, repoRoot: args.repoRoot, actor: 'npm start' });
    state.validation = validation;
    state.syncedAt = new Date();
    state.error = null;
    for (const p of validation.errors) log(`  error   ${formatProblem(p)}`);
    for (const p of validation.warnings) log(`  warning ${formatProblem(p)}`);
    if (!validation.ok) {
      return `${validation.errors.length} problem(s) in the manifests; the registry is unchanged until they are fixed`;
    }
    const c = result?.plan.counts.providers;
    return c
      ? `${validation.connectors.length} connector(s): ${c.added} added, ${c.changed} changed, ${c.retired} retired, ${c.revived} revived, ${c.unchanged} unchanged`
      : 'done';
  } catch (err) {
    state.error = (err as Error).message;
    return `failed: ${(err as Error).message}`;
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

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'DATABASE_URL';
  }
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

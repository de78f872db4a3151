/**
 * runBench: generates N connectors, measures every figure (each the median of `runs` runs, every
 * measured operation in a fresh child process) and returns the report. A figure whose part is not
 * built yet, or whose measurement failed, is null with the reason; nothing is ever estimated.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { changeOneManifest, commitOneManifest, generateRepo, type GeneratedTree } from './generate.ts';
import { FIGURES, median, round, type BenchReport, type FigureKey, type Figures, type Machine } from './report.ts';
import { measureSite } from './site-load.ts';
import { measureStartReady } from './start-ready.ts';
import { runTask, startHost, type Host } from './spawn.ts';
import type { ValidateOutcome } from './tasks/validate.ts';
import type { SyncOutcome } from './tasks/sync.ts';
import type { WatchedSyncOutcome } from './tasks/watched-sync.ts';
import { ROW_BY_ROW_MAX_CONNECTORS, type RowByRowOutcome } from './tasks/row-by-row.ts';
import type { CopyFloorOutcome } from './tasks/copy-floor.ts';
import type { VaultOutcome } from './tasks/vault.ts';
import type { LicenceOutcome } from './tasks/licence.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface BenchOptions {
  connectors: number;
  /** Runs per figure; the figure is their median. */
  runs: number;
  /** Real PostgreSQL server to create fresh databases on; else the embedded registry. */
  databaseUrl?: string;
  seed: number;
  /** Length of each site load phase (warm-up, latency, throughput) per page. */
  siteSeconds: number;
  /** Key writes per vault run. */
  vaultWrites: number;
  /** Keep the temp tree for inspection. */
  keep?: boolean;
  log: (line: string) => void;
}

type Db = Host<{ url: string }>;

export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const figures = Object.fromEntries(FIGURES.map((f) => [f.key, null])) as Figures;
  const report: BenchReport = {
    connectors: opts.connectors,
    backend: opts.databaseUrl ? 'postgres' : 'embedded',
    runs: opts.runs,
    seed: opts.seed,
    machine: machine(),
    figures,
    reasons: {},
    samples: {},
    details: {},
  };
  const record = (key: FigureKey, values: number[], digits = 4) => {
    report.samples[key] = values.map((v) => round(v, digits));
    figures[key] = round(median(values), digits);
  };
  const section = async (name: string, keys: FigureKey[], needs: string[], fn: () => Promise<void>) => {
    const missing = needs.filter((p) => !existsSync(path.join(REPO_ROOT, p)));
    if (missing.length) {
      for (const k of keys) report.reasons[k] = `${missing.join(', ')} not built yet`;
      opts.log(`${name}: skipped, ${missing.join(', ')} not built yet`);
      return;
    }
    try {
      await fn();
    } catch (err) {
      const reason = firstLine((err as Error).message);
      opts.log(`${name}: failed: ${(err as Error).message}`);
      for (const k of keys) if (figures[k] === null) report.reasons[k] = reason;
    }
  };
  const times = <T>(count: number, fn: (i: number) => Promise<T>) =>
    Array.from({ length: count }).reduce<Promise<T[]>>(async (acc, _, i) => [...(await acc), await fn(i)], Promise.resolve([]));

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'cf-bench-'));
  const hosts: { close(): Promise<unknown> }[] = [];
  try {
    opts.log(`generating ${opts.connectors} connectors in ${tmp}`);
    const genStart = performance.now();
    // A git repository with everything committed, as a real checkout: the syncs take the git path.
    const tree = await generateRepo({ dir: tmp, connectors: opts.connectors, seed: opts.seed, git: true });
    report.details.generate_s = round((performance.now() - genStart) / 1000, 3);

    // initdb of a new PGlite takes seconds, so the embedded registries are copies of one freshly
    // migrated, closed data dir: the same empty registry, without paying initdb for every run.
    let dbCount = 0;
    let template: string | null = null;
    /** The embedded registries' data dirs, by host (npm start opens the live one once its host is closed). */
    const dataDirs = new Map<Db, string>();
    const freshEmbeddedDir = async (name: string) => {
      if (!template) {
        template = path.join(tmp, 'registry-template');
        await runTask('registry-template', { dataDir: template });
      }
      const dataDir = path.join(tmp, `${name}-${dbCount++}`);
      await cp(template, dataDir, { recursive: true });
      return dataDir;
    };
    const freshDb = async (): Promise<Db> => {
      const dataDir = opts.databaseUrl ? null : await freshEmbeddedDir('registry');
      const input = dataDir ? { backend: 'embedded', dataDir } : { backend: 'postgres', serverUrl: opts.databaseUrl };
      const host = await startHost<{ url: string }>('fresh-database', input);
      hosts.push(host);
      if (dataDir) dataDirs.set(host, dataDir);
      return host;
    };
    // A registry that fails while closing, after the measured work committed, does not void the
    // figure; the failure is logged and kept in the report's details for the registry's owner.
    const closeDb = async (db: Db) => {
      hosts.splice(hosts.indexOf(db), 1);
      await db.close().catch((err: Error) => {
        opts.log(`a registry failed while closing: ${err.message}`);
        report.details.registry_close_failures = `${report.details.registry_close_failures ?? ''}${firstLine(err.message)}; `;
      });
    };

    await section('validate', ['validate_s', 'peak_rss_mb_validate'], ['pipeline/validate/index.ts'], async () => {
      const runs = await times(opts.runs, async (i) => {
        const r = await runTask<ValidateOutcome>('validate', { repoRoot: tree.repoRoot });
        opts.log(`validate ${i + 1}/${opts.runs}: ${r.result.seconds.toFixed(3)} s, ${Math.round(r.maxRssMb)} MiB`);
        return r;
      });
      record('validate_s', runs.map((r) => r.result.seconds));
      record('peak_rss_mb_validate', [Math.max(...runs.map((r) => r.maxRssMb))], 1);
    });

    await section('validate floor', ['validate_floor_s'], [], async () => {
      const runs = await times(opts.runs, () => runTask<ValidateOutcome>('validate-floor', { jsonRoot: tree.jsonRoot }));
      record('validate_floor_s', runs.map((r) => r.result.seconds));
    });

    const SYNC_PARTS = ['pipeline/validate/index.ts', 'pipeline/registry/connect.ts', 'pipeline/registry/embedded.ts', 'pipeline/registry/migrate.ts', 'pipeline/sentinel/index.ts'];
    let liveDb: Db | null = null;
    await section('sync', ['sync_cold_s', 'peak_rss_mb_sync', 'sync_noop_s', 'sync_one_change_s'], SYNC_PARTS, async () => {
      // The cold sync times its validation apart; the others run as the CLI does (no validator of ours).
      const sync = (db: Db, timeValidation = false) =>
        runTask<SyncOutcome>('sync', { databaseUrl: db.value.url, repoRoot: tree.repoRoot, timeValidation });
      const validating = (s: number | null) => (s === null ? '' : `, ${s.toFixed(3)} s of it validating`);
      const cold = await times(opts.runs, async (i) => {
        const db = await freshDb();
        const r = await sync(db, true);
        if (r.result.providers && r.result.providers.added !== opts.connectors) {
          throw new Error(`the cold sync added ${r.result.providers.added} providers, expected ${opts.connectors}`);
        }
        opts.log(`sync cold ${i + 1}/${opts.runs}: ${r.result.seconds.toFixed(3)} s (${(r.result.validate_seconds ?? 0).toFixed(3)} s validating), ${Math.round(r.maxRssMb)} MiB`);
        if (liveDb) await closeDb(liveDb);
        liveDb = db; // the last one stays: the no-op, one-change and site runs use it
        return r;
      });
      record('sync_cold_s', cold.map((r) => r.result.seconds));
      report.details.sync_cold_validate_s = round(median(cold.map((r) => r.result.validate_seconds ?? 0)), 3);
      report.details.sync_cold_slowest_statements = cold.at(-1)!.result.slowest_statements.map((s) => `${round(s.seconds, 3)} s ${s.sql}`);
      record('peak_rss_mb_sync', [Math.max(...cold.map((r) => r.maxRssMb))], 1);

      const noop = await times(opts.runs, async (i) => {
        const r = await sync(liveDb!);
        const p = r.result.providers;
        if (p && p.added + p.changed + p.retired + p.revived > 0) throw new Error(`the no-op sync changed providers: ${JSON.stringify(p)}`);
        opts.log(`sync no-op ${i + 1}/${opts.runs}: ${r.result.seconds.toFixed(3)} s (${r.result.outcome})${validating(r.result.validate_seconds)}, ${r.result.skipped_unchanged} unchanged skipped`);
        return r.result;
      });
      record('sync_noop_s', noop.map((r) => r.seconds));
      report.details.sync_noop_skipped_unchanged = noop.at(-1)!.skipped_unchanged;
      report.details.sync_cold_analyzed = cold.at(-1)!.result.analyzed;
      report.details.sync_noop_slowest_statements = noop.at(-1)!.slowest_statements.map((s) => `${round(s.seconds, 3)} s ${s.sql}`);

      // Committed first (what CI syncs: the changed folder is the only one whose tree id moved),
      // then uncommitted (what npm start syncs: the edited folders are read, the rest is not).
      const committed = await times(opts.runs, async (i) => {
        await commitOneManifest(tree, (i * 7919 + 5) % opts.connectors, i + 1);
        const r = await sync(liveDb!);
        if (r.result.providers && r.result.providers.changed !== 1) {
          throw new Error(`after one committed manifest change the sync reported ${r.result.providers.changed} changed providers`);
        }
        opts.log(`sync one committed change ${i + 1}/${opts.runs}: ${r.result.seconds.toFixed(3)} s${validating(r.result.validate_seconds)}, ${r.result.skipped_unchanged} unchanged skipped`);
        return r.result;
      });
      report.details.sync_one_change_committed_s = round(median(committed.map((r) => r.seconds)), 4);

      const oneChange = await times(opts.runs, async (i) => {
        await changeOneManifest(tree, (i * 7919 + 1) % opts.connectors, i + 1);
        const r = await sync(liveDb!);
        if (r.result.providers && r.result.providers.changed !== 1) {
          throw new Error(`after one manifest changed the sync reported ${r.result.providers.changed} changed providers`);
        }
        opts.log(`sync one change ${i + 1}/${opts.runs}: ${r.result.seconds.toFixed(3)} s${validating(r.result.validate_seconds)}, ${r.result.skipped_unchanged} unchanged skipped`);
        return r.result;
      });
      record('sync_one_change_s', oneChange.map((r) => r.seconds));
      report.details.sync_one_change_skipped_unchanged = oneChange.at(-1)!.skipped_unchanged;
    });

    // The same kinds of sync as npm start makes them: its watcher names what changed (git-since.ts).
    await section('watched sync', ['sync_noop_watched_s', 'sync_one_change_watched_s'], [...SYNC_PARTS, 'pipeline/start/watch.ts'], async () => {
      if (!liveDb) throw new Error('no registry holds the generated connectors (the sync did not run)');
      const { result: r } = await runTask<WatchedSyncOutcome>('watched-sync', {
        databaseUrl: liveDb.value.url, dir: tmp, connectors: opts.connectors, seed: tree.seed, runs: opts.runs,
      });
      const s = (values: number[]) => values.map((v) => v.toFixed(3)).join(', ');
      opts.log(`watched sync: watches set in ${r.arm_s.toFixed(3)} s, first sync (git asked in full) ${r.first_s.toFixed(3)} s`);
      opts.log(`watched sync: nothing changed ${s(r.noop_s)} s; one change ${s(r.one_change_s)} s (${s(r.one_change_reaction_s)} s from the save); one committed ${s(r.committed_s)} s; looks: ${r.looks.join(', ')}`);
      record('sync_noop_watched_s', r.noop_s);
      record('sync_one_change_watched_s', r.one_change_s);
      report.details.sync_one_change_committed_watched_s = round(median(r.committed_s), 4);
      report.details.sync_one_change_watched_reaction_s = round(median(r.one_change_reaction_s), 4);
      report.details.sync_watched_first_s = round(r.first_s, 3);
      report.details.sync_watched_arm_s = round(r.arm_s, 3);
      report.details.sync_watched_looks = r.looks;
    });

    await section('sync floor', ['sync_floor_s'], ['pipeline/registry/migrate.ts', 'pipeline/registry/wire-server.ts'], async () => {
      const runs = await times(opts.runs, async (i) => {
        const base = { repoRoot: tree.repoRoot, seed: tree.seed, connectors: opts.connectors };
        let r: { result: CopyFloorOutcome };
        if (opts.databaseUrl) {
          const db = await freshDb();
          r = await runTask<CopyFloorOutcome>('copy-floor', { ...base, databaseUrl: db.value.url }).finally(() => closeDb(db));
        } else {
          const dataDir = await freshEmbeddedDir('floor');
          r = await runTask<CopyFloorOutcome>('copy-floor', { ...base, dataDir });
          await rm(dataDir, { recursive: true, force: true });
        }
        opts.log(`sync floor ${i + 1}/${opts.runs}: ${r.result.seconds.toFixed(3)} s, ${r.result.rows} rows`);
        report.details.rows_per_cold_sync = r.result.rows;
        return r.result.seconds;
      });
      record('sync_floor_s', runs);
    });

    await section('row by row', ['row_by_row_s'], ['pipeline/validate/index.ts', 'pipeline/registry/embedded.ts', 'pipeline/registry/migrate.ts'], async () => {
      if (opts.connectors > ROW_BY_ROW_MAX_CONNECTORS) {
        report.reasons.row_by_row_s =
          `skipped above ${ROW_BY_ROW_MAX_CONNECTORS.toLocaleString('en-US')} connectors: one INSERT per row is about 60 rows per connector, ` +
          `so this comparison alone would take most of the bench's time`;
        opts.log(`row by row: ${report.reasons.row_by_row_s}`);
        return;
      }
      const runs = await times(opts.runs, async (i) => {
        const db = await freshDb();
        const r = await runTask<RowByRowOutcome>('row-by-row', { databaseUrl: db.value.url, repoRoot: tree.repoRoot }).finally(() => closeDb(db));
        opts.log(`row by row ${i + 1}/${opts.runs}: ${r.result.seconds.toFixed(3)} s (${r.result.insert_seconds.toFixed(3)} s inserting), ${r.result.rows} rows`);
        return r.result;
      });
      record('row_by_row_s', runs.map((r) => r.seconds));
      report.details.row_by_row_insert_s = round(median(runs.map((r) => r.insert_seconds)), 3);
    });

    await section('site', ['site_list_p50_ms', 'site_detail_p50_ms', 'site_rps', 'site_static_rps', 'site_list_uncached_p50_ms', 'site_search_uncached_p50_ms', 'site_detail_uncached_p50_ms'], ['site/server.ts', 'vault-agent/src/main.ts', ...SYNC_PARTS], async () => {
      if (!liveDb) throw new Error('no registry holds the generated connectors (the sync did not run)');
      // The site and its vault-agent stop when the section ends: npm start's figure is measured without them.
      const siteHosts: { close(): Promise<unknown> }[] = [];
      try {
        await measureSiteSection(opts, tree, tmp, liveDb, record, report, siteHosts);
      } finally {
        for (const host of siteHosts.reverse()) await host.close().catch((err: Error) => opts.log(`while stopping the site: ${err.message}`));
      }
    });

    await section('npm start', ['start_ready_s'], ['pipeline/cli/start.ts', 'site/server.ts', 'vault-agent/src/main.ts', ...SYNC_PARTS], async () => {
      if (!liveDb) throw new Error('no registry holds the generated connectors (the sync did not run)');
      const db: Db = liveDb;
      let dataDir = dataDirs.get(db);
      if (dataDir) {
        // npm start owns its data dir: the bench's host lets go of it first (a clean stop, as an operator's).
        await closeDb(db);
        liveDb = null;
      } else {
        dataDir = path.join(tmp, 'start-data'); // npm start's run dir (vault-agent's socket) only
        await mkdir(dataDir, { mode: 0o700 });
      }
      const runs = await times(opts.runs, async (i) => {
        const r = await measureStartReady({
          repoRoot: tree.repoRoot,
          dataDir: dataDir!,
          databaseUrl: opts.databaseUrl ? db.value.url : undefined,
          vaultDir: path.join(tmp, 'start-vault'),
        });
        const steps = Object.entries(r.steps_ms).map(([step, ms]) => `${step} ${ms} ms`).join(', ');
        opts.log(`npm start ${i + 1}/${opts.runs}: the list page answered ${r.seconds.toFixed(3)} s after the spawn (login URL at ${r.login_line_seconds.toFixed(3)} s; ${steps}); first sync done at ${r.first_sync_seconds.toFixed(3)} s; stopped in ${r.stop_seconds.toFixed(3)} s`);
        return r;
      });
      record('start_ready_s', runs.map((r) => r.seconds), 3);
      report.details.start_login_line_s = round(median(runs.map((r) => r.login_line_seconds)), 3);
      report.details.start_steps_ms = runs.at(-1)!.steps_ms;
      report.details.start_first_sync_done_s = round(median(runs.map((r) => r.first_sync_seconds)), 3);
      report.details.start_stop_s = round(median(runs.map((r) => r.stop_seconds)), 3);
    });

    await section('licence', ['licence_check_p50_ms'], ['pipeline/registry/licences.ts', 'pipeline/connector-runtime/licence-gate.ts', ...SYNC_PARTS], async () => {
      const runs = await times(opts.runs, async (i) => {
        const db = await freshDb();
        const r = await runTask<LicenceOutcome>('licence', { databaseUrl: db.value.url, calls: 200 }).finally(() => closeDb(db));
        const o = r.result;
        opts.log(`licence ${i + 1}/${opts.runs}: +${o.licence_check_p50_ms.toFixed(2)} ms (firearm call p50 ${o.firearm_call_p50_ms.toFixed(2)} ms, plain ${o.plain_call_p50_ms.toFixed(2)} ms, ${o.uses_recorded} uses recorded)`);
        return o;
      });
      record('licence_check_p50_ms', runs.map((r) => r.licence_check_p50_ms), 3);
      report.details.licence_firearm_call_p50_ms = round(median(runs.map((r) => r.firearm_call_p50_ms)), 3);
      report.details.licence_plain_call_p50_ms = round(median(runs.map((r) => r.plain_call_p50_ms)), 3);
    });

    await section('vault', ['vault_writes_per_s', 'vault_floor_writes_per_s'], ['vault-agent/src/bench.ts'], async () => {
      const runs = await times(opts.runs, async (i) => {
        const dir = path.join(tmp, `vault-${i}`);
        const r = await runTask<VaultOutcome>('vault', { dir, clients: 50, writes: opts.vaultWrites });
        opts.log(`vault ${i + 1}/${opts.runs}: ${Math.round(r.result.vault_writes_per_s)} writes/s through vault-agent, ${Math.round(r.result.vault_floor_writes_per_s)} bare`);
        await rm(dir, { recursive: true, force: true });
        return r.result;
      });
      record('vault_writes_per_s', runs.map((r) => r.vault_writes_per_s), 1);
      record('vault_floor_writes_per_s', runs.map((r) => r.vault_floor_writes_per_s), 1);
    });
    return report;
  } finally {
    for (const host of hosts.reverse()) await host.close().catch((err: Error) => opts.log(`while stopping a bench host: ${err.message}`));
    if (opts.keep) opts.log(`kept ${tmp}`);
    else await rm(tmp, { recursive: true, force: true });
  }
}

async function measureSiteSection(
  opts: BenchOptions,
  tree: GeneratedTree,
  tmp: string,
  db: Db,
  record: (key: FigureKey, values: number[], digits?: number) => void,
  report: BenchReport,
  hosts: { close(): Promise<unknown> }[],
): Promise<void> {
  const { startVaultProcess } = await import('../start/vault-process.ts');
  const vault = await startVaultProcess({
    repoRoot: REPO_ROOT,
    vaultDir: path.join(tmp, 'site-vault'),
    socketPath: path.join(tmp, 'vault.sock'),
    log: () => undefined,
  });
  hosts.push({ close: () => vault.stop() });
  const site = await startHost<{ url: string; loginUrl: string }>('site', { databaseUrl: db.value.url, vaultSocket: vault.socketPath });
  hosts.push(site);
  const detailSlug = tree.slugs[Math.floor(tree.slugs.length / 2)]!;
  const runs = [];
  for (let i = 0; i < opts.runs; i++) {
    const processes = { site: site.pid, vault_agent: vault.child.pid, ...(opts.databaseUrl ? {} : { registry: db.pid }) };
    const load = await measureSite({ loginUrl: site.value.loginUrl, detailSlug, seconds: opts.siteSeconds, processes, slugs: tree.slugs, seed: opts.seed + i }).catch((err: Error) => {
      const log = site.output() || '(nothing)';
      throw new Error(`${err.message}; the site's last log lines: ${log.split('\n').slice(-3).join(' | ')}`);
    });
    opts.log(
      `site ${i + 1}/${opts.runs}: list p50 ${load.list.p50_ms.toFixed(2)} ms ${Math.round(load.list.rps)} req/s, detail p50 ${load.detail.p50_ms.toFixed(2)} ms ${Math.round(load.detail.rps)} req/s, static ${Math.round(load.static.rps)} req/s`,
    );
    const u = load.uncached;
    if (u) {
      opts.log(
        `site ${i + 1}/${opts.runs}, every request a miss: list p50 ${u.list.p50_ms.toFixed(2)} ms (${u.list.requests} pages), search ${u.search.p50_ms.toFixed(2)} ms (${u.search.requests}), detail ${u.detail.p50_ms.toFixed(2)} ms (${u.detail.requests})`,
      );
    }
    runs.push(load);
  }
  record('site_list_p50_ms', runs.map((r) => r.list.p50_ms), 2);
  record('site_detail_p50_ms', runs.map((r) => r.detail.p50_ms), 2);
  record('site_rps', runs.map((r) => Math.min(r.list.rps, r.detail.rps)), 1);
  record('site_static_rps', runs.map((r) => r.static.rps), 1);
  const uncached = runs.map((r) => r.uncached).filter((u) => u !== null);
  if (uncached.length === runs.length) {
    record('site_list_uncached_p50_ms', uncached.map((u) => u.list.p50_ms), 2);
    record('site_search_uncached_p50_ms', uncached.map((u) => u.search.p50_ms), 2);
    record('site_detail_uncached_p50_ms', uncached.map((u) => u.detail.p50_ms), 2);
    // Where the time goes (last run): p50 per kind of page (plain, deep, filtered; broad or narrow search).
    report.details.site_uncached_by_kind = { list: uncached.at(-1)!.list.by_kind, search: uncached.at(-1)!.search.by_kind, detail: uncached.at(-1)!.detail.by_kind };
  }
  report.details.site_list_rps = round(median(runs.map((r) => r.list.rps)), 1);
  report.details.site_detail_rps = round(median(runs.map((r) => r.detail.rps)), 1);
  report.details.site_static_path = runs[0]!.static.path;
  // Where a request's CPU goes (last run): the site's rendering, the registry's queries (embedded
  // only: a PostgreSQL server's processes are not ours to read), vault-agent, the load generator.
  report.details.site_cpu_ms_per_request = { list: runs.at(-1)!.list.cpu_ms_per_request, detail: runs.at(-1)!.detail.cpu_ms_per_request, static: runs.at(-1)!.static.cpu_ms_per_request };
}

function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    memory_mb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

function firstLine(message: string): string {
  const line = message.split('\n').find((l) => l.trim()) ?? message;
  return line.length > 600 ? `${line.slice(0, 597)}...` : line;
}

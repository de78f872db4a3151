/**
 * The plan is the only input to apply: each change carries the rows it writes, `sync --dry-run
 * --json` prints them, and a sync then writes exactly those rows, column by column, in their
 * places (the position column is the row's index). In a git checkout, so the tree ids a sync
 * remembers are among them, and so is its bookkeeping: the source sha256 and tree ids of
 * connectors it leaves alone, and the file lists (connector_files) it records.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { runSync } from '../index.ts';
import { writeJson } from '../plan-json.ts';
import type { CatalogRow, Plan, ProviderWrites, SyncResult } from '../types.ts';
import { commitAll, git, gitRepo, runCli, type TestRepo } from './helpers.ts';

describe.each(testBackends())('sync --dry-run --json shows the rows a sync writes (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let repo: TestRepo;

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    repo = gitRepo(['alpha', 'beta', 'gamma']);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    repo.cleanup();
  });

  /** What the registry holds of `slug`: the provider columns the plan names, and its child rows in their places. */
  const inRegistry = async (slug: string, columns: string[]): Promise<ProviderWrites> => {
    const one = async (sql: string) => (await pool.query(sql, [slug])).rows;
    /** A child table's rows by position, each at the position that is its index. */
    const children = async (columns: string, table: string) =>
      (await one(`SELECT position, ${columns} FROM ${table} WHERE provider_slug = $1 ORDER BY position`)).map(({ position, ...row }, i) => {
        expect(position).toBe(i);
        return row;
      });
    return {
      provider: (await one(`SELECT ${columns.join(', ')} FROM connector_providers WHERE provider_slug = $1`))[0],
      scopes: await children('name, description, requires_firearm, firearm_type, access', 'connector_scopes'),
      kpi_mappings: await children('raw_metric, core_kpi, aggregation', 'kpi_mappings'),
      secrets: await children('key_name, label, description, optional', 'connector_secrets'),
    };
  };

  /** Every change's rows in the registry equal its `writes`; a retired one writes none and is retired. */
  const expectWritten = async (plan: Plan) => {
    for (const p of plan.providers) {
      if (!p.writes) {
        const { rows } = await pool.query(`SELECT status FROM connector_providers WHERE provider_slug = $1`, [p.slug]);
        expect(rows).toEqual([{ status: 'retired' }]);
        continue;
      }
      expect(await inRegistry(p.slug, Object.keys(p.writes.provider))).toEqual(p.writes);
    }
  };

  /** The dry run's result as `sync --dry-run --json` prints it. */
  const dryRun = async (): Promise<SyncResult> => {
    const { result } = await runSync({ db: pool, repoRoot: repo.root, dryRun: true });
    let text = '';
    writeJson(result, (t) => (text += t));
    return JSON.parse(text) as SyncResult;
  };

  it('a first sync writes exactly the provider rows, child rows and catalogue rows the dry run printed', async () => {
    const r = await runCli(repo.root, ['sync', '--dry-run', '--json', '--database-url', db.url]);
    expect(r.code, r.stderr).toBe(0);
    const dry = JSON.parse(r.stdout) as SyncResult;
    expect(dry).toMatchObject({ dry_run: true, sync_id: null, outcome: 'applied' });
    expect(dry.plan.providers.map((p) => [p.slug, p.kind])).toEqual([['alpha', 'added'], ['beta', 'added'], ['gamma', 'added']]);
    const alpha = dry.plan.providers[0]!.writes!;
    expect(alpha.provider).toMatchObject({
      provider_slug: 'alpha', display_name: 'Service alpha', status: 'draft', manifest_path: 'connectors/alpha/manifest.yaml',
      manifest: { provider_slug: 'alpha' }, source_tree: git(repo.root, 'rev-parse', 'HEAD:connectors/alpha'),
    });
    expect(alpha.provider.source_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(alpha.scopes.map((s) => s.name)).toEqual(['read_items', 'purge_items']);

    const applied = await runSync({ db: pool, repoRoot: repo.root, actor: 'test' });
    expect(JSON.parse(JSON.stringify(applied.result!.plan.providers))).toEqual(dry.plan.providers);
    await expectWritten(dry.plan);
    const catalogue = async (table: string, rows: CatalogRow[]) =>
      (await pool.query(`SELECT * FROM ${table} WHERE id = ANY($1::text[]) ORDER BY id`, [rows.map((e) => e.id)])).rows;
    const firearms = dry.plan.catalog.firearm_types.added;
    expect(firearms.length).toBeGreaterThan(0);
    expect((await catalogue('firearm_types', firearms)).map(({ id, label, description }) => ({ id, label, description }))).toEqual(
      [...firearms].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    const kpis = dry.plan.catalog.core_kpis.added;
    expect((await catalogue('core_kpis', kpis)).map(({ id, label, description, unit }) => ({ id, label, description, unit }))).toEqual(
      [...kpis].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
  });

  it('a changed, a retired and a revived connector: the sync writes the rows the dry run printed, and no more', async () => {
    repo.write('alpha', {
      display_name: 'Alpha Renamed',
      scopes: [
        { name: 'purge_items', description: 'Permanently delete items', requires_firearm: true, firearm_type: 'CODE_DELETE' },
        { name: 'write_items', description: 'Write items', requires_firearm: false, access: 'write' },
      ],
    });
    repo.remove('beta');
    commitAll(repo, 'alpha changed, beta gone');
    const dry = await dryRun();
    expect(dry.plan.providers.map((p) => [p.slug, p.kind, p.writes === null])).toEqual([['alpha', 'changed', false], ['beta', 'retired', true]]);
    expect(dry.plan.providers[0]!.scopes.removed.map((s) => s.name)).toEqual(['read_items']);
    await runSync({ db: pool, repoRoot: repo.root, actor: 'test' });
    await expectWritten(dry.plan);

    repo.write('beta', { description: 'Back again' });
    commitAll(repo, 'beta back');
    const back = await dryRun();
    expect(back.plan.providers.map((p) => [p.slug, p.kind])).toEqual([['beta', 'revived']]);
    expect(back.plan.providers[0]!.writes!.provider).toMatchObject({ status: 'draft', description: 'Back again', source_tree: git(repo.root, 'rev-parse', 'HEAD:connectors/beta') });
    await runSync({ db: pool, repoRoot: repo.root, actor: 'test' });
    await expectWritten(back.plan);
  });

  it("a comment in gamma's manifest and a file beside it, committed: the bookkeeping and file list the dry run printed are what the sync writes", async () => {
    const manifestFile = path.join(repo.root, 'connectors', 'gamma', 'manifest.yaml');
    writeFileSync(manifestFile, `# reviewed\n${readFileSync(manifestFile, 'utf8')}`);
    writeFileSync(path.join(repo.root, 'connectors', 'gamma', 'NOTES.md'), '# Notes\n');
    commitAll(repo, 'gamma: a comment and notes');
    const dry = await dryRun();
    // NOTES.md is part of the connector digest, so gamma changes; a comment alone would not.
    expect(dry.plan.providers.map((p) => [p.slug, p.kind])).toEqual([['gamma', 'changed']]);
    expect(dry.plan.file_lists.map((f) => [f.slug, f.files.map((x) => x.path)])).toEqual([['gamma', ['NOTES.md', 'manifest.yaml']]]);
    await runSync({ db: pool, repoRoot: repo.root, actor: 'test' });
    await expectWritten(dry.plan);
    const files = async (slug: string) =>
      (await pool.query(`SELECT path, sha256, size::int AS size, text IS NOT NULL AS text FROM connector_files WHERE provider_slug = $1 ORDER BY path`, [slug])).rows;
    expect(await files('gamma')).toEqual(dry.plan.file_lists[0]!.files);

    // A comment alone: gamma's meaning is the same, so only its remembered bytes, tree id and file list move.
    writeFileSync(manifestFile, `# reviewed twice\n${readFileSync(manifestFile, 'utf8')}`);
    commitAll(repo, 'gamma: another comment');
    const comment = await dryRun();
    expect(comment.plan.providers).toEqual([]);
    expect(comment.plan.source_updates).toEqual([
      { slug: 'gamma', source_sha256: expect.stringMatching(/^[0-9a-f]{64}$/), source_tree: git(repo.root, 'rev-parse', 'HEAD:connectors/gamma') },
    ]);
    expect(comment.plan.file_lists.map((f) => f.slug)).toEqual(['gamma']);
    const applied = await runSync({ db: pool, repoRoot: repo.root, actor: 'test' });
    expect(applied.result).toMatchObject({ source_hashes_updated: 1, files_recorded: 1 });
    const { rows } = await pool.query(`SELECT provider_slug AS slug, source_sha256, source_tree FROM connector_providers WHERE provider_slug = 'gamma'`);
    expect(rows).toEqual(comment.plan.source_updates);
    expect(await files('gamma')).toEqual(comment.plan.file_lists[0]!.files);

    // Nothing moved since: no bookkeeping, no file list.
    const again = await dryRun();
    expect([again.plan.source_updates, again.plan.file_lists]).toEqual([[], []]);
  });
});

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryHasSchema } from '../../registry/migrate.ts';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { planSync, runSync } from '../index.ts';
import { countRows, dumpRegistry, makeRepo, type TestRepo } from './helpers.ts';

describe.each(testBackends())('sync writes (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let repo: TestRepo;

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    repo = makeRepo(['alpha', 'beta']);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    repo.cleanup();
  });

  it('plan never writes and plans against an empty registry when the schema is missing', async () => {
    const { validation, plan } = await planSync({ db: pool, repoRoot: repo.root });
    expect(validation.ok).toBe(true);
    expect(plan!.against_empty_registry).toBe(true);
    expect(plan!.counts.providers.added).toBe(2);
    expect(plan!.counts.firearm_types.added).toBeGreaterThan(0);
    const client = await pool.connect();
    try {
      expect(await registryHasSchema(client)).toBe(false);
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`);
      expect(rows[0].n).toBe(0);
    } finally {
      client.release();
    }
  });

  it('an invalid manifest anywhere means nothing is written, not even the schema', async () => {
    repo.writeRaw('broken', 'schema_version: 1\nprovider_slug: broken\ndisplay_nam: Oops\n');
    const { validation, result } = await runSync({ db: pool, repoRoot: repo.root, actor: 'test' });
    expect(validation.ok).toBe(false);
    expect(validation.errors.some((e) => e.file === 'connectors/broken/manifest.yaml')).toBe(true);
    expect(result).toBeUndefined();
    const client = await pool.connect();
    try {
      expect(await registryHasSchema(client)).toBe(false);
    } finally {
      client.release();
    }
    repo.remove('broken');
  });

  it('the first sync registers every connector as a draft and records the sync', async () => {
    const { result } = await runSync({ db: pool, repoRoot: repo.root, actor: 'first-sync', commitSha: 'a'.repeat(40) });
    expect(result!.outcome).toBe('applied');
    expect(result!.plan.counts.providers).toMatchObject({ added: 2, changed: 0, unchanged: 0 });
    const { rows } = await pool.query(`SELECT provider_slug, status FROM connector_providers ORDER BY 1`);
    expect(rows).toEqual([
      { provider_slug: 'alpha', status: 'draft' },
      { provider_slug: 'beta', status: 'draft' },
    ]);
    expect(await countRows(pool, 'connector_scopes')).toBe(4);
    const sync = await pool.query(`SELECT id, commit_sha, actor, outcome, counts FROM registry_syncs`);
    expect(sync.rows).toEqual([
      expect.objectContaining({ commit_sha: 'a'.repeat(40), actor: 'first-sync', outcome: 'applied', counts: result!.plan.counts }),
    ]);
    const events = await pool.query(`SELECT kind, actor, sync_id FROM registry_events WHERE kind = 'sync'`);
    expect(events.rows).toEqual([{ kind: 'sync', actor: 'first-sync', sync_id: sync.rows[0].id }]);
  });

  it('a second sync with no changes writes nothing and reports zero changes', async () => {
    const before = await dumpRegistry(pool);
    const { result } = await runSync({ db: pool, repoRoot: repo.root, actor: 'second-sync' });
    expect(result!.outcome).toBe('noop');
    expect(result!.plan.providers).toEqual([]);
    expect(result!.plan.counts.providers).toMatchObject({ added: 0, changed: 0, retired: 0, revived: 0, unchanged: 2 });
    expect(await dumpRegistry(pool)).toEqual(before);
    const { rows } = await pool.query(`SELECT outcome FROM registry_syncs ORDER BY id`);
    expect(rows.map((r) => r.outcome)).toEqual(['applied', 'noop']);
  });

  it('a sync after one manifest changed rewrites only that provider', async () => {
    const before = await dumpRegistry(pool);
    repo.write('beta', { display_name: 'Beta Renamed' });
    const { result } = await runSync({ db: pool, repoRoot: repo.root, actor: 'test' });
    expect(result!.plan.providers.map((p) => [p.slug, p.kind, p.fields_changed])).toEqual([['beta', 'changed', ['display_name']]]);
    const after = await dumpRegistry(pool);
    const alpha = (d: Record<string, unknown[]>, t: string) => d[t]!.filter((r) => (r as { provider_slug?: string }).provider_slug !== 'beta');
    for (const table of ['connector_providers', 'connector_scopes', 'kpi_mappings', 'connector_secrets']) {
      expect(alpha(after, table)).toEqual(alpha(before, table));
    }
    // beta's unchanged child rows are not rewritten either
    expect(after.connector_scopes).toEqual(before.connector_scopes);
    expect(after.firearm_types).toEqual(before.firearm_types);
  });

  it('sync --dry-run computes the plan and writes nothing', async () => {
    repo.write('gamma');
    const before = await dumpRegistry(pool);
    const syncs = await countRows(pool, 'registry_syncs');
    const { result } = await runSync({ db: pool, repoRoot: repo.root, actor: 'test', dryRun: true });
    expect(result).toMatchObject({ dry_run: true, sync_id: null, outcome: 'applied' });
    expect(result!.plan.providers.map((p) => p.slug)).toEqual(['gamma']);
    expect(await dumpRegistry(pool)).toEqual(before);
    expect(await countRows(pool, 'registry_syncs')).toBe(syncs);
    repo.remove('gamma');
  });

  it('a failure inside the transaction leaves the registry as it was', async () => {
    repo.write('delta');
    const before = await dumpRegistry(pool);
    const syncs = await countRows(pool, 'registry_syncs');
    await expect(
      runSync({
        db: pool,
        repoRoot: repo.root,
        actor: 'test',
        beforeCommit: async () => {
          throw new Error('boom after apply');
        },
      }),
    ).rejects.toThrow('boom after apply');
    expect(await dumpRegistry(pool)).toEqual(before);
    // Only the record of the failed attempt, written after the rollback (pipeline/sentinel/record.ts).
    expect(await countRows(pool, 'registry_syncs')).toBe(syncs + 1);
    const { rows } = await pool.query(`SELECT outcome, problems FROM registry_syncs ORDER BY id DESC LIMIT 1`);
    expect(rows[0]).toEqual({ outcome: 'failed', problems: { error: 'boom after apply' } });
    repo.remove('delta');
  });
});

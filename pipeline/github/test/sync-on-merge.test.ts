/**
 * The main-branch half of the loop, as the workflow runs it: `connectors sync --json` against
 * REGISTRY_DATABASE_URL (passed as DATABASE_URL), then the summary step; and the PR's plan comment
 * (pr-comment) against that same registry, which must plan the difference and write nothing.
 * Runs on the embedded PGlite and, when TEST_DATABASE_URL is set, on the real PostgreSQL.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import type { SyncResult } from '../../sentinel/types.ts';
import { startFakeGitHub } from './fake-github.ts';
import { ALPHA, ARMORY, CORE_KPIS, createRepo, FIREARM_TYPES, PROJECT_ROOT, readOutputs, runCli, runTsx, type GitRepo } from './git-fixture.ts';

const SUMMARY_SCRIPT = join(PROJECT_ROOT, 'pipeline/github/sync-summary-main.ts');

describe.each(testBackends())('on %s', (backend) => {
  let db: FreshDatabase;
  let repo: GitRepo;
  let scratch: string;
  let base: string;
  let head: string;
  const query = async <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    db = await freshDatabase(backend);
    scratch = mkdtempSync(join(tmpdir(), 'cf-sync-runner-'));
    repo = createRepo();
    repo.write({
      'pipeline/catalog/firearm-types.yaml': FIREARM_TYPES,
      'pipeline/catalog/core-kpis.yaml': CORE_KPIS,
      'connectors/alpha/manifest.yaml': ALPHA,
    });
    base = repo.commit('base');
    repo.git('checkout', '-q', '-b', 'pr');
    repo.write({ 'connectors/armory/manifest.yaml': ARMORY });
    head = repo.commit('add armory with a firearm scope');
    repo.git('checkout', '-q', 'main');
  });
  afterAll(async () => {
    await db?.drop();
    repo?.cleanup();
  });

  /** The workflow's sync job: sync --json into a file, then the summary step reads it. */
  async function syncJob(sha: string) {
    repo.git('checkout', '-q', sha);
    const json = join(scratch, `sync-${sha}-${Date.now()}.json`);
    const summary = join(scratch, `summary-${sha}-${Date.now()}.md`);
    writeFileSync(summary, '');
    const env = { GITHUB_ACTIONS: 'true', GITHUB_SHA: sha, GITHUB_ACTOR: 'merge-bot', GITHUB_STEP_SUMMARY: summary };
    const sync = await runCli(['sync', '--json'], repo.root, { ...env, DATABASE_URL: db.url });
    writeFileSync(json, sync.stdout);
    const step = await runTsx(SUMMARY_SCRIPT, [json], repo.root, env);
    return { sync, result: JSON.parse(sync.stdout) as SyncResult, step, summary: readFileSync(summary, 'utf8') };
  }

  it('a merge to main registers the connectors and the catalogues, and the summary says so', async () => {
    const job = await syncJob(base);
    expect(job.sync.code).toBe(0);
    expect(job.result).toMatchObject({ outcome: 'applied', plan: { counts: { providers: { added: 1 } } } });
    expect(job.step.code).toBe(0);
    expect(job.summary).toContain(`## Registry sync for \`${base.slice(0, 12)}\``);
    expect(job.summary).toContain('✅ Applied in one transaction');
    expect(job.summary).toContain('`alpha` `Alpha` | new → draft');

    expect(await query('SELECT provider_slug, status, manifest_path FROM connector_providers')).toEqual([
      { provider_slug: 'alpha', status: 'draft', manifest_path: 'connectors/alpha/manifest.yaml' },
    ]);
    expect(await query('SELECT key_name, label FROM connector_secrets')).toEqual([{ key_name: 'PROVIDER_ALPHA_API_KEY', label: 'API key' }]);
    expect(await query('SELECT raw_metric, core_kpi, aggregation, approved_at FROM kpi_mappings')).toEqual([
      { raw_metric: 'total_sales', core_kpi: 'gross_sales', aggregation: 'sum', approved_at: null },
    ]);
    expect((await query<{ id: string }>('SELECT id FROM firearm_types ORDER BY id')).map((r) => r.id)).toEqual([
      'CODE_DELETE',
      'GENERAL',
      'INVENTORY_ORDER',
      'REFUND_ISSUE',
    ]);
    expect(await query('SELECT commit_sha, actor, outcome FROM registry_syncs')).toEqual([{ commit_sha: base, actor: 'merge-bot', outcome: 'applied' }]);
  });

  it("a PR's plan comment, planned against the registry, shows only its own change, and writes nothing", async () => {
    const before = await query('SELECT provider_slug, manifest_digest, updated_at FROM connector_providers ORDER BY 1');
    const syncsBefore = await query('SELECT id FROM registry_syncs');
    // The workflow_run job: the default branch checked out, the PR head read from git as data.
    repo.git('checkout', '-q', 'main');
    const gh = await startFakeGitHub({ owner: 'acme', repo: 'connectors' });
    gh.pulls[3] = { head, base };
    try {
      const summary = join(scratch, 'pr-summary.md');
      const output = join(scratch, 'pr-output.txt');
      writeFileSync(summary, '');
      writeFileSync(output, '');
      const run = await runCli(['pr-comment', '--pr', '3', '--head', head, '--base', base], repo.root, {
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: repo.root,
        GITHUB_REPOSITORY: 'acme/connectors',
        GITHUB_TOKEN: 'ghs_test',
        GITHUB_API_URL: gh.url,
        GITHUB_STEP_SUMMARY: summary,
        GITHUB_OUTPUT: output,
        RUNNER_TEMP: scratch,
        REGISTRY_DATABASE_URL: db.url,
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const body = gh.comments[0]!.body;
      expect(body).toContain('Planned against **the registry** (read-only)');
      expect(body).toContain('| `armory` | `place_order` | `INVENTORY_ORDER` | new scope |');
      expect(readFileSync(summary, 'utf8')).toContain('| Connectors | +1 added, ~0 changed, 0 retired, 0 revived, 1 unchanged |');
      expect(readOutputs(output)).toMatchObject({ valid: 'true', against_empty_registry: 'false', providers_added: '1', providers_unchanged: '1', new_firearm_scopes: '1', comment: 'created' });
    } finally {
      await gh.close();
    }
    expect(await query('SELECT provider_slug, manifest_digest, updated_at FROM connector_providers ORDER BY 1')).toEqual(before);
    expect(await query('SELECT id FROM registry_syncs')).toEqual(syncsBefore);
  });

  it('merging that PR registers the new firearm scope with its type', async () => {
    const job = await syncJob(head);
    expect(job.sync.code).toBe(0);
    expect(job.result.plan.counts.providers).toMatchObject({ added: 1, unchanged: 1 });
    expect(job.summary).toContain('🚨 NEW FIREARM SCOPES');
    expect(await query("SELECT name, requires_firearm, firearm_type FROM connector_scopes WHERE provider_slug = 'armory' ORDER BY position")).toEqual([
      { name: 'read_stock', requires_firearm: false, firearm_type: null },
      { name: 'place_order', requires_firearm: true, firearm_type: 'INVENTORY_ORDER' },
    ]);
  });

  it('a second sync of the same commit changes nothing', async () => {
    const before = await query('SELECT provider_slug, manifest_digest, updated_at FROM connector_providers ORDER BY 1');
    const job = await syncJob(head);
    expect(job.result.outcome).toBe('noop');
    expect(job.summary).toContain('already up to date');
    expect(await query('SELECT provider_slug, manifest_digest, updated_at FROM connector_providers ORDER BY 1')).toEqual(before);
  });
});

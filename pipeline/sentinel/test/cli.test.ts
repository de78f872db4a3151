import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { dumpRegistry, makeRepo, runCli, type TestRepo } from './helpers.ts';

describe.each(testBackends())('connectors plan / sync CLI (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let repo: TestRepo;
  const cli = (...args: string[]) => runCli(repo.root, [...args, '--database-url', db.url]);

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 1 });
    repo = makeRepo(['alpha', 'beta']);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    repo.cleanup();
  });

  it('plan --json prints the plan against an empty registry and creates nothing', async () => {
    const r = await cli('plan', '--json');
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.against_empty_registry).toBe(true);
    expect(plan.providers.map((p: { slug: string; kind: string }) => [p.slug, p.kind])).toEqual([
      ['alpha', 'added'],
      ['beta', 'added'],
    ]);
    expect(plan.providers[0].scopes.added).toContainEqual({ name: 'purge_items', description: 'Permanently delete items', requires_firearm: true, firearm_type: 'CODE_DELETE', access: null });
    expect(await dumpRegistry(pool)).toEqual({});
  });

  it('sync prints what it applied, provider by provider, with new firearm scopes called out', async () => {
    const r = await cli('sync');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Registry updated (sync #1');
    expect(r.stdout).toContain('+ alpha (Service alpha): new, will be a draft awaiting review');
    expect(r.stdout).toContain('      + purge_items [firearm CODE_DELETE]');
    expect(r.stdout).toMatch(/New firearm scopes \(2\)[^\n]*\n  alpha: purge_items \[CODE_DELETE\]\n  beta: purge_items \[CODE_DELETE\]/);
    expect(r.stdout).toContain('Providers: 2 added, 0 changed, 0 retired, 0 revived, 0 unchanged.');
  });

  it('sync --json a second time reports zero changes', async () => {
    const r = await cli('sync', '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ outcome: 'noop', sync_id: 2, dry_run: false });
    expect(result.plan.providers).toEqual([]);
    expect(result.plan.counts.providers).toEqual({ added: 0, changed: 0, unchanged: 2, retired: 0, revived: 0 });
  });

  it('sync says how many unchanged manifests it skipped, and --full validates them all', async () => {
    const r = await cli('sync');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Skipped 2 manifest(s) unchanged since the last sync');
    const full = await cli('sync', '--full');
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout).toContain('Registry already up to date');
    expect(full.stdout).not.toContain('Skipped');
  });

  it('plan shows a change and a retirement in words, and sync --dry-run writes nothing', async () => {
    repo.write('alpha', { kpis: [{ raw: 'total_sales', standard: 'gross_sales', aggregation: 'max' }] });
    repo.remove('beta');
    const plan = await cli('plan');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('~ alpha (Service alpha): manifest changed (stays draft)');
    expect(plan.stdout).toContain('      ~ total_sales -> gross_sales (max): aggregation sum -> max (approval reset)');
    expect(plan.stdout).toContain('- beta (Service beta): folder removed: draft -> retired (its rows are kept as a tombstone)');

    const before = await dumpRegistry(pool);
    const dry = await cli('sync', '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, sync_id: null, outcome: 'applied' });
    expect(await dumpRegistry(pool)).toEqual(before);
  });

  it('an invalid manifest: sync exits 1, prints file:line:col, and writes nothing but the record of the failed sync', async () => {
    repo.writeRaw('gamma', 'schema_version: 1\nprovider_slug: gamma\ndisplay_name: Gamma\nauth_mode: byok\nscopes:\n  - name: read\n    description: Read\n    requires_firearm: maybe\n');
    const before = await dumpRegistry(pool);
    const human = await cli('sync');
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/connectors\/gamma\/manifest\.yaml:\d+:\d+ /);
    expect(human.stdout).toContain('No connector or catalogue was changed in the registry');
    expect(human.stdout).toMatch(/The attempt is recorded as failed sync #\d+/);
    const json = await cli('sync', '--json');
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout);
    expect(out.ok).toBe(false);
    expect(out.failed_sync_id).toEqual(expect.any(Number));
    expect(out.errors.some((e: { file: string; line: number }) => e.file === 'connectors/gamma/manifest.yaml' && e.line > 0)).toBe(true);
    expect(await dumpRegistry(pool)).toEqual(before);
    repo.remove('gamma');
  });

  it('a wrong flag is a usage error (exit 2)', async () => {
    const r = await runCli(repo.root, ['sync', '--dryrun']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: npm run connectors -- sync [--dry-run]');
  });

  it('a database password never reaches the output, even when the connection fails', async () => {
    const canary = 'CANARY-pw-7f3a9c';
    const r = await runCli(repo.root, ['sync', '--database-url', `postgres://someone:${canary}@127.0.0.1:1/registry`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: /);
    expect(r.stdout + r.stderr).not.toContain(canary);
  });
});

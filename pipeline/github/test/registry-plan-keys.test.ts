/**
 * The PR comment's plan refuses what the merge's sync would refuse: a key name the registry gives
 * to another connector (a retired connector's tombstone keeps its keys). The problem is reported at
 * the key's line in the PR's tree, fails the verdict, and the claimant is left out of the plan.
 * On every backend, against a registry synced by the real sentinel.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { runSync } from '../../sentinel/index.ts';
import { makeRepo, type TestRepo } from '../../sentinel/test/helpers.ts';
import { validateRepo } from '../../validate/index.ts';
import { checkTree } from '../check.ts';
import { planAgainstRegistry } from '../registry-plan.ts';

const secret = (key: string) => ({ key, label: 'API key' });

describe.each(testBackends())('the PR plan and key names owned in the registry (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let repo: TestRepo;

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    repo = makeRepo();
    repo.write('dummy_service');
    expect((await runSync({ db: pool, repoRoot: repo.root, actor: 'ci' })).result?.outcome).toBe('applied');
    repo.remove('dummy_service');
    expect((await runSync({ db: pool, repoRoot: repo.root, actor: 'ci' })).result?.outcome).toBe('applied');
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    repo.cleanup();
  });

  it("a PR claiming a retired connector's key fails its check with the problem at the key's line, and the claimant is not planned", async () => {
    repo.write('dummy_service_api', { secrets: [secret('PROVIDER_DUMMY_SERVICE_API_KEY')] });
    repo.write('other_service');
    const outcome = await checkTree({
      commits: null,
      changedFiles: () => Promise.reject(new Error('not a PR')),
      existing: (paths) => paths,
      validate: (paths) => validateRepo({ repoRoot: repo.root, paths }),
      plan: (full) => planAgainstRegistry(db.url, full, repo.root),
      warning: (message) => expect.fail(`unexpected warning: ${message}`),
    });
    expect(outcome.validation.ok).toBe(false);
    const taken = outcome.validation.errors.filter((e) => e.code === 'secret_key_taken');
    expect(taken).toEqual([expect.objectContaining({ file: 'connectors/dummy_service_api/manifest.yaml', path: 'secrets[0].key' })]);
    expect(taken[0]!.line).toBeGreaterThan(1);
    expect(taken[0]!.message).toContain('belongs to connector "dummy_service"');
    expect(outcome.planned.ok).toBe(true);
    const slugs = outcome.planned.ok ? outcome.planned.plan.providers.map((p) => p.slug) : [];
    expect(slugs).toContain('other_service');
    expect(slugs).not.toContain('dummy_service_api');
  });

  it('a PR whose keys are its own plans as before, with no problem added', async () => {
    repo.remove('dummy_service_api');
    const full = await validateRepo({ repoRoot: repo.root });
    const planned = await planAgainstRegistry(db.url, full, repo.root);
    expect(planned.ok && planned.problems).toBeFalsy();
    expect(planned.ok && planned.plan.providers.map((p) => p.slug)).toContain('other_service');
  });
});

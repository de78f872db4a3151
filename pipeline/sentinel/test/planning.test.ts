/**
 * The one planning path (planning.ts): a connector the validator skipped as unchanged is planned
 * only while it still is the registry's row. When another sync moved that row between the
 * validation and the read, the plan is made from a validation made again in full, or not at all.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction, SYNC_LOCK } from '../../registry/db.ts';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { validateRepo } from '../../validate/repo.ts';
import type { ValidationResult } from '../../validate/types.ts';
import { planSync, readKnownSources, runSync, type Validate } from '../index.ts';
import { planRegistry } from '../planning.ts';
import { makeRepo, type TestRepo } from './helpers.ts';

describe.each(testBackends())('planning against a registry that moved (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let repo: TestRepo;
  const manifestFile = (slug: string) => path.join(repo.root, 'connectors', slug, 'manifest.yaml');

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
    repo = makeRepo(['alpha', 'beta']);
    await runSync({ db: pool, repoRoot: repo.root, actor: 'test' });
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    repo.cleanup();
  });

  /** What plan/sync validate first: every manifest the registry synced skipped as unchanged. */
  const validateSkipping = async () => {
    const known = await inTransaction(pool, readKnownSources);
    return validateRepo({ repoRoot: repo.root, known });
  };

  /** Another checkout syncs a different beta; this checkout's bytes stay what they were. */
  const anotherSyncMovesBeta = async () => {
    const original = readFileSync(manifestFile('beta'), 'utf8');
    repo.write('beta', { display_name: 'Beta From Elsewhere' });
    await runSync({ db: pool, repoRoot: repo.root, actor: 'other' });
    repo.writeRaw('beta', original);
    return YAML.parse(original).display_name as string;
  };

  it('validates again, in full, when another sync moved a skipped row between the validation and the lock', async () => {
    const validation = await validateSkipping();
    expect(validation.connectors.map((c) => [c.slug, c.kind])).toEqual([['alpha', 'unchanged'], ['beta', 'unchanged']]);
    const betaName = await anotherSyncMovesBeta();

    const again: ValidationResult[] = [];
    const planned = await inTransaction(pool, (client) =>
      planRegistry({
        validation, repoRoot: repo.root, read: (fn) => fn(client),
        revalidate: async () => {
          again.push(await validateRepo({ repoRoot: repo.root }));
          return again.at(-1)!;
        },
      }), { lock: SYNC_LOCK });

    expect(again).toHaveLength(1);
    expect(planned.validation).toBe(again[0]);
    expect(planned.validation.connectors.map((c) => c.kind)).toEqual(['parsed', 'parsed']);
    expect(planned.plan!.providers.map((p) => [p.slug, p.kind, p.fields_changed])).toEqual([['beta', 'changed', ['display_name']]]);
    expect(planned.plan!.providers[0]!.writes!.provider.display_name).toBe(betaName);
    expect(planned.plan!.counts.providers.unchanged).toBe(1);
  });

  it('without a way to validate again it makes no plan (a sync of a few changed folders then syncs as usual)', async () => {
    await runSync({ db: pool, repoRoot: repo.root, actor: 'test' });
    const validation = await validateSkipping();
    await anotherSyncMovesBeta();
    const planned = await inTransaction(pool, (client) => planRegistry({ validation, repoRoot: repo.root, read: (fn) => fn(client) }));
    expect(planned).toBeUndefined();
    // Nothing moved: planned from the skipped connectors, nothing to change.
    await runSync({ db: pool, repoRoot: repo.root, actor: 'test' });
    const skipping = await validateSkipping();
    const still = await inTransaction(pool, (client) => planRegistry({ validation: skipping, repoRoot: repo.root, read: (fn) => fn(client) }));
    expect(still?.plan?.providers).toEqual([]);
    expect(still?.plan?.counts.providers.unchanged).toBe(2);
  });

  it('plan (planSync) validates again too, outside any transaction', async () => {
    await runSync({ db: pool, repoRoot: repo.root, actor: 'test' });
    const calls: boolean[] = [];
    let raced = false;
    const racing: Validate = async (args) => {
      calls.push(args.known !== undefined);
      const v = await validateRepo({ repoRoot: args.repoRoot, known: args.known });
      if (!raced && args.known) {
        raced = true;
        await anotherSyncMovesBeta();
      }
      return v;
    };
    const { validation, plan } = await planSync({ db: pool, repoRoot: repo.root, validate: racing });
    expect(calls).toEqual([true, false]);
    expect(validation.skipped_unchanged ?? 0).toBe(0);
    expect(plan!.providers.map((p) => [p.slug, p.kind, p.fields_changed])).toEqual([['beta', 'changed', ['display_name']]]);
  });
});

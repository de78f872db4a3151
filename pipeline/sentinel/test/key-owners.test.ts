/**
 * Plan and sync refuse a key name that another connector owns in the registry (a retired
 * connector's tombstone, a connector that removed the key, one the validator skipped as
 * unchanged), with an error at the key's line naming both connectors, before anything is written.
 * On every backend, through the real sentinel.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { planSync, runSync } from '../index.ts';
import { keyConflicts, type KeyOwner } from '../key-owners.ts';
import { dumpRegistry, makeRepo, manifestYaml, type TestRepo } from './helpers.ts';
import type { ValidConnector } from '../../validate/types.ts';

const secret = (key: string) => ({ key, label: 'API key' });

/** 1-based line and column of `key`'s value in a manifest text. */
function keyPosition(text: string, key: string): { line: number; column: number } {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(`key: ${key}`));
  return { line: i + 1, column: lines[i]!.indexOf(key) + 1 };
}

describe('keyConflicts (pure)', () => {
  const parsed = (slug: string, keys: string[]) =>
    ({ kind: 'parsed', slug, file: `connectors/${slug}/manifest.yaml`, digest: 'd', manifest: { secrets: keys.map(secret) } }) as unknown as ValidConnector;
  const owner = (key_name: string, provider_slug: string, more: Partial<KeyOwner> = {}): KeyOwner => ({ key_name, provider_slug, status: 'draft', declares: true, ...more });

  it('names each key a connector declares that another connector owns, and nothing else', () => {
    const conflicts = keyConflicts(
      [parsed('a_b', ['PROVIDER_A_B_KEY', 'PROVIDER_A_B_OWN']), parsed('a', ['PROVIDER_A_OTHER'])],
      [owner('PROVIDER_A_B_KEY', 'a', { status: 'retired' }), owner('PROVIDER_A_B_OWN', 'a_b'), owner('PROVIDER_A_OTHER', 'a')],
    );
    expect(conflicts).toEqual([{ key_name: 'PROVIDER_A_B_KEY', slug: 'a_b', file: 'connectors/a_b/manifest.yaml', index: 0, owner: owner('PROVIDER_A_B_KEY', 'a', { status: 'retired' }) }]);
  });

  it('an unchanged connector (its keys already its own in the registry) has no conflict to report', () => {
    const unchanged = { kind: 'unchanged', slug: 'a_b', file: 'f', digest: 'd', source_sha256: 'x' } as ValidConnector;
    expect(keyConflicts([unchanged], [owner('PROVIDER_A_B_KEY', 'a')])).toEqual([]);
  });
});

describe.each(testBackends())('key names owned in the registry (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let repo: TestRepo;
  const sync = () => runSync({ db: pool, repoRoot: repo.root, actor: 'ci' });
  const appliedSyncs = async () => (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM registry_syncs WHERE outcome <> 'failed'`)).rows[0]!.n;

  /** Sync must refuse: the returned problems, and proof that nothing was written. */
  async function refused(slug: string, key: string) {
    const before = { dump: await dumpRegistry(pool), syncs: await appliedSyncs() };
    const planned = await planSync({ db: pool, repoRoot: repo.root });
    expect(planned.plan).toBeUndefined();
    const { validation, result } = await sync();
    expect(result).toBeUndefined();
    expect(validation.ok).toBe(false);
    expect(await dumpRegistry(pool)).toEqual(before.dump);
    // No sync applied; the refusal is recorded as a failed sync naming the code and where.
    expect(await appliedSyncs()).toBe(before.syncs);
    const last = await pool.query(`SELECT outcome, problems FROM registry_syncs ORDER BY id DESC LIMIT 1`);
    expect(last.rows[0].outcome).toBe('failed');
    expect(last.rows[0].problems.first).toContainEqual(expect.objectContaining({ file: `connectors/${slug}/manifest.yaml`, code: 'secret_key_taken' }));
    const problems = validation.errors.filter((e) => e.code === 'secret_key_taken');
    expect(planned.validation.errors.filter((e) => e.code === 'secret_key_taken')).toEqual(problems);
    expect(problems).toEqual([expect.objectContaining({ file: `connectors/${slug}/manifest.yaml`, path: 'secrets[0].key', ...keyPosition(manifestYaml(slug, { secrets: [secret(key)] }), key) })]);
    return { message: problems[0]!.message, skipped: planned.validation.skipped_unchanged ?? 0 };
  }

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    repo = makeRepo();
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    repo.cleanup();
  });

  it('a retired connector\'s key cannot be claimed by a new connector whose prefix fits it', async () => {
    repo.write('dummy_service');
    expect((await sync()).result?.outcome).toBe('applied');
    repo.remove('dummy_service');
    expect((await sync()).result?.plan.providers).toEqual([expect.objectContaining({ slug: 'dummy_service', kind: 'retired' })]);

    repo.write('dummy_service_api', { secrets: [secret('PROVIDER_DUMMY_SERVICE_API_KEY')] });
    const { message } = await refused('dummy_service_api', 'PROVIDER_DUMMY_SERVICE_API_KEY');
    expect(message).toContain('secret key "PROVIDER_DUMMY_SERVICE_API_KEY" belongs to connector "dummy_service"');
    expect(message).toContain('"dummy_service" is retired and its tombstone keeps its keys');
    expect(message).toContain('Give this key another name');

    // Named otherwise, it syncs; the retired connector coming back gets its key again.
    repo.write('dummy_service_api', { secrets: [secret('PROVIDER_DUMMY_SERVICE_API_TOKEN')] });
    expect((await sync()).result?.outcome).toBe('applied');
    repo.write('dummy_service');
    expect((await sync()).result?.plan.providers).toEqual([expect.objectContaining({ slug: 'dummy_service', kind: 'revived' })]);
  });

  it('a key a live connector removed stays its own', async () => {
    repo.write('billing', { secrets: [secret('PROVIDER_BILLING_API_KEY'), secret('PROVIDER_BILLING_EU_KEY')] });
    await sync();
    repo.write('billing', { secrets: [secret('PROVIDER_BILLING_API_KEY')] });
    expect((await sync()).result?.plan.counts.secrets.removed).toBe(1);

    repo.write('billing_eu', { secrets: [secret('PROVIDER_BILLING_EU_KEY')] });
    const { message } = await refused('billing_eu', 'PROVIDER_BILLING_EU_KEY');
    expect(message).toContain('belongs to connector "billing" in the registry (connectors/billing/manifest.yaml declared it before and has removed it since)');
    repo.remove('billing_eu');
  });

  it('a key of a connector the validator skipped as unchanged is found in the registry', async () => {
    repo.write('mailer', { secrets: [secret('PROVIDER_MAILER_SMTP_KEY')] });
    await sync();
    // mailer's bytes are unchanged, so plan and sync accept it without parsing: only the registry knows its keys.
    repo.write('mailer_smtp', { secrets: [secret('PROVIDER_MAILER_SMTP_KEY')] });
    const { message, skipped } = await refused('mailer_smtp', 'PROVIDER_MAILER_SMTP_KEY');
    expect(skipped).toBeGreaterThan(0);
    expect(message).toContain('belongs to connector "mailer" in the registry (declared in connectors/mailer/manifest.yaml)');
  });
});

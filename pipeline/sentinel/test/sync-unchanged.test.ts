/**
 * The unchanged-file fast path of plan/sync: a manifest whose bytes the registry synced, under the
 * same catalogues and validator version, is not parsed again; everything else is validated in full,
 * and the sentinel's promise (validate everything first; if anything is invalid, write nothing) holds.
 * Parsing is observed through an injected, counting full validator, never by timing.
 */
import { readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { folderSourceSha256, readConnectorFolderSync } from '../../validate/connector-folder.ts';
import { validateManifestBytes } from '../../validate/manifest.ts';
import { validateRepo } from '../../validate/repo.ts';
import { VALIDATOR_VERSION } from '../../validate/rules.ts';
import { validationFingerprint } from '../../validate/unchanged.ts';
import { planSync, runSync, type Validate } from '../index.ts';
import { countRows, dumpRegistry, makeRepo, type TestRepo } from './helpers.ts';

/** The source sha256 sync remembers: every file of the folder by path and bytes. */
const sourceOf = (root: string, slug: string) => folderSourceSha256(readConnectorFolderSync(root, slug).files);

describe.each(testBackends())('sync skips unchanged manifests (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let repo: TestRepo;
  /** Files the full validator parsed, per call of validate. */
  let parsed: string[] = [];
  let calls: { known: boolean }[] = [];
  const counting: Validate = (args) => {
    calls.push({ known: args.known !== undefined });
    return validateRepo({
      repoRoot: args.repoRoot,
      known: args.known,
      validateBytes: (bytes, file, catalog, folder) => {
        parsed.push(file);
        return validateManifestBytes(bytes, file, catalog, folder);
      },
    });
  };
  const sync = async (extra: Partial<Parameters<typeof runSync>[0]> = {}) => {
    parsed = [];
    calls = [];
    return runSync({ db: pool, repoRoot: repo.root, actor: 'test', validate: counting, ...extra });
  };
  const manifestFile = (slug: string) => path.join(repo.root, 'connectors', slug, 'manifest.yaml');
  const catalogFile = path.join('pipeline', 'catalog', 'firearm-types.yaml');

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
    repo = makeRepo(['alpha', 'beta', 'gamma']);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    repo.cleanup();
  });

  it('the first sync parses every manifest, remembers its sha256 and ANALYZEs what it filled', async () => {
    const { result } = await sync();
    expect(result!.plan.counts.providers.added).toBe(3);
    expect(parsed.sort()).toEqual(['alpha', 'beta', 'gamma'].map((s) => `connectors/${s}/manifest.yaml`));
    const { rows } = await pool.query(`SELECT provider_slug, source_sha256 FROM connector_providers ORDER BY 1`);
    expect(rows).toEqual(['alpha', 'beta', 'gamma'].map((s) => ({ provider_slug: s, source_sha256: sourceOf(repo.root, s) })));
    const fp = await pool.query(`SELECT validation_fingerprint FROM registry_syncs`);
    expect(fp.rows[0].validation_fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // ANALYZE sets reltuples to the row count; without it a table filled after CREATE stays at -1 or 0.
    expect(result!.analyzed).toContain('connector_providers');
    const stats = await pool.query(`SELECT reltuples::int AS n FROM pg_class WHERE relname = 'connector_providers'`);
    expect(stats.rows[0].n).toBe(3);
  });

  it('a second sync with no changes parses no manifest and writes nothing, timestamps included', async () => {
    const before = await dumpRegistry(pool);
    const { validation, result } = await sync();
    expect(parsed).toEqual([]);
    expect(validation.skipped_unchanged).toBe(3);
    expect(validation.connectors.map((c) => c.kind)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(result!.outcome).toBe('noop');
    expect(result!.plan.counts.providers).toMatchObject({ added: 0, changed: 0, unchanged: 3, retired: 0, revived: 0 });
    expect(result!.analyzed).toEqual([]);
    expect(await dumpRegistry(pool)).toEqual(before);
  });

  it('plan skips the same manifests and plans zero changes', async () => {
    parsed = [];
    const { validation, plan } = await planSync({ db: pool, repoRoot: repo.root, validate: counting });
    expect(parsed).toEqual([]);
    expect(validation.skipped_unchanged).toBe(3);
    expect(plan!.providers).toEqual([]);
    expect(plan!.counts.providers.unchanged).toBe(3);
  });

  it('an invalid change is validated in full and nothing is written; a valid one is then synced', async () => {
    const before = await dumpRegistry(pool);
    const syncs = await countRows(pool, 'registry_syncs');
    repo.writeRaw('beta', readFileSync(manifestFile('beta'), 'utf8').replace('requires_firearm: false', 'requires_firearm: maybe'));
    const { validation, result } = await sync();
    expect(parsed).toEqual(['connectors/beta/manifest.yaml']);
    expect(validation.ok).toBe(false);
    expect(validation.errors.map((e) => [e.file, e.path])).toEqual([['connectors/beta/manifest.yaml', 'scopes[0].requires_firearm']]);
    expect(result).toBeUndefined();
    expect(await dumpRegistry(pool)).toEqual(before);
    // Only the record of the failed attempt; it does not make the next sync validate everything.
    expect(await countRows(pool, 'registry_syncs')).toBe(syncs + 1);
    expect((await pool.query(`SELECT outcome FROM registry_syncs ORDER BY id DESC LIMIT 1`)).rows[0].outcome).toBe('failed');

    repo.write('beta', { display_name: 'Beta Renamed' });
    const fixed = await sync();
    expect(parsed).toEqual(['connectors/beta/manifest.yaml']);
    expect(fixed.result!.plan.providers.map((p) => [p.slug, p.kind, p.fields_changed])).toEqual([['beta', 'changed', ['display_name']]]);
    const { rows } = await pool.query(`SELECT source_sha256 FROM connector_providers WHERE provider_slug = 'beta'`);
    expect(rows[0].source_sha256).toBe(sourceOf(repo.root, 'beta'));
    await sync();
    expect(parsed).toEqual([]);
  });

  it('bytes changed but not the meaning (a comment): validated again, same digest, only the sha256 is remembered', async () => {
    const before = await dumpRegistry(pool);
    writeFileSync(manifestFile('alpha'), `${readFileSync(manifestFile('alpha'), 'utf8')}# a comment changes the bytes, not the meaning\n`);
    const { validation, result } = await sync();
    expect(parsed).toEqual(['connectors/alpha/manifest.yaml']);
    const alpha = validation.connectors.find((c) => c.slug === 'alpha')!;
    const registryDigest = (before.connector_providers as { provider_slug: string; manifest_digest: string }[]).find((r) => r.provider_slug === 'alpha')!.manifest_digest;
    expect(alpha.kind).toBe('parsed');
    expect(alpha.digest).toBe(registryDigest);
    expect(result!.outcome).toBe('noop');
    expect(result!.source_hashes_updated).toBe(1);
    // Everything but alpha's source_sha256 is as it was: no updated_at moved.
    const after = await dumpRegistry(pool);
    const withoutHash = (d: Record<string, unknown[]>) =>
      d.connector_providers!.map((r) => ({ ...(r as Record<string, unknown>), source_sha256: undefined }));
    expect(withoutHash(after)).toEqual(withoutHash(before));
    expect(after.connector_scopes).toEqual(before.connector_scopes);
    await sync();
    expect(parsed).toEqual([]);
  });

  it('a catalogue change validates every manifest again', async () => {
    const original = readFileSync(path.join(repo.root, catalogFile), 'utf8');
    repo.writeCatalog('firearm-types.yaml', `${original}  - id: TEST_ONLY_TYPE\n    label: Test only\n    description: Added by a test.\n`);
    const { validation, result } = await sync();
    expect(calls).toEqual([{ known: true }]);
    expect(parsed.sort()).toEqual(['alpha', 'beta', 'gamma'].map((s) => `connectors/${s}/manifest.yaml`));
    expect(validation.skipped_unchanged).toBe(0);
    expect(result!.plan.counts.firearm_types.added).toBe(1);
    await sync();
    expect(parsed).toEqual([]);
  });

  it('removing a catalogue entry an unchanged manifest still uses is an error, and nothing is written', async () => {
    const before = await dumpRegistry(pool);
    const doc = YAML.parse(readFileSync(path.join(repo.root, catalogFile), 'utf8')) as { firearm_types: { id: string }[] };
    const original = readFileSync(path.join(repo.root, catalogFile), 'utf8');
    repo.writeCatalog('firearm-types.yaml', YAML.stringify({ ...doc, firearm_types: doc.firearm_types.filter((t) => t.id !== 'CODE_DELETE') }));
    const { validation, result } = await sync();
    expect(result).toBeUndefined();
    expect(validation.errors.filter((e) => e.code === 'unknown_firearm_type').map((e) => e.file).sort()).toEqual(
      ['alpha', 'beta', 'gamma'].map((s) => `connectors/${s}/manifest.yaml`),
    );
    expect(await dumpRegistry(pool)).toEqual(before);
    repo.writeCatalog('firearm-types.yaml', original);
  });

  it('a last sync recorded by another VALIDATOR_VERSION validates every manifest again', async () => {
    await sync();
    expect(parsed).toEqual([]);
    const { catalog } = await validateRepo({ repoRoot: repo.root });
    expect(validationFingerprint(catalog, VALIDATOR_VERSION - 1)).not.toBe(validationFingerprint(catalog));
    // Play the previous validator's sync: its fingerprint is the one the registry remembers.
    await pool.query(`UPDATE registry_syncs SET validation_fingerprint = $1 WHERE id = (SELECT max(id) FROM registry_syncs)`, [
      validationFingerprint(catalog, VALIDATOR_VERSION - 1),
    ]);
    const { validation } = await sync();
    expect(parsed).toHaveLength(3);
    expect(validation.skipped_unchanged).toBe(0);
    await sync();
    expect(parsed).toEqual([]);
  });

  it('fullValidation (sync --full) parses every manifest', async () => {
    const { validation, result } = await sync({ fullValidation: true });
    expect(parsed).toHaveLength(3);
    expect(validation.skipped_unchanged).toBe(0);
    expect(result!.outcome).toBe('noop');
  });

  it('a retired provider coming back with the same bytes is validated in full and revived', async () => {
    const bytes = readFileSync(manifestFile('gamma'));
    repo.remove('gamma');
    const gone = await sync();
    expect(gone.result!.plan.providers.map((p) => [p.slug, p.kind])).toEqual([['gamma', 'retired']]);
    repo.writeRaw('gamma', bytes.toString('utf8'));
    const { result } = await sync();
    expect(parsed).toEqual(['connectors/gamma/manifest.yaml']);
    expect(result!.plan.providers.map((p) => [p.slug, p.kind, p.status_after])).toEqual([['gamma', 'revived', 'draft']]);
  });

  it('a symbolic link in place of an unchanged manifest is refused, whatever bytes it points to', async () => {
    const file = manifestFile('alpha');
    const real = path.join(repo.root, 'alpha-real.yaml');
    renameSync(file, real);
    symlinkSync(real, file);
    const before = await dumpRegistry(pool);
    const { validation, result } = await sync();
    expect(result).toBeUndefined();
    expect(validation.errors.map((e) => [e.file, e.code])).toEqual([['connectors/alpha/manifest.yaml', 'symlink']]);
    expect(await dumpRegistry(pool)).toEqual(before);
    unlinkSync(file);
    renameSync(real, file);
  });

  it('a skipped manifest whose row another sync changed meanwhile is validated again under the lock', async () => {
    await sync();
    expect(parsed).toEqual([]);
    const original = readFileSync(manifestFile('beta'), 'utf8');
    let raced = false;
    const racing: Validate = async (args) => {
      const r = await counting(args);
      if (!raced && args.known) {
        raced = true;
        // Another checkout syncs a different beta between our validation and our lock.
        repo.write('beta', { display_name: 'Beta From Elsewhere' });
        await runSync({ db: pool, repoRoot: repo.root, actor: 'other' });
        repo.writeRaw('beta', original);
      }
      return r;
    };
    parsed = [];
    calls = [];
    const { result } = await runSync({ db: pool, repoRoot: repo.root, actor: 'test', validate: racing });
    expect(calls).toEqual([{ known: true }, { known: false }]);
    expect(result!.plan.providers.map((p) => [p.slug, p.kind, p.fields_changed])).toEqual([['beta', 'changed', ['display_name']]]);
    const { rows } = await pool.query(`SELECT display_name, source_sha256 FROM connector_providers WHERE provider_slug = 'beta'`);
    expect(rows[0]).toEqual({ display_name: YAML.parse(original).display_name, source_sha256: sourceOf(repo.root, 'beta') });
  });
});

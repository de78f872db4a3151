/**
 * What validateRepo keeps. plan/sync get every valid connector with its digest, and those digests
 * are the ones the registry stores and operators approve: pinned here to the values the validator
 * computed before digests became optional (digest-fixture.ts). `validate` keeps only problems
 * (keep: 'problems'): the same verdict, problems and counts, every manifest still judged in full,
 * but no connector, digest or parsed manifest kept. On real temporary repositories.
 */
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateManifestBytes } from '../manifest.ts';
import { validateRepo } from '../repo.ts';
import { validationFingerprint } from '../unchanged.ts';
import { DIGEST_FIXTURE } from './digest-fixture.ts';
import { edit } from './helpers.ts';
import { makeRepo, manifestFor, type TempRepo } from './fs-helpers.ts';

/** Computed by commit aebce73's validateRepo over DIGEST_FIXTURE. */
const PINNED = {
  acme: { digest: 'c82ba80a4dee44a6e3ffc173d85de62f6a7b82ef8314c7ca200f735837e42021', source_sha256: 'd95d34a1958af771aa29e877798c541b70cac5a12e8d0a1c14c31639a9515137' },
  blocky: { digest: 'e11d8339d0b3d3ec4a2eb6aeae1a603a801bfcb7e5fd669cbbca32133ad26d42', source_sha256: '7fd7383c39a1b54a47e42ac4f0b71a6d7bd90e1b71bc3b9980cb4853525636c5' },
  shop_a: { digest: '3e761984ea974cd81161eb163061ee957e18f7eae06146ca8f4edc674271ca4e', source_sha256: 'c250ef406fdf486a58a56bd52a3e1fa618d4dddd3b8f139e15134b83fcb2eb40' },
  shop_b: { digest: 'c06afa93ff853eaa08088f6812cf22a63cfff00e575b3bfd19854097a619a90b', source_sha256: '00b175d39a2d410b95221eda2fdc3438f5c1522ad34e46123fe66d58d0d62245' },
};

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(() => repo.remove());

const writeAll = async (files: Record<string, string | Uint8Array>) => {
  for (const [rel, content] of Object.entries(files)) await repo.write(rel, content);
};
const digests = (r: Awaited<ReturnType<typeof validateRepo>>) =>
  Object.fromEntries(r.connectors.map((c) => [c.slug, { digest: c.digest, source_sha256: c.source_sha256 }]));
/** Everything `validate` prints or returns as JSON. */
const verdict = (r: Awaited<ReturnType<typeof validateRepo>>) => ({ ok: r.ok, checked: r.checked, checked_files: r.checked_files, errors: r.errors, warnings: r.warnings });

describe('digests are the ones the registry stores', () => {
  it('byte for byte the values computed before, on the main thread and in the worker pool', { timeout: 60_000 }, async () => {
    await writeAll(DIGEST_FIXTURE);
    const main = await validateRepo({ repoRoot: repo.root, workers: false });
    expect(main.errors).toEqual([]);
    expect(digests(main)).toEqual(PINNED);
    const pooled = await validateRepo({ repoRoot: repo.root, workers: 'always', pool: { workers: 1, chunkSize: 2, spawnAboveMs: 0, mainThreadWorks: false } });
    expect(digests(pooled)).toEqual(PINNED);
  });
});

describe("keep: 'problems' (validate)", () => {
  /** A tree with every kind of problem the cross-file and folder rules find, plus valid folders. */
  const troubled = async () => {
    await writeAll(DIGEST_FIXTURE);
    for (let i = 0; i < 12; i++) await repo.write(`connectors/shop_${i}/manifest.yaml`, manifestFor(`shop_${i}`));
    await repo.write('connectors/shop_3/manifest.yaml', edit(manifestFor('shop_3'), 'REFUND_ISSUE', 'REFUND')); // unknown firearm type
    await repo.write('connectors/shop_4/manifest.yaml', edit(manifestFor('shop_4'), 'name: read_orders', 'name: write_orders')); // a warning
    await repo.write('connectors/shop_5/manifest.yaml', edit(manifestFor('shop_5'), 'provider_slug: shop_5', 'provider_slug: shop_6')); // duplicate slug
    await repo.write('connectors/shop_7/manifest.yaml', edit(manifestFor('shop_7'), 'PROVIDER_SHOP_7_API_KEY', 'PROVIDER_SHOP_8_API_KEY')); // shared key
    await repo.write('connectors/shop_9/.env', 'TOKEN=x\n'); // a refused file beside a valid manifest
    await repo.write('connectors/shop_10/manifest.yaml', 'schema_version: 1\nprovider_slug: [oops\n'); // unparsable
    await repo.write('connectors/shop_11/spec.yaml', 'x: 1\n');
    await rm(`${repo.root}/connectors/shop_11/manifest.yaml`); // the old file name
    await repo.write('connectors/empty/README.md', '# nothing\n'); // no manifest at all
    execFileSync('mkfifo', [`${repo.root}/connectors/shop_2/pipe`]);
  };

  it('the same verdict, problems and counts as keeping connectors, and no connector kept', { timeout: 60_000 }, async () => {
    await troubled();
    const full = await validateRepo({ repoRoot: repo.root, workers: false });
    const kept = await validateRepo({ repoRoot: repo.root, workers: false, keep: 'problems' });
    expect(full.ok).toBe(false);
    expect(new Set(full.errors.map((e) => e.code))).toEqual(new Set([
      'unknown_firearm_type', 'duplicate_provider_slug', 'slug_mismatch', 'secret_key_shared', 'secret_key_prefix', 'secret_file', 'missing_manifest', 'old_manifest_name', 'not_a_regular_file',
      ...full.errors.filter((e) => e.file === 'connectors/shop_10/manifest.yaml').map((e) => e.code),
    ]));
    expect(full.warnings.map((w) => w.code)).toContain('destructive_scope_without_firearm');
    expect(verdict(kept)).toEqual(verdict(full));
    expect(kept.connectors).toEqual([]);
    expect(kept.fingerprint).toBe(full.fingerprint);
    // The worker pool says the same.
    const pooled = await validateRepo({ repoRoot: repo.root, keep: 'problems', workers: 'always', pool: { workers: 1, chunkSize: 3, spawnAboveMs: 0, mainThreadWorks: false } });
    expect(pooled).toEqual(kept);
  });

  it('a valid tree: ok, with the same summary', async () => {
    await writeAll(DIGEST_FIXTURE);
    const full = await validateRepo({ repoRoot: repo.root });
    const kept = await validateRepo({ repoRoot: repo.root, keep: 'problems' });
    expect(kept.ok).toBe(true);
    expect(verdict(kept)).toEqual(verdict(full));
  });

  it('skips nothing the registry knows: every manifest is parsed even when `known` says it is unchanged', async () => {
    await writeAll(DIGEST_FIXTURE);
    const first = await validateRepo({ repoRoot: repo.root, workers: false });
    const known = {
      fingerprint: validationFingerprint(first.catalog),
      sources: new Map(first.connectors.map((c) => [c.slug, { sha256: c.source_sha256!, digest: c.digest }])),
      untouched: new Set(first.connectors.map((c) => c.slug)),
    };
    const parsed: string[] = [];
    const counting = (bytes: Uint8Array, file: string, catalog: Parameters<typeof validateManifestBytes>[2], folder: string) => {
      parsed.push(file);
      return validateManifestBytes(bytes, file, catalog, folder);
    };
    // Keeping connectors, the registry's knowledge skips them all ...
    const skipping = await validateRepo({ repoRoot: repo.root, known, validateBytes: counting });
    expect(skipping.skipped_unchanged).toBe(4);
    expect(parsed).toEqual([]);
    // ... keeping problems, nothing is skipped.
    const kept = await validateRepo({ repoRoot: repo.root, known, validateBytes: counting, keep: 'problems' });
    expect(kept.ok).toBe(true);
    expect(kept.skipped_unchanged).toBe(0);
    expect(parsed.sort()).toEqual(['acme', 'blocky', 'shop_a', 'shop_b'].map((s) => `connectors/${s}/manifest.yaml`));
  });
});

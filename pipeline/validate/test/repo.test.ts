/**
 * The file-system and cross-file rules, on real temporary repositories: missing manifests,
 * spec.yaml left behind, symbolic links, oversized files, invalid UTF-8, duplicate slugs, the
 * catalogues, PATH arguments and the worker pool.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_MANIFEST_BYTES } from '../decode.ts';
import { validateRepo } from '../repo.ts';
import { BILLION_LAUGHS, codes, pos } from './helpers.ts';
import { makeRepo, manifestFor, type TempRepo } from './fs-helpers.ts';

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo();
  await repo.write('connectors/acme/manifest.yaml', manifestFor('acme'));
});
afterEach(() => repo.remove());

const validate = (paths?: string[]) => validateRepo({ repoRoot: repo.root, paths });

describe('validateRepo', () => {
  it('a clean repository is ok and counts manifests and catalogues', async () => {
    const r = await validate();
    expect(r).toMatchObject({ ok: true, checked: 3, checked_files: { manifests: 1, catalogues: 2 }, errors: [], warnings: [] });
    expect(r.connectors.map((c) => c.file)).toEqual(['connectors/acme/manifest.yaml']);
    expect(r.catalog.firearmTypes.map((f) => f.id)).toContain('REFUND_ISSUE');
  });

  it('a folder without manifest.yaml is an error', async () => {
    await repo.write('connectors/lonely/README.md', 'hi\n');
    const r = await validate();
    expect(r.errors).toEqual([expect.objectContaining({ code: 'missing_manifest', file: 'connectors/lonely', line: 1, column: 1 })]);
    expect(r.ok).toBe(false);
  });

  it('a folder holding spec.yaml gets the hint to rename it', async () => {
    await repo.write('connectors/legacy/spec.yaml', manifestFor('legacy'));
    const r = await validate();
    expect(r.errors).toEqual([expect.objectContaining({ code: 'old_manifest_name', file: 'connectors/legacy/spec.yaml', line: 1 })]);
    expect(r.errors[0]!.message).toMatch(/Rename it.*manifest\.yaml/);
  });

  it('a symbolic link in place of a connector folder is an error', async () => {
    await symlink(path.join(repo.root, 'connectors/acme'), path.join(repo.root, 'connectors/linked'));
    const r = await validate();
    expect(r.errors).toEqual([expect.objectContaining({ code: 'symlink', file: 'connectors/linked', line: 1, column: 1 })]);
  });

  it('a symbolic link in place of a manifest is an error, and the target is not read', async () => {
    const outside = await repo.write('elsewhere/manifest.yaml', manifestFor('other'));
    await repo.write('connectors/other/README.md', 'x\n');
    await symlink(outside, path.join(repo.root, 'connectors/other/manifest.yaml'));
    const r = await validate();
    expect(r.errors).toEqual([expect.objectContaining({ code: 'symlink', file: 'connectors/other/manifest.yaml', line: 1, column: 1 })]);
    expect(r.connectors.map((c) => c.slug)).toEqual(['acme']);
  });

  it('two manifests with one provider_slug are both reported at provider_slug', async () => {
    const text = manifestFor('acme');
    await repo.write('connectors/acme_copy/manifest.yaml', text);
    const r = await validate();
    const dup = r.errors.filter((e) => e.code === 'duplicate_provider_slug');
    expect(dup.map((e) => e.file)).toEqual(['connectors/acme/manifest.yaml', 'connectors/acme_copy/manifest.yaml']);
    for (const e of dup) expect(e).toMatchObject({ path: 'provider_slug', ...pos(text, 'provider_slug: acme', 'acme') });
    expect(dup[0]!.message).toContain('connectors/acme_copy/manifest.yaml');
    expect(codes(r.errors)).toContain('slug_mismatch');
  });

  it('a manifest over 256 KiB is refused without parsing it', async () => {
    const big = `${manifestFor('big')}# ${'x'.repeat(MAX_MANIFEST_BYTES)}\n`;
    await repo.write('connectors/big/manifest.yaml', big);
    const r = await validate();
    expect(r.errors).toEqual([expect.objectContaining({ code: 'file_too_large', file: 'connectors/big/manifest.yaml', line: 1, column: 1 })]);
  });

  it('invalid UTF-8 is an error at the line and column of the bad byte', async () => {
    const text = manifestFor('latin');
    const at = text.indexOf('Acme Shop') + 2;
    const bytes = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xe9]), Buffer.from(text.slice(at))]);
    await repo.write('connectors/latin/manifest.yaml', bytes);
    const r = await validate();
    expect(r.errors).toEqual([expect.objectContaining({ code: 'invalid_utf8', file: 'connectors/latin/manifest.yaml', ...pos(text, 'display_name:', 'me Shop') })]);
  });

  it('a real billion-laughs file fails with alias_limit instead of exhausting memory', { timeout: 20_000 }, async () => {
    await repo.write('connectors/bomb/manifest.yaml', BILLION_LAUGHS);
    const r = await validate();
    expect(r.errors.map((e) => [e.file, e.code])).toEqual([['connectors/bomb/manifest.yaml', 'alias_limit']]);
  });

  it('a folder name that is not a valid slug is an error', async () => {
    await repo.write('connectors/Bad-Name/manifest.yaml', manifestFor('bad_name'));
    const r = await validate();
    expect(codes(r.errors)).toContain('invalid_folder_name');
  });

  it('PATH arguments validate only the named connectors', async () => {
    await repo.write('connectors/broken/manifest.yaml', 'schema_version: 2\n');
    const r = await validate([path.join(repo.root, 'connectors/acme/manifest.yaml')]);
    expect(r).toMatchObject({ ok: true, checked: 3, errors: [] });
    const all = await validate([path.join(repo.root, 'connectors/acme'), 'connectors/broken']);
    expect(all.ok).toBe(false);
    expect(new Set(all.errors.map((e) => e.file))).toEqual(new Set(['connectors/broken/manifest.yaml']));
  });

  it('PATH arguments still see a duplicate provider_slug elsewhere in the tree', async () => {
    // Its own key names (a shared key name is an error of its own, see secret-keys.test.ts).
    await repo.write('connectors/acme_copy/manifest.yaml', manifestFor('acme').replaceAll('PROVIDER_ACME_', 'PROVIDER_ACME_COPY_'));
    const r = await validate(['connectors/acme']);
    expect(r.errors).toEqual([expect.objectContaining({ code: 'duplicate_provider_slug', file: 'connectors/acme/manifest.yaml' })]);
  });

  it('PATH arguments do not wait on a FIFO in place of another folder\'s manifest (its slug is read without blocking)', async () => {
    await mkdir(path.join(repo.root, 'connectors/piped'));
    execFileSync('mkfifo', [path.join(repo.root, 'connectors/piped/manifest.yaml')]);
    const r = await validate(['connectors/acme']);
    expect(r).toMatchObject({ ok: true, errors: [] });
  });

  it('a PATH outside connectors/ is reported', async () => {
    const r = await validate([path.join(repo.root, 'pipeline/catalog')]);
    expect(r.errors).toEqual([expect.objectContaining({ code: 'invalid_path', file: 'pipeline/catalog' })]);
  });

  it('a PATH naming a connector folder that does not exist is connector_not_found, not missing_manifest', async () => {
    const r = await validate(['connectors/nope']);
    expect(r.errors).toEqual([expect.objectContaining({ code: 'connector_not_found', file: 'connectors/nope', line: 1, column: 1 })]);
    expect(r.errors[0]!.message).toContain('connectors/nope does not exist');
  });
});

describe('catalogues', () => {
  it('duplicate catalogue ids are an error at the second id', async () => {
    const text = 'schema_version: 1\nfirearm_types:\n  - id: GENERAL\n    label: General\n    description: Anything.\n  - id: GENERAL\n    label: Again\n    description: Twice.\n';
    await repo.write('pipeline/catalog/firearm-types.yaml', text);
    const r = await validate();
    const dup = r.errors.filter((e) => e.code === 'duplicate_catalog_id');
    expect(dup).toEqual([expect.objectContaining({ file: 'pipeline/catalog/firearm-types.yaml', path: 'firearm_types[1].id', line: 6, column: 9 })]);
  });

  it('catalogue ids must be UPPER_SNAKE / lower_snake', async () => {
    await repo.write('pipeline/catalog/core-kpis.yaml', 'schema_version: 1\ncore_kpis:\n  - id: GrossSales\n    label: Gross\n    description: Sales.\n');
    const r = await validate();
    expect(r.errors).toEqual([expect.objectContaining({ code: 'invalid_format', file: 'pipeline/catalog/core-kpis.yaml', path: 'core_kpis[0].id', line: 3, column: 9 })]);
  });

  it('removing a catalogue entry that a manifest still uses is an error in that manifest', async () => {
    const { readFile } = await import('node:fs/promises');
    const file = path.join(repo.root, 'pipeline/catalog/firearm-types.yaml');
    const without = (await readFile(file, 'utf8')).replace(/  - id: REFUND_ISSUE\n(?:    .*\n)+/, '');
    await repo.write('pipeline/catalog/firearm-types.yaml', without);
    const r = await validate();
    expect(r.errors).toEqual([expect.objectContaining({ code: 'unknown_firearm_type', file: 'connectors/acme/manifest.yaml', path: 'scopes[1].firearm_type', ...pos(manifestFor('acme'), 'firearm_type: REFUND_ISSUE', 'REFUND_ISSUE') })]);
  });

  it('a missing catalogue is an error, not a crash', async () => {
    const { rm } = await import('node:fs/promises');
    await rm(path.join(repo.root, 'pipeline/catalog/core-kpis.yaml'));
    const r = await validate();
    expect(r.errors).toEqual([expect.objectContaining({ code: 'missing_catalog', file: 'pipeline/catalog/core-kpis.yaml' })]);
  });
});

describe('worker pool', () => {
  it('gives the same result as the main thread, problems and valid connectors alike', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 30; i++) await repo.write(`connectors/shop_${i}/manifest.yaml`, manifestFor(`shop_${i}`));
    await repo.write('connectors/shop_7/manifest.yaml', manifestFor('shop_7').replace('REFUND_ISSUE', 'REFUND'));
    await repo.write('connectors/shop_9/manifest.yaml', manifestFor('shop_9').replace('name: read_orders', 'name: write_orders'));
    const main = await validateRepo({ repoRoot: repo.root, workers: false });
    const stats = { mainChunks: 0, workerChunks: 0, workersStarted: 0 };
    const pooled = await validateRepo({ repoRoot: repo.root, workers: 'always', pool: { workers: 2, chunkSize: 4, spawnAboveMs: 0, mainThreadWorks: false, stats } });
    expect(pooled).toEqual(main);
    expect(stats).toEqual({ mainChunks: 0, workerChunks: 8, workersStarted: 2 });
    expect(codes(main.errors)).toEqual(['unknown_firearm_type']);
    expect(codes(main.warnings)).toEqual(['destructive_scope_without_firearm']);
    expect(main.connectors).toHaveLength(30);
  });
});
